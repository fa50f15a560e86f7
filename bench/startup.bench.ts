// Cold start of the firmware bundle (`node dist/terminal.js version`) against
// bare Node.js (`node -e 0`), both spawned in this run. The boot budget of
// docs/design.md (≤ 1.5 × `node -e 0`) is measured on the emulated profile by the
// terminal's own benchmark; this one watches what the bundle alone adds.
// Both run with PATH alone, as a device's service does: an inherited
// NODE_EXTRA_CA_CERTS (this machine's shells set one) would make both parse
// a certificate bundle at start and flatter the ratio (bench/terminal.bench.ts, boot).
import { spawnSync } from 'node:child_process';
import assert from 'node:assert';
import path from 'node:path';
import type { Benchmark } from './harness';

const root = process.cwd();
const bundle = path.join(root, 'dist', 'terminal.js');

function run(args: string[]): string {
  const result = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
  assert.equal(result.status, 0, result.stderr);
  return result.stdout;
}

const benchmark: Benchmark = {
  name: 'startup',
  title: 'firmware cold start (version command) vs node -e 0',
  baseline: { name: 'node -e 0', run: () => run(['-e', '0']) },
  contenders: [{ name: 'terminal.js version', run: () => run([bundle, 'version']) }],
  check() {
    assert.match(run([bundle, 'version']), /^settle-terminal \d+\.\d+\.\d+ /);
    assert.equal(run(['-e', '0']), '');
  },
  targets: [{ contender: 'terminal.js version', ratioMax: 1.5, note: 'the bundle starts within 1.5 × bare node' }],
};

export default benchmark;
