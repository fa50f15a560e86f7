#!/usr/bin/env node
// `npm run bench [-- NAME...] [-- --json]`: bundles every `bench/*.bench.ts`,
// runs the ones named (all when none is), and prints each benchmark's figures
// as ratios against its in-run baseline (bench/harness.ts, benchMain). With
// --json the figures go to stdout as one JSON document and the human report
// to stderr.
//
// usage: node bench/run.mjs [--json] [--quick] [--strict] [--svg FILE] [NAME...]
//   --quick   few, short samples (smoke run, not figures to quote)
//   --strict  exit 1 when a target is missed
//   --svg     draw every target's figure against its limit into FILE
import { bundleForNode } from '../build.mjs';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outdir = path.join(root, '.build', 'bench');

async function main() {
  // Benchmarks that run the CLI need the shipped bundles (the firmware; the simulation bundle for the emulated boot).
  if (!['terminal.js', 'sim.js', 'sim-core.js'].every((name) => existsSync(path.join(root, 'dist', name)))) {
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
  process.exitCode = await harness.benchMain(benchmarks, process.argv.slice(2));
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
