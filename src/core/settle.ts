// The settlement rules of docs/settlement.md §3–§9: checks in order, lines, basic
// insurance, the second layer, medical assistance, totals, and the output.
// Pure: no I/O, no clock, no floats; the input is never mutated. One pass over
// the lines allocates only their output records; the trace, when asked for,
// records every step of the derivation for `settle --explain`.
import assert from 'node:assert';
import { capAmount, clamp, mulBp, shareBp } from './arith';
import { bpMax } from './limits';
import type {
  Benefit,
  Disease,
  FeeLine,
  FilingType,
  FundPayment,
  Institution,
  Item,
  LevelKey,
  LineResult,
  MafClass,
  Person,
  RefusalCode,
  Refusal,
  RestrictionReason,
  Scheme,
  SecondLayer,
  SettleInput,
  SettleOutput,
  Settlement,
  Visit,
} from './types';
import type { BandTrace, SegmentTrace, SettleTrace } from './trace';

const hasOwn = Object.hasOwn;
const levelKeyOf: readonly LevelKey[] = ['1', '1', '2', '3'];

/** A refusal value (§3); `sn` only for unknown_item. */
export function refusal(code: RefusalCode, sn?: string): Refusal {
  return sn === undefined ? { ok: false, error: { code } } : { ok: false, error: { code, sn } };
}

/** Long-term filings (§3 check 4, §5 cut). */
export function isLongTermFiling(type: FilingType): boolean {
  return type === 'relocated_retiree' || type === 'long_term_resident' || type === 'long_term_worker';
}

/** Off-site: the first four digits of the institution's and the insured place's area codes differ (§3 check 3). */
export function isOffsite(institution: Institution, person: Person): boolean {
  return institution.admdvs.slice(0, 4) !== person.insuplc_admdvs.slice(0, 4);
}

/** The filing's area prefix: its code with trailing "00" pairs removed ("110000" → "11"). */
export function areaPrefix(area: string): string {
  let prefix = area;
  while (prefix.length >= 2 && prefix.endsWith('00')) prefix = prefix.slice(0, -2);
  return prefix;
}

/** The benefit `med_type` selects (§5), or undefined when the policy has none (§3 check 2). */
export function selectBenefit(scheme: Scheme, visit: Visit): Benefit | undefined {
  switch (visit.med_type) {
    case '11':
    case '41':
      return hasOwn(scheme, 'outpatient') ? scheme.outpatient : undefined;
    case '21':
      return hasOwn(scheme, 'inpatient') ? scheme.inpatient : undefined;
    case '14': {
      const disease = visit.opsp_dise as Disease;
      const chronic = hasOwn(scheme, 'chronic') ? scheme.chronic : undefined;
      return chronic !== undefined && hasOwn(chronic, disease) ? chronic[disease] : undefined;
    }
  }
}

/** §3 check 3, for an off-site visit: the first failing code, or null. */
function offsiteRefusal(input: SettleInput): RefusalCode | null {
  const { person, institution, date } = input;
  if (!institution.offsite) return 'institution_not_networked';
  const filing = person.filing;
  if (filing === null) return 'filing_required';
  if (date < filing.begndate || (filing.enddate !== null && date > filing.enddate)) return 'filing_not_valid_on_date';
  if (!institution.admdvs.startsWith(areaPrefix(filing.area))) return 'filing_area_mismatch';
  if (filing.fixmedins !== null && filing.fixmedins.length > 0 && !filing.fixmedins.includes(institution.fixmedins_code)) {
    return 'institution_not_selected';
  }
  return null;
}

/** §3 check 4, for a 14 visit: the first failing code, or null. */
function chronicRefusal(input: SettleInput, offsite: boolean): RefusalCode | null {
  const { person, institution, visit, date } = input;
  const disease = visit.opsp_dise as Disease;
  if (offsite && !isLongTermFiling((person.filing as NonNullable<Person['filing']>).type)) return 'chronic_requires_long_term_filing';
  const qualified = person.chronic.some(
    (entry) => entry.dise === disease && entry.begndate <= date && (entry.enddate === null || date <= entry.enddate),
  );
  if (!qualified) return 'chronic_not_qualified';
  if (offsite && !institution.chronic.includes(disease)) return 'chronic_not_opened_at_institution';
  return null;
}

/** Age on the date, birthdays counted by month-day string (§1). */
export function ageOn(date: string, brdy: string): number {
  const years = Number(date.slice(0, 4)) - Number(brdy.slice(0, 4));
  return date.slice(5) < brdy.slice(5) ? years - 1 : years;
}

/** §4.1: why a line is wholly self-paid by restriction, or null. */
function restriction(item: Item, person: Person, visit: Visit, age: number): RestrictionReason | null {
  if (item.gend !== null && item.gend !== person.gend) return 'restricted:gender';
  if ((item.age_min !== null && age < item.age_min) || (item.age_max !== null && age > item.age_max)) return 'restricted:age';
  if (item.chronic_only !== null && !(visit.med_type === '14' && item.chronic_only.includes(visit.opsp_dise as Disease))) {
    return 'restricted:chronic';
  }
  return null;
}

/** §4: the split of one line. */
function settleLine(line: FeeLine, item: Item, reason: RestrictionReason | null): LineResult {
  if (reason !== null) {
    return { sn: line.sn, chrgitm_lv: item.lv, fulamt_ownpay_amt: line.amt, overlmt_amt: 0, preselfpay_amt: 0, inscp_scp_amt: 0, reason };
  }
  if (item.lv === '03') {
    return { sn: line.sn, chrgitm_lv: item.lv, fulamt_ownpay_amt: line.amt, overlmt_amt: 0, preselfpay_amt: 0, inscp_scp_amt: 0 };
  }
  const overlmtAmt = item.cap === null ? 0 : Math.max(0, line.amt - capAmount(line.qty_milli, item.cap));
  const rest = line.amt - overlmtAmt;
  const preselfpayAmt = item.lv === '02' ? mulBp(rest, item.selfpay_bp) : 0;
  return {
    sn: line.sn,
    chrgitm_lv: item.lv,
    fulamt_ownpay_amt: 0,
    overlmt_amt: overlmtAmt,
    preselfpay_amt: preselfpayAmt,
    inscp_scp_amt: rest - preselfpayAmt,
  };
}

/** Reads year-to-date accumulators: absent keys and another year's figures are 0 (§2). */
class Accumulators {
  private readonly acc: Readonly<Record<string, number>>;
  readonly apply: boolean;

  constructor(person: Person, date: string) {
    this.acc = person.ytd.acc;
    this.apply = person.ytd.year === Number(date.slice(0, 4));
  }

  get(key: string): number {
    return this.apply && hasOwn(this.acc, key) ? (this.acc[key] as number) : 0;
  }
}

/** §5 ratio cut for off-site filings. */
function cutOf(input: SettleInput, offsite: boolean): number {
  const filing = input.person.filing;
  if (!offsite || filing === null || isLongTermFiling(filing.type)) return 0;
  if (filing.type === 'referral' || filing.type === 'emergency') return input.policy.offsite.referral_cut_bp;
  return input.policy.offsite.temporary_cut_bp;
}

interface BasicResult {
  readonly actPayDedc: number;
  readonly hifpPay: number;
}

/** §5: deductible, bands, cap. */
function settleBasic(input: SettleInput, benefit: Benefit, offsite: boolean, inscpFen: number, acc: Accumulators, trace: SettleTrace | null): BasicResult {
  const levelKey = levelKeyOf[input.institution.level] as LevelKey;
  const dedFen = benefit.ded[levelKey];
  const dedRem = benefit.ded_mode === 'year' ? Math.max(0, dedFen - acc.get(benefit.ded_key)) : dedFen;
  const actPayDedc = Math.min(inscpFen, dedRem);
  const base = inscpFen - actPayDedc;
  const cut = cutOf(input, offsite);
  const bonus = input.person.psn_type === 'retired' ? benefit.retired_bonus_bp : 0;
  let raw = 0;
  let from = 0;
  const bands: BandTrace[] | null = trace !== null ? [] : null;
  for (const band of benefit.bands) {
    const portion = band.to === null ? Math.max(0, base - from) : clamp(base - from, 0, band.to - from);
    const ratioBp = clamp(band.bp[levelKey] + bonus - cut, 0, bpMax);
    const pay = mulBp(portion, ratioBp);
    raw += pay;
    bands?.push({ fromFen: from, toFen: band.to, bandBp: band.bp[levelKey], bonusBp: bonus, cutBp: cut, ratioBp, portionFen: portion, payFen: pay });
    if (band.to !== null) from = band.to;
  }
  const capUsed = acc.get(benefit.cap_key);
  const capRem = Math.max(0, benefit.cap - capUsed);
  const hifpPay = Math.min(raw, capRem);
  if (trace !== null) {
    trace.deductible = { mode: benefit.ded_mode, key: benefit.ded_key, dedFen, usedFen: benefit.ded_mode === 'year' ? acc.get(benefit.ded_key) : 0, remainingFen: dedRem, paidFen: actPayDedc };
    trace.basic = { baseFen: base, bands: bands as BandTrace[], rawFen: raw, capFen: benefit.cap, capKey: benefit.cap_key, capUsedFen: capUsed, capRemainingFen: capRem, payFen: hifpPay };
  }
  return { actPayDedc, hifpPay };
}

/** §6: the second layer's payment on this visit's in-scope burden `burdenFen`. */
function settleSecond(second: SecondLayer, burdenFen: number, insutype: Person['insutype'], acc: Accumulators, trace: SettleTrace | null): number {
  const c0 = acc.get('second:base');
  const c1 = c0 + burdenFen;
  let raw = 0;
  const segments: SegmentTrace[] | null = trace !== null ? [] : null;
  for (const segment of second.segments) {
    const upper = segment.to === null ? c1 : Math.min(c1, segment.to);
    const part = Math.max(0, upper - Math.max(c0, segment.from));
    const pay = mulBp(part, segment.bp);
    raw += pay;
    segments?.push({ fromFen: segment.from, toFen: segment.to, bp: segment.bp, partFen: part, payFen: pay });
  }
  const paidBefore = acc.get('second:paid');
  const pay = Math.min(raw, Math.max(0, second.cap - paidBefore));
  if (trace !== null) {
    trace.second = { fund: insutype === '390' ? 'hifmi_pay' : 'hifob_pay', burdenFen, c0Fen: c0, c1Fen: c1, segments: segments as SegmentTrace[], rawFen: raw, capFen: second.cap, paidBeforeFen: paidBefore, payFen: pay };
  }
  return pay;
}

interface MafResult {
  readonly dedUsed: number;
  readonly mafPay: number;
}

/** §7: medical assistance on what remains after the first two layers. */
function settleMaf(className: string, maf: MafClass, remainingFen: number, acc: Accumulators, trace: SettleTrace | null): MafResult {
  const dedUsedBefore = acc.get('maf:ded');
  const dedRem = Math.max(0, maf.ded - dedUsedBefore);
  const dedUsed = Math.min(remainingFen, dedRem);
  const paidBefore = acc.get('maf:paid');
  const mafPay = Math.min(mulBp(remainingFen - dedUsed, maf.bp), Math.max(0, maf.cap - paidBefore));
  if (trace !== null) {
    trace.maf = { className, remainingFen, dedFen: maf.ded, dedUsedBeforeFen: dedUsedBefore, dedUsedFen: dedUsed, bp: maf.bp, capFen: maf.cap, paidBeforeFen: paidBefore, payFen: mafPay };
  }
  return { dedUsed, mafPay };
}

/** §9 acc_delta: non-zero changes, same keys added up, keys sorted by UTF-16 code unit. */
function accDelta(changes: ReadonlyArray<readonly [string, number]>): Record<string, number> {
  const sums = new Map<string, number>();
  for (const [key, fen] of changes) sums.set(key, (sums.get(key) ?? 0) + fen);
  const delta: Record<string, number> = {};
  for (const key of [...sums.keys()].sort()) {
    const fen = sums.get(key) as number;
    if (fen !== 0) delta[key] = fen;
  }
  return delta;
}

/**
 * Settles a validated case (docs/settlement.md §3 checks 2–5, then §4–§9). Pass a
 * trace object to have the derivation recorded into it.
 */
export function settle(input: SettleInput, trace: SettleTrace | null = null): SettleOutput {
  const { person, visit, policy } = input;
  const scheme = hasOwn(policy.schemes, person.insutype) ? policy.schemes[person.insutype] : undefined;
  const benefit = scheme === undefined ? undefined : selectBenefit(scheme, visit);
  if (scheme === undefined || benefit === undefined) return refusal('policy_not_found');
  const offsite = isOffsite(input.institution, person);
  const offsiteCode = offsite ? offsiteRefusal(input) : null;
  if (offsiteCode !== null) return refusal(offsiteCode);
  const chronicCode = visit.med_type === '14' ? chronicRefusal(input, offsite) : null;
  if (chronicCode !== null) return refusal(chronicCode);

  const age = ageOn(input.date, person.brdy);
  const lines: LineResult[] = new Array(visit.lines.length);
  let medfee = 0;
  let fulamt = 0;
  let overlmt = 0;
  let preselfpay = 0;
  let inscp = 0;
  for (let index = 0; index < visit.lines.length; index += 1) {
    const line = visit.lines[index] as FeeLine;
    const item = input.catalogue.item(line.code);
    if (item === undefined) return refusal('unknown_item', line.sn);
    const result = settleLine(line, item, restriction(item, person, visit, age));
    lines[index] = result;
    medfee += line.amt;
    fulamt += result.fulamt_ownpay_amt;
    overlmt += result.overlmt_amt;
    preselfpay += result.preselfpay_amt;
    inscp += result.inscp_scp_amt;
  }
  if (trace !== null) {
    // Recorded after the loop, so the loop over a bill's lines never looks at the trace.
    visit.lines.forEach((line, index) => trace.lines.push({ line, item: { ...(input.catalogue.item(line.code) as Item) }, result: lines[index] as LineResult }));
    trace.offsite = offsite;
    trace.age = age;
    trace.accumulatorsApply = person.ytd.year === Number(input.date.slice(0, 4));
    trace.benefitName = visit.med_type === '14' ? `chronic.${visit.opsp_dise as Disease}` : visit.med_type === '21' ? 'inpatient' : 'outpatient';
  }

  const acc = new Accumulators(person, input.date);
  const basic = settleBasic(input, benefit, offsite, inscp, acc, trace);
  const second = hasOwn(scheme, 'second') ? (scheme.second as SecondLayer) : undefined;
  const burden = inscp - basic.hifpPay;
  const secondPay = second === undefined ? 0 : settleSecond(second, burden, person.insutype, acc, trace);
  const mafClass = person.maf_class !== null && hasOwn(policy.maf, person.maf_class) ? policy.maf[person.maf_class] : undefined;
  const maf = mafClass === undefined ? { dedUsed: 0, mafPay: 0 } : settleMaf(person.maf_class as string, mafClass, inscp - basic.hifpPay - secondPay, acc, trace);

  const hifob = person.insutype === '310' ? secondPay : 0;
  const hifmi = person.insutype === '390' ? secondPay : 0;
  const fund = basic.hifpPay + hifob + hifmi + maf.mafPay;
  const psnPart = medfee - fund;
  const acctPay = person.insutype === '310' && person.acct_used ? Math.min(person.acct_balance, psnPart) : 0;

  const changes: Array<readonly [string, number]> = [[benefit.cap_key, basic.hifpPay]];
  if (benefit.ded_mode === 'year') changes.push([benefit.ded_key, basic.actPayDedc]);
  if (second !== undefined) changes.push(['second:base', burden], ['second:paid', secondPay]);
  if (mafClass !== undefined) changes.push(['maf:ded', maf.dedUsed], ['maf:paid', maf.mafPay]);

  const payments: ReadonlyArray<readonly [FundPayment['fund_pay_type'], number]> = [
    ['310100', person.insutype === '310' ? basic.hifpPay : 0],
    ['310200', acctPay],
    ['330100', hifob],
    ['390100', person.insutype === '390' ? basic.hifpPay : 0],
    ['390200', hifmi],
    ['610100', maf.mafPay],
  ];
  const output: Settlement = {
    ok: true,
    setlinfo: {
      medfee_sumamt: medfee,
      fulamt_ownpay_amt: fulamt,
      overlmt_selfpay: overlmt,
      preselfpay_amt: preselfpay,
      inscp_scp_amt: inscp,
      act_pay_dedc: basic.actPayDedc,
      hifp_pay: basic.hifpPay,
      hifob_pay: hifob,
      hifmi_pay: hifmi,
      maf_pay: maf.mafPay,
      fund_pay_sumamt: fund,
      psn_part_amt: psnPart,
      acct_pay: acctPay,
      psn_cash_pay: psnPart - acctPay,
      balc: person.acct_balance - acctPay,
      reim_bp: medfee === 0 ? 0 : shareBp(fund, medfee),
    },
    lines,
    setldetail: payments.filter(([, fen]) => fen !== 0).map(([type, fen]) => ({ fund_pay_type: type, fund_payamt: fen })),
    acc_delta: accDelta(changes),
  };
  assertInvariants(output);
  return output;
}

/** §9's invariants, checked on every output: a failure is a bug in the core, and crashes. */
function assertInvariants(output: Settlement): void {
  const s = output.setlinfo;
  assert.equal(s.medfee_sumamt, s.fulamt_ownpay_amt + s.overlmt_selfpay + s.preselfpay_amt + s.inscp_scp_amt, 'the line parts add up to the bill');
  assert.equal(s.medfee_sumamt, s.fund_pay_sumamt + s.psn_part_amt, 'funds and the person share the bill');
  assert.equal(s.psn_part_amt, s.acct_pay + s.psn_cash_pay, 'account and cash make the personal part');
  assert(s.fund_pay_sumamt <= s.inscp_scp_amt, 'funds pay only in-scope amounts');
  for (const value of Object.values(s)) assert(Number.isSafeInteger(value) && value >= 0, 'every amount is a non-negative integer');
}
