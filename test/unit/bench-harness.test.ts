// Proves the benchmark harness checks before it times (a wrong result stops
// the benchmark with no timing), reports ratios against the in-run baseline,
// and judges targets on them; a self-timed contender's own figures are what
// counts, not the wall time around them; a target on a figure (memory, say)
// is judged on the figure the benchmark reports.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runBenchmark, timingQuick, formatResult, type Benchmark } from '../../bench/harness';

function work(rounds: number): number {
  let sum = 0;
  for (let i = 0; i < rounds; i += 1) sum = (sum + i * 7) % 1_000_003;
  return sum;
}

test('a failing check stops the benchmark before any timing', async () => {
  let timedRuns = 0;
  let checked = false;
  const benchmark: Benchmark = {
    name: 'wrong',
    title: 'a contender with a wrong result',
    baseline: { name: 'baseline', run: () => (checked ? (timedRuns += 1) : 0) },
    contenders: [{ name: 'wrong', run: () => (checked ? (timedRuns += 1) : 41) }],
    check() {
      checked = true;
      assert.is(benchmark.contenders[0]?.run(), 42);
    },
  };
  let message = '';
  try {
    await runBenchmark(benchmark, timingQuick);
  } catch (error) {
    message = String(error);
  }
  assert.match(message, /Expected values to be strictly equal|42/);
  assert.is(timedRuns, 1, 'only the check ran the contender');
});

test('ratios are against the baseline measured in the same run, and targets are judged', async () => {
  let tornDown = false;
  const benchmark: Benchmark = {
    name: 'ratio',
    title: 'ten times the work',
    baseline: { name: 'light', run: () => work(2_000) },
    contenders: [{ name: 'heavy', run: () => work(20_000) }],
    check() {
      assert.is(work(3), 21);
    },
    figures: () => ({ bytes: 12 }),
    targets: [
      { contender: 'heavy', ratioMax: 1.0, note: 'heavy no slower than light (must miss)' },
      { contender: 'heavy', ratioMax: 1_000, note: 'heavy within 1000 × (must be met)' },
    ],
    teardown() {
      tornDown = true;
    },
  };
  const result = await runBenchmark(benchmark, timingQuick);
  assert.is(result.baseline.ratio, 1);
  const heavy = result.contenders[0];
  assert.ok(heavy !== undefined && heavy.ratio > 2, `heavy ratio ${heavy?.ratio}`);
  assert.equal(result.targets.map((target) => target.met), [false, true]);
  assert.equal(result.figures, { bytes: 12 });
  assert.ok(tornDown);
  assert.match(formatResult(result), /heavy .* × baseline/);
  assert.match(formatResult(result), /target MISSED: heavy no slower/);
});

test('async contenders are awaited', async () => {
  let inFlight = 0;
  let most = 0;
  const sleep = () =>
    new Promise<void>((resolve) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      setImmediate(() => {
        inFlight -= 1;
        resolve();
      });
    });
  const result = await runBenchmark(
    { name: 'async', title: 'awaited', baseline: { name: 'a', run: sleep }, contenders: [{ name: 'b', run: sleep }], check() {} },
    timingQuick,
  );
  assert.is(most, 1, 'one operation at a time');
  assert.ok(result.baseline.nsPerOp > 0);
});

test('a self-timed contender is judged on the nanoseconds it reports, not on the time it takes', async () => {
  const result = await runBenchmark(
    {
      name: 'self',
      title: 'self-timed',
      baseline: { name: 'reported 1 ms', selfTimed: true, run: async () => 1_000_000 },
      contenders: [{ name: 'reported 3 ms', selfTimed: true, run: async () => 3_000_000 }],
      check() {},
      targets: [{ contender: 'reported 3 ms', ratioMax: 2, note: 'within 2 × (must miss)' }],
    },
    timingQuick,
  );
  assert.is(result.baseline.nsPerOp, 1_000_000);
  assert.is(result.contenders[0]?.ratio, 3);
  assert.equal(result.targets.map((target) => target.met), [false]);
  let message = '';
  try {
    await runBenchmark({ name: 'bad', title: 'no figure', baseline: { name: 'a', selfTimed: true, run: async () => undefined }, contenders: [], check() {} }, timingQuick);
  } catch (error) {
    message = String(error);
  }
  assert.match(message, /times itself/);
});

test('a target on a figure is judged on the figure the benchmark reports', async () => {
  const benchmark = (peakMiB: number): Benchmark => ({
    name: 'figure',
    title: 'a figure with a maximum',
    baseline: { name: 'baseline', run: () => work(100) },
    contenders: [{ name: 'contender', run: () => work(100) }],
    check() {},
    figures: () => ({ 'peak MiB': peakMiB }),
    targets: [{ contender: 'contender', figure: 'peak MiB', figureMax: 40, note: 'peak ≤ 40 MiB' }],
  });
  assert.ok((await runBenchmark(benchmark(39.5), timingQuick)).targets[0]?.met);
  assert.not.ok((await runBenchmark(benchmark(40.5), timingQuick)).targets[0]?.met);
});

test.run();
