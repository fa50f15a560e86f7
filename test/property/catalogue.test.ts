// Proves deltas are exact (fast-check over seeds of the catalogue generator
// and random edits): the delta between two catalogues, encoded for the wire
// and decoded back, applied to the first, gives the second byte for byte; the
// same for policy books; and every lookup of the compact store agrees with a
// Map of the same records. The edits reach every part a delta's build
// renumbers or resizes (delta.ts builds from the old arrays, not from
// records): prices and names changed, names shared with other items or new,
// units changed to used or new ones, codes removed and added, longer codes
// than any held (the record grows) and the longest codes removed (it
// shrinks).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { buildCatalogue } from '../../src/catalogue/build';
import { applyDelta, decodeDelta, diffCatalogues, encodeDelta } from '../../src/catalogue/delta';
import { Catalogue, type CatalogueRecord } from '../../src/catalogue/layout';
import { applyPolicyDelta, buildPolicyBook, decodePolicyDelta, diffPolicyBooks, encodePolicyDelta, PolicyBook } from '../../src/catalogue/policy-book';
import { generateCatalogueRecords } from '../../device/sim/hub/catalogue-gen';
import { casePolicies } from '../helpers/catalogue';

const runs = Number(process.env.PROPERTY_RUNS ?? 60);
const options = { numRuns: runs, endOnFailure: true, includeErrorInReport: true };

const units = ['片', '次', '新单位', 'ml', '套件'];

function edited(records: CatalogueRecord[], edits: Array<{ at: number; action: number; price: number }>): CatalogueRecord[] {
  const out = [...records];
  for (const edit of edits) {
    if (out.length === 0) break;
    const at = edit.at % out.length;
    const record = out[at] as CatalogueRecord;
    const other = out[edit.price % out.length] as CatalogueRecord;
    if (edit.action === 0) out.splice(at, 1);
    else if (edit.action === 1) out[at] = { ...record, list_price: edit.price, name: `${record.name}*` };
    else if (edit.action === 2) out.push({ ...record, code: `L${edit.price}-${at}` });
    else if (edit.action === 3) out[at] = { ...record, unit: units[edit.price % units.length] as string };
    else if (edit.action === 4) out[at] = { ...record, name: other.name };
    else if (edit.action === 5) out.push({ ...record, code: `W${'9'.repeat(edit.price % 60)}-${at}`, name: `新品${edit.price % 7}` });
    else for (let index = out.length - 1; index >= 0; index -= 1) if ((out[index] as CatalogueRecord).code.length >= 23) out.splice(index, 1);
  }
  return [...new Map(out.map((record) => [record.code, record])).values()];
}

const edit = fc.record({ at: fc.nat(), action: fc.integer({ min: 0, max: 6 }), price: fc.integer({ min: 0, max: 1_000_000 }) });

test('apply(diff(a, b)) through the wire encoding rebuilds b byte for byte', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 300 }), fc.array(edit, { maxLength: 40 }), (seed, count, edits) => {
      const before = [...generateCatalogueRecords(count, seed)];
      const after = edited(before, edits);
      const a = new Catalogue(buildCatalogue('a', before));
      const bBytes = buildCatalogue('b', after);
      const delta = decodeDelta(encodeDelta(diffCatalogues(a, new Catalogue(bBytes))));
      assert.ok(Buffer.from(applyDelta(a, delta, 'b')).equals(Buffer.from(bBytes)));
    }),
    options,
  );
});

test('every lookup agrees with a Map of the same records', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 1, max: 500 }), fc.array(fc.string({ maxLength: 25 }), { maxLength: 20 }), (seed, count, strangers) => {
      const records = [...new Map([...generateCatalogueRecords(count, seed)].map((record) => [record.code, record])).values()];
      const catalogue = new Catalogue(buildCatalogue('v', records));
      const byCode = new Map(records.map((record) => [record.code, record]));
      for (const code of [...byCode.keys(), ...strangers]) assert.equal(catalogue.record(code), byCode.get(code), code);
    }),
    options,
  );
});

test('policy books: apply(diff(a, b)) rebuilds b byte for byte', () => {
  const entries = casePolicies();
  fc.assert(
    fc.property(fc.subarray(entries), fc.subarray(entries), fc.integer({ min: 1, max: 9 }), (left, right, revision) => {
      const rightChanged = right.map((entry, index) => (index === 0 ? { ...entry, text: JSON.stringify({ ...JSON.parse(entry.text), version: `r${revision}` }) } : entry));
      const a = new PolicyBook(buildPolicyBook('a', left));
      const bBytes = buildPolicyBook('b', rightChanged);
      const delta = decodePolicyDelta(encodePolicyDelta(diffPolicyBooks(a, new PolicyBook(bBytes))));
      assert.ok(Buffer.from(applyPolicyDelta(a, delta, 'b')).equals(Buffer.from(bBytes)));
    }),
    options,
  );
});

test.run();
