// The catalogue at 200,000 items (issue 6; docs/design.md, budgets: load ≤ 50 ms
// and a tenth of JSON.parse, ≤ 40 MiB heap, lookup ≤ 0.3 µs).
// Two benchmarks, each checked before it is timed:
// - load: reading the compact file from disk into fresh memory and opening it,
//   as boot does, against reading and JSON.parse of the same catalogue as JSON;
//   heap and load time are also measured in a fresh process, the way a
//   kiosk boots (figures);
// - lookup: the store's item(code) against Map.get on the same codes, on
//   codes spread over the whole catalogue: warm (the same 1,000 codes, every
//   200th, looked up again and again, as a bill's lines are) and cold (each
//   lookup a code not seen for 28,000 lookups), plain and under the page
//   guard the terminal's store reads through (every page already checked:
//   the cost of the check on each read). Each run is 1,000 lookups.
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
/** Lookups in one timed run. */
const lookupsPerRun = 1_000;
/** Warm: every 200th code, spread over the whole catalogue, the same ones each run. */
let warmCodes: string[] = [];
/** Cold: every 7th code, taken in turn, so each lookup's code was last seen 28,000 lookups ago. */
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
  warmCodes = records.filter((_, index) => index % (itemCount / lookupsPerRun) === 0).map((record) => record.code);
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

function warm(store: () => Catalogue | null) {
  return () => {
    const catalogue = store() as Catalogue;
    for (const code of warmCodes) if (catalogue.item(code) !== undefined) sink += 1;
  };
}

function cold(store: () => Catalogue | null) {
  return () => {
    const catalogue = store() as Catalogue;
    for (let count = 0; count < lookupsPerRun; count += 1) {
      if (catalogue.item(coldCodes[coldAt] as string) !== undefined) sink += 1;
      coldAt = coldAt + 1 === coldCodes.length ? 0 : coldAt + 1;
    }
  };
}

const warmGuarded = 'warm: item(code) under the page guard';
const coldGuarded = 'cold: item(code) under the page guard';
const lookup: Benchmark = {
  name: 'catalogue-lookup',
  title: `look up codes spread over a ${itemCount.toLocaleString('en')}-item catalogue: item(code) vs Map.get, ${lookupsPerRun.toLocaleString('en')} lookups a run (per lookup: divide by ${lookupsPerRun.toLocaleString('en')})`,
  baseline: {
    name: 'warm: Map.get',
    run: () => {
      for (const code of warmCodes) if (map.get(code) !== undefined) sink += 1;
    },
  },
  contenders: [
    { name: 'warm: item(code)', run: warm(() => catalogue) },
    { name: warmGuarded, run: warm(() => guarded) },
    { name: 'cold: item(code)', run: cold(() => catalogue) },
    { name: coldGuarded, run: cold(() => guarded) },
  ],
  check() {
    prepare();
    assert.equal(warmCodes.length, lookupsPerRun);
    assert.ok(coldCodes.length > 28_000);
    for (const store of [catalogue, guarded] as Catalogue[]) {
      for (const code of [...warmCodes, ...coldCodes]) {
        const { code: _code, name: _name, unit: _unit, list_price: _price, ...item } = map.get(code) as CatalogueRecord;
        assert.deepEqual(store.item(code), item);
      }
      for (const code of ['XZ00ZZA000A000000000000', '000000000000000', 'C0000000000000000000']) assert.equal(store.item(code), undefined);
    }
  },
  figures: () => ({ 'lookups per run': lookupsPerRun, 'codes in the cold cycle': coldCodes.length }),
  targets: [
    { contender: warmGuarded, nsPerOpMax: 200 * lookupsPerRun, note: 'warm lookup on spread codes, as the terminal serves it (page guard) ≤ 0.2 µs' },
    { contender: 'warm: item(code)', nsPerOpMax: 200 * lookupsPerRun, note: 'warm lookup on spread codes ≤ 0.2 µs' },
  ],
  teardown() {
    assert(sink >= 0);
  },
};

process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

export default [load, lookup];
