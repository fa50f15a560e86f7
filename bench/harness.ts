// The benchmark harness (docs/conventions.md habit 14): every benchmark first checks the
// results of its contenders, then times them after a warm-up, interleaved with
// a baseline measured in the same run, and reports ratios to that baseline.
// Targets are judged on those figures, never in timed tests.
import assert from 'node:assert';

export interface Contender {
  readonly name: string;
  /** One operation. May return a promise (process spawns, line transfers). */
  run(): unknown;
  /**
   * The operation times itself: run() resolves with the nanoseconds that
   * count (a boot until its "ready" line, not its shutdown after), or with a
   * figure derived from what it measured (a line's physical time).
   */
  readonly selfTimed?: boolean;
}

export interface Target {
  /** The contender the target is about. */
  readonly contender: string;
  /** At most this many times the time per operation of `versus` (the baseline when absent). */
  readonly ratioMax?: number;
  /** Another contender the ratio is taken against. */
  readonly versus?: string;
  /** At most this many nanoseconds per operation. */
  readonly nsPerOpMax?: number;
  /** A figure (the benchmark's `figures`, e.g. memory) that must be at most `figureMax`. */
  readonly figure?: string;
  readonly figureMax?: number;
  /** What the target is, in words, e.g. "settle ≤ 0.2 ms". */
  readonly note: string;
}

export interface Benchmark {
  /** Short name used on the command line: `npm run bench -- NAME`. */
  readonly name: string;
  readonly title: string;
  readonly baseline: Contender;
  readonly contenders: readonly Contender[];
  /** Verifies every contender produces the right result; throws otherwise. Runs before any timing. */
  check(): void | Promise<void>;
  readonly targets?: readonly Target[];
  /** Other figures worth reporting (bytes, heap), computed once after the check. */
  figures?(): Record<string, number> | Promise<Record<string, number>>;
  /** Releases what the benchmark holds (ports, processes, files). */
  teardown?(): void | Promise<void>;
}

export interface TimingOptions {
  readonly warmupMs: number;
  readonly samples: number;
  readonly sampleMs: number;
}

export const timingDefault: TimingOptions = { warmupMs: 500, samples: 15, sampleMs: 100 };
export const timingQuick: TimingOptions = { warmupMs: 20, samples: 3, sampleMs: 5 };

export interface ContenderResult {
  readonly name: string;
  readonly nsPerOp: number;
  readonly ratio: number;
  readonly samples: number;
}

export interface TargetResult extends Target {
  readonly met: boolean;
}

export interface BenchmarkResult {
  readonly name: string;
  readonly title: string;
  readonly baseline: ContenderResult;
  readonly contenders: readonly ContenderResult[];
  readonly figures: Record<string, number>;
  readonly targets: readonly TargetResult[];
}

const nsPerMs = 1_000_000;
/** Iterations in one sample never exceed this, whatever the calibration says. */
const iterationsMax = 10_000_000;

function now(): bigint {
  return process.hrtime.bigint();
}

async function timeIterations(contender: Contender, iterations: number): Promise<number> {
  if (contender.selfTimed) {
    let total = 0;
    for (let i = 0; i < iterations; i += 1) {
      const ns = await contender.run();
      assert(typeof ns === 'number' && Number.isFinite(ns) && ns >= 0, `${contender.name} times itself: run() resolves with nanoseconds`);
      total += ns;
    }
    return total;
  }
  const start = now();
  for (let i = 0; i < iterations; i += 1) {
    const result = contender.run();
    if (result instanceof Promise) await result;
  }
  return Number(now() - start);
}

/** Finds how many iterations fill one sample, warming the contender up on the way. */
async function calibrate(contender: Contender, timing: TimingOptions): Promise<number> {
  let iterations = 1;
  const warmupEnd = now() + BigInt(timing.warmupMs * nsPerMs);
  let elapsed = await timeIterations(contender, iterations);
  while (now() < warmupEnd || elapsed < timing.sampleMs * nsPerMs) {
    if (elapsed < timing.sampleMs * nsPerMs && iterations < iterationsMax) iterations = Math.min(iterationsMax, iterations * 2);
    elapsed = await timeIterations(contender, iterations);
    if (iterations >= iterationsMax) break;
  }
  return iterations;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** Checks, then times a benchmark; the check failing stops it before any timing. */
export async function runBenchmark(benchmark: Benchmark, timing: TimingOptions = timingDefault): Promise<BenchmarkResult> {
  assert(timing.samples >= 1 && timing.sampleMs > 0, 'timing options are positive');
  try {
    await benchmark.check();
    const figures = benchmark.figures ? await benchmark.figures() : {};
    const all = [benchmark.baseline, ...benchmark.contenders];
    const iterations = [];
    for (const contender of all) iterations.push(await calibrate(contender, timing));
    const perOp: number[][] = all.map(() => []);
    // Interleave contenders sample by sample so drift (heat, other load) hits all alike.
    for (let sample = 0; sample < timing.samples; sample += 1) {
      for (let index = 0; index < all.length; index += 1) {
        const count = iterations[index] as number;
        const elapsed = await timeIterations(all[index] as Contender, count);
        (perOp[index] as number[]).push(elapsed / count);
      }
    }
    const baselineNs = median(perOp[0] as number[]);
    const results = all.map((contender, index) => {
      const nsPerOp = median(perOp[index] as number[]);
      return { name: contender.name, nsPerOp, ratio: nsPerOp / baselineNs, samples: timing.samples };
    });
    const baseline = results[0] as ContenderResult;
    const contenders = results.slice(1);
    const targets = (benchmark.targets ?? []).map((target) => {
      const measured = results.find((result) => result.name === target.contender);
      assert(measured !== undefined, `target names an unknown contender: ${target.contender}`);
      const against = target.versus === undefined ? baseline : results.find((result) => result.name === target.versus);
      assert(against !== undefined, `target compares with an unknown contender: ${target.versus}`);
      const ratioOk = target.ratioMax === undefined || measured.nsPerOp / against.nsPerOp <= target.ratioMax;
      const nsOk = target.nsPerOpMax === undefined || measured.nsPerOp <= target.nsPerOpMax;
      assert(target.figure === undefined || (typeof figures[target.figure] === 'number' && target.figureMax !== undefined), `target names a figure the benchmark reports, with its maximum: ${target.figure}`);
      const figureOk = target.figure === undefined || (figures[target.figure] as number) <= (target.figureMax as number);
      return { ...target, met: ratioOk && nsOk && figureOk };
    });
    return { name: benchmark.name, title: benchmark.title, baseline, contenders, figures, targets };
  } finally {
    await benchmark.teardown?.();
  }
}

function formatNs(ns: number): string {
  if (ns >= nsPerMs) return `${(ns / nsPerMs).toFixed(3)} ms`;
  if (ns >= 1_000) return `${(ns / 1_000).toFixed(3)} µs`;
  return `${ns.toFixed(1)} ns`;
}

/** The human-readable report of one benchmark. */
export function formatResult(result: BenchmarkResult): string {
  const lines = [`${result.name}: ${result.title}`];
  const width = Math.max(...[result.baseline, ...result.contenders].map((entry) => entry.name.length));
  lines.push(`  ${result.baseline.name.padEnd(width)}  ${formatNs(result.baseline.nsPerOp).padStart(12)}  (baseline)`);
  for (const entry of result.contenders) {
    lines.push(`  ${entry.name.padEnd(width)}  ${formatNs(entry.nsPerOp).padStart(12)}  ${entry.ratio.toFixed(3)} × baseline`);
  }
  for (const [name, value] of Object.entries(result.figures)) lines.push(`  ${name}: ${value}`);
  for (const target of result.targets) lines.push(`  target ${target.met ? 'met   ' : 'MISSED'}: ${target.note}`);
  return lines.join('\n');
}
