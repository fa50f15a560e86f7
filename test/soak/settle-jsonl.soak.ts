// Soak: `settle --jsonl` on the built bundle with N generated cases (default
// 100,000) streamed through one process: a mix of settleable, ordinary,
// corrupted and non-JSON lines. Every output line is checked against the
// function in this process, in order. Memory must stay flat: the heap the
// child keeps after each full garbage collection (reported on file
// descriptor 3 by heap-probe.cjs, loaded with `--require`; the bundle runs
// unchanged), its last quarter's peak no higher than the bound the verdict
// line prints, the first quarter's peak plus `keptMarginBytes`
// (test/helpers/memory-verdict.ts); "no" exits 1, and so do fewer than
// `fullCollectionsMin` full collections (too short a run to judge). The
// child's resident size is sampled too and printed with its range, not
// judged: it follows the capacity V8 gives the heap, which it grows and
// keeps as it sees fit (issue 14: at 100,000 cases it rose from 111 to 141
// MiB while the heap kept after each full collection stayed between 5 and
// 13 MiB, and the child ran the same cases with its old space capped at 48
// MiB).
//
// usage: npm run soak -- settle-jsonl [CASES] [SEED]
import assert from 'node:assert';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { settleCase } from '../../src/core/case';
import { generateCase, mutateCase } from '../helpers/case-gen';
import { memoryVerdict } from '../helpers/memory-verdict';

const total = Number(process.argv[2] ?? 100_000);
const seed = Number(process.argv[3] ?? 1);
assert(Number.isSafeInteger(total) && total > 0, 'CASES is a positive integer');
/** How far the heap kept after a full collection may rise, in the last quarter, above the first quarter's peak. */
const keptMarginBytes = 8 * 1_048_576;
/** Fewer full collections than this are no series to judge. */
const fullCollectionsMin = 4;

function caseLine(index: number): string {
  const caseSeed = (seed * 1_000_003 + index) >>> 0;
  switch (index % 10) {
    case 0:
      return '{"not": json';
    case 1:
    case 2:
      return JSON.stringify(mutateCase(generateCase(caseSeed, { lines: 4 }), caseSeed ^ 0x5bd1e995));
    case 3:
    case 4:
    case 5:
      return JSON.stringify(generateCase(caseSeed, { settleable: true }));
    default:
      return JSON.stringify(generateCase(caseSeed));
  }
}

function expectedFor(line: string): string {
  try {
    return JSON.stringify(settleCase(JSON.parse(line)));
  } catch {
    return '{"ok":false,"error":{"code":"invalid_json"}}';
  }
}

function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /VmRSS:\s+(\d+) kB/.exec(status);
  return match ? Number(match[1]) * 1024 : 0;
}

async function main(): Promise<void> {
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, ['--require', path.join(process.cwd(), 'test', 'soak', 'heap-probe.cjs'), path.join(process.cwd(), 'dist', 'terminal.js'), 'settle', '--jsonl'], { stdio: ['pipe', 'pipe', 'inherit', 'pipe'] });
  const kept: number[] = [];
  const probe = createInterface({ input: child.stdio[3] as NodeJS.ReadableStream });
  const probed = new Promise<void>((resolve) => probe.on('close', resolve));
  probe.on('line', (line) => kept.push(Number(line)));
  const expected: string[] = [];
  const samples: number[] = [];
  const outcomes = new Map<string, number>();
  let received = 0;
  const stdin = child.stdin as NodeJS.WritableStream;
  const reader = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const done = new Promise<void>((resolve, reject) => {
    reader.on('line', (line) => {
      const want = expected[received];
      if (line !== want) reject(new Error(`line ${received}: got ${line.slice(0, 200)}, want ${want?.slice(0, 200)}`));
      expected[received] = '';
      received += 1;
      const output = JSON.parse(line) as { ok: boolean; error?: { code: string } };
      const code = output.ok ? 'ok' : (output.error?.code ?? '?');
      outcomes.set(code, (outcomes.get(code) ?? 0) + 1);
      if (received % Math.max(1, Math.floor(total / 40)) === 0) samples.push(rssBytes(child.pid as number));
    });
    reader.on('close', resolve);
  });
  for (let index = 0; index < total; index += 1) {
    const line = caseLine(index);
    expected.push(expectedFor(line));
    if (!stdin.write(`${line}\n`)) await new Promise((resolve) => stdin.once('drain', resolve));
  }
  stdin.end();
  await done;
  const code: number = await new Promise((resolve) => child.once('exit', (exit) => resolve(exit ?? 1)));
  await probed;
  assert.equal(code, 0, 'settle --jsonl exits 0');
  assert.equal(received, total, 'one output per input line');
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const mib = (bytes: number) => (bytes / 1_048_576).toFixed(1);
  assert(kept.every((bytes) => Number.isSafeInteger(bytes) && bytes > 0), 'the heap probe writes byte counts');
  console.log(`settle --jsonl: ${total} cases in ${seconds.toFixed(1)} s (${Math.round(total / seconds)} cases/s, generation and checking included)`);
  console.log(`outcomes: ${[...outcomes.entries()].sort().map(([name, count]) => `${name} ${count}`).join(', ')}`);
  console.log(`child RSS samples, MiB (not judged: they follow the heap's capacity): ${samples.map(mib).join(' ')} (${mib(Math.min(...samples))} to ${mib(Math.max(...samples))})`);
  console.log(`heap kept after each full collection, MiB: ${kept.map(mib).join(' ')}`);
  if (kept.length < fullCollectionsMin) {
    console.log(`flat memory: not judged (${kept.length} full collections, fewer than ${fullCollectionsMin}: run more cases)`);
    process.exitCode = 1;
    return;
  }
  const verdict = memoryVerdict(kept, keptMarginBytes, 'heap kept after each full collection');
  console.log(verdict.line);
  if (!verdict.flat) process.exitCode = 1;
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
