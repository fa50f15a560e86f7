// A line simulator between two ports (docs/design.md, devices): what one port
// receives it sends on to the other as a serial line would, at a baud rate,
// each byte taking the bit times of its frame (8N1 and 7E1: 10, a start bit,
// the data bits, a parity bit if any, the stop bits; 8E1 and 8N2: 11; with 7
// data bits the eighth bit of a byte is not sent), after a latency,
// with byte loss, bit flips, duplication and outages. Every fate is drawn
// from a seeded source, one draw sequence per direction, so the faults that
// byte n meets replay exactly from the seed, whatever the timing: a seeded
// outage swallows the bytes a busy line carries in `outageMs` (the next
// outageMs × baud / (1,000 × bits a byte) bytes). `cut(ms)` is an outage in time instead,
// for tests that cut the line at a moment of their choosing.
import assert from 'node:assert';
import { lineQueueBytesMax, portReceiveBytesMax } from '../limits';
import { frame8N1, frameBits, PortError, type Clock, type Port, type SerialFrame } from '../port';
import { seededRandom, type Random } from './prng';

// The simulator's bound beside the drivers' (device/limits.ts), asserted where the simulator loads: the firmware has no line simulator.
assert(lineQueueBytesMax >= portReceiveBytesMax, 'the line simulator queue holds a full receive buffer');

export interface LineOptions {
  /** Bits per second; a byte takes the bit times of its frame. */
  readonly baud: number;
  /** How each byte is framed, as both ends' ports are set (8N1 when absent): its bit times, and 7 or 8 data bits. */
  readonly frame?: SerialFrame;
  /** Added to every byte's arrival, ms. */
  readonly latencyMs?: number;
  /** Chance a byte is lost, per byte. */
  readonly lossRate?: number;
  /** Chance one bit of a byte is flipped, per byte. */
  readonly flipRate?: number;
  /** Chance a byte is delivered twice, per byte. */
  readonly dupRate?: number;
  /** Chance an outage starts at a byte, per byte. */
  readonly outageRate?: number;
  /** How long a seeded outage lasts, ms of a busy line: it swallows outageMs × baud / (1,000 × bits a byte) bytes. */
  readonly outageMs?: number;
  /**
   * Chance a frame is spoiled, per frame of the wire's framing (bytes between
   * 0x00 delimiters): one of its first 64 bytes is lost, flipped or doubled.
   * A line fault rate in the terms a protocol sees: byte rates high enough to
   * matter spoil every frame of a kilobyte.
   */
  readonly frameFaultRate?: number;
  /** 32-bit seed of every draw; print it when a test fails so the run replays. */
  readonly seed: number;
}

export interface LineStats {
  /** Bytes taken from the sending port. */
  received: number;
  /** Bytes written to the receiving port (duplicates included). */
  delivered: number;
  lost: number;
  flipped: number;
  duplicated: number;
  /** Bytes that fell into an outage. */
  outageLost: number;
  /** Frames spoiled by frameFaultRate. */
  framesSpoiled: number;
}

function checkRate(name: string, value: number | undefined): number {
  const rate = value ?? 0;
  if (typeof rate !== 'number' || !(rate >= 0 && rate < 1)) throw new RangeError(`${name} must be in [0, 1), got ${value}`);
  return rate;
}

/**
 * A direction's queue at first, in bytes: it doubles while bytes wait, up to
 * lineQueueBytesMax. Most lines hold a few hundred bytes at a time; taking
 * the bound at once (640 KiB of zeroed buffers a direction, eight directions
 * a site) cost the emulated boot about 10 ms.
 */
const queueBytesInitial = 4_096;

/** One direction of the line: reads `from`, writes `to` when each byte's time comes. */
class Direction {
  readonly stats: LineStats = { received: 0, delivered: 0, lost: 0, flipped: 0, duplicated: 0, outageLost: 0, framesSpoiled: 0 };
  private bytes = new Uint8Array(queueBytesInitial);
  private dueMs = new Float64Array(queueBytesInitial);
  private readonly inbox = new Uint8Array(4_096);
  private outbox = new Uint8Array(queueBytesInitial);
  private head = 0;
  private count = 0;
  private lineFreeAtMs = 0;
  outageUntilMs = 0;
  private outageBytesLeft = 0;
  private timer: unknown = null;
  private writing = false;
  private spaceWaiter: (() => void) | null = null;
  /** The previous byte was a frame delimiter (0x00). */
  private afterDelimiter = true;
  /** Bytes of the current frame left before its seeded fault, and which fault; -1 when it has none. */
  private faultIn = -1;
  private faultKind = 0;

  constructor(
    private readonly from: Port,
    private readonly to: Port,
    private readonly options: Required<LineOptions>,
    private readonly random: Random,
    private readonly clock: Clock,
    private readonly signal: AbortSignal,
  ) {}

  async pump(): Promise<void> {
    const byteMs = (frameBits(this.options.frame) * 1_000) / this.options.baud;
    while (!this.signal.aborted) {
      let count: number;
      try {
        count = await this.from.read(this.inbox, this.signal);
      } catch (error) {
        if (this.signal.aborted || error instanceof PortError) return;
        throw error;
      }
      for (let i = 0; i < count; i += 1) {
        while (this.count + 2 > lineQueueBytesMax && !this.signal.aborted) {
          this.schedule();
          await new Promise<void>((resolve) => (this.spaceWaiter = resolve));
        }
        this.send(this.inbox[i] as number, byteMs);
      }
      this.schedule();
    }
  }

  /** Draws the fate of one byte (always the same draws for the same options, so byte n meets the same fate on every replay). */
  private send(byte: number, byteMs: number): void {
    const o = this.options;
    const random = this.random;
    const rOutage = random.next();
    const rLoss = random.next();
    const rFlip = random.next();
    const bit = random.below(8);
    const rDup = random.next();
    this.stats.received += 1;
    let frameFault = -1;
    if (o.frameFaultRate > 0) {
      // Two more draws a byte, always: the fates stay a function of the seed and the byte's place.
      const rFrame = random.next();
      const rWhere = random.below(64 * 3);
      if (byte !== 0 && this.afterDelimiter && rFrame < o.frameFaultRate) {
        this.faultIn = Math.floor(rWhere / 3);
        this.faultKind = rWhere % 3;
        this.stats.framesSpoiled += 1;
      }
      this.afterDelimiter = byte === 0;
      if (byte === 0) this.faultIn = -1;
      else if (this.faultIn >= 0 && this.faultIn-- === 0) frameFault = this.faultKind;
    }
    const startMs = Math.max(this.clock.nowMs(), this.lineFreeAtMs);
    this.lineFreeAtMs = startMs + byteMs;
    if (rOutage < o.outageRate) this.outageBytesLeft = Math.max(this.outageBytesLeft, Math.ceil(o.outageMs / byteMs));
    if (this.outageBytesLeft > 0 || startMs < this.outageUntilMs) {
      if (this.outageBytesLeft > 0) this.outageBytesLeft -= 1;
      this.stats.outageLost += 1;
      return;
    }
    if (rLoss < o.lossRate || frameFault === 0) {
      this.stats.lost += 1;
      return;
    }
    let value = byte;
    if (rFlip < o.flipRate || frameFault === 1) {
      value ^= 1 << bit;
      this.stats.flipped += 1;
    }
    value &= (1 << o.frame.dataBits) - 1;
    this.enqueue(value, this.lineFreeAtMs + o.latencyMs);
    if (rDup < o.dupRate || frameFault === 2) {
      this.stats.duplicated += 1;
      this.lineFreeAtMs += byteMs;
      this.enqueue(value, this.lineFreeAtMs + o.latencyMs);
    }
  }

  private enqueue(value: number, dueMs: number): void {
    if (this.count === this.bytes.length) this.grow();
    assert(this.count < this.bytes.length, 'line queue has room');
    const at = (this.head + this.count) % this.bytes.length;
    this.bytes[at] = value;
    this.dueMs[at] = dueMs;
    this.count += 1;
  }

  /** Doubles the queue, its bytes in order from its start (a write in flight keeps the outbox it was given). */
  private grow(): void {
    const size = this.bytes.length * 2;
    assert(size <= lineQueueBytesMax, 'the line queue stays within its bound');
    const bytes = new Uint8Array(size);
    const dueMs = new Float64Array(size);
    for (let i = 0; i < this.count; i += 1) {
      const from = (this.head + i) % this.bytes.length;
      bytes[i] = this.bytes[from] as number;
      dueMs[i] = this.dueMs[from] as number;
    }
    this.bytes = bytes;
    this.dueMs = dueMs;
    this.outbox = new Uint8Array(size);
    this.head = 0;
  }

  private schedule(): void {
    if (this.timer !== null || this.writing || this.count === 0 || this.signal.aborted) return;
    const delayMs = (this.dueMs[this.head] as number) - this.clock.nowMs();
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      void this.deliver();
    }, Math.max(0, delayMs));
  }

  /** Writes every byte whose time has come, in one write; one write in flight. */
  private async deliver(): Promise<void> {
    const nowMs = this.clock.nowMs();
    let length = 0;
    while (this.count > 0 && (this.dueMs[this.head] as number) <= nowMs) {
      this.outbox[length] = this.bytes[this.head] as number;
      length += 1;
      this.head = (this.head + 1) % this.bytes.length;
      this.count -= 1;
    }
    const waiter = this.spaceWaiter;
    this.spaceWaiter = null;
    waiter?.();
    if (length > 0) {
      this.writing = true;
      try {
        await this.to.write(this.outbox.subarray(0, length));
        this.stats.delivered += length;
      } catch (error) {
        if (!(error instanceof PortError)) throw error;
      } finally {
        this.writing = false;
      }
    }
    this.schedule();
  }

  stop(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
    this.spaceWaiter?.();
  }
}

export class LineSimulator {
  /** Host to device. */
  readonly forward: LineStats;
  /** Device to host. */
  readonly backward: LineStats;
  readonly seed: number;
  private readonly directions: readonly [Direction, Direction];
  private readonly controller = new AbortController();
  private started = false;

  constructor(
    host: Port,
    device: Port,
    options: LineOptions,
    private readonly clock: Clock,
  ) {
    if (!Number.isSafeInteger(options.baud) || options.baud < 50 || options.baud > 4_000_000) {
      throw new RangeError(`baud must be an integer from 50 to 4000000, got ${options.baud}`);
    }
    const full: Required<LineOptions> = {
      baud: options.baud,
      frame: options.frame ?? frame8N1,
      latencyMs: options.latencyMs ?? 0,
      lossRate: checkRate('lossRate', options.lossRate),
      flipRate: checkRate('flipRate', options.flipRate),
      dupRate: checkRate('dupRate', options.dupRate),
      outageRate: checkRate('outageRate', options.outageRate),
      outageMs: options.outageMs ?? 0,
      frameFaultRate: checkRate('frameFaultRate', options.frameFaultRate),
      seed: options.seed,
    };
    if (!(full.latencyMs >= 0 && full.latencyMs <= 60_000)) throw new RangeError(`latencyMs must be 0 to 60000, got ${full.latencyMs}`);
    if (!(full.outageMs >= 0 && full.outageMs <= 600_000)) throw new RangeError(`outageMs must be 0 to 600000, got ${full.outageMs}`);
    this.seed = options.seed;
    const signal = this.controller.signal;
    const forward = new Direction(host, device, full, seededRandom(options.seed), clock, signal);
    const backward = new Direction(device, host, full, seededRandom((options.seed ^ 0x5bd1e995) >>> 0), clock, signal);
    this.directions = [forward, backward];
    this.forward = forward.stats;
    this.backward = backward.stats;
  }

  start(): void {
    assert(!this.started, 'a line starts once');
    this.started = true;
    for (const direction of this.directions) void direction.pump();
  }

  /** Cuts the line both ways for `durationMs` from now: bytes sent meanwhile are lost. */
  cut(durationMs: number): void {
    assert(Number.isFinite(durationMs) && durationMs >= 0, 'durationMs is a non-negative number');
    for (const direction of this.directions) direction.outageUntilMs = Math.max(direction.outageUntilMs, this.clock.nowMs() + durationMs);
  }

  /** Stops moving bytes; the ports stay open (their owner closes them). Safe twice. */
  stop(): void {
    this.controller.abort();
    for (const direction of this.directions) direction.stop();
  }
}
