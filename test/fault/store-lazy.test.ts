// Proves the stored catalogue opens lazily and still never serves a wrong
// byte: boot reads the file's head (statement, page table) and the pages it
// touches, not the body (a small fraction of a 20,000-item file), and each
// later page is read from the file when first touched. Damage injected on
// disk after boot, in a page touched only after ready, is caught: every
// lookup and every settlement either gives what the undamaged catalogue
// gives or fails with store_damaged; the check of every page after ready
// (verifyAll) finds damage no lookup touched, the store says `fault` and
// serves the previous version, whole. A file truncated under a running store
// is damage too, and a file replaced by rename while the store serves keeps
// serving the file it opened, with no false alarm.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { nodeFileSystem, type FileSystem } from '../../src/catalogue/files';
import { Catalogue } from '../../src/catalogue/layout';
import { pageBytes, StoreDamagedError } from '../../src/catalogue/pages';
import { catalogueKind, SignedStore, type StoreFault } from '../../src/catalogue/store';
import { containerShape, readContainer } from '../../src/catalogue/update';
import { settle } from '../../src/core/settle';
import type { SettleOutput } from '../../src/core/types';
import { validateCaseWith } from '../../src/core/validate';
import { generateCatalogueRecords } from '../../device/sim/hub/catalogue-gen';
import { catalogueDelta, catalogueSnapshot, hubKeys, testLine } from '../helpers/catalogue';
import { workedCases } from '../helpers/cases';

const records = [...generateCatalogueRecords(20_000, 14)].sort((a, b) => (a.code < b.code ? -1 : 1));
const v1 = catalogueSnapshot('cat-v1', 1, records);
const base = new Catalogue(readContainer(v1).body.slice());
const changed = { ...(records[11] as (typeof records)[number]), list_price: 4_321 };
const v2 = catalogueDelta(base, 'cat-v2', 2, { added: [], changed: [changed], removed: [] });
const fileName = catalogueKind.fileName;

/** A worked case that settles several lines: the bill whose codes the tests replace. */
const template = workedCases().find((worked) => (worked.case.visit as { lines: unknown[] }).lines.length > 1)?.case as Record<string, unknown> & { visit: { lines: Array<{ code: string }> } };

function bill(codes: readonly string[]): Record<string, unknown> {
  const lines = codes.map((code, index) => ({ ...(template.visit.lines[index % template.visit.lines.length] as object), sn: String(index + 1), code }));
  return { ...template, catalogue: undefined, visit: { ...template.visit, lines } };
}

function settled(raw: Record<string, unknown>, catalogue: Catalogue): SettleOutput {
  const checked = validateCaseWith(raw, catalogue);
  assert.ok(checked.ok, 'the bill is valid');
  return settle(checked.value);
}

/** The real file system, counting the bytes it reads (through readers and whole-file reads). */
function countingFs(): FileSystem & { read: number } {
  const fs = {
    ...nodeFileSystem,
    read: 0,
    openRead(file: string) {
      const reader = nodeFileSystem.openRead(file);
      return {
        readAt: (position: number, into: Uint8Array) => {
          const count = reader.readAt(position, into);
          fs.read += count;
          return count;
        },
        close: () => reader.close(),
      };
    },
  };
  return fs;
}

/** A store at v2 (v1 kept as the previous version) in a fresh directory, then booted again as the terminal boots. */
function withBootedStore(run: (dir: string, store: SignedStore<Catalogue>, fs: ReturnType<typeof countingFs>) => void): void {
  const dir = mkdtempSync(path.join(tmpdir(), 'store-lazy-'));
  try {
    const setup = SignedStore.open(catalogueKind, { dir, hubKeys, line: testLine });
    assert.ok(setup.apply(v1).ok && setup.apply(v2).ok);
    const fs = countingFs();
    run(dir, SignedStore.open(catalogueKind, { dir, hubKeys, line: testLine, fs }), fs);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Flips a byte of the body page `page` of the stored file, in place (the same file the store has open). */
function damagePage(file: string, page: number): void {
  const bytes = readFileSync(file);
  const at = containerShape(bytes).bodyAt + page * pageBytes + 100;
  bytes[at] = (bytes[at] as number) ^ 0x40;
  writeFileSync(file, bytes);
}

test('boot reads the head and the pages it touches, not the body; the rest is read as it is touched', () => {
  withBootedStore((dir, store, fs) => {
    const size = readFileSync(path.join(dir, fileName)).length;
    assert.is(store.version, 'cat-v2');
    assert.ok(fs.read < size / 20, `boot read ${fs.read} of ${size} bytes`);
    const atBoot = fs.read;
    const catalogue = store.current?.value as Catalogue;
    assert.equal(catalogue.record(changed.code), changed);
    assert.ok(fs.read > atBoot && fs.read <= atBoot + 8 * pageBytes, `a record's lookup reads its few pages only (${fs.read - atBoot} bytes)`);
    assert.ok(store.verifyAll());
    assert.ok(fs.read >= size - atBoot, 'the check after ready reads the rest');
  });
});

test('damage on disk in a page touched only after ready: no lookup or settlement is wrong, store_damaged instead; the fault is told', () => {
  withBootedStore((dir, store) => {
    const faults: StoreFault[] = [];
    store.on('fault', (fault) => faults.push(fault));
    const catalogue = store.current?.value as Catalogue;
    const reference = new Catalogue(readContainer(readFileSync(path.join(dir, fileName))).body.slice());
    // Settle one bill before the damage: its pages are checked.
    const early = records.slice(0, 3).map((record) => record.code);
    assert.equal(settled(bill(early), catalogue), settled(bill(early), reference));
    // A page nothing has touched yet, in the middle of the file: damage it.
    const guard = store.current?.guard;
    const untouched = Array.from(guard?.state ?? []).findIndex((state, page) => state === 0 && page > (guard?.pages ?? 0) / 3);
    assert.ok(untouched > 0);
    damagePage(path.join(dir, fileName), untouched);
    assert.equal(settled(bill(early), catalogue), settled(bill(early), reference), 'pages checked before the damage still serve');
    // Every code, a bill of ten at a time: each settlement is the undamaged one, or store_damaged.
    let refused = 0;
    for (let at = 0; at < records.length; at += 10) {
      const codes = records.slice(at, at + 10).map((record) => record.code);
      const expected = settled(bill(codes), reference);
      try {
        assert.equal(settled(bill(codes), catalogue), expected);
      } catch (error) {
        if (!(error instanceof StoreDamagedError)) throw error;
        assert.is(error.code, 'store_damaged');
        refused += 1;
      }
    }
    assert.ok(refused >= 1, 'the bills that read the damaged page are refused');
    assert.is(faults.length, 1, 'told once');
    assert.match(faults[0]?.why ?? '', new RegExp(`page ${untouched} `));
    assert.is(store.version, 'cat-v1', 'the store serves the previous version, checked whole');
  });
});

test('damage in a page no lookup touches is found by the check of every page after ready', () => {
  withBootedStore((dir, store) => {
    const faults: StoreFault[] = [];
    store.on('fault', (fault) => faults.push(fault));
    const pages = store.current?.guard.pages ?? 0;
    damagePage(path.join(dir, fileName), pages - 2);
    assert.is(store.version, 'cat-v2', 'ready: the damage is not read yet');
    assert.not.ok(store.verifyAll());
    assert.is(faults.length, 1);
    assert.is(store.version, 'cat-v1');
    const catalogue = store.current?.value as Catalogue;
    assert.equal(catalogue.record(changed.code), records[11], 'v1 serves, whole');
    assert.ok(store.verifyAll());
  });
});

test('a file truncated under the running store is damage; a file replaced by rename keeps serving the one opened', () => {
  withBootedStore((dir, store) => {
    truncateSync(path.join(dir, fileName), 4_096);
    assert.not.ok(store.verifyAll());
    assert.is(store.version, 'cat-v1');
  });
  withBootedStore((dir, store) => {
    const file = path.join(dir, fileName);
    const other = path.join(dir, 'other');
    writeFileSync(other, readFileSync(`${file}.prev`));
    nodeFileSystem.rename(other, file);
    assert.ok(store.verifyAll(), 'the pages are read from the file the store opened');
    assert.is(store.version, 'cat-v2');
    assert.equal((store.current?.value as Catalogue).record(changed.code), changed);
  });
});

test.run();
