// Proves the rules of off-site filing at the kiosk (src/core/filing.ts; README,
// off-site filing at the kiosk), each refusal by the input that earns it:
// the policy-book fields say whether and for how long a kiosk may file
// (absent or damaged fields never allow it); a kiosk creates `temporary`, and
// `referral` only with a referral number; a filing begins today, or as far
// back as the policy allows, and ends within temporary_days; its area is the
// treatment place's province or city; one that covers the begin date is
// `filing_exists`, one that meets the period `filing_overlaps`; a cancel is
// same-day and once; the filing in force on a visit date; the cut in fen.
// And on the settlement core: worked case 05 (refused `filing_required`)
// settles once the kiosk's filing is in the person record, and the temporary
// cut is the difference against a long-term filing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { addDays, checkFilingApplication, dateOfDay, dayNumber, checkFilingCancel, filingAreaOf, filingOnDate, filingPolicyOf, kioskFiling, temporaryCutFen, type HeldFiling } from '../../src/core/filing';
import { settleCase } from '../../src/core/case';
import { casesDir } from '../helpers/cases';
import type { Filing } from '../../src/core/types';

const hebei = { offsite: { referral_cut_bp: 500, temporary_cut_bp: 1500, self_filing: true, temporary_days: 180, filing_retro_days: 30, filing_area: 'province' } };
const policy = filingPolicyOf(hebei);
const today = '2026-03-20';
const beijing = '110106';
const code = (out: { ok: boolean; code?: string }) => (out.ok ? 'ok' : out.code);

test('the policy-book fields: absent or damaged never allow a kiosk filing', () => {
  assert.equal(policy, { selfFiling: true, temporaryDays: 180, retroDays: 30, area: 'province' });
  assert.is(filingPolicyOf({ offsite: { referral_cut_bp: 500, temporary_cut_bp: 1500 } }), null, 'no self_filing');
  assert.is(filingPolicyOf({ offsite: { ...hebei.offsite, self_filing: 'yes' } }), null);
  assert.is(filingPolicyOf({ offsite: { ...hebei.offsite, temporary_days: 0 } }), null);
  assert.is(filingPolicyOf({ offsite: { ...hebei.offsite, temporary_days: 1.5 } }), null);
  assert.is(filingPolicyOf({ offsite: { ...hebei.offsite, filing_retro_days: -1 } }), null);
  assert.is(filingPolicyOf({ offsite: { ...hebei.offsite, filing_area: 'county' } }), null);
  assert.is(filingPolicyOf(null), null);
  assert.equal(filingPolicyOf({ offsite: { self_filing: true, temporary_days: 30 } }), { selfFiling: true, temporaryDays: 30, retroDays: 0, area: 'province' }, 'defaults: no retro, province');
});

test('day arithmetic: every day from 1900 to 2200 against the calendar, leap days and year ends included', () => {
  for (let days = dayNumber('1900-01-01'); days <= dayNumber('2200-12-31'); days += 1) {
    const date = new Date(days * 86_400_000).toISOString().slice(0, 10);
    if (dateOfDay(days) !== date || dayNumber(date) !== days) assert.unreachable(`${days} ${date} ${dateOfDay(days)}`);
    // addDays (the firmware's, on whole UTC days) agrees with the integer day numbers, forwards and backwards, over a filing's range.
    for (const step of [-366, -1, 1, 179, 366]) if (addDays(date, step) !== dateOfDay(days + step)) assert.unreachable(`addDays(${date}, ${step})`);
  }
  assert.is(addDays('2024-02-28', 1), '2024-02-29');
  assert.is(addDays('2100-02-28', 1), '2100-03-01');
  assert.is(addDays('2026-12-31', 1), '2027-01-01');
  assert.is(addDays('2026-03-01', -1), '2026-02-28');
});

test('a kiosk offers temporary from today for temporary_days, referral only with a number, nothing else', () => {
  const offered = kioskFiling({ policy, institutionAdmdvs: beijing, today, type: 'temporary', referralNo: null });
  assert.equal(offered, { ok: true, value: { type: 'temporary', area: '110000', begndate: today, enddate: '2026-09-15', fixmedins: null } });
  assert.is(addDays(today, 179), '2026-09-15');
  assert.is(code(kioskFiling({ policy, institutionAdmdvs: beijing, today, type: 'referral', referralNo: null })), 'filing_type_not_allowed_here');
  assert.is(code(kioskFiling({ policy, institutionAdmdvs: beijing, today, type: 'referral', referralNo: 'ZZ2026-0012' })), 'ok');
  for (const type of ['long_term_resident', 'long_term_worker', 'relocated_retiree', 'emergency'] as const) {
    assert.is(code(kioskFiling({ policy, institutionAdmdvs: beijing, today, type, referralNo: 'X' })), 'filing_type_not_allowed_here', type);
  }
  assert.is(code(kioskFiling({ policy: null, institutionAdmdvs: beijing, today, type: 'temporary', referralNo: null })), 'filing_type_not_allowed_here', 'the place does not allow it');
  assert.is(filingAreaOf(beijing, 'city'), '110100');
});

const temporary = (begndate: string, enddate: string | null): Filing => ({ type: 'temporary', area: '110000', begndate, enddate, fixmedins: null });
const apply = (filing: Filing, held: HeldFiling[] = []) => code(checkFilingApplication({ filing, referralNo: null, policy, institutionAdmdvs: beijing, today, held }));

test('the hub\'s check: dates the policy allows, the area, then the filings held', () => {
  assert.is(apply(temporary(today, '2026-09-15')), 'ok');
  assert.is(apply(temporary('2026-02-18', '2026-08-16')), 'ok', '30 days back');
  assert.is(apply(temporary('2026-02-17', '2026-08-15')), 'filing_type_not_allowed_here', '31 days back');
  assert.is(apply(temporary('2026-03-21', '2026-09-16')), 'filing_type_not_allowed_here', 'a begin in the future');
  assert.is(apply(temporary(today, '2026-09-16')), 'filing_type_not_allowed_here', 'one day too long');
  assert.is(apply(temporary(today, null)), 'filing_type_not_allowed_here', 'open-ended');
  assert.is(apply(temporary(today, '2026-03-19')), 'filing_type_not_allowed_here', 'ends before it begins');
  assert.is(apply({ ...temporary(today, '2026-09-15'), area: '130000' }), 'filing_type_not_allowed_here', 'another area');
  assert.is(apply({ ...temporary(today, '2026-09-15'), fixmedins: ['H11010600001'] }), 'filing_type_not_allowed_here', 'selected institutions');
  const standing: HeldFiling = { filing_id: 'F1', filing: temporary('2026-03-01', '2026-03-25'), made_date: '2026-03-01', cancelled: false };
  assert.is(apply(temporary(today, '2026-09-15'), [standing]), 'filing_exists');
  const later: HeldFiling = { filing_id: 'F2', filing: temporary('2026-04-01', '2026-05-01'), made_date: '2026-03-01', cancelled: false };
  assert.is(apply(temporary(today, '2026-09-15'), [later]), 'filing_overlaps');
  assert.is(apply(temporary(today, '2026-03-31'), [later]), 'ok', 'ends the day before');
  assert.is(apply(temporary(today, '2026-09-15'), [{ ...standing, cancelled: true }]), 'ok', 'a cancelled filing does not count');
});

test('a cancel: the person\'s own, standing, made today; once', () => {
  const made: HeldFiling = { filing_id: 'F1', filing: temporary(today, '2026-09-15'), made_date: today, cancelled: false };
  assert.is(code(checkFilingCancel(made, today)), 'ok');
  assert.is(code(checkFilingCancel({ ...made, cancelled: true }, today)), 'not_cancellable');
  assert.is(code(checkFilingCancel(made, '2026-03-21')), 'not_cancellable');
  assert.is(code(checkFilingCancel(undefined, today)), 'not_cancellable');
});

test('the filing in force on a date: a kiosk filing from its begin date, never a cancelled one, the record when it covers the day', () => {
  const made: HeldFiling = { filing_id: 'F1', filing: temporary(today, '2026-09-15'), made_date: today, cancelled: false };
  assert.is(filingOnDate(null, [made], today), made.filing);
  assert.is(filingOnDate(null, [made], '2026-03-19'), null, 'the day before it begins');
  assert.is(filingOnDate(null, [{ ...made, cancelled: true }], today), null);
  const record: Filing = { type: 'long_term_resident', area: '110000', begndate: '2025-01-01', enddate: null, fixmedins: null };
  assert.is(filingOnDate(record, [made], today), record);
  const expired: Filing = { ...record, enddate: '2026-01-01' };
  assert.is(filingOnDate(expired, [made], today), made.filing);
});

test('on the core: case 05 refused for want of a filing settles with the kiosk filing; the cut is the fen difference against a long-term filing', () => {
  const fixture = JSON.parse(readFileSync(path.join(casesDir, '05-unfiled-off-site-refused.json'), 'utf8'));
  const raw = fixture.case;
  const refused = settleCase(raw);
  assert.is(refused.ok ? 'ok' : refused.error.code, 'filing_required');
  const offered = kioskFiling({ policy, institutionAdmdvs: raw.institution.admdvs, today: raw.date, type: 'temporary', referralNo: null });
  assert.ok(offered.ok);
  if (!offered.ok) return;
  const filed = settleCase({ ...raw, person: { ...raw.person, filing: offered.value } });
  const longTerm = settleCase({ ...raw, person: { ...raw.person, filing: { ...offered.value, type: 'long_term_resident', enddate: null } } });
  assert.ok(filed.ok && longTerm.ok);
  if (!filed.ok || !longTerm.ok) return;
  // Case 05's small outpatient bill stays under the deductible: the cut costs this patient nothing.
  assert.is(temporaryCutFen(longTerm.setlinfo, filed.setlinfo), filed.setlinfo.psn_part_amt - longTerm.setlinfo.psn_part_amt);
  // Case 01's inpatient stay, were it filed as temporary: the funds pay less by exactly what the patient pays more.
  const zhang = JSON.parse(readFileSync(path.join(casesDir, '01-zhang-referral-inpatient-three-layers.json'), 'utf8')).case;
  const asTemporary = settleCase({ ...zhang, person: { ...zhang.person, filing: { ...zhang.person.filing, type: 'temporary' } } });
  const asLongTerm = settleCase({ ...zhang, person: { ...zhang.person, filing: { ...zhang.person.filing, type: 'long_term_resident' } } });
  assert.ok(asTemporary.ok && asLongTerm.ok);
  if (!asTemporary.ok || !asLongTerm.ok) return;
  const cut = temporaryCutFen(asLongTerm.setlinfo, asTemporary.setlinfo);
  assert.ok(cut > 0, `a temporary filing costs the patient more: ${cut} fen`);
  assert.is(asLongTerm.setlinfo.fund_pay_sumamt - asTemporary.setlinfo.fund_pay_sumamt, cut, 'what the funds pay less, the patient pays more');
});

test.run();
