// The port interface over `@serialport/stream`'s SerialPortStream, whatever
// the binding under it: the real one (`@serialport/bindings-cpp`: hardware
// and ptys) or the mock one in unit tests. The binding is passed in by the
// wiring (docs/conventions.md habit 7); the frame (data bits, parity, stop bits, flow
// control) comes from the device's profile and goes to the binding's open.
//
// Reads use the stream in paused mode: `read(n)` takes what arrived, at most
// what the caller has room for, so the stream's high-water mark
// (`bufferBytes`) bounds what we hold (the stream reads from the binding only
// while it holds less than that: at most one more binding read on top) and a
// slow reader leaves the bytes with the OS (a serial driver's buffer, then
// flow control) instead of growing ours. The stream queues a write or a
// drain asked while its port is not open until an `open` that never comes
// once the port has closed, so this adapter refuses them after a close or a
// failure and itself rejects those still pending at close as `cancelled`
// (at a failure, with the failure).
//
// The stream is loaded at the first open (as src/cli/binding.ts loads the
// binding): a command that opens no port, and the emulated profile's boot,
// whose lines are simulated, do not pay for evaluating it and its debug
// logging (about 3 ms measured here, a failed lookup of debug's optional
// supports-color included).
import assert from 'node:assert';
import type { BindingInterface } from '@serialport/bindings-cpp';
import type { SerialPortStream } from '@serialport/stream';
import type TypedEmitter from 'typed-emitter';
import { portReceiveBytesMax } from './limits';
import { frame8N1, PortError, type Port, type SerialFrame } from './port';

export interface StreamPortOptions {
  readonly binding: BindingInterface;
  readonly path: string;
  /** Line speed, bits per second. */
  readonly baudRate: number;
  /** Data bits, parity, stop bits and flow control; 8N1 without flow control when absent. */
  readonly frame?: SerialFrame;
  /** The stream's receive buffer (its high-water mark), bytes. */
  readonly bufferBytes?: number;
}

/**
 * The events of a SerialPortStream this adapter listens to, as the stream
 * emits them. Its own typings inherit Duplex's, whose `on` takes any name
 * with any listener, so a misspelt event or a listener of the wrong shape
 * would pass tsc; seen through this map, neither does.
 */
export type SerialPortStreamEvents = {
  /** Bytes wait in the stream's buffer (paused mode). */
  readable: () => void;
  /** The stream failed: a write the binding refused (the stream then destroys itself). */
  error: (error: Error) => void;
  /** The binding's port closed: `null` when asked to, a DisconnectedError when the device went away; nothing when the stream is destroyed. */
  close: (error?: Error | null) => void;
  /** The binding read nothing: the input ended. */
  end: () => void;
};

/** Settles one pending write or drain; `null` resolves it. */
type Settle = (error: PortError | null) => void;

interface PendingRead {
  readonly into: Uint8Array;
  readonly resolve: (count: number) => void;
  readonly reject: (error: unknown) => void;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: () => void;
}

export class StreamPort implements Port {
  readonly path: string;
  readonly frame: SerialFrame;
  readonly #options: StreamPortOptions;
  #stream: SerialPortStream | null = null;
  #pendingRead: PendingRead | null = null;
  /** Writes and drains the stream has not answered yet. */
  readonly #pending = new Set<Settle>();
  /** The last write asked for, settled: a drain waits for it (the stream drains the binding at once, not after its own queue). */
  #lastWrite: Promise<unknown> = Promise.resolve();
  #closing: Promise<void> | null = null;
  #failure: PortError | null = null;

  constructor(options: StreamPortOptions) {
    assert(typeof options.path === 'string' && options.path.length > 0, 'path is a non-empty string');
    assert(Number.isSafeInteger(options.baudRate) && options.baudRate > 0, 'baudRate is a positive integer');
    this.path = options.path;
    this.frame = options.frame ?? frame8N1;
    this.#options = options;
  }

  get isOpen(): boolean {
    return this.#stream !== null && this.#stream.isOpen && this.#closing === null && this.#failure === null;
  }

  open(): Promise<void> {
    assert(this.#stream === null && this.#closing === null && this.#failure === null, 'a StreamPort opens once');
    const { frame, path } = this;
    const { SerialPortStream: Stream } = require('@serialport/stream') as typeof import('@serialport/stream');
    const stream = new Stream({
      binding: this.#options.binding,
      path,
      baudRate: this.#options.baudRate,
      dataBits: frame.dataBits,
      parity: frame.parity,
      stopBits: frame.stopBits,
      rtscts: frame.flow === 'rts_cts',
      xon: frame.flow === 'xon_xoff',
      xoff: frame.flow === 'xon_xoff',
      xany: false,
      hupcl: true,
      lock: true,
      autoOpen: false,
      highWaterMark: this.#options.bufferBytes ?? portReceiveBytesMax,
    });
    this.#stream = stream;
    // The one cast: @serialport/stream's own typings take any event name (above).
    const events = stream as unknown as TypedEmitter<SerialPortStreamEvents>;
    events.on('readable', () => this.#serveRead());
    events.on('error', (error) => this.#fail(new PortError('io_error', `${path}: ${error.message}`)));
    events.on('close', (error) => error && this.#fail(new PortError('io_error', `${path}: disconnected: ${error.message}`)));
    events.on('end', () => this.#fail(new PortError('io_error', `${path}: disconnected: the input ended`)));
    return new Promise((resolve, reject) => {
      stream.open((error) => {
        if (error) {
          this.#failure ??= new PortError('open_failed', `${path}: ${error.message}`);
          reject(this.#failure);
        } else if (this.#closing !== null) {
          // Closed while it opened: the close found nothing open to close.
          stream.close(() => stream.destroy());
          reject(new PortError('cancelled', `${path}: port closed while it opened`));
        } else resolve();
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
      // An empty buffer: make sure the next bytes are announced ('readable') and read for.
      this.#stream?.read(0);
    });
  }

  write(bytes: Uint8Array): Promise<void> {
    const refused = this.#refusal();
    if (refused) return Promise.reject(refused);
    const stream = this.#stream as SerialPortStream;
    const written = this.#track((settle) => stream.write(bytes, (error) => settle(error ? this.#asPortError(error) : null)));
    this.#lastWrite = written.catch(() => undefined);
    return written;
  }

  drain(): Promise<void> {
    const refused = this.#refusal();
    if (refused) return Promise.reject(refused);
    const stream = this.#stream as SerialPortStream;
    const before = this.#lastWrite;
    return this.#track((settle) => {
      void before.then(() => {
        const now = this.#refusal();
        if (now) settle(now);
        else stream.drain((error) => settle(error ? this.#asPortError(error) : null));
      });
    });
  }

  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async #shutdown(): Promise<void> {
    this.#cancelPending(new PortError('cancelled', `${this.path}: port closed`));
    const stream = this.#stream;
    if (stream === null) return;
    if (stream.isOpen) await new Promise<void>((resolve) => stream.close(() => resolve()));
    // Done with: what it still buffers goes, and nothing it queued for an `open` will run.
    if (!stream.isOpen && !stream.opening) stream.destroy();
  }

  /** Why an operation cannot start now, or null. */
  #refusal(): PortError | null {
    if (this.#closing !== null) return new PortError('closed', `${this.path}: port is closed`);
    if (this.#failure !== null) return this.#failure;
    if (this.#stream === null || !this.#stream.isOpen) return new PortError('closed', `${this.path}: port is not open`);
    return null;
  }

  /** Runs `start` and waits for its answer, or for a close or failure that rejects it first. */
  #track(start: (settle: Settle) => void): Promise<void> {
    return new Promise((resolve, reject) => {
      const settle: Settle = (error) => {
        if (!this.#pending.delete(settle)) return;
        if (error === null) resolve();
        else reject(error);
      };
      this.#pending.add(settle);
      start(settle);
    });
  }

  /** Copies what the stream holds, at most `into.length` bytes, into `into`. */
  #take(into: Uint8Array): number {
    const stream = this.#stream;
    const count = stream === null ? 0 : Math.min(stream.readableLength, into.length);
    if (count === 0) return 0;
    // read(n) with n no more than the stream holds returns exactly n bytes.
    into.set((stream as SerialPortStream).read(count) as Buffer);
    return count;
  }

  #serveRead(): void {
    const pending = this.#pendingRead;
    if (pending === null) return;
    const count = this.#take(pending.into);
    // Nothing to take: an ended input is only seen ('end') by a read.
    if (count === 0) return void this.#stream?.read(0);
    this.#pendingRead = null;
    pending.signal?.removeEventListener('abort', pending.onAbort);
    pending.resolve(count);
  }

  #asPortError(error: Error): PortError {
    if (this.#closing !== null) return new PortError('cancelled', `${this.path}: port closed`);
    return this.#failure ?? new PortError('io_error', `${this.path}: ${error.message}`);
  }

  #fail(error: PortError): void {
    if (this.#closing !== null) return;
    this.#failure ??= error;
    this.#cancelPending(this.#failure);
  }

  #cancelPending(error: PortError): void {
    const pending = this.#pendingRead;
    if (pending !== null) {
      this.#pendingRead = null;
      pending.signal?.removeEventListener('abort', pending.onAbort);
      pending.reject(error);
    }
    for (const settle of [...this.#pending]) settle(error);
  }
}
