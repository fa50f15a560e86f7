// The catalogue at 200,000 and 1,000,000 items (docs/design.md, budgets:
// open ≤ 50 ms whatever the size, ≤ 40 MiB heap, lookup ≤ 0.2 µs warm).
// Two benchmarks, each checked before it is timed:
// - load: a whole fresh Node.js process that opens the terminal's signed
//   store (SignedStore, as boot does: statement, page table, pages read as
//   touched) and exits once it is ready, against `node -e 0` in the same
//   run; the probe is the store's modules bundled and minified as the
//   firmware bundles them. Both sides run in a device's environment (PATH
//   only: an inherited NODE_EXTRA_CA_CERTS, which this machine's shells set,
//   costs every Node.js process a parse of that bundle at start). The issue
//   asks for "≤ 50 ms to ready in a fresh process": no process is ready in
//   50 ms on this machine (`node -e 0` alone takes 40 ms quiet and several
//   hundred loaded), so the absolute whole-process targets are printed for
//   what they are, and two figures read the wording as the open's cost:
//   the open alone inside that fresh process, and the whole process's time
//   beyond `node -e 0` spawned in the same round (median of 11 rounds), each
//   judged ≤ 50 ms at 1,000,000 items. The heap of the open is a figure;
// - lookup: the store's item(code) against Map.get on the same codes, on
//   codes spread over the whole catalogue: warm (the same 1,000 codes, every
//   200th, looked up again and again, as a bill's lines are) and cold (each
//   lookup a code not seen for 28,000 lookups), plain and under the page
//   guard the terminal's store reads through (every page already checked:
//   the cost of the check on each read). Each run is 1,000 lookups. The
//   codes looked up are flat strings, as a terminal's decoder gives it a
//   bill's codes (the generator builds its codes by concatenation, which V8
//   keeps as cons strings: each character read then costs an indirection no
//   decoded code has).
import assert from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as esbuild from 'esbuild';
import { keyring } from '../protocol/crypto';
import { nodeCryptoProvider } from '../protocol/crypto-node';
import { buildCatalogue } from '../src/catalogue/build';
import { Catalogue, type CatalogueRecord } from '../src/catalogue/layout';
import { contentDigest, PageGuard } from '../src/catalogue/pages';
import { catalogueKind, SignedStore } from '../src/catalogue/store';
import { signUpdate } from '../src/catalogue/update';
import { generateCatalogueRecords } from '../device/sim/hub/catalogue-gen';
import { testLine } from '../test/helpers/catalogue';
import type { Benchmark } from './harness';

const itemCount = 200_000;
const dir = mkdtempSync(path.join(tmpdir(), 'catalogue-bench-'));
const binaryFile = path.join(dir, 'catalogue.cat');
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
  catalogue = new Catalogue(readFileSync(binaryFile));
  const body = new Uint8Array(readFileSync(binaryFile));
  const guard = new PageGuard(body, contentDigest(body).table, { label: 'bench' });
  assert.ok(guard.verifyAll());
  guarded = new Catalogue(body, guard);
  map = new Map(records.map((record) => [record.code, record]));
  const decoded = (codes: string[]) => JSON.parse(JSON.stringify(codes)) as string[];
  warmCodes = decoded(records.filter((_, index) => index % (itemCount / lookupsPerRun) === 0).map((record) => record.code));
  coldCodes = decoded(records.filter((_, index) => index % 7 === 0).map((record) => record.code));
}

/** What the probe process runs: open the store in `argv[2]` (hub key `argv[3]`, line `argv[4]`) and exit once ready, saying how long the open took. */
const probeSource = `
import { nodeCryptoProvider } from './protocol/crypto-node';
import { keyring } from './protocol/crypto';
import { catalogueKind, SignedStore } from './src/catalogue/store';
const heapBefore = process.memoryUsage().heapUsed;
const started = process.hrtime.bigint();
const store = SignedStore.open(catalogueKind, { dir: process.argv[2], hubKeys: keyring([nodeCryptoProvider.verifier(Buffer.from(process.argv[3], 'hex'))]), line: process.argv[4] });
const openMs = Number(process.hrtime.bigint() - started) / 1e6;
if (store.current === null || store.bootProblem !== null) throw new Error('the store does not serve: ' + store.bootProblem);
process.stdout.write(JSON.stringify({ version: store.version, count: store.current.value.count, openMs, heapMiB: (process.memoryUsage().heapUsed - heapBefore) / 1048576 }));
`;
const probeFile = path.join(dir, 'open-probe.js');
const sizes = [200_000, 1_000_000] as const;
const storeDir = (count: number) => path.join(dir, `store-${count}`);
const hubSigner = nodeCryptoProvider.signer(new Uint8Array(32).fill(7));

interface ProbeReport {
  readonly version: string;
  readonly count: number;
  readonly openMs: number;
  readonly heapMiB: number;
}

/** A device's environment as far as Node.js cares: PATH, nothing inherited from this shell. */
const deviceEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin' };

function openInFreshProcess(count: number): ProbeReport {
  const child = spawnSync(process.execPath, [probeFile, storeDir(count), Buffer.from(hubSigner.publicKey).toString('hex'), testLine], { encoding: 'utf8', env: deviceEnv });
  assert.equal(child.status, 0, child.stderr);
  return JSON.parse(child.stdout) as ProbeReport;
}

const freshName = (count: number) => `fresh process: open the ${count.toLocaleString('en')}-item store, exit at ready`;

function nodeE0(): void {
  assert.equal(spawnSync(process.execPath, ['-e', '0'], { env: deviceEnv }).status, 0);
}

/** ms of a call, wall time. */
function wallMs(run: () => unknown): number {
  const started = process.hrtime.bigint();
  run();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

const beyondFigure = (count: number) => `${count} items: the whole process beyond node -e 0 of the same round, ms (median of 11)`;

const load: Benchmark = {
  name: 'catalogue-load',
  title: `a fresh process that opens the terminal's signed catalogue store and exits once ready, at ${sizes.map((count) => count.toLocaleString('en')).join(' and ')} items, vs node -e 0`,
  baseline: { name: 'node -e 0', run: nodeE0 },
  contenders: sizes.map((count) => ({ name: freshName(count), run: () => openInFreshProcess(count) })),
  async check() {
    const built = await esbuild.build({ stdin: { contents: probeSource, resolveDir: process.cwd(), loader: 'ts' }, bundle: true, platform: 'node', format: 'cjs', target: 'node20', minify: true, outfile: probeFile, packages: 'external', logLevel: 'silent' });
    assert.equal(built.errors.length, 0);
    for (const count of sizes) {
      const version = `bench-${count}`;
      mkdirSync(storeDir(count));
      const body = buildCatalogue(version, generateCatalogueRecords(count, 20_261_123));
      const snapshot = signUpdate(hubSigner, { kind: 'catalogue', mode: 'snapshot', serial: 1, line: testLine, fromVersion: null, toVersion: version, resultDigest: contentDigest(body).digest }, body);
      const applied = SignedStore.open(catalogueKind, { dir: storeDir(count), hubKeys: keyring([nodeCryptoProvider.verifier(hubSigner.publicKey)]), line: testLine }).apply(snapshot);
      assert.ok(applied.ok, applied.ok ? '' : applied.error.message);
      const report = openInFreshProcess(count);
      assert.deepEqual([report.version, report.count], [version, count]);
    }
  },
  figures() {
    const figures: Record<string, number> = {};
    for (const count of sizes) {
      const runs = [1, 2, 3, 4, 5].map(() => openInFreshProcess(count)).sort((a, b) => a.openMs - b.openMs);
      const middle = runs[2] as ProbeReport;
      figures[`${count} items: file MiB`] = Math.round((statSync(path.join(storeDir(count), catalogueKind.fileName)).size / 1_048_576) * 10) / 10;
      figures[`${count} items: the open alone in the fresh process, ms (median of 5)`] = Math.round(middle.openMs * 10) / 10;
      figures[`${count} items: heap growth of the open, MiB`] = Math.round(middle.heapMiB * 100) / 100;
      const beyond = Array.from({ length: 11 }, () => wallMs(() => openInFreshProcess(count)) - wallMs(nodeE0)).sort((a, b) => a - b);
      figures[beyondFigure(count)] = Math.round((beyond[5] as number) * 10) / 10;
    }
    return figures;
  },
  targets: [
    { contender: freshName(1_000_000), nsPerOpMax: 50_000_000, note: 'a fresh process is ready with the 1,000,000-item store ≤ 50 ms' },
    { contender: freshName(200_000), nsPerOpMax: 50_000_000, note: 'a fresh process is ready with the 200,000-item store ≤ 50 ms' },
    { contender: freshName(1_000_000), figure: '1000000 items: the open alone in the fresh process, ms (median of 5)', figureMax: 50, note: 'the open alone ≤ 50 ms at 1,000,000 items' },
    { contender: freshName(1_000_000), figure: beyondFigure(1_000_000), figureMax: 50, note: 'a fresh process with the 1,000,000-item store is ready ≤ 50 ms beyond node -e 0' },
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
