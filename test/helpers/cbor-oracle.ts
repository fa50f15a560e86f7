// An independent CBOR encoder, for tests only: RFC 8949 written out as
// plainly as it reads, to hold the wire's encoder (cbor-x behind
// protocol/cbor-encode.ts) to. It shares no code with cbor-x or with the
// wire's encoder and is written for clarity, not speed: every item becomes
// an array of byte values; heads are computed with BigInt from the
// definition of the shortest form (§4.2.1: arguments below 24 in the initial
// byte, then 1, 2, 4 or 8 bytes); text goes through TextEncoder; and a map's
// entries are ordered by encoding each key on its own and comparing the
// encodings byte by byte, which is §4.2.1's own definition of the
// deterministic key order (the wire's encoder orders keys with a comparator
// on their values instead).
import { Tagged, type WireValue } from '../../protocol/cbor-encode';

const utf8 = new TextEncoder();

/** The shortest head of major type `major` with argument `argument` (RFC 8949 §3, §4.2.1). */
function head(major: number, argument: bigint): number[] {
  if (argument < 0n || argument >= 1n << 64n) throw new RangeError(`argument ${argument} does not fit 64 bits`);
  if (argument < 24n) return [(major << 5) | Number(argument)];
  for (const [info, bytes] of [[24, 1], [25, 2], [26, 4], [27, 8]] as const) {
    if (argument < 1n << BigInt(8 * bytes)) {
      const out = [(major << 5) | info];
      for (let shift = 8 * (bytes - 1); shift >= 0; shift -= 8) out.push(Number((argument >> BigInt(shift)) & 0xffn));
      return out;
    }
  }
  throw new RangeError('unreachable');
}

/** Bytewise lexicographic order of two encodings (shorter first when one is a prefix of the other). */
export function compareBytes(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i += 1) if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number);
  return a.length - b.length;
}

function item(value: WireValue): number[] {
  if (typeof value === 'number' || typeof value === 'bigint') {
    if (typeof value === 'number' && !Number.isSafeInteger(value)) throw new RangeError(`not a safe integer: ${value}`);
    const integer = BigInt(value);
    return integer >= 0n ? head(0, integer) : head(1, -1n - integer);
  }
  if (typeof value === 'string') {
    const bytes = utf8.encode(value);
    return [...head(3, BigInt(bytes.length)), ...bytes];
  }
  if (value === false) return [0xf4];
  if (value === true) return [0xf5];
  if (value === null) return [0xf6];
  if (value instanceof Uint8Array) return [...head(2, BigInt(value.length)), ...value];
  if (Array.isArray(value)) return [...head(4, BigInt(value.length)), ...(value as readonly WireValue[]).flatMap(item)];
  if (value instanceof Map) {
    const entries = [...(value as ReadonlyMap<number | string, WireValue>)].map(([key, entry]) => ({ key: item(key), entry: item(entry) }));
    entries.sort((a, b) => compareBytes(a.key, b.key));
    return [...head(5, BigInt(entries.length)), ...entries.flatMap(({ key, entry }) => [...key, ...entry])];
  }
  if (value instanceof Tagged) return [...head(6, BigInt(value.tag)), ...item(value.value as WireValue)];
  throw new TypeError(`not a wire value: ${String(value)}`);
}

/** The core deterministic encoding (RFC 8949 §4.2.1) of a wire value. */
export function oracleEncode(value: WireValue): Uint8Array {
  return Uint8Array.from(item(value));
}
