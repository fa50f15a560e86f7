// Proves `hub gateway`'s forwarding (gateway/forward.ts) end to end: a
// terminal settles Mr. Zhang's bill through the gateway (a reference hub with
// the national handler) to the national simulator over HTTP, and the
// amounts booked on both sides equal the worked case, to the fen, as the
// direct path does; when the platform's answer to 2207 is dropped, the
// gateway's journal resolves it by 5203 (the settlement stands, once); when
// the 2207 itself is dropped, 2601 fences its msgid, the terminal is told
// busy, and its retry settles anew: exactly one settlement in force.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openPglite, type SqlStore } from '../../gateway/store';
import type { Fate } from '../../device/sim/national/simulator';
import { prepareSettle } from '../helpers/hub-rig';
import { gatewayRig, seedNational } from '../helpers/national';

const zhang = seedNational()[0] as ReturnType<typeof seedNational>[number];
let store: SqlStore;
let fates: { infno: string; phase: 'request' | 'answer'; fate: Fate }[] = [];
const fate = (infno: string, phase: 'request' | 'answer'): Fate => {
  const index = fates.findIndex((entry) => entry.infno === infno && entry.phase === phase);
  if (index < 0) return 'deliver';
  const [entry] = fates.splice(index, 1);
  return entry?.fate ?? 'deliver';
};

test.before(async () => {
  store = await openPglite(null);
});
test.after(async () => {
  await store.close();
});

/** The settlements in force at the platform for a visit. */
function inForce(r: Awaited<ReturnType<typeof gatewayRig>>, mdtrtId: string): number {
  return r.national.hub.state.ledger.filter((settlement) => settlement.event.input.mdtrt_id === mdtrtId && !settlement.reversed && settlement.cancelled === null).length;
}

test('Mr. Zhang settles through the gateway and the platform as the worked case says, to the fen', async () => {
  const r = await gatewayRig(store, { fate });
  try {
    const { body } = await prepareSettle(r.terminalRig.terminal, 0);
    const settled = await r.terminalRig.terminal.client.settle(body);
    assert.ok(settled.ok, JSON.stringify(settled));
    if (!settled.ok) return;
    const national = r.national.hub.state.settlement(settled.value.setl_id)?.event;
    assert.equal(national?.result.setlinfo, zhang.result?.setlinfo);
    assert.equal(national?.result.setldetail, zhang.result?.setldetail);
    assert.equal(r.terminalRig.hub.state.settlement(settled.value.setl_id)?.event.result.setlinfo, zhang.result?.setlinfo);
    assert.is(inForce(r, zhang.input.mdtrt_id), 1);
    const rows = await r.journal.all();
    assert.equal(rows.map((row) => [row.infno, row.state, row.setl_id]), [['2207', 'done', settled.value.setl_id]]);
  } finally {
    await r.close();
  }
});

test('a dropped 2207 answer is resolved by 5203: the settlement stands, once', async () => {
  fates = [{ infno: '2207', phase: 'answer', fate: 'drop' }];
  const r = await gatewayRig(store, { fate });
  try {
    const { body } = await prepareSettle(r.terminalRig.terminal, 0);
    const settled = await r.terminalRig.terminal.client.settle(body);
    assert.ok(settled.ok, JSON.stringify(settled));
    assert.is(inForce(r, zhang.input.mdtrt_id), 1);
    assert.equal((await r.journal.all()).map((row) => row.state), ['adopted']);
    assert.is(r.gateway.figures.adopted, 1);
  } finally {
    await r.close();
  }
});

test('a dropped 2207 request is fenced by 2601; settling again leaves exactly one in force', async () => {
  fates = [{ infno: '2207', phase: 'request', fate: 'drop' }];
  const r = await gatewayRig(store, { fate });
  try {
    const { body } = await prepareSettle(r.terminalRig.terminal, 0);
    // The gateway answers `busy` (nothing recorded for the seq); the terminal's client retries the same seq, which settles anew.
    const settled = await r.terminalRig.terminal.client.settle(body);
    assert.ok(settled.ok, JSON.stringify(settled));
    assert.equal((await r.journal.all()).map((row) => row.state), ['fenced', 'done']);
    assert.is(r.gateway.figures.fenced, 1);
    assert.is(inForce(r, zhang.input.mdtrt_id), 1);
  } finally {
    fates = [];
    await r.close();
  }
});

test.run();
