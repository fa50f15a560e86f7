// The tools bundle's entry (`dist/tools.js`, outside the firmware budget): the
// device emulators as `settle-terminal emulate` runs them on a real port or
// pty, so an integrator can test their own software against them. The
// firmware loads this file at run time (src/cli/emulate.ts) and passes in the
// binding, the I/O and a signal that stops the emulator.
import { createInterface } from 'node:readline';
import type { BindingInterface } from '@serialport/bindings-cpp';
import { CardReaderEmulator, defaultCards, parseCards, type VirtualCard } from './card-reader-emulator';
import { Gb18030Encoder } from '../gb18030';
import { PrinterEmulator } from './printer-emulator';
import { seededRandom } from './prng';
import { QrScannerEmulator, sampleToken } from './qr-scanner-emulator';
import { StreamPort } from '../stream-port';

// The reference hub and what an emulated terminal needs to reach it in one process.
export { runHub, hubUsage } from './hub/cli';
export { ReferenceHub } from './hub/hub';
export { seedIdentities, syntheticTerminalSeed, syntheticTerminalId, syntheticCredentials, syntheticPsnNo } from './hub/seed';
export { createPortPair } from './memory-port';
export { LineSimulator } from './line';

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
    const random = seededRandom(options.seed ?? 1);
    return {
      help: "type 'scan [CODE]' (a sample e-certificate token when CODE is absent) or 'raw TEXT' (no terminator)",
      async run([verb, ...rest]) {
        const text = rest.join(' ');
        if (!/^[\x20-\x7e]*$/.test(text)) return 'a scanner types printable ASCII only';
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

export { catalogueDeltaFile, generateCatalogueFile } from './hub/catalogue-tools';
import type { CliIo } from '../../src/cli/command';
import { runCatalogue } from '../../src/cli/catalogue';
import { runCose } from '../../src/cli/cose-run';
import { runEmulate } from '../../src/cli/emulate';
import { runFrame } from '../../src/cli/frame-run';
import { runHubCommand } from '../../src/cli/hub';
import { runProbe } from '../../src/cli/probe-run';
import { runSettle } from '../../src/cli/settle';

const toolRuns: Readonly<Record<string, (args: readonly string[], io: CliIo) => Promise<number>>> = {
  settle: runSettle,
  catalogue: runCatalogue,
  cose: runCose,
  emulate: runEmulate,
  frame: runFrame,
  hub: runHubCommand,
  probe: runProbe,
};

/** The work of a firmware command whose shim is in src/cli/tool-commands.ts. */
export function runTool(name: string, args: readonly string[], io: CliIo): Promise<number> {
  const run = toolRuns[name];
  if (run === undefined || !Object.hasOwn(toolRuns, name)) throw new Error(`the tools bundle has no command ${name}`);
  return run(args, io);
}

// The demo (`npm start`); the emulated and hil profiles' far ends are the
// site bundle's (device/sim/site-bundle.ts), which asks this bundle for the
// reference hub when the terminal first dials it.
export { runDemo, auditHub, parseDemoArgs, type DemoFirmware } from './demo';
export { Site, seedCards } from './site';

const toolUsages: Readonly<Record<string, readonly string[]>> = {
  settle: [
    'settle-terminal settle [--explain] [FILE] | settle-terminal settle --jsonl',
  ],
  catalogue: [
    'settle-terminal catalogue inspect FILE [--hub-pub HEX64]... [--json]',
    'settle-terminal catalogue lookup FILE CODE',
    'settle-terminal catalogue apply FILE UPDATE --hub-pub HEX64...',
    'settle-terminal catalogue generate --items N --seed S --out FILE [--version V] [--sign-seed HEX64 --serial N]',
    'settle-terminal catalogue delta FROM TO --out FILE --sign-seed HEX64 --serial N',
  ],
  cose: [
    'settle-terminal cose sign --seed HEX64 [--aad HEX] [--crypto auto|node|tweetnacl] < payload > cose',
    'settle-terminal cose verify --pub HEX64 [--aad HEX] [--crypto auto|node|tweetnacl] < cose > payload',
    'verify exits 0 when the signature verifies, 1 when it does not, 2 on malformed input',
  ],
  frame: [
    'settle-terminal frame decode [--pub HEX64]... [--crypto auto|node|tweetnacl] [FILE]',
    'prints one JSON line per frame (and per run of garbage) of FILE or stdin;',
    'with --pub, exits 1 when some frame does not verify',
  ],
  emulate: [
    'settle-terminal emulate card-reader|qr-scanner|printer --port PATH [--cards FILE] [--baud N]',
  ],
  hub: [
    'settle-terminal hub serve --state DIR (--port PATH [--baud N] | --listen HOST:PORT) [--offline-floor FEN] [--session-hours H]',
    'settle-terminal hub generate --state DIR --persons N --seed S [--bills-per-person K] [--terminals M] [--date YYYY-MM-DD]',
    'settle-terminal hub enroll --state DIR --terminal ID --institution CODE --pub HEX64',
    'settle-terminal hub clearing --state DIR --month YYYY-MM',
    'settle-terminal hub audit --state DIR',
    'settle-terminal hub show --state DIR [--person PSN_NO]',
  ],
  probe: [
    'settle-terminal probe card-reader|qr-scanner|printer --port PATH [--baud N]',
    '  card-reader: [--pin PIN] reads the credential with the PIN, else shows presence and ATR',
    '  qr-scanner:  [--wait-ms N] waits for one e-certificate token (default 10000 ms)',
    '  printer:     [--test-print] prints a test receipt after the status',
  ],
};

/** The usage `settle-terminal NAME --help` prints for a command whose shim is in src/cli/tool-commands.ts. */
export function toolUsage(name: string): string {
  return (Object.hasOwn(toolUsages, name) ? (toolUsages[name] as readonly string[]) : [`settle-terminal ${name}`]).join('\n       ');
}
