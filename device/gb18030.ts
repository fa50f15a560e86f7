// A GB18030 encoder with no code tables of its own: the first time it is used
// it inverts the runtime's GB18030 decoder (`TextDecoder('gb18030')`, ICU in
// Node.js), so encoding is by construction the exact inverse of the decoding
// the card reader and the printer emulator use. Why this rather than
// iconv-lite, with figures: README.md, Devices (bench/gb18030.bench.ts).
//
// GB18030 (GB 18030-2005 as ICU implements it): ASCII is one byte; the
// two-byte codes are lead 0x81–0xFE, trail 0x40–0x7E or 0x80–0xFE; every
// other code point is a four-byte code b1 b2 b3 b4 (b1, b3 in 0x81–0xFE; b2,
// b4 in 0x30–0x39) that counts a linear index. In the BMP that index is read
// from the decoder like the two-byte codes; above it the standard fixes it
// arithmetically: index = 189000 + (code point − 0x10000).
import assert from 'node:assert';

/** Two-byte codes: 126 leads × 190 trails. */
const twoByteLeads = 126;
const trails = 190;
/** Four-byte indexes that decode to BMP code points (0x81308130 to 0x8431A439). */
const fourByteBmpIndexes = 39_420;
/** Four-byte index of U+10000. */
const supplementaryIndexBase = 189_000;
/** A table entry at or above this is a four-byte BMP index, plus this. */
const fourByteFlag = 0x1_0000;
const questionMark = 0x3f;

function trailByte(index: number): number {
  return index < 63 ? 0x40 + index : 0x41 + index;
}

function writeFourByte(out: Uint8Array, at: number, index: number): void {
  out[at + 3] = 0x30 + (index % 10);
  index = Math.floor(index / 10);
  out[at + 2] = 0x81 + (index % 126);
  index = Math.floor(index / 126);
  out[at + 1] = 0x30 + (index % 10);
  out[at] = 0x81 + Math.floor(index / 10);
}

export class Gb18030Encoder {
  /** Code unit → two-byte code (lead << 8 | trail), or fourByteFlag + four-byte index; 0 when none. */
  #table: Uint32Array | null = null;

  /** Builds the table now rather than on first use (e.g. during boot). Idempotent. */
  prepare(): void {
    this.#table ??= buildTable();
  }

  /** Encodes `text`; characters GB18030 cannot carry (lone surrogates) become '?'. */
  encode(text: string): Uint8Array {
    const out = new Uint8Array(4 * text.length);
    return out.subarray(0, this.encodeInto(text, out, 0));
  }

  /** Encodes into `out` at `at`; returns the bytes written, or -1 if `out` is too small (nothing is then promised about `out`). */
  encodeInto(text: string, out: Uint8Array, at: number): number {
    this.prepare();
    const table = this.#table as Uint32Array;
    const start = at;
    for (let i = 0; i < text.length; i += 1) {
      const unit = text.charCodeAt(i);
      if (out.length - at < (unit < 0x80 ? 1 : 4)) return -1;
      if (unit < 0x80) {
        out[at++] = unit;
        continue;
      }
      if (unit >= 0xd800 && unit <= 0xdbff) {
        const low = text.charCodeAt(i + 1);
        if (low >= 0xdc00 && low <= 0xdfff) {
          const codePoint = 0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00);
          writeFourByte(out, at, supplementaryIndexBase + codePoint - 0x10000);
          at += 4;
          i += 1;
          continue;
        }
      }
      const entry = table[unit] as number;
      if (entry === 0) {
        out[at++] = questionMark;
      } else if (entry < fourByteFlag) {
        out[at++] = entry >> 8;
        out[at++] = entry & 0xff;
      } else {
        writeFourByte(out, at, entry - fourByteFlag);
        at += 4;
      }
    }
    return at - start;
  }
}

/**
 * Decodes every two-byte code and every BMP four-byte code once, a row at a
 * time, and records the first code that yields each code unit (a code point
 * with both a two-byte and a four-byte code takes the two-byte one, as
 * encoders do). A row whose decoding is not one BMP character per code is
 * decoded code by code instead.
 */
function buildTable(): Uint32Array {
  const table = new Uint32Array(0x10000);
  const decoder = new TextDecoder('gb18030');
  const row = new Uint8Array(trails * 2);
  for (let lead = 0; lead < twoByteLeads; lead += 1) {
    for (let t = 0; t < trails; t += 1) {
      row[2 * t] = 0x81 + lead;
      row[2 * t + 1] = trailByte(t);
    }
    const text = decoder.decode(row);
    for (let t = 0; t < trails; t += 1) {
      const unit = text.length === trails ? text.charCodeAt(t) : single(decoder, row.subarray(2 * t, 2 * t + 2));
      const code = ((0x81 + lead) << 8) | trailByte(t);
      if (usable(unit) && table[unit] === 0) table[unit] = code;
    }
  }
  const block = 1_260;
  const codes = new Uint8Array(block * 4);
  for (let base = 0; base < fourByteBmpIndexes; base += block) {
    const count = Math.min(block, fourByteBmpIndexes - base);
    for (let k = 0; k < count; k += 1) writeFourByte(codes, 4 * k, base + k);
    const text = decoder.decode(codes.subarray(0, 4 * count));
    for (let k = 0; k < count; k += 1) {
      const unit = text.length === count ? text.charCodeAt(k) : single(decoder, codes.subarray(4 * k, 4 * k + 4));
      if (usable(unit) && table[unit] === 0) table[unit] = fourByteFlag + base + k;
    }
  }
  assert(table[0x4e2d] !== 0 && table[0x20ac] !== 0, 'the runtime decodes GB18030 (Node.js with full ICU)');
  return table;
}

/** The one BMP code unit a code decodes to, or -1. */
function single(decoder: InstanceType<typeof TextDecoder>, bytes: Uint8Array): number {
  const text = decoder.decode(bytes);
  return text.length === 1 ? text.charCodeAt(0) : -1;
}

function usable(unit: number): boolean {
  return unit >= 0x80 && unit !== 0xfffd && (unit < 0xd800 || unit > 0xdfff);
}
