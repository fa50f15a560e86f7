// The wire's CBOR encoder: cbor-x (docs/protocol.md, CBOR), in the firmware and in
// the tools alike, writing core deterministic encoding (RFC 8949 §4.2.1), so
// every message, journal record and digest has exactly one encoding:
// - every head in its shortest form, definite lengths only (cbor-x does this
//   for the values it is handed, with the options below);
// - map keys in the bytewise order of their encodings (cbor-x writes a Map in
//   iteration order and has no option to sort: `prepared` below sorts).
//
// In front of cbor-x, one walk over the value (`prepared`) holds it to the
// wire's data model and hands cbor-x each item in the form it writes as the
// deterministic encoding: integers outside [-2^32, 2^32 - 1] as BigInt (cbor-x
// would write a float64), BigInts inside it as numbers (cbor-x would spend a
// nine-byte head), maps in key order, our Tagged as cbor-x's Tag. Anything
// else (floats, undefined, objects, lone surrogates, over-deep nesting) is a
// programmer error and fails an assertion: nothing a peer sends is encoded
// without passing the schema first (schema.ts `toWire`). The walk copies only
// what it must change: a message built by `toWire` is handed over as it is.
//
// Entry: `cbor-x/encode`, imported as an ES module, which under Node.js is
// cbor-x's `index.js` (its source modules, not a prebuilt bundle), so esbuild
// keeps only what the Encoder reaches: about 30 KB in the firmware where the
// prebuilt `cbor-x/index-no-eval` file, which cannot be tree-shaken, costs 41
// KB (3.1 KB more after gzip -9, which the firmware's 80 KiB budget could not
// spare: README, runtime dependencies). It does not load cbor-x's optional
// native extractor (only the main entry does), which speeds up decoding only
// and costs 15 to 30 ms of every start (`npm run bench -- cbor-entry`); the
// firmware decodes with the strict gate alone (cbor-decode.ts). What the
// no-eval file changes, this entry keeps: cbor-x builds code from strings
// only to read records (`useRecords`, off here, and this Encoder never
// decodes), and probes once at load whether it may, inside a try. The
// firmware's commands run under `node --disallow-code-generation-from-strings`
// (test/unit/build.test.ts), so nothing of it needs code built from strings.
import assert from 'node:assert';
import { Encoder, Tag } from 'cbor-x/encode';

// cbor-x's type file for this entry (encode.d.ts) leaves out Tag, which the
// module it resolves to exports (index.js, and dist/node.cjs under require).
declare module 'cbor-x/encode' {
  export class Tag {
    constructor(value?: unknown, tagNumber?: number);
    value: unknown;
    tag: number;
  }
}
import { Tagged } from './cbor-decode';

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
  | Tagged;

export { Tagged };

export interface CborEncoder {
  /** Encodes one wire value deterministically; the result is a fresh copy the caller owns. */
  encode(value: WireValue): Uint8Array;
}

/**
 * Every option of cbor-x's encoder that changes the bytes it writes (each one
 * its encode.js reads), set explicitly, with why. Decoding options are absent:
 * this Encoder never decodes.
 */
export const cborEncoderOptions = Object.freeze({
  /** No record extension (tag 0xdfff structures): a map is a plain CBOR map. */
  useRecords: false,
  /** No shared structures: nothing outside the value shapes its bytes. */
  structures: undefined,
  /** No shared structure slots (records are off; set so no default applies). */
  maxSharedStructures: 0,
  /** No structure callbacks: nothing outside the value shapes its bytes. */
  getStructures: undefined,
  saveStructures: undefined,
  /** No sequential record definitions (a records mode). */
  sequential: false,
  /** No packed values (tag 51 and references to repeated strings). */
  pack: false,
  /** No shared packed-value table. */
  sharedValues: undefined,
  /** No value sharing (tag 28/29): a repeated object is written again in full. */
  structuredClone: false,
  /** Maps are Maps: with true cbor-x would prefix each Map with tag 259. */
  mapsAsObjects: false,
  /** Never tag 259 on a Map, whatever mapsAsObjects says. */
  useTag259ForMaps: false,
  /** Plain objects (none reach it: `prepared` refuses them) would get the shortest map head, not a map-16. */
  variableMapSize: true,
  /** Byte strings untagged: under Node.js cbor-x tags a Uint8Array with 64 unless told not to. */
  tagUint8Array: false,
  /** No bundled strings (tag 0xdff9 string tables): every text is written where it stands. */
  bundleStrings: false,
  /** Never write a number as a float32 (integers only reach it anyway). */
  useFloat32: 0,
  /** Integers as integer heads, never as floats. */
  alwaysUseFloat: false,
  /** A BigInt beyond 64 bits would be a bignum tag, not a float (`prepared` refuses those anyway). */
  largeBigIntToFloat: false,
  /** Dates (none reach it) as whole-second integers would differ from float ones: off, as by default. */
  useTimestamp32: false,
  /** No self-described CBOR tag (55799) in front. */
  useSelfDescribedHeader: false,
  /** No toJSON(): a value is encoded as what it is. */
  useToJSON: false,
  /** Functions are not skipped silently (none reach it: `prepared` refuses them). */
  skipFunction: false,
  /** No key renaming. */
  keyMap: undefined,
});

/**
 * The one cbor-x Encoder of this module. Why one module-level instance is
 * safe: its options are fixed here and it is never reconfigured (nothing
 * outside this module can reach it); cbor-x's encode is synchronous and
 * re-entered by nothing (no toJSON, no extensions of ours, and cbor-x's
 * global extension table is never added to: no `addExtension` anywhere in the
 * runtime); the buffer cbor-x writes into is module-level inside cbor-x
 * whatever we do, used only for the length of one encode, and what it wrote
 * is copied out before anyone else can encode. So no caller sees another's
 * bytes or state, and creating more Encoders would change nothing.
 */
const encoder = new Encoder({ ...cborEncoderOptions } as ConstructorParameters<typeof Encoder>[0]);

/** Nesting of arrays, maps and tags the encoder accepts (the strict decoder's own limit is lower). */
export const encodeDepthMax = 64;
// cbor-x writes a number in [-2^32, 2^32 - 1] as the shortest integer head;
// outside that range it writes a float64, so those go as BigInt, which it
// writes with the 64-bit head (their shortest form).
const nint32Min = -0x1_0000_0000;
const uint32Max = 0xffff_ffff;
const int64ArgumentMax = (1n << 64n) - 1n;

/** A string of Node.js 20 (ES2024 `isWellFormed`: no lone surrogate), typed. */
type WellFormed = string & { isWellFormed(): boolean };

/**
 * The value as cbor-x must be given it to write its deterministic encoding;
 * the value itself when nothing needs to change. Asserts the wire's data model.
 */
function prepared(value: WireValue, depth: number): unknown {
  // Each check is made before its assertion, so a message naming the value is built only when it fails.
  switch (typeof value) {
    case 'number':
      if (!Number.isSafeInteger(value)) assert(false, `the wire carries safe integers only, got ${value}`);
      return value >= nint32Min && value <= uint32Max ? value : BigInt(value);
    case 'string':
      if (!(value as WellFormed).isWellFormed()) assert(false, `text holds a lone surrogate: ${JSON.stringify(value)}`);
      return value;
    case 'boolean':
      return value;
    case 'bigint':
      // -2^64 has a head (0x3b ff…ff) but cbor-x writes it as a bignum tag: the wire never needs it.
      if (value < -int64ArgumentMax || value > int64ArgumentMax) assert(false, `a BigInt on the wire fits a 64-bit head, got ${value}`);
      return value >= nint32Min && value <= uint32Max ? Number(value) : value;
    default:
      break;
  }
  if (value === null) return value;
  if (depth >= encodeDepthMax) assert(false, `wire values nest at most ${encodeDepthMax} deep`);
  if (Array.isArray(value)) return preparedArray(value as readonly WireValue[], depth + 1);
  if (value instanceof Uint8Array) return value;
  if (value instanceof Map) return preparedMap(value as ReadonlyMap<number | string, WireValue>, depth + 1);
  if (!(value instanceof Tagged)) assert(false, `not a wire value: ${Object.prototype.toString.call(value)}`);
  const tag = value.tag;
  if (!Number.isSafeInteger(tag) || tag < 0 || tag > uint32Max) assert(false, `a tag number fits 32 bits, got ${tag}`);
  return new Tag(prepared(value.value as WireValue, depth + 1), tag);
}

function preparedArray(array: readonly WireValue[], depth: number): unknown[] {
  // cbor-x writes only a plain Array as a definite array (an Array subclass would be an indefinite one).
  let out: unknown[] | undefined = array.constructor === Array ? undefined : [];
  for (let i = 0; i < array.length; i += 1) {
    const item = array[i] as WireValue;
    // Fast path, the wire's commonest item: an integer cbor-x writes as it is (uint32 or int32).
    const ready = typeof item === 'number' && ((item >>> 0) === item || (item | 0) === item) ? item : prepared(item, depth);
    if (out === undefined && ready !== item) out = array.slice(0, i);
    if (out !== undefined) out.push(ready);
  }
  return out ?? (array as unknown[]);
}

function preparedMap(map: ReadonlyMap<number | string, WireValue>, depth: number): Map<unknown, unknown> {
  const keys = [...map.keys()];
  let ordered = map.constructor === Map;
  for (let i = 0; i < keys.length; i += 1) {
    const key = keys[i] as number | string;
    if (typeof key !== 'string' && !Number.isSafeInteger(key)) assert(false, `map keys are text or safe integers, got ${String(key)}`);
    if (ordered && i > 0 && compareMapKeys(keys[i - 1] as number | string, key) > 0) ordered = false;
  }
  if (!ordered) keys.sort(compareMapKeys);
  const entries: [unknown, unknown][] = [];
  let changed = !ordered;
  for (const key of keys) {
    const entry = map.get(key) as WireValue;
    const readyKey = prepared(key, depth);
    const ready = prepared(entry, depth);
    if (readyKey !== key || ready !== entry) changed = true;
    entries.push([readyKey, ready]);
  }
  return changed ? new Map(entries) : (map as Map<unknown, unknown>);
}

/** The rank of a key's major type in encoded order: unsigned (0) before negative (1) before text (3). */
function majorRank(key: number | string): number {
  return typeof key === 'string' ? 2 : key < 0 ? 1 : 0;
}

/** UTF-8 bytes of well-formed text: the length its head encodes. */
function utf8Bytes(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i += 1) {
    const unit = text.charCodeAt(i);
    // A surrogate pair is 4 bytes: 2 for each of its units.
    bytes += unit < 0x80 ? 1 : unit < 0x800 ? 2 : unit >= 0xd800 && unit <= 0xdfff ? 2 : 3;
  }
  return bytes;
}

/** A UTF-16 unit moved so that unit order is code point order (surrogates above U+E000–U+FFFF). */
function codePointRank(unit: number): number {
  return unit >= 0xe000 ? unit - 0x800 : unit >= 0xd800 ? unit + 0x2000 : unit;
}

/**
 * The order of two map keys' deterministic encodings, bytewise (RFC 8949
 * §4.2.1), computed from the keys: a head's first byte holds the major type,
 * so unsigned integers come first, then negative ones, then text; within a
 * major type the shortest head grows with its argument, so unsigned integers
 * ascend, negative ones descend (-1 before -2: the argument is -1 - n), and
 * a shorter text (in UTF-8 bytes) comes before a longer one; texts of equal
 * length compare by their UTF-8 bytes, that is by code point (not by UTF-16
 * unit, which orders U+E000–U+FFFF after astral characters).
 */
export function compareMapKeys(a: number | string, b: number | string): number {
  const rank = majorRank(a) - majorRank(b);
  if (rank !== 0) return rank;
  if (typeof a === 'number') return a < 0 ? (b as number) - a : a - (b as number);
  const text = b as string;
  const length = utf8Bytes(a) - utf8Bytes(text);
  if (length !== 0) return length;
  // Equal UTF-8 lengths: the first unit that differs decides (neither can be a prefix of the other).
  for (let i = 0; i < a.length; i += 1) {
    const left = a.charCodeAt(i);
    const right = text.charCodeAt(i);
    if (left !== right) return codePointRank(left) - codePointRank(right);
  }
  return 0;
}

/** Encodes one wire value deterministically (see the module's header). */
function encode(value: WireValue): Uint8Array {
  // cbor-x returns a view of its own buffer: copy it out (a fresh Uint8Array the caller owns).
  return new Uint8Array(encoder.encode(prepared(value, 0)));
}

const wireEncoder: CborEncoder = Object.freeze({ encode });

/** The wire's encoder (one, stateless to its callers: any number of endpoints may share it). */
export function createCborEncoder(): CborEncoder {
  return wireEncoder;
}
