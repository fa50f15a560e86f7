// The port interface over a TCP socket (node:net), for a hub reached over a
// network rather than a serial line: the reference hub serves each accepted
// connection as a port, and a terminal (or a load generator) talks to a hub
// through one. Reads follow Port's contract (bytes already received come back
// even under an aborted signal); the socket is paused while more than
// `portReceiveBytesMax` bytes wait unread, so a slow reader pushes back.
import assert from 'node:assert';
import { connect, type Socket } from 'node:net';
import { portReceiveBytesMax } from '../limits';
import { PortError, type Port } from '../port';

export class SocketPort implements Port {
  readonly path: string;
  private readonly chunks: Uint8Array[] = [];
  private queued = 0;
  private waiter: { into: Uint8Array; resolve: (count: number) => void; reject: (error: unknown) => void; done: () => void } | null = null;
  private failure: PortError | null = null;

  constructor(private readonly socket: Socket) {
    this.path = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk);
      this.queued += chunk.length;
      if (this.queued > portReceiveBytesMax) socket.pause();
      this.serve();
    });
    socket.on('error', (error) => this.fail(new PortError('io_error', `${this.path}: ${error.message}`)));
    socket.on('close', () => this.fail(new PortError('cancelled', `${this.path}: connection closed`)));
  }

  /** Connects to a listening hub. */
  static connect(host: string, port: number): Promise<SocketPort> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port });
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new SocketPort(socket));
      });
      socket.once('error', (error) => reject(new PortError('open_failed', `${host}:${port}: ${error.message}`)));
    });
  }

  get isOpen(): boolean {
    return this.failure === null;
  }

  async open(): Promise<void> {}

  read(into: Uint8Array, signal?: AbortSignal): Promise<number> {
    assert(this.waiter === null, 'one read in flight');
    const count = this.take(into);
    if (count > 0) return Promise.resolve(count);
    if (this.failure !== null) return Promise.reject(this.failure);
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.waiter = null;
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiter = { into, resolve, reject, done: () => signal?.removeEventListener('abort', onAbort) };
    });
  }

  write(bytes: Uint8Array): Promise<void> {
    if (this.failure !== null) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => this.socket.write(bytes, (error) => (error ? reject(new PortError('io_error', error.message)) : resolve())));
  }

  async drain(): Promise<void> {}

  async close(): Promise<void> {
    this.fail(new PortError('closed', `${this.path}: port is closed`));
    this.socket.destroy();
  }

  private take(into: Uint8Array): number {
    let count = 0;
    while (count < into.length && this.chunks.length > 0) {
      const chunk = this.chunks[0] as Uint8Array;
      const part = Math.min(chunk.length, into.length - count);
      into.set(chunk.subarray(0, part), count);
      count += part;
      if (part === chunk.length) this.chunks.shift();
      else this.chunks[0] = chunk.subarray(part);
    }
    this.queued -= count;
    if (this.queued <= portReceiveBytesMax && this.socket.isPaused()) this.socket.resume();
    return count;
  }

  private serve(): void {
    const waiter = this.waiter;
    if (waiter === null) return;
    const count = this.take(waiter.into);
    if (count === 0) return;
    this.waiter = null;
    waiter.done();
    waiter.resolve(count);
  }

  private fail(error: PortError): void {
    this.failure ??= error;
    const waiter = this.waiter;
    if (waiter !== null && this.queued === 0) {
      this.waiter = null;
      waiter.done();
      waiter.reject(this.failure);
    }
  }
}
