// Proves the hub side refuses hostile messages with the right typed error:
// a table of frames (wrong types, oversize fields, unknown message type,
// replayed and stale seq, wrong kid, expired and future time, a signature
// from another key, a frame moved to another session or direction, CBOR
// the strict decoder refuses, COSE headers the wire profile refuses) is
// opened by an Opener and a ReplayWindow, and each row gets its code; the
// same hostile bytes thrown at every public decoding entry never throw.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeStrict } from '../../protocol/cbor-decode';
import { createCborEncoder, type WireValue } from '../../protocol/cbor-encode';
import { concat, encodeSign1, parseSign1, signSign1, sigStructure1, verifySign1, wireProtectedHeader, genericHeaders, wireHeaders } from '../../protocol/cose';
import type { Signer } from '../../protocol/crypto';
import { nodeCryptoProvider } from '../../protocol/crypto-node';
import { createOpener, createSealer, decodePayload, errorReplyCode, type AnyMessage, type ReceivedFrame } from '../../protocol/envelope';
import { encodeFrame, encodeFrameHeader, FrameDecoder, type Direction } from '../../protocol/framing';
import { clockSkewSecondsMax, replayWindowMax } from '../../protocol/limits';
import { messageTypeByName } from '../../protocol/messages';
import { toWire } from '../../protocol/schema';
import { ReplayWindow } from '../../protocol/sequence';
import { sampleMessage, terminalIdSample, timeSample } from '../helpers/messages';

const encoder = createCborEncoder();
const terminal = nodeCryptoProvider.signer(new Uint8Array(32).fill(1));
const attacker = nodeCryptoProvider.signer(new Uint8Array(32).fill(2));
const terminalVerifier = nodeCryptoProvider.verifier(terminal.publicKey);
const session = 7;

const opener = createOpener({
  expect: 'up',
  keyFor: (kid) => (Buffer.from(kid).equals(Buffer.from(terminal.kid)) ? terminalVerifier : null),
  clock: () => timeSample,
});

function frameOf(bytes: Uint8Array): ReceivedFrame {
  const events = new FrameDecoder().push(bytes);
  assert.is(events.length, 1);
  const event = events[0];
  assert.ok(event?.kind === 'frame', 'the bytes are one frame');
  return event as ReceivedFrame;
}

/** Seals raw payload bytes, bypassing the schema check a Sealer does (an attacker's or a buggy peer's frame). */
function sealRaw(payload: Uint8Array, options: { signer?: Signer; direction?: Direction; session?: number; protectedBytes?: Uint8Array } = {}): Uint8Array {
  const signer = options.signer ?? terminal;
  const header = encodeFrameHeader(options.direction ?? 'up', options.session ?? session);
  const protectedBytes = options.protectedBytes ?? wireProtectedHeader(encoder, signer.kid);
  return encodeFrame(header, signSign1(protectedBytes, payload, signer, header));
}

function payloadOf(message: AnyMessage, body?: WireValue): Uint8Array {
  const type = messageTypeByName(message.type);
  return encoder.encode([type.id, message.terminal, message.seq, message.time, body ?? toWire(type.body, message.body, 'body')]);
}

/** A payload whose body is raw CBOR bytes (for shapes no encoder writes). */
function payloadWithRawBody(typeId: number, bodyBytes: Uint8Array): Uint8Array {
  const prefix = encoder.encode([typeId, terminalIdSample, 1_001, timeSample]);
  const out = Uint8Array.from(prefix);
  out[0] = 0x85; // the same array, five items long
  return concat([out, bodyBytes]);
}

const settle = sampleMessage('settle');
const settleWire = () => toWire(messageTypeByName('settle').body, settle.body, 'body') as WireValue[];
const valid = createSealer(terminal, 'up').seal(settle, session);

function withHeader(frame: Uint8Array, direction: Direction, newSession: number): Uint8Array {
  const received = frameOf(frame);
  return encodeFrame(encodeFrameHeader(direction, newSession), received.cose);
}

function withSignature(frame: Uint8Array, change: (signature: Uint8Array) => Uint8Array): Uint8Array {
  const received = frameOf(frame);
  const parsed = parseSign1(received.cose, { profile: wireHeaders, requireTag: true });
  assert.ok(parsed.ok);
  if (!parsed.ok) return frame;
  const cose = encodeSign1(parsed.sign1.protectedBytes, Uint8Array.of(0xa0), parsed.sign1.payload, change(parsed.sign1.signature));
  return encodeFrame(received.headerBytes, cose);
}

function sPlusL(signature: Uint8Array): Uint8Array {
  const L = (1n << 252n) + 27742317777372353535851937790883648493n;
  let s = 0n;
  for (let i = 31; i >= 0; i -= 1) s = (s << 8n) | BigInt(signature[32 + i] as number);
  let value = s + L;
  const out = signature.slice();
  for (let i = 0; i < 32; i += 1) {
    out[32 + i] = Number(value & 0xffn);
    value >>= 8n;
  }
  return out;
}

const hexBytes = (text: string) => Uint8Array.from(Buffer.from(text.replace(/\s+/g, ''), 'hex'));
const withLine = (change: Record<string, unknown>) => {
  const body = settleWire();
  const input = [...(body[0] as WireValue[])];
  const lines = [...(input[9] as WireValue[])];
  const line = [...(lines[0] as WireValue[])];
  for (const [index, value] of Object.entries(change)) line[Number(index)] = value as WireValue;
  lines[0] = line;
  input[9] = lines;
  return [input, body[1] as WireValue, body[2] as WireValue];
};

const hostile: ReadonlyArray<{ name: string; frame: () => Uint8Array; code: string; path?: RegExp }> = [
  { name: 'a valid settle request', frame: () => valid, code: 'ok' },
  { name: 'amount as text (wrong type)', frame: () => sealRaw(payloadOf(settle, withLine({ 3: '3600' }))), code: 'schema_violation', path: /^body\.input\.lines\[0\]\.amt$/ },
  { name: 'negative amount', frame: () => sealRaw(payloadOf(settle, withLine({ 3: -1 }))), code: 'schema_violation', path: /lines\[0\]\.amt/ },
  { name: 'item code over 50 bytes (oversize field)', frame: () => sealRaw(payloadOf(settle, withLine({ 1: 'X'.repeat(51) }))), code: 'schema_violation', path: /lines\[0\]\.code/ },
  { name: 'a 40,000-byte string (over the decoder bound)', frame: () => sealRaw(payloadOf(settle, withLine({ 1: 'X'.repeat(40_000) }))), code: 'payload_malformed' },
  { name: 'enum index out of range', frame: () => sealRaw(payloadOf(settle, withLine({}).map((item, i) => (i === 0 ? (item as WireValue[]).map((f, j) => (j === 3 ? 9 : f)) : item)))), code: 'schema_violation', path: /input\.med_type/ },
  { name: 'a body array one item too long', frame: () => sealRaw(payloadOf(settle, [...settleWire(), 0])), code: 'schema_violation', path: /^body$/ },
  { name: 'unknown message type 37 (past the last one)', frame: () => sealRaw(payloadWithRawBody(37, Uint8Array.of(0x80))), code: 'unknown_type' },
  { name: 'unknown message type 9999', frame: () => sealRaw(payloadWithRawBody(9999, Uint8Array.of(0x80))), code: 'unknown_type' },
  { name: 'message type as text', frame: () => sealRaw(encoder.encode(['settle', terminalIdSample, 1, timeSample, []])), code: 'unknown_type' },
  { name: 'payload not a 5-item array', frame: () => sealRaw(encoder.encode([11, terminalIdSample, 1, timeSample])), code: 'schema_violation', path: /^payload$/ },
  { name: 'duplicate map keys in the body', frame: () => sealRaw(payloadWithRawBody(29, hexBytes('a2 01 01 01 02'))), code: 'payload_malformed' },
  { name: 'a float for an integer', frame: () => sealRaw(payloadWithRawBody(29, hexBytes('82 00 fb 3ff8000000000000'))), code: 'payload_malformed' },
  { name: 'an indefinite-length array', frame: () => sealRaw(payloadWithRawBody(29, hexBytes('9f 00 02 ff'))), code: 'payload_malformed' },
  { name: 'nesting 20 deep', frame: () => sealRaw(payloadWithRawBody(29, concat([new Uint8Array(20).fill(0x81), Uint8Array.of(0)]))), code: 'payload_malformed' },
  { name: 'trailing bytes after the payload', frame: () => sealRaw(concat([payloadOf(settle), Uint8Array.of(0)])), code: 'payload_malformed' },
  { name: 'invalid UTF-8 in the terminal id', frame: () => sealRaw(concat([hexBytes('85 0b 62 c0 ae 01 01'), Uint8Array.of(0x80)])), code: 'payload_malformed' },
  { name: 'wrong kid (a key the hub does not know)', frame: () => createSealer(attacker, 'up').seal(settle, session), code: 'unknown_kid' },
  { name: "signature from another key under the terminal's kid", frame: () => sealRaw(payloadOf(settle), { signer: { ...attacker, kid: terminal.kid } }), code: 'bad_signature' },
  { name: 'signature with S + L (non-canonical)', frame: () => withSignature(valid, sPlusL), code: 'bad_signature' },
  { name: 'signature with one bit flipped', frame: () => withSignature(valid, (s) => Uint8Array.from(s, (b, i) => (i === 9 ? b ^ 4 : b))), code: 'bad_signature' },
  { name: 'frame moved to another session (aad)', frame: () => withHeader(valid, 'up', session + 1), code: 'bad_signature' },
  { name: 'frame reflected to the other direction', frame: () => withHeader(valid, 'down', session), code: 'wrong_direction' },
  { name: 'expired time', frame: () => createSealer(terminal, 'up').seal(sampleMessage('settle', 1_001, timeSample - clockSkewSecondsMax - 1), session), code: 'time_skew' },
  { name: 'time from the future', frame: () => createSealer(terminal, 'up').seal(sampleMessage('settle', 1_001, timeSample + clockSkewSecondsMax + 1), session), code: 'time_skew' },
  { name: 'settle before sign-in (session 0)', frame: () => sealRaw(payloadOf(settle), { session: 0 }), code: 'not_signed_in' },
  { name: 'untagged COSE_Sign1', frame: () => { const f = frameOf(valid); return encodeFrame(f.headerBytes, f.cose.subarray(1)); }, code: 'not_tagged' },
  { name: 'alg ES256 in the protected header', frame: () => sealRaw(payloadOf(settle), { protectedBytes: encoder.encode(new Map<number, WireValue>([[1, -7], [4, terminal.kid]])) }), code: 'alg_unsupported' },
  { name: 'kid missing', frame: () => sealRaw(payloadOf(settle), { protectedBytes: encoder.encode(new Map<number, WireValue>([[1, -8]])) }), code: 'kid_missing' },
  { name: 'a protected content type (not in the wire profile)', frame: () => sealRaw(payloadOf(settle), { protectedBytes: encoder.encode(new Map<number, WireValue>([[1, -8], [3, 0], [4, terminal.kid]])) }), code: 'header_unsupported' },
  { name: 'alg -19 (Ed25519) is accepted', frame: () => sealRaw(payloadOf(settle), { protectedBytes: encoder.encode(new Map<number, WireValue>([[1, -19], [4, terminal.kid]])) }), code: 'ok' },
];

for (const row of hostile) {
  test(`hostile: ${row.name} -> ${row.code}`, () => {
    const result = opener.open(frameOf(row.frame()));
    assert.is(result.ok ? 'ok' : result.error.code, row.code, result.ok ? '' : `${result.error.detail} ${result.error.path ?? ''}`);
    if (!result.ok && row.path) assert.match(result.error.path ?? '', row.path);
    if (!result.ok) assert.type(errorReplyCode(result.error), 'string');
  });
}

test('hostile: a replayed seq is a duplicate answered with the stored reply; one older than the window is stale', () => {
  const window = new ReplayWindow();
  const hubSealer = createSealer(nodeCryptoProvider.signer(new Uint8Array(32).fill(9)), 'down');
  const receive = (frame: Uint8Array) => {
    const opened = opener.open(frameOf(frame));
    assert.ok(opened.ok);
    return opened.ok ? window.check(opened.message.seq) : ({ kind: 'stale' } as const);
  };
  assert.equal(receive(valid), { kind: 'new' });
  window.accept(settle.seq);
  const duplicateWhileWorking = receive(valid);
  assert.equal(duplicateWhileWorking, { kind: 'duplicate', reply: null });
  const reply = hubSealer.seal({ ...sampleMessage('settle_reply'), seq: settle.seq } as AnyMessage, session);
  window.storeReply(settle.seq, reply);
  const duplicate = receive(valid);
  assert.ok(duplicate.kind === 'duplicate' && duplicate.reply === reply, 'the stored reply, byte for byte');
  // A retry re-sealed with a fresh time is the same message to the window: keyed on seq, never on signature bytes.
  const retry = createSealer(terminal, 'up').seal(sampleMessage('settle', settle.seq, timeSample + 5), session);
  assert.not.equal(retry, valid);
  assert.is(receive(retry).kind, 'duplicate');
  const later = settle.seq + replayWindowMax - 1; // the window holds (highest - windowMax, highest]
  window.accept(later);
  assert.equal(receive(valid), { kind: 'duplicate', reply }, 'still within the window');
  window.accept(later + 1);
  assert.equal(receive(valid), { kind: 'stale' });
  assert.is(errorReplyCode({ code: 'time_skew', detail: '' }), 'time_skew');
});

test('hostile bytes thrown at every public decoding entry never throw', () => {
  const inputs: Uint8Array[] = [
    new Uint8Array(0),
    Uint8Array.of(0),
    Uint8Array.of(0xff),
    hexBytes('d2 84 40 a0 f6 40'),
    hexBytes('d2 84 41 a0 a0 40 40'),
    hexBytes('d2 9f ff'),
    hexBytes('1b ffffffffffffffff'),
    hexBytes('7a ffffffff'),
    hexBytes('9b 00000000ffffffff'),
    hexBytes('bb 00000000ffffffff'),
    new Uint8Array(64).fill(0x81),
    frameOf(valid).cose,
    ...Array.from({ length: 200 }, (_, i) => {
      const bytes = Uint8Array.from(frameOf(valid).cose);
      const at = (i * 7919) % bytes.length;
      bytes[at] = (bytes[at] as number) ^ (1 << (i % 8));
      return bytes.subarray(0, bytes.length - (i % 5));
    }),
  ];
  for (const bytes of inputs) {
    decodeStrict(bytes);
    parseSign1(bytes, { profile: wireHeaders, requireTag: true });
    parseSign1(bytes, { profile: genericHeaders, requireTag: false });
    verifySign1(bytes, { profile: wireHeaders, requireTag: true, externalAad: new Uint8Array(6), keyFor: () => terminalVerifier });
    decodePayload(bytes);
    new FrameDecoder().push(bytes);
    const frame = new FrameDecoder().push(encodeFrame(encodeFrameHeader('up', 1), bytes))[0];
    if (frame?.kind === 'frame') opener.open(frame);
  }
  assert.ok(sigStructure1(new Uint8Array(0), new Uint8Array(0), new Uint8Array(0)).length > 0);
});

test.run();
