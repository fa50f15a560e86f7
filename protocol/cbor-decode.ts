// The strict CBOR decoder: the gate every received payload (frames, COSE
// headers and payloads, update statements, journal and event records read
// back) passes first (docs/protocol.md, CBOR; docs/conventions.md habit 9), and the decoder
// itself after the gate.
//
// Why it exists: cbor-x, the wire's encoder (cbor-encode.ts), is a
// permissive decoder. It takes non-shortest heads (18 00 reads as 0), a
// duplicate map key (the last one wins), indefinite lengths, a float where
// an integer belongs (f9 3c 00 reads as 1), invalid UTF-8 (replaced by
// U+FFFD), any tag (64 becomes a typed array, 28/29 shared references), and
// it reads a count or length the input cannot hold until the bytes run out,
// then throws a plain Error. Each of those is a second encoding of one value,
// so what a signature or a digest pins would not be the value the receiver
// acts on, or a way to make the receiver work past what the bytes carry.
// This decoder accepts only the wire's subset (below) and refuses everything
// else with a stable code and its offset, before allocating for any count the
// remaining bytes cannot hold. It does not check map key order (the one part
// of deterministic encoding it leaves to the sender): what is signed is the
// bytes as received, and every digest is taken over a re-encoding.
//
// Why it also decodes: it checks and builds in one pass, so what was checked
// is exactly what is returned (no differential between a checker and a
// decoder), and it is the cheaper choice: measured (`npm run bench --
// cbor-decode`, README, wire protocol), the gate alone costs less than the
// gate followed by a cbor-x decode, with or without cbor-x's native string
// extractor. So bytes from the line never reach cbor-x.
//
// The wire subset (RFC 8949 §4.2.1 heads, no floats, no indefinite lengths):
// unsigned and negative integers within ±(2^53 - 1) in their shortest head,
// definite byte and text strings (text is valid UTF-8), definite arrays,
// definite maps with integer or text keys and no duplicates, false, true,
// null, and the tags the caller allows at the top level only (COSE_Sign1,
// tag 18). Everything else is refused with a stable code and its offset.
import { cborDepthMax, cborItemsMax, cborStringBytesMax } from './limits';

/** A decoded CBOR tag: only the top-level tags a caller allows ever appear. */
export class Tagged {
  constructor(
    readonly tag: number,
    readonly value: CborValue,
  ) {}
}

export type CborMapKey = number | string;
export type CborValue = number | string | boolean | null | Uint8Array | CborValue[] | Map<CborMapKey, CborValue> | Tagged;

/** Why bytes were refused. Stable names: tests, logs and the CLI print them. */
export type CborErrorCode =
  | 'truncated'
  | 'reserved_value'
  | 'unexpected_break'
  | 'indefinite_length'
  | 'non_shortest'
  | 'integer_range'
  | 'float_not_allowed'
  | 'simple_not_allowed'
  | 'tag_not_allowed'
  | 'invalid_utf8'
  | 'string_too_long'
  | 'too_many_items'
  | 'too_deep'
  | 'map_key_type'
  | 'duplicate_key'
  | 'trailing_bytes';

export interface CborError {
  readonly code: CborErrorCode;
  /** Byte offset of the item (or byte) that was refused. */
  readonly offset: number;
}

export type DecodeResult = { readonly ok: true; readonly value: CborValue } | { readonly ok: false; readonly error: CborError };

export interface DecodeOptions {
  /** Tags accepted on the top-level item only (e.g. [18] for COSE_Sign1). Default none. */
  readonly topLevelTags?: readonly number[];
  readonly depthMax?: number;
  readonly stringBytesMax?: number;
  readonly itemsMax?: number;
}

class Refusal {
  constructor(
    readonly code: CborErrorCode,
    readonly offset: number,
  ) {}
}

// Fatal: invalid UTF-8 throws instead of becoming U+FFFD. ignoreBOM keeps a
// leading U+FEFF as the character it is, so decoding never drops bytes.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Decodes one CBOR item that must span all of `bytes`, strictly. Never throws on bad input. */
export function decodeStrict(bytes: Uint8Array, options: DecodeOptions = {}): DecodeResult {
  try {
    return { ok: true, value: new Reader(bytes, options).whole() };
  } catch (error) {
    if (error instanceof Refusal) return { ok: false, error: { code: error.code, offset: error.offset } };
    throw error;
  }
}

class Reader {
  #position = 0;
  readonly #depthMax: number;
  readonly #stringBytesMax: number;
  readonly #itemsMax: number;
  readonly #tags: readonly number[];
  readonly #view: DataView;

  readonly #bytes: Uint8Array;

  constructor(bytes: Uint8Array, options: DecodeOptions) {
    this.#bytes = bytes;
    this.#depthMax = options.depthMax ?? cborDepthMax;
    this.#stringBytesMax = options.stringBytesMax ?? cborStringBytesMax;
    this.#itemsMax = options.itemsMax ?? cborItemsMax;
    this.#tags = options.topLevelTags ?? [];
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** The one item `bytes` must hold, whole: refuses trailing bytes. */
  whole(): CborValue {
    const value = this.#top();
    if (this.#position !== this.#bytes.length) throw new Refusal('trailing_bytes', this.#position);
    return value;
  }

  #top(): CborValue {
    const start = this.#position;
    const initial = this.#peek();
    if (initial >> 5 === 6) {
      const tag = this.#argument(this.#next() & 0x1f, start);
      if (!this.#tags.includes(tag)) throw new Refusal('tag_not_allowed', start);
      return new Tagged(tag, this.#item(1));
    }
    return this.#item(0);
  }

  #peek(): number {
    if (this.#position >= this.#bytes.length) throw new Refusal('truncated', this.#position);
    return this.#bytes[this.#position] as number;
  }

  #next(): number {
    const byte = this.#peek();
    this.#position += 1;
    return byte;
  }

  #need(count: number, start: number): void {
    if (count > this.#bytes.length - this.#position) throw new Refusal('truncated', start);
  }

  /** The argument of a head whose additional information is `info`, in its shortest form only. */
  #argument(info: number, start: number): number {
    if (info < 24) return info;
    if (info === 24) {
      this.#need(1, start);
      const value = this.#next();
      if (value < 24) throw new Refusal('non_shortest', start);
      return value;
    }
    if (info === 25) {
      this.#need(2, start);
      const value = this.#view.getUint16(this.#position);
      this.#position += 2;
      if (value <= 0xff) throw new Refusal('non_shortest', start);
      return value;
    }
    if (info === 26) {
      this.#need(4, start);
      const value = this.#view.getUint32(this.#position);
      this.#position += 4;
      if (value <= 0xffff) throw new Refusal('non_shortest', start);
      return value;
    }
    if (info === 27) {
      this.#need(8, start);
      const high = this.#view.getUint32(this.#position);
      const low = this.#view.getUint32(this.#position + 4);
      this.#position += 8;
      if (high === 0) throw new Refusal('non_shortest', start);
      // Above 2^53 - 1 a double cannot hold the integer exactly.
      if (high > 0x1f_ffff) throw new Refusal('integer_range', start);
      return high * 0x1_0000_0000 + low;
    }
    // 28 to 30 are reserved; 31 (indefinite) never reaches here for strings,
    // arrays and maps (item() refuses it first), and is malformed elsewhere.
    throw new Refusal('reserved_value', start);
  }

  #item(depth: number): CborValue {
    const start = this.#position;
    if (depth > this.#depthMax) throw new Refusal('too_deep', start);
    const initial = this.#next();
    const major = initial >> 5;
    const info = initial & 0x1f;
    if (major === 7) return this.#simple(info, start);
    if (info === 31 && major !== 0 && major !== 1 && major !== 6) throw new Refusal('indefinite_length', start);
    if (info === 31) throw new Refusal('reserved_value', start);
    const argument = this.#argument(info, start);
    switch (major) {
      case 0:
        return argument;
      case 1:
        if (argument === Number.MAX_SAFE_INTEGER) throw new Refusal('integer_range', start);
        return -1 - argument;
      case 2:
        return this.#bytes.slice(this.#stringStart(argument, start), this.#position);
      case 3:
        return this.#text(this.#stringStart(argument, start), start);
      case 4:
        return this.#array(argument, depth, start);
      case 5:
        return this.#map(argument, depth, start);
      default:
        // Tags are accepted only where top() allows them.
        throw new Refusal('tag_not_allowed', start);
    }
  }

  #simple(info: number, start: number): CborValue {
    if (info === 20) return false;
    if (info === 21) return true;
    if (info === 22) return null;
    if (info >= 25 && info <= 27) {
      this.#need(1 << (info - 24), start);
      throw new Refusal('float_not_allowed', start);
    }
    if (info === 31) throw new Refusal('unexpected_break', start);
    if (info >= 28) throw new Refusal('reserved_value', start);
    if (info === 24) {
      this.#need(1, start);
      if (this.#next() < 32) throw new Refusal('reserved_value', start);
    }
    throw new Refusal('simple_not_allowed', start);
  }

  /** Checks a string's length and returns where its bytes start, leaving the reader after them. */
  #stringStart(length: number, start: number): number {
    if (length > this.#stringBytesMax) throw new Refusal('string_too_long', start);
    this.#need(length, start);
    const from = this.#position;
    this.#position += length;
    return from;
  }

  #text(from: number, start: number): string {
    const end = this.#position;
    let ascii = true;
    for (let i = from; i < end && i - from <= 64; i += 1) {
      if ((this.#bytes[i] as number) >= 0x80) {
        ascii = false;
        break;
      }
    }
    if (ascii && end - from <= 64) return ascii64(this.#bytes, from, end);
    try {
      return utf8.decode(this.#bytes.subarray(from, end));
    } catch {
      throw new Refusal('invalid_utf8', start);
    }
  }

  #array(count: number, depth: number, start: number): CborValue[] {
    if (count > this.#itemsMax) throw new Refusal('too_many_items', start);
    // Every item takes at least one byte: refuse a count the input cannot hold before allocating.
    this.#need(count, start);
    const items: CborValue[] = new Array(count);
    for (let i = 0; i < count; i += 1) items[i] = this.#item(depth + 1);
    return items;
  }

  #map(count: number, depth: number, start: number): Map<CborMapKey, CborValue> {
    if (count > this.#itemsMax) throw new Refusal('too_many_items', start);
    this.#need(count * 2, start);
    const entries = new Map<CborMapKey, CborValue>();
    for (let i = 0; i < count; i += 1) {
      const keyStart = this.#position;
      const key = this.#item(depth + 1);
      if (typeof key !== 'number' && typeof key !== 'string') throw new Refusal('map_key_type', keyStart);
      if (entries.has(key)) throw new Refusal('duplicate_key', keyStart);
      entries.set(key, this.#item(depth + 1));
    }
    return entries;
  }
}

/** Short ASCII strings are the common case on this wire (codes, ids, dates): no decoder call. */
function ascii64(bytes: Uint8Array, from: number, end: number): string {
  let text = '';
  for (let i = from; i < end; i += 1) text += String.fromCharCode(bytes[i] as number);
  return text;
}
