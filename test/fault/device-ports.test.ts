// Proves the drivers never hang and always answer with a stable code when
// the port itself misbehaves, injected with a scripted port: a write the OS
// never takes (flow control held), a read that never comes, an I/O error on
// write or read, and a port closed under a pending request. Runs on a
// simulated clock where waiting is involved, so it is fast and exact.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CardReader } from '../../device/card-reader';
import { PortError, type Clock, type Port } from '../../device/port';
import { ReceiptPrinter } from '../../device/printer';
import { QrScanner } from '../../device/qr-scanner';

/** A clock whose time moves only when told; timers fire in order. */
class SimulatedClock implements Clock {
  private now = 0;
  private timers: { at: number; callback: () => void; id: number }[] = [];
  private ids = 0;
  nowMs(): number {
    return this.now;
  }
  setTimeout(callback: () => void, delayMs: number): unknown {
    const id = ++this.ids;
    this.timers.push({ at: this.now + delayMs, callback, id });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((timer) => timer.id !== handle);
  }
  /** Advances time, firing due timers, letting promises settle between them. */
  async advance(ms: number): Promise<void> {
    const end = this.now + ms;
    for (;;) {
      await new Promise((resolve) => setImmediate(resolve));
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers[0];
      if (next === undefined || next.at > end) break;
      this.timers.shift();
      this.now = next.at;
      next.callback();
    }
    this.now = end;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

type Behaviour = 'stuck' | 'silent' | 'write_error' | 'read_error';

/** A port that does what the behaviour says and nothing else. */
class ScriptedPort implements Port {
  readonly path = '/scripted';
  isOpen = true;
  private pending: ((error: unknown) => void)[] = [];
  constructor(private readonly behaviour: Behaviour) {}
  async open(): Promise<void> {}
  read(_into: Uint8Array, signal?: AbortSignal): Promise<number> {
    if (this.behaviour === 'read_error') return Promise.reject(new PortError('io_error', 'read failed'));
    return new Promise((_resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
      this.pending.push(reject);
    });
  }
  write(): Promise<void> {
    if (this.behaviour === 'write_error') return Promise.reject(new PortError('io_error', 'write failed'));
    if (this.behaviour === 'stuck') return new Promise((_resolve, reject) => this.pending.push(reject));
    return Promise.resolve();
  }
  async drain(): Promise<void> {}
  async close(): Promise<void> {
    this.isOpen = false;
    for (const reject of this.pending.splice(0)) reject(new PortError('cancelled', 'closed'));
  }
}

async function outcome(clock: SimulatedClock, request: Promise<{ ok: boolean; error?: { code: string } }>, advanceMs: number): Promise<string> {
  let settled: string | null = null;
  void request.then((result) => (settled = result.ok ? 'ok' : (result.error as { code: string }).code));
  await clock.advance(advanceMs);
  return settled ?? 'still pending';
}

for (const behaviour of ['stuck', 'silent'] as const) {
  test(`a ${behaviour} port: every driver times out at its deadline, not before`, async () => {
    const clock = new SimulatedClock();
    const reader = new CardReader(new ScriptedPort(behaviour), { clock, exchangeTimeoutMs: 2_000, attemptTimeoutMs: 600 });
    const readEarly = reader.presence();
    assert.is(await outcome(clock, readEarly, 1_999), 'still pending');
    assert.is(await outcome(clock, readEarly, 1), 'timeout');
    const printer = new ReceiptPrinter(new ScriptedPort(behaviour), { clock, exchangeTimeoutMs: 1_000 });
    assert.is(await outcome(clock, printer.status(), 1_000), 'timeout');
    assert.is(await outcome(clock, printer.print(Uint8Array.of(0x0a)), 1_000), 'timeout');
    const scanner = new QrScanner(new ScriptedPort(behaviour), { clock });
    assert.is(await outcome(clock, scanner.next(5_000), 5_000), 'timeout');
  });
}

test('I/O errors on write or read are port_error, at once', async () => {
  const clock = new SimulatedClock();
  for (const behaviour of ['write_error', 'read_error'] as const) {
    assert.is(await outcome(clock, new CardReader(new ScriptedPort(behaviour), { clock }).presence(), 0), 'port_error', behaviour);
    assert.is(await outcome(clock, new ReceiptPrinter(new ScriptedPort(behaviour), { clock }).status(), 0), 'port_error', behaviour);
  }
  assert.is(await outcome(clock, new QrScanner(new ScriptedPort('read_error'), { clock }).next(1_000), 0), 'port_error');
});

test('a port closed under a pending request (write or read) ends it as cancelled', async () => {
  const clock = new SimulatedClock();
  for (const behaviour of ['stuck', 'silent'] as const) {
    const reader = new CardReader(new ScriptedPort(behaviour), { clock });
    const pending = reader.readCredential('123456');
    await clock.advance(10);
    await reader.close();
    await reader.close();
    assert.is(await outcome(clock, pending, 0), 'cancelled', behaviour);
  }
});

test.run();
