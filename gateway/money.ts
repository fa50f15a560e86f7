// Decimal text for the national interface: amounts travel there as yuan with
// two places ("12.34"), quantities and prices as decimals with their own
// places, while everything on our side is integer fen (docs/conventions.md
// habit 4). The conversion is done on the digits of the text, never through
// a float, so fen -> yuan -> fen is the identity for every safe integer.
import assert from 'node:assert';

/** Places of a national amount (数值型 16,2): yuan with fen. */
export const yuanPlaces = 2;
/** Digits of a national decimal field, its places included (16 in 16,2). */
export const decimalDigitsMax = 16;

/** A decimal text that is not one: bad characters, too many places or digits. */
export class DecimalTextError extends RangeError {
  override readonly name = 'DecimalTextError';
  readonly code = 'decimal_invalid';
}

/**
 * `units` (an integer count of 10^-places) as decimal text with exactly
 * `places` places: decimalText(1234n, 2) === "12.34", decimalText(-5n, 2) === "-0.05".
 */
export function decimalText(units: bigint, places: number): string {
  assert(Number.isInteger(places) && places >= 0 && places <= decimalDigitsMax, 'places is 0..16');
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString().padStart(places + 1, '0');
  const whole = digits.slice(0, digits.length - places);
  const text = places === 0 ? whole : `${whole}.${digits.slice(digits.length - places)}`;
  assert(whole.length + places <= decimalDigitsMax, `decimal of ${whole.length + places} digits exceeds ${decimalDigitsMax}`);
  return negative ? `-${text}` : text;
}

/**
 * The integer count of 10^-places that a decimal text names, read digit by
 * digit: "12.3" with 2 places is 1230n. A text with more places than
 * `places`, a leading zero, a plus sign, an exponent, spaces or more than 16
 * digits is refused (DecimalTextError), never rounded.
 */
export function parseDecimal(text: string, places: number, field = 'value'): bigint {
  assert(Number.isInteger(places) && places >= 0 && places <= decimalDigitsMax, 'places is 0..16');
  if (typeof text !== 'string') throw new DecimalTextError(`${field}: expected decimal text, got ${typeof text}`);
  const match = /^(-?)(0|[1-9][0-9]*)(?:\.([0-9]+))?$/.exec(text);
  if (match === null) throw new DecimalTextError(`${field}: '${text.slice(0, 40)}' is not a decimal`);
  const [, sign = '', whole = '', fraction = ''] = match;
  if (fraction.length > places) throw new DecimalTextError(`${field}: '${text}' has more than ${places} places`);
  if (whole.length + places > decimalDigitsMax) throw new DecimalTextError(`${field}: '${text}' has more than ${decimalDigitsMax} digits`);
  const units = BigInt(whole + fraction.padEnd(places, '0'));
  return sign === '-' && units !== 0n ? -units : units;
}

/** Integer fen as national yuan text: 1234 -> "12.34". */
export function fenToYuan(fen: number): string {
  assert(Number.isSafeInteger(fen), `fen must be a safe integer, got ${fen}`);
  return decimalText(BigInt(fen), yuanPlaces);
}

/**
 * National yuan text as integer fen: "12.34" -> 1234. Exactly two places are
 * required (the interface's own form); anything else is a DecimalTextError.
 */
export function yuanToFen(text: string, field = 'amount'): number {
  if (typeof text !== 'string' || !/\.[0-9]{2}$/.test(text)) {
    throw new DecimalTextError(`${field}: expected yuan with two places, got '${String(text).slice(0, 40)}'`);
  }
  const fen = parseDecimal(text, yuanPlaces, field);
  if (fen > BigInt(Number.MAX_SAFE_INTEGER) || fen < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new DecimalTextError(`${field}: '${text}' is beyond a safe integer of fen`);
  }
  return Number(fen);
}
