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

/** Four-byte indexes that decode to BMP code points (0x81308130 to 0x8431A439). */
const fourByteBmpIndexes = 39_420;
/** Four-byte index of U+10000. */
const supplementaryIndexBase = 189_000;
/** A table entry at or above this is a four-byte BMP index, plus this. */
const fourByteFlag = 0x1_0000;
const questionMark = 0x3f;

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
 * Decodes every two-byte code and every BMP four-byte code, each set in one
 * call, and records the first code that yields each code unit (a code point
 * with both a two-byte and a four-byte code takes the two-byte one, as
 * encoders do). Should a decoding not be one BMP character per code, that set
 * is decoded code by code. The loops are flat on purpose: this runs once, cold,
 * before the JIT has seen it, where every call per code would cost.
 */
function buildTable(): Uint32Array {
  const table = new Uint32Array(0x10000);
  const decoder = new TextDecoder('gb18030');
  const codes = new Uint8Array(4 * fourByteBmpIndexes);
  let at = 0;
  for (let lead = 0x81; lead <= 0xfe; lead += 1) {
    for (let trail = 0x40; trail <= 0xfe; trail += 1) {
      if (trail === 0x7f) continue;
      codes[at++] = lead;
      codes[at++] = trail;
    }
  }
  const two = decodeCodes(decoder, codes.subarray(0, at), 2);
  for (let k = 0; k < two.length; k += 1) {
    const unit = two.charCodeAt(k);
    if (unit >= 0x80 && unit !== 0xfffd && table[unit] === 0) table[unit] = ((codes[2 * k] as number) << 8) | (codes[2 * k + 1] as number);
  }
  at = 0;
  for (let b1 = 0x81; b1 <= 0x84; b1 += 1) {
    for (let b2 = 0x30; b2 <= 0x39; b2 += 1) {
      for (let b3 = 0x81; b3 <= 0xfe; b3 += 1) {
        for (let b4 = 0x30; b4 <= 0x39 && at < codes.length; b4 += 1) {
          codes[at++] = b1;
          codes[at++] = b2;
          codes[at++] = b3;
          codes[at++] = b4;
        }
      }
    }
  }
  const four = decodeCodes(decoder, codes, 4);
  for (let k = 0; k < four.length; k += 1) {
    const unit = four.charCodeAt(k);
    if (unit >= 0x80 && unit !== 0xfffd && table[unit] === 0) table[unit] = fourByteFlag + k;
  }
  // Surrogate code units never come from a BMP code; a stray one must not enter the table.
  table.fill(0, 0xd800, 0xe000);
  assert(table[0x4e2d] !== 0 && table[0x20ac] !== 0, 'the runtime decodes GB18030 (Node.js with full ICU)');
  return table;
}

/** Decodes codes of `width` bytes to one code unit each; a code that does not decode to one BMP character gives U+FFFD. */
function decodeCodes(decoder: InstanceType<typeof TextDecoder>, bytes: Uint8Array, width: number): string {
  const text = decoder.decode(bytes);
  if (text.length * width === bytes.length) return text;
  let units = '';
  for (let at = 0; at < bytes.length; at += width) {
    const one = decoder.decode(bytes.subarray(at, at + width));
    units += one.length === 1 ? one : '\ufffd';
  }
  return units;
}
