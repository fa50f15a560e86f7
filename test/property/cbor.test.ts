// Proves the codec's two halves agree (fast-check, seeded; the seed is
// printed on failure and TEST_SEED replays it): any value of the wire's data
// model encoded by the cbor-x encoder is accepted by the strict decoder and
// comes back equal, cbor-x reads the same bytes to the same value, and the
// strict decoder's output re-encodes to the very same bytes (the encoder
// writes only shortest heads, which the decoder demands); random mutations
// of those bytes are refused or decoded, never thrown on. And the firmware's
// own encoder writes, for every wire value (tags and 64-bit integers
// included), exactly the bytes cbor-x writes with the options of
// protocol/cbor-oracle.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { Decoder } from 'cbor-x/index-no-eval';
import { decodeStrict, type CborValue } from '../../protocol/cbor-decode';
import { createCborEncoder, Tagged, type WireValue } from '../../protocol/cbor-encode';
import { createCborXEncoder } from '../../protocol/cbor-oracle';
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

const oracle = createCborXEncoder();
// The wire hands BigInts over only beyond 32 bits, where a 64-bit head is the
// shortest form: cbor-x writes every BigInt with a 64-bit head (even 1n) and
// −2^64 as a bignum tag, where this encoder keeps to the shortest head.
const bigInteger = fc.oneof(
  fc.bigInt({ min: 1n << 32n, max: (1n << 64n) - 1n }),
  fc.bigInt({ min: -(1n << 64n) + 1n, max: -(1n << 32n) - 1n }),
  fc.constantFrom(1n << 32n, (1n << 64n) - 1n, -(1n << 32n) - 1n, -(1n << 64n) + 1n),
);
const anyWireValue: fc.Arbitrary<WireValue> = fc.letrec<{ value: WireValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    integer,
    bigInteger,
    fc.string({ unit: 'binary', maxLength: 300 }).filter((value) => !/[\uD800-\uDFFF]/.test(value)),
    fc.uint8Array({ maxLength: 300 }),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 30 }),
    fc.uniqueArray(fc.tuple(fc.oneof(fc.integer({ min: -70_000, max: 70_000 }), text), tie('value')), { maxLength: 5, selector: (entry) => entry[0] }).map((entries) => new Map(entries)),
    fc.tuple(fc.constantFrom(0, 18, 23, 24, 255, 256, 65_536), tie('value')).map(([tag, value]) => new Tagged(tag, value as never)),
  ),
})).value;

test('the firmware encoder writes the very bytes cbor-x writes with the oracle options', () => {
  fc.assert(
    fc.property(anyWireValue, (value) => {
      assert.equal([...encoder.encode(value)], [...oracle.encode(value)]);
    }),
    { seed, numRuns: runs * 5, endOnFailure: true, includeErrorInReport: true },
  );
});

test('small BigInts take their shortest head (where cbor-x would spend nine bytes)', () => {
  assert.equal([...encoder.encode(1n)], [0x01]);
  assert.equal([...encoder.encode(0xffff_ffffn)], [0x1a, 0xff, 0xff, 0xff, 0xff]);
  assert.equal([...encoder.encode(-(1n << 64n))], [0x3b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
});

test('long strings and byte strings take the right heads (24, 256, 65536 byte lengths)', () => {
  for (const length of [0, 23, 24, 255, 256, 65_535, 65_536, 70_000]) {
    for (const value of ['a'.repeat(length), '中'.repeat(Math.ceil(length / 3)), new Uint8Array(length)] as WireValue[]) {
      assert.equal([...encoder.encode(value)], [...oracle.encode(value)], `length ${length}`);
    }
  }
});

test.run();
