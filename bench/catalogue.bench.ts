// The catalogue at 200,000 items (issue 6; docs/design.md, budgets: load ≤ 50 ms
// and a tenth of JSON.parse, ≤ 40 MiB heap, lookup ≤ 0.3 µs).
// Two benchmarks, each checked before it is timed:
// - load: reading the compact file from disk into fresh memory and opening it,
//   as boot does, against reading and JSON.parse of the same catalogue as JSON;
//   heap and load time are also measured in a fresh process, the way a
//   kiosk boots (figures);
// - lookup: the store's item(code) against Map.get on the same codes, also
//   under the page guard the terminal's store reads through (every page
//   already checked: the cost of the check on each read).
import assert from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildCatalogue } from '../src/catalogue/build';
import { Catalogue, type CatalogueRecord } from '../src/catalogue/layout';
import { contentDigest, PageGuard } from '../src/catalogue/pages';
import { generateCatalogueRecords } from '../device/sim/hub/catalogue-gen';
import type { Benchmark } from './harness';

const itemCount = 200_000;
const dir = mkdtempSync(path.join(tmpdir(), 'catalogue-bench-'));
const binaryFile = path.join(dir, 'catalogue.cat');
const jsonFile = path.join(dir, 'catalogue.json');
let records: CatalogueRecord[] = [];
let catalogue: Catalogue | null = null;
/** The same catalogue read through a page guard whose pages are all checked, as the store serves it after its first reads. */
let guarded: Catalogue | null = null;
let map = new Map<string, CatalogueRecord>();
let probeCodes: string[] = [];
/** More distinct codes than the item cache holds, so every lookup goes to the hash table. */
let coldCodes: string[] = [];
let coldAt = 0;

function prepare(): void {
  if (catalogue !== null) return;
  records = [...generateCatalogueRecords(itemCount, 20_261_123)];
  const bytes = buildCatalogue('bench-200k', records);
  writeFileSync(binaryFile, bytes);
  writeFileSync(jsonFile, JSON.stringify({ version: 'bench-200k', items: Object.fromEntries(records.map(({ code, ...rest }) => [code, rest])) }));
  catalogue = new Catalogue(readFileSync(binaryFile));
  const body = new Uint8Array(readFileSync(binaryFile));
  const guard = new PageGuard(body, contentDigest(body).table, { label: 'bench' });
  assert.ok(guard.verifyAll());
  guarded = new Catalogue(body, guard);
  map = new Map(records.map((record) => [record.code, record]));
  // Every 97th code, and some that are not there, in a shuffled order.
  probeCodes = records.filter((_, index) => index % 97 === 0).map((record) => record.code);
  probeCodes.push('XZ00ZZA000A000000000000', '000000000000000', 'C0000000000000000000');
  coldCodes = records.filter((_, index) => index % 7 === 0).map((record) => record.code);
}

/** Run in a child process: boot-like load time and heap growth. */
export function probe(): void {
  const heapBefore = process.memoryUsage().heapUsed;
  const started = process.hrtime.bigint();
  const loaded = new Catalogue(readFileSync(process.env.CATALOGUE_FILE as string));
  const loadMs = Number(process.hrtime.bigint() - started) / 1e6;
  const memory = process.memoryUsage();
  assert.equal(loaded.count, itemCount);
  process.stdout.write(JSON.stringify({ loadMs, heapMiB: (memory.heapUsed - heapBefore) / 1_048_576, arrayBuffersMiB: memory.arrayBuffers / 1_048_576 }));
}

function freshProcess(): Record<string, number> {
  const runs = [1, 2, 3].map(() => {
    const child = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(__filename)}).probe()`], { encoding: 'utf8', env: { ...process.env, CATALOGUE_FILE: binaryFile } });
    assert.equal(child.status, 0, child.stderr);
    return JSON.parse(child.stdout) as { loadMs: number; heapMiB: number; arrayBuffersMiB: number };
  });
  const sorted = [...runs].sort((a, b) => a.loadMs - b.loadMs);
  const median = sorted[1] as (typeof runs)[number];
  return {
    'file MiB': Math.round((readFileSync(binaryFile).length / 1_048_576) * 10) / 10,
    'JSON MiB': Math.round((readFileSync(jsonFile).length / 1_048_576) * 10) / 10,
    'fresh-process load ms (median of 3)': Math.round(median.loadMs * 10) / 10,
    'fresh-process heap growth MiB': Math.round(median.heapMiB * 100) / 100,
    'fresh-process file buffer MiB (outside the heap)': Math.round(median.arrayBuffersMiB * 10) / 10,
  };
}

const load: Benchmark = {
  name: 'catalogue-load',
  title: `load a ${itemCount}-item catalogue from disk: compact file vs JSON.parse`,
  baseline: { name: 'read + JSON.parse', run: () => JSON.parse(readFileSync(jsonFile, 'utf8')) },
  contenders: [{ name: 'read + open compact', run: () => new Catalogue(readFileSync(binaryFile)) }],
  check() {
    prepare();
    const opened = new Catalogue(readFileSync(binaryFile));
    const parsed = JSON.parse(readFileSync(jsonFile, 'utf8')) as { items: Record<string, unknown> };
    assert.equal(opened.count, itemCount);
    assert.equal(Object.keys(parsed.items).length, itemCount);
    for (const record of records.slice(0, 2_000)) {
      const { code, ...rest } = record;
      assert.deepEqual(opened.record(code), record);
      assert.deepEqual(parsed.items[code], rest);
    }
  },
  figures: freshProcess,
  targets: [
    { contender: 'read + open compact', nsPerOpMax: 50_000_000, note: 'load ≤ 50 ms' },
    { contender: 'read + open compact', ratioMax: 0.1, note: 'load ≤ a tenth of JSON.parse' },
  ],
};

let sink = 0;
const lookup: Benchmark = {
  name: 'catalogue-lookup',
  title: `look up ${itemCount}-item catalogue codes: item(code) vs Map.get (per lookup: divide by the codes per run)`,
  baseline: {
    name: 'Map.get',
    run: () => {
      for (const code of probeCodes) if (map.get(code) !== undefined) sink += 1;
    },
  },
  contenders: [
    {
      name: 'compact item(code)',
      run: () => {
        for (const code of probeCodes) if ((catalogue as Catalogue).item(code) !== undefined) sink += 1;
      },
    },
    {
      name: 'compact item(code) under the page guard',
      run: () => {
        for (const code of probeCodes) if ((guarded as Catalogue).item(code) !== undefined) sink += 1;
      },
    },
    {
      name: 'compact item(code), codes not seen for 28,000 lookups',
      run: () => {
        // The same number of lookups, each a code not seen for 28,000 lookups.
        for (let count = 0; count < probeCodes.length; count += 1) {
          if ((catalogue as Catalogue).item(coldCodes[coldAt] as string) !== undefined) sink += 1;
          coldAt = coldAt + 1 === coldCodes.length ? 0 : coldAt + 1;
        }
      },
    },
  ],
  check() {
    prepare();
    const store = catalogue as Catalogue;
    for (const code of [...probeCodes, ...coldCodes.slice(0, 5_000)]) {
      const expected = map.get(code);
      if (expected === undefined) assert.equal(store.item(code), undefined);
      else assert.deepEqual(store.record(code), expected);
      assert.deepEqual((guarded as Catalogue).record(code), store.record(code));
    }
  },
  figures: () => ({ 'codes per run': probeCodes.length, 'hits per run': probeCodes.length - 3 }),
  targets: [
    { contender: 'compact item(code)', nsPerOpMax: 300 * (200_000 / 97 + 4), note: 'lookup ≤ 0.3 µs (per-run time / codes per run), the same codes as Map.get' },
    { contender: 'compact item(code) under the page guard', nsPerOpMax: 300 * (200_000 / 97 + 4), note: 'lookup under the page guard ≤ 0.3 µs' },
  ],
  teardown() {
    assert(sink >= 0);
  },
};

process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

export default [load, lookup];
