// Proves every message path between the hub client and the reference hub on
// a clean link: sign-in and sign-out, heartbeat (in the background too), key
// rotation, person queries and their refusals, a bill of many pages settled by
// reference, pre-settle, cancel and its refusals, offline advices (taken,
// idempotent, over the floor, of a bill settled meanwhile), catalogue and
// policy-book sync (a snapshot first, a delta after the hub publishes a new
// version, nothing when current, the whole snapshot and a recorded report when
// the terminal says its copy is damaged), chunk refusals, reconciliation that agrees
// and one that finds the differences, and clearing from the ledger.
import { test } from 'uvu';
import path from 'node:path';
import * as assert from 'uvu/assert';
import { createCborEncoder } from '../../protocol/cbor-encode';
import { billDigest } from '../../protocol/digests';
import type { BodyOf, FeeLine } from '../../protocol/messages';
import { clearingReport } from '../../device/sim/hub/clearing';
import { seedCatalogues, seedIdentities, seedPolicies } from '../../device/sim/hub/seed';
import { HubClient } from '../../src/hub/client';
import { nodeCryptoProvider } from '../../protocol/crypto-node';
import { TerminalJournal } from '../../src/journal/journal';
import { FrameTap, prepareSettle, realTimers, rig, settleLocally, terminalSigner } from '../helpers/hub-rig';
import { settleBody } from '../helpers/journal-bodies';
import { MemoryDisk } from '../helpers/memory-disk';

const identities = seedIdentities();
const zhang = identities[0] as (typeof identities)[number];
type Rig = Awaited<ReturnType<typeof rig>>;

function scenario(name: string, body: (r: Rig) => Promise<void>, options: Parameters<typeof rig>[0] = {}): void {
  test(name, async () => {
    const r = await rig(options);
    try {
      await body(r);
    } finally {
      await r.close();
    }
  });
}

scenario('sign-in, heartbeat, sign-out, and a new session on the next request', async (r) => {
  const { client } = r.terminal;
  const signed = await client.signIn();
  assert.ok(signed.ok);
  if (!signed.ok) return;
  assert.equal([signed.value.institution.fixmedins_code, signed.value.catalogue_version, signed.value.policy_version, signed.value.offline_floor], ['H11010600001', 'beijing-2026.03', 'policy-book-2026.1', 50_000]);
  const beat = await client.request('heartbeat', { state: 'idle', queued: 0 });
  assert.ok(beat.ok && beat.value.catalogue_version === 'beijing-2026.03');
  const replies = r.hub.stats.replies;
  const out = await client.request('sign_out', { session: signed.value.session });
  assert.ok(out.ok && typeof out.value.sign_out_time === 'number', 'the hub answers the sign-out (sealed in the session it ends)');
  assert.is(r.hub.stats.replies, replies + 1, 'one reply, at the first try');
  assert.is(client.stats.signIns, 1);
  assert.ok((await client.request('heartbeat', { state: 'idle', queued: 0 })).ok, 'signed in again');
  assert.is(client.stats.signIns, 2);
});

scenario('the background work beats when idle, and only replies that verify count', async (r) => {
  const beats: string[] = [];
  const open = async (hubKeys: (kid: Uint8Array) => ReturnType<typeof hubVerifier> | null) => {
    const tap = new FrameTap();
    void r.hub.serve(tap.hubPort);
    const client = await HubClient.open({ ...optionsOf(r), connect: async () => tap.terminalEnd, hubKeys, heartbeatIntervalMs: 30 });
    client.on('heartbeat', (reply) => beats.push(reply.catalogue_version));
    return { client, tap };
  };
  // A client that does not know the hub's key: nothing verifies, no beat lands.
  const blind = await open(() => null);
  blind.client.start();
  await new Promise((resolve) => setTimeout(resolve, 250));
  blind.client.stop();
  await blind.client.close();
  blind.tap.stop();
  assert.equal(beats, []);
  const knowing = await open(() => hubVerifier(r));
  knowing.client.start();
  await new Promise((resolve) => setTimeout(resolve, 200));
  knowing.client.stop();
  knowing.client.stop();
  await knowing.client.close();
  knowing.tap.stop();
  assert.ok(beats.length >= 2 && beats.every((version) => version === 'beijing-2026.03'), JSON.stringify(beats));
});

function hubVerifier(r: Rig) {
  return nodeCryptoProvider.verifier(r.hub.publicKey);
}

/** Options of another client as T1 on the rig's journal (its seqs continue above the first client's). */
function optionsOf(r: Rig) {
  return {
    terminal: 'T1',
    fixmedinsCode: 'H11010600001',
    firmware: 'test',
    connect: async () => r.tap.terminalEnd,
    signer: terminalSigner(1),
    hubKeys: () => hubVerifier(r),
    journal: r.terminal.journal,
    timers: realTimers,
    timeS: r.clock.timeS,
    random: () => 0.5,
    requestTimeoutMs: 200,
  };
}

scenario('key rotation: the hub takes a new terminal key, and refuses one whose key id is taken', async (r) => {
  const { client } = r.terminal;
  const taken = await client.request('key_rotation', { new_terminal_key: terminalSigner(1).publicKey });
  assert.equal(taken.ok ? 'ok' : taken.error.code, 'key_rejected');
  const fresh = await client.request('key_rotation', { new_terminal_key: terminalSigner(7).publicKey });
  assert.ok(fresh.ok && fresh.value.terminal_key_accepted);
  assert.is(r.hub.state.terminal('T1').keys.length, 2);
  const ask = await client.request('key_rotation', { new_terminal_key: null });
  assert.ok(ask.ok && !ask.value.terminal_key_accepted && ask.value.hub_key.length === 32);
});

scenario('person queries: by card, ID card and e-certificate; unknown and wrong card serial refused', async (r) => {
  const { client } = r.terminal;
  const cases: [BodyOf<'person_query'>['credential'], string][] = [
    [{ kind: 'ss_card', id: zhang.cardNumber, card_sn: zhang.cardSerial }, zhang.psn_no],
    [{ kind: 'ss_card', id: zhang.cardNumber, card_sn: null }, zhang.psn_no],
    [{ kind: 'id_card', id: zhang.idNumber, card_sn: null }, zhang.psn_no],
    [{ kind: 'ecert', id: zhang.ecert, card_sn: null }, zhang.psn_no],
    [{ kind: 'ss_card', id: zhang.cardNumber, card_sn: 'WRONG1' }, 'credential_invalid'],
    [{ kind: 'ss_card', id: 'Z99999999', card_sn: null }, 'person_not_found'],
    [{ kind: 'ecert', id: 'ECT1:AAAAAAAAAAAAAAAAAAAA', card_sn: null }, 'person_not_found'],
  ];
  for (const [credential, expected] of cases) {
    const found = await client.person(credential);
    assert.is(found.ok ? found.value.psn_no : found.error.code, expected, JSON.stringify(credential));
  }
  const none = await client.bill(identities[3]?.psn_no as string, null);
  assert.is(none.ok ? 'found' : none.error.code, 'bill_not_found', 'a patient with no bill at this hospital');
});

scenario('a bill of 650 lines comes in three pages and settles by reference (lines not inline)', async (r) => {
  const { client } = r.terminal;
  const codes = ['001102000010000', '003302010010000', 'XB01ACA056A001010100123', 'XC10AAA126A001020100211'];
  const lines: FeeLine[] = Array.from({ length: 650 }, (_, index) => ({ sn: String(index + 1), code: codes[index % codes.length] as string, qty_milli: 1_000, amt: 100 + index }));
  r.hub.putBill({ psn_no: zhang.psn_no, mdtrt_id: 'BIG-650', fixmedins_code: 'H11010600001', date: '2026-03-14', med_type: '21', opsp_dise: null, lines });
  const { person, institution } = await prepareSettle(r.terminal);
  const bill = await client.bill(zhang.psn_no, 'BIG-650');
  assert.ok(bill.ok, JSON.stringify(bill));
  if (!bill.ok) return;
  assert.equal([bill.value.lines.length, bill.value.bill.line_count], [650, 650]);
  assert.equal(r.tap.frames.filter((frame) => frame.type === 'bill_query_reply').length >= 3, true);
  const local = settleLocally(r.terminal, person, institution, bill.value, false);
  assert.ok(local.ok);
  if (!local.ok) return;
  assert.equal([local.body.input.lines.length, local.body.result.lines.length], [0, 0], 'settled by reference');
  const pre = await client.request('pre_settle', { input: local.body.input });
  assert.ok(pre.ok && pre.value.result_digest.every((byte, index) => byte === local.body.result_digest[index]), 'the hub pre-settles the same');
  const settled = await client.settle(local.body);
  assert.ok(settled.ok, JSON.stringify(settled));
  const again = await client.bill(zhang.psn_no, 'BIG-650');
  assert.is(again.ok ? 'pending' : again.error.code, 'bill_not_found', 'a settled bill is no longer pending');
});

scenario('cancel: confirmed once; again is already_cancelled; an unknown settlement is settlement_not_found', async (r) => {
  const { client } = r.terminal;
  const { body } = await prepareSettle(r.terminal);
  const before = r.hub.state.person(zhang.psn_no)?.person.ytd;
  const settled = await client.settle(body);
  assert.ok(settled.ok);
  if (!settled.ok) return;
  const cancel = { setl_id: settled.value.setl_id, mdtrt_id: body.input.mdtrt_id, psn_no: zhang.psn_no, reason: '患者要求' };
  const first = await client.cancel(cancel, body.result.setlinfo);
  assert.ok(first.ok, JSON.stringify(first));
  assert.equal(r.hub.state.person(zhang.psn_no)?.person.ytd, before, 'the negated delta restores the accumulators');
  const second = await client.cancel(cancel, body.result.setlinfo);
  assert.is(second.ok ? 'ok' : second.error.code, 'already_cancelled');
  const unknown = await client.cancel({ ...cancel, setl_id: 'S999999999999' }, body.result.setlinfo);
  assert.is(unknown.ok ? 'ok' : unknown.error.code, 'settlement_not_found');
  assert.is(r.terminal.journal.entry(settled.value.id)?.cancelledBy, first.ok ? first.value.id : '');
  const resettled = await prepareSettle(r.terminal);
  assert.is(resettled.body.input.mdtrt_id, body.input.mdtrt_id, 'the cancelled bill is pending again');
});

scenario('offline advices: uploaded and taken once; over the floor or of a bill settled online, refused for manual handling', async (r) => {
  const { client } = r.terminal;
  const { body, person } = await prepareSettle(r.terminal);
  const advice = async (settle: BodyOf<'settle'>) => {
    const id = await client.adviceId();
    return { local_setl_id: id, settled_time: r.clock.nowS, person, input: settle.input, result: settle.result, result_digest: settle.result_digest };
  };
  // Zhang's inpatient bill is over the floor and not outpatient.
  const over = await advice(body);
  assert.ok((await client.advise(over)).ok);
  assert.is(await client.flush(), 0);
  assert.equal([r.terminal.journal.entry(over.local_setl_id)?.outcome, r.terminal.journal.entry(over.local_setl_id)?.code], ['refused', 'offline_limit_exceeded']);
  // A small outpatient bill of the unfiled patient's hospital, by a filed patient: Mr. Zhang himself, 2 lines.
  const lines: FeeLine[] = [
    { sn: '1', code: '001102000010000', qty_milli: 1_000, amt: 8_000 },
    { sn: '2', code: 'XB01ACA056A001010100123', qty_milli: 30_000, amt: 1_800 },
  ];
  const encoder = createCborEncoder();
  const small = { mdtrt_id: 'OFF-1', date: '2026-03-14', med_type: '11' as const, opsp_dise: null, bill: { line_count: 2, medfee_sumamt: 9_800, digest: billDigest(encoder, lines) }, lines };
  const signed = client.signedIn;
  const local = settleLocally(r.terminal, person, signed?.institution as never, small, false);
  assert.ok(local.ok);
  if (!local.ok) return;
  // Its first reply is lost; later its seq is renewed (as when it left the hub's window): the hub knows it by its local id.
  const dropAdviceReply = { on: true };
  r.tap.down = (_index, type) => (type === 'advice_reply' && dropAdviceReply.on ? 'drop' : 'deliver');
  const offline = await advice(local.body);
  assert.ok((await client.advise(offline)).ok);
  assert.not.ok(await client.forwardOnce(), 'no verdict heard');
  const ledger = r.hub.state.ledger.length;
  r.terminal.journal.commit({ kind: 'seq_block', up_to: 900 });
  r.terminal.journal.commit({ kind: 'forward_seq', id: offline.local_setl_id, seq: 800 });
  dropAdviceReply.on = false;
  assert.is(await client.flush(), 0);
  assert.is(r.hub.state.ledger.length, ledger, 'nothing new at the hub');
  const taken = r.terminal.journal.entry(offline.local_setl_id);
  assert.equal(taken?.outcome, 'confirmed');
  assert.ok(r.hub.state.settlement(taken?.setlId as string)?.event.source === 'advice');
  // An advice of a bill the hub settled online meanwhile: refused, for manual handling.
  r.hub.putBill({ psn_no: zhang.psn_no, mdtrt_id: 'OFF-2', fixmedins_code: 'H11010600001', date: '2026-03-14', med_type: '11', opsp_dise: null, lines });
  const bill2 = await client.bill(zhang.psn_no, 'OFF-2');
  assert.ok(bill2.ok);
  if (!bill2.ok) return;
  const local2 = settleLocally(r.terminal, person, signed?.institution as never, bill2.value, false);
  assert.ok(local2.ok);
  if (!local2.ok) return;
  assert.ok((await client.settle(local2.body)).ok);
  const twice = await advice(local2.body);
  assert.ok((await client.advise(twice)).ok);
  assert.is(await client.flush(), 0);
  assert.is(r.terminal.journal.entry(twice.local_setl_id)?.code, 'already_settled');
  assert.throws(() => client.advise({ ...offline, local_setl_id: 'S1' }), RangeError);
});

scenario('sync: a snapshot first, nothing when current, a delta after the hub publishes; chunk refusals', async (r) => {
  const { client } = r.terminal;
  const first = await client.sync('catalogue');
  assert.ok(first.ok && first.value.changed && first.value.version === 'beijing-2026.03');
  const same = await client.sync('catalogue');
  assert.ok(same.ok && !same.value.changed);
  const records = (seedCatalogues().find((catalogue) => catalogue.line === '11') as ReturnType<typeof seedCatalogues>[number]).records;
  // One item repriced, the filler past 900 withdrawn.
  r.hub.publish('catalogue', '11', 'beijing-2026.04', [{ ...(records[0] as (typeof records)[number]), list_price: 9_999 }, ...records.slice(1, 900)]);
  const delta = await client.sync('catalogue');
  assert.ok(delta.ok && delta.value.changed && delta.value.version === 'beijing-2026.04', JSON.stringify(delta));
  const manifests = r.tap.frames.filter((frame) => frame.type === 'manifest_reply');
  assert.is(manifests.length, 3);
  assert.is(r.terminal.catalogue.version, 'beijing-2026.04');
  assert.ok((await client.sync('policy_book')).ok);
  r.hub.publish('policy_book', '', 'policy-book-2026.2', seedPolicies().slice(0, 2));
  const policy = await client.sync('policy_book');
  assert.ok(policy.ok && policy.value.version === 'policy-book-2026.2');
  const stray = await client.request('chunk', { kind: 'catalogue', version: 'beijing-2026.03', index: 0 });
  assert.is(stray.ok ? 'ok' : stray.error.code, 'blob_not_found');
  // A terminal that found its copy damaged says so: the hub records the report and answers with the whole snapshot, never a delta.
  const faulted = await client.request('manifest', { kind: 'catalogue', have_version: 'beijing-2026.03', fault: true });
  assert.ok(faulted.ok && faulted.value.base_version === null && faulted.value.version === 'beijing-2026.04', 'a snapshot');
  assert.equal([...r.hub.storeFaults.values()].map(({ kind, serving, reports }) => ({ kind, serving, reports })), [{ kind: 'catalogue', serving: 'beijing-2026.03', reports: 1 }]);
  const plain = await client.request('manifest', { kind: 'catalogue', have_version: 'beijing-2026.03', fault: false });
  assert.ok(plain.ok && plain.value.base_version === 'beijing-2026.03', 'without the fault: a delta');
  await client.request('manifest', { kind: 'catalogue', have_version: null, fault: false });
  const far = await client.request('chunk', { kind: 'catalogue', version: 'beijing-2026.04', index: 2_000 });
  assert.is(far.ok ? 'ok' : far.error.code, 'chunk_out_of_range');
  // A settlement on the older version the terminal declared still settles: the hub keeps every version.
  assert.ok(r.hub.state.versions.get('catalogue:11')?.length === 2);
});

scenario('reconciliation: totals agree; then a settlement only the hub has and one only the terminal has show in the detail', async (r) => {
  const { client } = r.terminal;
  const { body } = await prepareSettle(r.terminal);
  const settled = await client.settle(body);
  assert.ok(settled.ok);
  const day = '2026-03-14';
  const agreed = await client.reconcile(day, day);
  assert.ok(agreed.ok && agreed.value.agree && agreed.value.hub.setl_cnt === 1, JSON.stringify(agreed));
  // The hub gets a settlement this terminal's journal never saw (its twin settles on a journal of its own).
  const tap = new FrameTap();
  void r.hub.serve(tap.hubPort);
  const twinJournal = TerminalJournal.open({ storage: new MemoryDisk(), file: '/twin' });
  twinJournal.commit({ kind: 'seq_block', up_to: 500 });
  const twin = await HubClient.open({ ...optionsOf(r), journal: twinJournal, connect: async () => tap.terminalEnd });
  // Zhang's settlement is cancelled, so his bill is pending again; the twin settles it: the hub has one more.
  const cancelled = await client.cancel({ setl_id: settled.ok ? settled.value.setl_id : '', mdtrt_id: body.input.mdtrt_id, psn_no: zhang.psn_no, reason: '' }, body.result.setlinfo);
  assert.ok(cancelled.ok);
  const again = await prepareSettle({ ...r.terminal, client: twin });
  assert.ok((await twin.settle(again.body)).ok);
  // And the terminal believes in a settlement the hub never made.
  r.terminal.journal.commit({ kind: 'seq_block', up_to: 60_000 });
  r.terminal.journal.commit({ kind: 'settle_intent', id: 'S-ghost', seq: 55_000, time: r.clock.nowS, body: settleBody('GHOST') });
  r.terminal.journal.commit({ kind: 'done', id: 'S-ghost', setl_id: 'S000000000777', time: r.clock.nowS, code: null });
  const differs = await client.reconcile(day, day);
  assert.ok(differs.ok && !differs.value.agree, JSON.stringify(differs));
  if (!differs.ok) return;
  assert.equal(differs.value.mismatches.map((mismatch) => mismatch.code).sort(), ['missing_at_hub', 'missing_at_terminal']);
  await twin.close();
  tap.stop();
});

scenario('a day reconciled once it is over leaves the journal at rotation; today stays', async (r) => {
  const { client, journal } = r.terminal;
  const { body } = await prepareSettle(r.terminal);
  assert.ok((await client.settle(body)).ok);
  const day = '2026-03-14';
  assert.ok((await client.reconcile(day, day)).ok);
  assert.is(journal.entries().length, 1, 'today is still open: its settlement stays');
  const sizeBefore = journal.size;
  r.clock.nowS += 86_400;
  const closed = await client.reconcile(day, day);
  assert.ok(closed.ok && closed.value.agree, JSON.stringify(closed));
  assert.equal(journal.entries(), [], 'the day is over and reconciled: it left the journal');
  assert.ok(journal.size < sizeBefore, `${journal.size} < ${sizeBefore}`);
  const reopened = TerminalJournal.open({ storage: r.terminal.storage, file: path.join(r.temp.dir, 'terminal', 'journal') });
  assert.equal(reopened.entries(), []);
  assert.ok((await reopened.seqStore().load()) !== null, 'the seq reservation survives');
});

scenario('clearing: what each insured province owes each treatment province, by fund, from the ledger', async (r) => {
  const { body } = await prepareSettle(r.terminal);
  const settled = await r.terminal.client.settle(body);
  assert.ok(settled.ok);
  const report = clearingReport(r.hub.state, '2026-03');
  assert.is(report.lines.length, 1);
  const line = report.lines[0];
  assert.equal([line?.insured, line?.treatment, line?.settlements], [{ code: '13', name: '河北' }, { code: '11', name: '北京' }, 1]);
  assert.equal(line?.funds, body.result.setldetail.map((fund) => ({ fund_pay_type: fund.fund_pay_type, amount_fen: fund.fund_payamt })));
  assert.is(report.total_fen, body.result.setlinfo.fund_pay_sumamt + body.result.setlinfo.acct_pay);
  assert.equal(clearingReport(r.hub.state, '2026-04').lines, []);
});

test.run();
