// Proves the hub client and the reference hub keep every settlement exactly
// once when the link and the hub fail. A frame tap between them (test/helpers/
// hub-rig.ts) drops, duplicates, holds back and reorders whole frames by
// message type, replays captured frames and injects forged ones; the hub is
// crashed (losing what it had not written) or closed and started again on
// its state directory. After each scenario the test reads the hub's ledger,
// the patient's accumulators and the terminal's journal: a settlement is
// either confirmed at the terminal and in force once at the hub, or nowhere
// (reversed, refused), and the accumulators moved by exactly the deltas in
// force. The hub's log on the real disk commits with its fdatasync off the
// event loop; one scenario fails that fdatasync.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createCborEncoder } from '../../protocol/cbor-encode';
import { resultDigest } from '../../protocol/digests';
import { encodeFrame } from '../../protocol/framing';
import { nodeCryptoProvider } from '../../protocol/crypto-node';
import { createSealer } from '../../protocol/envelope';
import type { BodyOf } from '../../protocol/messages';
import type { JournalStorage } from '../../src/journal/storage';
import { nodeJournalStorage } from '../../src/journal/storage';
import { DeferredSyncStorage } from '../../device/sim/hub/log-sync';
import { seedIdentities } from '../../device/sim/hub/seed';
import { prepareSettle, rig } from '../helpers/hub-rig';
import { PowerCut } from '../helpers/memory-disk';

const zhang = seedIdentities()[0] as ReturnType<typeof seedIdentities>[number];
type Rig = Awaited<ReturnType<typeof rig>>;

function inForce(r: Rig): string[] {
  return r.hub.state.ledger.filter((settlement) => !settlement.reversed && settlement.cancelled === null).map((settlement) => settlement.event.setl_id);
}

function accumulators(r: Rig): Record<string, number> {
  return { ...r.hub.state.person(zhang.psn_no)?.person.ytd.acc };
}

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

scenario('a lost settle reply: the retry (same seq) gets the first answer; one settlement', async (r) => {
  const { body } = await prepareSettle(r.terminal);
  let dropped = 0;
  r.tap.down = (_index, type) => (type === 'settle_reply' && dropped++ === 0 ? 'drop' : 'deliver');
  const settled = await r.terminal.client.settle(body);
  assert.ok(settled.ok, JSON.stringify(settled));
  assert.ok(r.terminal.client.stats.retries >= 1);
  assert.is(r.tap.frames.filter((frame) => frame.type === 'settle').length, 2, 'sent twice');
  assert.equal(new Set(r.tap.frames.filter((frame) => frame.type === 'settle').map((frame) => frame.seq)).size, 1, 'with one seq');
  assert.equal(inForce(r), [settled.ok ? settled.value.setl_id : '']);
  assert.is(r.terminal.journal.entry(settled.ok ? settled.value.id : '')?.outcome, 'confirmed');
});

scenario('every settle reply lost: the terminal reverses, the hub undoes the settlement and its accumulators, the bill can settle again', async (r) => {
  const before = accumulators(r);
  const { body } = await prepareSettle(r.terminal);
  r.tap.down = (_index, type) => (type === 'settle_reply' ? 'drop' : 'deliver');
  const settled = await r.terminal.client.settle(body);
  assert.equal(settled.ok ? 'ok' : settled.error.code, 'timeout');
  assert.is(r.hub.state.ledger.length, 1, 'the hub had settled it');
  assert.is(r.terminal.journal.queueLength, 1, 'a reversal waits');
  r.tap.down = () => 'deliver';
  assert.is(await r.terminal.client.flush(), 0);
  assert.equal(inForce(r), []);
  assert.ok(r.hub.state.ledger[0]?.reversed);
  assert.equal(accumulators(r), before, 'accumulators back where they were');
  const again = await prepareSettle(r.terminal);
  const resettled = await r.terminal.client.settle(again.body);
  assert.ok(resettled.ok, JSON.stringify(resettled));
  assert.equal(inForce(r), [resettled.ok ? resettled.value.setl_id : '']);
});

scenario('every settle request lost: the reversal finds nothing and leaves a tombstone; the late request is refused', async (r) => {
  const before = accumulators(r);
  const { body } = await prepareSettle(r.terminal);
  r.tap.up = (_index, type) => (type === 'settle' ? 'hold' : 'deliver');
  const settled = await r.terminal.client.settle(body);
  assert.equal(settled.ok ? 'ok' : settled.error.code, 'timeout');
  assert.is(await r.terminal.client.flush(), 0);
  const reversal = r.terminal.journal.entries().find((entry) => entry.kind === 'settle');
  assert.is(reversal?.outcome, 'reversed');
  await r.tap.release();
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(r.hub.state.ledger.length, 0, 'the late settles settled nothing');
  const late = r.hub.answerOf('T1', reversal?.seq ?? -1);
  assert.equal(late?.body, { code: 'already_cancelled', detail: 'this settle was reversed before it arrived' });
  assert.equal(accumulators(r), before);
});

scenario('duplicated frames both ways: one settlement, duplicates dropped or answered the same', async (r) => {
  r.tap.up = () => 'duplicate';
  r.tap.down = () => 'duplicate';
  const { body } = await prepareSettle(r.terminal);
  const settled = await r.terminal.client.settle(body);
  assert.ok(settled.ok, JSON.stringify(settled));
  assert.equal(inForce(r), [settled.ok ? settled.value.setl_id : '']);
  assert.ok(r.terminal.client.stats.dropped > 0, 'the duplicate replies were dropped');
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.is(r.hub.state.ledger.length, 1);
});

scenario('reordered frames: a reply held back arrives during the next request and is dropped', async (r) => {
  await prepareSettle(r.terminal);
  let held = false;
  r.tap.down = (_index, type) => (type === 'person_query_reply' && !held ? ((held = true), 'hold') : 'deliver');
  const person = await r.terminal.client.person({ kind: 'ss_card', id: zhang.cardNumber, card_sn: zhang.cardSerial });
  assert.ok(person.ok, 'the retry was answered');
  const dropped = r.terminal.client.stats.dropped;
  r.tap.up = (_index, type) => (type === 'bill_query' ? (void r.tap.release(), 'deliver') : 'deliver');
  const bill = await r.terminal.client.bill(zhang.psn_no, null);
  assert.ok(bill.ok, JSON.stringify(bill));
  assert.ok(r.terminal.client.stats.dropped > dropped, 'the old reply was dropped');
});

scenario('a replayed old frame: answered with the stored reply (no second settlement), then refused once stale', async (r) => {
  const before = accumulators(r);
  const { body } = await prepareSettle(r.terminal);
  const settled = await r.terminal.client.settle(body);
  assert.ok(settled.ok);
  const frame = r.tap.frames.find((candidate) => candidate.type === 'settle')?.bytes as Uint8Array;
  const after = accumulators(r);
  assert.not.equal(after, before);
  const replies = r.tap.frames.length;
  await r.tap.inject(frame);
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.is(r.tap.frames.length, replies + 1, 'the hub answered the replay');
  assert.is(r.hub.state.ledger.length, 1);
  assert.equal(accumulators(r), after);
  r.clock.nowS += 400;
  await r.tap.inject(frame);
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.is(r.hub.stats.refusedFrames, 1, 'refused: time_skew');
  assert.is(r.hub.state.ledger.length, 1);
});

scenario('forged frames: a bad signature or an unknown key is refused and changes nothing; a forged reply is dropped', async (r) => {
  const { body } = await prepareSettle(r.terminal);
  const sealer = createSealer(nodeCryptoProvider.signer(new Uint8Array(32).fill(99)), 'up');
  const forged = sealer.seal({ type: 'settle', terminal: 'T1', seq: 5_000, time: r.clock.nowS, body }, r.hub.state.terminal('T1').session);
  await r.tap.inject(forged);
  const genuine = createSealer(nodeCryptoProvider.signer(new Uint8Array(32).fill(41)), 'up').seal({ type: 'settle', terminal: 'T1', seq: 5_001, time: r.clock.nowS, body }, r.hub.state.terminal('T1').session);
  const flipped = genuine.slice();
  flipped[flipped.length - 12] = (flipped[flipped.length - 12] as number) ^ 1;
  await r.tap.inject(flipped);
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.is(r.hub.state.ledger.length, 0, 'nothing settled');
  assert.ok(r.hub.stats.refusedFrames + r.hub.stats.frames >= 1);
  // A reply forged with another key, sent while the real settle is in flight, is dropped; the real answer stands.
  const hubForger = createSealer(nodeCryptoProvider.signer(new Uint8Array(32).fill(98)), 'down');
  r.tap.up = (_index, type) => {
    if (type === 'settle') void r.tap.injectDown(hubForger.seal({ type: 'error', terminal: 'T1', seq: r.terminal.journal.entries().at(-1)?.seq ?? 0, time: r.clock.nowS, body: { code: 'result_mismatch', detail: 'forged' } }, 0));
    return 'deliver';
  };
  const settled = await r.terminal.client.settle(body);
  assert.ok(settled.ok, JSON.stringify(settled));
  assert.ok(r.terminal.client.stats.dropped >= 1);
  assert.equal(inForce(r), [settled.ok ? settled.value.setl_id : '']);
});

scenario('the hub disagrees with the terminal\'s result: refused with result_mismatch, both results kept for audit, nothing charged', async (r) => {
  const before = accumulators(r);
  const { body } = await prepareSettle(r.terminal);
  const setlinfo = { ...body.result.setlinfo, hifp_pay: body.result.setlinfo.hifp_pay + 1, psn_cash_pay: body.result.setlinfo.psn_cash_pay - 1 };
  const wrong: BodyOf<'settle'> = { ...body, result: { ...body.result, setlinfo } };
  wrong.result_digest = resultDigest(createCborEncoder(), wrong.result);
  const settled = await r.terminal.client.settle(wrong);
  assert.equal(settled.ok ? 'ok' : settled.error.code, 'result_mismatch');
  const entry = r.terminal.journal.entries().at(-1);
  assert.equal([entry?.outcome, entry?.code], ['refused', 'result_mismatch']);
  const audit = r.hub.state.refusals.at(-1)?.audit;
  assert.ok(audit !== null && audit !== undefined);
  assert.is(audit?.terminal_result.setlinfo.hifp_pay, setlinfo.hifp_pay);
  assert.is(audit?.hub_result?.setlinfo.hifp_pay, body.result.setlinfo.hifp_pay);
  assert.equal(r.hub.state.ledger.length, 0);
  assert.equal(accumulators(r), before);
});

scenario('the hub closes after answering, reply lost: restarted, it answers the retry from its log', async (r) => {
  const { body } = await prepareSettle(r.terminal);
  let restarted = false;
  r.tap.down = (_index, type) => {
    if (type !== 'settle_reply' || restarted) return 'deliver';
    restarted = true;
    void r.restartHub('close');
    return 'drop';
  };
  const settled = await r.terminal.client.settle(body);
  assert.ok(settled.ok, JSON.stringify(settled));
  assert.ok(restarted);
  assert.equal(inForce(r), [settled.ok ? settled.value.setl_id : '']);
});

let cutNext = false;
const failingStorage: JournalStorage = (() => {
  const real = nodeJournalStorage();
  return {
    ...real,
    append(file, bytes) {
      if (cutNext) {
        cutNext = false;
        throw new PowerCut('the hub loses power before its log write');
      }
      real.append(file, bytes);
    },
  };
})();

scenario(
  'the hub loses power before writing the settlement: restarted, the retry settles it once',
  async (r) => {
    const before = accumulators(r);
    const { body } = await prepareSettle(r.terminal);
    let crashed = false;
    r.tap.up = (_index, type) => {
      if (type === 'settle' && !crashed) {
        crashed = true;
        cutNext = true;
        // Start again once the failed write has stopped the hub.
        setTimeout(() => void r.restartHub('crash'), 30);
      }
      return 'deliver';
    };
    const settled = await r.terminal.client.settle(body);
    assert.ok(settled.ok, JSON.stringify(settled));
    assert.is(r.hub.state.ledger.length, 1, 'settled once, after the restart');
    assert.not.equal(accumulators(r), before);
  },
  { hub: { storage: failingStorage } },
);

/** The real disk with its fdatasync off the event loop, whose next asynchronous fdatasync fails when told (then calls what it was told with). */
let failNextSync: (() => void) | null = null;
let syncsFailed = 0;
class FailingSyncStorage extends DeferredSyncStorage {
  override syncAsync(file: string): Promise<void> {
    const then = failNextSync;
    if (then === null) return super.syncAsync(file);
    failNextSync = null;
    syncsFailed += 1;
    setTimeout(then, 30);
    return Promise.reject(new PowerCut('the disk fails the fdatasync of the hub log'));
  }
}

scenario(
  "the fdatasync of the settlement's group fails off the event loop: no reply leaves, the hub stops; restarted, the retry settles it once",
  async (r) => {
    const before = accumulators(r);
    const { body } = await prepareSettle(r.terminal);
    const failingTap = r.tap;
    let armed = false;
    r.tap.up = (_index, type) => {
      if (type === 'settle' && !armed) {
        armed = true;
        // Start again once the failed fdatasync has stopped the hub.
        failNextSync = () => void r.restartHub('crash');
      }
      return 'deliver';
    };
    const settled = await r.terminal.client.settle(body);
    assert.ok(settled.ok, JSON.stringify(settled));
    assert.is(syncsFailed, 1, 'the fdatasync did fail');
    assert.ok(failingTap.frames.some((frame) => frame.type === 'settle'), 'the settle reached the failing hub');
    assert.is(failingTap.frames.filter((frame) => frame.type === 'settle_reply').length, 0, 'the failing hub sent no reply');
    assert.is(r.tap.frames.filter((frame) => frame.type === 'settle_reply').length, 1, 'the restarted hub answered the retry');
    assert.is(r.hub.state.ledger.length, 1, 'settled once');
    assert.equal(inForce(r), [settled.ok ? settled.value.setl_id : '']);
    assert.not.equal(accumulators(r), before);
  },
  { hub: { storage: new FailingSyncStorage(nodeJournalStorage()) } },
);

scenario(
  'a session that expires: the hub says so, the client signs in again and repeats the request',
  async (r) => {
    await prepareSettle(r.terminal);
    assert.is(r.terminal.client.stats.signIns, 1);
    r.clock.nowS += 120;
    const person = await r.terminal.client.person({ kind: 'ss_card', id: zhang.cardNumber, card_sn: zhang.cardSerial });
    assert.ok(person.ok, JSON.stringify(person));
    assert.is(r.terminal.client.stats.signIns, 2);
  },
  { hub: { sessionLifetimeSeconds: 60 } },
);

scenario('a cancel that is never answered is reversed: the settlement stays in force', async (r) => {
  const { body } = await prepareSettle(r.terminal);
  const settled = await r.terminal.client.settle(body);
  assert.ok(settled.ok);
  if (!settled.ok) return;
  const after = accumulators(r);
  r.tap.down = (_index, type) => (type === 'cancel_reply' ? 'drop' : 'deliver');
  const cancelled = await r.terminal.client.cancel({ setl_id: settled.value.setl_id, mdtrt_id: body.input.mdtrt_id, psn_no: zhang.psn_no, reason: 'test' }, body.result.setlinfo);
  assert.equal(cancelled.ok ? 'ok' : cancelled.error.code, 'timeout');
  assert.equal(inForce(r), [], 'the hub had cancelled it');
  r.tap.down = () => 'deliver';
  assert.is(await r.terminal.client.flush(), 0);
  assert.equal(inForce(r), [settled.value.setl_id], 'reinstated by the reversal of the cancel');
  assert.equal(accumulators(r), after);
  const date = body.input.date;
  const reconciled = await r.terminal.client.reconcile(date, date);
  assert.ok(reconciled.ok && reconciled.value.agree, JSON.stringify(reconciled));
});

scenario('after a terminal crash, what was in flight is reversed; a queued item whose seq left the window is renewed', async (r) => {
  const { body } = await prepareSettle(r.terminal);
  r.tap.up = (_index, type) => (type === 'settle' || type === 'reversal' ? 'drop' : 'deliver');
  const settled = await r.terminal.client.settle(body);
  assert.equal(settled.ok ? 'ok' : settled.error.code, 'timeout');
  // An intent left in flight by a crash, resolved at boot.
  r.terminal.journal.commit({ kind: 'settle_intent', id: 'S-crash', seq: 3, time: r.clock.nowS, body });
  assert.equal(await r.terminal.client.resolveInFlight(), ['S-crash']);
  assert.is(r.terminal.journal.queueLength, 2);
  // Over a thousand requests later, the first reversal's seq is older than the hub's window.
  r.tap.up = () => 'deliver';
  for (let beat = 0; beat < 1_030; beat += 1) assert.ok((await r.terminal.client.request('heartbeat', { state: 'busy', queued: 2 })).ok);
  assert.is(await r.terminal.client.flush(), 0);
  assert.ok(r.terminal.journal.entries().every((entry) => entry.outcome === 'reversed'));
  assert.equal(r.hub.state.ledger.length, 0);
});

test.run();
