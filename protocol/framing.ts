// Framing on a byte stream (docs/protocol.md; hub.cddl's header):
//
//   0x00 | COBS( header | COSE_Sign1 | CRC-32 ) | 0x00
//
// COBS (Cheshire & Baker, 1999) removes every 0x00 from the frame so 0x00
// can delimit frames; a frame is written with a delimiter before it as well
// as after, so line noise before a frame is cut off as garbage instead of
// spoiling the frame. The CRC-32 (IEEE 802.3, as zlib) is over header and
// COSE_Sign1 and is written big-endian. The header (6 bytes) is the COSE
// external_aad, so everything in it is also signed.
//
// FrameDecoder is a pure state machine: fed any chunking of a stream it
// yields the same frames and garbage reports, and its two buffers are
// allocated once at the bound and never grow.
import assert from 'node:assert';
import { frameBytesMax, frameBytesMin, frameCrcBytes, frameHeaderBytes, frameVersion, sessionMax } from './limits';

export type Direction = 'up' | 'down';
/** up: terminal -> hub; down: hub -> terminal. */
export const directionCodes: Readonly<Record<Direction, number>> = Object.freeze({ up: 0, down: 1 });

export interface FrameHeader {
  readonly version: number;
  readonly direction: Direction;
  readonly session: number;
}

/** The 6 header bytes: version, direction, session (u32 big-endian). They are also the external_aad. */
export function encodeFrameHeader(direction: Direction, session: number): Uint8Array {
  assert(Number.isInteger(session) && session >= 0 && session <= sessionMax, 'session is a u32');
  const header = new Uint8Array(frameHeaderBytes);
  header[0] = frameVersion;
  header[1] = directionCodes[direction];
  new DataView(header.buffer).setUint32(2, session);
  return header;
}

// ---- CRC-32 ----------------------------------------------------------------
/**
 * Slicing-by-8 tables (8 × 256 entries, 8 KiB): table k gives the CRC of a
 * byte followed by k zero bytes, so eight bytes are folded in one step of
 * eight lookups instead of eight dependent steps (a frame's CRC is checked
 * on every seal and every open).
 */
const crcTables = /* @__PURE__ */ makeCrcTables();

function makeCrcTables(): Int32Array {
  const tables = new Int32Array(8 * 256);
  for (let n = 0; n < 256; n += 1) {
    let c = n;
    for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    tables[n] = c;
  }
  for (let i = 256; i < tables.length; i += 1) {
    const previous = tables[i - 256] as number;
    tables[i] = (previous >>> 8) ^ (tables[previous & 0xff] as number);
  }
  return tables;
}

/** CRC-32 (IEEE 802.3, reflected, as zlib's crc32) of bytes [from, end). */
export function crc32(bytes: Uint8Array, from = 0, end = bytes.length): number {
  // -1, not 0xffffffff, and Int32 tables: the register stays a small integer for V8, which is several times faster.
  const t = crcTables;
  let crc = -1;
  let i = from;
  for (; i + 8 <= end; i += 8) {
    const low = crc ^ ((bytes[i] as number) | ((bytes[i + 1] as number) << 8) | ((bytes[i + 2] as number) << 16) | ((bytes[i + 3] as number) << 24));
    crc =
      (t[1792 + (low & 0xff)] as number) ^
      (t[1536 + ((low >>> 8) & 0xff)] as number) ^
      (t[1280 + ((low >>> 16) & 0xff)] as number) ^
      (t[1024 + (low >>> 24)] as number) ^
      (t[768 + (bytes[i + 4] as number)] as number) ^
      (t[512 + (bytes[i + 5] as number)] as number) ^
      (t[256 + (bytes[i + 6] as number)] as number) ^
      (t[bytes[i + 7] as number] as number);
  }
  for (; i < end; i += 1) crc = (t[(crc ^ (bytes[i] as number)) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}

// ---- COBS ------------------------------------------------------------------
/** The most bytes COBS makes of `size` bytes (one code byte per 254 data bytes, plus one). */
export function cobsEncodedBytesMax(size: number): number {
  return size + Math.ceil(size / 254) + 1;
}

/** COBS-encodes `input` into `out` at `at`; returns the end position. `out` must have room. */
export function cobsEncodeInto(input: Uint8Array, out: Uint8Array, at: number): number {
  let codeAt = at;
  let write = at + 1;
  let code = 1;
  for (let i = 0; i < input.length; i += 1) {
    const byte = input[i] as number;
    if (byte === 0) {
      out[codeAt] = code;
      codeAt = write;
      write += 1;
      code = 1;
      continue;
    }
    out[write] = byte;
    write += 1;
    code += 1;
    if (code === 0xff) {
      out[codeAt] = code;
      codeAt = write;
      write += 1;
      code = 1;
    }
  }
  out[codeAt] = code;
  return write;
}

/**
 * COBS-decodes `input[0, length)` (which holds no 0x00) into `out`; returns
 * the decoded length, -1 when a code byte points past the end, or -2 when
 * the result would not fit in `out`.
 */
export function cobsDecodeInto(input: Uint8Array, length: number, out: Uint8Array): number {
  let read = 0;
  let write = 0;
  while (read < length) {
    const code = input[read] as number;
    read += 1;
    if (read + code - 1 > length) return -1;
    if (write + code > out.length) return -2;
    for (let i = 1; i < code; i += 1) {
      out[write] = input[read] as number;
      write += 1;
      read += 1;
    }
    if (code !== 0xff && read < length) {
      out[write] = 0;
      write += 1;
    }
  }
  return write;
}

/** The bytes one frame takes on the line: delimiter, COBS(header | cose | CRC), delimiter. */
export function encodeFrame(header: Uint8Array, cose: Uint8Array): Uint8Array {
  assert(header.length === frameHeaderBytes, 'a frame header is 6 bytes');
  const contentBytes = frameHeaderBytes + cose.length + frameCrcBytes;
  assert(contentBytes <= frameBytesMax, `a frame is at most ${frameBytesMax} bytes, this one ${contentBytes}`);
  const content = new Uint8Array(contentBytes);
  content.set(header, 0);
  content.set(cose, frameHeaderBytes);
  new DataView(content.buffer).setUint32(contentBytes - frameCrcBytes, crc32(content, 0, contentBytes - frameCrcBytes));
  const out = new Uint8Array(cobsEncodedBytesMax(contentBytes) + 2);
  out[0] = 0;
  const end = cobsEncodeInto(content, out, 1);
  out[end] = 0;
  return out.subarray(0, end + 1);
}

// ---- stream decoder --------------------------------------------------------
export type GarbageReason = 'oversize' | 'cobs' | 'short' | 'crc' | 'version' | 'direction' | 'torn';

export type FrameEvent =
  | {
      readonly kind: 'frame';
      /** Stream offset of the frame's first COBS byte. */
      readonly offset: number;
      readonly header: FrameHeader;
      /** The header bytes as received: the external_aad to verify with. */
      readonly headerBytes: Uint8Array;
      readonly cose: Uint8Array;
    }
  | {
      readonly kind: 'garbage';
      readonly offset: number;
      /** Bytes between delimiters that were not a frame. */
      readonly bytes: number;
      readonly reason: GarbageReason;
    };

/**
 * Splits a byte stream into frames. push() any chunks (a byte at a time or
 * all at once: the events are the same); end() reports a torn frame left at
 * the end. Holds at most `frameBytesMax` of frame: a longer run without a
 * delimiter is dropped and reported as garbage when the delimiter comes.
 */
export class FrameDecoder {
  readonly #encoded: Uint8Array;
  readonly #decoded: Uint8Array;
  #length = 0;
  #overflowBytes = 0;
  #startOffset = 0;
  #offset = 0;

  readonly #contentBytesMax: number;

  constructor(contentBytesMax: number = frameBytesMax) {
    this.#contentBytesMax = contentBytesMax;
    assert(Number.isInteger(contentBytesMax) && contentBytesMax >= frameBytesMin && contentBytesMax <= frameBytesMax, 'frame bound within the wire limits');
    this.#encoded = new Uint8Array(cobsEncodedBytesMax(contentBytesMax));
    this.#decoded = new Uint8Array(contentBytesMax + 1);
  }

  /** Bytes held for the frame in progress (never above the encoded bound). */
  get bufferedBytes(): number {
    return this.#length;
  }

  push(chunk: Uint8Array): FrameEvent[] {
    const events: FrameEvent[] = [];
    let i = 0;
    while (i < chunk.length) {
      const zero = chunk.indexOf(0, i);
      const runEnd = zero < 0 ? chunk.length : zero;
      if (runEnd > i) this.#take(chunk, i, runEnd);
      if (zero < 0) break;
      this.#offset += 1;
      const event = this.#delimit();
      if (event !== null) events.push(event);
      i = zero + 1;
    }
    assert(this.#length <= this.#encoded.length, 'the frame buffer never grows past its bound');
    return events;
  }

  /** Takes a run of non-zero bytes [from, end) of `chunk` into the frame in progress, or counts it as overflow. */
  #take(chunk: Uint8Array, from: number, end: number): void {
    const count = end - from;
    if (this.#length === 0 && this.#overflowBytes === 0) this.#startOffset = this.#offset;
    this.#offset += count;
    if (this.#overflowBytes > 0) {
      this.#overflowBytes += count;
      return;
    }
    if (this.#length + count > this.#encoded.length) {
      this.#overflowBytes = this.#length + count;
      this.#length = 0;
      return;
    }
    this.#encoded.set(chunk.subarray(from, end), this.#length);
    this.#length += count;
  }

  /** The end of the stream: a frame in progress is torn. */
  end(): FrameEvent[] {
    const held = this.#length + this.#overflowBytes;
    const offset = this.#startOffset;
    this.#length = 0;
    this.#overflowBytes = 0;
    return held === 0 ? [] : [{ kind: 'garbage', offset, bytes: held, reason: 'torn' }];
  }

  #delimit(): FrameEvent | null {
    const offset = this.#startOffset;
    if (this.#overflowBytes > 0) {
      const bytes = this.#overflowBytes;
      this.#overflowBytes = 0;
      return { kind: 'garbage', offset, bytes, reason: 'oversize' };
    }
    const length = this.#length;
    this.#length = 0;
    if (length === 0) return null;
    const garbage = (reason: GarbageReason): FrameEvent => ({ kind: 'garbage', offset, bytes: length, reason });
    const size = cobsDecodeInto(this.#encoded, length, this.#decoded);
    if (size === -1) return garbage('cobs');
    if (size < 0) return garbage('oversize');
    if (size < frameBytesMin) return garbage('short');
    if (size > this.#contentBytesMax) return garbage('oversize');
    const view = new DataView(this.#decoded.buffer, 0, size);
    if (view.getUint32(size - frameCrcBytes) !== crc32(this.#decoded, 0, size - frameCrcBytes)) return garbage('crc');
    if (this.#decoded[0] !== frameVersion) return garbage('version');
    const directionCode = this.#decoded[1] as number;
    if (directionCode > 1) return garbage('direction');
    const headerBytes = this.#decoded.slice(0, frameHeaderBytes);
    const header: FrameHeader = { version: frameVersion, direction: directionCode === 0 ? 'up' : 'down', session: view.getUint32(2) };
    return { kind: 'frame', offset, header, headerBytes, cose: this.#decoded.slice(frameHeaderBytes, size - frameCrcBytes) };
  }
}
