// Proves the compact catalogue keeps every record exactly: a built file opens
// to the same records in code order, finds every code (and no other, hostile
// codes included), gives the core the same §2 items as the JSON form (the
// worked cases settle the same from it), and is deterministic whatever the
// input order. Also proves the builder refuses each kind of bad record with
// its code, and that a damaged file is refused at open, never misread.
// Lookups read the row in place: item() returns the catalogue's one view,
// which the next lookup overwrites, and a settlement's trace (which keeps
// each line's item) still holds each line's own item.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildCatalogue, checkRecord, CatalogueRecordError } from '../../src/catalogue/build';
import { Catalogue, CatalogueFormatError, codeKind } from '../../src/catalogue/layout';
import { buildPolicyBook, PolicyBook } from '../../src/catalogue/policy-book';
import { settleLocally } from '../../src/catalogue/settle-local';
import { settleCase } from '../../src/core/case';
import { settle } from '../../src/core/settle';
import { newTrace } from '../../src/core/trace';
import { validateCaseWith } from '../../src/core/validate';
import { generateCatalogueRecords } from '../../device/sim/hub/catalogue-gen';
import { caseRecords, casePolicies } from '../helpers/catalogue';
import { workedCases } from '../helpers/cases';

const generated = [...generateCatalogueRecords(5_000, 11)];

test('a built catalogue opens to the same records, in code order', () => {
  const catalogue = new Catalogue(buildCatalogue('v1', generated));
  const sorted = [...generated].sort((a, b) => (a.code < b.code ? -1 : 1));
  assert.is(catalogue.count, sorted.length);
  assert.is(catalogue.version, 'v1');
  sorted.forEach((record, index) => assert.equal(catalogue.recordAt(index), record, record.code));
});

test('every code is found, with its §2 item; other codes are not', () => {
  const catalogue = new Catalogue(buildCatalogue('v1', generated));
  for (const record of generated) {
    const { code, name: _name, unit: _unit, list_price: _price, ...item } = record;
    assert.equal(catalogue.item(code), item, code);
  }
  for (const code of ['', 'X', 'constructor', '__proto__', 'toString', `${generated[0]?.code}0`, generated[0]?.code.slice(0, -1) ?? '', '中文编码', 'x'.repeat(10_000)]) {
    assert.is(catalogue.item(code), undefined, code);
  }
});

test('item() reads the row in place into one view; itemAt() without a view gives a fresh item; a trace keeps each line its own item', () => {
  const catalogue = new Catalogue(buildCatalogue('v1', generated));
  const first = generated[0];
  const second = generated.find((record) => record.selfpay_bp !== first?.selfpay_bp);
  assert.ok(first !== undefined && second !== undefined);
  const view = catalogue.item(first.code);
  assert.ok(view !== undefined);
  const kept = { ...view };
  assert.is(catalogue.item(second.code), view, 'the same object, no allocation per lookup');
  assert.is(view.selfpay_bp, second.selfpay_bp, 'overwritten by the next lookup');
  assert.is(kept.selfpay_bp, first.selfpay_bp);
  assert.is.not(catalogue.itemAt(0), catalogue.itemAt(0));
  const raw = workedCases().find((entry) => ((entry.case as { visit: { lines: unknown[] } }).visit.lines.length ?? 0) > 1)?.case as { visit: { lines: Array<{ code: string }> } } | undefined;
  assert.ok(raw !== undefined, 'a worked case with several lines');
  const codes = raw.visit.lines.map((_, index) => (generated[index * 7] as (typeof generated)[number]).code);
  const bill = { ...raw, catalogue: undefined, visit: { ...raw.visit, lines: raw.visit.lines.map((line, index) => ({ ...line, code: codes[index] })) } };
  const checked = validateCaseWith(bill, catalogue);
  assert.ok(checked.ok);
  const trace = newTrace();
  settle(checked.value, trace);
  assert.equal(
    trace.lines.map((line) => line.item),
    codes.map((code) => {
      const { code: _code, name: _name, unit: _unit, list_price: _price, ...item } = generated.find((record) => record.code === code) as (typeof generated)[number];
      return item;
    }),
  );
});

test('the same records in any order give the same bytes', () => {
  const forward = buildCatalogue('v1', generated);
  const backward = buildCatalogue('v1', [...generated].reverse());
  assert.equal([...forward.subarray(0, 64)], [...backward.subarray(0, 64)]);
  assert.ok(Buffer.from(forward).equals(Buffer.from(backward)));
});

test('codes are classified by their national format', () => {
  assert.is(codeKind('XN01BBA064B002010178765'), 'western_drug');
  assert.is(codeKind('ZA99000000000'), 'tcm_drug');
  assert.is(codeKind('001102000010000'), 'service');
  assert.is(codeKind('C0302310100100204459'), 'consumable');
  assert.is(codeKind('H-LOCAL-1'), 'local');
  const kinds = new Set(generated.map((record) => codeKind(record.code)));
  assert.equal([...kinds].sort(), ['consumable', 'service', 'tcm_drug', 'western_drug']);
});

test('the worked cases settle the same with the catalogue and policies from the stores, naming their versions', () => {
  const catalogue = new Catalogue(buildCatalogue('cat-7', caseRecords()));
  const book = new PolicyBook(buildPolicyBook('pol-3', casePolicies()));
  for (const worked of workedCases()) {
    const { catalogue: _catalogue, policy: _policy, ...rest } = worked.case;
    const local = settleLocally(rest, catalogue, book);
    assert.equal(local.output, settleCase(worked.case), worked.name);
    assert.equal(local.output, worked.expected, worked.name);
    assert.is(local.catalogueVersion, 'cat-7');
    assert.is(local.policyVersion, 'pol-3');
  }
});

test('no policy for the insured place: policy_not_found for a valid case, invalid_input first for an invalid one', () => {
  const catalogue = new Catalogue(buildCatalogue('cat-7', caseRecords()));
  const book = new PolicyBook(buildPolicyBook('pol-empty', []));
  const worked = workedCases()[1];
  assert.ok(worked);
  const { catalogue: _catalogue, policy: _policy, ...rest } = worked.case;
  const refused = settleLocally(rest, catalogue, book);
  assert.equal(refused.output, { ok: false, error: { code: 'policy_not_found' } });
  assert.is(refused.policyArea, null);
  assert.equal(settleLocally({ ...rest, date: 'yesterday' }, catalogue, book).output, { ok: false, error: { code: 'invalid_input' } });
  assert.equal(settleLocally(null, catalogue, book).output, { ok: false, error: { code: 'invalid_input' } });
});

const good = generated[0];
assert.ok(good);
const badRecords: Array<[string, Record<string, unknown>, string]> = [
  ['a code with a space', { ...good, code: 'A B' }, 'invalid_record'],
  ['a code with Chinese', { ...good, code: '编码1' }, 'invalid_record'],
  ['an empty code', { ...good, code: '' }, 'invalid_record'],
  ['a code of 65 characters', { ...good, code: 'C'.repeat(65) }, 'invalid_record'],
  ['a 01 item with first self-pay', { ...good, lv: '01', selfpay_bp: 100 }, 'invalid_record'],
  ['a ceiling past 10^8', { ...good, cap: 100_000_001 }, 'invalid_record'],
  ['age_min above age_max', { ...good, age_min: 70, age_max: 60 }, 'invalid_record'],
  ['an empty chronic_only', { ...good, chronic_only: [] }, 'invalid_record'],
  ['a name of 300 bytes', { ...good, name: '药'.repeat(100) }, 'invalid_record'],
  ['a unit that is not text', { ...good, unit: 3 }, 'invalid_record'],
  ['a negative list price', { ...good, list_price: -1 }, 'invalid_record'],
  ['a list price of -0', { ...good, list_price: -0 }, 'invalid_record'],
  ['a list price past 32 bits', { ...good, list_price: 2 ** 32 }, 'invalid_record'],
  ['a missing gend', (({ gend: _gend, ...rest }) => rest)(good), 'invalid_record'],
];

for (const [name, record, code] of badRecords) {
  test(`the builder refuses ${name}`, () => {
    try {
      buildCatalogue('v', [record]);
      assert.unreachable('built');
    } catch (error) {
      assert.instance(error, CatalogueRecordError);
      assert.is((error as CatalogueRecordError).code, code);
    }
  });
}

test('the builder refuses a duplicate code and a 256th unit', () => {
  assert.throws(() => buildCatalogue('v', [good, { ...good, name: 'other' }]), (error: unknown) => (error as CatalogueRecordError).code === 'duplicate_code');
  const units = Array.from({ length: 256 }, (_, index) => ({ ...good, code: `L${index}`, unit: `u${index}` }));
  assert.throws(() => buildCatalogue('v', units), (error: unknown) => (error as CatalogueRecordError).code === 'too_many_units');
  assert.ok(checkRecord(good));
});

test('a damaged file is refused at open: truncated anywhere, bad magic, a section pointing outside', () => {
  const bytes = buildCatalogue('v1', generated.slice(0, 200));
  for (let length = 0; length < bytes.length; length += 97) {
    assert.throws(() => new Catalogue(bytes.slice(0, length)), (error: unknown) => error instanceof CatalogueFormatError, `truncated to ${length}`);
  }
  const magic = bytes.slice();
  magic[0] = 0x58;
  assert.throws(() => new Catalogue(magic), (error: unknown) => error instanceof CatalogueFormatError);
  const outside = bytes.slice();
  new DataView(outside.buffer).setUint32(16 + 2 * 8, 0x7fff_fff8, true);
  assert.throws(() => new Catalogue(outside), (error: unknown) => error instanceof CatalogueFormatError);
  const count = bytes.slice();
  new DataView(count.buffer).setUint32(8, 201, true);
  assert.throws(() => new Catalogue(count), (error: unknown) => error instanceof CatalogueFormatError);
});

test.run();
