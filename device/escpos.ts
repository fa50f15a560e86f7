// ESC/POS for the receipt printer (docs/design.md, devices): the commands the
// terminal sends, built into a buffer allocated once, and the DLE EOT status
// bits it reads back. Command references are to Epson's ESC/POS command
// reference (the de facto standard Chinese thermal printers follow).
import type { Gb18030Encoder } from './gb18030';
import { printerJobBytesMax, printerQrBytesMax } from './limits';
import { checkInt, fail, ok, type Result } from './port';

export const esc = 0x1b;
export const gs = 0x1d;
export const fs = 0x1c;
export const dle = 0x10;
export const eot = 0x04;
export const lf = 0x0a;

/** ESC a n: justification (n = 0, 1, 2). */
export const Align = Object.freeze({ left: 0, center: 1, right: 2 });
export type AlignName = keyof typeof Align;

/** GS ( k function 169: QR error correction level n = 48 + (L, M, Q, H). */
export const QrErrorCorrection = Object.freeze({ L: 48, M: 49, Q: 50, H: 51 });
export type QrLevel = keyof typeof QrErrorCorrection;

/** DLE EOT n: transmit real-time status; n = 2 offline cause, n = 4 roll paper sensor. */
export const enum StatusQuery { printer = 1, offline = 2, error = 3, paper = 4 }

/** Bits of the DLE EOT status bytes. Every status byte has bits 1 and 4 set, 0 and 7 clear. */
export const enum StatusBits {
  fixedMask = 0x93,
  fixedValue = 0x12,
  /** n = 1: the printer is offline. */
  offline = 0x08,
  /** n = 2: the cover is open. */
  coverOpen = 0x04,
  /** n = 2: printing stopped because the paper ran out. */
  paperEndStop = 0x20,
  /** n = 2: an error occurred. */
  error = 0x40,
  /** n = 4: roll paper near-end sensor (bits 2 and 3). */
  paperNearEnd = 0x0c,
  /** n = 4: roll paper end sensor (bits 5 and 6). */
  paperEnd = 0x60,
}

/** The QR code's module size, dots (function 167: 1 to 16): about 0.75 mm at 203 dpi. */
const qrModuleDots = 6;

/**
 * Builds one print job. Text is encoded as GB18030 (printers in Chinese mode,
 * FS &, expect it); control characters in text become spaces so no text can
 * inject a command. A job that outgrows its buffer fails as a value from
 * `finish()`, never by growing.
 */
export class ReceiptBuilder {
  readonly #out: Uint8Array;
  #length = 0;
  #overflowed = false;

  readonly #encoder: Gb18030Encoder;
  constructor(
    encoder: Gb18030Encoder,
    capacityBytes = printerJobBytesMax,
  ) {
    this.#encoder = encoder;
    checkInt('capacityBytes', capacityBytes, 64, printerJobBytesMax);
    this.#out = new Uint8Array(capacityBytes);
  }

  /** Empties the job, keeping the buffer. */
  reset(): this {
    this.#length = 0;
    this.#overflowed = false;
    return this;
  }

  /** ESC @ (initialise), then FS & (Chinese character mode on). */
  init(): this {
    return this.#bytes(esc, 0x40, fs, 0x26);
  }

  align(align: AlignName): this {
    const n = Align[align];
    if (n === undefined) throw new RangeError(`align must be left, center or right, got ${align}`);
    return this.#bytes(esc, 0x61, n);
  }

  /** ESC E n: emphasised (bold) on or off. */
  bold(on: boolean): this {
    return this.#bytes(esc, 0x45, on ? 1 : 0);
  }

  /** GS ! n: character width and height multipliers, 1–8 each. */
  size(width: number, height: number): this {
    return this.#bytes(gs, 0x21, ((checkInt('width', width, 1, 8) - 1) << 4) | (checkInt('height', height, 1, 8) - 1));
  }

  /** Text without a line feed. */
  text(text: string): this {
    if (typeof text !== 'string') throw new TypeError('text must be a string');
    const clean = text.replace(/[\u0000-\u001f\u007f]/g, ' ');
    const written = this.#encoder.encodeInto(clean, this.#out, this.#length);
    if (written < 0) this.#overflowed = true;
    else this.#length += written;
    return this;
  }

  /** Text and LF (print and feed one line). */
  line(text = ''): this {
    return this.text(text).#bytes(lf);
  }

  /** ESC d n: print and feed n lines, 0–255. */
  feed(lines: number): this {
    return this.#bytes(esc, 0x64, checkInt('lines', lines, 0, 255));
  }

  /**
   * A QR code by GS ( k: select model 2 (function 165), module size 6 dots
   * (167), error correction M (169), store the payload (180), print it (181):
   * the receipt's one QR code (its settlement id). The payload is printable
   * ASCII, at most printerQrBytesMax bytes.
   */
  qr(payload: string): this {
    if (typeof payload !== 'string' || !/^[\x20-\x7e]+$/.test(payload) || payload.length > printerQrBytesMax) {
      throw new RangeError(`QR payload must be 1 to ${printerQrBytesMax} printable ASCII characters`);
    }
    const stored = payload.length + 3;
    this.#bytes(gs, 0x28, 0x6b, 4, 0, 0x31, 0x41, 0x32, 0x00);
    this.#bytes(gs, 0x28, 0x6b, 3, 0, 0x31, 0x43, qrModuleDots);
    this.#bytes(gs, 0x28, 0x6b, 3, 0, 0x31, 0x45, QrErrorCorrection.M);
    this.#bytes(gs, 0x28, 0x6b, stored & 0xff, stored >> 8, 0x31, 0x50, 0x30);
    this.text(payload);
    return this.#bytes(gs, 0x28, 0x6b, 3, 0, 0x31, 0x51, 0x30);
  }

  /** GS V m n: feed n lines' worth and cut; partial (m = 66) or full (m = 65). */
  cut(partial = true, feedLines = 3): this {
    return this.#bytes(gs, 0x56, partial ? 0x42 : 0x41, checkInt('feedLines', feedLines, 0, 255));
  }

  /** The job's bytes (a copy), or `receipt_too_long` if it outgrew its buffer. */
  finish(): Result<Uint8Array> {
    if (this.#overflowed) return fail('receipt_too_long', `over ${this.#out.length} bytes`);
    return ok(this.#out.slice(0, this.#length));
  }

  #bytes(...values: number[]): this {
    if (this.#out.length - this.#length < values.length) {
      this.#overflowed = true;
      return this;
    }
    for (const value of values) this.#out[this.#length++] = value;
    return this;
  }
}
