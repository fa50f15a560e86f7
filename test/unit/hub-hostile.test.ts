// Proves the reference hub is strict at the edge: a table of hostile frames
// (garbage, bad CRC, payloads that are not messages, unknown types, a reply
// sent as a request, the wrong direction, clock skew, no or the wrong
// session, an unknown key, a key that is not the named terminal's, a stale
// seq, schema violations inside a good signature, an unsupported alg or a
// protected header outside the wire profile) and of hostile requests
// (another institution's sign-in, another patient's bill, unknown versions,
// a changed bill, bad reconciliation periods, someone else's settlement) each
// gets its stable error code (or, when the frame names no terminal, no
// answer: a bad header is answered too when the payload names a terminal and
// a seq), and none changes anything: the hub's log does not grow and its
// ledger stays as it was.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createCborEncoder, type WireValue } from '../../protocol/cbor-encode';
import { encodeSign1, sigStructure1, signSign1, wireProtectedHeader } from '../../protocol/cose';
import type { Signer } from '../../protocol/crypto';
import { nodeCryptoProvider } from '../../protocol/crypto-node';
import { createOpener, createSealer } from '../../protocol/envelope';
import { encodeFrame, encodeFrameHeader, FrameDecoder, type Direction } from '../../protocol/framing';
import { messageTypeByName, type BodyOf } from '../../protocol/messages';
import { toWire } from '../../protocol/schema';
import { seedIdentities } from '../../device/sim/hub/seed';
import path from 'node:path';
import { TerminalJournal } from '../../src/journal/journal';
import { FrameTap, openTerminal, prepareSettle, rig, terminalSigner } from '../helpers/hub-rig';
import { MemoryDisk } from '../helpers/memory-disk';

const encoder = createCborEncoder();
type Rig = Awaited<ReturnType<typeof rig>>;

/** A frame signed over any payload value (the sealer would refuse a bad one). */
function rawFrame(payload: WireValue, options: { signer?: Signer; session?: number; direction?: Direction } = {}): Uint8Array {
  const signer = options.signer ?? terminalSigner(1);
  const header = encodeFrameHeader(options.direction ?? 'up', options.session ?? 0);
  return encodeFrame(header, signSign1(wireProtectedHeader(encoder, signer.kid), encoder.encode(payload), signer, header));
}

/** A frame whose COSE_Sign1 has the given protected and unprotected header bytes, signed by T1's key (the headers break the wire profile). */
function headerFrame(protectedBytes: Uint8Array, unprotectedBytes: Uint8Array, payload: WireValue, session: number): Uint8Array {
  const signer = terminalSigner(1);
  const header = encodeFrameHeader('up', session);
  const bytes = encoder.encode(payload);
  return encodeFrame(header, encodeSign1(protectedBytes, unprotectedBytes, bytes, signer.sign(sigStructure1(protectedBytes, header, bytes))));
}

function wireBody<N extends Parameters<typeof messageTypeByName>[0]>(name: N, body: BodyOf<N>): WireValue {
  return toWire(messageTypeByName(name).body, body, 'body');
}

/** Sends bytes to the hub and collects the codes of the error replies for (T1, seq). */
async function answers(r: Rig, bytes: Uint8Array): Promise<string[]> {
  const before = r.tap.frames.length;
  await r.tap.inject(bytes);
  await new Promise((resolve) => setTimeout(resolve, 40));
  const opener = createOpener({ expect: 'down', keyFor: () => nodeCryptoProvider.verifier(r.hub.publicKey), clock: r.clock.timeS });
  const codes: string[] = [];
  for (const frame of r.tap.frames.slice(before)) {
    if (frame.direction !== 'down') continue;
    for (const event of new FrameDecoder().push(frame.bytes)) {
      if (event.kind !== 'frame') continue;
      const opened = opener.open(event);
      if (opened.ok && opened.message.type === 'error') codes.push(opened.message.body.code);
    }
  }
  return codes;
}

test('hostile frames get their stable code, or no answer when they name no terminal, and change nothing', async () => {
  const r = await rig();
  try {
    const { body } = await prepareSettle(r.terminal);
    const session = r.hub.state.terminal('T1').session;
    const now = r.clock.nowS;
    const settle = wireBody('settle', body);
    const brokenCrc = rawFrame([11, 'T1', 900, now, settle], { session });
    brokenCrc[brokenCrc.length - 3] = (brokenCrc[brokenCrc.length - 3] as number) ^ 0xff;
    const withoutDigest = (settle as WireValue[]).slice(0, 2);
    const table: [string, Uint8Array, string[]][] = [
      ['garbage', new Uint8Array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0]), []],
      ['a frame with a bad CRC', brokenCrc, []],
      ['a payload that is not a message array', rawFrame(new Map([['not', 'a message']]), { session }), []],
      ['an unknown message type', rawFrame([99, 'T1', 901, now, []], { session }), ['unknown_type']],
      ['a reply sent as a request', rawFrame([12, 'T1', 902, now, wireBody('settle_reply', { setl_id: 'X', mdtrt_id: 'Y', setl_time: now, result_digest: new Uint8Array(32) })], { session }), ['unknown_type']],
      ['a frame going the wrong way', rawFrame([11, 'T1', 903, now, settle], { session, direction: 'down' }), ['wrong_direction']],
      ['a message from the past (clock skew)', rawFrame([11, 'T1', 904, now - 1_000, settle], { session }), ['time_skew']],
      ['a settle outside any session', rawFrame([11, 'T1', 905, now, settle], { session: 0 }), ['not_signed_in']],
      ['a settle in the wrong session', rawFrame([11, 'T1', 906, now, settle], { session: session + 1 }), ['session_unknown']],
      ['a key the hub does not know', rawFrame([11, 'T1', 907, now, settle], { session, signer: nodeCryptoProvider.signer(new Uint8Array(32).fill(200)) }), ['unknown_kid']],
      ['a key of no terminal, in T1\'s name', rawFrame([11, 'T1', 908, now, settle], { session, signer: terminalSigner(2) }), ['unknown_kid']],
      ['a body that breaks the schema', rawFrame([11, 'T1', 909, now, withoutDigest], { session }), ['schema_violation']],
      ['an amount past its bound', rawFrame([29, 'T1', 910, now, [0, 70_000]], { session }), ['schema_violation']],
      // Headers outside the wire profile: the payload still names T1 and a seq, so the refusal is answered.
      ['an unsupported alg (ES256)', headerFrame(encoder.encode(new Map<number, WireValue>([[1, -7], [4, terminalSigner(1).kid]])), Uint8Array.of(0xa0), [29, 'T1', 912, now, [0, 0]], session), ['malformed']],
      ['a protected header that is not a map', headerFrame(Uint8Array.of(0x01), Uint8Array.of(0xa0), [29, 'T1', 913, now, [0, 0]], session), ['malformed']],
      ['a protected header with a third label', headerFrame(encoder.encode(new Map<number, WireValue>([[1, -8], [3, 0], [4, terminalSigner(1).kid]])), Uint8Array.of(0xa0), [29, 'T1', 914, now, [0, 0]], session), ['malformed']],
      ['an unprotected header that is not empty', headerFrame(wireProtectedHeader(encoder, terminalSigner(1).kid), encoder.encode(new Map<number, WireValue>([[4, terminalSigner(1).kid]])), [29, 'T1', 915, now, [0, 0]], session), ['malformed']],
      ['no kid', headerFrame(encoder.encode(new Map<number, WireValue>([[1, -8]])), Uint8Array.of(0xa0), [29, 'T1', 916, now, [0, 0]], session), ['unknown_kid']],
    ];
    r.hub.enroll('T2', terminalSigner(3).publicKey, 'H11010600001');
    table.push(['T1 signing as T2', rawFrame([29, 'T2', 911, now, wireBody('heartbeat', { state: 'idle', queued: 0 })], { session }), ['unknown_kid']]);
    for (const [name, bytes, expected] of table) {
      const logBytes = r.hub.summary().log_bytes;
      assert.equal(await answers(r, bytes), expected, name);
      assert.is(r.hub.summary().log_bytes, logBytes, `${name}: nothing written`);
      assert.is(r.hub.state.ledger.length, 0, name);
    }
    // A stale seq: the window has moved far past it.
    const sealer = createSealer(terminalSigner(1), 'up');
    for (let seq = 2_000; seq < 3_100; seq += 1) r.hub.state.terminal('T1').window.accept(seq);
    const logBytes = r.hub.summary().log_bytes;
    assert.equal(await answers(r, sealer.seal({ type: 'heartbeat', terminal: 'T1', seq: 1_500, time: now, body: { state: 'idle', queued: 0 } }, session)), ['replay_stale']);
    assert.is(r.hub.summary().log_bytes, logBytes);
  } finally {
    await r.close();
  }
});

test('hostile requests are refused with their stable code and change nothing', async () => {
  const r = await rig();
  try {
    const { client } = r.terminal;
    const { body } = await prepareSettle(r.terminal);
    const wang = seedIdentities()[1] as ReturnType<typeof seedIdentities>[number];
    const code = <T>(out: { ok: true; value: T } | { ok: false; error: { code: string } }) => (out.ok ? 'ok' : out.error.code);
    const changedLines = body.input.lines.map((line, index) => (index === 0 ? { ...line, amt: line.amt + 1 } : line));
    const settles: [string, BodyOf<'settle'>, string][] = [
      ['an unknown catalogue version', { ...body, input: { ...body.input, catalogue_version: 'beijing-1999' } }, 'catalogue_version_unknown'],
      ['an unknown policy book', { ...body, input: { ...body.input, policy_version: 'nowhere-1' } }, 'policy_version_unknown'],
      ['a bill whose lines changed', { ...body, input: { ...body.input, lines: changedLines } }, 'bill_changed'],
      ['a bill of another day', { ...body, input: { ...body.input, date: '2026-03-15' } }, 'bill_changed'],
      ['a bill that does not exist', { ...body, input: { ...body.input, mdtrt_id: 'NO-SUCH-VISIT' } }, 'bill_not_found'],
      ['another patient\'s bill', { ...body, input: { ...body.input, mdtrt_id: wang.mdtrt_id } }, 'bill_not_found'],
    ];
    for (const [name, wrong, expected] of settles) {
      const logBytes = r.hub.summary().log_bytes;
      assert.is(code(await client.request('pre_settle', { input: wrong.input })), expected, `pre_settle: ${name}`);
      assert.is(r.hub.summary().log_bytes, logBytes, `pre_settle writes nothing: ${name}`);
      assert.is(code(await client.settle(wrong)), expected, `settle: ${name}`);
    }
    assert.is(r.hub.state.ledger.length, 0);
    assert.is(code(await client.bill(wang.psn_no, wang.mdtrt_id)), 'bill_not_found', 'a bill of another hospital');
    const totals = { stmt_begndate: '2026-03-14', stmt_enddate: '2026-03-13', setl_cnt: 0, cancel_cnt: 0, medfee_sumamt: 0, fund_pay_sumamt: 0, acct_pay: 0, psn_cash_pay: 0, funds: [] };
    assert.is(code(await client.request('recon_totals', { totals })), 'recon_period_invalid', 'an end before the start');
    assert.is(code(await client.request('recon_totals', { totals: { ...totals, stmt_begndate: '2026-01-01', stmt_enddate: '2026-03-14' } })), 'recon_period_invalid', 'more than 31 days');
    assert.is(code(await client.request('recon_detail', { stmt_begndate: '2026-03-14', stmt_enddate: '2026-03-14', page: 1, last: true, entries: [] })), 'recon_period_invalid', 'a page before page 0');
    assert.is(code(await client.request('sign_out', { session: 424242 })), 'session_unknown', 'someone else\'s session');
    // A terminal of another hospital: it cannot sign in as this one's, nor cancel this one's settlement.
    const settled = await client.settle(body);
    assert.ok(settled.ok);
    if (!settled.ok) return;
    r.hub.enroll('T-SH', terminalSigner(5).publicKey, 'H31010100003');
    const taps: FrameTap[] = [];
    const other = (fixmedinsCode: string, storeDir: string, firstSeq: number) => {
      const tap = new FrameTap();
      taps.push(tap);
      void r.hub.serve(tap.hubPort);
      // Each journal starts its seqs past the other's: the hub refuses a seq reused for another request.
      const storage = new MemoryDisk();
      TerminalJournal.open({ storage, file: path.join(r.temp.dir, storeDir, 'journal') }).commit({ kind: 'seq_block', up_to: firstSeq });
      return openTerminal({ id: 'T-SH', fixmedinsCode, signer: terminalSigner(5), storeDir: path.join(r.temp.dir, storeDir), storage, link: async () => tap.terminalEnd, hub: r.hub, clock: r.clock });
    };
    const impostor = await other('H11010600001', 'sh-wrong', 0);
    assert.is(code(await impostor.client.signIn()), 'key_rejected');
    const shanghai = await other('H31010100003', 'sh', 1_000);
    const cancel = { setl_id: settled.value.setl_id, mdtrt_id: body.input.mdtrt_id, psn_no: body.input.psn_no, reason: '' };
    assert.is(code(await shanghai.client.cancel(cancel, body.result.setlinfo)), 'settlement_not_found');
    assert.ok(r.hub.state.settlement(settled.value.setl_id)?.cancelled === null);
    await shanghai.client.close();
    await impostor.client.close();
    for (const tap of taps) tap.stop();
  } finally {
    await r.close();
  }
});

test.run();
