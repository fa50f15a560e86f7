#!/usr/bin/env node
// `node bench/settle-ab.mjs OTHER_CHECKOUT [ROUNDS]`: the settle benchmark
// (bench/settle.bench.ts: the same bill, catalogue and bytes in both) of
// another checkout of this repository (e.g. a worktree of main, its
// node_modules installed or linked) and of this one, in one process, rounds
// interleaved and their order alternating, so a loaded machine slows both
// alike. Each side's results are checked first (its own check()). Prints
// min/median/max per contender and the per-round ratio this/other. Both
// sides' bundles are built by their own build.mjs into their .build/ab.
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const [other, roundsArg] = process.argv.slice(2);
if (!other) {
  console.error('usage: node bench/settle-ab.mjs OTHER_CHECKOUT [ROUNDS]');
  process.exit(2);
}
const rounds = Number(roundsArg ?? 60);
const sides = [
  { label: 'other', root: path.resolve(other) },
  { label: 'this', root: here },
];
for (const side of sides) {
  const outdir = path.join(side.root, '.build', 'ab');
  const { bundleForNode } = await import(path.join(side.root, 'build.mjs'));
  await bundleForNode({ entryPoints: [path.join(side.root, 'bench', 'settle.bench.ts')], outdir });
  side.bench = createRequire(path.join(side.root, 'package.json'))(path.join(outdir, 'settle.bench.js')).default;
  side.bench.check();
}
const names = ['validate + settle, compact store', 'settle alone (validated), compact store', 'JSON.parse'];
const run = (bench, name) => (name === 'JSON.parse' ? bench.baseline : bench.contenders.find((c) => c.name === name)).run;
const times = sides.map(() => Object.fromEntries(names.map((name) => [name, []])));
const reps = 100;
for (let round = 0; round < rounds; round += 1) {
  for (const name of names) {
    for (const k of round % 2 === 0 ? [0, 1] : [1, 0]) {
      const work = run(sides[k].bench, name);
      const start = process.hrtime.bigint();
      for (let i = 0; i < reps; i += 1) work();
      times[k][name].push(Number(process.hrtime.bigint() - start) / reps / 1_000);
    }
  }
}
const spread = (values, digits, unit) => {
  const sorted = [...values].sort((a, b) => a - b);
  return `min ${sorted[0].toFixed(digits)} / median ${sorted[sorted.length >> 1].toFixed(digits)} / max ${sorted[sorted.length - 1].toFixed(digits)} ${unit}`;
};
console.log(`settle, ${rounds} interleaved rounds of ${reps}: other = ${sides[0].root}, this = ${here}`);
for (const name of names) for (let k = 0; k < 2; k += 1) console.log(`${sides[k].label.padEnd(6)}${name.padEnd(42)}${spread(times[k][name], 1, 'µs')}`);
for (const name of names) console.log(`this/other per round  ${name.padEnd(42)}${spread(times[1][name].map((t, i) => t / times[0][name][i]), 3, '×')}`);
