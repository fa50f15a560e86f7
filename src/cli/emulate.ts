// `settle-terminal emulate card-reader|qr-scanner|printer --port PATH [--cards FILE]`:
// runs a device emulator on a real serial port or a pty, so an integrator can
// test their own software against it (README.md, Devices). The emulators live
// in the tools bundle, `dist/tools.js` beside the firmware, loaded here at run
// time through a path esbuild cannot follow, so they stay outside the 128 KiB
// budget. The binding and the process's signals are passed in from here.
import { readFileSync } from 'node:fs';
import { realBinding } from './binding';
import { parseCommandArgs, UsageError, type CliIo } from './command';
import { checkCards, emulate } from '../../device/sim/tools';

const kinds = ['card-reader', 'qr-scanner', 'printer'] as const;
/** A cards file is small; anything bigger is not one. */
const cardsFileBytesMax = 262_144;

export function parseBaud(text: string | undefined): number {
  if (text === undefined) return 115_200;
  if (!/^[0-9]{3,7}$/.test(text) || Number(text) < 300 || Number(text) > 4_000_000) throw new UsageError(`--baud must be 300 to 4000000, got '${text}'`);
  return Number(text);
}

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

/** `emulate KIND --port PATH …` (tools bundle; the firmware's shim is in tool-commands.ts). */
export async function runEmulate(args: readonly string[], io: CliIo): Promise<number> {
    const { values, positionals } = parseCommandArgs(args, { port: { type: 'string' }, cards: { type: 'string' }, baud: { type: 'string' } }, 1);
    const kind = positionals[0];
    if (kind === undefined || !(kinds as readonly string[]).includes(kind)) throw new UsageError(`the device must be one of ${kinds.join(', ')}, got '${kind ?? ''}'`);
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
      return await emulate({
        kind: kind as (typeof kinds)[number],
        path: values.port,
        baudRate,
        cardsText,
        binding: realBinding(),
        stdin: io.stdin,
        stdout: io.stdout,
        stderr: io.stderr,
        signal: controller.signal,
      });
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
}
