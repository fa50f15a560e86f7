// Proves the offline floor limit (issue 8): when the hub stops answering a
// settle, the client reverses it (nothing charged) and an outpatient or
// pharmacy bill at or under the floor limit settles locally instead, is
// journaled as an advice, printed as OFFLINE, and uploaded once the line is
// back; the hub replays it with the person record the terminal used and
// confirms it, and the day reconciles. A bill over the floor, an inpatient
// bill (session-paths.test.ts) and a terminal whose profile sets no floor are
// refused with their plain message, and nothing is charged. A hub that
// cannot be reached before the patient is found is `hub_unreachable`. An
// advice whose account payment the hub's balance no longer covers (the account
// was spent elsewhere meanwhile) is refused `account_insufficient`: the
// terminal journals the refusal, nothing is charged, and its idle screen
// tells staff. The idle line's queued count is redrawn as soon as the queue
// changes while the terminal is idle.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { BodyOf } from '../../protocol/messages';
import { compliant, pharmacyBuyer, TerminalRig, wang, type Script } from '../helpers/terminal-rig';

/** The compliant patient whose settle goes out into a cut line. */
function cutAtSettle(ms = 2_500): Script {
  return { ...compliant(true), settle: (rig) => rig.cutHub(ms) };
}

const lineBack = () => new Promise((resolve) => setTimeout(resolve, 2_700));

test('a pharmacy bill under the floor settles offline, prints OFFLINE, uploads when the line is back, and the hub replays it', async () => {
  const rig = await TerminalRig.open({ fixmedins: pharmacyBuyer.fixmedins_code, layout: 'handheld' });
  try {
    const { states, code, setl } = await rig.visit(pharmacyBuyer, 'qr', cutAtSettle());
    assert.equal(states, ['person', 'bill', 'review', 'review', 'review', 'review', 'confirm', 'settle', 'print', 'done', 'idle'], states.join(' '));
    assert.is(code, null);
    assert.ok(setl?.offline, 'settled offline');
    const id = setl?.id as string;
    assert.match(id, /^A[0-9]+$/);
    assert.ok(rig.far.printer.transcript().some((line) => line.includes('OFFLINE')), 'the receipt says so');
    assert.ok(rig.far.printer.transcript().includes(`[QR ${id}]`));
    assert.is(rig.terminal.journal.entry(id)?.outcome, 'queued');
    assert.is(rig.inForce(pharmacyBuyer.mdtrt_id), 0, 'the hub has not heard of it yet');
    await lineBack();
    assert.is(await rig.terminal.client.flush(), 0);
    const entry = rig.terminal.journal.entry(id);
    assert.is(entry?.outcome, 'confirmed');
    const settlement = rig.hub.state.settlement(entry?.setlId as string);
    assert.is(settlement?.event.source, 'advice');
    assert.is(settlement?.event.local_setl_id, id);
    assert.is(rig.inForce(pharmacyBuyer.mdtrt_id), 1, 'in force once, by the advice');
    // The reversal of the settle that went unanswered went first: nothing else of this bill is in force.
    assert.is(rig.terminal.journal.entries().filter((candidate) => candidate.outcome === 'reversed').length, 1);
    const day = new Date((rig.terminal.client.nowS() + 8 * 3_600) * 1_000).toISOString().slice(0, 10);
    const recon = await rig.terminal.client.reconcile(day, day);
    assert.ok(recon.ok && recon.value.agree, JSON.stringify(recon));
  } finally {
    await rig.close();
  }
});

test('the idle line follows the queue while idle: "2 queued" once the reversal and the advice wait, "0 queued" as soon as it is sent, without a visit or the half-minute refresh', async () => {
  // The idle screen's own refresh a minute away: only the queue's change can redraw it within the test's wait.
  const rig = await TerminalRig.open({ fixmedins: pharmacyBuyer.fixmedins_code, timeoutsMs: { idle: 60_000 } });
  try {
    const { setl } = await rig.visit(pharmacyBuyer, 'qr', cutAtSettle());
    assert.ok(setl?.offline, 'settled offline');
    const idleLine = () => (rig.frames.at(-1) ?? []).find((row) => row.includes('queued')) ?? '';
    // The advice waits, behind the reversal of the settle that went unanswered.
    assert.match(idleLine(), / · 2 queued/, `${idleLine()} (queue ${rig.terminal.journal.queueLength})`);
    const drawn = rig.frames.length;
    await lineBack();
    assert.is(await rig.terminal.client.flush(), 0);
    assert.is(rig.terminal.journal.queueLength, 0);
    // The terminal stays idle: no visit, no key; the idle loop sees the queue change and draws the line again.
    for (let waited = 0; !/ · 0 queued/.test(idleLine()) && waited < 5_000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.match(idleLine(), / · 0 queued/, 'redrawn with the queue');
    assert.ok(rig.frames.length > drawn);
    assert.is(rig.terminal.session.state, 'idle');
  } finally {
    await rig.close();
  }
});

test('an advice the hub\'s balance no longer covers: refused account_insufficient, journaled, shown on the idle screen, nothing charged', async () => {
  const rig = await TerminalRig.open({ fixmedins: pharmacyBuyer.fixmedins_code });
  try {
    const { setl } = await rig.visit(pharmacyBuyer, 'qr', cutAtSettle());
    assert.ok(setl?.offline, 'settled offline');
    const id = setl?.id as string;
    const paid = (rig.terminal.journal.entry(id)?.request as BodyOf<'advice'>).result.setlinfo.acct_pay;
    assert.ok(paid > 0, 'the advice pays from the personal account');
    // Meanwhile the account was spent elsewhere: the hub holds less than the terminal saw.
    const held = rig.hub.state.person(pharmacyBuyer.psn_no);
    if (held === undefined) throw new Error('no such person');
    rig.hub.putPerson({ ...held, person: { ...held.person, acct_balance: paid - 1 } });
    await lineBack();
    assert.is(await rig.terminal.client.flush(), 0);
    const entry = rig.terminal.journal.entry(id);
    assert.equal([entry?.outcome, entry?.code], ['refused', 'account_insufficient'], 'journaled as the hub refused it');
    assert.is(rig.inForce(pharmacyBuyer.mdtrt_id), 0, 'nothing in force');
    assert.is(rig.hub.state.person(pharmacyBuyer.psn_no)?.person.acct_balance, paid - 1, 'nothing taken from the account');
    assert.match(rig.session.frame().join('\n'), /离线结算被拒 1 笔，请联系工作人员/, 'the idle screen tells staff');
  } finally {
    await rig.close();
  }
});

test('over the floor, or with no floor in the profile: the settle is reversed, nothing charged, the plain message says why', async () => {
  const rig = await TerminalRig.open({ fixmedins: wang.fixmedins_code });
  try {
    const { code } = await rig.visit(wang, 'qr', cutAtSettle());
    assert.is(code, 'offline_over_limit');
    await lineBack();
    assert.is(await rig.terminal.client.flush(), 0);
    assert.is(rig.inForce(wang.mdtrt_id), 0);
    assert.ok(rig.untouched(wang.psn_no));
  } finally {
    await rig.close();
  }
  const none = await TerminalRig.open({ fixmedins: pharmacyBuyer.fixmedins_code, offlineFloorFen: 0 });
  try {
    const { code } = await none.visit(pharmacyBuyer, 'qr', cutAtSettle());
    assert.is(code, 'reversed');
    await lineBack();
    assert.is(await none.terminal.client.flush(), 0);
    assert.is(none.inForce(pharmacyBuyer.mdtrt_id), 0);
    assert.ok(none.untouched(pharmacyBuyer.psn_no));
  } finally {
    await none.close();
  }
});

test('a hub that cannot be reached before the patient is found: hub_unreachable, and the next patient is served when it is back', async () => {
  const rig = await TerminalRig.open({ fixmedins: wang.fixmedins_code });
  try {
    rig.cutHub(4_000);
    const { states, code } = await rig.visit(wang, 'qr', compliant(true));
    assert.equal(states, ['person', 'message', 'idle']);
    assert.is(code, 'hub_unreachable');
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    const again = await rig.visit(wang, 'qr', compliant(false));
    assert.is(again.code, null);
    assert.ok(again.setl !== null && !again.setl.offline);
    assert.is(rig.inForce(wang.mdtrt_id), 1);
  } finally {
    await rig.close();
  }
});

test.run();
