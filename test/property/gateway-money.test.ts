// Proves gateway/money.ts converts exactly between integer fen and the
// national interface's yuan text: fen -> "yuan" -> fen is the identity for
// every safe integer (fast-check), any decimal of up to 16 digits reads back
// as the integer it was written from, the text is the digits of the integer
// (so 0.29 yuan is 29 fen, where the float 0.29 * 100 is not 29), and every
// malformed amount (one place, three places, signs, exponents, spaces, a
// leading zero, over 16 digits) is refused with decimal_invalid, never rounded.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { DecimalTextError, decimalText, fenToYuan, parseDecimal, yuanToFen } from '../../gateway/money';

const runs = Number(process.env.PROPERTY_RUNS ?? 2_000);

test('fen -> yuan -> fen is the identity on every safe integer', () => {
  fc.assert(
    fc.property(fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }), (fen) => yuanToFen(fenToYuan(fen)) === fen),
    { numRuns: runs },
  );
});

test('a decimal of up to 16 digits reads back as the integer it was written from', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 8 }), fc.bigInt({ min: -(10n ** 16n) + 1n, max: 10n ** 16n - 1n }), (places, units) =>
      parseDecimal(decimalText(units, places), places) === units,
    ),
    { numRuns: runs },
  );
});

test('yuan text is the digits of the fen', () => {
  const table: [number, string][] = [[0, '0.00'], [5, '0.05'], [-5, '-0.05'], [29, '0.29'], [100, '1.00'], [1234, '12.34'], [3672800, '36728.00'], [Number.MAX_SAFE_INTEGER, '90071992547409.91']];
  for (const [fen, yuan] of table) {
    assert.is(fenToYuan(fen), yuan);
    assert.is(yuanToFen(yuan), fen);
  }
  assert.is.not(0.29 * 100, 29, 'the float route would be wrong here');
  assert.is(yuanToFen('0.29'), 29);
});

test('malformed amounts are refused with decimal_invalid, never rounded', () => {
  for (const bad of ['', '1', '1.2', '1.234', '01.00', '+1.00', '-', '1e2', '1.0e2', ' 1.00', '1.00 ', 'NaN', '0x10', '1,000.00', '.50', '1.', '12345678901234567.00', '１.00']) {
    try {
      yuanToFen(bad);
      assert.unreachable(`'${bad}' was accepted`);
    } catch (error) {
      assert.instance(error, DecimalTextError, `'${bad}'`);
      assert.is((error as DecimalTextError).code, 'decimal_invalid');
    }
  }
  assert.throws(() => parseDecimal('1.2345', 3), (error: unknown) => error instanceof DecimalTextError);
  assert.is(parseDecimal('-0.00', 2), 0n);
});

test.run();
