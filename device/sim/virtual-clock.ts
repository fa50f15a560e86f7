// A virtual clock for the simulation (issue 19): the `Clock` of device/port.ts
// whose time moves only from one timer to the next. Everything timed in an
// emulated run (the line simulator's bytes, the hub client's deadlines and
// retries, the session's waits, the drivers' timeouts, the reference hub's
// sign-in deadlines) is given this clock instead of the process's, so a
// slow, lossy run keeps its causal order (a byte arrives when its bit times
// have passed on the virtual line, a deadline fires when its virtual time has
// come) but takes only the wall time its work needs.
//
// Time moves only when the process has nothing else to do: one timer fires
// per turn of the event loop (a `setImmediate`), after every promise the last
// one resolved has run, and only when no other immediate or file-system
// request is pending in the process (`process.getActiveResourcesInfo()`).
// Work never takes virtual time: a run on this clock is a run on an
// infinitely fast machine. Like Node's own timers, a delay under 1 ms is
// 1 ms, so time always moves forward. Every other party of the run must be
// in memory (memory ports, journals) or wait on the fs module's requests
// (the reference hub's fdatasync off the event loop, device/sim/hub/log-sync.ts),
// which the clock waits for: a real port or socket would go on in wall time
// while this clock jumps. One virtual clock drives
// a process at a time (two would each wait for the other's turn).
import type { Clock } from '../port';

interface Timer {
  readonly atMs: number;
  readonly order: number;
  callback: (() => void) | null;
}

/** Pending work of the process that must finish before virtual time may move. */
const busyKinds = /^(Immediate|FSReq)/;

/** Turns this clock waits for other work before it moves time anyway (a process that never settles would otherwise stall it). */
const patienceTurnsMax = 10_000;

export class VirtualClock implements Clock {
  #nowMs = 0;
  #order = 0;
  /** A binary heap by (atMs, order). */
  readonly #heap: Timer[] = [];
  #scheduled = false;
  #stopped = false;
  #waitedTurns = 0;
  /** Timers fired so far. */
  fired = 0;

  nowMs(): number {
    return this.#nowMs;
  }

  setTimeout(callback: () => void, delayMs: number): unknown {
    const timer: Timer = { atMs: this.#nowMs + (delayMs >= 1 ? delayMs : 1), order: this.#order++, callback };
    if (this.#stopped) return timer;
    this.#push(timer);
    this.#schedule();
    return timer;
  }

  clearTimeout(handle: unknown): void {
    if (handle !== null && typeof handle === 'object' && 'callback' in handle) (handle as Timer).callback = null;
  }

  /** Timers pending (cleared ones not counted). */
  get pending(): number {
    return this.#heap.filter((timer) => timer.callback !== null).length;
  }

  /** Drops every pending timer and moves no more: the run is over. */
  stop(): void {
    this.#stopped = true;
    this.#heap.length = 0;
  }

  #schedule(): void {
    if (this.#scheduled || this.#stopped) return;
    this.#scheduled = true;
    setImmediate(() => this.#step());
  }

  #step(): void {
    this.#scheduled = false;
    if (this.#stopped) return;
    // Another immediate or a file request pending: the work of this instant is not done yet.
    if (this.#waitedTurns < patienceTurnsMax && process.getActiveResourcesInfo().some((kind) => busyKinds.test(kind))) {
      this.#waitedTurns += 1;
      this.#schedule();
      return;
    }
    this.#waitedTurns = 0;
    let timer = this.#pop();
    while (timer !== undefined && timer.callback === null) timer = this.#pop();
    if (timer === undefined) return;
    this.#nowMs = Math.max(this.#nowMs, timer.atMs);
    const callback = timer.callback as () => void;
    timer.callback = null;
    this.fired += 1;
    // Scheduled before the callback runs: a callback that throws leaves the clock going, as a throwing Node timer does.
    if (this.#heap.length > 0) this.#schedule();
    callback();
  }

  #before(a: Timer, b: Timer): boolean {
    return a.atMs < b.atMs || (a.atMs === b.atMs && a.order < b.order);
  }

  #push(timer: Timer): void {
    const heap = this.#heap;
    heap.push(timer);
    for (let at = heap.length - 1; at > 0; ) {
      const up = (at - 1) >> 1;
      if (!this.#before(heap[at] as Timer, heap[up] as Timer)) break;
      [heap[at], heap[up]] = [heap[up] as Timer, heap[at] as Timer];
      at = up;
    }
  }

  #pop(): Timer | undefined {
    const heap = this.#heap;
    const top = heap[0];
    const last = heap.pop();
    if (top === undefined || last === undefined || heap.length === 0) return top;
    heap[0] = last;
    for (let at = 0; ; ) {
      const left = at * 2 + 1;
      const right = left + 1;
      let least = at;
      if (left < heap.length && this.#before(heap[left] as Timer, heap[least] as Timer)) least = left;
      if (right < heap.length && this.#before(heap[right] as Timer, heap[least] as Timer)) least = right;
      if (least === at) break;
      [heap[at], heap[least]] = [heap[least] as Timer, heap[at] as Timer];
      at = least;
    }
    return top;
  }
}
