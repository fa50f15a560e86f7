// Proves the codec against public vectors: every RFC 8949 Appendix A example
// (test/fixtures/cbor/appendix_a.json) is decoded by cbor-x, the library under
// the codec, to the value the RFC gives, and the strict decoder either returns
// the same value or refuses it with the stable code of the wire subset it is
// outside of (floats, tags, simple values, indefinite lengths, integers beyond
// 2^53 - 1); every input of the cbor-wg `bad.cbor` suite is refused; every
// input of the cbor-wg `good.cbor` suite is either accepted or refused only
// for being outside the subset, never called malformed. And the wire's
// encoder (cbor-x, deterministic) writes every vector of both sources that
// is in the wire's data model back to the very bytes given there (each is in
// preferred form, maps with keys in deterministic order), an oracle that
// owes nothing to this code.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Decoder } from 'cbor-x/index-no-eval';
import { decodeStrict, type CborErrorCode, type CborValue } from '../../protocol/cbor-decode';
import { createCborEncoder, type WireValue } from '../../protocol/cbor-encode';
import { diagnostic } from '../../protocol/diagnostic';
import { projectRoot } from '../helpers/cli';

const fixtures = path.join(projectRoot, 'test', 'fixtures', 'cbor');
// A trusted-input decoder for fixtures and for the reference side of comparisons.
const referenceDecoder = new Decoder({ useRecords: false, mapsAsObjects: true, structuredClone: false, copyBuffers: true, bundleStrings: false, int64AsNumber: false } as never);

const suiteDecoder = new Decoder({ useRecords: false, mapsAsObjects: false, structuredClone: false, copyBuffers: true, bundleStrings: false } as never);

interface AppendixVector {
  hex: string;
  decoded?: unknown;
  diagnostic?: string;
}
const appendix: AppendixVector[] = JSON.parse(readFileSync(path.join(fixtures, 'appendix_a.json'), 'utf8'));

/** Appendix A vectors the strict decoder refuses, and why (everything else must decode to the RFC's value). */
const strictRefusals: Record<string, CborErrorCode> = {
  '1bffffffffffffffff': 'integer_range',
  c249010000000000000000: 'tag_not_allowed',
  '3bffffffffffffffff': 'integer_range',
  c349010000000000000000: 'tag_not_allowed',
  f7: 'simple_not_allowed',
  f0: 'simple_not_allowed',
  // RFC 8949 §3.3 made a two-byte simple value below 32 not well-formed (RFC 7049 allowed it).
  f818: 'reserved_value',
  f8ff: 'simple_not_allowed',
  c074323031332d30332d32315432303a30343a30305a: 'tag_not_allowed',
  c11a514b67b0: 'tag_not_allowed',
  c1fb41d452d9ec200000: 'tag_not_allowed',
  d74401020304: 'tag_not_allowed',
  d818456449455446: 'tag_not_allowed',
  d82076687474703a2f2f7777772e6578616d706c652e636f6d: 'tag_not_allowed',
  '5f42010243030405ff': 'indefinite_length',
  '7f657374726561646d696e67ff': 'indefinite_length',
  '9fff': 'indefinite_length',
  '9f018202039f0405ffff': 'indefinite_length',
  '9f01820203820405ff': 'indefinite_length',
  '83018202039f0405ff': 'indefinite_length',
  '83019f0203ff820405': 'indefinite_length',
  '9f0102030405060708090a0b0c0d0e0f101112131415161718181819ff': 'indefinite_length',
  bf61610161629f0203ffff: 'indefinite_length',
  '826161bf61626163ff': 'indefinite_length',
  bf6346756ef563416d7421ff: 'indefinite_length',
};

/** Strict values as JSON-like data: maps with text keys become objects, as in the fixture. */
function plain(value: CborValue): unknown {
  if (value instanceof Map) return Object.fromEntries([...value].map(([key, entry]) => [key, plain(entry)]));
  if (Array.isArray(value)) return value.map(plain);
  return value;
}

function referencePlain(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) return value.map(referencePlain);
  if (value instanceof Map) return Object.fromEntries([...value].map(([key, entry]) => [key, referencePlain(entry)]));
  if (value !== null && typeof value === 'object' && !(value instanceof Uint8Array)) {
    return Object.fromEntries(Object.entries(value).map(([key, entry]) => [key, referencePlain(entry)]));
  }
  return value;
}

/**
 * cbor-x 1.6.9 does not decode these (it reads simple values as references
 * into a packed-value table, and has no indefinite-length strings); the
 * strict decoder refuses all five anyway, and never hands bytes to cbor-x.
 */
const referenceGaps = new Set(['f0', 'f818', 'f8ff', '5f42010243030405ff', '7f657374726561646d696e67ff']);

test('RFC 8949 Appendix A: cbor-x decodes every vector to the value the RFC gives (its five known gaps aside)', () => {
  assert.is(appendix.length, 82);
  for (const vector of appendix) {
    const bytes = Buffer.from(vector.hex, 'hex');
    if (referenceGaps.has(vector.hex)) {
      assert.throws(() => referenceDecoder.decode(bytes), undefined, vector.hex);
      assert.ok(strictRefusals[vector.hex] !== undefined, vector.hex);
      continue;
    }
    const value = referenceDecoder.decode(bytes);
    if ('decoded' in vector) {
      const expected = vector.decoded;
      const got = referencePlain(value);
      if (typeof expected === 'number' && Number.isNaN(expected)) continue;
      if (typeof expected === 'number' && expected === 0) assert.ok(got === 0, vector.hex); // ±0
      else assert.equal(got, expected, vector.hex);
    } else {
      assert.type(vector.diagnostic, 'string', vector.hex);
    }
  }
});

test('RFC 8949 Appendix A: the strict decoder returns the same value or refuses with the subset reason', () => {
  let accepted = 0;
  for (const vector of appendix) {
    const result = decodeStrict(Buffer.from(vector.hex, 'hex'));
    const reason = strictRefusals[vector.hex] ?? (/^f[9ab]/.test(vector.hex) ? 'float_not_allowed' : undefined);
    if (reason !== undefined) {
      assert.not.ok(result.ok, `${vector.hex} must be refused`);
      if (!result.ok) assert.is(result.error.code, reason, vector.hex);
      continue;
    }
    assert.ok(result.ok, `${vector.hex}: ${result.ok ? '' : result.error.code}`);
    if (!result.ok) continue;
    accepted += 1;
    if ('decoded' in vector) assert.equal(plain(result.value), vector.decoded, vector.hex);
    else assert.is(diagnostic(result.value), vector.diagnostic, vector.hex);
  }
  assert.is(accepted, 35);
});

test('RFC 8949 Appendix A: the wire encoder writes each vector the strict decoder takes back to its very bytes', () => {
  const encoder = createCborEncoder();
  let written = 0;
  for (const vector of appendix) {
    const result = decodeStrict(Buffer.from(vector.hex, 'hex'));
    if (!result.ok) continue;
    assert.is(Buffer.from(encoder.encode(result.value as WireValue)).toString('hex'), vector.hex);
    written += 1;
  }
  assert.is(written, 35);
});

interface SuiteTest {
  description: string;
  encoded: Uint8Array;
  roundtrip?: boolean;
}
function suite(name: string): SuiteTest[] {
  // The suites are themselves CBOR (with floats and non-text keys in their expected values): read them with cbor-x.
  const data = suiteDecoder.decode(readFileSync(path.join(fixtures, 'cbor-wg', 'tests', 'rfc8949', name))) as Map<string, unknown>;
  return (data.get('tests') as Map<string, unknown>[]).map((entry) => ({
    description: entry.get('description') as string,
    encoded: entry.get('encoded') as Uint8Array,
    roundtrip: entry.get('roundtrip') as boolean | undefined,
  }));
}

/** Refusals that mean "well-formed, but outside the wire subset or over one of its bounds". */
const subsetCodes = new Set<CborErrorCode>(['too_deep', 'string_too_long', 'too_many_items', 'map_key_type', 'indefinite_length', 'non_shortest', 'integer_range', 'float_not_allowed', 'simple_not_allowed', 'tag_not_allowed']);

test('cbor-wg bad.cbor: every input is refused by the strict decoder', () => {
  const tests = suite('bad.cbor');
  assert.ok(tests.length >= 45, `${tests.length} bad inputs`);
  const reasons = new Map<string, number>();
  for (const entry of tests) {
    const result = decodeStrict(entry.encoded);
    assert.not.ok(result.ok, `accepted: ${entry.description}`);
    if (!result.ok) reasons.set(result.error.code, (reasons.get(result.error.code) ?? 0) + 1);
  }
  // Most are malformed (truncated, reserved values, breaks); the rest use what the wire refuses anyway.
  assert.ok((reasons.get('truncated') ?? 0) >= 10, JSON.stringify([...reasons]));
});

test('cbor-wg bad.cbor: each input is refused fed whole, and every prefix of it is refused too', () => {
  for (const entry of suite('bad.cbor')) {
    for (let end = 0; end <= entry.encoded.length; end += 1) {
      assert.not.ok(decodeStrict(entry.encoded.subarray(0, end)).ok, `${entry.description} [0, ${end})`);
    }
  }
});

test('cbor-wg good.cbor: accepted, or refused only as outside the subset (never as malformed)', () => {
  const tests = suite('good.cbor');
  assert.ok(tests.length >= 50, `${tests.length} good inputs`);
  let accepted = 0;
  for (const entry of tests) {
    const result = decodeStrict(entry.encoded);
    if (result.ok) accepted += 1;
    else assert.ok(subsetCodes.has(result.error.code), `${entry.description}: ${result.error.code}`);
    if (entry.roundtrip === false && result.ok) {
      // Non-preferred encodings that the strict decoder took must still be shortest heads (e.g. strings).
      assert.ok(!/non-preferred|not preferred/.test(entry.description), `took a non-preferred head: ${entry.description}`);
    }
  }
  assert.ok(accepted >= 10, `${accepted} accepted`);
});

test('cbor-wg good.cbor: the wire encoder writes each round-trip input the strict decoder takes back to its very bytes', () => {
  const encoder = createCborEncoder();
  let written = 0;
  for (const entry of suite('good.cbor')) {
    const result = decodeStrict(entry.encoded);
    if (!result.ok || entry.roundtrip === false) continue;
    assert.is(Buffer.from(encoder.encode(result.value as WireValue)).toString('hex'), Buffer.from(entry.encoded).toString('hex'), entry.description);
    written += 1;
  }
  assert.ok(written >= 10, `${written} written`);
});

test.run();
