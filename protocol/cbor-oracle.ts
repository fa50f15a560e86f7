// cbor-x, set up as the wire's reference encoder: every option that affects
// the bytes written out (DESIGN.md, codec; STYLE.md habit 9), and only the
// `index-no-eval` entry (no `new Function`, no native extractor). The
// firmware encodes with protocol/cbor-encode.ts (a few hundred bytes, where
// cbor-x is about 41 KB of a 128 KiB budget); tests hold the two to the same
// bytes for every wire value, and the tools bundle (reference hub, emulators)
// may encode with this one, so the two ends of the line use independent
// encoders.
//
// What the options guarantee, and what cbor-x would do otherwise:
// - no records (tag 0xdfff structures) and no packed values (tag 51): plain maps and arrays;
// - untagged byte strings: cbor-x tags a Uint8Array with 64 under Node.js by default;
// - preferred map sizes (a1.. rather than b9 00 01);
// - no floats for integers: cbor-x writes any integer outside ±2^32 as a
//   float64, so `normalizeIntegers` hands those to it as BigInt, which it
//   writes as a 64-bit integer head (the shortest form for such values).
import assert from 'node:assert';
import { Encoder, Tag } from 'cbor-x/index-no-eval';
import { Tagged } from './cbor-decode';
import type { CborEncoder, WireValue } from './cbor-encode';

/** Every option of cbor-x that affects what bytes are written, set explicitly. */
export const cborEncoderOptions = Object.freeze({
  useRecords: false,
  structures: undefined,
  maxSharedStructures: 0,
  maxOwnStructures: 0,
  shouldShareStructure: undefined,
  getStructures: undefined,
  saveStructures: undefined,
  sequential: false,
  pack: false,
  structuredClone: false,
  mapsAsObjects: false,
  variableMapSize: true,
  useTag259ForMaps: false,
  tagUint8Array: false,
  copyBuffers: true,
  bundleStrings: false,
  useFloat32: 0,
  alwaysUseFloat: false,
  largeBigIntToFloat: false,
  useTimestamp32: false,
  encodeUndefinedAsNil: false,
  useSelfDescribedHeader: false,
  useToJSON: false,
  skipFunction: false,
  keyMap: undefined,
});

// cbor-x writes numbers in [-2^32, 2^32 - 1] as integer heads of the
// shortest form; outside that range it writes a float, so those go as BigInt.
const nint32Min = -0x1_0000_0000;
const uint32Max = 0xffff_ffff;

/** The value as cbor-x must be given it: big integers as BigInt, our tags as cbor-x tags. */
export function normalizeIntegers(value: WireValue): unknown {
  if (typeof value === 'number') {
    assert(Number.isSafeInteger(value), `the wire carries safe integers only, got ${value}`);
    return value >= nint32Min && value <= uint32Max ? value : BigInt(value);
  }
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Uint8Array) return value;
  if (Array.isArray(value)) return (value as readonly WireValue[]).map(normalizeIntegers);
  if (value instanceof Map) {
    const entries = new Map<number | string, unknown>();
    for (const [key, entry] of value) entries.set(key, normalizeIntegers(entry));
    return entries;
  }
  assert(value instanceof Tagged, 'not a wire value');
  return new Tag(normalizeIntegers(value.value as WireValue), value.tag);
}

/** cbor-x with the options above, behind the wire's encoder interface. */
export function createCborXEncoder(): CborEncoder {
  const encoder = new Encoder({ ...cborEncoderOptions } as ConstructorParameters<typeof Encoder>[0]);
  const encode = (value: WireValue): Uint8Array => new Uint8Array(encoder.encode(normalizeIntegers(value)));
  return { encode, encodeFresh: encode };
}
