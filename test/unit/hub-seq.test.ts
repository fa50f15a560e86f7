// Proves no sequence number can lock a terminal out (issue 12, attack 3: a
// frame with seq 2^53-1 that the hub recorded put every later request, sign-in
// included, outside the window, across restarts):
//   - a sign-in, and a request in session, with a seq more than
//     seqForwardJumpMax past the highest accepted are refused and recorded
//     nowhere; the terminal goes on settling, before and after a restart;
//   - a terminal whose numbers fell behind (its journal lost: it starts again
//     at 1) signs in: the hub answers with no session and the next seq it
//     takes (signed, bound to the sign-in's nonce); the terminal moves its
//     counter there durably (its journal) and then signs in and settles;
//   - that answer opens no replay hole: the same sign-in replayed gets the same
//     answer, opens no session and writes nothing; a re-synchronising answer
//     whose nonce is not the sign-in's is refused by the terminal.
// Replay the attack: npm test -- hub-seq
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import path from 'node:path';
import { nodeCryptoProvider } from '../../protocol/crypto-node';
import { createOpener, createSealer, type AnyMessage } from '../../protocol/envelope';
import { FrameDecoder } from '../../protocol/framing';
import { seqForwardJumpMax, seqMax } from '../../protocol/limits';
import type { BodyOf } from '../../protocol/messages';
import { FrameTap, openTerminal, prepareSettle, rig, terminalSigner } from '../helpers/hub-rig';
import { MemoryDisk } from '../helpers/memory-disk';

type Rig = Awaited<ReturnType<typeof rig>>;

/** Sends a frame to the hub and returns the replies to (T1, seq) that came back. */
async function exchange(r: Rig, bytes: Uint8Array, seq: number): Promise<AnyMessage[]> {
  const before = r.tap.frames.length;
  await r.tap.inject(bytes);
  await new Promise((resolve) => setTimeout(resolve, 60));
  const opener = createOpener({ expect: 'down', keyFor: () => nodeCryptoProvider.verifier(r.hub.publicKey), clock: r.clock.timeS });
  const replies: AnyMessage[] = [];
  for (const frame of r.tap.frames.slice(before)) {
    if (frame.direction !== 'down') continue;
    for (const event of new FrameDecoder().push(frame.bytes)) {
      if (event.kind !== 'frame') continue;
      const opened = opener.open(event);
      if (opened.ok && opened.message.seq === seq) replies.push(opened.message);
    }
  }
  return replies;
}

const signIn = (nonce: number): BodyOf<'sign_in'> => ({ fixmedins_code: 'H11010600001', firmware: 'test', catalogue_version: null, policy_version: null, nonce: new Uint8Array(16).fill(nonce), operator: null });

test('a seq at the end of the numbers is refused and recorded nowhere: the terminal goes on, across a restart', async () => {
  const r = await rig();
  try {
    const { body } = await prepareSettle(r.terminal);
    const sealer = createSealer(terminalSigner(1), 'up');
    const now = r.clock.nowS;
    const logBytes = r.hub.summary().log_bytes;
    const far = seqMax;
    const [signInReply] = await exchange(r, sealer.seal({ type: 'sign_in', terminal: 'T1', seq: far, time: now, body: signIn(1) }, 0), far);
    assert.is(signInReply?.type, 'sign_in_reply', 'a sign-in too far ahead is answered');
    const resync = signInReply?.body as BodyOf<'sign_in_reply'>;
    assert.is(resync.session, 0, 'no session');
    assert.ok(resync.next_seq < 1_000, `the next seq is the terminal's own: ${resync.next_seq}`);
    const session = r.hub.state.terminal('T1').session;
    const [beat] = await exchange(r, sealer.seal({ type: 'heartbeat', terminal: 'T1', seq: resync.next_seq + seqForwardJumpMax + 1, time: now, body: { state: 'idle', queued: 0 } }, session), resync.next_seq + seqForwardJumpMax + 1);
    assert.is(beat?.type === 'error' && beat.body.code, 'replay_stale', 'a request too far ahead is refused');
    assert.is(r.hub.summary().log_bytes, logBytes, 'nothing recorded');
    const settled = await r.terminal.client.settle(body);
    assert.ok(settled.ok, JSON.stringify(settled));
    if (!settled.ok) return;
    await r.restartHub('close');
    const cancelled = await r.terminal.client.cancel({ setl_id: settled.value.setl_id, mdtrt_id: body.input.mdtrt_id, psn_no: body.input.psn_no, reason: '' }, body.result.setlinfo);
    assert.ok(cancelled.ok, `after a restart: ${JSON.stringify(cancelled)}`);
    assert.ok((await r.terminal.client.signIn()).ok, 'signs in after a restart');
  } finally {
    await r.close();
  }
});

test('a terminal whose numbers fell behind signs in, moves to the next seq the hub takes, durably, and settles', async () => {
  const r = await rig();
  try {
    await prepareSettle(r.terminal);
    for (let index = 0; index < 3; index += 1) assert.ok((await r.terminal.client.request('heartbeat', { state: 'idle', queued: 0 })).ok);
    const highest = r.hub.state.terminal('T1').window.nextSeq - 1;
    assert.ok(highest >= 5, `seqs used: ${highest}`);
    await r.terminal.client.close();
    // The same terminal with its journal lost: its numbers start again at 1.
    const tap = new FrameTap();
    void r.hub.serve(tap.hubPort);
    const reborn = await openTerminal({ storeDir: path.join(r.temp.dir, 'reborn'), storage: new MemoryDisk(), link: async () => tap.terminalEnd, hub: r.hub, clock: r.clock });
    const signed = await reborn.client.signIn();
    assert.ok(signed.ok && signed.value.session > 0, JSON.stringify(signed));
    assert.is(r.hub.stats.resyncs, 1, 'one sign-in was answered with where to continue');
    assert.ok(reborn.journal.seqStore() !== null && (await reborn.journal.seqStore().load()) !== null && ((await reborn.journal.seqStore().load()) as number) > highest, 'the counter moved past the hub\'s highest, in the journal');
    const { body } = await prepareSettle(reborn);
    const settled = await reborn.client.settle(body);
    assert.ok(settled.ok, JSON.stringify(settled));
    await reborn.client.close();
    tap.stop();
  } finally {
    await r.close();
  }
});

test('re-synchronising opens no replay hole: a replayed sign-in opens nothing, an answer with another nonce moves nothing', async () => {
  const r = await rig();
  try {
    await prepareSettle(r.terminal);
    const sealer = createSealer(terminalSigner(1), 'up');
    const now = r.clock.nowS;
    // A sign-in captured earlier (seq 1 was the terminal's first sign-in, for another body): replayed, it only learns where to continue.
    const stale = sealer.seal({ type: 'sign_in', terminal: 'T1', seq: 1, time: now, body: signIn(9) }, 0);
    const session = r.hub.state.terminal('T1').session;
    const logBytes = r.hub.summary().log_bytes;
    for (let round = 0; round < 2; round += 1) {
      const [reply] = await exchange(r, stale, 1);
      assert.is(reply?.type === 'sign_in_reply' && reply.body.session, 0, `round ${round}: no session`);
      assert.equal(reply?.type === 'sign_in_reply' && reply.body.nonce, new Uint8Array(16).fill(9), 'bound to the sign-in by its nonce');
    }
    assert.is(r.hub.state.terminal('T1').session, session, 'the terminal\'s session stands');
    assert.is(r.hub.summary().log_bytes, logBytes, 'nothing recorded');
    assert.ok((await r.terminal.client.request('heartbeat', { state: 'idle', queued: 0 })).ok, 'the terminal goes on in its session');
    // A terminal given an answer for another sign-in (another nonce) does not move its counter.
    const tap = new FrameTap();
    void r.hub.serve(tap.hubPort);
    const other = await openTerminal({ storeDir: path.join(r.temp.dir, 'other'), storage: new MemoryDisk(), link: async () => tap.terminalEnd, hub: r.hub, clock: r.clock, client: { nonce: () => new Uint8Array(16).fill(7) } });
    tap.down = (_index, type) => (type === 'sign_in_reply' ? 'drop' : 'deliver');
    const hubSealer = createSealer(nodeCryptoProvider.signer(new Uint8Array(32).fill(7)), 'down');
    const forged = hubSealer.seal({ type: 'sign_in_reply', terminal: 'T1', seq: 1, time: now, body: { session: 0, hub_time: now, institution: r.hub.state.institutions.get('H11010600001') as BodyOf<'sign_in_reply'>['institution'], catalogue_version: '-', policy_version: '-', offline_floor: 0, next_seq: 5_000_000, nonce: new Uint8Array(16).fill(8) } }, 0);
    const attempt = other.client.signIn();
    await new Promise((resolve) => setTimeout(resolve, 30));
    await tap.injectDown(forged);
    const out = await attempt;
    assert.is(out.ok ? 'ok' : out.error.code, 'sync_invalid');
    assert.ok(((await other.journal.seqStore().load()) as number) < 5_000_000, 'the counter did not move');
    await other.client.close();
    tap.stop();
  } finally {
    await r.close();
  }
});

test.run();
