// The settlement core on a 1,000-line inpatient bill (docs/design.md, budgets:
// ≤ 0.2 ms, and less than decoding the same bill), as the terminal lives it:
// validate + settle of the bill against its own compact catalogue store
// (200,000 items built by the project's catalogue builder, every page
// checked as after ready, the bill's 1,000 distinct codes spread over the
// whole catalogue), against decoding the same bill (the case without its
// catalogue) with JSON.parse (the baseline) and with cbor-x's main entry,
// which loads the native string extractor when it is installed (the title
// says whether it did). The bill validated and settled is the one decoded
// from those CBOR bytes, as a terminal settles the bill it decoded: its
// strings are flat, as every decoder makes them. The generator's own object
// (its codes built by concatenation: V8 keeps them as cons strings, which
// cost every character read an indirection no decoded bill has) is timed
// beside it, labelled. The inline-catalogue figures (the case's JSON form,
// its catalogue the bill's 1,000 items) stay beside them, labelled. Every
// contender's result is checked first: the compact store's settlement is
// the inline one, line for line. A second figure measures the heap the
// core allocates per line, in a child process whose young generation is
// large enough that no collection hides anything.
import assert from 'node:assert';
import { spawnSync } from 'node:child_process';
import { Decoder, Encoder, isNativeAccelerationEnabled } from 'cbor-x';
import { buildCatalogue } from '../src/catalogue/build';
import { Catalogue, type CatalogueRecord } from '../src/catalogue/layout';
import { contentDigest, PageGuard } from '../src/catalogue/pages';
import { settleCase } from '../src/core/case';
import { settle } from '../src/core/settle';
import type { Item, SettleInput } from '../src/core/types';
import { validateCase, validateCaseWith } from '../src/core/validate';
import { generateCatalogueRecords } from '../device/sim/hub/catalogue-gen';
import { generateCase } from '../test/helpers/case-gen';
import type { Benchmark } from './harness';

const lineCount = 1_000;
const itemCount = 200_000;
const seed = 2026_03_14;
const catalogueSeed = 20_261_123;

/**
 * The bill and its catalogue: each line gets its own code, the code of every
 * 200th item of the generated catalogue (spread over all of it), and that
 * item takes the line's §2 fields from the generated case, so the compact
 * store and the inline catalogue hold the same items.
 */
function billAndCatalogue(): { readonly inline: Record<string, unknown>; readonly bill: Record<string, unknown>; readonly records: CatalogueRecord[] } {
  const raw = generateCase(seed, { lines: lineCount, medType: '21', settleable: true, extraItems: 0 });
  const caseItems = (raw.catalogue as unknown as { items: Record<string, Item> }).items;
  const records = [...generateCatalogueRecords(itemCount, catalogueSeed)].sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
  const spacing = Math.floor(itemCount / lineCount);
  const items: Record<string, Item> = {};
  const lines = (raw.visit as unknown as { lines: Array<{ code: string }> }).lines.map((line, index) => {
    const at = index * spacing + (index % spacing);
    const record = records[at] as CatalogueRecord;
    const item = caseItems[line.code] as Item;
    records[at] = { ...record, ...item };
    items[record.code] = item;
    return { ...line, code: record.code };
  });
  const { catalogue, ...rest } = raw;
  const bill = { ...rest, visit: { ...(raw.visit as object), lines } };
  return { inline: { ...bill, catalogue: { version: (catalogue as { version: string }).version, items } }, bill, records };
}

const { inline, bill, records } = billAndCatalogue();
const catalogueBytes = buildCatalogue('bench-200k', records);
const guard = new PageGuard(catalogueBytes, contentDigest(catalogueBytes).table, { label: 'bench' });
assert.ok(guard.verifyAll());
/** The compact store as the terminal serves it once ready: read through its page guard, every page checked. */
const store = new Catalogue(catalogueBytes, guard);
const jsonText = JSON.stringify(bill);
const codec = {
  encoder: new Encoder({ useRecords: false, mapsAsObjects: true, tagUint8Array: false, pack: false, useFloat32: 0 }),
  decoder: new Decoder({ useRecords: false, mapsAsObjects: true }),
};
const cborBytes = codec.encoder.encode(bill);
/** The bill as a terminal holds it: decoded from its bytes (once, before timing). */
const decoded = codec.decoder.decode(cborBytes) as Record<string, unknown>;
const checkedInline = validateCase(inline);
assert(checkedInline.ok, 'the benchmark case is valid');
const inputInline: SettleInput = checkedInline.value;
const checkedCompact = validateCaseWith(decoded, store);
assert(checkedCompact.ok, 'the bill is valid against the compact store');
const inputCompact: SettleInput = checkedCompact.value;
const expected = JSON.stringify(settleCase(inline));

function validateAndSettle(raw: unknown): ReturnType<typeof settle> {
  const checked = validateCaseWith(raw, store);
  assert(checked.ok, 'the bill is valid');
  return settle(checked.value);
}

/** Heap bytes allocated per line by settle() and by validation, on the compact store, measured in a child process. */
export function probe(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  assert(gc !== undefined, 'run with --expose-gc');
  const runs = 50;
  const measure = (work: () => unknown): number => {
    for (let i = 0; i < 200; i += 1) work();
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < runs; i += 1) work();
    return (process.memoryUsage().heapUsed - before) / (runs * lineCount);
  };
  const settleBytes = measure(() => settle(inputCompact));
  const validateBytes = measure(() => validateCaseWith(decoded, store));
  process.stdout.write(JSON.stringify({ settleBytes, validateBytes }));
}

function allocationFigures(): Record<string, number> {
  const child = spawnSync(process.execPath, ['--expose-gc', '--max-semi-space-size=256', '-e', `require(${JSON.stringify(__filename)}).probe()`], {
    encoding: 'utf8',
  });
  assert.equal(child.status, 0, child.stderr);
  const { settleBytes, validateBytes } = JSON.parse(child.stdout) as { settleBytes: number; validateBytes: number };
  return {
    'heap bytes per line, settle on the compact store (output record included)': Math.round(settleBytes),
    'heap bytes per line, validation against the compact store': Math.round(validateBytes),
    'native cbor-extract loaded (1 yes, 0 no)': isNativeAccelerationEnabled ? 1 : 0,
  };
}

const compact = 'validate + settle, compact store';
const cborName = `cbor-x decode (main entry, ${isNativeAccelerationEnabled ? 'native extractor' : 'no native extractor: not installed'})`;
const benchmark: Benchmark = {
  name: 'settle',
  title: `validate + settle a ${lineCount}-line inpatient bill on the ${itemCount.toLocaleString('en')}-item compact store vs decoding the same bill (${jsonText.length} bytes JSON, ${cborBytes.length} bytes CBOR)`,
  baseline: { name: 'JSON.parse', run: () => JSON.parse(jsonText) },
  contenders: [
    { name: cborName, run: () => codec.decoder.decode(cborBytes) },
    { name: compact, run: () => validateAndSettle(decoded) },
    { name: 'validate + settle, compact store, on the generator\'s object (cons-string codes)', run: () => validateAndSettle(bill) },
    { name: 'settle alone (validated), compact store', run: () => settle(inputCompact) },
    { name: `inline catalogue of ${lineCount} items: settle alone (validated)`, run: () => settle(inputInline) },
    { name: `inline catalogue of ${lineCount} items: settleCase (validate catalogue + bill, settle)`, run: () => settleCase(inline) },
  ],
  check() {
    const output = settleCase(inline);
    assert(output.ok, 'the bill settles');
    assert.equal(output.lines.length, lineCount);
    assert.equal(new Set((bill.visit as { lines: Array<{ code: string }> }).lines.map((line) => line.code)).size, lineCount, 'every line its own code');
    assert.equal(JSON.stringify(validateAndSettle(decoded)), expected, 'the compact store settles as the inline catalogue does');
    assert.equal(JSON.stringify(validateAndSettle(bill)), expected);
    assert.equal(JSON.stringify(settle(inputCompact)), expected);
    assert.equal(JSON.stringify(settle(inputInline)), expected);
    assert.equal(JSON.stringify(validateAndSettle(JSON.parse(jsonText))), expected);
    assert.equal(JSON.stringify(validateAndSettle(codec.decoder.decode(cborBytes))), expected);
    assert.deepEqual(codec.decoder.decode(cborBytes), bill);
  },
  figures: allocationFigures,
  targets: [
    { contender: compact, nsPerOpMax: 200_000, note: 'validate + settle on the compact store ≤ 0.2 ms' },
    { contender: compact, ratioMax: 1, versus: cborName, note: 'validate + settle on the compact store cost less than cbor-x decode of the bill' },
    { contender: compact, ratioMax: 1, note: 'validate + settle on the compact store cost less than JSON.parse of the bill' },
  ],
};

export default benchmark;
