// Proves no damaged byte of a stored catalogue or policy book ever reaches a
// lookup or a settlement. For every part of both stored files (the
// statement, the page table, and each section of the body: the catalogue's
// header, metadata, hash table, records, name index, name offsets and name
// blob; the policy book's header, areas, text offsets and policy texts), a
// byte is flipped in the current version (v2, over a previous v1) and the
// store is booted again; then every code is looked up and every worked case
// settled with the stores. Each time: every value read equals the value of a
// clean copy of the version that served it, or the read failed with
// store_damaged; the damage was found (at boot, or at the first read of its
// page, or by the check of every page after ready); the store fell back to
// v1, checked whole, and says it has a fault; a snapshot then heals it, and
// the damaged v2 never becomes the previous version. Also: damage that no
// read met is found by the next update, and a disk copy that rots after boot
// is found by it too; both leave v1 as the previous version. And the field
// engineer's `catalogue lookup` and `inspect` on a damaged stored file answer
// nothing from it (exit 1 with the code), with or without the hub's key.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateCatalogueRecords } from '../../device/sim/hub/catalogue-gen';
import { Catalogue, type CatalogueRecord } from '../../src/catalogue/layout';
import { StoreDamagedError } from '../../src/catalogue/pages';
import { PolicyBook, buildPolicyBook, type PolicyEntry } from '../../src/catalogue/policy-book';
import { settleLocally } from '../../src/catalogue/settle-local';
import { catalogueKind, isStoreFault, policyBookKind, SignedStore } from '../../src/catalogue/store';
import { readContainer } from '../../src/catalogue/update';
import { casePolicies, caseRecords, catalogueDelta, catalogueSnapshot, hubKeys, policySnapshot, storedParts, testLine } from '../helpers/catalogue';
import { workedCases } from '../helpers/cases';
import { runTerminal } from '../helpers/cli';

const v1Records: CatalogueRecord[] = [...caseRecords(), ...generateCatalogueRecords(3_000, 17)];
// v2 changes every price ceiling of the worked cases' items, so a settlement on v1 and one on v2 differ.
const v2Changed = caseRecords().map((record) => ({ ...record, cap: record.cap === null ? 100_000 : Math.max(0, record.cap - 1) }));
const v2Records = [...v2Changed, ...v1Records.slice(caseRecords().length)];
const v1Snapshot = catalogueSnapshot('cat-v1', 1, v1Records);
const cleanV1 = new Catalogue(readContainer(v1Snapshot).body.slice());
const v2Delta = catalogueDelta(cleanV1, 'cat-v2', 2, { added: [], changed: v2Changed, removed: [] });
const v3Snapshot = catalogueSnapshot('cat-v3', 3, v2Records.slice(0, 2_000));
const cleanCatalogues = new Map<string, Catalogue>([
  ['cat-v1', cleanV1],
  ['cat-v2', new Catalogue(readContainer(catalogueSnapshot('cat-v2', 2, v2Records)).body.slice())],
]);
const strangers = ['XN01BBA064B002010178765', '000000000000000', 'NOT-A-CODE', ''];
const allCodes = [...new Set([...v1Records, ...v2Records].map((record) => record.code)), ...strangers];

const policies1 = casePolicies();
// pol-2 lowers every band's ratio of every policy by one per cent (9000 → 8900 basis points).
const policies2: PolicyEntry[] = policies1.map((entry) => ({ ...entry, text: entry.text.replace(/"([123])":([0-9]{4})([,}])/g, (_, level: string, bp: string, end: string) => `"${level}":${Number(bp) - 100}${end}`) }));
const cleanBooks = new Map<string, PolicyBook>([
  ['pol-1', new PolicyBook(buildPolicyBook('pol-1', policies1))],
  ['pol-2', new PolicyBook(buildPolicyBook('pol-2', policies2))],
]);

const cases = workedCases().map((worked) => {
  const { catalogue: _catalogue, policy: _policy, ...rest } = worked.case as Record<string, unknown>;
  return rest;
});

function withDir(run: (dir: string) => void): void {
  const dir = mkdtempSync(path.join(tmpdir(), 'store-damage-'));
  try {
    run(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const open = {
  catalogue: (dir: string) => SignedStore.open(catalogueKind, { dir, hubKeys, line: testLine }),
  policy: (dir: string) => SignedStore.open(policyBookKind, { dir, hubKeys, line: '' }),
};

/** Both stores at v2 over v1. */
function setUp(dir: string): void {
  const catalogue = open.catalogue(dir);
  const book = open.policy(dir);
  for (const [store, update] of [
    [catalogue, v1Snapshot],
    [catalogue, v2Delta],
    [book, policySnapshot('pol-1', 1, policies1)],
    [book, policySnapshot('pol-2', 2, policies2)],
  ] as const) {
    const applied = (store as SignedStore<unknown>).apply(update);
    assert.ok(applied.ok, applied.ok ? '' : applied.error.message);
  }
}

/** Flips one bit in the middle of a part of a stored file. */
function damage(file: string, part: string): void {
  const bytes = readFileSync(file);
  const [start, end] = storedParts(bytes)[part] as readonly [number, number];
  assert.ok(end > start, `${part} is not empty`);
  const at = start + ((end - start) >> 1);
  bytes[at] = (bytes[at] as number) ^ 0x10;
  writeFileSync(file, bytes);
}

/** Reads everything a terminal reads: every code, every worked case settled. Returns the reads that failed with store_damaged. */
function readEverything(catalogue: SignedStore<Catalogue>, book: SignedStore<PolicyBook>): number {
  let refused = 0;
  const attempt = (read: () => void) => {
    try {
      read();
    } catch (error) {
      if (!(error instanceof StoreDamagedError)) throw error;
      refused += 1;
    }
  };
  for (const code of allCodes) {
    attempt(() => {
      const value = catalogue.current?.value;
      if (value === undefined) return;
      assert.equal(value.record(code), (cleanCatalogues.get(value.version) as Catalogue).record(code), `${code} in ${value.version}`);
    });
  }
  for (const raw of cases) {
    attempt(() => {
      const [items, policies] = [catalogue.current?.value, book.current?.value];
      if (items === undefined || policies === undefined) return;
      const settled = settleLocally(raw, items, policies);
      const clean = settleLocally(raw, cleanCatalogues.get(items.version) as Catalogue, cleanBooks.get(policies.version) as PolicyBook);
      assert.equal(settled, clean, `a case on ${items.version} and ${policies.version}`);
    });
  }
  return refused;
}

test('the fixture: v1 and v2 settle the worked cases differently, so a value of the wrong version would show', () => {
  const differ = (catalogue: string, book: string) =>
    cases.filter((raw) => JSON.stringify(settleLocally(raw, cleanCatalogues.get('cat-v1') as Catalogue, cleanBooks.get('pol-1') as PolicyBook).output) !== JSON.stringify(settleLocally(raw, cleanCatalogues.get(catalogue) as Catalogue, cleanBooks.get(book) as PolicyBook).output)).length;
  assert.ok(differ('cat-v2', 'pol-1') > 0, 'the catalogues');
  assert.ok(differ('cat-v1', 'pol-2') > 0, 'the policy books');
});

const catalogueParts = ['statement', 'page table', 'header', 'meta', 'hash table', 'records', 'name index', 'name offsets', 'name blob'];
const policyParts = ['statement', 'page table', 'header', 'areas', 'text offsets', 'policy texts'];

for (const [kind, parts] of [
  ['catalogue', catalogueParts],
  ['policy book', policyParts],
] as const) {
  for (const part of parts) {
    test(`${kind}, a bit flipped in its ${part}: never a wrong value; found; v1 serves; a snapshot heals it and v2 never becomes the previous version`, () => {
      withDir((dir) => {
        setUp(dir);
        const file = path.join(dir, kind === 'catalogue' ? catalogueKind.fileName : policyBookKind.fileName);
        damage(file, part);
        const catalogue = open.catalogue(dir);
        const book = open.policy(dir);
        const store: SignedStore<unknown> = kind === 'catalogue' ? catalogue : book;
        const foundAtBoot = store.bootProblem !== null;
        const refused = readEverything(catalogue, book);
        // The check of every page once the terminal is ready finds what no read met.
        store.verifyAll();
        assert.ok(foundAtBoot || refused > 0 || store.fault !== null, 'the damage was found');
        assert.ok(store.fault !== null, 'the store says it has a fault (the terminal tells the hub and fetches a snapshot)');
        assert.is(store.version, kind === 'catalogue' ? 'cat-v1' : 'pol-1', 'the previous version serves');
        assert.ok(store.verifyAll(), 'and it is whole');
        assert.is(readEverything(catalogue, book), 0, 'nothing refused once v1 serves');
        if (!foundAtBoot) assert.ok(existsSync(`${file}.damaged`), 'the damaged file was moved aside');
        const heal = kind === 'catalogue' ? v3Snapshot : policySnapshot('pol-3', 3, policies1.slice(1));
        const healed = store.apply(heal);
        assert.ok(healed.ok, healed.ok ? '' : healed.error.message);
        assert.is(store.fault, null);
        const rebooted = kind === 'catalogue' ? open.catalogue(dir) : open.policy(dir);
        assert.is(rebooted.bootProblem, null);
        assert.is(rebooted.version, kind === 'catalogue' ? 'cat-v3' : 'pol-3');
        assert.ok(rebooted.verifyAll());
        const previous = readContainer(readFileSync(`${file}.prev`));
        assert.ok(previous.table.length > 0);
        assert.is(new TextDecoder().decode(previous.statementBytes).includes(kind === 'catalogue' ? 'cat-v1' : 'pol-1'), true, 'the previous version is still v1, never the damaged v2');
      });
    });
  }
}

test('catalogue lookup and inspect read nothing from a damaged stored file, with or without the hub key', () => {
  withDir((dir) => {
    setUp(dir);
    const file = path.join(dir, catalogueKind.fileName);
    const code = (caseRecords()[0] as CatalogueRecord).code;
    const clean = runTerminal(['catalogue', 'lookup', file, code]);
    assert.is(clean.code, 0, clean.stderr);
    assert.is(JSON.parse(clean.stdout).code, code);
    assert.match(runTerminal(['catalogue', 'inspect', file]).stdout, /signed\.verdict: intact/);
    for (const part of ['records', 'name blob', 'hash table', 'page table']) {
      const bytes = readFileSync(file);
      damage(file, part);
      const lookup = runTerminal(['catalogue', 'lookup', file, code]);
      assert.is(lookup.code, 1, part);
      assert.is(lookup.stdout, '', part);
      assert.match(lookup.stderr, /^update_(corrupt|malformed): .*nothing read from it/, part);
      const inspect = runTerminal(['catalogue', 'inspect', file]);
      assert.is(inspect.code, 1, part);
      assert.match(inspect.stdout, /signed\.verdict: update_(corrupt|malformed)/, part);
      assert.not.match(inspect.stdout, /^items:/m, part);
      writeFileSync(file, bytes);
    }
  });
});

test('damage no read met is found by the next update, which never keeps the damaged file as the previous version', () => {
  withDir((dir) => {
    setUp(dir);
    const file = path.join(dir, catalogueKind.fileName);
    damage(file, 'name blob');
    const catalogue = open.catalogue(dir);
    assert.is(catalogue.version, 'cat-v2', 'boot does not read the page');
    const applied = catalogue.apply(v3Snapshot);
    assert.ok(applied.ok, applied.ok ? '' : applied.error.message);
    assert.ok(existsSync(`${file}.damaged`));
    assert.ok(new TextDecoder().decode(readContainer(readFileSync(`${file}.prev`)).statementBytes).includes('cat-v1'), 'the previous version is v1');
    assert.ok(new TextDecoder().decode(readContainer(readFileSync(`${file}.damaged`)).statementBytes).includes('cat-v2'), 'the damaged v2 is set aside');
  });
});

test('a disk copy that rots after boot is found by the next update (the copy in memory is whole), never kept as the previous version', () => {
  withDir((dir) => {
    setUp(dir);
    const file = path.join(dir, catalogueKind.fileName);
    const catalogue = open.catalogue(dir);
    assert.ok(catalogue.verifyAll(), 'read and checked whole at boot');
    damage(file, 'records');
    const applied = catalogue.apply(v3Snapshot);
    assert.ok(applied.ok, applied.ok ? '' : applied.error.message);
    assert.ok(new TextDecoder().decode(readContainer(readFileSync(`${file}.prev`)).statementBytes).includes('cat-v1'), 'the previous version is v1');
    assert.ok(existsSync(`${file}.damaged`));
  });
});

test('a delta to a damaged version is refused (out of order: the store now holds v1), and the store fell back', () => {
  withDir((dir) => {
    setUp(dir);
    const file = path.join(dir, catalogueKind.fileName);
    damage(file, 'records');
    const catalogue = open.catalogue(dir);
    const delta = catalogueDelta(cleanCatalogues.get('cat-v2') as Catalogue, 'cat-v3', 3, { added: [], changed: [], removed: [(v2Records[5] as CatalogueRecord).code] });
    const refused = catalogue.apply(delta);
    assert.not.ok(refused.ok);
    if (!refused.ok) assert.is(refused.error.code, 'update_out_of_order', refused.error.message);
    assert.is(catalogue.version, 'cat-v1');
    assert.ok(catalogue.fault !== null);
    assert.ok(isStoreFault(new StoreDamagedError('x')));
  });
});

test.run();
