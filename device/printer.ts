// Receipt printer driver (docs/design.md, devices): writes an ESC/POS job built by
// `ReceiptBuilder` and watches the printer with DLE EOT real-time status
// (n = 2 offline cause, n = 4 roll paper), which a printer answers even when
// it has stopped. Cover open and paper out, before or during a receipt, are
// typed failures; the session reprints after the patient's staff fix them.
import assert from 'node:assert';
import { StatusBits, StatusQuery, dle, eot } from './escpos';
import { deviceExchangeTimeoutMs, printerChunkBytes, printerJobBytesMax } from './limits';
import { checkInt, discardInput, fail, garbage, ok, portFailure, readBefore, timeoutReason, writeBefore, type Clock, type Port, type Result } from './port';

export interface PrinterStatus {
  readonly coverOpen: boolean;
  /** Paper end sensor, or printing stopped at paper end. */
  readonly paperOut: boolean;
  /** Near-end sensor: change the roll soon. */
  readonly paperNearEnd: boolean;
  /** The printer reports an error (cutter, head temperature…). */
  readonly error: boolean;
}

export interface PrintReport {
  readonly bytes: number;
  /** The roll is near its end: tell the staff. */
  readonly paperNearEnd: boolean;
}

export interface PrinterOptions {
  readonly clock: Clock;
  /** How long a status answer may take, ms. */
  readonly exchangeTimeoutMs?: number;
  /** Bytes written between two status checks. */
  readonly chunkBytes?: number;
}

/** The two real-time queries the driver sends together: DLE EOT 2, DLE EOT 4. */
const statusQuery = Object.freeze([dle, eot, StatusQuery.offline, dle, eot, StatusQuery.paper]);

export function isStatusByte(byte: number): boolean {
  return (byte & StatusBits.fixedMask) === StatusBits.fixedValue;
}

/** Reads the status bytes answering DLE EOT 2 and DLE EOT 4. */
export function decodeStatus(offline: number, paper: number): PrinterStatus {
  return {
    coverOpen: (offline & StatusBits.coverOpen) !== 0,
    paperOut: (offline & StatusBits.paperEndStop) !== 0 || (paper & StatusBits.paperEnd) !== 0,
    paperNearEnd: (paper & StatusBits.paperNearEnd) !== 0,
    error: (offline & StatusBits.error) !== 0,
  };
}

export class ReceiptPrinter {
  readonly #clock: Clock;
  readonly #exchangeTimeoutMs: number;
  readonly #chunkBytes: number;
  // Buffers allocated once (docs/conventions.md habit 7).
  readonly #query = Uint8Array.from(statusQuery);
  readonly #rx = new Uint8Array(64);
  #busy = false;

  readonly #port: Port;
  constructor(
    port: Port,
    options: PrinterOptions,
  ) {
    this.#port = port;
    this.#clock = options.clock;
    this.#exchangeTimeoutMs = options.exchangeTimeoutMs ?? deviceExchangeTimeoutMs;
    this.#chunkBytes = checkInt('chunkBytes', options.chunkBytes ?? printerChunkBytes, 1, printerJobBytesMax);
    checkInt('exchangeTimeoutMs', this.#exchangeTimeoutMs, 1, 600_000);
  }

  /** The printer's real-time status. */
  status(): Promise<Result<PrinterStatus>> {
    return this.#guard(() => this.#queryStatus());
  }

  /**
   * Prints one job: checks the status first, then writes the job a chunk at a
   * time and checks the status after each, so paper running out during the
   * receipt is reported (with how many bytes the printer had taken).
   */
  print(job: Uint8Array): Promise<Result<PrintReport>> {
    if (!(job instanceof Uint8Array)) throw new TypeError('job must be a Uint8Array');
    checkInt('job.length', job.length, 1, printerJobBytesMax);
    return this.#guard(async () => {
      const before = await this.#queryStatus();
      if (!before.ok) return before;
      const problem = statusProblem<PrintReport>(before.value, 0);
      if (problem !== null) return problem;
      let status = before.value;
      for (let sent = 0; sent < job.length; ) {
        const end = Math.min(job.length, sent + this.#chunkBytes);
        try {
          await writeBefore(this.#port, job.subarray(sent, end), this.#clock, this.#clock.nowMs() + this.#exchangeTimeoutMs);
        } catch (error) {
          return portFailure(error);
        }
        sent = end;
        const after = await this.#queryStatus();
        if (!after.ok) return after;
        const during = statusProblem<PrintReport>(after.value, sent);
        if (during !== null) return during;
        status = after.value;
      }
      return ok({ bytes: job.length, paperNearEnd: status.paperNearEnd });
    });
  }

  /** Closes the port; a pending request ends as `cancelled`. Safe twice. */
  close(): Promise<void> {
    return this.#port.close();
  }

  async #queryStatus(): Promise<Result<PrinterStatus>> {
    const deadlineMs = this.#clock.nowMs() + this.#exchangeTimeoutMs;
    const answers = [0, 0];
    let count = 0;
    let seen = 0;
    try {
      // A status byte left over from an earlier, timed-out query would be taken for this one's.
      await discardInput(this.#port, this.#rx);
      await writeBefore(this.#port, this.#query, this.#clock, deadlineMs);
      while (count < 2) {
        const got = await readBefore(this.#port, this.#rx, this.#clock, deadlineMs);
        seen += got;
        // Bytes that cannot be status bytes are noise on the line; the answers are the first two that can.
        for (let i = 0; i < got && count < 2; i += 1) {
          const byte = this.#rx[i] as number;
          if (isStatusByte(byte)) answers[count++] = byte;
        }
      }
    } catch (error) {
      // Bytes came but not two status bytes: the printer answered, with garbage; silence is a timeout.
      return error === timeoutReason && seen > 0 ? garbage(`${seen} bytes`) : portFailure(error);
    }
    return ok(decodeStatus(answers[0] as number, answers[1] as number));
  }

  async #guard<T>(run: () => Promise<Result<T>>): Promise<Result<T>> {
    assert(!this.#busy, 'one printer request in flight');
    this.#busy = true;
    try {
      return await run();
    } finally {
      this.#busy = false;
    }
  }
}

function statusProblem<T>(status: PrinterStatus, bytesSent: number): Result<T> | null {
  const code = status.coverOpen ? 'cover_open' : status.paperOut ? 'paper_out' : status.error ? 'printer_error' : null;
  return code === null ? null : fail(code, `after ${bytesSent} bytes`, { bytesSent });
}
