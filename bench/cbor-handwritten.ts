// The CBOR encoder the firmware used until issue 13 (protocol/cbor-encode.ts
// of that time), kept here, unchanged but for this header and its exports,
// only as the baseline of `npm run bench -- cbor-encode`: nothing ships or
// tests with it. It wrote shortest heads and map keys in insertion order (the
// schema sorted record keys in plain string order, not RFC 8949 §4.2.1's).
import assert from 'node:assert';
import { Tagged } from '../protocol/cbor-decode';

/** What this encoder accepted: the wire's data model. */
type WireValue =
  | number
  | bigint
  | string
  | boolean
  | null
  | Uint8Array
  | readonly WireValue[]
  | ReadonlyMap<number | string, WireValue>
  | Tagged;

/** The encoder's working buffer starts at this size and doubles up to the maximum. */
const bufferBytesInitial = 65_536;
const bufferBytesMax = 64 * 1_048_576;
const uint64Max = (1n << 64n) - 1n;

/** Bytes of the shortest head for an argument (RFC 8949 §3). */
function headBytes(argument: number): number {
  return argument < 24 ? 1 : argument < 0x100 ? 2 : argument < 0x1_0000 ? 3 : argument <= 0xffff_ffff ? 5 : 9;
}

class Writer {
  #buffer = new Uint8Array(bufferBytesInitial);
  #view = new DataView(this.#buffer.buffer);
  readonly #text = new TextEncoder();
  #at = 0;

  /** Encodes one wire value into a fresh copy. */
  encode(value: WireValue): Uint8Array {
    this.#at = 0;
    this.#item(value, 0);
    const out = this.#buffer.slice(0, this.#at);
    this.#at = 0;
    return out;
  }

  #room(bytes: number): void {
    if (this.#at + bytes <= this.#buffer.length) return;
    let size = this.#buffer.length * 2;
    while (size < this.#at + bytes) size *= 2;
    assert(size <= bufferBytesMax, `an encoded value stays under ${bufferBytesMax} bytes`);
    const grown = new Uint8Array(size);
    grown.set(this.#buffer.subarray(0, this.#at));
    this.#buffer = grown;
    this.#view = new DataView(grown.buffer);
  }

  /** A head: major type and argument in the shortest form (RFC 8949 §3, §4.2.1). */
  #head(major: number, argument: number | bigint): void {
    this.#room(9);
    const type = major << 5;
    if (typeof argument === 'bigint' && argument > 0xffff_ffffn) {
      assert(argument <= uint64Max, 'a CBOR argument fits 64 bits');
      this.#buffer[this.#at] = type | 27;
      this.#view.setBigUint64(this.#at + 1, argument);
      this.#at += 9;
      return;
    }
    const value = Number(argument);
    if (value < 24) {
      this.#buffer[this.#at++] = type | value;
    } else if (value < 0x100) {
      this.#buffer[this.#at++] = type | 24;
      this.#buffer[this.#at++] = value;
    } else if (value < 0x1_0000) {
      this.#buffer[this.#at] = type | 25;
      this.#view.setUint16(this.#at + 1, value);
      this.#at += 3;
    } else if (value <= 0xffff_ffff) {
      this.#buffer[this.#at] = type | 26;
      this.#view.setUint32(this.#at + 1, value);
      this.#at += 5;
    } else {
      this.#buffer[this.#at] = type | 27;
      this.#view.setBigUint64(this.#at + 1, BigInt(value));
      this.#at += 9;
    }
  }

  #bytes(bytes: Uint8Array): void {
    this.#head(2, bytes.length);
    this.#room(bytes.length);
    this.#buffer.set(bytes, this.#at);
    this.#at += bytes.length;
  }

  #string(text: string): void {
    // At most three bytes of UTF-8 per UTF-16 unit: write the text after room
    // for the longest head it could need, then the head, then close the gap.
    const bytesMax = text.length * 3;
    const reserved = headBytes(bytesMax);
    this.#room(reserved + bytesMax);
    const start = this.#at;
    const { written } = this.#text.encodeInto(text, this.#buffer.subarray(start + reserved));
    this.#head(3, written);
    const used = this.#at - start;
    if (used !== reserved) this.#buffer.copyWithin(start + used, start + reserved, start + reserved + written);
    this.#at = start + used + written;
  }

  #byte(value: number): void {
    this.#room(1);
    this.#buffer[this.#at++] = value;
  }

  #integer(value: number | bigint): void {
    if (typeof value === 'number') assert(Number.isSafeInteger(value), `the wire carries safe integers only, got ${value}`);
    const negative = value < 0;
    // A negative integer n is written as major type 1 with argument −1 − n.
    if (typeof value === 'bigint') this.#head(negative ? 1 : 0, negative ? -1n - value : value);
    else this.#head(negative ? 1 : 0, negative ? -1 - value : value);
  }

  #item(value: WireValue, depth: number): void {
    assert(depth <= 64, 'wire values nest at most 64 deep');
    if (typeof value === 'number' || typeof value === 'bigint') return this.#integer(value);
    if (typeof value === 'string') return this.#string(value);
    if (value === false) return this.#byte(0xf4);
    if (value === true) return this.#byte(0xf5);
    if (value === null) return this.#byte(0xf6);
    if (value instanceof Uint8Array) return this.#bytes(value);
    if (Array.isArray(value)) {
      this.#head(4, value.length);
      for (const entry of value as readonly WireValue[]) this.#item(entry, depth + 1);
      return;
    }
    if (value instanceof Map) {
      this.#head(5, value.size);
      for (const [key, entry] of value as ReadonlyMap<number | string, WireValue>) {
        assert(typeof key === 'string' || Number.isSafeInteger(key), 'map keys are text or integers');
        this.#item(key, depth + 1);
        this.#item(entry, depth + 1);
      }
      return;
    }
    assert(value instanceof Tagged, `not a wire value: ${typeof value}`);
    this.#head(6, value.tag);
    this.#item(value.value as WireValue, depth + 1);
  }
}

/** Creates the retired encoder; one per benchmark (its buffer is allocated once and reused). */
export function createHandwrittenEncoder(): { encode(value: WireValue): Uint8Array } {
  const writer = new Writer();
  return { encode: (value: WireValue): Uint8Array => writer.encode(value) };
}
