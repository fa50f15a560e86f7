// `settle-sim emulate card-reader|qr-scanner|printer --port PATH [--cards FILE] [--baud N]`:
// runs a device emulator on a real serial port or a pty, so an integrator can
// test their own software against it (README.md, Devices), and a service
// engineer can try `settle-terminal probe` without the device. The emulator
// runs until SIGINT or SIGTERM; standard input takes its console commands.
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { BindingInterface } from '@serialport/bindings-cpp';
import { CardReaderEmulator, defaultCards, parseCards, type VirtualCard } from './card-reader-emulator';
import { Gb18030Encoder } from '../gb18030';
import { PrinterEmulator } from './printer-emulator';
import { seededRandom } from './prng';
import { QrScannerEmulator, sampleToken } from './qr-scanner-emulator';
import { ecertTokenPattern, ecertTokenPrefix } from '../qr-scanner';
import { StreamPort } from '../stream-port';
import { realBinding } from '../../src/cli/binding';
import { parseCommandArgs, UsageError, type CliIo } from '../../src/cli/command';
import { emulateSyntax } from './usage';
import { parseBaud } from '../../src/cli/input';

export const emulatorKinds = Object.freeze(['card-reader', 'qr-scanner', 'printer'] as const);
export type EmulatorKind = (typeof emulatorKinds)[number];

export interface EmulateOptions {
  readonly kind: EmulatorKind;
  readonly path: string;
  readonly baudRate: number;
  /** A cards file's text, already checked with `checkCards`; the default cards when absent. */
  readonly cardsText?: string;
  readonly binding: BindingInterface;
  readonly stdin: NodeJS.ReadableStream;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  /** Aborting it closes the port and ends `emulate`. */
  readonly signal: AbortSignal;
  /** Seed of the sample tokens `scan` types without an argument. */
  readonly seed?: number;
}

/** Checks a cards file strictly (device/card-reader-emulator.ts, `parseCards`). */
export function checkCards(text: string): { ok: true; ids: readonly string[] } | { ok: false; code: string; message: string } {
  const parsed = parseCards(text, new Gb18030Encoder());
  return parsed.ok ? { ok: true, ids: parsed.cards.map((card) => card.id) } : parsed;
}

interface Console {
  readonly help: string;
  /** Runs one line typed on stdin; returns an error message or null. */
  run(words: string[]): Promise<string | null>;
  close(): Promise<void>;
}

/** Runs one emulator until `signal` aborts; resolves to the exit code. */
export async function emulate(options: EmulateOptions): Promise<number> {
  const say = (line: string) => void options.stdout.write(`${line}\n`);
  const port = new StreamPort({ binding: options.binding, path: options.path, baudRate: options.baudRate });
  try {
    await port.open();
  } catch (error) {
    options.stderr.write(`emulate: port_unavailable: ${(error as Error).message}\n`);
    return 2;
  }
  const console = startConsole(options, port, say);
  say(`${options.kind} emulator on ${options.path} at ${options.baudRate} baud; ${console.help}; stop with Ctrl-C`);
  const lines = createInterface({ input: options.stdin, terminal: false });
  lines.on('line', (line) => {
    const words = line.trim().split(/\s+/).filter(Boolean);
    if (words.length === 0) return;
    void console.run(words).then(
      (problem) => {
        if (problem !== null) options.stderr.write(`emulate: ${problem} (${console.help})\n`);
      },
      (error: unknown) => options.stderr.write(`emulate: ${error instanceof Error ? error.message : String(error)}\n`),
    );
  });
  await new Promise<void>((resolve) => {
    if (options.signal.aborted) resolve();
    else options.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  lines.close();
  await console.close();
  say(`${options.kind} emulator stopped`);
  return 0;
}

function startConsole(options: EmulateOptions, port: StreamPort, say: (line: string) => void): Console {
  const encoder = new Gb18030Encoder();
  if (options.kind === 'card-reader') {
    let cards: readonly VirtualCard[] = defaultCards;
    if (options.cardsText !== undefined) {
      const parsed = parseCards(options.cardsText, encoder);
      if (!parsed.ok) throw new Error(`cards were not checked first: ${parsed.message}`);
      cards = parsed.cards;
    }
    const emulator = new CardReaderEmulator(port, { encoder, cards, log: say });
    emulator.start();
    say(`cards: ${cards.map((card) => `${card.id} (${card.fault === 'none' ? `PIN ${card.pin}, ${card.pinTriesLeft} tries` : card.fault})`).join(', ')}`);
    return {
      help: "type 'insert ID', 'remove' or 'cards'",
      async run([verb, id]) {
        if (verb === 'insert' && id !== undefined) {
          try {
            emulator.insert(id);
          } catch (error) {
            return (error as Error).message;
          }
          return null;
        }
        if (verb === 'remove') {
          emulator.remove();
          return null;
        }
        if (verb === 'cards') {
          say(`cards: ${emulator.cardIds.join(', ')}; inserted: ${emulator.insertedId ?? 'none'}`);
          return null;
        }
        return `unknown command '${verb}'`;
      },
      close: () => emulator.close(),
    };
  }
  if (options.kind === 'qr-scanner') {
    const emulator = new QrScannerEmulator(port, { log: say });
    emulator.start();
    const random = seededRandom(options.seed ?? 1);
    return {
      help: "type 'scan [CODE]' (a sample e-certificate token when CODE is absent) or 'raw TEXT' (no terminator)",
      async run([verb, ...rest]) {
        const text = rest.join(' ');
        if (!/^[\x20-\x7e]*$/.test(text)) return 'a scanner types printable ASCII only';
        // `scan` types an e-certificate token, and only one (the check inside it is the terminal's to verify); `raw` types anything.
        if (verb === 'scan' && text !== '' && !ecertTokenPattern.test(text)) return `not an e-certificate token: scan takes ${ecertTokenPrefix} and 16 to 400 base64url characters ('raw TEXT' types anything)`;
        if (verb === 'scan') await emulator.scan(text === '' ? sampleToken(random) : text);
        else if (verb === 'raw' && text !== '') await emulator.typeRaw(Buffer.from(text, 'latin1'));
        else return `unknown command '${verb}'`;
        return null;
      },
      close: () => emulator.close(),
    };
  }
  const printer = new PrinterEmulator(port, { log: say });
  printer.start();
  return {
    help: "type 'paper-out', 'paper-in', 'paper-out-after N', 'near-end', 'cover-open' or 'cover-close'",
    async run([verb, count]) {
      if (verb === 'paper-out' || verb === 'paper-in') printer.paperOut = verb === 'paper-out';
      else if (verb === 'cover-open' || verb === 'cover-close') printer.coverOpen = verb === 'cover-open';
      else if (verb === 'near-end') printer.paperNearEnd = true;
      else if (verb === 'paper-out-after' && /^[0-9]{1,6}$/.test(count ?? '')) printer.paperOutAfterLines = Number(count);
      else return `unknown command '${verb}'`;
      say(`printer: paper ${printer.paperOut ? 'out' : printer.paperNearEnd ? 'near end' : 'in'}, cover ${printer.coverOpen ? 'open' : 'closed'}`);
      return null;
    },
    close: () => printer.close(),
  };
}

/** A cards file is small; anything bigger is not one. */
const cardsFileBytesMax = 262_144;

function readCards(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cards_unreadable: --cards ${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  if (text.length > cardsFileBytesMax) throw new UsageError(`cards_invalid: --cards ${file}: larger than ${cardsFileBytesMax} bytes`);
  return text;
}

/** `emulate KIND --port PATH …` on the process: the real binding; SIGINT or SIGTERM stops it. */
export async function runEmulate(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, emulateSyntax);
  const kind = positionals[0];
  if (kind === undefined || !(emulatorKinds as readonly string[]).includes(kind)) throw new UsageError(`the device must be one of ${emulatorKinds.join(', ')}, got '${kind ?? ''}'`);
  if (values.port === undefined || values.port === '') throw new UsageError('--port PATH is required');
  if (values.cards !== undefined && kind !== 'card-reader') throw new UsageError('--cards is for the card-reader only');
  const baudRate = parseBaud(values.baud);
  let cardsText: string | undefined;
  if (values.cards !== undefined) {
    cardsText = readCards(values.cards);
    const checked = checkCards(cardsText);
    if (!checked.ok) throw new UsageError(`${checked.code}: --cards ${values.cards}: ${checked.message}`);
  }
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    return await emulate({ kind: kind as EmulatorKind, path: values.port, baudRate, cardsText, binding: realBinding(), stdin: io.stdin, stdout: io.stdout, stderr: io.stderr, signal: controller.signal });
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}
