#!/usr/bin/env node
// `npm run soak -- NAME [ARGS...]`: long runs kept out of `npm test`.
// Bundles test/soak/NAME.soak.ts and runs it with the remaining arguments.
import { bundleForNode } from '../../build.mjs';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const [name, ...args] = process.argv.slice(2);
const known = readdirSync(path.join(root, 'test', 'soak')).filter((file) => file.endsWith('.soak.ts')).map((file) => file.replace(/\.soak\.ts$/, ''));
if (name === undefined || !known.includes(name)) {
  console.error(`usage: npm run soak -- NAME [ARGS...]   (NAME: ${known.join(', ')})`);
  process.exit(2);
}
// The soak runs spawn the firmware (settle-jsonl) and the simulation bundle (demo, hub).
if (!['terminal.js', 'sim.js', 'sim-core.js'].every((name) => existsSync(path.join(root, 'dist', name)))) {
  const built = spawnSync(process.execPath, [path.join(root, 'build.mjs')], { cwd: root, stdio: 'inherit' });
  if (built.status !== 0) process.exit(1);
}
const outfile = path.join(root, '.build', 'soak', `${name}.js`);
await bundleForNode({
  entryPoints: [path.join(root, 'test', 'soak', `${name}.soak.ts`)],
  outfile,
});
const result = spawnSync(process.execPath, ['--enable-source-maps', outfile, ...args], { cwd: root, stdio: 'inherit' });
process.exit(result.status ?? 1);
