// What an update of a 200,000-item catalogue costs (issue 18: updates cost in
// proportion to their size). Two benchmarks, each checked before it is timed:
// - catalogue-delta: a 100-item delta applied by the store, the whole path
//   (the store's lock, the held file checked in memory and compared with the
//   disk, the delta built from the held arrays, its page table, the durable
//   write), against the floor of any update: writing the same file durably.
//   Target ≤ 0.3 s. The figures add the same apply in a fresh process (cold
//   code, as a kiosk meets it once) and the old way, a rebuild from records.
// - catalogue-snapshot: a 200,000-item snapshot applied by the store, against
//   the same floor; the figure that counts is memory: in a fresh process
//   whose store serves the previous version (checked whole), the peak
//   resident memory while the snapshot is read and applied, above that
//   resting process. Target ≤ 40 MiB.
// - catalogue-verify: the two ways to serve only bytes the hub signed,
//   measured (the choice of pages.ts): the whole body's SHA-256 before ready
//   (the baseline) against what boot does instead (the statement's
//   signature, the page table's digest, the header's pages), a settlement's
//   first reads (20 cold lookups, each page hashed when first touched), and
//   the check of every page after ready; the figures repeat them at
//   1,000,000 items in a fresh process.
// Checked first: the delta's result is byte for byte the catalogue built
// from the merged records, and the snapshot's the one signed; each store
// serves the new version, verifies whole, and keeps v1 as the previous one;
// a catalogue opened under its page guard reads the same records as one
// opened plain.
import assert from 'node:assert';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateCatalogueRecords } from '../device/sim/hub/catalogue-gen';
import { buildCatalogue } from '../src/catalogue/build';
import { applyDelta, decodeDelta } from '../src/catalogue/delta';
import { nodeFileSystem, replaceDurably, versionedPaths } from '../src/catalogue/files';
import { Catalogue, type CatalogueRecord } from '../src/catalogue/layout';
import { catalogueKind, SignedStore } from '../src/catalogue/store';
import { contentDigest, type PageGuard } from '../src/catalogue/pages';
import { containerParts, guardStored, readContainer, verifyContainer } from '../src/catalogue/update';
import { createHash } from 'node:crypto';
import { catalogueDelta, catalogueSnapshot, hubKeys, testLine } from '../test/helpers/catalogue';
import type { Benchmark } from './harness';

const itemCount = 200_000;
const deltaItems = 100;
const dir = mkdtempSync(path.join(tmpdir(), 'catalogue-update-bench-'));
const pristine = path.join(dir, 'pristine');
const updates = { delta: path.join(dir, 'delta.upd'), snapshot: path.join(dir, 'snapshot.upd') };
let merged: CatalogueRecord[] = [];
let prepared = false;

/** A store at v1 (200,000 items) kept aside, a 100-item delta to v2, a snapshot of another v2. */
function prepare(): void {
  if (prepared) return;
  prepared = true;
  const records = [...generateCatalogueRecords(itemCount, 20_261_205)];
  const v1 = catalogueSnapshot('bench-v1', 1, records);
  mkdirSync(pristine, { recursive: true });
  const applied = SignedStore.open(catalogueKind, { dir: pristine, hubKeys, line: testLine }).apply(v1);
  assert.ok(applied.ok, 'the store takes v1');
  const changed = records.filter((_, index) => index % Math.floor(itemCount / deltaItems) === 7).slice(0, deltaItems).map((record) => ({ ...record, list_price: record.list_price + 11, cap: record.cap === null ? null : record.cap + 1 }));
  assert.equal(changed.length, deltaItems);
  const byCode = new Map(records.map((record) => [record.code, record]));
  for (const record of changed) byCode.set(record.code, record);
  merged = [...byCode.values()];
  writeFileSync(updates.delta, catalogueDelta(new Catalogue(readContainer(v1).body.slice()), 'bench-v2', 2, { added: [], changed, removed: [] }));
  writeFileSync(updates.snapshot, catalogueSnapshot('bench-v2s', 2, merged));
}

/** A store at v1 in a fresh directory (a copy of the one kept aside). */
function storeAtV1(): { readonly at: string; readonly store: SignedStore<Catalogue> } {
  const at = mkdtempSync(path.join(dir, 'store-'));
  for (const name of [catalogueKind.fileName]) copyFileSync(path.join(pristine, name), path.join(at, name));
  return { at, store: SignedStore.open(catalogueKind, { dir: at, hubKeys, line: testLine }) };
}

/** Applies an update to a fresh store at v1 and returns the nanoseconds of the apply alone (the store's boot is not counted). */
function timedApply(update: Uint8Array): number {
  const { at, store } = storeAtV1();
  try {
    const started = process.hrtime.bigint();
    const applied = store.apply(update);
    const ns = Number(process.hrtime.bigint() - started);
    assert.ok(applied.ok, applied.ok ? '' : applied.error.message);
    return ns;
  } finally {
    rmSync(at, { recursive: true, force: true });
  }
}

/** The floor of any update of this file: its bytes written durably beside the current one, renamed over it, the directory synced. */
function timedWriteFloor(): number {
  const at = mkdtempSync(path.join(dir, 'floor-'));
  try {
    const stored = readContainer(readFileSync(path.join(pristine, catalogueKind.fileName)));
    const parts = containerParts(stored.statementBytes, stored.table, stored.body);
    const started = process.hrtime.bigint();
    replaceDurably(nodeFileSystem, versionedPaths(at, catalogueKind.fileName), parts, { keepCurrent: false, owner: 'bench.0.0.0' });
    return Number(process.hrtime.bigint() - started);
  } finally {
    rmSync(at, { recursive: true, force: true });
  }
}

/** Checks an applied store: the new version serves, verifies whole, its body is `expected`, and v1 is the previous version. */
function checkApplied(update: Uint8Array, version: string, expected: Uint8Array): void {
  const { at, store } = storeAtV1();
  try {
    const applied = store.apply(update);
    assert.ok(applied.ok, applied.ok ? '' : applied.error.message);
    const rebooted = SignedStore.open(catalogueKind, { dir: at, hubKeys, line: testLine });
    assert.equal(rebooted.version, version);
    assert.ok(rebooted.verifyAll());
    assert.ok(Buffer.from(readContainer(readFileSync(path.join(at, catalogueKind.fileName))).body).equals(Buffer.from(expected)), 'the stored body is the expected catalogue, byte for byte');
    assert.ok(new TextDecoder().decode(readContainer(readFileSync(path.join(at, `${catalogueKind.fileName}.prev`))).statementBytes).includes('bench-v1'));
  } finally {
    rmSync(at, { recursive: true, force: true });
  }
}

/** Run in a child process: one apply, cold, as a kiosk meets it; prints its time and the peak memory above the resting process. */
export function probe(): void {
  const at = process.env.STORE_DIR as string;
  const store = SignedStore.open(catalogueKind, { dir: at, hubKeys, line: testLine });
  assert.ok(store.verifyAll());
  (globalThis as { gc?: () => void }).gc?.();
  const status = () => readFileSync('/proc/self/status', 'utf8');
  const kib = (field: string) => Number((new RegExp(`${field}:\\s+([0-9]+) kB`).exec(status()) as RegExpExecArray)[1]);
  const restKiB = kib('VmRSS');
  // Resets the peak to the present (Linux: VmHWM), so what follows is the apply's own peak.
  writeFileSync('/proc/self/clear_refs', '5');
  const started = process.hrtime.bigint();
  const applied = store.apply(readFileSync(process.env.UPDATE_FILE as string));
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  assert.ok(applied.ok);
  process.stdout.write(JSON.stringify({ ms, restMiB: restKiB / 1_024, peakAboveRestMiB: (kib('VmHWM') - restKiB) / 1_024 }));
}

function freshProcess(update: string): { ms: number; restMiB: number; peakAboveRestMiB: number } {
  const runs = [1, 2, 3].map(() => {
    const { at } = storeAtV1();
    try {
      const child = spawnSync(process.execPath, ['--expose-gc', '-e', `require(${JSON.stringify(__filename)}).probe()`], { encoding: 'utf8', env: { ...process.env, STORE_DIR: at, UPDATE_FILE: update } });
      assert.equal(child.status, 0, child.stderr);
      return JSON.parse(child.stdout) as { ms: number; restMiB: number; peakAboveRestMiB: number };
    } finally {
      rmSync(at, { recursive: true, force: true });
    }
  });
  return [...runs].sort((a, b) => a.ms - b.ms)[1] as (typeof runs)[number];
}

const round = (value: number, places = 1) => Math.round(value * 10 ** places) / 10 ** places;
const floor = { name: 'write the file durably (the floor of any update)', selfTimed: true, run: timedWriteFloor };

const delta: Benchmark = {
  name: 'catalogue-delta',
  title: `apply a ${deltaItems}-item delta to a ${itemCount.toLocaleString('en')}-item stored catalogue vs writing that file durably`,
  baseline: floor,
  contenders: [{ name: `store.apply(${deltaItems}-item delta)`, selfTimed: true, run: () => timedApply(readFileSync(updates.delta)) }],
  check() {
    prepare();
    checkApplied(readFileSync(updates.delta), 'bench-v2', buildCatalogue('bench-v2', merged));
  },
  figures() {
    const cold = freshProcess(updates.delta);
    const v1 = new Catalogue(readContainer(readFileSync(path.join(pristine, catalogueKind.fileName))).body.slice());
    const body = decodeDelta(readContainer(readFileSync(updates.delta)).body);
    let started = process.hrtime.bigint();
    const rebuilt = buildCatalogue('bench-v2', merged);
    const rebuildMs = Number(process.hrtime.bigint() - started) / 1e6;
    started = process.hrtime.bigint();
    const incremental = applyDelta(v1, body, 'bench-v2');
    const incrementalMs = Number(process.hrtime.bigint() - started) / 1e6;
    assert.ok(Buffer.from(incremental).equals(Buffer.from(rebuilt)));
    return {
      'fresh-process apply ms (cold code, median of 3)': round(cold.ms),
      'the build alone: from the held arrays ms': round(incrementalMs),
      'the build alone: rebuilt from records ms (how a delta was built before)': round(rebuildMs),
    };
  },
  targets: [{ contender: `store.apply(${deltaItems}-item delta)`, nsPerOpMax: 300_000_000, note: `a ${deltaItems}-item delta at ${itemCount.toLocaleString('en')} items ≤ 0.3 s` }],
};

const snapshot: Benchmark = {
  name: 'catalogue-snapshot',
  title: `apply a ${itemCount.toLocaleString('en')}-item snapshot to a stored catalogue vs writing that file durably; peak memory in a fresh process`,
  baseline: floor,
  contenders: [{ name: 'store.apply(snapshot)', selfTimed: true, run: () => timedApply(readFileSync(updates.snapshot)) }],
  check() {
    prepare();
    checkApplied(readFileSync(updates.snapshot), 'bench-v2s', buildCatalogue('bench-v2s', merged));
  },
  figures() {
    const cold = freshProcess(updates.snapshot);
    return {
      'fresh-process apply ms (median of 3)': round(cold.ms),
      'fresh-process resting RSS MiB (v1 served, checked whole)': round(cold.restMiB),
      'fresh-process peak RSS above rest MiB': round(cold.peakAboveRestMiB),
    };
  },
  targets: [{ contender: 'store.apply(snapshot)', figure: 'fresh-process peak RSS above rest MiB', figureMax: 40, note: 'a snapshot peaks ≤ 40 MiB above the resting process' }],
};

let stored: Uint8Array = new Uint8Array(0);
let coldCodes: string[] = [];

/** Opens the stored file as boot does: statement signature, page-table digest, the value over the body under a fresh guard. */
function openGuarded(bytes: Uint8Array): { readonly catalogue: Catalogue; readonly guard: PageGuard } {
  const verified = verifyContainer(bytes, 'catalogue', hubKeys);
  const guard = guardStored(verified, { label: 'bench' });
  return { catalogue: new Catalogue(verified.body, guard), guard };
}

/** The file a store keeps for a snapshot of `items` generated items (its statement, the body's page table, the body), and 20 of its codes. */
function storedFileOf(items: number): { readonly bytes: Uint8Array; readonly codes: string[] } {
  const records = [...generateCatalogueRecords(items, 99)];
  const snapshot = catalogueSnapshot('probe', 1, records);
  const { statementBytes, body } = readContainer(snapshot);
  return { bytes: Buffer.concat(containerParts(statementBytes, contentDigest(body).table, body)), codes: records.filter((_, index) => index % Math.floor(items / 20) === 3).map((record) => record.code) };
}

/** Run in a child process: the three checks at `ITEMS` items, as a fresh process meets them (the generated records freed first). */
export function verifyProbe(): void {
  const { bytes, codes } = storedFileOf(Number(process.env.ITEMS));
  (globalThis as { gc?: () => void }).gc?.();
  const time = (work: () => unknown) => {
    const started = process.hrtime.bigint();
    work();
    return Number(process.hrtime.bigint() - started) / 1e6;
  };
  const wholeMs = time(() => createHash('sha256').update(readContainer(bytes).body).digest());
  let opened: ReturnType<typeof openGuarded> | null = null;
  const openMs = time(() => (opened = openGuarded(bytes)));
  const held = opened as unknown as ReturnType<typeof openGuarded>;
  const firstReadsMs = time(() => codes.forEach((code) => assert.ok(held.catalogue.item(code))));
  const allMs = time(() => assert.ok(held.guard.verifyAll()));
  process.stdout.write(JSON.stringify({ fileMiB: bytes.length / 1_048_576, wholeMs, openMs, firstReadsMs, allMs }));
}

const verify: Benchmark = {
  name: 'catalogue-verify',
  title: `serve only signed bytes of a ${itemCount.toLocaleString('en')}-item catalogue: the whole body's digest before ready vs page hashes`,
  baseline: { name: "SHA-256 of the whole body (a check before ready)", run: () => createHash('sha256').update(readContainer(stored).body).digest() },
  contenders: [
    { name: 'open under the page guard (what boot does)', run: () => openGuarded(stored) },
    {
      name: 'open + a settlement\'s first reads (20 cold lookups)',
      run: () => {
        const { catalogue } = openGuarded(stored);
        for (const code of coldCodes) if (catalogue.item(code) === undefined) throw new Error(code);
      },
    },
    { name: 'open + every page checked (after ready)', run: () => openGuarded(stored).guard.verifyAll() },
  ],
  check() {
    prepare();
    stored = readFileSync(path.join(pristine, catalogueKind.fileName));
    coldCodes = merged.filter((_, index) => index % 10_000 === 3).map((record) => record.code);
    assert.equal(coldCodes.length, 20);
    const { catalogue, guard } = openGuarded(stored);
    const plain = new Catalogue(readContainer(stored).body.slice());
    for (const code of coldCodes) assert.deepEqual(catalogue.record(code), plain.record(code));
    assert.ok(guard.verifyAll());
  },
  figures() {
    const child = spawnSync(process.execPath, ['--expose-gc', '-e', `require(${JSON.stringify(__filename)}).verifyProbe()`], { encoding: 'utf8', env: { ...process.env, ITEMS: '1000000' }, maxBuffer: 1 << 20 });
    assert.equal(child.status, 0, child.stderr);
    const at1m = JSON.parse(child.stdout) as { fileMiB: number; wholeMs: number; openMs: number; firstReadsMs: number; allMs: number };
    return {
      '1,000,000 items, fresh process: file MiB': round(at1m.fileMiB),
      '1,000,000 items: whole-body SHA-256 ms': round(at1m.wholeMs),
      '1,000,000 items: open under the page guard ms': round(at1m.openMs, 2),
      '1,000,000 items: 20 first reads ms': round(at1m.firstReadsMs, 2),
      '1,000,000 items: every page checked ms': round(at1m.allMs),
    };
  },
};

process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

export default [delta, snapshot, verify];
