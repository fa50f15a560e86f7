// `settle-terminal catalogue …`: the terminal's catalogue from the command line.
//   catalogue inspect FILE [--hub-pub HEX64]... [--json]   what a file holds (and, with keys, whether it verifies)
//   catalogue lookup FILE CODE                              one item as JSON (exit 1 when absent)
//   catalogue apply FILE UPDATE --hub-pub HEX64... --line NN apply a signed snapshot or delta of catalogue line NN to the stored FILE, atomically
//   catalogue generate --items N --seed S --out FILE [--version V] [--sign-seed HEX64 --serial N --line NN]
//   catalogue delta FROM TO --out FILE --sign-seed HEX64 --serial N --line NN
// Engineers' and the hub's tools: all of it runs in the tools bundle, loaded on demand.
// Exit 0 done, 1 refused or not found, 2 bad usage or an unreadable file.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { nodeCryptoProvider } from '../../protocol/crypto-node';
import { keyring, type Verifier } from '../../protocol/crypto';
import { Catalogue, CatalogueFormatError } from '../catalogue/layout';
import { catalogueSummary, openCatalogueFile } from '../catalogue/inspect';
import { catalogueKind, SignedStore } from '../catalogue/store';
import { UpdateError } from '../catalogue/update';
import { catalogueFileBytesMax, catalogueItemsMax } from '../limits';
import { exitNegative, exitOk, parseCommandArgs, UsageError, writeOut, type CliIo } from './command';
import { parseHexFlag } from './input';
import { catalogueDeltaFile, generateCatalogueFile } from '../../device/sim/hub/catalogue-tools';

function readFile(file: string | undefined, what: string): Uint8Array {
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
function lineFlag(text: string | undefined): string {
  if (text === undefined || !/^[0-9]{2,6}$/.test(text)) throw new UsageError('--line must be the catalogue line: the province\'s two digits (e.g. 11), up to six');
  return text;
}

function wholeNumber(text: string | undefined, flag: string, min: number, max: number): number {
  if (text === undefined || !/^[0-9]{1,10}$/.test(text) || Number(text) < min || Number(text) > max) throw new UsageError(`--${flag} must be a whole number from ${min} to ${max}`);
  return Number(text);
}

/** Opens a catalogue file for reading, turning a damaged one into a one-line refusal. */
function opened(bytes: Uint8Array, file: string, keys?: (kid: Uint8Array | null) => Verifier | null) {
  try {
    return openCatalogueFile(bytes, keys);
  } catch (error) {
    if (error instanceof CatalogueFormatError || error instanceof UpdateError) throw new UsageError(`${file}: ${error.message}`);
    throw error;
  }
}

async function inspect(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, { 'hub-pub': { type: 'string', multiple: true }, json: { type: 'boolean' } }, 1);
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
  return result.signed !== null && result.signed.verdict !== 'not_checked' && result.signed.verdict !== 'verified' ? exitNegative : exitOk;
}

async function lookup(args: readonly string[], io: CliIo): Promise<number> {
  const { positionals } = parseCommandArgs(args, {}, 2);
  const [file, code] = positionals;
  if (code === undefined) throw new UsageError('usage: catalogue lookup FILE CODE');
  const catalogue = opened(readFile(file, 'FILE'), file as string).catalogue;
  if (catalogue === null) throw new UsageError(`${file} is a delta, not a catalogue`);
  const record = catalogue.record(code);
  if (record === undefined) {
    await writeOut(io.stderr, `not_found: ${code.slice(0, 80)} is not in catalogue ${catalogue.version}\n`);
    return exitNegative;
  }
  await writeOut(io.stdout, `${JSON.stringify(record)}\n`);
  return exitOk;
}

async function apply(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, { 'hub-pub': { type: 'string', multiple: true }, line: { type: 'string' } }, 2);
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

async function generate(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(
    args,
    { items: { type: 'string' }, seed: { type: 'string' }, out: { type: 'string' }, version: { type: 'string' }, 'sign-seed': { type: 'string' }, serial: { type: 'string' }, line: { type: 'string' } },
    0,
  );
  const items = wholeNumber(values.items, 'items', 0, catalogueItemsMax);
  const seed = wholeNumber(values.seed, 'seed', 0, 0xffff_ffff);
  if (values.out === undefined) throw new UsageError('--out FILE is required');
  const version = values.version ?? `gen-${seed}-${items}`;
  if (!/^[\x21-\x7e]{1,32}$/.test(version)) throw new UsageError('--version must be 1 to 32 printable ASCII characters');
  if ((values['sign-seed'] === undefined) !== (values.serial === undefined) || (values['sign-seed'] === undefined) !== (values.line === undefined)) throw new UsageError('--sign-seed, --serial and --line go together');
  const sign = values['sign-seed'] === undefined ? undefined : { seed: parseHexFlag(values['sign-seed'], 32, 'sign-seed'), serial: wholeNumber(values.serial, 'serial', 1, 0xffff_ffff), line: lineFlag(values.line) };
  const bytes = generateCatalogueFile({ items, seed, version, ...(sign === undefined ? {} : { sign }) });
  writeFileSync(values.out, bytes);
  await writeOut(io.stdout, `${values.out}: ${items} items, version ${version}, ${bytes.length} bytes${sign === undefined ? '' : `, signed snapshot serial ${sign.serial} of line ${sign.line}`}\n`);
  return exitOk;
}

async function delta(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, { out: { type: 'string' }, 'sign-seed': { type: 'string' }, serial: { type: 'string' }, line: { type: 'string' } }, 2);
  const [fromFile, toFile] = positionals;
  if (fromFile === undefined || toFile === undefined || values.out === undefined) throw new UsageError('usage: catalogue delta FROM TO --out FILE --sign-seed HEX64 --serial N --line NN');
  const load = (file: string): Catalogue => {
    const catalogue = opened(readFile(file, file), file).catalogue;
    if (catalogue === null) throw new UsageError(`${file} is a delta, not a catalogue`);
    return catalogue;
  };
  const sign = { seed: parseHexFlag(values['sign-seed'], 32, 'sign-seed'), serial: wholeNumber(values.serial, 'serial', 1, 0xffff_ffff), line: lineFlag(values.line) };
  const bytes = catalogueDeltaFile(load(fromFile), load(toFile), sign);
  writeFileSync(values.out, bytes);
  await writeOut(io.stdout, `${values.out}: delta, ${bytes.length} bytes, serial ${sign.serial}\n`);
  return exitOk;
}

const subcommands: Readonly<Record<string, (args: readonly string[], io: CliIo) => Promise<number>>> = { inspect, lookup, apply, generate, delta };

/** `catalogue SUBCOMMAND …`: an engineer's tool (tools bundle; the firmware's shim is in tool-commands.ts). */
export async function runCatalogue(args: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = args;
  const run = name === undefined ? undefined : subcommands[name];
  if (run === undefined || !Object.hasOwn(subcommands, name as string)) {
    throw new UsageError(`unknown or missing subcommand${name === undefined ? '' : ` '${name}'`} (inspect, lookup, apply, generate, delta)`);
  }
  return run(rest, io);
}
