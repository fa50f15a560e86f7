// Two ports joined back to back in memory: what one end writes the other
// reads, in order, with nothing lost. For running a terminal and the
// reference hub in one process (tests, the emulated profile), alone or with
// the line simulator (device/sim/line.ts) between two pairs. Tools only.
import assert from 'node:assert';
import { PortError, type Port } from '../port';

class MemoryPort implements Port {
  peer!: MemoryPort;
  private readonly chunks: Uint8Array[] = [];
  private waiter: { into: Uint8Array; resolve: (count: number) => void; reject: (error: unknown) => void; done: () => void } | null = null;
  private closed = false;

  constructor(readonly path: string) {}

  get isOpen(): boolean {
    return !this.closed;
  }

  async open(): Promise<void> {}

  read(into: Uint8Array, signal?: AbortSignal): Promise<number> {
    assert(this.waiter === null, 'one read in flight');
    const count = this.take(into);
    if (count > 0) return Promise.resolve(count);
    if (this.closed || this.peer.closed) return Promise.reject(new PortError('cancelled', `${this.path}: closed`));
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

  async write(bytes: Uint8Array): Promise<void> {
    if (this.closed) throw new PortError('closed', `${this.path}: closed`);
    // A closed far end loses what is sent, as a line with nothing at its end does.
    if (!this.peer.closed) this.peer.deliver(bytes.slice());
  }

  async drain(): Promise<void> {}

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.failWaiter();
    this.peer.failWaiter();
  }

  private deliver(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.chunks.push(bytes);
    const waiter = this.waiter;
    if (waiter === null) return;
    this.waiter = null;
    waiter.done();
    waiter.resolve(this.take(waiter.into));
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
    return count;
  }

  private failWaiter(): void {
    // The far end closing ends a pending read too: a connection, not a line, is what this models.
    const waiter = this.waiter;
    if (waiter === null || this.chunks.length > 0) return;
    this.waiter = null;
    waiter.done();
    waiter.reject(new PortError('cancelled', `${this.path}: closed`));
  }
}

/** Two joined ports: [a, b]. */
export function createPortPair(name = 'memory'): [Port, Port] {
  const a = new MemoryPort(`${name}-a`);
  const b = new MemoryPort(`${name}-b`);
  a.peer = b;
  b.peer = a;
  return [a, b];
}
