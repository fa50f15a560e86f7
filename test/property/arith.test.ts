// Proves that the core's money rounding (mulBp, capAmount: docs/settlement.md
// §1, floor((a × bp + 5000) / 10000) and floor((qty × cap + 500) / 1000)),
// computed with a double division and a floor, is the exact integer result:
// BigInt arithmetic checked on every edge of the asserted domains (0, 1, the
// maxima and their neighbours, every bp against the largest amounts, the
// products that land on a multiple of the divisor and one below it) and on
// random operands across the whole domains. Operands outside fail the assert.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { capAmount, mulBp } from '../../src/core/arith';
import { bpMax, itemCapFenMax, lineQtyMilliMax } from '../../src/core/limits';

const runs = Number(process.env.PROPERTY_RUNS ?? 1_500) * 20;
/** mulBp's asserted amount bound (src/core/arith.ts: twice the money limit). */
const amountMax = 200_000_000_000;

const mulBpExact = (a: number, bp: number): number => Number((BigInt(a) * BigInt(bp) + 5_000n) / 10_000n);
const capAmountExact = (qty: number, cap: number): number => Number((BigInt(qty) * BigInt(cap) + 500n) / 1_000n);

/** 0..8, the maximum and the 8 below it, and a few around halves and powers of ten. */
function edges(max: number): number[] {
  const values = new Set<number>();
  for (let k = 0; k <= 8; k += 1) {
    values.add(k);
    values.add(max - k);
  }
  for (const at of [Math.floor(max / 2), Math.floor(max / 3), 9_999, 10_000, 10_001, 4_999, 5_000, 5_001, 999, 1_000, 1_001, 2 ** 31 - 1, 2 ** 31, 2 ** 32]) {
    for (const value of [at - 1, at, at + 1]) if (value >= 0 && value <= max) values.add(value);
  }
  return [...values];
}

test('mulBp is the exact integer result on every edge pair, and every bp against the largest amounts', () => {
  for (const a of edges(amountMax)) for (const bp of edges(bpMax)) assert.is(mulBp(a, bp), mulBpExact(a, bp), `mulBp(${a}, ${bp})`);
  for (const a of [amountMax, amountMax - 1, amountMax - 4_999, 199_999_999_999, 123_456_789_011]) {
    for (let bp = 0; bp <= bpMax; bp += 1) assert.is(mulBp(a, bp), mulBpExact(a, bp), `mulBp(${a}, ${bp})`);
  }
});

test('mulBp at the top of the domain: products a multiple of 10000 and one below it (before the + 5000)', () => {
  // a × bp + 5000 ≡ 0 or 9999 (mod 10000): the quotient steps there.
  for (const bp of [1, 3, 7, 9_999, 10_000, 4_999, 5_001]) {
    for (let a = amountMax; a > amountMax - 30_000; a -= 1) {
      const rest = (a * bp + 5_000) % 10_000;
      if (rest === 0 || rest === 9_999) assert.is(mulBp(a, bp), mulBpExact(a, bp), `mulBp(${a}, ${bp})`);
    }
  }
});

test('capAmount is the exact integer result on every edge pair, and every quantity around the top against the largest caps', () => {
  for (const qty of edges(lineQtyMilliMax)) for (const cap of edges(itemCapFenMax)) assert.is(capAmount(qty, cap), capAmountExact(qty, cap), `capAmount(${qty}, ${cap})`);
  for (const cap of [itemCapFenMax, itemCapFenMax - 1, 99_999_999, 33_333_333]) {
    for (let qty = lineQtyMilliMax; qty > lineQtyMilliMax - 20_000; qty -= 1) assert.is(capAmount(qty, cap), capAmountExact(qty, cap), `capAmount(${qty}, ${cap})`);
  }
});

test('mulBp and capAmount are exact on random operands over their whole domains', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: amountMax }), fc.integer({ min: 0, max: bpMax }), (a, bp) => mulBp(a, bp) === mulBpExact(a, bp)),
    { numRuns: runs },
  );
  fc.assert(
    fc.property(fc.integer({ min: 0, max: lineQtyMilliMax }), fc.integer({ min: 0, max: itemCapFenMax }), (qty, cap) => capAmount(qty, cap) === capAmountExact(qty, cap)),
    { numRuns: runs },
  );
  // Large operands only: where the product passes 2^32 and a remainder or a division could first go wrong.
  fc.assert(
    fc.property(fc.integer({ min: amountMax - 1_000_000_000, max: amountMax }), fc.integer({ min: bpMax - 1_000, max: bpMax }), (a, bp) => mulBp(a, bp) === mulBpExact(a, bp)),
    { numRuns: runs },
  );
});

test('operands outside the asserted domains are refused', () => {
  for (const [a, bp] of [[amountMax + 1, 1], [-1, 1], [1, bpMax + 1], [1, -1], [0.5, 1], [1, 0.5], [Number.NaN, 1]]) {
    assert.throws(() => mulBp(a as number, bp as number), `mulBp(${a}, ${bp})`);
  }
  for (const [qty, cap] of [[lineQtyMilliMax + 1, 1], [1, itemCapFenMax + 1], [-1, 1], [1, -1], [1.5, 1]]) {
    assert.throws(() => capAmount(qty as number, cap as number), `capAmount(${qty}, ${cap})`);
  }
});

test.run();
