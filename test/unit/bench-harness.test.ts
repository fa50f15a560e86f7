// Proves the benchmark harness checks before it times (a wrong result stops
// the benchmark with no timing), reports ratios against the in-run baseline,
// and judges targets on them; a self-timed contender's own figures are what
// counts, not the wall time around them; a target on a figure (memory, say)
// is judged on the figure the benchmark reports. Ratios are taken round by
// round and printed as min / median / max. The command line (`benchMain`)
// exits 1 under --strict when a target is missed and 0 when all are met (or
// without --strict), 2 on bad arguments, and --svg writes a well-formed
// picture with one row per target, marked met or missed, at its figure over
// its limit.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { benchMain, runBenchmark, timingQuick, formatResult, resultsSvg, type Benchmark } from '../../bench/harness';
import { parseXml } from '../helpers/xml';

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
    // A hundred times the work, so that a loaded machine's noise cannot bring the ratio near the 2 asserted below.
    title: 'a hundred times the work',
    baseline: { name: 'light', run: () => work(1_000) },
    contenders: [{ name: 'heavy', run: () => work(100_000) }],
    check() {
      assert.is(work(3), 21);
    },
    figures: () => ({ bytes: 12 }),
    targets: [
      { contender: 'heavy', ratioMax: 1.0, note: 'heavy no slower than light (must miss)' },
      { contender: 'heavy', ratioMax: 10_000, note: 'heavy within 10000 × (must be met)' },
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

let calls = 0;
test('every ratio is taken round by round and printed as min / median / max', async () => {
  const result = await runBenchmark(
    {
      name: 'rounds',
      title: 'reported figures that change by round',
      baseline: { name: 'base', selfTimed: true, run: async () => 1_000 },
      contenders: [{ name: 'varying', selfTimed: true, run: async () => 1_000 * (2 + (calls++ % 3)) }],
      check() {},
      targets: [{ contender: 'varying', ratioMax: 3, note: 'within 3 ×' }],
    },
    { warmupMs: 0, samples: 3, sampleMs: 1e-9 },
  );
  const varying = result.contenders[0];
  assert.ok(varying !== undefined);
  assert.ok(varying.ratios.min >= 2 && varying.ratios.max <= 4 && varying.ratios.min <= varying.ratios.median && varying.ratios.median <= varying.ratios.max);
  assert.is(result.targets[0]?.unit, 'ratio');
  assert.equal(result.targets[0]?.measured, varying.ratios);
  assert.match(formatResult(result), /varying .* × baseline \(rounds: min \d\.\d{3}, max \d\.\d{3}\)/);
  assert.match(formatResult(result), /within 3 × \[min \d\.\d{3} × \/ median \d\.\d{3} × \/ max \d\.\d{3} ×, limit 3\.000 ×\]/);
});

/** Two benchmarks: one whose every target is met, one with a missed target. */
function pair(): Benchmark[] {
  const met: Benchmark = {
    name: 'holds',
    title: 'every target met',
    baseline: { name: 'one', selfTimed: true, run: async () => 1_000 },
    contenders: [{ name: 'two', selfTimed: true, run: async () => 2_000 }],
    check() {},
    targets: [
      { contender: 'two', ratioMax: 2.5, note: 'two within 2.5 × one' },
      { contender: 'two', nsPerOpMax: 3_000, note: 'two ≤ 3 µs' },
    ],
  };
  const missed: Benchmark = {
    name: 'misses',
    title: 'a missed target',
    baseline: { name: 'one', selfTimed: true, run: async () => 1_000 },
    contenders: [{ name: 'four', selfTimed: true, run: async () => 4_000 }],
    check() {},
    targets: [{ contender: 'four', ratioMax: 2, note: 'four within 2 × one <& "quoted">' }],
  };
  return [met, missed];
}

test('--strict exits 1 on a missed target, 0 when every target is met; without it a miss exits 0', async () => {
  const quiet = () => {};
  assert.is(await benchMain(pair(), ['--quick', '--strict', 'misses'], quiet), 1);
  assert.is(await benchMain(pair(), ['--quick', '--strict'], quiet), 1, 'one missed among all');
  assert.is(await benchMain(pair(), ['--quick', '--strict', 'holds'], quiet), 0);
  assert.is(await benchMain(pair(), ['--quick', 'misses'], quiet), 0);
  const failing: Benchmark = { name: 'broken', title: 'check fails', baseline: { name: 'a', run: () => 0 }, contenders: [], check: () => assert.unreachable('wrong result') };
  assert.is(await benchMain([failing], ['--quick'], quiet), 1, 'a failed check fails even without --strict');
  const errors: string[] = [];
  const original = console.error;
  console.error = (text: string) => errors.push(text);
  try {
    assert.is(await benchMain(pair(), ['--quick', 'nosuch'], quiet), 2);
    assert.is(await benchMain(pair(), ['--quick', '--svg'], quiet), 2);
  } finally {
    console.error = original;
  }
  assert.match(errors.join('\n'), /unknown benchmark 'nosuch'/);
});

test('--svg draws each target against its limit: met and missed rows, in a well-formed picture', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-svg-'));
  try {
    const file = path.join(dir, 'figures.svg');
    let printed = '';
    assert.is(await benchMain(pair(), ['--quick', '--svg', file], (text) => (printed += text)), 0);
    assert.match(printed, /target MISSED: four within 2/);
    const elements = parseXml(readFileSync(file, 'utf8'));
    assert.is(elements[0]?.name, 'svg');
    assert.is(elements[0]?.attributes.xmlns, 'http://www.w3.org/2000/svg');
    const rows = elements.filter((element) => element.name === 'g' && /\btarget\b/.test(element.attributes.class ?? ''));
    assert.equal(rows.map((row) => [row.attributes['data-benchmark'], row.attributes.class]), [['holds', 'target met'], ['holds', 'target met'], ['misses', 'target missed']]);
    // Each row's median sits at its figure over its limit: 2 ÷ 2.5, 2 µs ÷ 3 µs, 4 ÷ 2.
    assert.equal(rows.map((row) => Number(Number(row.attributes['data-median']).toFixed(3))), [0.8, 0.667, 2]);
    const labels = elements.filter((element) => element.name === 'text' && element.parent?.name === 'g').map((element) => element.text);
    assert.equal(labels, ['met holds: two within 2.5 × one', 'met holds: two ≤ 3 µs', 'MISSED misses: four within 2 × one <& "quoted">']);
    // The marks lie left of the limit line when met, right of it when missed.
    const limitX = Number(elements.find((element) => element.name === 'line')?.attributes.x1);
    const marks = elements.filter((element) => element.name === 'circle').map((element) => Number(element.attributes.cx));
    assert.equal(marks.map((cx) => cx < limitX), [true, true, false]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the XML check refuses what is not well-formed (so the picture test can fail)', () => {
  assert.throws(() => parseXml('<svg><g></svg>'), /closes <g>/);
  assert.throws(() => parseXml('<svg><text>a & b</text></svg>'), /bare '&'/);
  assert.throws(() => parseXml('<svg a="1" a="2"/>'), /repeated/);
  assert.throws(() => parseXml('<svg x=1/>'), /malformed tag/);
  assert.throws(() => parseXml('<svg/><svg/>'), /second root/);
  assert.is(resultsSvg([]).startsWith('<svg'), true);
  assert.is(parseXml(resultsSvg([]))[0]?.name, 'svg');
});

test.run();
