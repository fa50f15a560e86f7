// Proves the terminal's catalogue and policy book are never wrong and never
// half-updated. Every bad update is refused with its typed code while the
// version held keeps serving and its file stays byte for byte the same:
// forged (another key), corrupted (a flipped bit anywhere), truncated at any
// length, the wrong kind, a delta out of order, an old update replayed, bad
// content, a result that is not what the hub signed. A power cut at every
// file operation of an update (and a torn write) leaves, after a reboot, the
// old version or the new one, whole and verified. A damaged current file
// falls back to the previous one; a rollback (the current and previous files
// swapped, then a boot) serves the previous version; the check of every page
// works. An update of another catalogue line is refused (update_wrong_line),
// and a stored file of another line does not serve; a disk failure while
// writing leaves no staging file and names its code once. (Reading a
// stored file lazily, page by page after boot: test/fault/store-lazy.test.ts.)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Catalogue } from '../../src/catalogue/layout';
import { buildPolicyBook, PolicyBook } from '../../src/catalogue/policy-book';
import { nodeFileSystem, swapWithPrevious, versionedPaths } from '../../src/catalogue/files';
import { catalogueKind, policyBookKind, SignedStore } from '../../src/catalogue/store';
import { generateCatalogueRecords } from '../../device/sim/hub/catalogue-gen';
import { CrashingFileSystem, PowerCut } from '../helpers/crashing-fs';
import { readContainer } from '../../src/catalogue/update';
import { casePolicies, catalogueDelta, catalogueSnapshot, forger, hub, hubKeys, policyDelta, policySnapshot, signedPolicyBody, testLine } from '../helpers/catalogue';

const records = [...generateCatalogueRecords(400, 3)];
const v1 = catalogueSnapshot('cat-v1', 1, records);
const base = new Catalogue(readBody(v1));
const changedRecord = { ...(records[5] as (typeof records)[number]), list_price: 1_234, name: '改名的药品' };
const addedRecord = { ...(records[6] as (typeof records)[number]), code: 'XZ99ZZA999A999999999999' };
const deltaV2 = catalogueDelta(base, 'cat-v2', 2, { added: [addedRecord], changed: [changedRecord], removed: [(records[7] as (typeof records)[number]).code] });

function readBody(container: Uint8Array): Uint8Array {
  return readContainer(container).body.slice();
}

function withStore<T>(run: (dir: string) => T): T {
  const dir = mkdtempSync(path.join(tmpdir(), 'store-'));
  try {
    return run(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function catalogueStore(dir: string) {
  return SignedStore.open(catalogueKind, { dir, hubKeys, line: testLine });
}

function storeAtV1(dir: string) {
  const store = catalogueStore(dir);
  const applied = store.apply(v1);
  assert.ok(applied.ok, applied.ok ? '' : applied.error.message);
  return store;
}

function refusedWith(dir: string, update: Uint8Array, code: string): void {
  const store = storeAtV1(dir);
  const before = readFileSync(path.join(dir, 'catalogue.signed'));
  const result = store.apply(update);
  assert.not.ok(result.ok, 'refused');
  if (!result.ok) assert.is(result.error.code, code, result.error.message);
  assert.is(store.version, 'cat-v1', 'the version held keeps serving');
  assert.ok(store.current?.value.item(records[0]?.code ?? '') !== undefined);
  assert.ok(Buffer.from(readFileSync(path.join(dir, 'catalogue.signed'))).equals(before), 'the file is untouched');
  assert.is(catalogueStore(dir).version, 'cat-v1', 'and a reboot finds it');
}

test('a snapshot then a delta apply; the delta changes exactly what it says', () => {
  withStore((dir) => {
    const store = storeAtV1(dir);
    const applied = store.apply(deltaV2);
    assert.ok(applied.ok, applied.ok ? '' : applied.error.message);
    const catalogue = store.current?.value as Catalogue;
    assert.is(catalogue.version, 'cat-v2');
    assert.is(catalogue.count, records.length);
    assert.is(catalogue.record(changedRecord.code)?.list_price, 1_234);
    assert.ok(catalogue.record(addedRecord.code));
    assert.is(catalogue.item((records[7] as (typeof records)[number]).code), undefined);
    assert.is(catalogueStore(dir).version, 'cat-v2');
    assert.ok(store.verifyAll());
  });
});

const refusals: Array<[string, () => Uint8Array, string]> = [
  ['signed by another key', () => catalogueDelta(base, 'cat-v2', 2, { added: [], changed: [changedRecord], removed: [] }, { signer: forger.signer }), 'update_forged'],
  ['truncated to nothing', () => deltaV2.slice(0, 0), 'update_truncated'],
  ['truncated inside the statement', () => deltaV2.slice(0, 40), 'update_truncated'],
  ['truncated inside the body', () => deltaV2.slice(0, deltaV2.length - 3), 'update_truncated'],
  ['a byte after the body', () => Buffer.concat([deltaV2, new Uint8Array(1)]), 'update_malformed'],
  ['not a container', () => new TextEncoder().encode('{"items":[]}'), 'update_malformed'],
  ['a policy book given to the catalogue', () => policySnapshot('pol-1', 9, casePolicies()), 'update_wrong_kind'],
  ["a hub-signed snapshot of another province's catalogue line, with a higher serial", () => catalogueSnapshot('shanghai-1', 9, records, hub.signer, '31'), 'update_wrong_line'],
  ["a delta of another province's line", () => catalogueDelta(base, 'cat-v2', 2, { added: [], changed: [changedRecord], removed: [] }, { line: '31' }), 'update_wrong_line'],
  ['a delta from another version', () => catalogueDelta(new Catalogue(readBody(catalogueSnapshot('cat-v0', 1, records.slice(0, 10)))), 'cat-v2', 2, { added: [], changed: [], removed: [] }), 'update_out_of_order'],
  ['the same snapshot again (replayed)', () => v1, 'update_not_newer'],
  ['an older snapshot', () => catalogueSnapshot('cat-v0', 1, records), 'update_not_newer'],
  ['a delta adding a code already there', () => catalogueDelta(base, 'cat-v2', 2, { added: [records[1] as (typeof records)[number]], changed: [], removed: [] }, { resultDigest: new Uint8Array(32) }), 'update_invalid_content'],
  ['a delta removing a code not there', () => catalogueDelta(base, 'cat-v2', 2, { added: [], changed: [], removed: ['NOT-THERE'] }, { resultDigest: new Uint8Array(32) }), 'update_invalid_content'],
  ['a delta with an invalid record', () => catalogueDelta(base, 'cat-v2', 2, { added: [], changed: [{ ...changedRecord, lv: '01', selfpay_bp: 500 }], removed: [] }, { resultDigest: new Uint8Array(32) }), 'update_invalid_content'],
  ['a delta whose result is not the file the hub signed', () => catalogueDelta(base, 'cat-v2', 2, { added: [], changed: [changedRecord], removed: [] }, { resultDigest: new Uint8Array(32).fill(9) }), 'update_result_mismatch'],
];

for (const [name, make, code] of refusals) {
  test(`refused, ${name}: ${code}, the version held keeps serving`, () => withStore((dir) => refusedWith(dir, make(), code)));
}

test('a flipped bit anywhere in an update is refused, never applied', () => {
  withStore((dir) => {
    const store = storeAtV1(dir);
    for (let at = 0; at < deltaV2.length; at += Math.max(1, Math.floor(deltaV2.length / 300))) {
      const damaged = deltaV2.slice();
      damaged[at] = (damaged[at] as number) ^ (1 << at % 8);
      const result = store.apply(damaged);
      assert.not.ok(result.ok, `bit at byte ${at}`);
      assert.is(store.version, 'cat-v1');
    }
  });
});

function crashSweep(update: (dir: string) => Uint8Array, expectBefore: string, expectAfter: string): number {
  let cuts = 0;
  for (const tornFraction of [0, 0.5]) {
    for (let cutAfter = 0; ; cutAfter += 1) {
      const wasCut = withStore((dir) => {
        const blob = update(dir);
        const fs = new CrashingFileSystem({ cutAfter, tornFraction });
        const store = SignedStore.open(catalogueKind, { dir, hubKeys, fs, line: testLine });
        let cut = false;
        try {
          store.apply(blob);
        } catch (error) {
          if (!(error instanceof PowerCut)) throw error;
          cut = true;
        }
        const rebooted = catalogueStore(dir);
        assert.ok([expectBefore, expectAfter].includes(rebooted.version ?? 'none'), `cut after ${cutAfter}: ${rebooted.version}`);
        assert.is(rebooted.bootProblem, null, `cut after ${cutAfter}: ${rebooted.bootProblem}`);
        assert.ok(rebooted.verifyAll(), 'the file is whole');
        if (!cut) assert.is(rebooted.version, expectAfter);
        return cut;
      });
      if (!wasCut) break;
      cuts += 1;
    }
  }
  return cuts;
}

test('a power cut at every step of a delta update leaves the old or the new version, whole', () => {
  const cuts = crashSweep((dir) => {
    storeAtV1(dir);
    return deltaV2;
  }, 'cat-v1', 'cat-v2');
  assert.ok(cuts >= 8, `${cuts} cut points`);
});

test('a power cut at every step of the first snapshot leaves nothing or the snapshot', () => {
  const cuts = crashSweep(() => v1, 'none', 'cat-v1');
  assert.ok(cuts >= 4, `${cuts} cut points`);
});

test('a damaged current file falls back to the previous version at boot; the digest check sees damage', () => {
  withStore((dir) => {
    const store = storeAtV1(dir);
    assert.ok(store.apply(deltaV2).ok);
    const file = path.join(dir, 'catalogue.signed');
    const bytes = readFileSync(file);
    // Damage the statement: the signature no longer verifies, so boot falls back.
    bytes[40] = (bytes[40] as number) ^ 0xff;
    writeFileSync(file, bytes);
    const rebooted = catalogueStore(dir);
    assert.is(rebooted.version, 'cat-v1');
    assert.match(rebooted.bootProblem ?? '', /update_/);
    // Damage the body only: boot opens it (its statement and page table are whole), and the check of every page finds the damage.
    const store2 = withStore((other) => {
      const fresh = storeAtV1(other);
      const stored = path.join(other, 'catalogue.signed');
      const raw = readFileSync(stored);
      raw[raw.length - 1] = (raw[raw.length - 1] as number) ^ 1;
      writeFileSync(stored, raw);
      const rebooted = catalogueStore(other);
      const version = rebooted.version;
      return [fresh.verifyAll(), version, rebooted.verifyAll(), rebooted.version, rebooted.fault] as const;
    });
    assert.ok(store2[0]);
    assert.is(store2[1], 'cat-v1', 'boot serves it until a page is checked');
    assert.not.ok(store2[2]);
    assert.is(store2[3], null, 'then nothing (there is no previous version)');
    assert.ok(store2[4] !== null);
  });
});

/** A rollback (no terminal command asks for one): the current and previous files swap atomically, and the store boots again. */
function rollBack(dir: string) {
  swapWithPrevious(nodeFileSystem, versionedPaths(dir, catalogueKind.fileName), 'otherboot.1.1.1');
  return catalogueStore(dir);
}

test('rollback serves the previous version, and can be undone', () => {
  withStore((dir) => {
    const store = storeAtV1(dir);
    assert.ok(store.apply(deltaV2).ok);
    const back = rollBack(dir);
    assert.is(back.version, 'cat-v1');
    assert.ok(back.verifyAll());
    assert.is(catalogueStore(dir).version, 'cat-v1');
    assert.is(rollBack(dir).version, 'cat-v2');
    assert.is(catalogueStore(dir).version, 'cat-v2');
  });
});

test('the policy book: snapshot, delta, refusals, fallback lookup', () => {
  withStore((dir) => {
    const store = SignedStore.open(policyBookKind, { dir, hubKeys, line: '' });
    const entries = casePolicies();
    assert.ok(store.apply(policySnapshot('pol-1', 1, entries)).ok);
    const book = store.current?.value as PolicyBook;
    assert.is(book.lookup('130125')?.area, '130100');
    assert.is(book.lookup('330402')?.area, '330400');
    const changed = JSON.parse((entries[0] as (typeof entries)[number]).text);
    changed.version = 'hebei-2026.2';
    const province = { ...changed, admdvs: '130000', version: 'hebei-province' };
    const next = [...entries.slice(1), { area: changed.admdvs, text: JSON.stringify(changed) }, { area: '130000', text: JSON.stringify(province) }];
    const result = buildPolicyBook('pol-2', next);
    const delta = policyDelta('pol-1', result, 'pol-2', 2, { added: [{ area: '130000', text: JSON.stringify(province) }], changed: [{ area: changed.admdvs, text: JSON.stringify(changed) }], removed: [] });
    const applied = store.apply(delta);
    assert.ok(applied.ok, applied.ok ? '' : applied.error.message);
    const updated = store.current?.value as PolicyBook;
    assert.is(updated.lookup('130125')?.policy.version, 'hebei-2026.2');
    assert.is(updated.lookup('139999')?.area, '130000', 'a county with no city policy falls back to the province');
    assert.is(updated.lookup('440305'), undefined);
    // A Hebei policy filed under Beijing's area: the builder refuses it, so damage a built body the way a faulty hub would.
    const body = buildPolicyBook('pol-3', [entries[0] as (typeof entries)[number]]);
    const at = Buffer.from(body).indexOf((entries[0] as (typeof entries)[number]).area);
    body.set(new TextEncoder().encode('110000'), at);
    const misfiled = signedPolicyBody('pol-3', 3, body);
    const refused = store.apply(misfiled);
    assert.not.ok(refused.ok);
    if (!refused.ok) assert.is(refused.error.code, 'update_invalid_content');
    assert.is(store.version, 'pol-2');
  });
});

test('a stored file of another line (the terminal now serves another province) does not serve at boot; that line\'s snapshot replaces it', () => {
  withStore((dir) => {
    storeAtV1(dir);
    const moved = SignedStore.open(catalogueKind, { dir, hubKeys, line: '31' });
    assert.is(moved.version, null);
    assert.match(moved.bootProblem ?? '', /update_wrong_line/);
    assert.ok(moved.fault !== null, 'a fault: the terminal asks the hub for its snapshot');
    const applied = moved.apply(catalogueSnapshot('shanghai-1', 1, records.slice(0, 50), hub.signer, '31'));
    assert.ok(applied.ok, applied.ok ? '' : applied.error.message);
    assert.is(moved.fault, null);
    assert.is(SignedStore.open(catalogueKind, { dir, hubKeys, line: '31' }).version, 'shanghai-1');
    assert.not.ok(nodeFileSystem.exists(path.join(dir, 'catalogue.signed.prev')), 'the other line\'s file is not kept as a previous version');
  });
});

for (const code of ['ENOSPC', 'EPERM']) {
  test(`a disk failure (${code}) while writing: update_io_failed naming the code once, no staging file left, the version held serves`, () => {
    withStore((dir) => {
      storeAtV1(dir);
      const failing = {
        ...nodeFileSystem,
        writeFileDurable(file: string, parts: readonly Uint8Array[]) {
          nodeFileSystem.writeFileDurable(file, [parts[0] as Uint8Array]);
          throw Object.assign(new Error(`${code}: the disk refuses, write '${file}'`), { code });
        },
      };
      const store = SignedStore.open(catalogueKind, { dir, hubKeys, line: testLine, fs: failing });
      const result = store.apply(deltaV2);
      assert.not.ok(result.ok);
      if (!result.ok) {
        assert.is(result.error.code, 'update_io_failed');
        assert.is(result.error.message.split(code).length - 1, 1, result.error.message);
      }
      assert.is(store.version, 'cat-v1');
      assert.equal(nodeFileSystem.list(dir).sort(), ['catalogue.signed'], 'nothing left for the next boot to clear');
      assert.is(catalogueStore(dir).version, 'cat-v1');
    });
  });
}

test('a store whose directory is gone: an update is update_io_failed, not a crash', () => {
  withStore((dir) => {
    const store = storeAtV1(dir);
    rmSync(dir, { recursive: true, force: true });
    const result = store.apply(deltaV2);
    assert.not.ok(result.ok);
    if (!result.ok) assert.is(result.error.code, 'update_io_failed', result.error.message);
    assert.is(store.version, 'cat-v1');
  });
});

test('the hub key that signed a stored file must still be known at boot', () => {
  withStore((dir) => {
    storeAtV1(dir);
    const stranger = SignedStore.open(catalogueKind, { dir, hubKeys: () => null, line: testLine });
    assert.is(stranger.version, null);
    assert.match(stranger.bootProblem ?? '', /update_forged/);
    assert.ok(hub.verifier);
  });
});

test.run();
