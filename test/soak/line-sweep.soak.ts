// Soak: the full line sweep of issue 19. Every baud the terminal accepts from
// 1,200 up (1,200, 2,400, 4,800, 9,600, 19,200, 38,400, 57,600, 115,200) ×
// the hub lines' frame fault rate 0, 0.05, 0.1, 0.2, 0.3, the demo's seed
// patients (and, when asked, synthetic ones) on each seed, each run on the
// virtual clock with the watchdog on and compared with its seed's clean run
// (115,200 baud, no loss): the same settlements, numbers, amounts, refusals,
// reconciled totals and a clean hub audit. Prints each point as it ends,
// then the table baud × loss → same as clean?, virtual and wall time (the
// slowest over the seeds), as text and Markdown. Exit 0 when every point is
// the same as clean, 1 when any is not, 2 on bad arguments.
//
// usage: npm run soak -- line-sweep [--seeds 1,2,3] [--patients N] [--jobs N]
//        (defaults: seed 1, no synthetic patients, 2 runs at once)
import { parseArgs } from 'node:util';
import { differs, pool, runPoint, sweepWatchdogS, type PointRun } from '../helpers/line-sweep';

const bauds = [1_200, 2_400, 4_800, 9_600, 19_200, 38_400, 57_600, 115_200];
const losses = [0, 0.05, 0.1, 0.2, 0.3];

function fail(message: string): never {
  console.error(`line-sweep: ${message} (usage: npm run soak -- line-sweep [--seeds 1,2,3] [--patients N] [--jobs N])`);
  process.exit(2);
}

let values: { seeds?: string; patients?: string; jobs?: string };
try {
  values = parseArgs({ args: process.argv.slice(2), strict: true, allowPositionals: false, options: { seeds: { type: 'string' }, patients: { type: 'string' }, jobs: { type: 'string' } } }).values;
} catch (error) {
  fail((error as Error).message.split('\n')[0] as string);
}
const seedsText = values.seeds ?? '1';
if (!/^[0-9]{1,10}(,[0-9]{1,10}){0,15}$/.test(seedsText) || seedsText.split(',').some((seed) => Number(seed) > 0xffff_ffff)) fail(`--seeds must be up to 16 whole numbers below 2^32, comma-separated, got '${seedsText}'`);
const seeds = [...new Set(seedsText.split(',').map(Number))];
const patients = values.patients === undefined ? 0 : /^[0-9]{1,3}$/.test(values.patients) ? Number(values.patients) : fail(`--patients must be a whole number from 0 to 999, got '${values.patients}'`);
const jobs = values.jobs === undefined ? 2 : /^[1-9][0-9]?$/.test(values.jobs) ? Number(values.jobs) : fail(`--jobs must be a whole number from 1 to 99, got '${values.jobs}'`);

const seconds = (ms: number | null) => (ms === null ? '-' : `${(ms / 1_000).toFixed(1)} s`);

async function main(): Promise<number> {
  const started = performance.now();
  console.log(`line-sweep: ${bauds.length} bauds × ${losses.length} losses × ${seeds.length} seed${seeds.length > 1 ? 's' : ''} (${seeds.join(', ')}), the seed patients${patients > 0 ? ` and ${patients} synthetic` : ''}, virtual clock, watchdog ${sweepWatchdogS} s, ${jobs} at once`);
  const clean = new Map<number, PointRun>();
  for (const run of await pool(seeds.map((seed) => () => runPoint({ baud: 115_200, loss: 0, seed, patients })), jobs)) {
    clean.set(run.seed, run);
    const outcome = run.outcome;
    console.log(`clean, seed ${run.seed}: exit ${run.code}, ${outcome === null ? 'no summary' : `${outcome.settled} settled, ${outcome.refused} refused, ${outcome.cancelled} cancelled, reconciled ${outcome.reconciliation.agree}, audit ${outcome.audit.ok}`}, ${seconds(run.runMs)} virtual, ${seconds(run.wallMs)} wall`);
    if (run.code !== 0 || outcome === null) {
      console.error(run.stderr);
      return 1;
    }
  }
  const points = bauds.flatMap((baud) => losses.flatMap((loss) => seeds.map((seed) => ({ baud, loss, seed, patients }))));
  const runs = await pool(
    points.map((point) => async () => {
      const run = await runPoint(point);
      const why = differs(run, clean.get(run.seed) as PointRun);
      console.log(`${run.baud} baud × loss ${run.loss}, seed ${run.seed}: ${why === null ? 'same as clean' : `NOT the same: ${why}`}; ${seconds(run.runMs)} virtual, ${seconds(run.wallMs)} wall, ${run.line?.frames_spoiled ?? '-'} frames spoiled, ${run.line?.retries ?? '-'} sent again`);
      return { run, why };
    }),
    jobs,
  );
  const cell = (baud: number, loss: number) => {
    const here = runs.filter(({ run }) => run.baud === baud && run.loss === loss);
    const same = here.filter(({ why }) => why === null).length;
    const worst = (pick: (run: PointRun) => number | null) => Math.max(...here.map(({ run }) => pick(run) ?? Number.NaN));
    return `${same === here.length ? 'yes' : `NO ${here.length - same}/${here.length}`} ${seconds(worst((run) => run.runMs))} / ${seconds(worst((run) => run.wallMs))}`;
  };
  const width = 24;
  console.log(`\nbaud × loss → same as clean? virtual / wall time (the slowest of ${seeds.length} seed${seeds.length > 1 ? 's' : ''})`);
  console.log(['baud'.padStart(7), ...losses.map((loss) => `loss ${loss}`.padEnd(width))].join('  '));
  for (const baud of bauds) console.log([String(baud).padStart(7), ...losses.map((loss) => cell(baud, loss).padEnd(width))].join('  '));
  console.log(`\n| baud | ${losses.map((loss) => `loss ${loss}`).join(' | ')} |\n|---:|${losses.map(() => '---|').join('')}`);
  for (const baud of bauds) console.log(`| ${baud} | ${losses.map((loss) => cell(baud, loss)).join(' | ')} |`);
  const notSame = runs.filter(({ why }) => why !== null).length;
  const quiet = Math.max(...runs.map(({ run }) => Number(/"quiet_max_ms":([0-9]+)/.exec(run.stdout)?.[1] ?? Number.NaN)));
  console.log(`\n${runs.length - notSame} of ${runs.length} points the same as clean; the longest time without progress ${seconds(quiet)} of virtual time (watchdog ${sweepWatchdogS} s); ${seconds(performance.now() - started)} of wall time in all`);
  return notSame === 0 ? 0 : 1;
}

main().then((code) => process.exit(code), (error) => {
  console.error(error);
  process.exit(1);
});
