// Proves the invariants of docs/settlement.md §9 and the core's contract on
// thousands of generated cases (fast-check drives seeds of the case generator;
// a failure prints the seed, and `generateCase(seed)` replays it):
// parts add up, amounts are non-negative, funds pay only in scope, output
// order and codes are right; the same case gives the same bytes; the input is
// never mutated; a wholly self-paid line never changes fund payments; raising
// a fund-paid accumulator never raises a fund payment; acc_delta applied and
// then negated restores the accumulators; sequential visits never pass a cap.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { applyAccDelta } from '../../src/core/accumulators';
import { settleCase } from '../../src/core/case';
import type { Settlement, SettleOutput } from '../../src/core/types';
import { clone, generateCase, type JsonObject } from '../helpers/case-gen';

const runs = Number(process.env.PROPERTY_RUNS ?? 1_500);
const seeds = fc.integer({ min: 0, max: 0x7fff_ffff });
/** Seeds only, so a failure prints a seed and a flag: `generateCase(seed, { settleable })` replays it. */
const caseSeeds = fc.record({ seed: seeds, settleable: fc.boolean() });
const caseOf = (spec: { seed: number; settleable: boolean }): JsonObject => generateCase(spec.seed, { settleable: spec.settleable });
const refusals = new Set([
  'policy_not_found', 'institution_not_networked', 'filing_required', 'filing_not_valid_on_date', 'filing_area_mismatch',
  'institution_not_selected', 'chronic_requires_long_term_filing', 'chronic_not_qualified', 'chronic_not_opened_at_institution', 'unknown_item',
]);
const fundTypes = ['310100', '310200', '330100', '390100', '390200', '610100'];

function check(property: fc.IProperty<any>): void {
  fc.assert(property, { numRuns: runs, endOnFailure: true, includeErrorInReport: true });
}

function assertInvariants(raw: JsonObject, output: SettleOutput): void {
  if (!output.ok) {
    assert.ok(refusals.has(output.error.code), output.error.code);
    assert.is(output.error.sn !== undefined, output.error.code === 'unknown_item');
    return;
  }
  const s = output.setlinfo;
  for (const [key, value] of Object.entries(s)) assert.ok(Number.isSafeInteger(value) && value >= 0, key);
  assert.is(s.medfee_sumamt, s.fulamt_ownpay_amt + s.overlmt_selfpay + s.preselfpay_amt + s.inscp_scp_amt);
  assert.is(s.medfee_sumamt, s.fund_pay_sumamt + s.psn_part_amt);
  assert.is(s.psn_part_amt, s.acct_pay + s.psn_cash_pay);
  assert.ok(s.fund_pay_sumamt <= s.inscp_scp_amt);
  assert.is(s.fund_pay_sumamt, s.hifp_pay + s.hifob_pay + s.hifmi_pay + s.maf_pay);
  assert.ok(s.hifob_pay === 0 || s.hifmi_pay === 0);
  assert.ok(s.reim_bp >= 0 && s.reim_bp <= 10_000);
  const visit = raw.visit as JsonObject;
  const lines = visit.lines as JsonObject[];
  assert.equal(output.lines.map((line) => line.sn), lines.map((line) => line.sn));
  output.lines.forEach((line, index) => {
    assert.is(line.fulamt_ownpay_amt + line.overlmt_amt + line.preselfpay_amt + line.inscp_scp_amt, (lines[index] as JsonObject).amt);
    if (line.reason !== undefined) assert.is(line.fulamt_ownpay_amt, (lines[index] as JsonObject).amt);
  });
  const types = output.setldetail.map((detail) => detail.fund_pay_type);
  assert.equal(types, [...types].sort());
  for (const detail of output.setldetail) {
    assert.ok(fundTypes.includes(detail.fund_pay_type));
    assert.ok(detail.fund_payamt > 0);
  }
  const detailSum = output.setldetail.filter((detail) => detail.fund_pay_type !== '310200').reduce((sum, detail) => sum + detail.fund_payamt, 0);
  assert.is(detailSum, s.fund_pay_sumamt);
  const keys = Object.keys(output.acc_delta);
  assert.equal(keys, [...keys].sort());
  for (const fen of Object.values(output.acc_delta)) assert.ok(Number.isSafeInteger(fen) && fen > 0);
}

test('§9 invariants hold on every generated case', () => {
  check(fc.property(caseSeeds, (spec) => {
    const raw = caseOf(spec);
    assertInvariants(raw, settleCase(raw));
  }));
});

test('determinism: the same case, or a copy of it, gives the same bytes', () => {
  check(
    fc.property(caseSeeds, (spec) => {
      const raw = caseOf(spec);
      const first = JSON.stringify(settleCase(raw));
      assert.is(JSON.stringify(settleCase(raw)), first);
      assert.is(JSON.stringify(settleCase(structuredClone(raw))), first);
    }),
  );
});

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

test('the input is never mutated (a deeply frozen case settles, and reads the same after)', () => {
  check(
    fc.property(caseSeeds, (spec) => {
      const raw = caseOf(spec);
      const before = JSON.stringify(raw);
      const frozen = deepFreeze(clone(raw));
      settleCase(frozen);
      assert.is(JSON.stringify(frozen), before);
    }),
  );
});

function withLine(raw: JsonObject, item: JsonObject, amt: number): JsonObject {
  const copy = clone(raw);
  const code = 'ZZ-SELF-PAID-LINE';
  ((copy.catalogue as JsonObject).items as JsonObject)[code] = item;
  ((copy.visit as JsonObject).lines as JsonObject[]).push({ sn: 'added', code, qty_milli: 1_000, amt });
  return copy;
}

function funds(output: Settlement): number[] {
  const s = output.setlinfo;
  return [s.hifp_pay, s.hifob_pay, s.hifmi_pay, s.maf_pay, s.fund_pay_sumamt, s.act_pay_dedc, s.inscp_scp_amt];
}

test('adding a wholly self-paid line (class C, or restricted) never changes fund payments', () => {
  const selfPaid = fc.constantFrom(
    { kind: 'drug', lv: '03', selfpay_bp: 0, cap: null, gend: null, age_min: null, age_max: null, chronic_only: null },
    { kind: 'drug', lv: '01', selfpay_bp: 0, cap: null, gend: null, age_min: 151 - 1, age_max: 150, chronic_only: null },
    { kind: 'service', lv: '02', selfpay_bp: 100, cap: null, gend: null, age_min: null, age_max: null, chronic_only: ['transplant_antirejection'] },
  );
  check(
    fc.property(caseSeeds, selfPaid, fc.integer({ min: 0, max: 1_000_000 }), (spec, item, amt) => {
      const raw = caseOf(spec);
      const before = settleCase(raw);
      if (!before.ok) return;
      const visit = raw.visit as JsonObject;
      // The restricted:chronic item is covered in a transplant visit: not wholly self-paid there.
      if (item.chronic_only !== null && visit.opsp_dise === 'transplant_antirejection') return;
      const after = settleCase(withLine(raw, item as JsonObject, amt));
      assert.ok(after.ok, after.ok ? '' : after.error.code);
      assert.equal(funds(after), funds(before));
      assert.is(after.setlinfo.fulamt_ownpay_amt, before.setlinfo.fulamt_ownpay_amt + amt);
    }),
  );
});

/** The selected benefit's keys, to know which accumulators a raise may touch. */
function benefitKeys(raw: JsonObject): { ded: string | null; cap: string } | null {
  const person = raw.person as JsonObject;
  const visit = raw.visit as JsonObject;
  const scheme = ((raw.policy as JsonObject).schemes as JsonObject)[String(person.insutype)] as JsonObject | undefined;
  const benefit = (visit.med_type === '14' ? ((scheme?.chronic as JsonObject | undefined)?.[String(visit.opsp_dise)]) : visit.med_type === '21' ? scheme?.inpatient : scheme?.outpatient) as JsonObject | undefined;
  if (benefit === undefined) return null;
  return { ded: benefit.ded_mode === 'year' ? String(benefit.ded_key) : null, cap: String(benefit.cap_key) };
}

test('raising a fund-paid accumulator (cap key, second:paid, maf:paid) never raises a fund payment', () => {
  const deductibleKeys = new Set(['second:base', 'maf:ded']);
  check(
    fc.property(caseSeeds, fc.integer({ min: 0, max: 2 }), fc.integer({ min: 1, max: 50_000_000 }), (spec, which, raise) => {
      const raw = caseOf(spec);
      const keys = benefitKeys(raw);
      if (keys === null) return;
      const key = [keys.cap, 'second:paid', 'maf:paid'][which] as string;
      // A key that is also a deductible or burden accumulator lowers what the patient still owes: not a fund-paid key.
      if (key === keys.ded || deductibleKeys.has(key)) return;
      const person = raw.person as JsonObject;
      const ytd = person.ytd as JsonObject;
      ytd.year = Number(String(raw.date).slice(0, 4));
      const before = settleCase(raw);
      if (!before.ok) return;
      const acc = ytd.acc as JsonObject;
      acc[key] = Math.min(100_000_000_000, (typeof acc[key] === 'number' ? (acc[key] as number) : 0) + raise);
      const after = settleCase(raw);
      assert.ok(after.ok);
      assert.ok(after.setlinfo.fund_pay_sumamt <= before.setlinfo.fund_pay_sumamt, `fund ${after.setlinfo.fund_pay_sumamt} > ${before.setlinfo.fund_pay_sumamt}`);
      // The layer the key caps pays no more; a key shared by two layers (cap_key = second:paid) only bounds the total.
      const shared = keys.cap === 'second:paid' || keys.cap === 'maf:paid';
      const layer = key === keys.cap ? 'hifp_pay' : key === 'second:paid' ? (person.insutype === '310' ? 'hifob_pay' : 'hifmi_pay') : 'maf_pay';
      if (!shared) assert.ok(after.setlinfo[layer] <= before.setlinfo[layer], layer);
    }),
  );
});

test('applying acc_delta and then its negation restores the accumulators', () => {
  check(
    fc.property(caseSeeds, (spec) => {
      const raw = caseOf(spec);
      const output = settleCase(raw);
      if (!output.ok) return;
      const person = raw.person as JsonObject;
      const ytd = { year: (person.ytd as JsonObject).year as number, acc: (person.ytd as JsonObject).acc as Record<string, number> };
      const applied = applyAccDelta(ytd, String(raw.date), output.acc_delta, 1);
      if (!applied.ok) {
        // Only a figure pushed past 10^11 is refused.
        assert.ok(Object.entries(output.acc_delta).some(([key, fen]) => (ytd.acc[key] ?? 0) + fen > 100_000_000_000));
        return;
      }
      const restored = applyAccDelta(applied.ytd, String(raw.date), output.acc_delta, -1);
      assert.ok(restored.ok);
      const expected = ytd.year === Number(String(raw.date).slice(0, 4)) ? ytd.acc : {};
      const nonZero = Object.fromEntries(Object.entries(expected).filter(([, fen]) => fen !== 0));
      assert.equal(restored.ytd.acc, nonZero);
    }),
  );
});

test('visits settled one after another never pay past the annual cap', () => {
  check(
    fc.property(fc.integer({ min: 0, max: 0x7fff_ffff }), fc.integer({ min: 2, max: 5 }), (seed, visits) => {
      const raw = generateCase(seed, { settleable: true });
      const keys = benefitKeys(raw);
      if (keys === null || keys.cap === keys.ded || keys.cap.startsWith('second:') || keys.cap.startsWith('maf:')) return;
      const person = raw.person as JsonObject;
      const date = String(raw.date);
      let ytd = { year: Number(date.slice(0, 4)), acc: { ...((person.ytd as JsonObject).acc as Record<string, number>) } };
      const capUsedBefore = ytd.acc[keys.cap] ?? 0;
      let paid = 0;
      for (let visit = 0; visit < visits; visit += 1) {
        person.ytd = ytd;
        const output = settleCase(raw);
        if (!output.ok) return;
        paid += output.setlinfo.hifp_pay;
        const applied = applyAccDelta(ytd, date, output.acc_delta, 1);
        if (!applied.ok) return;
        ytd = { year: applied.ytd.year, acc: { ...applied.ytd.acc } };
      }
      const scheme = ((raw.policy as JsonObject).schemes as JsonObject)[String(person.insutype)] as JsonObject;
      const visitType = (raw.visit as JsonObject).med_type;
      const benefit = (visitType === '14' ? (scheme.chronic as JsonObject)[String((raw.visit as JsonObject).opsp_dise)] : visitType === '21' ? scheme.inpatient : scheme.outpatient) as JsonObject;
      assert.ok(paid <= Math.max(0, (benefit.cap as number) - capUsedBefore), `paid ${paid}`);
    }),
  );
});

test('refusals carry only their code (and sn for unknown_item), whatever the case', () => {
  check(
    fc.property(seeds, (seed) => {
      const output = settleCase(generateCase(seed));
      if (output.ok) return;
      assert.equal(Object.keys(output), ['ok', 'error']);
      assert.equal(Object.keys(output.error), output.error.code === 'unknown_item' ? ['code', 'sn'] : ['code']);
    }),
  );
});

test.run();
