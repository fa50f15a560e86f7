// Off-site filing (备案) made on the spot (issue 16; README, off-site filing at
// the kiosk): which filings a kiosk may create, with what validity and area,
// what the insured place's policy book allows, whether a filing clashes with
// those the person holds, and which filing is in force on a date. Pure: the
// day ("today") is always passed in, never read from a clock, and a date is
// a YYYY-MM-DD text compared as text.
//
// The policy-book fields, per insured place, beside the settlement's own
// (docs/settlement.md §2 POLICY; settlement ignores them):
//   policy.offsite.self_filing        true: a kiosk may file for its people
//                                     (absent or anything else: it may not)
//   policy.offsite.temporary_days     the validity of a kiosk filing, days,
//                                     1..366, today included (absent: no kiosk filing)
//   policy.offsite.filing_retro_days  how many days before today a filing may
//                                     begin, 0..366 (absent: 0, never retroactive)
//   policy.offsite.filing_area        'city' or 'province': the area filed for,
//                                     the treatment place's (absent: 'province')
import type { Filing, FilingType } from './types';

/** The types a kiosk may create on its own: a temporary filing, and a referral when the hospital supplies its referral number. */
export const kioskFilingTypes: readonly FilingType[] = ['temporary', 'referral'];

/** What the policy book says of self-service filing for one insured place. */
export interface FilingPolicy {
  readonly selfFiling: boolean;
  readonly temporaryDays: number;
  readonly retroDays: number;
  readonly area: 'city' | 'province';
}

/** A filing the hub holds for a person. */
export interface HeldFiling<F extends Filing = Filing> {
  readonly filing_id: string;
  readonly filing: F;
  readonly made_date: string;
  readonly cancelled: boolean;
}

export type FilingRefusal = 'filing_type_not_allowed_here' | 'filing_exists' | 'filing_overlaps' | 'not_cancellable';
export type FilingChecked<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly code: FilingRefusal; readonly detail: string };

const refuse = <T>(code: FilingRefusal, detail: string): FilingChecked<T> => ({ ok: false, code, detail });
const whole = (value: unknown, low: number, high: number): value is number => Number.isSafeInteger(value) && (value as number) >= low && (value as number) <= high;

/**
 * The self-service filing fields of a policy (its JSON object as the policy
 * book holds it); null when this insured place does not let a kiosk file
 * (self_filing not true, or no valid temporary_days). A retro or area field
 * present but invalid also says no: a damaged policy never widens a filing.
 */
export function filingPolicyOf(policy: unknown): FilingPolicy | null {
  const offsite = (policy as { offsite?: unknown } | null)?.offsite as Record<string, unknown> | undefined;
  if (typeof offsite !== 'object' || offsite === null || offsite.self_filing !== true || !whole(offsite.temporary_days, 1, 366)) return null;
  const retro = offsite.filing_retro_days ?? 0;
  const area = offsite.filing_area ?? 'province';
  if (!whole(retro, 0, 366) || (area !== 'city' && area !== 'province')) return null;
  return { selfFiling: true, temporaryDays: offsite.temporary_days, retroDays: retro, area };
}

/** Days since 1970-01-01 of a YYYY-MM-DD date (the proleptic Gregorian calendar, integer arithmetic only). */
export function dayNumber(date: string): number {
  const [y0, m, d] = date.split('-').map(Number) as [number, number, number];
  const y = m <= 2 ? y0 - 1 : y0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  return era * 146_097 + yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy - 719_468;
}

/** The YYYY-MM-DD date of a day number (the inverse of dayNumber). */
export function dateOfDay(days: number): string {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1_460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

/** Days in a month of the proleptic Gregorian calendar. */
function monthDays(year: number, month: number): number {
  return month === 2 ? (year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28) : 30 + ((month + (month >> 3)) & 1);
}

/**
 * The date `days` days after `date` (before, when negative), a month at a
 * time: integers only, and equal to dateOfDay(dayNumber(date) + days) from
 * 1900 to 2200 (test/unit/core-filing.test.ts). Smaller than those two,
 * which the firmware (it offers filings, src/session/session.ts) leaves out.
 */
export function addDays(date: string, days: number): string {
  let [y, m, d] = date.split('-').map(Number) as [number, number, number];
  for (d += days; d < 1; d += monthDays(y, m)) if (--m < 1) [y, m] = [y - 1, 12];
  while (d > monthDays(y, m)) {
    d -= monthDays(y, m);
    if (++m > 12) [y, m] = [y + 1, 1];
  }
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

/** The area a filing at an institution names: its city (first four digits) or province (first two), padded with zeros. */
export function filingAreaOf(institutionAdmdvs: string, area: FilingPolicy['area']): string {
  return area === 'city' ? `${institutionAdmdvs.slice(0, 4)}00` : `${institutionAdmdvs.slice(0, 2)}0000`;
}

/**
 * The filing a kiosk offers a person refused for want of a valid filing:
 * `type` (temporary, or referral with the hospital's referral number) from
 * today for the policy's temporary_days, for the treatment place's city or
 * province, at no institution in particular.
 */
export function kioskFiling(options: { readonly policy: FilingPolicy | null; readonly institutionAdmdvs: string; readonly today: string; readonly type: FilingType; readonly referralNo: string | null }): FilingChecked<Filing> {
  const { policy, type } = options;
  if (policy === null) return refuse('filing_type_not_allowed_here', 'the insured place does not let a kiosk file');
  if (!kioskFilingTypes.includes(type)) return refuse('filing_type_not_allowed_here', `a kiosk does not file ${type}`);
  if (type === 'referral' && !options.referralNo) return refuse('filing_type_not_allowed_here', 'a referral needs the hospital\'s referral number');
  return { ok: true, value: offeredFiling(policy, options.institutionAdmdvs, options.today, type) };
}

/**
 * The filing itself, the type's checks done: from `begin` for the policy's
 * temporary_days, for the treatment place's city or province, at no
 * institution in particular. The terminal offers a temporary one (from the
 * visit date, within filing_retro_days) without kioskFiling's checks.
 */
export function offeredFiling(policy: FilingPolicy, institutionAdmdvs: string, begin: string, type: FilingType = 'temporary'): Filing {
  return { type, area: filingAreaOf(institutionAdmdvs, policy.area), begndate: begin, enddate: addDays(begin, policy.temporaryDays - 1), fixmedins: null };
}

/** Whether a filing covers a date (begin and end inclusive; no end: open). */
export function filingCovers(filing: Filing, date: string): boolean {
  return filing.begndate <= date && (filing.enddate === null || date <= filing.enddate);
}

/**
 * Checks an application (the hub's check): the type a kiosk may create, the
 * dates the policy allows (a begin from today - filing_retro_days to today,
 * an end no later than the begin + temporary_days - 1), the area the policy
 * names for the institution, then the person's standing filings: one that
 * covers the begin date is `filing_exists`, one whose period meets the
 * requested one is `filing_overlaps`.
 */
export function checkFilingApplication<F extends Filing>(options: {
  readonly filing: F;
  readonly referralNo: string | null;
  readonly policy: FilingPolicy | null;
  readonly institutionAdmdvs: string;
  readonly today: string;
  readonly held: readonly HeldFiling[];
}): FilingChecked<F> {
  const { filing, policy, today } = options;
  const offered = kioskFiling({ policy, institutionAdmdvs: options.institutionAdmdvs, today, type: filing.type, referralNo: options.referralNo });
  if (!offered.ok) return offered;
  const days = (policy as FilingPolicy).temporaryDays;
  if (filing.begndate > today || filing.begndate < addDays(today, -(policy as FilingPolicy).retroDays)) return refuse('filing_type_not_allowed_here', `begndate ${filing.begndate} is outside what the policy allows`);
  if (filing.enddate === null || filing.enddate < filing.begndate || filing.enddate > addDays(filing.begndate, days - 1)) return refuse('filing_type_not_allowed_here', `a kiosk filing ends within ${days} days`);
  if (filing.area !== offered.value.area) return refuse('filing_type_not_allowed_here', `the area is ${offered.value.area}`);
  if (filing.fixmedins !== null) return refuse('filing_type_not_allowed_here', 'a kiosk filing names no institutions');
  for (const held of options.held) {
    if (held.cancelled) continue;
    if (filingCovers(held.filing, filing.begndate)) return refuse('filing_exists', held.filing_id);
    if (filing.begndate <= held.filing.begndate && held.filing.begndate <= (filing.enddate as string)) return refuse('filing_overlaps', held.filing_id);
  }
  return { ok: true, value: filing };
}

/** Whether a filing may be cancelled today: the person's own, standing, and made today (a mistake put right the same day). */
export function checkFilingCancel(held: HeldFiling | undefined, today: string): FilingChecked<HeldFiling> {
  if (held === undefined) return refuse('not_cancellable', 'no such filing of this person');
  if (held.cancelled) return refuse('not_cancellable', 'already cancelled');
  if (held.made_date !== today) return refuse('not_cancellable', `made on ${held.made_date}: only a same-day filing is cancelled`);
  return { ok: true, value: held };
}

/**
 * The filing in force on a date: the newest standing filing made that
 * covers it, else the person's filing of record when that covers it, else
 * the filing of record as it is (settlement then refuses it, §3).
 */
export function filingOnDate<F extends Filing>(ofRecord: F | null, held: readonly HeldFiling<F>[], date: string): F | null {
  for (let i = held.length - 1; i >= 0; i -= 1) {
    const entry = held[i] as HeldFiling<F>;
    if (!entry.cancelled && filingCovers(entry.filing, date) && (ofRecord === null || !filingCovers(ofRecord, date))) return entry.filing;
  }
  return ofRecord;
}

/** What a temporary filing costs the patient against a long-term one: the difference of their parts, fen (never negative). */
export function temporaryCutFen(longTerm: { readonly psn_part_amt: number }, temporary: { readonly psn_part_amt: number }): number {
  return Math.max(0, temporary.psn_part_amt - longTerm.psn_part_amt);
}
