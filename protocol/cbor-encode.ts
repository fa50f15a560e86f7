// The CBOR encoder: cbor-x with every option written out (DESIGN.md, codec;
// STYLE.md habit 9). Only the `index-no-eval` entry is ever imported: it
// builds no code with `new Function` and never loads the native extractor.
//
// What the options guarantee, and what cbor-x would do otherwise:
// - no records (tag 0xdfff structures) and no packed values (tag 51): plain maps and arrays;
// - untagged byte strings: cbor-x tags a Uint8Array with 64 under Node.js by default;
// - preferred map sizes (a1.. rather than b9 00 01);
// - no floats for integers: cbor-x writes any integer outside ±2^32 as a
//   float64, so `normalizeIntegers` hands those to it as BigInt, which it
//   writes as a 64-bit integer head (the shortest form for such values).
// An encoder is an object the caller creates and keeps: there is no
// module-global codec state here (cbor-x's own scratch buffer aside, which
// never escapes: every result is copied out into a plain Uint8Array).
import assert from 'node:assert';
import { Encoder, Tag } from 'cbor-x/index-no-eval';

/** What this encoder accepts: the wire's data model (the strict decoder returns the same shapes). */
export type WireValue =
  | number
  | bigint
  | string
  | boolean
  | null
  | Uint8Array
  | readonly WireValue[]
  | ReadonlyMap<number | string, WireValue>
  | Tag;

export { Tag };

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

export interface CborEncoder {
  /** Encodes one wire value; the result is a fresh copy the caller owns. */
  encode(value: WireValue): Uint8Array;
  /**
   * Encodes a value `toWire` just built (its integers above 32 bits already
   * BigInt, no unsafe or fractional number in it), skipping the normalising copy.
   */
  encodeFresh(value: WireValue): Uint8Array;
}

/** Creates an encoder with the options above. Keep one per endpoint; creating one costs ≈ 15 µs. */
export function createCborEncoder(): CborEncoder {
  const encoder = new Encoder({ ...cborEncoderOptions } as ConstructorParameters<typeof Encoder>[0]);
  return {
    encode(value: WireValue): Uint8Array {
      // cbor-x returns a view into its scratch buffer: copy it out so no two results share memory.
      return new Uint8Array(encoder.encode(normalizeIntegers(value)));
    },
    encodeFresh(value: WireValue): Uint8Array {
      return new Uint8Array(encoder.encode(value));
    },
  };
}

// cbor-x writes numbers in [-2^32, 2^32 - 1] as integer heads of the
// shortest form; outside that range it writes a float, so those go as BigInt.
const nint32Min = -0x1_0000_0000;
const uint32Max = 0xffff_ffff;

/**
 * Returns the value with every integer that cbor-x would write as a float
 * replaced by a BigInt, and asserts there is no non-integer number, no
 * unsafe integer and no value of a type the wire does not carry.
 */
export function normalizeIntegers(value: WireValue): WireValue {
  if (typeof value === 'number') {
    assert(Number.isSafeInteger(value), `the wire carries safe integers only, got ${value}`);
    return value >= nint32Min && value <= uint32Max ? value : BigInt(value);
  }
  if (value === null || typeof value !== 'object') {
    assert(typeof value === 'string' || typeof value === 'boolean' || typeof value === 'bigint' || value === null, `not a wire value: ${typeof value}`);
    return value;
  }
  if (value instanceof Uint8Array) return value;
  if (Array.isArray(value)) return (value as readonly WireValue[]).map(normalizeIntegers);
  if (value instanceof Map) {
    const entries = new Map<number | string, WireValue>();
    for (const [key, entry] of value) {
      assert(typeof key === 'string' || (Number.isInteger(key) && key >= nint32Min && key <= uint32Max), `map keys are text or 32-bit integers, got ${String(key)}`);
      entries.set(key, normalizeIntegers(entry));
    }
    return entries;
  }
  assert(value instanceof Tag, 'not a wire value: an object that is no array, map, byte string or tag');
  return new Tag(normalizeIntegers(value.value as WireValue), value.tag);
}
