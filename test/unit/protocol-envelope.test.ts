// Proves the envelope round trip and the sequence rules: every message type
// seals and opens back to the same message in its direction (replies go
// down, requests up), the largest chunk and a worst-case settle fit in a
// frame, a Sealer refuses a bad body before signing, replies are matched by
// seq; the sequence counter persists before it hands a number out, survives
// a restart and never reuses a number; the replay window and its stored
// replies stay within their bounds; the digests do not depend on key order.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createCborEncoder } from '../../protocol/cbor-encode';
import { nodeCryptoProvider } from '../../protocol/crypto-node';
import { billDigest, resultDigest } from '../../protocol/digests';
import { createOpener, createSealer, isReplyTo, type AnyMessage, type ReceivedFrame } from '../../protocol/envelope';
import { FrameDecoder } from '../../protocol/framing';
import { chunkBytesMax, feeLinesPerMessageMax, frameBytesMax } from '../../protocol/limits';
import { messageTypes, type FeeLine, type LineResult, type MessageName } from '../../protocol/messages';
import { ReplayWindow, SequenceCounter, type SeqStore } from '../../protocol/sequence';
import { sampleBodies, sampleLines, sampleMessage, sampleResult, timeSample } from '../helpers/messages';

const terminal = nodeCryptoProvider.signer(new Uint8Array(32).fill(1));
const hub = nodeCryptoProvider.signer(new Uint8Array(32).fill(2));
const keyOf = (signer: typeof terminal) => (kid: Uint8Array) => (Buffer.from(kid).equals(Buffer.from(signer.kid)) ? nodeCryptoProvider.verifier(signer.publicKey) : null);
const atHub = createOpener({ expect: 'up', keyFor: keyOf(terminal), clock: () => timeSample });
const atTerminal = createOpener({ expect: 'down', keyFor: keyOf(hub), clock: () => timeSample });
const up = createSealer(terminal, 'up');
const down = createSealer(hub, 'down');

function open(bytes: Uint8Array, opener = atHub) {
  const events = new FrameDecoder().push(bytes);
  assert.is(events.length, 1);
  return opener.open(events[0] as ReceivedFrame);
}

test('every message type seals and opens back to the same message', () => {
  for (const type of messageTypes) {
    const isReply = type.id === 0 || type.id % 2 === 0;
    const message = sampleMessage(type.name);
    const session = type.beforeSignIn ? 0 : 7;
    const result = open((isReply ? down : up).seal(message, session), isReply ? atTerminal : atHub);
    assert.ok(result.ok, `${type.name}: ${result.ok ? '' : result.error.code}`);
    if (result.ok) {
      assert.equal(result.message, message, type.name);
      assert.equal(result.header, { version: 1, direction: isReply ? 'down' : 'up', session });
    }
  }
});

test('the largest chunk and a worst-case settle fit in one frame', () => {
  const chunk = { ...sampleMessage('chunk_reply'), body: { ...sampleBodies().chunk_reply, data: new Uint8Array(chunkBytesMax).fill(0xee) } } as AnyMessage;
  const chunkFrame = down.seal(chunk, 7);
  assert.ok(chunkFrame.length <= frameBytesMax + Math.ceil(frameBytesMax / 254) + 3);
  const opened = open(chunkFrame, atTerminal);
  assert.ok(opened.ok && opened.message.type === 'chunk_reply' && opened.message.body.data.length === chunkBytesMax);

  const lines: FeeLine[] = Array.from({ length: feeLinesPerMessageMax }, (_, i) => ({ sn: `${i}`.padStart(20, '9'), code: 'Z'.repeat(50), qty_milli: 10_000_000, amt: 10_000_000_000 }));
  const results: LineResult[] = lines.map((line) => ({ sn: line.sn, chrgitm_lv: '02', fulamt_ownpay_amt: 1e10, overlmt_amt: 1e10, preselfpay_amt: 1e10, inscp_scp_amt: 1e10, reason: 'restricted:age' }));
  const body = sampleBodies().settle;
  const worst = { ...sampleMessage('settle'), body: { ...body, input: { ...body.input, lines }, result: { ...body.result, lines: results } } } as AnyMessage;
  const frame = up.seal(worst, 7);
  const settled = open(frame);
  assert.ok(settled.ok, settled.ok ? '' : settled.error.code);
});

test('a Sealer refuses a bad body before signing, naming the field', () => {
  const bad = { ...sampleMessage('heartbeat'), body: { state: 'idle', queued: -1 } } as unknown as AnyMessage;
  assert.throws(() => up.seal(bad, 7), (error: Error) => error instanceof RangeError && /body\.queued/.test(error.message));
  const badTerminal = { ...sampleMessage('heartbeat'), terminal: 'has space' } as AnyMessage;
  assert.throws(() => up.seal(badTerminal, 7), (error: Error) => error instanceof RangeError && /terminal/.test(error.message));
  assert.throws(() => up.seal(sampleMessage('settle'), 0), /settle in session 0/);
});

test('replies are matched by terminal and seq, to their request type or the error reply', () => {
  const request = sampleMessage('settle', 55);
  const reply = (type: MessageName, seq = 55) => ({ ...sampleMessage(type, seq) }) as AnyMessage;
  assert.ok(isReplyTo(request, reply('settle_reply')));
  assert.ok(isReplyTo(request, reply('error')));
  assert.not.ok(isReplyTo(request, reply('settle_reply', 54)));
  assert.not.ok(isReplyTo(request, reply('cancel_reply')));
  assert.not.ok(isReplyTo(request, { ...reply('settle_reply'), terminal: 'T-other' } as AnyMessage));
});

class MemoryStore implements SeqStore {
  saved: number | null = null;
  log: string[] = [];
  failNext = false;
  constructor(saved: number | null = null) {
    this.saved = saved;
  }
  async load() {
    return this.saved;
  }
  async save(seq: number) {
    this.log.push(`save ${seq} start`);
    await new Promise((resolve) => setImmediate(resolve));
    if (this.failNext) {
      this.failNext = false;
      throw new Error('disk full');
    }
    this.saved = seq;
    this.log.push(`save ${seq} done`);
  }
}

test('the sequence counter persists before it hands out a number, and never reuses one', async () => {
  const store = new MemoryStore();
  const counter = await SequenceCounter.open(store);
  const first = counter.next().then((seq) => (store.log.push(`got ${seq}`), seq));
  const second = counter.next().then((seq) => (store.log.push(`got ${seq}`), seq));
  assert.equal(await Promise.all([first, second]), [1, 2]);
  assert.equal(store.log, ['save 1 start', 'save 1 done', 'got 1', 'save 2 start', 'save 2 done', 'got 2']);
  store.failNext = true;
  let failed = false;
  await counter.next().catch(() => (failed = true));
  assert.ok(failed);
  assert.is(await counter.next(), 4, 'a number whose save failed is burnt');
  const restarted = await SequenceCounter.open(new MemoryStore(store.saved));
  assert.is(await restarted.next(), 5);
  let refused = false;
  await SequenceCounter.open(new MemoryStore(1.5)).catch((error) => (refused = error instanceof RangeError));
  assert.ok(refused);
});

test('the replay window keeps at most its window of seqs and its byte bound of replies', () => {
  const window = new ReplayWindow(64, 1_000);
  for (let seq = 1; seq <= 500; seq += 1) {
    assert.is(window.check(seq).kind, 'new');
    window.accept(seq);
    window.storeReply(seq, new Uint8Array(100));
    assert.ok(window.size.seqs <= 64 && window.size.replyBytes <= 1_000);
  }
  assert.equal(window.check(500), { kind: 'duplicate', reply: new Uint8Array(100) });
  assert.equal(window.check(440), { kind: 'duplicate', reply: null }, 'known, its reply dropped for space');
  assert.equal(window.check(436), { kind: 'stale' });
  const small = new ReplayWindow(8, 100);
  small.accept(10);
  assert.is(small.check(5).kind, 'new', 'out of order, within the window');
  small.accept(5);
  assert.is(small.check(5).kind, 'duplicate');
  assert.is(small.check(2).kind, 'stale');
});

test('digests: deterministic, independent of object key order, sensitive to any line', () => {
  const encoder = createCborEncoder();
  const lines = sampleLines();
  assert.equal(billDigest(encoder, lines), billDigest(encoder, sampleLines()));
  const changed = sampleLines();
  changed[7] = { ...changed[7]!, qty_milli: changed[7]!.qty_milli + 1 };
  assert.not.equal(billDigest(encoder, changed), billDigest(encoder, lines));
  const result = sampleResult(lines);
  const reordered = { ...result, acc_delta: { 'pool:main': result.acc_delta['pool:main']!, 'ded:op': result.acc_delta['ded:op']! } };
  assert.equal(resultDigest(encoder, reordered), resultDigest(encoder, result));
  assert.is(resultDigest(encoder, result).length, 32);
});

test.run();
