// `settle-terminal catalogue …`: the terminal's catalogue from the command line,
// for a service engineer on the device.
//   catalogue inspect FILE [--hub-pub HEX64]... [--json]   what a file holds (and, with keys, whether it verifies)
//   catalogue lookup FILE CODE                              one item as JSON (exit 1 when absent)
//   catalogue apply FILE UPDATE --hub-pub HEX64... --line NN apply a signed snapshot or delta of catalogue line NN to the stored FILE, atomically
// Making catalogues (generate, delta) is the hub's work: the simulation
// bundle's `catalogue` adds those subcommands (device/sim/catalogue-cli.ts).
// Exit 0 done, 1 refused or not found, 2 bad usage or an unreadable file.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { nodeCryptoProvider } from '../../protocol/crypto-node';
import { keyring, type Verifier } from '../../protocol/crypto';
import { Catalogue, CatalogueFormatError } from '../catalogue/layout';
import { catalogueSummary, openCatalogueFile } from '../catalogue/inspect';
import { catalogueKind, SignedStore } from '../catalogue/store';
import { UpdateError } from '../catalogue/update';
import { catalogueFileBytesMax } from '../catalogue/limits';
import { exitNegative, exitOk, parseCommandArgs, UsageError, writeOut, type CliIo, type Command, type Syntax } from './command';
import { parseHexFlag } from './input';

/** Reads a catalogue file whole, under the bound of one; a missing or unreadable one is a usage error. */
export function readFile(file: string | undefined, what: string): Uint8Array {
  if (file === undefined) throw new UsageError(`${what} is required`);
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? 'EIO'}`);
  }
  if (bytes.length > catalogueFileBytesMax) throw new UsageError(`${file} is larger than ${catalogueFileBytesMax} bytes`);
  return bytes;
}

function hubKeysOf(values: readonly string[] | undefined): ((kid: Uint8Array | null) => Verifier | null) | undefined {
  if (values === undefined || values.length === 0) return undefined;
  return keyring(values.map((hex) => nodeCryptoProvider.verifier(parseHexFlag(hex, 32, 'hub-pub'))));
}

/** A catalogue line: the treatment place's province, two digits (up to a county's six). */
export function lineFlag(text: string | undefined): string {
  if (text === undefined || !/^[0-9]{2,6}$/.test(text)) throw new UsageError('--line must be the catalogue line: the province\'s two digits (e.g. 11), up to six');
  return text;
}

export function wholeNumber(text: string | undefined, flag: string, min: number, max: number): number {
  if (text === undefined || !/^[0-9]{1,10}$/.test(text) || Number(text) < min || Number(text) > max) throw new UsageError(`--${flag} must be a whole number from ${min} to ${max}`);
  return Number(text);
}

/** Opens a catalogue file for reading, turning a damaged one into a one-line refusal. */
export function opened(bytes: Uint8Array, file: string, keys?: (kid: Uint8Array | null) => Verifier | null) {
  try {
    return openCatalogueFile(bytes, keys);
  } catch (error) {
    if (error instanceof CatalogueFormatError || error instanceof UpdateError) throw new UsageError(`${file}: ${error.message}`);
    throw error;
  }
}

const inspectSyntax = {
  synopsis: 'catalogue inspect FILE [--hub-pub HEX64]... [--json]',
  flags: {
    'hub-pub': { value: 'HEX64', many: true, help: 'a hub key: the verdict is verified (else intact at best); exit 1 if damaged' },
    json: { help: 'one JSON object instead of lines' },
  },
  positionalsMax: 1,
} as const satisfies Syntax;

async function inspect(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, inspectSyntax);
  const file = positionals[0];
  const result = opened(readFile(file, 'FILE'), file as string, hubKeysOf(values['hub-pub']));
  const summary = {
    file,
    version: result.catalogue?.version ?? result.signed?.toVersion ?? null,
    signed: result.signed,
    ...(result.catalogue === null ? {} : catalogueSummary(result.catalogue)),
  };
  if (values.json) {
    await writeOut(io.stdout, `${JSON.stringify(summary)}\n`);
  } else {
    const lines = Object.entries(summary).flatMap(([key, value]) =>
      value !== null && typeof value === 'object' ? Object.entries(value).map(([inner, item]) => `${key}.${inner}: ${String(item)}`) : [`${key}: ${String(value)}`],
    );
    await writeOut(io.stdout, `${lines.join('\n')}\n`);
  }
  return result.signed !== null && result.signed.verdict !== 'intact' && result.signed.verdict !== 'verified' ? exitNegative : exitOk;
}

const lookupSyntax: Syntax = { synopsis: 'catalogue lookup FILE CODE', flags: {}, positionalsMax: 2 };

async function lookup(args: readonly string[], io: CliIo): Promise<number> {
  const { positionals } = parseCommandArgs(args, lookupSyntax);
  const [file, code] = positionals;
  if (code === undefined) throw new UsageError('usage: catalogue lookup FILE CODE');
  const { catalogue, signed } = opened(readFile(file, 'FILE'), file as string);
  if (signed !== null && signed.verdict !== 'intact') {
    // A damaged file answers nothing: a wrong price must never leave it.
    await writeOut(io.stderr, `${signed.verdict}: ${file} is not the catalogue its statement names; nothing read from it\n`);
    return exitNegative;
  }
  if (catalogue === null) throw new UsageError(`${file} is a delta, not a catalogue`);
  const record = catalogue.record(code);
  if (record === undefined) {
    await writeOut(io.stderr, `not_found: ${code.slice(0, 80)} is not in catalogue ${catalogue.version}\n`);
    return exitNegative;
  }
  await writeOut(io.stdout, `${JSON.stringify(record)}\n`);
  return exitOk;
}

const applySyntax = {
  synopsis: 'catalogue apply FILE UPDATE --hub-pub HEX64... --line NN',
  flags: {
    'hub-pub': { value: 'HEX64', many: true, help: 'a hub key the update must be signed by' },
    line: { value: 'NN', help: "the catalogue line it must be of: the province's two digits, e.g. 11" },
  },
  positionalsMax: 2,
} as const satisfies Syntax;

async function apply(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, applySyntax);
  const [file, updateFile] = positionals;
  if (file === undefined || updateFile === undefined) throw new UsageError('usage: catalogue apply FILE UPDATE --hub-pub HEX64 --line NN');
  const hubKeys = hubKeysOf(values['hub-pub']);
  if (hubKeys === undefined) throw new UsageError('--hub-pub HEX64 is required: an update is applied only under the hub key');
  const update = readFile(updateFile, 'UPDATE');
  if (!existsSync(path.dirname(path.resolve(file)))) throw new UsageError(`the directory of ${file} does not exist`);
  const line = lineFlag(values.line);
  const store = SignedStore.open(catalogueKind, { dir: path.dirname(path.resolve(file)), fileName: path.basename(file), hubKeys, line });
  if (store.bootProblem !== null) await writeOut(io.stderr, `warning: ${store.bootProblem}\n`);
  const before = store.version;
  const result = store.apply(update);
  if (!result.ok) {
    await writeOut(io.stderr, `${result.error.message}\n${file} still holds ${before ?? 'nothing'}\n`);
    return exitNegative;
  }
  await writeOut(io.stdout, `${file}: ${before ?? 'nothing'} -> ${result.version} (serial ${result.serial})\n`);
  return exitOk;
}

/** A subcommand: its syntax and what it does. */
export interface Subcommand {
  readonly syntax: Syntax;
  run(args: readonly string[], io: CliIo): Promise<number>;
}

/** The firmware's subcommands. */
export const catalogueSubcommands: Readonly<Record<string, Subcommand>> = {
  inspect: { syntax: inspectSyntax, run: inspect },
  lookup: { syntax: lookupSyntax, run: lookup },
  apply: { syntax: applySyntax, run: apply },
};

/** A `catalogue SUBCOMMAND …` command over these subcommands (the simulation bundle adds generate and delta). */
export function catalogueCommandOf(subcommands: Readonly<Record<string, Subcommand>>, summary: string): Command {
  return {
    name: 'catalogue',
    summary,
    syntax: Object.values(subcommands).map((subcommand) => subcommand.syntax),
    run(args: readonly string[], io: CliIo): Promise<number> {
      const [name, ...rest] = args;
      const subcommand = name === undefined ? undefined : subcommands[name];
      if (subcommand === undefined || !Object.hasOwn(subcommands, name as string)) {
        throw new UsageError(`unknown or missing subcommand${name === undefined ? '' : ` '${name}'`} (${Object.keys(subcommands).join(', ')})`);
      }
      return subcommand.run(rest, io);
    },
  };
}

export const catalogueCommand: Command = catalogueCommandOf(catalogueSubcommands, 'inspect, look up or apply an update to a catalogue file');
