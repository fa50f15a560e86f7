// The port interface over `@serialport/stream`, whatever the binding: the real
// one (`@serialport/bindings-cpp`: hardware and ptys) or the mock one in unit
// tests. The binding is passed in by the wiring (STYLE.md habit 7).
//
// Reads use the stream in paused mode: `stream.read()` takes what arrived and
// `unshift` gives back what does not fit, so the stream's high-water mark
// bounds what we hold and a slow reader pushes back on the OS instead of
// losing bytes. @serialport/stream queues writes and drains forever once a
// port has closed, so this adapter tracks its pending operations itself and
// rejects them as `cancelled` at close.
import assert from 'node:assert';
import { SerialPortStream } from '@serialport/stream';
import type { BindingInterface } from '@serialport/bindings-cpp';
import { portReceiveBytesMax } from './limits';
import { PortError, type Port } from './port';

export interface StreamPortOptions {
  readonly binding: BindingInterface;
  readonly path: string;
  /** Line speed; 8N1 is the binding's default framing. */
  readonly baudRate: number;
  /** The stream's buffer per direction, bytes. */
  readonly bufferBytes?: number;
}

interface PendingRead {
  readonly into: Uint8Array;
  readonly resolve: (count: number) => void;
  readonly reject: (error: unknown) => void;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: () => void;
}

type Reject = (error: unknown) => void;

export class StreamPort implements Port {
  readonly path: string;
  readonly #options: StreamPortOptions;
  #stream: SerialPortStream | null = null;
  #pendingRead: PendingRead | null = null;
  /** Writes and drains waiting for the stream, to reject at close. */
  readonly #pendingOthers = new Set<Reject>();
  #closing: Promise<void> | null = null;
  #failure: PortError | null = null;

  constructor(options: StreamPortOptions) {
    assert(typeof options.path === 'string' && options.path.length > 0, 'path is a non-empty string');
    assert(Number.isSafeInteger(options.baudRate) && options.baudRate > 0, 'baudRate is a positive integer');
    this.path = options.path;
    this.#options = options;
  }

  get isOpen(): boolean {
    return this.#stream !== null && this.#closing === null && this.#failure === null;
  }

  open(): Promise<void> {
    assert(this.#stream === null && this.#closing === null, 'a StreamPort opens once');
    const stream = new SerialPortStream({
      binding: this.#options.binding,
      path: this.path,
      baudRate: this.#options.baudRate,
      autoOpen: false,
      highWaterMark: this.#options.bufferBytes ?? portReceiveBytesMax,
    });
    this.#stream = stream;
    stream.on('readable', () => this.#serveRead());
    stream.on('error', (error: Error) => this.#fail(new PortError('io_error', `${this.path}: ${error.message}`)));
    stream.on('close', (error: Error | null) => {
      if (error) this.#fail(new PortError('io_error', `${this.path}: disconnected: ${error.message}`));
    });
    return new Promise((resolve, reject) => {
      stream.open((error) => {
        if (!error) return resolve();
        this.#failure = new PortError('open_failed', `${this.path}: ${error.message}`);
        reject(this.#failure);
      });
    });
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
    const refused = this.#refusal();
    if (refused) return Promise.reject(refused);
    return this.#track((resolve, reject) => {
      (this.#stream as SerialPortStream).write(bytes, (error) => (error ? reject(this.#asPortError(error)) : resolve()));
    });
  }

  drain(): Promise<void> {
    const refused = this.#refusal();
    if (refused) return Promise.reject(refused);
    return this.#track((resolve, reject) => {
      (this.#stream as SerialPortStream).drain((error) => (error ? reject(this.#asPortError(error)) : resolve()));
    });
  }

  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async #shutdown(): Promise<void> {
    this.#cancelPending(new PortError('cancelled', `${this.path}: port closed`));
    const stream = this.#stream;
    if (stream === null || !stream.isOpen) return;
    await new Promise<void>((resolve) => stream.close(() => resolve()));
    stream.removeAllListeners('readable');
  }

  /** Why an operation cannot start now, or null. */
  #refusal(): PortError | null {
    if (this.#closing !== null) return new PortError('closed', `${this.path}: port is closed`);
    if (this.#failure !== null) return this.#failure;
    if (this.#stream === null) return new PortError('closed', `${this.path}: port is not open`);
    return null;
  }

  #track(start: (resolve: () => void, reject: Reject) => void): Promise<void> {
    return new Promise((resolve, reject) => {
      const done = (error?: unknown) => {
        if (!this.#pendingOthers.delete(rejectOnce)) return;
        if (error === undefined) resolve();
        else reject(error);
      };
      const rejectOnce: Reject = (error) => done(error);
      this.#pendingOthers.add(rejectOnce);
      start(() => done(), rejectOnce);
    });
  }

  /** Copies what the stream holds into `into`; gives back what does not fit. */
  #take(into: Uint8Array): number {
    const stream = this.#stream;
    if (stream === null) return 0;
    const chunk: Buffer | null = stream.read();
    if (chunk === null) return 0;
    const count = Math.min(chunk.length, into.length);
    into.set(chunk.subarray(0, count));
    if (count < chunk.length) stream.unshift(chunk.subarray(count));
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
    if (pending !== null) {
      this.#pendingRead = null;
      pending.signal?.removeEventListener('abort', pending.onAbort);
      pending.reject(error);
    }
    for (const reject of [...this.#pendingOthers]) reject(error);
  }

  #asPortError(error: Error): PortError {
    if (this.#closing !== null) return new PortError('cancelled', `${this.path}: port closed`);
    return new PortError('io_error', `${this.path}: ${error.message}`);
  }
}
