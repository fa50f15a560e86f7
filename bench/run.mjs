#!/usr/bin/env node
// `npm run bench [-- NAME...] [-- --json]`: bundles every `bench/*.bench.ts`,
// runs the ones named (all when none is), and prints each benchmark's figures
// as ratios against its in-run baseline. With --json the figures go to stdout
// as one JSON document and the human report to stderr.
//
// usage: node bench/run.mjs [--json] [--quick] [--strict] [NAME...]
//   --quick   few, short samples (smoke run, not figures to quote)
//   --strict  exit 1 when a target is missed
import { bundleForNode } from '../build.mjs';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outdir = path.join(root, '.build', 'bench');

function options() {
  try {
    const { values, positionals } = parseArgs({
      options: { json: { type: 'boolean' }, quick: { type: 'boolean' }, strict: { type: 'boolean' } },
      strict: true,
      allowPositionals: true,
    });
    return { json: Boolean(values.json), quick: Boolean(values.quick), strict: Boolean(values.strict), names: positionals };
  } catch (error) {
    console.error(`bench: ${error.message}`);
    console.error('usage: node bench/run.mjs [--json] [--quick] [--strict] [NAME...]');
    process.exit(2);
  }
}

async function main() {
  const opts = options();
  // Benchmarks that run the CLI need the shipped bundles (the firmware; the simulation bundle for the emulated boot).
  if (!['terminal.js', 'sim.js'].every((name) => existsSync(path.join(root, 'dist', name)))) {
    const built = spawnSync(process.execPath, [path.join(root, 'build.mjs')], { cwd: root, stdio: 'inherit' });
    if (built.status !== 0) process.exit(1);
  }
  const files = readdirSync(path.join(root, 'bench')).filter((name) => name.endsWith('.bench.ts')).sort();
  rmSync(outdir, { recursive: true, force: true });
  await bundleForNode({
    entryPoints: [path.join(root, 'bench', 'harness.ts'), ...files.map((name) => path.join(root, 'bench', name))],
    outdir,
  });
  const require = createRequire(import.meta.url);
  const harness = require(path.join(outdir, 'harness.js'));
  const benchmarks = [];
  for (const file of files) {
    const loaded = require(path.join(outdir, file.replace(/\.ts$/, '.js')));
    const list = Array.isArray(loaded.default) ? loaded.default : [loaded.default];
    for (const benchmark of list) if (benchmark) benchmarks.push(benchmark);
  }
  const known = new Set(benchmarks.map((benchmark) => benchmark.name));
  for (const name of opts.names) {
    if (!known.has(name)) {
      console.error(`bench: unknown benchmark '${name}' (known: ${[...known].join(', ') || 'none'})`);
      process.exit(2);
    }
  }
  const chosen = benchmarks.filter((benchmark) => opts.names.length === 0 || opts.names.includes(benchmark.name));
  const report = opts.json ? (text) => console.error(text) : (text) => console.log(text);
  const timing = opts.quick ? harness.timingQuick : harness.timingDefault;
  const results = [];
  let failed = false;
  report(`node ${process.versions.node}, ${os.cpus()[0]?.model ?? 'cpu'} × ${os.availableParallelism()}`);
  for (const benchmark of chosen) {
    try {
      const result = await harness.runBenchmark(benchmark, timing);
      results.push(result);
      report(harness.formatResult(result));
    } catch (error) {
      failed = true;
      report(`${benchmark.name}: check failed, not timed: ${error.stack ?? error.message}`);
    }
  }
  if (opts.json) process.stdout.write(`${JSON.stringify({ node: process.versions.node, results })}\n`);
  const missed = results.flatMap((result) => result.targets.filter((target) => !target.met));
  if (failed || (opts.strict && missed.length > 0)) process.exitCode = 1;
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
