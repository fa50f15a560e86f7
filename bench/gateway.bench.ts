// The gateway's cost per visit (issue 17's closing figures): one outpatient
// visit of a synthetic patient at Mr. Zhang's Beijing hospital (sign-in held,
// person by card, the pending bill, the terminal's own settlement, settle:
// the requests of a real visit) from the terminal's hub client, terminal →
// reference hub (the baseline) against terminal → gateway → national
// simulator over HTTP on loopback (`hub gateway`'s handler, its journal in
// PGlite, SM2-signed envelopes and application headers both ways). Both
// paths run in this process over the same in-memory frame link, each over
// its own hub seeded with the same synthetic population, visit i the same
// person and bill on both. Checked before timing: three visits on each path
// settle, and each pair's amounts (totals, funds, accumulators) are equal to
// the fen, the gateway's booked at the platform under the same setl_id.
// Figures: the national calls and JSON bytes per visit (the checked visits
// after the first, which also signs the gateway in).
import assert from 'node:assert';
import type { Credential } from '../protocol/messages';
import { syntheticCredentials, syntheticInstitution } from '../device/sim/hub/seed';
import { openPglite, type SqlStore } from '../gateway/store';
import { chinaDate } from '../src/journal/recon';
import { rig, settleLocally, zhangDayS, type Terminal } from '../test/helpers/hub-rig';
import { gatewayRig } from '../test/helpers/national';
import type { Benchmark } from './harness';

const populationSeed = 17;
const persons = 6_000;
const beijing = 'H11010600001';

/** The synthetic persons of Mr. Zhang's hospital, in order. */
const atBeijing = Array.from({ length: persons }, (_, index) => index).filter((index) => syntheticInstitution(index).fixmedins_code === beijing);

type Direct = Awaited<ReturnType<typeof rig>>;
type Through = Awaited<ReturnType<typeof gatewayRig>>;
let direct: Direct | null = null;
let through: Through | null = null;
let store: SqlStore | null = null;
/** The next synthetic person of each path. */
const next = { direct: 0, through: 0 };

async function open(): Promise<{ direct: Direct; through: Through }> {
  if (direct !== null && through !== null) return { direct, through };
  store = await openPglite(null);
  direct = await rig();
  through = await gatewayRig(store);
  const day = chinaDate(zhangDayS);
  for (const hub of [direct.hub, through.terminalRig.hub, through.national.hub]) hub.generate(populationSeed, persons, 1, day, 0);
  return { direct, through };
}

/** One visit of the path's next person: its result, wall ns. */
async function visit(terminal: Terminal, path: 'direct' | 'through') {
  const index = atBeijing[next[path]++];
  assert.ok(index !== undefined, 'the population is spent: raise `persons`');
  const started = process.hrtime.bigint();
  const { client } = terminal;
  const signed = client.signedIn ?? (await client.signIn().then((out) => (out.ok ? out.value : null)));
  assert.ok(signed !== null, 'sign-in');
  if (terminal.catalogue.version === null) await client.sync('catalogue');
  if (terminal.policyBook.version === null) await client.sync('policy_book');
  const card = syntheticCredentials(populationSeed, index)[0] as Credential;
  const person = await client.person(card);
  assert.ok(person.ok, JSON.stringify(person));
  const bill = await client.bill(person.value.psn_no, null);
  assert.ok(bill.ok, JSON.stringify(bill));
  const local = settleLocally(terminal, person.value, signed.institution, bill.value, false);
  assert.ok(local.ok, `local settlement of ${person.value.psn_no}`);
  const settled = await client.settle(local.body);
  assert.ok(settled.ok, JSON.stringify(settled));
  return { ns: Number(process.hrtime.bigint() - started), index, setlId: settled.value.setl_id, result: local.body.result };
}

const perVisit = { calls: 0, sentBytes: 0, receivedBytes: 0, visits: 0 };

const benchmark: Benchmark = {
  name: 'gateway',
  title: 'one outpatient visit from the terminal: terminal → gateway → national simulator (HTTP, SM2) vs terminal → reference hub',
  baseline: { name: 'terminal → reference hub', selfTimed: true, run: async () => (await visit((await open()).direct.terminal, 'direct')).ns },
  contenders: [
    {
      name: 'terminal → gateway → national simulator',
      selfTimed: true,
      run: async () => (await visit((await open()).through.terminalRig.terminal, 'through')).ns,
    },
  ],
  async check() {
    const { direct: d, through: t } = await open();
    for (let round = 0; round < 3; round += 1) {
      const a = await visit(d.terminal, 'direct');
      const before = { ...t.gateway.figures };
      const b = await visit(t.terminalRig.terminal, 'through');
      // The first visit also signs the gateway in (9001) and the terminal in, as the first visit of a day does.
      if (round > 0) {
        perVisit.calls += t.gateway.figures.calls - before.calls;
        perVisit.sentBytes += t.gateway.figures.sentBytes - before.sentBytes;
        perVisit.receivedBytes += t.gateway.figures.receivedBytes - before.receivedBytes;
        perVisit.visits += 1;
      }
      assert.equal(a.index, b.index, 'the same person on both paths');
      assert.deepEqual(b.result.setlinfo, a.result.setlinfo, 'the same amounts, to the fen');
      assert.deepEqual(b.result.setldetail, a.result.setldetail);
      assert.deepEqual(b.result.acc_delta, a.result.acc_delta);
      assert.deepEqual(d.hub.state.settlement(a.setlId)?.event.result.setlinfo, a.result.setlinfo, 'booked at the reference hub');
      assert.deepEqual(t.national.hub.state.settlement(b.setlId)?.event.result.setlinfo, a.result.setlinfo, 'booked at the platform under the same setl_id');
    }
  },
  figures() {
    const visits = Math.max(1, perVisit.visits);
    return {
      'national calls per visit (after the first)': Math.round((perVisit.calls / visits) * 10) / 10,
      'national JSON bytes sent per visit': Math.round(perVisit.sentBytes / visits),
      'national JSON bytes received per visit': Math.round(perVisit.receivedBytes / visits),
    };
  },
  async teardown() {
    await direct?.close();
    await through?.close();
    await store?.close();
  },
};

export default benchmark;
