// Proves the gateway's forwarding of what follows a settlement, and its
// recovery from a crash (gateway/forward.ts): a terminal's cancel becomes
// 2208, the reversal of that cancel (its answer lost on the line) 2601 of the
// 2208's msgid, and the reversal of a settle whose answer was lost 2601 of
// the 2207's msgid, each seen in the platform's ledger; reconciliation asks
// 3201 and, only when the platform's totals differ, 3202, whose mismatch the
// terminal is told. A gateway killed after journalling a 2207 and before
// sending it, after the platform settled it and before the answer was
// recorded, or while it resolved a lost answer, recovers at its next start
// (5203, 2601): the platform holds exactly one settlement of the visit and
// the terminal's retry of its seq is answered with it; and when the terminal
// gave up meanwhile and reverses its settle, the settlement the platform kept
// for it (never booked at the gateway) is reversed there too, and the bill
// settles afresh, once.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { CallJournal } from '../../gateway/journal';
import * as map from '../../gateway/national/map';
import { openPglite, type SqlStore } from '../../gateway/store';
import type { Fate } from '../../device/sim/national/simulator';
import { prepareSettle } from '../helpers/hub-rig';
import { gatewaySite, inForceAt, seedNational, testIdentity } from '../helpers/national';

const seeds = seedNational();
const zhang = seeds[0] as (typeof seeds)[number];
const wang = seeds[1] as (typeof seeds)[number];
const zhangAt = 'H11010600001';
const wangAt = 'H31010100003';
const day = '2026-03-14';
let store: SqlStore;

test.before(async () => {
  store = await openPglite(null);
});
test.after(async () => {
  await store.close();
});

/** The platform's 5203 of a visit, asked as the institution. */
async function query(r: Awaited<ReturnType<typeof gatewaySite>>, code: string, psnNo: string, mdtrtId: string): Promise<map.Fields> {
  const client = r.national.client(code);
  assert.is((await client.call('9001', map.signInInput(testIdentity))).kind, 'done');
  const out = await client.call('5203', map.settleQueryInput(psnNo, mdtrtId, null));
  assert.is(out.kind, 'done', JSON.stringify(out));
  return (out as { output: map.Input }).output.setlinfo as map.Fields;
}

test('cancel is 2208; its reversal is 2601 of the 2208; a lost settle is reversed by 2601 of its 2207; reconciliation is 3201, then 3202 only when the totals differ', async () => {
  const r = await gatewaySite(store);
  try {
    const t = r.site.terminal(zhangAt);
    const { body } = await prepareSettle(t, 0, zhang.input.acct_used);
    const settled = await t.client.settle(body);
    assert.ok(settled.ok, JSON.stringify(settled));
    if (!settled.ok) return;
    const setlId = settled.value.setl_id;
    const info = zhang.result?.setlinfo as NonNullable<typeof zhang.result>['setlinfo'];
    const amounts = { medfee_sumamt: info.medfee_sumamt, fund_pay_sumamt: info.fund_pay_sumamt, acct_pay: info.acct_pay, psn_cash_pay: info.psn_cash_pay };

    // The cancel reaches the platform, its answer never reaches the terminal: the terminal reverses it.
    r.site.tap(zhangAt).down = (_index, type) => (type === 'cancel_reply' ? 'drop' : 'deliver');
    const cancelled = await t.client.cancel({ setl_id: setlId, mdtrt_id: zhang.input.mdtrt_id, psn_no: zhang.input.psn_no, reason: '' }, amounts);
    assert.is(cancelled.ok, false);
    assert.is((await query(r, zhangAt, zhang.input.psn_no, zhang.input.mdtrt_id)).setl_stas, '2', 'the platform cancelled it');
    assert.equal((await r.journal.all()).map((row) => [row.infno, row.state]), [['2207', 'done'], ['2208', 'done']]);
    r.site.tap(zhangAt).down = () => 'deliver';
    await t.client.flush();
    assert.is(r.national.sim.stats.byInfno['2601'], 1);
    assert.is((await query(r, zhangAt, zhang.input.psn_no, zhang.input.mdtrt_id)).setl_stas, '1', 'the reversal of the cancel reinstated it');
    assert.is(inForceAt(r.national.hub, zhang.input.mdtrt_id).length, 1);
    assert.is(inForceAt(r.site.hub, zhang.input.mdtrt_id).length, 1);

    // Wang's settle is done everywhere but its answer is lost: the terminal's reversal undoes it at the platform too.
    const w = r.site.terminal(wangAt);
    const wangBody = (await prepareSettle(w, 1, wang.input.acct_used)).body;
    r.site.tap(wangAt).down = (_index, type) => (type === 'settle_reply' ? 'drop' : 'deliver');
    assert.is((await w.client.settle(wangBody)).ok, false);
    r.site.tap(wangAt).down = () => 'deliver';
    assert.is(inForceAt(r.national.hub, wang.input.mdtrt_id).length, 1);
    await w.client.flush();
    assert.is(r.national.sim.stats.byInfno['2601'], 2);
    assert.is(inForceAt(r.national.hub, wang.input.mdtrt_id).length, 0, 'reversed at the platform');
    assert.is(inForceAt(r.site.hub, wang.input.mdtrt_id).length, 0, 'and at the gateway');
    assert.is((await query(r, wangAt, wang.input.psn_no, wang.input.mdtrt_id)).setl_stas, '0');

    // The day agrees at the platform: 3201 only.
    const agreed = await t.client.reconcile(day, day);
    assert.ok(agreed.ok && agreed.value.agree, JSON.stringify(agreed));
    assert.ok((r.national.sim.stats.byInfno['3201'] ?? 0) >= 1);
    assert.is(r.national.sim.stats.byInfno['3202'], undefined);

    // The platform loses Zhang's settlement (reversed behind the gateway's back): 3201 disagrees, 3202 names it.
    const settleRow = (await r.journal.all()).find((row) => row.infno === '2207' && row.setl_id === setlId);
    const behind = r.national.client(zhangAt);
    assert.is((await behind.call('9001', map.signInInput(testIdentity))).kind, 'done');
    assert.is((await behind.call('2601', map.reversalInput(zhang.input.psn_no, settleRow?.msgid as string, '2207'))).kind, 'done');
    const differs = await t.client.reconcile(day, day);
    assert.ok(differs.ok, JSON.stringify(differs));
    if (!differs.ok) return;
    assert.is(differs.value.agree, false);
    assert.equal(differs.value.mismatches, [{ setl_id: setlId, code: 'missing_at_hub' }]);
    assert.is(r.national.sim.stats.byInfno['3202'], 1);
  } finally {
    await r.close();
  }
});

type Deferred = { promise: Promise<void>; resolve(): void };
function deferred(): Deferred {
  let resolve = () => {};
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}

/** A journal whose `method` (with `when` true of its arguments) kills the gateway: after the write for `sent`, before it for `settle`. */
function killing(method: 'sent' | 'settle', when: (args: unknown[]) => boolean, kill: () => Promise<void>) {
  let armed = true;
  return (journal: CallJournal): CallJournal =>
    new Proxy(journal, {
      get(target, property) {
        const value = Reflect.get(target, property, target) as unknown;
        if (typeof value !== 'function') return value;
        const fn = value as (...args: unknown[]) => Promise<unknown>;
        return async (...args: unknown[]) => {
          if (!armed || property !== method || !when(args)) return fn.apply(target, args);
          armed = false;
          if (method === 'sent') await fn.apply(target, args);
          await kill();
          throw new Error('killed');
        };
      },
    });
}

const crashes: { name: string; method: 'sent' | 'settle'; when: (args: unknown[]) => boolean; fates: { infno: string; phase: 'request' | 'answer'; fate: Fate }[]; states: string[] }[] = [
  { name: 'after journalling the 2207, before sending it', method: 'sent', when: () => true, fates: [], states: ['fenced', 'done'] },
  { name: 'after the platform settled, before the answer was recorded', method: 'settle', when: (args) => args[1] === 'done', fates: [], states: ['adopted'] },
  { name: 'while resolving a lost answer by 5203', method: 'settle', when: (args) => args[1] === 'adopted', fates: [{ infno: '2207', phase: 'answer', fate: 'drop' }], states: ['adopted'] },
  { name: 'while fencing a lost request by 2601', method: 'settle', when: (args) => args[1] === 'fenced', fates: [{ infno: '2207', phase: 'request', fate: 'drop' }], states: ['fenced', 'done'] },
];

for (const crash of crashes) {
  test(`a gateway killed ${crash.name} recovers at its start: one settlement at the platform, the terminal's retry gets it`, async () => {
    const killed = deferred();
    const fates = [...crash.fates];
    const fate = (infno: string, phase: 'request' | 'answer'): Fate => {
      const index = fates.findIndex((entry) => entry.infno === infno && entry.phase === phase);
      return index < 0 ? 'deliver' : (fates.splice(index, 1)[0]?.fate ?? 'deliver');
    };
    // The terminal waits out the restart: its settle keeps its seq through the hub's silence.
    const r: Awaited<ReturnType<typeof gatewaySite>> = await gatewaySite(store, {
      fate,
      client: { requestTimeoutMs: 1_000, settleTimeoutMs: 1_500 },
      journalHook: killing(crash.method, crash.when, async () => {
        await r.site.hub.crash();
        killed.resolve();
      }),
    });
    try {
      const t = r.site.terminal(zhangAt);
      const { body } = await prepareSettle(t, 0, zhang.input.acct_used);
      const settling = t.client.settle(body);
      await killed.promise;
      assert.is(await r.restart(), 1, 'one call resolved at start');
      const settled = await settling;
      assert.ok(settled.ok, JSON.stringify(settled));
      if (!settled.ok) return;
      const inForce = inForceAt(r.national.hub, zhang.input.mdtrt_id);
      assert.is(inForce.length, 1, 'exactly one settlement at the platform');
      assert.is(inForce[0]?.event.setl_id, settled.value.setl_id, 'the terminal holds the platform\'s');
      assert.equal(inForce[0]?.event.result.setlinfo, zhang.result?.setlinfo);
      assert.equal(r.site.hub.state.settlement(settled.value.setl_id)?.event.result.setlinfo, zhang.result?.setlinfo);
      assert.equal((await r.journal.all()).map((row) => row.state), crash.states);
    } finally {
      await r.close();
    }
  });
}

test('a settlement the platform kept through a crash, which the terminal gave up on and reverses, is reversed at the platform; the bill settles again once', async () => {
  const killed = deferred();
  const r: Awaited<ReturnType<typeof gatewaySite>> = await gatewaySite(store, {
    journalHook: killing('settle', (args) => args[1] === 'done', async () => {
      await r.site.hub.crash();
      killed.resolve();
    }),
  });
  try {
    const t = r.site.terminal(zhangAt);
    const { body } = await prepareSettle(t, 0, zhang.input.acct_used);
    const settling = t.client.settle(body);
    await killed.promise;
    // The gateway stays down past the terminal's patience: its settle ends without a verdict and its reversal is queued.
    const gaveUp = await settling;
    assert.is(gaveUp.ok, false, JSON.stringify(gaveUp));
    assert.is(inForceAt(r.national.hub, zhang.input.mdtrt_id).length, 1, 'the platform settled it');
    assert.is(await r.restart(), 1);
    assert.equal((await r.journal.all()).map((row) => row.state), ['adopted']);
    assert.is(r.site.hub.state.ledger.length, 0, 'never booked at the gateway');
    await t.client.flush();
    assert.is(inForceAt(r.national.hub, zhang.input.mdtrt_id).length, 0, 'the reversal reached the platform');
    const again = await t.client.settle((await prepareSettle(t, 0, zhang.input.acct_used)).body);
    assert.ok(again.ok, JSON.stringify(again));
    if (!again.ok) return;
    const inForce = inForceAt(r.national.hub, zhang.input.mdtrt_id);
    assert.is(inForce.length, 1);
    assert.is(inForce[0]?.event.setl_id, again.value.setl_id);
  } finally {
    await r.close();
  }
});

test.run();
