// The one port interface every driver is given (docs/design.md, devices; docs/conventions.md
// habits 6–8), the clock they time out with, and the typed failures they
// return. Drivers never import a binding: the wiring opens a port (a real
// serial line or pty through `device/stream-port.ts`, or the mock binding in
// unit tests) and hands it over.

/** Time as drivers see it: monotonic milliseconds and one-shot timers. Passed in, never read from globals. */
export interface Clock {
  nowMs(): number;
  setTimeout(callback: () => void, delayMs: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The process's monotonic clock, for the wiring to pass in. */
export const systemClock: Clock = Object.freeze({
  nowMs: () => performance.now(),
  setTimeout: (callback: () => void, delayMs: number): unknown => setTimeout(callback, delayMs),
  clearTimeout: (handle: unknown) => clearTimeout(handle as ReturnType<typeof setTimeout>),
});

/**
 * How a serial line frames each byte and paces the sender: data bits, parity,
 * stop bits and flow control, set on the port when it opens (the profile's
 * `data_bits`, `parity`, `stop_bits`, `flow` per device). 8N1 without flow
 * control is what every device of ours speaks unless its profile says
 * otherwise. 7 data bits only suit a device whose bytes are all ASCII;
 * `xon_xoff` only a device whose data never holds XON (0x11) or XOFF (0x13),
 * which the OS takes out of the stream (src/profile.ts refuses both where
 * they would corrupt a protocol).
 */
export interface SerialFrame {
  readonly dataBits: 7 | 8;
  readonly parity: 'none' | 'even' | 'odd';
  readonly stopBits: 1 | 2;
  /** `rts_cts`: hardware (the RTS and CTS lines); `xon_xoff`: software, both ways (XON/XOFF bytes). */
  readonly flow: 'none' | 'rts_cts' | 'xon_xoff';
}

export const frame8N1: SerialFrame = Object.freeze({ dataBits: 8, parity: 'none', stopBits: 1, flow: 'none' });

/** Bit times one byte takes on the line: a start bit, the data bits, a parity bit if any, the stop bits (8N1 and 7E1: 10; 8E1 and 8N2: 11). */
export function frameBits(frame: SerialFrame): number {
  return 1 + frame.dataBits + (frame.parity === 'none' ? 0 : 1) + frame.stopBits;
}

/** A byte stream to a device. One read and one write in flight at a time. */
export interface Port {
  readonly path: string;
  readonly isOpen: boolean;
  open(): Promise<void>;
  /**
   * Copies received bytes into `into` and resolves with their count (≥ 1).
   * Bytes already received are returned even when `signal` is already
   * aborted, so a driver can sweep stale input; otherwise an abort rejects
   * with the signal's reason. Rejects with PortError `cancelled` when the port
   * closes while waiting.
   */
  read(into: Uint8Array, signal?: AbortSignal): Promise<number>;
  /** Resolves once the bytes are handed to the OS; `bytes` must not change until then. */
  write(bytes: Uint8Array): Promise<void>;
  /** Resolves once everything written has left the port. */
  drain(): Promise<void>;
  /** Closes; pending operations reject with PortError `cancelled`. Safe to call twice. */
  close(): Promise<void>;
}

export type PortErrorCode = 'cancelled' | 'closed' | 'open_failed' | 'io_error';

/** A port operation that failed. `cancelled`: the port closed while it was pending. */
export class PortError extends Error {
  override readonly name = 'PortError';
  constructor(
    readonly code: PortErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Stable codes of the expected failures drivers return as values (docs/conventions.md habit 1). */
export type DeviceErrorCode =
  | 'timeout' // the device did not answer within the exchange timeout
  | 'cancelled' // the port closed while the request was pending
  | 'port_error' // the port failed (unplugged, I/O error)
  | 'protocol_error' // the device answered something the protocol does not allow
  | 'no_card'
  | 'card_removed' // the card left the reader during the operation
  | 'card_unreadable' // no ATR: card mute, upside down, or not a chip card
  | 'card_data_invalid' // the identity file does not parse
  | 'file_not_found' // SW 6A82
  | 'security_not_satisfied' // SW 6982
  | 'pin_wrong' // SW 63Cx with x > 0; `retriesLeft` is x
  | 'pin_blocked' // SW 6983, or 63C0
  | 'card_error' // any other status word; `sw` holds it
  | 'paper_out'
  | 'cover_open'
  | 'printer_error' // DLE EOT reports an error (cutter, head, recoverable or not)
  | 'receipt_too_long';

export interface DeviceError {
  readonly code: DeviceErrorCode;
  /** One sentence for logs; never parsed. */
  readonly message: string;
  /** For `pin_wrong`: tries left before the PIN blocks. */
  readonly retriesLeft?: number;
  /** For card status words: SW1SW2 as a number, e.g. 0x6a82. */
  readonly sw?: number;
  /** For `paper_out` during a job: bytes of the job the printer had taken. */
  readonly bytesSent?: number;
}

export type Result<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: DeviceError };

export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

export function fail<T = never>(code: DeviceErrorCode, message: string, extra?: Partial<DeviceError>): Result<T> {
  return { ok: false, error: { code, message, ...extra } };
}

/** A device that sent bytes but no valid answer: distinct from one that sent nothing (`timeout`). */
export function garbage<T = never>(what: string): Result<T> {
  return fail('protocol_error', `answered with garbage (${what})`);
}

/** Checks an integer option or argument (docs/conventions.md habit 10): TypeError names a wrong type, RangeError a wrong range. */
export function checkInt(name: string, value: unknown, min: number, max: number): number {
  if (Number.isInteger(value) && (value as number) >= min && (value as number) <= max) return value as number;
  if (typeof value !== 'number') throw new TypeError(`${name} must be an integer, got ${typeof value}`);
  throw new RangeError(`${name} must be ${min} to ${max}, got ${value}`);
}

/** The reason a driver aborts a read with when its own timer fires. */
export const timeoutReason: unique symbol = Symbol('device timeout');

/** Maps what a port read or write rejected with to a driver failure. */
export function portFailure<T = never>(error: unknown): Result<T> {
  if (error === timeoutReason) return fail('timeout', 'the device did not answer in time');
  if (error instanceof PortError) {
    return fail(error.code === 'cancelled' || error.code === 'closed' ? 'cancelled' : 'port_error', error.message);
  }
  throw error;
}

/**
 * Reads into `into` before `deadlineMs` on `clock`; rejects with
 * `timeoutReason` when the deadline passes first.
 */
export async function readBefore(port: Port, into: Uint8Array, clock: Clock, deadlineMs: number): Promise<number> {
  const controller = new AbortController();
  const handle = clock.setTimeout(() => controller.abort(timeoutReason), Math.max(0, deadlineMs - clock.nowMs()));
  try {
    return await port.read(into, controller.signal);
  } finally {
    clock.clearTimeout(handle);
  }
}

/**
 * Writes `bytes` before `deadlineMs`; rejects with `timeoutReason` when the
 * port has not taken them by then (hardware flow control held, a stuck USB
 * adapter), so a driver never hangs on a write either. The write itself may
 * still complete later; the driver has reported the timeout.
 */
export async function writeBefore(port: Port, bytes: Uint8Array, clock: Clock, deadlineMs: number): Promise<void> {
  let handle: unknown;
  const late = new Promise<never>((_, reject) => (handle = clock.setTimeout(() => reject(timeoutReason), Math.max(0, deadlineMs - clock.nowMs()))));
  const writing = port.write(bytes);
  // Once the deadline has won, a later failure of the write has no one to tell.
  writing.catch(() => {});
  try {
    await Promise.race([writing, late]);
  } finally {
    clock.clearTimeout(handle);
  }
}

/** Drops whatever the port has already received (stale answers of an earlier, timed-out request). */
export async function discardInput(port: Port, scratch: Uint8Array): Promise<number> {
  const aborted = AbortSignal.abort(timeoutReason);
  let dropped = 0;
  for (let round = 0; round < 64; round += 1) {
    try {
      dropped += await port.read(scratch, aborted);
    } catch (error) {
      if (error === timeoutReason) return dropped;
      throw error;
    }
  }
  return dropped;
}
