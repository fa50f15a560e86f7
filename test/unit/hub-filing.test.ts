// Proves the reference hub's filing services (issue 16; README, off-site filing
// at the kiosk) on its real state log, each refusal by a request that earns it:
//   - Mr. Li (worked case 05, never filed, insured in Hebei whose policy lets a
//     kiosk file) is refused `filing_required` by the core, files a temporary
//     filing at the Beijing kiosk, and then settles: the hub's recomputation
//     sees the filing in force on the visit date and agrees with the
//     terminal's core, whose result equals the settlement core's for the
//     same case (with the hub's bill for his visit) with that filing (the
//     differential check);
//   - the same filing_apply retried under the same (terminal, seq), before
//     and after a crash of the hub, gets the same filing and records one;
//   - refusals: `person_not_found`, `filing_type_not_allowed_here` (a long-term
//     type, a referral without its number, an insured place that does not
//     allow kiosk filing, no commitment), `filing_exists`, `filing_overlaps`,
//     `not_cancellable` (a second cancel, an unknown filing); a refusal
//     records no filing;
//   - a cancel happens once: retried under its seq it gets the same answer,
//     under a new seq `not_cancellable`; a cancelled filing no longer settles.
// Replay: npm test -- hub-filing
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { AnyMessage } from '../../protocol/envelope';
import type { BodyOf, Filing, MessageName } from '../../protocol/messages';
import { settleCase } from '../../src/core/case';
import { seedBillCase, seedIdentities } from '../../device/sim/hub/seed';
import { rig, settleLocally, terminalSigner } from '../helpers/hub-rig';

/** 2026-03-20 10:00 in Beijing: the day of case 05's visit. */
const liDayS = Date.parse('2026-03-20T02:00:00Z') / 1_000;
type Rig = Awaited<ReturnType<typeof rig>>;

/** Sends one request to the hub as T1 (its key, its session) and gives the reply's type and body. */
async function ask<N extends MessageName>(r: Rig, type: N, body: BodyOf<N>, seq: number): Promise<{ type: string; body: any }> {
  const message = { type, terminal: 'T1', seq, time: r.clock.timeS(), body } as AnyMessage;
  const out = await r.hub.dispatch(message, terminalSigner(1).publicKey, r.hub.state.terminal('T1').session);
  if (out === null) throw new Error('no answer');
  return out.reply as { type: string; body: any };
}
const codeOf = (reply: { type: string; body: any }) => (reply.type === 'error' ? reply.body.code : reply.type);

async function signedIn(r: Rig) {
  const signed = await r.terminal.client.signIn();
  if (!signed.ok) throw new Error(JSON.stringify(signed));
  assert.ok((await r.terminal.client.sync('catalogue')).ok);
  assert.ok((await r.terminal.client.sync('policy_book')).ok);
  return signed.value;
}

const li = () => seedIdentities()[4] as ReturnType<typeof seedIdentities>[number];
const temporary: Filing = { type: 'temporary', area: '110000', begndate: '2026-03-20', enddate: '2026-09-15', fixmedins: null };
const application = (filing: Filing = temporary): BodyOf<'filing_apply'> => ({ psn_no: li().psn_no, filing, referral_no: null, commitment: true, tel: '13900000000' });

test('Mr. Li files at the kiosk and settles: the hub sees the filing on the visit date; the result is the core\'s with that filing', async () => {
  const r = await rig({ nowS: liDayS });
  try {
    const signed = await signedIn(r);
    const { client } = r.terminal;
    const person = await client.person({ kind: 'ss_card', id: li().cardNumber, card_sn: li().cardSerial });
    assert.ok(person.ok);
    if (!person.ok) return;
    assert.is(person.value.filing, null, 'never filed');
    const bill = await client.bill(person.value.psn_no, null);
    assert.ok(bill.ok);
    if (!bill.ok) return;
    const refused = settleLocally(r.terminal, person.value, signed.institution, bill.value, false);
    assert.is(refused.ok ? 'ok' : refused.code, 'filing_required');

    assert.equal((await ask(r, 'filing_query', { psn_no: li().psn_no }, 5_000)).body, { filings: [] });
    const filed = await ask(r, 'filing_apply', application(), 5_001);
    assert.is(codeOf(filed), 'filing_apply_reply');
    assert.equal(filed.body.filing, temporary);
    const again = await ask(r, 'filing_apply', application(), 5_001);
    assert.equal(again.body, filed.body, 'a retry under the same seq: the same filing');
    assert.is(r.hub.state.filings(li().psn_no).length, 1, 'one filing recorded');

    await r.restartHub('crash');
    assert.equal((await ask(r, 'filing_apply', application(), 5_001)).body, filed.body, 'after a crash of the hub: the same answer');
    assert.is(r.hub.state.filings(li().psn_no).length, 1, 'the filing survived the crash, once');
    const listed = await ask(r, 'filing_query', { psn_no: li().psn_no }, 5_002);
    assert.equal(listed.body.filings, [{ filing_id: filed.body.filing_id, filing: temporary, made_date: '2026-03-20', cancelled: false }]);

    // The terminal settles with the filing made (the person record the hub now gives has it), the hub recomputes and agrees.
    const refreshed = await client.person({ kind: 'ss_card', id: li().cardNumber, card_sn: li().cardSerial });
    assert.ok(refreshed.ok);
    if (!refreshed.ok) return;
    assert.equal(refreshed.value.filing, temporary, 'person_query shows the filing in force today');
    const local = settleLocally(r.terminal, refreshed.value, signed.institution, bill.value, false);
    assert.ok(local.ok, local.ok ? '' : local.code);
    if (!local.ok) return;
    const settled = await client.settle(local.body);
    assert.ok(settled.ok, JSON.stringify(settled));

    // The differential check: the worked case with the hub's bill for his visit (seed.ts, seedBillLines) and that filing, settled on the core alone.
    const raw = seedBillCase(4) as Record<string, any>;
    const direct = settleCase({ ...raw, person: { ...raw.person, filing: temporary } });
    assert.ok(direct.ok && local.output.ok);
    if (!direct.ok || !local.output.ok) return;
    assert.equal(local.output.setlinfo, direct.setlinfo, 'the totals are the core\'s');
    assert.equal(local.output.setldetail, direct.setldetail, 'the fund lines are the core\'s');
  } finally {
    await r.close();
  }
});

test('every refusal, and none records a filing', async () => {
  const r = await rig({ nowS: liDayS });
  try {
    await signedIn(r);
    let seq = 6_000;
    const refused = async <N extends MessageName>(type: N, body: BodyOf<N>) => codeOf(await ask(r, type, body, (seq += 1)));
    assert.is(await refused('filing_query', { psn_no: 'P000000000000' }), 'person_not_found');
    assert.is(await refused('filing_apply', { ...application(), psn_no: 'P000000000000' }), 'person_not_found');
    assert.is(await refused('filing_apply', application({ ...temporary, type: 'long_term_resident', enddate: null })), 'filing_type_not_allowed_here');
    assert.is(await refused('filing_apply', application({ ...temporary, type: 'referral' })), 'filing_type_not_allowed_here', 'a referral without its number');
    assert.is(await refused('filing_apply', { ...application(), commitment: false }), 'filing_type_not_allowed_here', 'no commitment');
    assert.is(await refused('filing_apply', application({ ...temporary, begndate: '2025-11-01', enddate: '2026-03-31' })), 'filing_type_not_allowed_here', 'further back than the policy allows');
    // Aunt Wang (case 02) is insured in Jiaxing, whose policy leaves filing to its counters.
    const wang = seedIdentities()[1]?.psn_no as string;
    assert.is(await refused('filing_apply', { ...application(), psn_no: wang }), 'filing_type_not_allowed_here', 'an insured place that does not allow it');
    assert.is(r.hub.state.filings(li().psn_no).length, 0, 'nothing filed');
    // Mr. Zhang (case 01) holds a referral filing of record that covers today.
    const zhang = seedIdentities()[0]?.psn_no as string;
    assert.is(await refused('filing_apply', { ...application(), psn_no: zhang }), 'filing_exists');

    assert.is(await refused('filing_apply', application({ ...temporary, begndate: '2026-03-20', enddate: '2026-03-31' })), 'filing_apply_reply');
    assert.is(await refused('filing_apply', application()), 'filing_exists', 'the first covers today');
    assert.is(await refused('filing_apply', application({ ...temporary, begndate: '2026-02-25', enddate: '2026-03-25' })), 'filing_overlaps', 'a retroactive one that runs into it');
    assert.is(r.hub.state.filings(li().psn_no).length, 1);
    assert.is(await refused('filing_cancel', { psn_no: li().psn_no, filing_id: 'F999999999999', reason: '' }), 'not_cancellable', 'no such filing');
    assert.is(await refused('filing_cancel', { psn_no: zhang, filing_id: r.hub.state.filings(li().psn_no)[0]?.filing_id as string, reason: '' }), 'not_cancellable', 'another person\'s filing');
  } finally {
    await r.close();
  }
});

test('a cancel happens once: its retry gets the same answer, a second is not_cancellable; a cancelled filing no longer settles', async () => {
  const r = await rig({ nowS: liDayS });
  try {
    const signed = await signedIn(r);
    const filed = await ask(r, 'filing_apply', application(), 7_000);
    const cancel = { psn_no: li().psn_no, filing_id: filed.body.filing_id, reason: '误操作' };
    const first = await ask(r, 'filing_cancel', cancel, 7_001);
    assert.is(codeOf(first), 'filing_cancel_reply');
    await r.restartHub('crash');
    assert.equal(await ask(r, 'filing_cancel', cancel, 7_001), first, 'the retry, after a crash: the same answer');
    assert.is(codeOf(await ask(r, 'filing_cancel', cancel, 7_002)), 'not_cancellable', 'a second cancel');
    assert.equal(r.hub.state.filings(li().psn_no).map((held) => held.cancelled), [true]);
    const person = await r.terminal.client.person({ kind: 'ss_card', id: li().cardNumber, card_sn: li().cardSerial });
    assert.ok(person.ok && person.value.filing === null, 'the person has no filing again');
    // The terminal settling with the cancelled filing is refused by the hub's recomputation.
    if (!person.ok) return;
    const bill = await r.terminal.client.bill(person.value.psn_no, null);
    assert.ok(bill.ok);
    if (!bill.ok) return;
    const local = settleLocally(r.terminal, { ...person.value, filing: temporary }, signed.institution, bill.value, false);
    assert.ok(local.ok);
    if (!local.ok) return;
    const settled = await r.terminal.client.settle(local.body);
    assert.is(settled.ok ? 'ok' : settled.error.code, 'filing_required');
    // A new filing (a new day's mistake put right) may be made again.
    assert.is(codeOf(await ask(r, 'filing_apply', application(), 9_000)), 'filing_apply_reply');
  } finally {
    await r.close();
  }
});

test.run();
