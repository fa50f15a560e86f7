// Proves the rules of docs/settlement.md one by one, as tables: the arithmetic of
// §1 (mulBp, capAmount, dates, ages, area prefixes), the order of the §3
// checks (first failure wins, each code reached by one change to a worked
// case), the line outcomes of §4, and the edges of §5–§9 (year rollover, the
// same accumulator under two keys, a bounded last band, caps, account use).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { capAmount, clamp, mulBp, shareBp } from '../../src/core/arith';
import { settleCase } from '../../src/core/case';
import { ageOn, areaPrefix } from '../../src/core/settle';
import { isAccumulatorKey, isAreaCode, isCalendarDate, validateCase } from '../../src/core/validate';
import { workedCases } from '../helpers/cases';

type Mutable = Record<string, any>;
const byName = new Map(workedCases().map((worked) => [worked.name.slice(0, 2), worked]));

/** A fresh deep copy of a worked case's input. */
function caseOf(number: string): Mutable {
  const worked = byName.get(number);
  assert.ok(worked, number);
  return JSON.parse(JSON.stringify(worked.case));
}

function codeOf(raw: unknown): string {
  const output = settleCase(raw);
  return output.ok ? 'ok' : output.error.code;
}

test('mulBp rounds half up to the fen', () => {
  const table: Array<[number, number, number]> = [
    [0, 10_000, 0], [1, 5_000, 1], [1, 4_999, 0], [3, 5_000, 2], [100, 6_500, 65], [2_963_680, 6_000, 1_778_208],
    [1, 10_000, 1], [100_000_000_000, 10_000, 100_000_000_000], [99_999, 1, 10], [14_999, 1, 1], [15_000, 1, 2],
  ];
  for (const [amount, bp, expected] of table) assert.is(mulBp(amount, bp), expected, `mulBp(${amount}, ${bp})`);
});

test('mulBp and capAmount refuse what the rules never form (asserts stay on)', () => {
  assert.throws(() => mulBp(-1, 100));
  assert.throws(() => mulBp(1.5, 100));
  assert.throws(() => mulBp(1, 10_001));
  assert.throws(() => capAmount(-1, 1));
});

test('capAmount rounds the ceiling of a quantity half up', () => {
  const table: Array<[number, number, number]> = [[90_000, 350, 31_500], [1_500, 333, 500], [1_499, 1, 1], [1, 499, 0], [1, 500, 1], [0, 100_000_000, 0]];
  for (const [qty, cap, expected] of table) assert.is(capAmount(qty, cap), expected, `capAmount(${qty}, ${cap})`);
});

test('clamp and shareBp', () => {
  assert.is(clamp(-5, 0, 10), 0);
  assert.is(clamp(15, 0, 10), 10);
  assert.is(shareBp(2_995_461, 3_672_800), 8_155);
  assert.is(shareBp(1, 3), 3_333);
  assert.is(shareBp(5, 5), 10_000);
});

test('calendar dates: real days only, leap years included', () => {
  for (const good of ['2026-03-14', '2024-02-29', '2000-02-29', '2026-12-31', '0001-01-01', '9999-12-31']) assert.ok(isCalendarDate(good), good);
  for (const bad of ['2026-02-29', '1900-02-29', '2026-13-01', '2026-00-10', '2026-04-31', '2026-1-05', '26-01-05', '2026-01-05T00:00', '0000-01-01', ' 2026-01-05', '２０２６-01-05', 20260105, null]) {
    assert.not.ok(isCalendarDate(bad), String(bad));
  }
});

test('age counts birthdays by month-day; 29 February counts from 1 March in common years', () => {
  assert.is(ageOn('2026-03-14', '1958-05-02'), 67);
  assert.is(ageOn('2026-05-02', '1958-05-02'), 68);
  assert.is(ageOn('2026-05-01', '1958-05-02'), 67);
  assert.is(ageOn('2025-02-28', '2000-02-29'), 24);
  assert.is(ageOn('2025-03-01', '2000-02-29'), 25);
  assert.is(ageOn('2024-02-29', '2000-02-29'), 24);
  assert.is(ageOn('2026-01-05', '2026-01-05'), 0);
});

test('area codes, area prefixes and accumulator keys', () => {
  assert.ok(isAreaCode('110105'));
  for (const bad of ['001234', '11010', '1101050', '11010a', 110105]) assert.not.ok(isAreaCode(bad), String(bad));
  const prefixes: Array<[string, string]> = [['110000', '11'], ['310100', '3101'], ['110105', '110105'], ['101000', '1010'], ['100000', '10'], ['110010', '110010']];
  for (const [code, prefix] of prefixes) assert.is(areaPrefix(code), prefix, code);
  for (const good of ['ded:op', 'a', 'pool:chronic:hypertension', 'x_1', 'constructor']) assert.ok(isAccumulatorKey(good), good);
  for (const bad of ['', 'Ded', '1a', '_a', '__proto__', 'a-b', 'a b', 'é']) assert.not.ok(isAccumulatorKey(bad), bad);
});

// Each row changes the Shenyang chronic case (03, settles when untouched) so
// that exactly one check fails, and names the code that must come out. The
// order matters: each row also breaks every later check where it can.
const checkOrder: Array<[string, string, (raw: Mutable) => void]> = [
  ['invalid_input beats policy_not_found', 'invalid_input', (raw) => { raw.policy.schemes = {}; raw.visit.lines[0].amt = -1; }],
  ['policy_not_found: no scheme for the insutype', 'policy_not_found', (raw) => { delete raw.policy.schemes['310']; raw.institution.offsite = false; }],
  ['policy_not_found: no benefit for the disease', 'policy_not_found', (raw) => { delete raw.policy.schemes['310'].chronic.hypertension; raw.person.filing = null; }],
  ['policy_not_found: no chronic map at all', 'policy_not_found', (raw) => { delete raw.policy.schemes['310'].chronic; }],
  ['institution_not_networked beats filing_required', 'institution_not_networked', (raw) => { raw.institution.offsite = false; raw.person.filing = null; }],
  ['filing_required', 'filing_required', (raw) => { raw.person.filing = null; raw.visit.lines[0].code = 'NOPE'; }],
  ['filing_not_valid_on_date: before begndate', 'filing_not_valid_on_date', (raw) => { raw.person.filing.begndate = '2026-05-11'; raw.person.filing.area = '440000'; }],
  ['filing_not_valid_on_date: after enddate', 'filing_not_valid_on_date', (raw) => { raw.person.filing.enddate = '2026-05-09'; }],
  ['filing valid on its last day', 'ok', (raw) => { raw.person.filing.enddate = '2026-05-10'; }],
  ['filing_area_mismatch beats institution_not_selected', 'filing_area_mismatch', (raw) => { raw.person.filing.area = '210200'; raw.person.filing.fixmedins = ['H1']; }],
  ['institution_not_selected', 'institution_not_selected', (raw) => { raw.person.filing.fixmedins = ['H21010300001']; raw.person.filing.type = 'temporary'; }],
  ['an empty selection list selects every institution', 'ok', (raw) => { raw.person.filing.fixmedins = []; }],
  ['chronic_requires_long_term_filing beats chronic_not_qualified', 'chronic_requires_long_term_filing', (raw) => { raw.person.filing.type = 'referral'; raw.person.chronic = []; }],
  ['chronic_not_qualified: qualification ended', 'chronic_not_qualified', (raw) => { raw.person.chronic[0].enddate = '2026-05-09'; raw.institution.chronic = []; }],
  ['chronic_not_qualified: another disease', 'chronic_not_qualified', (raw) => { raw.person.chronic[0].dise = 'diabetes'; }],
  ['chronic_not_opened_at_institution beats unknown_item', 'chronic_not_opened_at_institution', (raw) => { raw.institution.chronic = ['diabetes']; raw.visit.lines[0].code = 'NOPE'; }],
  ['unknown_item', 'unknown_item', (raw) => { raw.visit.lines[2].code = 'NOPE'; }],
  ['a local visit skips the off-site checks', 'ok', (raw) => { raw.person.insuplc_admdvs = '210105'; raw.person.filing = null; raw.institution.offsite = false; raw.institution.chronic = []; }],
  ['a local chronic visit still needs the qualification', 'chronic_not_qualified', (raw) => { raw.person.insuplc_admdvs = '210105'; raw.person.filing = null; raw.person.chronic = []; }],
];

for (const [name, code, change] of checkOrder) {
  test(`§3 order: ${name}`, () => {
    const raw = caseOf('03');
    change(raw);
    assert.is(codeOf(raw), code);
  });
}

test('unknown_item reports the first unknown line in input order', () => {
  const raw = caseOf('03');
  raw.visit.lines[3].code = 'NOPE-4';
  raw.visit.lines[1].code = 'NOPE-2';
  assert.equal(settleCase(raw), { ok: false, error: { code: 'unknown_item', sn: '2' } });
});

/** The path and reason a case is refused with (null when it is valid). */
function refusalOf(raw: unknown): string | null {
  const checked = validateCase(raw);
  return checked.ok ? null : `${checked.reason.path}: ${checked.reason.why}`;
}

// checkLines takes plain lines on a fast path (no call per field) and proves
// sn distinct without a set while they rise; these are the cases where it
// must fall back and refuse exactly as the field-by-field checks do.
test('bill lines: what the fast path must not take is refused with the field checks\' path and reason', () => {
  const withLines = (lines: (lines: Mutable[]) => unknown[]): Mutable => {
    const raw = caseOf('03');
    raw.visit.lines = lines(raw.visit.lines);
    return raw;
  };
  assert.is(refusalOf(caseOf('03')), null);
  // Rising sn take no set; a repeat after they stop rising is found by the set, at its own index.
  assert.is(refusalOf(withLines((lines) => [{ ...lines[0], sn: '2' }, { ...lines[1], sn: '1' }, { ...lines[2], sn: '2' }])), "visit.lines[2].sn: duplicate sn '2'");
  assert.is(refusalOf(withLines((lines) => [{ ...lines[0], sn: '1' }, { ...lines[1], sn: '1' }])), "visit.lines[1].sn: duplicate sn '1'");
  assert.is(refusalOf(withLines((lines) => [{ ...lines[0], sn: '' }, { ...lines[1], sn: '' }])), "visit.lines[1].sn: duplicate sn ''");
  assert.is(refusalOf(withLines((lines) => [{ ...lines[0], sn: '9' }, { ...lines[1], sn: '10' }, { ...lines[2], sn: '11' }])), null);
  // Fields inherited from another prototype are not the line's own.
  assert.is(refusalOf(withLines((lines) => [Object.create(lines[0] as Mutable), ...lines.slice(1)])), 'visit.lines[0].sn: is required');
  assert.is(refusalOf(withLines((lines) => [{ ...lines[0], qty_milli: -0 }])), 'visit.lines[0].qty_milli: must not be negative zero');
  assert.is(refusalOf(withLines((lines) => [{ ...lines[0], amt: 1.5 }])), 'visit.lines[0].amt: must be an integer');
  assert.is(refusalOf(withLines((lines) => [lines[0], [lines[1]]])), 'visit.lines[1]: must be an object');
  assert.is(refusalOf(withLines((lines) => [lines[0], null])), 'visit.lines[1]: must be an object');
  // A polluted Object.prototype turns the fast path off: a line without its own sn is still refused.
  const { sn: _sn, ...noSn } = caseOf('03').visit.lines[0] as Mutable;
  (Object.prototype as Mutable).sn = 'polluted';
  try {
    assert.is(refusalOf(withLines((lines) => [noSn, ...lines.slice(1)])), 'visit.lines[0].sn: is required');
  } finally {
    delete (Object.prototype as Mutable).sn;
  }
  assert.is(refusalOf(withLines((lines) => [noSn, ...lines.slice(1)])), 'visit.lines[0].sn: is required');
});

test('a code that names an Object.prototype member is unknown, not inherited', () => {
  for (const code of ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf']) {
    const raw = caseOf('03');
    raw.visit.lines[0].code = code;
    assert.equal(settleCase(raw), { ok: false, error: { code: 'unknown_item', sn: '1' } }, code);
  }
});

test('§4 restrictions apply in order gender, age, chronic; class C is self-paid without a reason', () => {
  const raw = caseOf('03');
  const items = raw.catalogue.items;
  items.G = { kind: 'drug', lv: '01', selfpay_bp: 0, cap: null, gend: '2', age_min: 70, age_max: null, chronic_only: ['diabetes'] };
  items.A = { kind: 'drug', lv: '02', selfpay_bp: 1000, cap: null, gend: null, age_min: 0, age_max: 60, chronic_only: ['diabetes'] };
  items.K = { kind: 'drug', lv: '02', selfpay_bp: 1000, cap: null, gend: '1', age_min: 68, age_max: 68, chronic_only: ['diabetes'] };
  items.OK = { kind: 'drug', lv: '02', selfpay_bp: 1000, cap: null, gend: '1', age_min: 68, age_max: 68, chronic_only: ['hypertension'] };
  items.C = { kind: 'service', lv: '03', selfpay_bp: 2500, cap: 1, gend: null, age_min: null, age_max: null, chronic_only: null };
  raw.visit.lines = ['G', 'A', 'K', 'OK', 'C'].map((code, index) => ({ sn: String(index + 1), code, qty_milli: 1000, amt: 1000 }));
  const output = settleCase(raw);
  assert.ok(output.ok);
  assert.equal(output.lines.map((line) => line.reason ?? null), ['restricted:gender', 'restricted:age', 'restricted:chronic', null, null]);
  assert.equal(output.lines.map((line) => line.fulamt_ownpay_amt), [1000, 1000, 1000, 0, 1000]);
  assert.equal(output.lines[3], { sn: '4', chrgitm_lv: '02', fulamt_ownpay_amt: 0, overlmt_amt: 0, preselfpay_amt: 100, inscp_scp_amt: 900 });
  assert.is(output.lines[4]?.chrgitm_lv, '03');
});

test('§4 the price ceiling comes before the first self-pay', () => {
  const raw = caseOf('02');
  // Line 3: 90 units at a ceiling of 3.50 = 315.00; 405.00 billed → 90.00 over; 10 % of 315.00 first self-pay.
  const output = settleCase(raw);
  assert.ok(output.ok);
  assert.equal(output.lines[2], { sn: '3', chrgitm_lv: '02', fulamt_ownpay_amt: 0, overlmt_amt: 9000, preselfpay_amt: 3150, inscp_scp_amt: 28350 });
  raw.visit.lines[2].amt = 100;
  const under = settleCase(raw);
  assert.ok(under.ok);
  assert.is(under.lines[2]?.overlmt_amt, 0);
});

test('§2 a stale year zeroes every accumulator, and the deltas start from nothing', () => {
  const raw = caseOf('02');
  raw.person.ytd.year = 2025;
  const output = settleCase(raw);
  assert.ok(output.ok);
  // Deductible 1,000.00 at level 3 applies again (the 2026 figure no longer counts as met).
  assert.ok(output.setlinfo.act_pay_dedc > 0);
  assert.is(output.acc_delta['ded:op'], output.setlinfo.act_pay_dedc);
});

test('§9 two keys naming one accumulator both read the value before the visit, and their deltas add up', () => {
  const raw = caseOf('02');
  const outpatient = raw.policy.schemes['310'].outpatient;
  outpatient.ded_key = 'pool:op';
  outpatient.cap_key = 'pool:op';
  raw.person.ytd.acc = { 'pool:op': 5_000 };
  const output = settleCase(raw);
  assert.ok(output.ok);
  assert.is(output.acc_delta['pool:op'], output.setlinfo.act_pay_dedc + output.setlinfo.hifp_pay);
});

test('§2 a bounded last band leaves the base above it unpaid', () => {
  const raw = caseOf('02');
  raw.policy.schemes['310'].outpatient.bands = [{ to: 10_000, bp: { '1': 10_000, '2': 10_000, '3': 10_000 } }];
  raw.person.ytd.acc = { 'ded:op': 1_000_000 };
  const output = settleCase(raw);
  assert.ok(output.ok);
  assert.is(output.setlinfo.hifp_pay, 10_000);
});

test('§5 the retired bonus and the off-site cut clamp the ratio to [0, 10000]', () => {
  const raw = caseOf('06');
  raw.policy.offsite.temporary_cut_bp = 10_000;
  const none = settleCase(raw);
  assert.ok(none.ok);
  assert.is(none.setlinfo.hifp_pay, 0);
  raw.policy.offsite.temporary_cut_bp = 0;
  raw.person.psn_type = 'retired';
  raw.policy.schemes['310'].outpatient.retired_bonus_bp = 10_000;
  raw.person.ytd.acc = { 'ded:op': 1_000_000 };
  const full = settleCase(raw);
  assert.ok(full.ok);
  assert.is(full.setlinfo.hifp_pay, full.setlinfo.inscp_scp_amt);
});

test('§8 the personal account pays for employees only, up to the balance', () => {
  const employee = caseOf('02');
  const output = settleCase(employee);
  assert.ok(output.ok);
  assert.is(output.setlinfo.acct_pay, Math.min(86_000, output.setlinfo.psn_part_amt));
  const resident = caseOf('02');
  resident.person.insutype = '390';
  resident.policy.schemes['390'] = resident.policy.schemes['310'];
  const residentOutput = settleCase(resident);
  assert.ok(residentOutput.ok);
  assert.is(residentOutput.setlinfo.acct_pay, 0);
  assert.is(residentOutput.setlinfo.balc, 86_000);
  assert.ok(residentOutput.setldetail.every((detail) => detail.fund_pay_type !== '310200'));
});

test('§9 a zero bill settles with reim_bp 0 and no fund lines', () => {
  const raw = caseOf('02');
  for (const line of raw.visit.lines) line.amt = 0;
  const output = settleCase(raw);
  assert.ok(output.ok);
  assert.is(output.setlinfo.reim_bp, 0);
  assert.equal(output.setldetail, []);
  assert.equal(output.acc_delta, {});
});

test('maf applies only for a class the policy has (own keys only)', () => {
  const raw = caseOf('01');
  raw.person.maf_class = 'toString';
  const output = settleCase(raw);
  assert.ok(output.ok);
  assert.is(output.setlinfo.maf_pay, 0);
  assert.not.ok('maf:paid' in output.acc_delta);
});

test.run();
