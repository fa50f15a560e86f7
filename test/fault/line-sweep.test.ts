// Proves the terminal settles the same at the harsh end of the lines it
// accepts (issue 19): the demo's seed patients at 1,200, 9,600 and 115,200
// baud × frame fault rate 0, 0.1 and 0.3 on the hub lines, each point on one
// of three seeds (every seed at every baud and every loss once), run on the
// virtual clock with the watchdog on, end exactly as the clean run of their
// seed (115,200 baud, no loss): the same settlements with the same numbers
// and amounts, the same refusals, every terminal's day reconciled with the
// same totals, the hub's audit clean; the lossy points had frames spoiled and
// sent again, and the slow ones took the line time their bytes need. The
// clean run on the virtual clock ends as on the real one (the virtual clock
// changes no outcome). And the watchdog fails a run that makes no progress:
// exit 3 with its one line, in seconds. `npm run soak -- line-sweep` runs
// every accepted baud × loss on more seeds.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runSim } from '../helpers/cli';
import { differs, pool, runPoint, type PointRun } from '../helpers/line-sweep';
import { runSeed, withSeed } from '../suites/seed';

const bauds = [1_200, 9_600, 115_200] as const;
const losses = [0, 0.1, 0.3] as const;

test('1,200 / 9,600 / 115,200 baud × loss 0 / 0.1 / 0.3 on the virtual clock: the same outcome as the clean run', async () => {
  const base = runSeed() % 1_000_000;
  await withSeed(base, async () => {
    const seeds = [base, base + 1, base + 2];
    // A Latin square: point (b, l) on seed (b + l) mod 3.
    const points = bauds.flatMap((baud, b) => losses.map((loss, l) => ({ baud, loss, seed: seeds[(b + l) % 3] as number })));
    const cleanPoints = seeds.map((seed) => ({ baud: 115_200, loss: 0, seed }));
    // The longest first (the real clock's run waits out its line time; then the slowest lines), so two at once end together.
    const order = [{ baud: 115_200, loss: 0, seed: base, clock: 'real' as const }, ...points, ...cleanPoints];
    const runs = await pool(order.map((point) => () => runPoint(point, 240_000)), 2);
    const real = runs[0] as PointRun;
    const swept = runs.slice(1, 1 + points.length);
    const clean = new Map(runs.slice(1 + points.length).map((run) => [run.seed, run] as const));
    const table: string[] = [];
    for (const run of swept) {
      const reference = clean.get(run.seed) as PointRun;
      const why = differs(run, reference);
      table.push(`${run.baud} × ${run.loss} seed ${run.seed}: ${why ?? 'same'} (${((run.runMs ?? 0) / 1_000).toFixed(1)} s virtual, ${(run.wallMs / 1_000).toFixed(1)} s wall, ${run.line?.frames_spoiled} frames spoiled)`);
      assert.is(why, null, `${run.baud} baud, loss ${run.loss}, seed ${run.seed}: ${why}\n${run.stderr}`);
      assert.ok(reference.outcome?.reconciliation.agree && reference.outcome.audit.ok && (reference.outcome.settled ?? 0) >= 3, 'the clean run settles the seed patients and reconciles');
      if (run.loss > 0) assert.ok((run.line?.frames_spoiled ?? 0) > 0 && (run.line?.retries ?? 0) > 0, `loss ${run.loss}: frames spoiled and sent again (${JSON.stringify(run.line)})`);
      else assert.equal(run.line, { frames_spoiled: 0, retries: 0 });
    }
    // The slow line's bytes take their time on the virtual clock: 1,200 baud is far slower than 115,200 at the same loss.
    const at = (baud: number, loss: number) => swept.find((run) => run.baud === baud && run.loss === loss) as PointRun;
    assert.ok((at(1_200, 0).runMs as number) > 4 * (at(115_200, 0).runMs as number), `1,200 baud took ${at(1_200, 0).runMs} ms of line time, 115,200 baud ${at(115_200, 0).runMs} ms`);
    assert.is(differs(real, clean.get(base) as PointRun), null, 'the real clock ends as the virtual one');
    console.log(table.join('\n'));
  });
});

test('the watchdog: a run without progress for N s of its clock fails, exit 3, one line, never a hang', () => {
  // At 1,200 baud a settle request alone takes seconds on the line: a 1-second watchdog trips in the first exchange.
  const result = runSim(['demo', '--clock', 'virtual', '--baud', '1200', '--watchdog-s', '1'], { timeoutMs: 60_000 });
  assert.is(result.code, 3, result.stderr);
  assert.match(result.stderr, /^settle-sim demo: watchdog: no progress for 1 s on the virtual clock \(last: .+ at [0-9.]+ s into the run\); the kiosks: BJ-K01 [a-z_]+ \(P130125000001\)/);
  assert.is(result.stderr.trimEnd().split('\n').length, 1);
  assert.match(result.stdout, /\ndemo: watchdog: no progress for 1 s/);
  assert.not.match(result.stdout, /end of day/);
});

test.run();
