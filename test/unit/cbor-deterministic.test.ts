// Proves the wire's encoder writes RFC 8949 §4.2.1 core deterministic
// encoding where plain string order and the encoded order disagree: map keys
// come out in the bytewise order of their encodings (a shorter text before a
// longer one, "b" before "aa"; unsigned before negative before text; -1
// before -2; UTF-8 order, not UTF-16 order, for U+E000–U+FFFF against astral
// characters), whatever order the Map was built in, with the expected bytes
// written out here by hand; that records (schema `toWire`) and the digests
// follow it; that integers get their shortest integer head whatever their
// JavaScript type (cbor-x alone writes a float beyond 32 bits and a nine-byte
// head for any BigInt); and that what is outside the wire's data model is a
// programmer error (an assertion), never silently written.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { createCborEncoder, compareMapKeys, Tagged, type WireValue } from '../../protocol/cbor-encode';
import { resultDigest } from '../../protocol/digests';
import { resultDigestType, type SettleResultFull } from '../../protocol/messages';
import { toWire } from '../../protocol/schema';
import { oracleEncode } from '../helpers/cbor-oracle';
import { sampleLines, sampleResult } from '../helpers/messages';

const encoder = createCborEncoder();

function nested(depth: number): WireValue {
  let value: WireValue = 0;
  for (let i = 0; i < depth; i += 1) value = [value];
  return value;
}
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

/** Keys in the order RFC 8949 §4.2.1 puts them, each with its encoding (by hand), where a plain sort puts them otherwise. */
const orders: { name: string; keys: (number | string)[]; encoded: string[] }[] = [
  { name: 'shorter text first: "b" before "aa"', keys: ['b', 'aa'], encoded: ['6162', '626161'] },
  { name: 'length before content: "z" before "ab" before "abc"', keys: ['z', 'ab', 'abc'], encoded: ['617a', '626162', '63616263'] },
  { name: 'real accumulator keys: "ded:op" before "cap:outpatient"', keys: ['ded:op', 'cap:outpatient'], encoded: ['666465643a6f70', '6e6361703a6f757470617469656e74'] },
  { name: 'UTF-8 length: "ab" (2 bytes) before "中" (1 unit, 3 bytes)', keys: ['ab', '中'], encoded: ['626162', '63e4b8ad'] },
  { name: 'UTF-8 length: "中" (3 bytes) before "abcd"', keys: ['中', 'abcd'], encoded: ['63e4b8ad', '6461626364'] },
  { name: 'code point order: "\\uffffa" before "😀" (same 4 bytes; UTF-16 order says the opposite)', keys: ['\uffffa', '😀'], encoded: ['64efbfbf61', '64f09f9880'] },
  { name: 'unsigned before negative before text', keys: [10, -1, 'a'], encoded: ['0a', '20', '6161'] },
  { name: 'negative integers by argument: -1, -2, -24, -25, -256, -257', keys: [-1, -2, -24, -25, -256, -257], encoded: ['20', '21', '37', '3818', '38ff', '390100'] },
  { name: 'unsigned by head: 23, 24, 255, 256, 65536, 2^32', keys: [23, 24, 255, 256, 65_536, 2 ** 32], encoded: ['17', '1818', '18ff', '190100', '1a00010000', '1b0000000100000000'] },
  { name: 'number keys "10" and "9" as text: "9" first', keys: ['9', '10'], encoded: ['6139', '623130'] },
];

for (const order of orders) {
  test(`map keys in encoded order: ${order.name}`, () => {
    const plainSort = [...order.keys].sort();
    const unitLengthFirst = [...order.keys].sort((a, b) => String(a).length - String(b).length || (String(a) < String(b) ? -1 : 1));
    // The case must be one that plain sorting, or length-first in UTF-16 units, gets wrong (or mixes types), or it proves nothing.
    const naiveAgrees = JSON.stringify(plainSort) === JSON.stringify(order.keys) && JSON.stringify(unitLengthFirst) === JSON.stringify(order.keys);
    assert.ok(!naiveAgrees || order.keys.some((key) => typeof key === 'number'), 'the naive orders agree');
    const expected = `a${order.keys.length.toString(16)}${order.encoded.map((key, i) => `${key}${(i + 1).toString(16).padStart(2, '0')}`).join('')}`;
    for (const built of [order.keys, [...order.keys].reverse(), plainSort]) {
      const map = new Map<number | string, WireValue>(built.map((key) => [key, order.keys.indexOf(key) + 1]));
      assert.is(hex(encoder.encode(map)), expected, `built as ${JSON.stringify(built)}`);
      assert.is(hex(oracleEncode(map)), expected, 'the independent encoder agrees');
    }
    const sorted = [...order.keys].reverse().sort(compareMapKeys);
    assert.equal(sorted, order.keys);
  });
}

test('a record (schema toWire) is written in encoded order, not in plain string order', () => {
  const lines = sampleLines(3);
  const result = { ...sampleResult(lines), acc_delta: { 'cap:outpatient': 7, 'ded:op': 5, b: 2, aa: 1 } } as unknown as SettleResultFull;
  const wire = toWire(resultDigestType, result, 'result') as WireValue[];
  assert.equal([...(wire[3] as Map<string, number>).keys()], ['b', 'aa', 'ded:op', 'cap:outpatient']);
  const bytes = encoder.encode(wire);
  assert.ok(hex(bytes).endsWith('a461620262616101666465643a6f70056e6361703a6f757470617469656e7407'), hex(bytes));
  assert.is(hex(bytes), hex(oracleEncode(wire)));
  // The digest is SHA-256 of exactly those bytes.
  assert.is(hex(resultDigest(encoder, result)), createHash('sha256').update(bytes).digest('hex'));
});

test('integers take their shortest integer head whatever their JavaScript type', () => {
  const cases: [WireValue, string][] = [
    [1n, '01'],
    [-1n, '20'],
    [0xffff_ffffn, '1affffffff'],
    [-(2n ** 32n), '3affffffff'],
    [2 ** 32, '1b0000000100000000'],
    [-(2 ** 32) - 1, '3b0000000100000000'],
    [Number.MAX_SAFE_INTEGER, '1b001fffffffffffff'],
    [-Number.MAX_SAFE_INTEGER, '3b001ffffffffffffe'],
    [(1n << 64n) - 1n, '1bffffffffffffffff'],
    [-(1n << 64n) + 1n, '3bfffffffffffffffe'],
    [new Tagged(18, [1]), 'd28101'],
    [new Uint8Array([1, 2]), '420102'],
    [Buffer.from([1, 2]), '420102'],
  ];
  for (const [value, expected] of cases) assert.is(hex(encoder.encode(value)), expected, String(value));
});

test('what is outside the wire data model fails an assertion instead of being written', () => {
  class Sub extends Map<string, WireValue> {}
  const refused: [string, unknown][] = [
    ['a float', 1.5],
    ['NaN', Number.NaN],
    ['an unsafe integer', 2 ** 53],
    ['undefined', undefined],
    ['a plain object', { a: 1 }],
    ['a Date', new Date(0)],
    ['a lone surrogate', 'a\ud800'],
    ['a lone surrogate as a key', new Map([['\udc00', 1]])],
    ['a float key', new Map([[0.5, 1]])],
    ['-2^64 (cbor-x would write a bignum tag)', -(1n << 64n)],
    ['2^64', 1n << 64n],
    ['a tag beyond 32 bits', new Tagged(2 ** 32, 1)],
    ['nesting deeper than 64', nested(70)],
    ['an undefined inside an array', [1, undefined]],
  ];
  for (const [name, value] of refused) assert.throws(() => encoder.encode(value as WireValue), (error: Error) => error.name === 'AssertionError', name);
  // A Map subclass and an Array subclass are written as the plain map and array they hold (cbor-x alone would write indefinite arrays).
  assert.is(hex(encoder.encode(new Sub([['b', 1], ['aa', 2]]))), 'a261620162616102');
  class List extends Array<WireValue> {}
  assert.is(hex(encoder.encode(List.from([1, 2]) as WireValue)), '820102');
});

test('the encoder hands out fresh bytes: a later encode never changes an earlier result', () => {
  const first = encoder.encode(['a', 1]);
  const copy = hex(first);
  for (let i = 0; i < 1_000; i += 1) encoder.encode(['b'.repeat(i), i]);
  assert.is(hex(first), copy);
  assert.is(first.constructor, Uint8Array);
  assert.is(first.byteOffset, 0);
  assert.is(first.buffer.byteLength, first.length);
});

test.run();
