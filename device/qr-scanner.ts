// QR scanner driver (docs/design.md, devices): the scanner types what it reads as
// an ASCII line ended by CR (LF and CR LF are taken too). Lines are bounded;
// noise before a token on the same line, lines that hold no token, overlong
// lines and a partial line left stale by an interrupted scan are dropped and
// counted. What it yields is an e-certificate token; the hub resolves it.
import assert from 'node:assert';
import { scannerLineBytesMax, scannerLineIdleMs } from './limits';
import { checkInt, ok, portFailure, readBefore, type Clock, type Port, type Result } from './port';

/**
 * An e-certificate token (医保电子凭证) as the terminal accepts it: `ECT1:`
 * then 16 to 400 base64url characters. The prefix names the format and its
 * version; the hub resolves the opaque rest to a person.
 */
export const ecertTokenPrefix = 'ECT1:';
export const ecertTokenPattern = /^ECT1:[A-Za-z0-9_-]{16,400}$/;

export interface EcertToken {
  readonly kind: 'ecert_token';
  readonly token: string;
}

export interface QrScannerOptions {
  readonly clock: Clock;
  /** Longest line kept, bytes. */
  readonly lineBytesMax?: number;
  /** A partial line older than this is dropped when new bytes come, ms. */
  readonly lineIdleMs?: number;
}

export interface QrScannerStats {
  /** Lines that held a token. */
  tokens: number;
  /** Lines with no token in them. */
  rejected: number;
  /** Lines longer than the bound, dropped whole. */
  overlong: number;
  /** Partial lines dropped as stale. */
  stale: number;
}

const cr = 0x0d;
const lf = 0x0a;

export class QrScanner {
  readonly stats: QrScannerStats = { tokens: 0, rejected: 0, overlong: 0, stale: 0 };
  readonly #clock: Clock;
  readonly #lineIdleMs: number;
  // Buffers allocated once (docs/conventions.md habit 7).
  readonly #line: Uint8Array;
  readonly #rx = new Uint8Array(512);
  #lineLength = 0;
  /** Inside an overlong line: drop bytes up to its end. */
  #overlong = false;
  #rxAt = 0;
  #rxLength = 0;
  #lastByteAtMs = 0;
  #busy = false;

  readonly #port: Port;
  constructor(
    port: Port,
    options: QrScannerOptions,
  ) {
    this.#port = port;
    this.#clock = options.clock;
    this.#lineIdleMs = checkInt('lineIdleMs', options.lineIdleMs ?? scannerLineIdleMs, 1, 600_000);
    this.#line = new Uint8Array(checkInt('lineBytesMax', options.lineBytesMax ?? scannerLineBytesMax, ecertTokenPrefix.length + 16, scannerLineBytesMax));
  }

  /** The next token scanned, or `timeout` after `timeoutMs`. */
  async next(timeoutMs: number): Promise<Result<EcertToken>> {
    checkInt('timeoutMs', timeoutMs, 0, 86_400_000);
    assert(!this.#busy, 'one scanner request in flight');
    this.#busy = true;
    try {
      const deadlineMs = this.#clock.nowMs() + timeoutMs;
      for (;;) {
        const token = this.#takeLine();
        if (token !== null) return ok({ kind: 'ecert_token', token });
        try {
          this.#rxLength = await readBefore(this.#port, this.#rx, this.#clock, deadlineMs);
        } catch (error) {
          return portFailure(error);
        }
        this.#rxAt = 0;
        const nowMs = this.#clock.nowMs();
        if (this.#lineLength > 0 && nowMs - this.#lastByteAtMs > this.#lineIdleMs) {
          this.stats.stale += 1;
          this.#lineLength = 0;
        }
        this.#lastByteAtMs = nowMs;
      }
    } finally {
      this.#busy = false;
    }
  }

  /** Closes the port; a pending `next` ends as `cancelled`. Safe twice. */
  close(): Promise<void> {
    return this.#port.close();
  }

  /** Consumes received bytes up to the first line that holds a token; returns it, or null when the bytes run out. */
  #takeLine(): string | null {
    while (this.#rxAt < this.#rxLength) {
      const byte = this.#rx[this.#rxAt++] as number;
      if (byte !== cr && byte !== lf) {
        if (this.#overlong) continue;
        if (this.#lineLength === this.#line.length) {
          this.#overlong = true;
          this.stats.overlong += 1;
          this.#lineLength = 0;
          continue;
        }
        this.#line[this.#lineLength++] = byte;
        continue;
      }
      this.#overlong = false;
      if (this.#lineLength === 0) continue; // the LF of CR LF, or an empty line
      const token = this.#tokenIn(this.#line.subarray(0, this.#lineLength));
      this.#lineLength = 0;
      if (token !== null) {
        this.stats.tokens += 1;
        return token;
      }
      this.stats.rejected += 1;
    }
    return null;
  }

  /** The token at the end of a line: from its last prefix on, the whole rest must match. */
  #tokenIn(bytes: Uint8Array): string | null {
    const text = String.fromCharCode(...bytes);
    const at = text.lastIndexOf(ecertTokenPrefix);
    if (at < 0) return null;
    const candidate = text.slice(at);
    return ecertTokenPattern.test(candidate) ? candidate : null;
  }
}
