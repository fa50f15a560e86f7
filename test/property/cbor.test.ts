// Proves the codec's two halves agree (fast-check, seeded; the seed is
// printed on failure and TEST_SEED replays it): any value of the wire's data
// model encoded by the wire's encoder (cbor-x, deterministic) is accepted by
// the strict decoder and comes back equal, cbor-x reads the same bytes to the
// same value, and the strict decoder's output re-encodes to the very same
// bytes (the encoder writes only shortest heads, which the decoder demands);
// random mutations of those bytes are refused or decoded, never thrown on.
// And the encoder writes, for every wire value (maps in any insertion order,
// tags and 64-bit integers included), exactly the bytes of an independent
// encoder (test/helpers/cbor-oracle.ts: RFC 8949 §4.2.1 written out, map
// keys ordered by comparing their encodings byte by byte), so its output is
// the core deterministic encoding, not merely what cbor-x writes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { Decoder } from 'cbor-x/index-no-eval';
import { decodeStrict, type CborValue } from '../../protocol/cbor-decode';
import { createCborEncoder, Tagged, type WireValue } from '../../protocol/cbor-encode';
import { oracleEncode } from '../helpers/cbor-oracle';
import { testSeed } from '../helpers/seed';

const seed = testSeed();
const runs = Number(process.env.PROPERTY_RUNS ?? 400);
const encoder = createCborEncoder();
const reference = new Decoder({ useRecords: false, mapsAsObjects: false, structuredClone: false, copyBuffers: true, bundleStrings: false, int64AsNumber: true } as never);

const integer = fc.oneof(
  fc.integer({ min: -30, max: 30 }),
  fc.integer({ min: -(2 ** 31), max: 2 ** 32 - 1 }),
  fc.maxSafeInteger(),
  fc.constantFrom(23, 24, 255, 256, 65_535, 65_536, 2 ** 32 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER, -24, -25, -256, -257, -(2 ** 32), -(2 ** 32) - 1, -Number.MAX_SAFE_INTEGER),
);
const text = fc.string({ unit: 'grapheme', maxLength: 40 });
const wireValue = fc.letrec<{ value: CborValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    integer,
    text,
    fc.uint8Array({ maxLength: 40 }),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 6 }),
    fc
      .uniqueArray(fc.tuple(fc.oneof(fc.integer({ min: -1000, max: 1000 }), text), tie('value')), { maxLength: 5, selector: (entry) => entry[0] })
      .map((entries) => new Map(entries)),
  ),
})).value;

function toReference(value: CborValue): unknown {
  if (value instanceof Map) return new Map([...value].map(([key, entry]) => [key, toReference(entry)]));
  if (Array.isArray(value)) return value.map(toReference);
  return value;
}

function fromReference(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof Map) return new Map([...value].map(([key, entry]) => [key, fromReference(entry)]));
  if (Array.isArray(value)) return value.map(fromReference);
  if (value instanceof Uint8Array) return new Uint8Array(value);
  return value;
}

test('encode -> strict decode is the identity, cbor-x agrees, and re-encoding gives the same bytes', () => {
  fc.assert(
    fc.property(wireValue, (value) => {
      const bytes = encoder.encode(value as WireValue);
      const decoded = decodeStrict(bytes);
      assert.ok(decoded.ok, decoded.ok ? '' : `${decoded.error.code} at ${decoded.error.offset}`);
      if (!decoded.ok) return;
      assert.equal(decoded.value, value);
      assert.equal(fromReference(reference.decode(bytes)), toReference(value));
      assert.equal(encoder.encode(decoded.value as WireValue), bytes);
    }),
    { seed, numRuns: runs },
  );
});

test('mutated encodings are refused or decoded, never thrown on', () => {
  fc.assert(
    fc.property(wireValue, fc.nat(), fc.integer({ min: 1, max: 255 }), (value, at, mask) => {
      const bytes = encoder.encode(value as WireValue).slice();
      const index = at % bytes.length;
      bytes[index] = (bytes[index] as number) ^ mask;
      const result = decodeStrict(bytes);
      if (result.ok) assert.equal(encoder.encode(result.value as WireValue).length > 0, true);
      decodeStrict(bytes.subarray(0, index));
    }),
    { seed, numRuns: runs },
  );
});

// BigInts of every size the encoder takes: within ±2^32 (where cbor-x alone
// would spend a nine-byte head) and up to 64-bit arguments.
const bigInteger = fc.oneof(
  fc.bigInt({ min: -(1n << 32n), max: (1n << 32n) - 1n }),
  fc.bigInt({ min: 1n << 32n, max: (1n << 64n) - 1n }),
  fc.bigInt({ min: -(1n << 64n) + 1n, max: -(1n << 32n) - 1n }),
  fc.constantFrom(0n, 23n, 24n, -24n, -25n, 1n << 32n, (1n << 64n) - 1n, -(1n << 32n) - 1n, -(1n << 64n) + 1n),
);
// Map keys that disagree most between plain string order and encoded order:
// short and long, ASCII, CJK, astral and U+E000–U+FFFF text, and integers of every head size and sign.
const mapKey = fc.oneof(
  fc.integer({ min: -70_000, max: 70_000 }),
  fc.constantFrom(0, 23, 24, 255, 256, 65_535, 65_536, 2 ** 32, -1, -24, -25, -256, -257, -(2 ** 32) - 1),
  fc.string({ maxLength: 6 }),
  fc.constantFrom('a', 'b', 'aa', 'ab', 'z', 'é', '中', '\uffff', '\u{10000}', '\uffffa', '\u{1f600}', 'ded:op', 'cap:outpatient', ''),
  text,
);
const anyWireValue: fc.Arbitrary<WireValue> = fc.letrec<{ value: WireValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    integer,
    bigInteger,
    fc.string({ unit: 'binary', maxLength: 300 }),
    fc.uint8Array({ maxLength: 300 }),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 30 }),
    fc.uniqueArray(fc.tuple(mapKey, tie('value')), { maxLength: 8, selector: (entry) => entry[0] }).map((entries) => new Map(entries)),
    fc.tuple(fc.constantFrom(0, 18, 23, 24, 255, 256, 65_536, 0xffff_ffff), tie('value')).map(([tag, value]) => new Tagged(tag, value as never)),
  ),
})).value;

test('the wire encoder writes the very bytes of the independent RFC 8949 §4.2.1 encoder', () => {
  fc.assert(
    fc.property(anyWireValue, (value) => {
      assert.equal([...encoder.encode(value)], [...oracleEncode(value)]);
    }),
    { seed, numRuns: runs * 5, endOnFailure: true, includeErrorInReport: true },
  );
});

test('long strings and byte strings take the right heads (24, 256, 65536 byte lengths)', () => {
  for (const length of [0, 23, 24, 255, 256, 65_535, 65_536, 70_000]) {
    for (const value of ['a'.repeat(length), '中'.repeat(Math.ceil(length / 3)), '😀'.repeat(Math.ceil(length / 4)), new Uint8Array(length)] as WireValue[]) {
      assert.equal([...encoder.encode(value)], [...oracleEncode(value)], `length ${length}`);
    }
  }
});

test.run();
