// The shape every CLI command has, and the exit codes they share. I/O is
// passed in (docs/conventions.md habit 6) so tests run commands in-process as well as on
// the built bundle.
import { parseArgs, type ParseArgsConfig } from 'node:util';

export interface CliIo {
  readonly stdin: NodeJS.ReadableStream;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** One flag: the name of its value (absent: a switch), whether it may be given more than once, what it does. */
export interface Flag {
  readonly value?: string;
  readonly many?: true;
  readonly help: string;
}

export type Flags = Readonly<Record<string, Flag>>;

/**
 * A command's (or a subcommand's) synopsis and flags: the one table its
 * parser accepts (`parseCommandArgs`) and its `--help` prints (src/cli/cli.ts,
 * `commandHelp`), so a flag cannot be taken without being described.
 */
export interface Syntax<F extends Flags = Flags> {
  /** The words after the program's name: `catalogue apply FILE UPDATE --hub-pub HEX64... --line NN`. */
  readonly synopsis: string;
  readonly flags: F;
  /** How many positional arguments it takes at most (a subcommand's name not counted). */
  readonly positionalsMax: number;
}

export interface Command {
  /** The word after `settle-terminal`. */
  readonly name: string;
  /** One line for the usage list. */
  readonly summary: string;
  /** Its synopses and flags, one per subcommand, shown by `settle-terminal NAME --help`. */
  readonly syntax: readonly Syntax[];
  /** More for its `--help` after the flags (`run`: the profile's fields). */
  more?(): string;
  run(args: readonly string[], io: CliIo): Promise<number>;
}

/** `--crypto`, which run, frame decode and cose take alike. */
export const cryptoFlag = { value: 'auto|node|tweetnacl', help: 'the Ed25519 provider; auto: node:crypto when it passes its self-test, else tweetnacl' } as const satisfies Flag;

/** Exit codes: 0 done, 1 a negative verdict (verification failed), 2 bad usage or input. */
export const exitOk = 0;
export const exitNegative = 1;
export const exitUsage = 2;

/** A usage error: the CLI prints its message on one line and exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

type Values<F extends Flags> = { -readonly [K in keyof F]?: F[K] extends { readonly value: string } ? (F[K] extends { readonly many: true } ? string[] : string) : boolean };

/** The options node:util's parseArgs takes for a table of flags. */
export function parseOptions(flags: Flags): NonNullable<ParseArgsConfig['options']> {
  return Object.fromEntries(Object.entries(flags).map(([name, flag]) => [name, { type: flag.value === undefined ? 'boolean' : 'string', ...(flag.many && { multiple: true }) }]));
}

/**
 * Parses a command's arguments by its syntax, strictly: an unknown flag, a
 * missing value or an unexpected positional is a UsageError naming it, never
 * silently ignored.
 */
export function parseCommandArgs<F extends Flags>(args: readonly string[], syntax: Syntax<F>): { values: Values<F>; positionals: string[] } {
  let parsed;
  try {
    parsed = parseArgs({ args: [...args], options: parseOptions(syntax.flags), strict: true, allowPositionals: true });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message.split('\n')[0] : String(error));
  }
  if (parsed.positionals.length > syntax.positionalsMax) {
    throw new UsageError(`unexpected argument '${parsed.positionals[syntax.positionalsMax]}'`);
  }
  return parsed as { values: Values<F>; positionals: string[] };
}

/** Writes a string and resolves once the stream has taken it (back-pressure aware). */
export function writeOut(stream: NodeJS.WritableStream, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const ok = stream.write(text, (error) => (error ? reject(error) : undefined));
    if (ok) resolve();
    else stream.once('drain', resolve);
  });
}
