// The simulation bundle's `catalogue`: the firmware's subcommands (inspect,
// lookup, apply: src/cli/catalogue.ts) and the hub's, which make catalogue
// files rather than read them (their code is evaluated only when they run):
//   catalogue generate --items N --seed S --out FILE [--version V] [--sign-seed HEX64 --serial N --line NN]
//   catalogue delta FROM TO --out FILE --sign-seed HEX64 --serial N --line NN
import { writeFileSync } from 'node:fs';
import type { Catalogue } from '../../src/catalogue/layout';
import { catalogueCommandOf, catalogueSubcommands, lineFlag, opened, readFile, wholeNumber } from '../../src/cli/catalogue';
import { exitOk, parseCommandArgs, UsageError, writeOut, type CliIo, type Command, type Syntax } from '../../src/cli/command';
import { parseHexFlag } from '../../src/cli/input';
import { catalogueItemsMax } from '../../src/catalogue/limits';

/** Signing a generated snapshot or a delta: the hub's seed, the serial, the line (given together). */
const signFlags = {
  'sign-seed': { value: 'HEX64', help: "the hub's Ed25519 seed: write a signed update container" },
  serial: { value: 'N', help: 'the update\'s serial, 1 to 4294967295 (only grows at a terminal)' },
  line: { value: 'NN', help: "the catalogue line: the province's two digits, e.g. 11" },
} as const;

const generateSyntax = {
  synopsis: 'catalogue generate --items N --seed S --out FILE [--version V] [--sign-seed HEX64 --serial N --line NN]',
  flags: {
    items: { value: 'N', help: 'synthetic items (national code formats)' },
    seed: { value: 'S', help: 'the generator seed, 0 to 4294967295' },
    out: { value: 'FILE', help: 'where to write the catalogue (or the signed snapshot)' },
    version: { value: 'V', help: 'its version, 1 to 32 printable characters (default gen-SEED-ITEMS)' },
    ...signFlags,
  },
  positionalsMax: 0,
} as const satisfies Syntax;

const deltaSyntax = {
  synopsis: 'catalogue delta FROM TO --out FILE --sign-seed HEX64 --serial N --line NN',
  flags: { out: { value: 'FILE', help: 'where to write the signed delta from catalogue FROM to TO' }, ...signFlags },
  positionalsMax: 2,
} as const satisfies Syntax;

async function generate(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(args, generateSyntax);
  const items = wholeNumber(values.items, 'items', 0, catalogueItemsMax);
  const seed = wholeNumber(values.seed, 'seed', 0, 0xffff_ffff);
  if (values.out === undefined) throw new UsageError('--out FILE is required');
  const version = values.version ?? `gen-${seed}-${items}`;
  if (!/^[\x21-\x7e]{1,32}$/.test(version)) throw new UsageError('--version must be 1 to 32 printable ASCII characters');
  if ((values['sign-seed'] === undefined) !== (values.serial === undefined) || (values['sign-seed'] === undefined) !== (values.line === undefined)) throw new UsageError('--sign-seed, --serial and --line go together');
  const sign = values['sign-seed'] === undefined ? undefined : { seed: parseHexFlag(values['sign-seed'], 32, 'sign-seed'), serial: wholeNumber(values.serial, 'serial', 1, 0xffff_ffff), line: lineFlag(values.line) };
  const { generateCatalogueFile } = await import('./hub/catalogue-tools');
  const bytes = generateCatalogueFile({ items, seed, version, ...(sign === undefined ? {} : { sign }) });
  writeFileSync(values.out, bytes);
  await writeOut(io.stdout, `${values.out}: ${items} items, version ${version}, ${bytes.length} bytes${sign === undefined ? '' : `, signed snapshot serial ${sign.serial} of line ${sign.line}`}\n`);
  return exitOk;
}

async function delta(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, deltaSyntax);
  const [fromFile, toFile] = positionals;
  if (fromFile === undefined || toFile === undefined || values.out === undefined) throw new UsageError('usage: catalogue delta FROM TO --out FILE --sign-seed HEX64 --serial N --line NN');
  const load = (file: string): Catalogue => {
    const catalogue = opened(readFile(file, file), file).catalogue;
    if (catalogue === null) throw new UsageError(`${file} is a delta, not a catalogue`);
    return catalogue;
  };
  const sign = { seed: parseHexFlag(values['sign-seed'], 32, 'sign-seed'), serial: wholeNumber(values.serial, 'serial', 1, 0xffff_ffff), line: lineFlag(values.line) };
  const { catalogueDeltaFile } = await import('./hub/catalogue-tools');
  const bytes = catalogueDeltaFile(load(fromFile), load(toFile), sign);
  writeFileSync(values.out, bytes);
  await writeOut(io.stdout, `${values.out}: delta, ${bytes.length} bytes, serial ${sign.serial}\n`);
  return exitOk;
}

export const simCatalogueCommand: Command = catalogueCommandOf(
  { ...catalogueSubcommands, generate: { syntax: generateSyntax, run: generate }, delta: { syntax: deltaSyntax, run: delta } },
  'inspect, look up, update, generate or diff catalogue files',
);
