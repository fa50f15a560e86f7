// Proves the gateway changes nothing a patient pays, and settles exactly
// once whatever the line to the platform does (issue 17's end-to-end
// equality): every seed patient, each at a terminal of the patient's
// institution, settled terminal -> gateway -> national simulator ends as it
// does terminal -> reference hub (the same refusal, or the same amounts to
// the fen in the platform's ledger and the gateway's); then, in the same
// process and site, each step of a settlement's national calls (1101 for the
// person, then the settle's 2201, 2203, 2204 and 2207) has its request lost, its answer lost, or its answer held past the
// gateway's timeout, and a lost 2207 answer or request is followed by a lost
// 5203 or 2601 answer: every time the terminal's settle succeeds with the
// clean run's amounts, the platform holds exactly one settlement of the visit
// in force (one more than before, none reversed twice), the terminal holds
// its setl_id, and the journal has nothing left unresolved. Each run is then
// cancelled through the gateway (2208) so the next settles the bill anew.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Fate } from '../../device/sim/national/simulator';
import type { ReferenceHub } from '../../device/sim/hub/hub';
import type { SettleResult } from '../../protocol/messages';
import { openPglite, type SqlStore } from '../../gateway/store';
import { WallClock, zhangDayS } from '../helpers/hub-rig';
import { gatewaySite, inForceAt, seedNational, settleSeed, siteRig, type SeedOutcome } from '../helpers/national';

const seeds = seedNational();
let store: SqlStore;

test.before(async () => {
  store = await openPglite(null);
});
test.after(async () => {
  await store.close();
});

/** What the ledger holds of a settlement, to the fen: totals, funds, accumulators. */
function amountsOf(result: SettleResult | undefined): unknown {
  return result === undefined ? undefined : { setlinfo: result.setlinfo, setldetail: result.setldetail, acc_delta: result.acc_delta };
}
function settledAt(hub: ReferenceHub, outcome: SeedOutcome): unknown {
  return outcome.ok ? amountsOf(hub.state.settlement(outcome.setl_id)?.event.result) : outcome.code;
}
const codeOf = (index: number) => seeds[index]?.input.mdtrt_id.slice(1, 13) as string;

/** A fault at the `at`-th national call of a run (from 0), on its request or its answer. */
type Fault = { readonly at: number; readonly fate: 'request' | 'answer' | 'hold' };

test('every seed patient through the gateway ends as through the reference hub, to the fen; and exactly once under every lost or late call', async () => {
  // ---- the direct path ----
  const direct = await siteRig({ clock: new WallClock(zhangDayS) });
  const expected: unknown[] = [];
  const directMs: number[] = [];
  try {
    for (const [index, seed] of seeds.entries()) {
      const outcome = await settleSeed(direct.terminal(codeOf(index)), index, seed.input.acct_used);
      if (outcome.ok) directMs.push(outcome.ms);
      expected.push(settledAt(direct.hub, outcome));
    }
  } finally {
    await direct.close();
  }
  assert.ok(expected.filter((entry) => typeof entry !== 'string').length >= 4, `most seed patients settle: ${JSON.stringify(expected)}`);

  // ---- through the gateway, clean ----
  const calls: string[] = [];
  let faults: Fault[] = [];
  let answerFate: Fate = 'deliver';
  const fate = (infno: string, phase: 'request' | 'answer'): Fate => {
    if (phase === 'answer') {
      const out = answerFate;
      answerFate = 'deliver';
      return out;
    }
    const fault = faults.find((candidate) => candidate.at === calls.length);
    calls.push(infno);
    if (fault === undefined) return 'deliver';
    if (fault.fate === 'request') return 'drop';
    answerFate = fault.fate === 'hold' ? 'hold' : 'drop';
    return 'deliver';
  };
  const r = await gatewaySite(store, { fate, timeoutMs: 1_000, client: { requestTimeoutMs: 3_000, settleTimeoutMs: 3_000 } });
  try {
    const outcomes: SeedOutcome[] = [];
    const sequences: string[][] = [];
    for (const [index, seed] of seeds.entries()) {
      calls.length = 0;
      const outcome = await settleSeed(r.site.terminal(codeOf(index)), index, seed.input.acct_used);
      outcomes.push(outcome);
      sequences.push(calls.filter((infno) => infno !== '9001'));
      assert.equal(settledAt(r.site.hub, outcome), expected[index], `${seed.name}: the gateway's ledger`);
      assert.equal(settledAt(r.national.hub, outcome), expected[index], `${seed.name}: the platform's ledger`);
      if (outcome.ok) assert.is(inForceAt(r.national.hub, seed.input.mdtrt_id).length, 1);
    }
    const settleable = [...seeds.keys()].filter((index) => outcomes[index]?.ok === true);
    // The closing figures (printed, never asserted): a settle's wall time on each path, the national JSON per settle.
    const mean = (values: number[]) => (values.reduce((sum, value) => sum + value, 0) / values.length).toFixed(0);
    const settle = r.gateway.figures;
    console.log(`gateway-equality: ${settleable.length} settles; settle ${mean(directMs)} ms direct, ${mean(outcomes.flatMap((outcome) => (outcome.ok ? [outcome.ms] : [])))} ms through the gateway; national JSON over the clean run ${settle.sentBytes} B sent, ${settle.receivedBytes} B received in ${settle.calls} calls (${JSON.stringify(settle.byInfno)})`);
    const steps = sequences[settleable[0] as number] as string[];
    assert.equal(steps, ['1101', '2201', '2203', '2204', '2207']);
    for (const index of settleable) assert.equal(sequences[index], steps, `${seeds[index]?.name}: the same calls`);

    /** Cancels a seed's settlement through the gateway (2208), freeing its bill for the next run. */
    const cancel = async (index: number, setlId: string) => {
      const seed = seeds[index] as (typeof seeds)[number];
      const info = r.site.hub.state.settlement(setlId)?.event.result.setlinfo;
      assert.ok(info !== undefined);
      const out = await r.site.terminal(codeOf(index)).client.cancel({ setl_id: setlId, mdtrt_id: seed.input.mdtrt_id, psn_no: seed.input.psn_no, reason: '' }, { medfee_sumamt: info.medfee_sumamt, fund_pay_sumamt: info.fund_pay_sumamt, acct_pay: info.acct_pay, psn_cash_pay: info.psn_cash_pay });
      assert.ok(out.ok, `${seed.name} cancel: ${JSON.stringify(out)}`);
      assert.is(inForceAt(r.national.hub, seed.input.mdtrt_id).length, 0);
    };
    const held = new Map(settleable.map((index) => [index, (outcomes[index] as { setl_id: string }).setl_id]));

    // ---- every step lost or late, and the resolution's own calls lost ----
    const runs: Fault[][] = [];
    for (let at = 0; at < steps.length; at += 1) for (const kind of ['request', 'answer', 'hold'] as const) runs.push([{ at, fate: kind }]);
    const last = steps.length - 1;
    runs.push([{ at: last, fate: 'answer' }, { at: last + 1, fate: 'answer' }]); // 2207's answer lost, then the 5203's
    runs.push([{ at: last, fate: 'request' }, { at: last + 2, fate: 'answer' }]); // 2207 lost, then the 2601's answer
    runs.push([{ at: last, fate: 'hold' }, { at: last + 1, fate: 'request' }]); // 2207 late, then the 5203 lost
    for (const [run, injected] of runs.entries()) {
      const index = settleable[run % settleable.length] as number;
      const seed = seeds[index] as (typeof seeds)[number];
      const what = `${seed.name}, ${injected.map((fault) => `${fault.fate} at call ${fault.at}`).join(', ')}`;
      await cancel(index, held.get(index) as string);
      const standing = r.national.hub.state.ledger.filter((entry) => entry.event.input.mdtrt_id === seed.input.mdtrt_id && !entry.reversed).length;
      calls.length = 0;
      faults = injected;
      const outcome = await settleSeed(r.site.terminal(codeOf(index)), index, seed.input.acct_used);
      faults = [];
      assert.ok(outcome.ok, `${what}: ${JSON.stringify(outcome)}`);
      if (!outcome.ok) return;
      held.set(index, outcome.setl_id);
      const inForce = inForceAt(r.national.hub, seed.input.mdtrt_id);
      assert.is(inForce.length, 1, `${what}: one settlement in force`);
      assert.is(inForce[0]?.event.setl_id, outcome.setl_id, `${what}: the terminal holds the platform's`);
      assert.is(r.national.hub.state.ledger.filter((entry) => entry.event.input.mdtrt_id === seed.input.mdtrt_id && !entry.reversed).length, standing + 1, `${what}: one more settlement, no other`);
      assert.equal(settledAt(r.national.hub, outcome), expected[index], `${what}: the platform's amounts`);
      assert.equal(settledAt(r.site.hub, outcome), expected[index], `${what}: the gateway's amounts`);
      assert.equal(await r.journal.unresolved(), [], `${what}: nothing in doubt`);
      assert.ok(calls.length > steps.length, `${what}: the fault was met (${calls.join(' ')})`);
    }
    // Lost 2207 answers (alone, late, or with a lost or late 5203) are found by 5203; lost 2207 requests (alone, or with a lost 2601 answer) are fenced.
    assert.is(r.gateway.figures.adopted, 4, JSON.stringify(r.gateway.figures));
    assert.is(r.gateway.figures.fenced, 2, JSON.stringify(r.gateway.figures));
  } finally {
    await r.close();
  }
});

test.run();
