// `settle-terminal settle`: the settlement core on the command line, for
// billing staff and engineers on the device.
//   settle [FILE]            one case (file or stdin) → one output line
//   settle --explain [FILE]  the output line, then the derivation in words
//   settle --jsonl           one case per stdin line → one output per line, in order
// Refusals are outputs (exit 0); input that is not JSON is the
// `invalid_json` output. One case that is refused as `invalid_input` or
// `invalid_json` also says why on stderr, naming the file and the field
// (the output line stays exactly the refusal). Exit 2 for bad usage or an
// unreadable file, 1 when output cannot be written.
import { caseBytesMax, cliWriteBatchBytes } from '../limits';
import { explainCase, settleCase, settleCaseTelling } from '../core/case';
import { exitNegative, exitOk, parseCommandArgs, UsageError, writeOut, type CliIo, type Command, type Syntax } from './command';
import { InputTooLarge, openInput, readAll, readLines, type Line } from './input';

const invalidJson = '{"ok":false,"error":{"code":"invalid_json"}}';
const invalidInput = '{"ok":false,"error":{"code":"invalid_input"}}';

function parseJson(bytes: Buffer): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(bytes.toString('utf8')) };
  } catch {
    return { ok: false };
  }
}

/** One output line for one input line of --jsonl. */
export function settleLine(line: Line): string {
  if (line === null) return invalidInput;
  const parsed = parseJson(line);
  return parsed.ok ? JSON.stringify(settleCase(parsed.value)) : invalidJson;
}

async function settleStream(io: CliIo): Promise<number> {
  let batch = '';
  for await (const line of readLines(io.stdin, caseBytesMax)) {
    batch += `${settleLine(line)}\n`;
    if (batch.length >= cliWriteBatchBytes) {
      await writeOut(io.stdout, batch);
      batch = '';
    }
  }
  if (batch.length > 0) await writeOut(io.stdout, batch);
  return exitOk;
}

/** Why one case was refused before it was settled, on stderr: the file, the code, the field. */
function tellWhy(io: CliIo, file: string | undefined, why: string): Promise<void> {
  return writeOut(io.stderr, `settle-terminal settle: ${file === undefined || file === '-' ? 'stdin' : file}: ${why}\n`);
}

async function settleOne(file: string | undefined, explainIt: boolean, io: CliIo): Promise<number> {
  let bytes: Buffer;
  try {
    bytes = await readAll(openInput(file, io.stdin), caseBytesMax);
  } catch (error) {
    if (error instanceof InputTooLarge) {
      await writeOut(io.stdout, `${invalidInput}\n`);
      await tellWhy(io, file, `invalid_input: larger than ${caseBytesMax} bytes`);
      return exitOk;
    }
    const code = (error as NodeJS.ErrnoException).code ?? 'EIO';
    throw new UsageError(`cannot read ${file ?? 'stdin'}: ${code}`);
  }
  const parsed = parseJson(bytes);
  if (!parsed.ok) {
    await writeOut(io.stdout, `${invalidJson}\n${explainIt ? 'Refused: invalid_json: the input is not JSON.\n' : ''}`);
    if (!explainIt) await tellWhy(io, file, 'invalid_json: the input is not JSON');
    return exitOk;
  }
  if (!explainIt) {
    const settled = settleCaseTelling(parsed.value);
    await writeOut(io.stdout, `${JSON.stringify(settled.output)}\n`);
    if (settled.why !== null) await tellWhy(io, file, `invalid_input: ${settled.why}`);
    return exitOk;
  }
  const explained = explainCase(parsed.value);
  await writeOut(io.stdout, `${JSON.stringify(explained.output)}\n${explained.text}\n`);
  return exitOk;
}

const settleSyntax = {
  synopsis: 'settle [--explain] [FILE|-] | settle --jsonl',
  flags: {
    explain: { help: 'after the output line, how it was reached, in words' },
    jsonl: { help: 'one case a line on stdin, one output line each, in order' },
  },
  positionalsMax: 1,
} as const satisfies Syntax;

async function runSettle(args: readonly string[], io: CliIo): Promise<number> {
    const { values, positionals } = parseCommandArgs(args, settleSyntax);
    if (values.jsonl && (values.explain || positionals.length > 0)) {
      throw new UsageError('--jsonl reads stdin only and takes neither FILE nor --explain');
    }
    try {
      return values.jsonl ? await settleStream(io) : await settleOne(positionals[0], Boolean(values.explain), io);
    } catch (error) {
      if (error instanceof UsageError) throw error;
      // Output could not be written (a closed pipe): say so once, exit 1.
      io.stderr.write(`settle-terminal settle: cannot write output: ${(error as Error).message}\n`);
      return exitNegative;
    }
}

export const settleCommand: Command = {
  name: 'settle',
  summary: 'settle cases of docs/settlement.md (a file, stdin, or --jsonl)',
  syntax: [settleSyntax],
  run: runSettle,
};
