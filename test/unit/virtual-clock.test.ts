// Proves the simulation's virtual clock (device/sim/virtual-clock.ts, issue
// 19): timers fire in the order of their virtual times (ties in the order
// set), a cleared one never fires, a delay under 1 ms is 1 ms as with Node's
// timers, time jumps to each timer without waiting for it in wall time, it
// moves only once the promises and immediates of the present instant have
// run, and a stopped clock fires nothing more.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { VirtualClock } from '../../device/sim/virtual-clock';

/**
 * Waits in wall time (real timers, which the virtual clock does not wait for,
 * unlike immediates) until the clock has no timer left, then a little more.
 */
async function settle(clock: VirtualClock): Promise<void> {
  const untilMs = performance.now() + 10_000;
  while (clock.pending > 0 && performance.now() < untilMs) await new Promise<void>((resolve) => setTimeout(resolve, 1));
  await new Promise<void>((resolve) => setTimeout(resolve, 20));
}

test('timers fire in virtual-time order, ties in the order set; cleared ones never', async () => {
  const clock = new VirtualClock();
  const fired: string[] = [];
  const at = (name: string) => () => fired.push(`${name}@${clock.nowMs()}`);
  clock.setTimeout(at('c'), 3_600_000);
  clock.setTimeout(at('a'), 5);
  clock.setTimeout(at('b1'), 10);
  const dropped = clock.setTimeout(at('x'), 7);
  clock.setTimeout(at('b2'), 10);
  clock.clearTimeout(dropped);
  const wallStart = performance.now();
  await settle(clock);
  assert.equal(fired, ['a@5', 'b1@10', 'b2@10', 'c@3600000']);
  assert.ok(performance.now() - wallStart < 5_000, 'an hour of virtual time is not waited for');
  assert.is(clock.pending, 0);
});

test('a delay under 1 ms is 1 ms: time always moves forward', async () => {
  const clock = new VirtualClock();
  const times: number[] = [];
  let left = 3;
  const again = () => {
    times.push(clock.nowMs());
    if (--left > 0) clock.setTimeout(again, 0);
  };
  clock.setTimeout(again, 0.25);
  clock.setTimeout(() => times.push(-clock.nowMs()), -50);
  await settle(clock);
  assert.equal(times, [1, -1, 2, 3]);
});

test('time moves only once the promises and immediates of this instant have run', async () => {
  const clock = new VirtualClock();
  const seen: string[] = [];
  clock.setTimeout(() => {
    // A chain of work started at 10 ms: promises, then immediates; all of it sees 10 ms.
    void Promise.resolve()
      .then(() => seen.push(`promise@${clock.nowMs()}`))
      .then(() => setImmediate(() => setImmediate(() => seen.push(`immediate@${clock.nowMs()}`))));
  }, 10);
  clock.setTimeout(() => seen.push(`next@${clock.nowMs()}`), 11);
  await settle(clock);
  assert.equal(seen, ['promise@10', 'immediate@10', 'next@11']);
});

test('a timer that throws leaves the clock going; a stopped clock fires nothing', async () => {
  const clock = new VirtualClock();
  const seen: number[] = [];
  const errors: unknown[] = [];
  const onError = (error: unknown) => errors.push(error);
  process.prependListener('uncaughtException', onError);
  const listeners = process.listeners('uncaughtException').filter((listener) => listener !== onError);
  for (const listener of listeners) process.removeListener('uncaughtException', listener);
  try {
    clock.setTimeout(() => {
      throw new Error('boom');
    }, 1);
    clock.setTimeout(() => seen.push(clock.nowMs()), 2);
    await settle(clock);
  } finally {
    process.removeListener('uncaughtException', onError);
    for (const listener of listeners) process.on('uncaughtException', listener);
  }
  assert.is(errors.length, 1);
  assert.equal(seen, [2]);
  clock.setTimeout(() => seen.push(clock.nowMs()), 5);
  clock.stop();
  clock.setTimeout(() => seen.push(clock.nowMs()), 6);
  await settle(clock);
  assert.equal(seen, [2]);
  assert.is(clock.fired, 2);
});

test.run();
