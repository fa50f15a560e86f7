// Receipt printer driver (DESIGN.md, devices): writes an ESC/POS job built by
// `ReceiptBuilder` and watches the printer with DLE EOT real-time status
// (n = 2 offline cause, n = 4 roll paper), which a printer answers even when
// it has stopped. Cover open and paper out, before or during a receipt, are
// typed failures; the session reprints after the patient's staff fix them.
import assert from 'node:assert';
import { StatusBits, StatusQuery, dle, eot } from './escpos';
import { deviceExchangeTimeoutMs, printerChunkBytes, printerJobBytesMax } from './limits';
import { discardInput, fail, ok, portFailure, readBefore, type Clock, type Port, type Result } from './port';

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
  private readonly clock: Clock;
  private readonly exchangeTimeoutMs: number;
  private readonly chunkBytes: number;
  // Buffers allocated once (STYLE.md habit 7).
  private readonly query = Uint8Array.from(statusQuery);
  private readonly rx = new Uint8Array(64);
  private busy = false;

  constructor(
    private readonly port: Port,
    options: PrinterOptions,
  ) {
    this.clock = options.clock;
    this.exchangeTimeoutMs = options.exchangeTimeoutMs ?? deviceExchangeTimeoutMs;
    this.chunkBytes = options.chunkBytes ?? printerChunkBytes;
    if (!(this.exchangeTimeoutMs > 0)) throw new RangeError('exchangeTimeoutMs must be positive');
    if (!Number.isInteger(this.chunkBytes) || this.chunkBytes < 1 || this.chunkBytes > printerJobBytesMax) {
      throw new RangeError(`chunkBytes must be 1 to ${printerJobBytesMax}`);
    }
  }

  /** The printer's real-time status. */
  status(): Promise<Result<PrinterStatus>> {
    return this.guard(() => this.queryStatus());
  }

  /**
   * Prints one job: checks the status first, then writes the job a chunk at a
   * time and checks the status after each, so paper running out during the
   * receipt is reported (with how many bytes the printer had taken).
   */
  print(job: Uint8Array): Promise<Result<PrintReport>> {
    if (!(job instanceof Uint8Array)) throw new TypeError('job must be a Uint8Array');
    if (job.length === 0 || job.length > printerJobBytesMax) throw new RangeError(`job must be 1 to ${printerJobBytesMax} bytes`);
    return this.guard(async () => {
      const before = await this.queryStatus();
      if (!before.ok) return before;
      const problem = statusProblem<PrintReport>(before.value, 0);
      if (problem !== null) return problem;
      let status = before.value;
      for (let sent = 0; sent < job.length; ) {
        const end = Math.min(job.length, sent + this.chunkBytes);
        try {
          await this.port.write(job.subarray(sent, end));
        } catch (error) {
          return portFailure(error);
        }
        sent = end;
        const after = await this.queryStatus();
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
    return this.port.close();
  }

  private async queryStatus(): Promise<Result<PrinterStatus>> {
    const deadlineMs = this.clock.nowMs() + this.exchangeTimeoutMs;
    const answers = [0, 0];
    let count = 0;
    try {
      // A status byte left over from an earlier, timed-out query would be taken for this one's.
      await discardInput(this.port, this.rx);
      await this.port.write(this.query);
      while (count < 2) {
        const got = await readBefore(this.port, this.rx, this.clock, deadlineMs);
        // Bytes that cannot be status bytes are noise on the line; the answers are the first two that can.
        for (let i = 0; i < got && count < 2; i += 1) {
          const byte = this.rx[i] as number;
          if (isStatusByte(byte)) answers[count++] = byte;
        }
      }
    } catch (error) {
      return portFailure(error);
    }
    return ok(decodeStatus(answers[0] as number, answers[1] as number));
  }

  private async guard<T>(run: () => Promise<Result<T>>): Promise<Result<T>> {
    assert(!this.busy, 'one printer request in flight');
    this.busy = true;
    try {
      return await run();
    } finally {
      this.busy = false;
    }
  }
}

function statusProblem<T>(status: PrinterStatus, bytesSent: number): Result<T> | null {
  const when = bytesSent === 0 ? 'before printing' : `after ${bytesSent} bytes of the receipt`;
  if (status.coverOpen) return fail('cover_open', `printer cover open ${when}`, { bytesSent });
  if (status.paperOut) return fail('paper_out', `printer out of paper ${when}`, { bytesSent });
  if (status.error) return fail('printer_error', `printer reports an error ${when}`, { bytesSent });
  return null;
}
