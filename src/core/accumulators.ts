// Applying a settlement's acc_delta to a person's year-to-date accumulators,
// and undoing it on a cancellation or reversal (docs/settlement.md §9: "a
// cancellation applies the negated acc_delta of the settlement it cancels").
// The hub applies each exactly once; the core only computes the new figures.
import assert from 'node:assert';
import { moneyFenMax } from './limits';

export interface YearToDate {
  readonly year: number;
  readonly acc: Readonly<Record<string, number>>;
}

export type AppliedDelta =
  | { readonly ok: true; readonly ytd: YearToDate }
  | { readonly ok: false; readonly error: { readonly code: 'accumulator_out_of_range'; readonly key: string } };

/**
 * The accumulators after a settlement on `date` (sign +1) or its cancellation
 * (sign −1). A settlement in a year other than `ytd.year` starts that year
 * from nothing (§2: another year's figures count as 0); cancelling a
 * settlement of a year that is no longer current changes nothing. Keys whose
 * figure becomes 0 are dropped (an absent key is 0). A figure that would leave
 * [0, 10^11] is refused and nothing changes.
 */
export function applyAccDelta(ytd: YearToDate, date: string, delta: Readonly<Record<string, number>>, sign: 1 | -1): AppliedDelta {
  const year = Number(date.slice(0, 4));
  assert(Number.isSafeInteger(year), 'the date has a year');
  if (ytd.year !== year) {
    if (sign === -1) return { ok: true, ytd };
    ytd = { year, acc: {} };
  }
  const acc: Record<string, number> = {};
  for (const key of Object.keys(ytd.acc)) acc[key] = ytd.acc[key] as number;
  for (const key of Object.keys(delta)) {
    const change = delta[key] as number;
    assert(Number.isSafeInteger(change) && change >= 0, 'a delta adds non-negative fen');
    const figure = (Object.hasOwn(acc, key) ? (acc[key] as number) : 0) + sign * change;
    if (figure < 0 || figure > moneyFenMax) return { ok: false, error: { code: 'accumulator_out_of_range', key } };
    acc[key] = figure;
  }
  for (const key of Object.keys(acc)) if (acc[key] === 0) delete acc[key];
  return { ok: true, ytd: { year, acc } };
}
