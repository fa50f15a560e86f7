// Soak: `settle --jsonl` on the built bundle with N generated cases (default
// 100,000) streamed through one process: a mix of settleable, ordinary,
// corrupted and non-JSON lines. Every output line is checked against the
// function in this process, in order; the child's resident memory is sampled
// as it runs and must stay flat: the last quarter's peak no higher than the
// bound the verdict line prints, the first quarter's peak plus
// `rssMarginBytes` (test/helpers/memory-verdict.ts); "no" exits 1.
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
/** How far the last quarter's peak RSS may rise above the first quarter's. */
const rssMarginBytes = 16 * 1_048_576;

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
  const child = spawn(process.execPath, [path.join(process.cwd(), 'dist', 'terminal.js'), 'settle', '--jsonl'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const expected: string[] = [];
  const samples: number[] = [];
  const outcomes = new Map<string, number>();
  let received = 0;
  const reader = createInterface({ input: child.stdout });
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
    if (!child.stdin.write(`${line}\n`)) await new Promise((resolve) => child.stdin.once('drain', resolve));
  }
  child.stdin.end();
  await done;
  const code: number = await new Promise((resolve) => child.once('exit', (exit) => resolve(exit ?? 1)));
  assert.equal(code, 0, 'settle --jsonl exits 0');
  assert.equal(received, total, 'one output per input line');
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const mib = (bytes: number) => (bytes / 1_048_576).toFixed(1);
  const verdict = memoryVerdict(samples, rssMarginBytes);
  console.log(`settle --jsonl: ${total} cases in ${seconds.toFixed(1)} s (${Math.round(total / seconds)} cases/s, generation and checking included)`);
  console.log(`outcomes: ${[...outcomes.entries()].sort().map(([name, count]) => `${name} ${count}`).join(', ')}`);
  console.log(`child RSS samples, MiB: ${samples.map(mib).join(' ')}`);
  console.log(verdict.line);
  if (!verdict.flat) process.exitCode = 1;
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
