// The port interface over a serial binding, whatever it is: the real one
// (`@serialport/bindings-cpp`: hardware and ptys) or the mock one in unit
// tests. The binding is passed in by the wiring (STYLE.md habit 7).
//
// It talks to the binding's port directly (open, read, write, drain, close):
// @serialport/stream, which this once wrapped, cost the firmware 5 KB for a
// Node.js stream we then had to hold back and police. One binding read is in
// flight at a time, into a receive buffer of `bufferBytes`; the next is
// issued only once the reader has taken everything, so a slow reader leaves
// the bytes with the OS (a serial driver's buffer, then flow control) instead
// of growing ours. Writes go one at a time (the bindings refuse overlapping
// writes). Close ends a pending read, and writes queued behind it, as `cancelled`.
import assert from 'node:assert';
import type { BindingInterface, BindingPortInterface } from '@serialport/bindings-cpp';
import { portReceiveBytesMax } from './limits';
import { PortError, type Port } from './port';

export interface StreamPortOptions {
  readonly binding: BindingInterface;
  readonly path: string;
  /** Line speed; 8N1, no flow control. */
  readonly baudRate: number;
  /** The receive buffer, bytes. */
  readonly bufferBytes?: number;
}

interface PendingRead {
  readonly into: Uint8Array;
  readonly resolve: (count: number) => void;
  readonly reject: (error: unknown) => void;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: () => void;
}

export class StreamPort implements Port {
  readonly path: string;
  readonly #options: StreamPortOptions;
  #port: BindingPortInterface | null = null;
  readonly #inbox: Buffer;
  #at = 0;
  #end = 0;
  /** Wakes the receive loop once the reader has taken everything. */
  #taken: (() => void) | null = null;
  #pendingRead: PendingRead | null = null;
  #writes: Promise<unknown> = Promise.resolve();
  #closing: Promise<void> | null = null;
  #failure: PortError | null = null;

  constructor(options: StreamPortOptions) {
    assert(typeof options.path === 'string' && options.path.length > 0, 'path is a non-empty string');
    assert(Number.isSafeInteger(options.baudRate) && options.baudRate > 0, 'baudRate is a positive integer');
    this.path = options.path;
    this.#options = options;
    this.#inbox = Buffer.alloc(options.bufferBytes ?? portReceiveBytesMax);
  }

  get isOpen(): boolean {
    return this.#port !== null && this.#closing === null && this.#failure === null;
  }

  async open(): Promise<void> {
    assert(this.#port === null && this.#closing === null && this.#failure === null, 'a StreamPort opens once');
    try {
      this.#port = await this.#options.binding.open({ path: this.path, baudRate: this.#options.baudRate, dataBits: 8, stopBits: 1, parity: 'none', rtscts: false, xon: false, xoff: false, xany: false, hupcl: true, lock: true });
    } catch (error) {
      this.#failure = new PortError('open_failed', `${this.path}: ${(error as Error).message}`);
      throw this.#failure;
    }
    void this.#receive(this.#port);
  }

  /** Reads from the binding whenever the receive buffer is empty, until close or a failure. */
  async #receive(port: BindingPortInterface): Promise<void> {
    while (this.#closing === null && this.#failure === null) {
      if (this.#at < this.#end) {
        await new Promise<void>((resolve) => (this.#taken = resolve));
        continue;
      }
      try {
        const { bytesRead } = await port.read(this.#inbox, 0, this.#inbox.length);
        this.#at = 0;
        this.#end = bytesRead;
      } catch (error) {
        if (this.#closing === null) this.#fail(new PortError('io_error', `${this.path}: disconnected: ${(error as Error).message}`));
        return;
      }
      this.#serveRead();
    }
  }

  read(into: Uint8Array, signal?: AbortSignal): Promise<number> {
    assert(this.#pendingRead === null, 'one read in flight');
    assert(into.length > 0, 'read into a non-empty buffer');
    const refused = this.#refusal();
    if (refused) return Promise.reject(refused);
    const count = this.#take(into);
    if (count > 0) return Promise.resolve(count);
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.#pendingRead = null;
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#pendingRead = { into, resolve, reject, signal, onAbort };
    });
  }

  write(bytes: Uint8Array): Promise<void> {
    return this.#queue((port) => port.write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)));
  }

  drain(): Promise<void> {
    return this.#queue((port) => port.drain());
  }

  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async #shutdown(): Promise<void> {
    this.#cancelPending(new PortError('cancelled', `${this.path}: port closed`));
    this.#taken?.();
    const port = this.#port;
    if (port?.isOpen) await port.close().catch(() => undefined);
  }

  /** Why an operation cannot start now, or null. */
  #refusal(): PortError | null {
    if (this.#closing !== null) return new PortError('closed', `${this.path}: port is closed`);
    if (this.#failure !== null) return this.#failure;
    if (this.#port === null) return new PortError('closed', `${this.path}: port is not open`);
    return null;
  }

  /** Runs a write or drain after those before it; one the port closes under is `cancelled`. */
  #queue(start: (port: BindingPortInterface) => Promise<unknown>): Promise<void> {
    const refused = this.#refusal();
    if (refused) return Promise.reject(refused);
    const port = this.#port as BindingPortInterface;
    const run = this.#writes.then(() => {
      const now = this.#refusal();
      return now ? Promise.reject(now) : start(port);
    });
    this.#writes = run.catch(() => undefined);
    return run.then(
      () => undefined,
      (error: Error) => {
        throw error instanceof PortError ? (error.code === 'closed' ? new PortError('cancelled', error.message) : error) : new PortError(this.#closing ? 'cancelled' : 'io_error', `${this.path}: ${error.message}`);
      },
    );
  }

  /** Copies what the receive buffer holds into `into`; wakes the receive loop once it is empty. */
  #take(into: Uint8Array): number {
    const count = Math.min(this.#end - this.#at, into.length);
    if (count <= 0) return 0;
    into.set(this.#inbox.subarray(this.#at, this.#at + count));
    this.#at += count;
    if (this.#at === this.#end) {
      const wake = this.#taken;
      this.#taken = null;
      wake?.();
    }
    return count;
  }

  #serveRead(): void {
    const pending = this.#pendingRead;
    if (pending === null) return;
    const count = this.#take(pending.into);
    if (count === 0) return;
    this.#pendingRead = null;
    pending.signal?.removeEventListener('abort', pending.onAbort);
    pending.resolve(count);
  }

  #fail(error: PortError): void {
    this.#failure ??= error;
    this.#cancelPending(error);
  }

  #cancelPending(error: PortError): void {
    const pending = this.#pendingRead;
    if (pending === null) return;
    this.#pendingRead = null;
    pending.signal?.removeEventListener('abort', pending.onAbort);
    pending.reject(error);
  }
}
