// The core's arithmetic (docs/settlement.md §1): integer fen, basis points and
// milli-units. Every rounding of money goes through mulBp or capAmount; no
// floats ever hold a fraction of a fen.
import assert from 'node:assert';
import { bpMax, lineQtyMilliMax, itemCapFenMax } from './limits';

// floorDiv: for integers 0 < n < 2^53 and 0 < d < 2^53, Math.floor(n / d) is
// the integer quotient q (a remainder, a slow call on large doubles, is not
// needed). n/d = q + r/d with 0 ≤ r ≤ d − 1, so q ≤ n/d ≤ q + 1 − 1/d; the
// division rounds to nearest, off by at most 2^-53 × n/d < 1/d (n < 2^53), so
// the double is below q + 1, and not below q (a double: rounding is monotone).
/** Upper bound of an `a` given to mulBp: any money amount the rules form (C1 of §6 may reach twice the money limit). */
const mulBpAmountFenMax = 200_000_000_000;

/** An integer in [0, max]. */
function bounded(value: number, max: number): boolean {
  return Number.isSafeInteger(value) && value >= 0 && value <= max;
}

/** mulBp(a, bp) = floor((a × bp + 5000) / 10000): `a` fen at `bp` basis points, rounded half up to the fen (§1). */
export function mulBp(amountFen: number, ratioBp: number): number {
  assert(bounded(amountFen, mulBpAmountFenMax) && bounded(ratioBp, bpMax), 'mulBp operands in range');
  // ≤ 2·10^15 + 5000 < 2^53: exact, and floor of the division is the integer quotient (floorDiv).
  return Math.floor((amountFen * ratioBp + 5_000) / 10_000);
}

/** capAmount(qty_milli, cap) = floor((qty_milli × cap + 500) / 1000): the price ceiling of a line, fen (§1). */
export function capAmount(qtyMilli: number, capFen: number): number {
  assert(bounded(qtyMilli, lineQtyMilliMax) && bounded(capFen, itemCapFenMax), 'capAmount operands in range');
  // ≤ 10^15 + 500 < 2^53 (floorDiv).
  return Math.floor((qtyMilli * capFen + 500) / 1_000);
}

/** clamp(x, lo, hi) = min(max(x, lo), hi) (§1). */
export function clamp(value: number, low: number, high: number): number {
  return Math.min(Math.max(value, low), high);
}

/** floor(a × 10000 / b) for 0 ≤ a ≤ b, b > 0: a share in basis points (§8 reim_bp). */
export function shareBp(partFen: number, wholeFen: number): number {
  const product = partFen * 10_000;
  assert(wholeFen > 0 && bounded(partFen, wholeFen) && Number.isSafeInteger(product), 'shareBp operands in range');
  return (product - (product % wholeFen)) / wholeFen;
}
