// Proves deltas are exact (fast-check over seeds of the catalogue generator
// and random edits): the delta between two catalogues, encoded for the wire
// and decoded back, applied to the first, gives the second byte for byte; the
// same for policy books; and every lookup of the compact store agrees with a
// Map of the same records. The edits reach every part a delta's build
// renumbers or resizes (delta.ts builds from the old arrays, not from
// records): prices and names changed, names shared with other items or new,
// units changed to used or new ones, codes removed and added, longer codes
// than any held (the record grows) and the longest codes removed (it
// shrinks). A lookup compares a code with a record's four bytes at a time:
// codes of every length 1 to 40 that differ from a stored one in any one
// character, or only by a character past one byte whose low byte is the
// stored one (found where the hash lands them on a stored code's slot, so
// the compare itself decides), are never taken for it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { buildCatalogue } from '../../src/catalogue/build';
import { applyDelta, decodeDelta, diffCatalogues, encodeDelta } from '../../src/catalogue/delta';
import { Catalogue, codeHash, hashSlotsFor, type CatalogueRecord } from '../../src/catalogue/layout';
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

test('a lookup takes no code for another of any length: one character changed, or widened past a byte', () => {
  let collided = 0;
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 1, max: 40 }), (seed, longest) => {
      const base = [...generateCatalogueRecords(60, seed)][0] as CatalogueRecord;
      const codes = new Set<string>();
      for (let length = 1; length <= longest; length += 1) {
        const code = Array.from({ length }, (_, at) => String.fromCharCode(0x21 + ((seed + at * 7 + length) % 94))).join('');
        codes.add(code);
        // The same code with its last character, or its first, one step up: same length, same words but one.
        codes.add(code.slice(0, -1) + String.fromCharCode(0x21 + ((code.charCodeAt(length - 1) - 0x21 + 1) % 94)));
      }
      const records = [...codes].map((code) => ({ ...base, code }));
      const catalogue = new Catalogue(buildCatalogue('v', records));
      const mask = hashSlotsFor(records.length) - 1;
      const slots = new Set([...codes].map((code) => codeHash(code) & mask));
      for (const code of codes) {
        assert.is(catalogue.indexOf(code) >= 0 && catalogue.record(code)?.code, code);
        for (let at = 0; at < code.length; at += 1) {
          for (const unit of [code.charCodeAt(at) ^ 1, code.charCodeAt(at) + 0x100, code.charCodeAt(at) + 0x4100, 0x7f]) {
            const other = code.slice(0, at) + String.fromCharCode(unit) + code.slice(at + 1);
            if (codes.has(other)) continue;
            if (slots.has(codeHash(other) & mask)) collided += 1;
            assert.is(catalogue.indexOf(other), -1, JSON.stringify(other));
          }
        }
      }
    }),
    options,
  );
  assert.ok(collided > runs, `the compare itself decided: ${collided} near codes landed on a stored code's slot`);
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
