// The shape every CLI command has, and the exit codes they share. I/O is
// passed in (STYLE.md habit 6) so tests run commands in-process as well as on
// the built bundle.
import { parseArgs, type ParseArgsConfig } from 'node:util';

export interface CliIo {
  readonly stdin: NodeJS.ReadableStream;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly env: Readonly<Record<string, string | undefined>>;
}

export interface Command {
  /** The word after `settle-terminal`. */
  readonly name: string;
  /** One line for the usage list. */
  readonly summary: string;
  /** The full usage of this command, shown by `settle-terminal NAME --help`. */
  readonly usage: string;
  run(args: readonly string[], io: CliIo): Promise<number>;
}

/** Exit codes: 0 done, 1 a negative verdict (verification failed), 2 bad usage or input. */
export const exitOk = 0;
export const exitNegative = 1;
export const exitUsage = 2;

/** A usage error: the CLI prints its message on one line and exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * Parses a command's arguments strictly: an unknown flag, a missing value or
 * an unexpected positional is a UsageError naming it, never silently ignored.
 */
export function parseCommandArgs<T extends Options>(
  args: readonly string[],
  options: T,
  positionalsMax: number,
) {
  let parsed;
  try {
    parsed = parseArgs({ args: [...args], options, strict: true, allowPositionals: true });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message.split('\n')[0] : String(error));
  }
  if (parsed.positionals.length > positionalsMax) {
    throw new UsageError(`unexpected argument '${parsed.positionals[positionalsMax]}'`);
  }
  return parsed;
}

/** Writes a string and resolves once the stream has taken it (back-pressure aware). */
export function writeOut(stream: NodeJS.WritableStream, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const ok = stream.write(text, (error) => (error ? reject(error) : undefined));
    if (ok) resolve();
    else stream.once('drain', resolve);
  });
}
