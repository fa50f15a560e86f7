// The line sweep (issue 19), shared by test/fault/line-sweep.test.ts (a few
// points) and `npm run soak -- line-sweep` (every accepted baud from 1,200 ×
// loss 0 to 0.3): the demo run at a baud and a frame fault rate on the
// virtual clock with the watchdog on, and its outcome compared with the clean
// run's (115,200 baud, no loss, the same seed): the same settlements, numbers
// and amounts, the same refusals, every terminal's day reconciled with the
// same totals, the hub's audit clean.
import { spawn } from 'node:child_process';
import { simBundle, projectRoot } from './cli';

export interface SweepPoint {
  readonly baud: number;
  readonly loss: number;
  readonly seed: number;
  readonly clock?: 'real' | 'virtual';
  /** Synthetic patients beside the seed ones (default none). */
  readonly patients?: number;
}

export interface PointRun extends SweepPoint {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** The run's own figures (the summary's `time`), or null when it printed no summary. */
  readonly runMs: number | null;
  /** Wall time of the whole process, spawn to exit, ms. */
  readonly wallMs: number;
  readonly outcome: Outcome | null;
  readonly line: { frames_spoiled: number; retries: number } | null;
}

/** What must be the same as the clean run: everything the summary says but the line's figures and the times. */
export interface Outcome {
  readonly settled: number;
  readonly offline: number;
  readonly refused: number;
  readonly cancelled: number;
  readonly refusals: Record<string, number>;
  readonly settlements: unknown[];
  readonly reconciliation: { agree: boolean; terminals: unknown[] };
  readonly audit: { ok: boolean; problems: string[]; in_force: number };
}

export const sweepWatchdogS = 300;

/** The demo's arguments for a point. */
export function pointArgs(point: SweepPoint): string[] {
  return ['demo', '--json', '--seed', String(point.seed), '--baud', String(point.baud), '--loss', String(point.loss), '--clock', point.clock ?? 'virtual', '--watchdog-s', String(sweepWatchdogS), '--patients', String(point.patients ?? 0)];
}

/** Runs the demo at one point (a process of its own), to its end or `timeoutMs` of wall time. */
export function runPoint(point: SweepPoint, timeoutMs = 600_000): Promise<PointRun> {
  const startMs = performance.now();
  const child = spawn(process.execPath, [simBundle, ...pointArgs(point)], { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const timer = setTimeout(() => {
    stderr += `\n(line sweep: killed after ${timeoutMs} ms of wall time)`;
    child.kill('SIGKILL');
  }, timeoutMs);
  return new Promise((resolve) => {
    child.once('close', (code) => {
      clearTimeout(timer);
      const wallMs = performance.now() - startMs;
      let summary: Record<string, unknown> | null = null;
      try {
        const last = stdout.trimEnd().split('\n').at(-1) ?? '';
        summary = last.startsWith('{') ? (JSON.parse(last) as Record<string, unknown>) : null;
      } catch {
        summary = null;
      }
      const outcome = summary === null ? null : outcomeOf(summary);
      resolve({ ...point, code, stdout, stderr, wallMs, runMs: (summary?.time as { run_ms?: number } | undefined)?.run_ms ?? null, outcome, line: (summary?.line as PointRun['line']) ?? null });
    });
  });
}

function outcomeOf(summary: Record<string, unknown>): Outcome {
  const { settled, offline, refused, cancelled, refusals, settlements, reconciliation, audit } = summary as unknown as Outcome;
  return { settled, offline, refused, cancelled, refusals, settlements, reconciliation, audit };
}

/** Why a run is not the same as the clean one, or null when it is. */
export function differs(run: PointRun, clean: PointRun): string | null {
  if (clean.code !== 0 || clean.outcome === null) return `the clean run failed (exit ${clean.code}): ${clean.stderr.trim().split('\n').at(-1) ?? ''}`;
  if (run.outcome === null) return `no summary (exit ${run.code}): ${run.stderr.trim().split('\n').at(-1) ?? ''}`;
  if (run.code !== 0) return `exit ${run.code}`;
  const a = clean.outcome;
  const b = run.outcome;
  for (const key of Object.keys(a) as (keyof Outcome)[]) {
    if (JSON.stringify(a[key]) !== JSON.stringify(b[key])) return `${key}: clean ${JSON.stringify(a[key])}, this run ${JSON.stringify(b[key])}`;
  }
  if (!b.reconciliation.agree || !b.audit.ok) return 'not reconciled or the audit failed';
  return null;
}

/** Runs `tasks` with at most `concurrency` at once, results in the tasks' order. */
export async function pool<T>(tasks: readonly (() => Promise<T>)[], concurrency: number): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const index = next++;
      results[index] = await (tasks[index] as () => Promise<T>)();
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, tasks.length) }, worker));
  return results;
}
