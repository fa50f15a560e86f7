// The benchmark harness (docs/conventions.md habit 14): every benchmark first checks the
// results of its contenders, then times them after a warm-up, interleaved with
// a baseline measured in the same run, and reports ratios to that baseline.
// Each ratio is taken round by round (a contender's sample over the baseline's
// sample of the same round), so load that comes and goes hits both sides of
// it; the rounds' ratios are printed as min / median / max and targets are
// judged on the median. Targets are judged on those figures, never in timed
// tests. `benchMain` is the command line (`npm run bench`): `--strict` makes
// a missed target exit 1, `--svg FILE` draws every target's figure against
// its limit.
import assert from 'node:assert';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';

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

/** The spread of one figure over the rounds of a run. */
export interface Spread {
  readonly min: number;
  readonly median: number;
  readonly max: number;
}

export interface ContenderResult {
  readonly name: string;
  /** Median time per operation over the rounds. */
  readonly nsPerOp: number;
  /** Median of the rounds' ratios to the baseline (`ratios.median`). */
  readonly ratio: number;
  /** The ratio to the baseline, round by round. */
  readonly ratios: Spread;
  readonly samples: number;
}

export interface TargetResult extends Target {
  readonly met: boolean;
  /** What the target judges, over the rounds: a ratio, nanoseconds per operation, or the figure (the same value thrice). */
  readonly measured: Spread;
  /** The target's limit in the unit of `measured`. */
  readonly limit: number;
  readonly unit: 'ratio' | 'ns' | 'figure';
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

function spread(values: number[]): Spread {
  return { min: Math.min(...values), median: median(values), max: Math.max(...values) };
}

/** Round by round, `over`'s time per operation divided by `under`'s. */
function roundRatios(over: number[], under: number[]): Spread {
  return spread(over.map((ns, round) => ns / (under[round] as number)));
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
    const baselineRounds = perOp[0] as number[];
    const results = all.map((contender, index) => {
      const rounds = perOp[index] as number[];
      const ratios = roundRatios(rounds, baselineRounds);
      return { name: contender.name, nsPerOp: median(rounds), ratio: ratios.median, ratios, samples: timing.samples };
    });
    const roundsOf = (name: string): number[] | undefined => perOp[all.findIndex((contender) => contender.name === name)];
    const baseline = results[0] as ContenderResult;
    const contenders = results.slice(1);
    const targets = (benchmark.targets ?? []).map((target): TargetResult => {
      const measured = roundsOf(target.contender);
      assert(measured !== undefined, `target names an unknown contender: ${target.contender}`);
      const against = target.versus === undefined ? baselineRounds : roundsOf(target.versus);
      assert(against !== undefined, `target compares with an unknown contender: ${target.versus}`);
      assert(target.figure === undefined || (typeof figures[target.figure] === 'number' && target.figureMax !== undefined), `target names a figure the benchmark reports, with its maximum: ${target.figure}`);
      const judged = judge(target, measured, against, figures);
      return { ...target, ...judged, met: judged.measured.median <= judged.limit };
    });
    return { name: benchmark.name, title: benchmark.title, baseline, contenders, figures, targets };
  } finally {
    await benchmark.teardown?.();
  }
}

/** The figure a target judges and its limit (one kind per target: a ratio, a time or a figure). */
function judge(target: Target, rounds: number[], against: number[], figures: Record<string, number>): Pick<TargetResult, 'measured' | 'limit' | 'unit'> {
  if (target.ratioMax !== undefined) return { measured: roundRatios(rounds, against), limit: target.ratioMax, unit: 'ratio' };
  if (target.nsPerOpMax !== undefined) return { measured: spread(rounds), limit: target.nsPerOpMax, unit: 'ns' };
  assert(target.figure !== undefined && target.figureMax !== undefined, `target "${target.note}" sets ratioMax, nsPerOpMax or figure with figureMax`);
  const value = figures[target.figure] as number;
  return { measured: { min: value, median: value, max: value }, limit: target.figureMax, unit: 'figure' };
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
    const { min, median: middle, max } = entry.ratios;
    lines.push(`  ${entry.name.padEnd(width)}  ${formatNs(entry.nsPerOp).padStart(12)}  ${middle.toFixed(3)} × baseline (rounds: min ${min.toFixed(3)}, max ${max.toFixed(3)})`);
  }
  for (const [name, value] of Object.entries(result.figures)) lines.push(`  ${name}: ${value}`);
  for (const target of result.targets) lines.push(`  target ${target.met ? 'met   ' : 'MISSED'}: ${target.note} [${formatJudged(target)}]`);
  return lines.join('\n');
}

function formatValue(value: number, unit: TargetResult['unit']): string {
  if (unit === 'ns') return formatNs(value);
  if (unit === 'ratio') return `${value.toFixed(3)} ×`;
  return String(value);
}

/** A target's figure as min / median / max against its limit. */
function formatJudged(target: TargetResult): string {
  const { min, median: middle, max } = target.measured;
  const limit = formatValue(target.limit, target.unit);
  if (target.unit === 'figure') return `${formatValue(middle, 'figure')}, limit ${limit}`;
  return `min ${formatValue(min, target.unit)} / median ${formatValue(middle, target.unit)} / max ${formatValue(max, target.unit)}, limit ${limit}`;
}

const svgRowHeight = 22;
const svgLabelWidth = 560;
const svgPlotWidth = 360;
const svgMargin = 12;
/** The plot's scale ends at this many times a target's limit. */
const svgScaleMax = 2;

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/**
 * One picture of a run: a row per target, its figure over the rounds (a bar
 * from min to max, a mark at the median) divided by its limit, against the
 * line where the figure equals the limit; green when met, red when missed.
 * Plain SVG 1.1, written by hand.
 */
export function resultsSvg(results: readonly BenchmarkResult[]): string {
  const rows = results.flatMap((result) => result.targets.map((target) => ({ result, target })));
  const width = svgMargin * 2 + svgLabelWidth + svgPlotWidth;
  const height = svgMargin * 2 + svgRowHeight * (rows.length + 2);
  const x = (scaled: number) => svgMargin + svgLabelWidth + (Math.min(Math.max(scaled, 0), svgScaleMax) / svgScaleMax) * svgPlotWidth;
  const limitX = x(1);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<title>benchmark figures against their targets</title>`,
    `<text x="${svgMargin}" y="${svgMargin + 14}" font-weight="bold">figure ÷ target limit (bar: rounds' min to max, mark: median; line: the limit)</text>`,
    `<line x1="${limitX}" y1="${svgMargin + svgRowHeight}" x2="${limitX}" y2="${height - svgMargin - svgRowHeight}" stroke="black" stroke-dasharray="4 2"/>`,
    `<text x="${limitX + 3}" y="${height - svgMargin - 6}">1 = limit</text>`,
    `<text x="${x(svgScaleMax) - 30}" y="${height - svgMargin - 6}">≥ ${svgScaleMax}</text>`,
  ];
  rows.forEach(({ result, target }, index) => {
    const y = svgMargin + svgRowHeight * (index + 1);
    const colour = target.met ? '#2a7d2a' : '#c0392b';
    const { min, median: middle, max } = target.measured;
    parts.push(
      `<g class="target ${target.met ? 'met' : 'missed'}" data-benchmark="${escapeXml(result.name)}" data-median="${middle / target.limit}">`,
      `<text x="${svgMargin}" y="${y + 15}">${escapeXml(`${target.met ? 'met' : 'MISSED'} ${result.name}: ${target.note}`)}</text>`,
      `<rect x="${x(min / target.limit)}" y="${y + 6}" width="${Math.max(1, x(max / target.limit) - x(min / target.limit))}" height="10" fill="${colour}" fill-opacity="0.35"/>`,
      `<circle cx="${x(middle / target.limit)}" cy="${y + 11}" r="4" fill="${colour}"/>`,
      `<title>${escapeXml(formatJudged(target))}</title>`,
      `</g>`,
    );
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

const usage = 'usage: npm run bench -- [--json] [--quick] [--strict] [--svg FILE] [NAME...]';

/**
 * The command line over a list of benchmarks (bench/run.mjs bundles them):
 * runs the named ones (all when none is), prints each, and resolves with the
 * exit code: 2 for bad arguments, 1 when a check failed or (with --strict) a
 * target was missed, else 0. `--json` puts the figures on stdout as one JSON
 * document and the report on stderr; `--svg FILE` writes resultsSvg.
 */
export async function benchMain(benchmarks: readonly Benchmark[], argv: readonly string[], write: (text: string) => void = (text) => process.stdout.write(text)): Promise<number> {
  let values: { json?: boolean; quick?: boolean; strict?: boolean; svg?: string };
  let names: string[];
  try {
    const parsed = parseArgs({ args: [...argv], options: { json: { type: 'boolean' }, quick: { type: 'boolean' }, strict: { type: 'boolean' }, svg: { type: 'string' } }, strict: true, allowPositionals: true });
    values = parsed.values;
    names = parsed.positionals;
  } catch (error) {
    console.error(`bench: ${(error as Error).message}\n${usage}`);
    return 2;
  }
  const known = benchmarks.map((benchmark) => benchmark.name);
  const unknown = names.find((name) => !known.includes(name));
  if (unknown !== undefined) {
    console.error(`bench: unknown benchmark '${unknown}' (known: ${known.join(', ') || 'none'})`);
    return 2;
  }
  const report = values.json === true ? (text: string) => console.error(text) : (text: string) => write(`${text}\n`);
  const timing = values.quick === true ? timingQuick : timingDefault;
  const results: BenchmarkResult[] = [];
  let failed = false;
  report(`node ${process.versions.node}, ${os.cpus()[0]?.model ?? 'cpu'} × ${os.availableParallelism()}`);
  for (const benchmark of benchmarks.filter((entry) => names.length === 0 || names.includes(entry.name))) {
    try {
      const result = await runBenchmark(benchmark, timing);
      results.push(result);
      report(formatResult(result));
    } catch (error) {
      failed = true;
      report(`${benchmark.name}: check failed, not timed: ${(error as Error).stack ?? String(error)}`);
    }
  }
  if (values.json === true) write(`${JSON.stringify({ node: process.versions.node, results })}\n`);
  if (values.svg !== undefined) writeFileSync(values.svg, resultsSvg(results));
  const missed = results.flatMap((result) => result.targets.filter((target) => !target.met));
  if (missed.length > 0) report(`${missed.length} target(s) missed${values.strict === true ? ' (--strict: exit 1)' : ''}`);
  return failed || (values.strict === true && missed.length > 0) ? 1 : 0;
}
