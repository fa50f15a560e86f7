// Proves the whole session over a lossy 115,200-baud simulated line (issue 8):
// the demo with `--loss 0.02` (each frame on a hub line spoiled with that
// chance: a byte lost, flipped or doubled) ends exactly as on a clean line:
// the same settlements with the same numbers and amounts, the same refusals,
// the day reconciled at every terminal, the hub's audit clean. Frames were
// spoiled and sent again: the loss was real. A run of seeds (DEVICE_SEED
// replays one).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runSim } from '../helpers/cli';
import { runSeed, withSeed } from '../suites/seed';

const outcome = (stdout: string) => {
  const summary = JSON.parse(stdout.trimEnd().split('\n').at(-1) as string);
  return { settled: summary.settled, offline: summary.offline, refused: summary.refused, cancelled: summary.cancelled, refusals: summary.refusals, settlements: summary.settlements, reconciliation: summary.reconciliation, audit: summary.audit, line: summary.line };
};

test('--loss 0.02 at 115,200 baud: the same outcome as a clean line', async () => {
  const seed = runSeed() % 100_000;
  await withSeed(seed, async () => {
    // About 3 frames in 170 are spoiled at this rate; a seed that happens to
    // spoil none proves nothing about loss, so the next seed is taken (up to
    // four more; replaying the first seed replays the same walk).
    let demoSeed = seed;
    let args: string[] = [];
    let lossy: ReturnType<typeof runSim> | null = null;
    for (let tries = 0; tries < 5; tries += 1, demoSeed += 1) {
      args = ['demo', '--json', '--patients', '12', '--seed', String(demoSeed), '--baud', '115200'];
      lossy = runSim([...args, '--loss', '0.02'], { timeoutMs: 240_000 });
      assert.is(lossy.code, 0, lossy.stderr);
      if (outcome(lossy.stdout).line.frames_spoiled > 0) break;
    }
    const clean = runSim(args, { timeoutMs: 240_000 });
    assert.is(clean.code, 0, clean.stderr);
    const a = outcome(clean.stdout);
    const b = outcome((lossy as ReturnType<typeof runSim>).stdout);
    assert.is(a.line.frames_spoiled, 0);
    assert.ok(b.line.frames_spoiled > 0 && b.line.retries > 0, `frames were spoiled and sent again: ${JSON.stringify(b.line)}`);
    const { line: _a, ...cleanOutcome } = a;
    const { line: _b, ...lossyOutcome } = b;
    assert.equal(lossyOutcome, cleanOutcome);
    assert.ok(a.reconciliation.agree && a.audit.ok);
  });
});

test.run();
