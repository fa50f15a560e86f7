// Proves the terminal survives power cuts (issue 8, tests): a child process
// running scripted settlements, the firmware's own demo (`settle-terminal
// demo --state DIR`: four terminals, the reference hub and the patients, all
// state on disk), is killed with SIGKILL at seeded random points and started
// again on the same state, at least 200 times in all. The points include
// the moment between the hub's answer and the journal's commit of it (before
// the `done` record), a receipt printed but not yet journaled (before
// `printed`), the middle of a receipt (part of its bytes at the printer),
// before a settle's intent, before any commit, and a random moment (the
// parent's SIGKILL: boot, replay, sign-in, forwarding, the hub's writes).
// Each start resolves what the last left: settles in flight are reversed,
// unprinted receipts printed again. At the end a last run without a cut
// plays the patients still waiting and reconciles the day with the hub; then
// every settlement must be in force exactly once (no bill twice, none
// charged but unknown to the terminals), and every patient's accumulators and
// account must equal the start plus the confirmed deltas.
//
// A first, deterministic test cuts the power around the kiosk's filing
// (issue 16): before the filing's intent is journaled (nothing filed), and
// after the hub filed but before the terminal journaled its answer (between
// filing and settling). Each start is clean, the filing is at the hub once,
// and the patient, back at the kiosk, settles with it, once, as the
// settlement core settles his visit with that filing; the offer he met
// before the cut showed the core's difference against a long-term filing.
//
// POWER_CUT_KILLS (default 200) sets the number of kills, split over two
// lanes run side by side (state directories of their own); DEVICE_SEED
// replays a run. `npm run soak -- power-cut [KILLS] [SEED]` runs longer.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { auditHub } from '../../device/sim/demo';
import { ReferenceHub } from '../../device/sim/hub/hub';
import { seededRandom, type Random } from '../../device/sim/prng';
import { TerminalJournal } from '../../src/journal/journal';
import { nodeJournalStorage } from '../../src/journal/storage';
import { yuan } from '../../src/core/trace';
import { projectRoot, simBundle } from '../helpers/cli';
import { liFiled } from '../helpers/filing-cut';
import { tempDir } from '../helpers/hub-rig';
import { runSeed, withSeed } from '../suites/seed';

const killsTotal = Number(process.env.POWER_CUT_KILLS ?? 200);
const lanes = 2;
const patients = Number(process.env.POWER_CUT_PATIENTS ?? Math.max(60, Math.ceil((killsTotal / lanes) * 1.6)));

type Kind = 'done' | 'printed' | 'print' | 'intent' | 'append' | 'time';
const kinds: readonly [Kind, number][] = [
  ['done', 26],
  ['printed', 14],
  ['print', 18],
  ['intent', 10],
  ['append', 12],
  ['time', 20],
];

function pick(random: Random): { kind: Kind; spec: string | null; afterMs: number } {
  let roll = random.below(100);
  const kind = (kinds.find(([, weight]) => (roll -= weight) < 0) as [Kind, number])[0];
  // Early points, so that a run settles a patient or two before its cut and the patients last the whole test.
  const n = 1 + random.below(kind === 'append' ? 10 : 3);
  const spec = kind === 'time' ? null : kind === 'print' ? `print:${200 + random.below(1_200)}` : `${kind}:${n}`;
  return { kind, spec, afterMs: 150 + random.below(900) };
}

interface Run {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
}

function demo(dir: string, seed: number, kill: { spec: string | null; afterMs: number } | null): Promise<Run> {
  return new Promise((resolve) => {
    const args = [simBundle, 'demo', '--state', dir, '--patients', String(patients), '--seed', String(seed), '--baud', '4000000', '--json'];
    const child = spawn(process.execPath, args, { cwd: projectRoot, env: { ...process.env, SETTLE_DEMO_KILL: kill?.spec ?? '' }, stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    const timer = kill !== null && kill.spec === null ? setTimeout(() => child.kill('SIGKILL'), kill.afterMs) : null;
    const guard = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      clearTimeout(guard);
      resolve({ code, signal, stdout });
    });
  });
}

/** No bill in force twice, now (the hub's state as the last cut left it). */
async function noBillTwice(dir: string): Promise<void> {
  const hub = ReferenceHub.open({ dir: path.join(dir, 'hub'), timeS: () => Date.parse('2026-06-30T04:00:00Z') / 1_000 });
  try {
    const inForce = hub.state.ledger.filter((settlement) => !settlement.reversed && settlement.cancelled === null).map((settlement) => settlement.event.input.mdtrt_id);
    assert.is(new Set(inForce).size, inForce.length, 'no bill in force twice');
  } finally {
    await hub.close();
  }
}

interface Lane {
  kills: Record<Kind, number>;
  runs: number;
  reversed: number;
  reprinted: number;
  summary: { settled: number; offline: number; refused: number; cancelled: number; reconciliation: { agree: boolean }; audit: { ok: boolean; problems: string[]; in_force: number } };
}

async function lane(index: number, seed: number, kills: number): Promise<Lane> {
  const temp = tempDir(`power-cut-${index}-`);
  const random = seededRandom((seed + index * 0x9e3779b9) >>> 0);
  const demoSeed = (seed % 1_000) + index;
  const counts = Object.fromEntries(kinds.map(([kind]) => [kind, 0])) as Record<Kind, number>;
  let runs = 0;
  let reversed = 0;
  let reprinted = 0;
  const recoveries = (stdout: string) => {
    // The demo's line for a terminal's log entry `recovered`: `K1: warn recovered reversed="S1 S2" reprinted=S3` (src/log.ts).
    const ids = (value: string) => (value.startsWith('"') ? (JSON.parse(value) as string) : value).split(' ').filter((id) => id !== '').length;
    for (const match of stdout.matchAll(/ recovered reversed=("[^"]*"|\S*) reprinted=("[^"]*"|\S*)$/gm)) {
      reversed += ids(match[1] as string);
      reprinted += ids(match[2] as string);
    }
  };
  try {
    let done = 0;
    let idle = 0;
    while (done < kills) {
      const kill = pick(random);
      const run = await demo(temp.dir, demoSeed, kill);
      runs += 1;
      recoveries(run.stdout);
      if (run.signal === 'SIGKILL') {
        done += 1;
        idle = 0;
        counts[kill.kind] += 1;
        if (done % 25 === 0) await noBillTwice(temp.dir);
        continue;
      }
      // A run the cut never reached ends by itself, its work done: fine, unless every patient is settled (then no cut can land).
      assert.ok(run.code === 0 || run.code === 1, `a run that is not cut ends cleanly (exit ${run.code}):\n${run.stdout.slice(-2_000)}`);
      idle += 1;
      if (idle > 5 && kill.kind !== 'time') assert.unreachable(`lane ${index}: nothing left to cut after ${done} kills (raise POWER_CUT_PATIENTS)`);
    }
    const last = await demo(temp.dir, demoSeed, null);
    recoveries(last.stdout);
    assert.is(last.code, 0, last.stdout.slice(-3_000));
    const summary = JSON.parse(last.stdout.trimEnd().split('\n').at(-1) as string) as Lane['summary'];
    // The same audit again from outside the child: the hub's state and every terminal's journal, read from disk.
    const hub = ReferenceHub.open({ dir: path.join(temp.dir, 'hub'), timeS: () => Date.parse('2026-06-30T04:00:00Z') / 1_000 });
    try {
      const terminals = ['BJ-K01', 'SH-K01', 'SY-K01', 'SH-P01'].map((id) => ({ id, journal: TerminalJournal.open({ storage: nodeJournalStorage(), file: path.join(temp.dir, id, 'journal') }) }));
      const audit = auditHub(hub, terminals);
      assert.equal(audit.problems, [], 'the hub agrees with the journals');
      const inForce = hub.state.ledger.filter((settlement) => !settlement.reversed && settlement.cancelled === null);
      assert.is(new Set(inForce.map((settlement) => settlement.event.input.mdtrt_id)).size, inForce.length, 'every bill at most once');
      // Everyone but the unfiled patient and those who cancelled at the confirm screen is settled: the seed three and every synthetic patient not cancelling.
      const pending = hub.state.ledger.length - inForce.length;
      assert.ok(inForce.length >= 3 + Math.floor(patients * 0.75), `${inForce.length} in force (${pending} reversed or cancelled)`);
      for (const terminal of terminals) assert.equal(terminal.journal.inFlight(), [], `${terminal.id}: nothing in flight`);
    } finally {
      await hub.close();
    }
    return { kills: counts, runs, reversed, reprinted, summary };
  } catch (error) {
    console.error(`lane ${index} state kept in ${temp.dir}`);
    throw error;
  } finally {
    if (process.env.POWER_CUT_KEEP === undefined) temp.remove();
  }
}

test('power cuts around the kiosk filing: nothing filed before its intent; filed once when cut before its answer; the patient then settles once', async () => {
  const temp = tempDir('power-cut-filing-');
  const li = 'P130125000005';
  const core = liFiled();
  const run = (spec: string | null) =>
    new Promise<Run>((resolve) => {
      const child = spawn(process.execPath, [simBundle, 'demo', '--state', temp.dir, '--patients', '0', '--baud', '4000000', '--json'], { cwd: projectRoot, env: { ...process.env, SETTLE_DEMO_KILL: spec ?? '' }, stdio: ['ignore', 'pipe', 'inherit'] });
      let stdout = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
      const guard = setTimeout(() => child.kill('SIGKILL'), 120_000);
      child.on('close', (code, signal) => {
        clearTimeout(guard);
        resolve({ code, signal, stdout });
      });
    });
  const atHub = async () => {
    const hub = ReferenceHub.open({ dir: path.join(temp.dir, 'hub'), timeS: () => Date.parse('2026-06-30T04:00:00Z') / 1_000 });
    try {
      const inForce = hub.state.ledger.filter((settlement) => settlement.event.input.psn_no === li && !settlement.reversed && settlement.cancelled === null).length;
      return { filings: hub.state.filings(li).filter((held) => !held.cancelled).length, inForce };
    } finally {
      await hub.close();
    }
  };
  try {
    const beforeIntent = await run('filing:1');
    assert.is(beforeIntent.signal, 'SIGKILL', beforeIntent.stdout.slice(-1_000));
    assert.match(beforeIntent.stdout, /power cut before the filing_intent commit/);
    // Before the cut he was told what the temporary filing costs him: the core's difference against a long-term filing, not zero.
    assert.ok(core.cutFen > 0, 'his bill is over the deductible');
    assert.match(beforeIntent.stdout, new RegExp(`\\|比长期备案多付 More than long-term +${yuan(core.cutFen).replace('.', '\\.')}\\|`), 'the cut on the offer');
    assert.equal(await atHub(), { filings: 0, inForce: 0 }, 'cut before the intent: nothing filed');
    const beforeAnswer = await run('filed:1');
    assert.is(beforeAnswer.signal, 'SIGKILL', beforeAnswer.stdout.slice(-1_000));
    assert.match(beforeAnswer.stdout, /power cut before the filing_done commit/);
    assert.equal(await atHub(), { filings: 1, inForce: 0 }, 'cut between filing and settling: the filing is at the hub, nothing settled');
    const clean = await run(null);
    assert.is(clean.code, 0, clean.stdout.slice(-3_000));
    assert.match(clean.stdout, /BJ-K01 P130125000005: settled S/);
    assert.not.match(clean.stdout, /\[BJ-K01 filing\]/, 'back at the kiosk: the hub has his filing, no second offer');
    const summary = JSON.parse(clean.stdout.trimEnd().split('\n').at(-1) as string) as Lane['summary'] & { settlements: { patient: string; medfee_sumamt: number; fund_pay_sumamt: number; psn_cash_pay: number }[] };
    assert.ok(summary.audit.ok && summary.reconciliation.agree, summary.audit.problems.join('; '));
    const settled = summary.settlements.find((settlement) => settlement.patient === li);
    const { setlinfo } = core.temporary;
    assert.equal([settled?.medfee_sumamt, settled?.fund_pay_sumamt, settled?.psn_cash_pay], [setlinfo.medfee_sumamt, setlinfo.fund_pay_sumamt, setlinfo.psn_cash_pay], 'settled with the filing the cut left at the hub, as the core settles it');
    assert.equal(await atHub(), { filings: 1, inForce: 1 }, 'one filing, one settlement');
    const journal = TerminalJournal.open({ storage: nodeJournalStorage(), file: path.join(temp.dir, 'BJ-K01', 'journal') });
    assert.equal(journal.inFlight(), [], 'nothing in flight at BJ-K01');
  } finally {
    temp.remove();
  }
});

test(`${killsTotal} SIGKILLs at seeded points of scripted settlements, then every settlement exactly once and the accumulators the sum of confirmed deltas`, async () => {
  const seed = runSeed();
  await withSeed(seed, async () => {
    const started = Date.now();
    const results = await Promise.all(Array.from({ length: lanes }, (_, index) => lane(index, seed, Math.ceil(killsTotal / lanes))));
    const kills = Object.fromEntries(kinds.map(([kind]) => [kind, results.reduce((sum, result) => sum + result.kills[kind], 0)]));
    const total = Object.values(kills).reduce((sum, count) => sum + count, 0);
    for (const result of results) {
      assert.ok(result.summary.reconciliation.agree, 'every terminal reconciles its day with the hub');
      assert.ok(result.summary.audit.ok, result.summary.audit.problems.join('; '));
    }
    assert.ok(total >= killsTotal, `${total} kills`);
    for (const [kind] of kinds) assert.ok((kills[kind] as number) > 0 || killsTotal < 60, `some cuts were ${kind}`);
    const reversed = results.reduce((sum, result) => sum + result.reversed, 0);
    const reprinted = results.reduce((sum, result) => sum + result.reprinted, 0);
    if (killsTotal >= 60) {
      assert.ok(reversed > 0, 'some settles left in flight were reversed at boot');
      assert.ok(reprinted > 0, 'some receipts were printed again at boot');
    }
    const inForce = results.reduce((sum, result) => sum + result.summary.audit.in_force, 0);
    console.log(
      `power cut: ${total} SIGKILLs in ${results.reduce((sum, result) => sum + result.runs, 0)} runs (${Object.entries(kills).map(([kind, count]) => `${kind} ${count}`).join(', ')}); ` +
        `at boot ${reversed} settles reversed, ${reprinted} receipts reprinted; ${inForce} settlements in force, each once; seed ${seed}; ${((Date.now() - started) / 1_000).toFixed(0)} s`,
    );
  });
});

test.run();
