// The wire protocol's two budgets (docs/design.md, budgets), checked before timed:
// - bytes: a 20-line outpatient settle request, as framed on the line, is at
//   most 10 % of the same request as national-interface JSON (2204 fee
//   details + 2207 input, usual envelopes, ≈ 17 KB); the check fails the
//   benchmark otherwise, and the figures give both sizes and line times;
// - time: encode + sign + frame and unframe + verify + decode of that
//   message with node:crypto (the baseline, target ≤ 0.4 ms), each half alone,
//   the same with tweetnacl (its ratio to the baseline IS the providers'
//   ratio), and bare Ed25519 sign + verify of the same payload: seal + open
//   is at most 1.3 × that, in the same run (issue 14; what the envelope,
//   schema, CBOR and framing add on top of the signature itself); the parts
//   ("part: ...") time each of those alone on the same message, so a run
//   shows where seal+open's time beyond the signature goes.
import assert from 'node:assert';
import { createCborEncoder } from '../protocol/cbor-encode';
import { nodeCryptoProvider } from '../protocol/crypto-node';
import { tweetnaclProvider } from '../protocol/crypto-tweetnacl';
import { billDigest, resultDigest } from '../protocol/digests';
import { decodeStrict } from '../protocol/cbor-decode';
import { encodeSign1, parseSign1, sigStructure1, wireHeaders, wireProtectedHeader } from '../protocol/cose';
import { createOpener, createSealer, decodePayload, type AnyMessage, type ReceivedFrame } from '../protocol/envelope';
import { encodeFrame, encodeFrameHeader, FrameDecoder } from '../protocol/framing';
import type { Benchmark } from './harness';
import { sampleLines, samplePerson, sampleResult, sampleSettleInput, terminalIdSample, timeSample } from '../test/helpers/messages';
import { nationalSettleJson } from './national-json';

const encoder = createCborEncoder();
const lines = sampleLines(20);
const input = sampleSettleInput(lines, billDigest(encoder, lines));
const result = sampleResult(lines);
const settle: AnyMessage = { type: 'settle', terminal: terminalIdSample, seq: 1_001, time: timeSample, body: { input, result, result_digest: resultDigest(encoder, result) } };
const session = 7;
const seed = new Uint8Array(32).fill(0x5a);

function endpoint(provider: typeof nodeCryptoProvider) {
  const signer = provider.signer(seed);
  const verifier = provider.verifier(signer.publicKey);
  const sealer = createSealer(signer, 'up');
  const opener = createOpener({ expect: 'up', keyFor: () => verifier, clock: () => timeSample });
  const decoder = new FrameDecoder();
  const open = (bytes: Uint8Array) => {
    const events = decoder.push(bytes);
    const frame = events[0] as ReceivedFrame;
    const opened = opener.open(frame);
    if (!opened.ok) throw new Error(opened.error.code);
    return opened.message;
  };
  return { signer, verifier, seal: () => sealer.seal(settle, session), open };
}

const node = endpoint(nodeCryptoProvider);
const nacl = endpoint(tweetnaclProvider);
const frame = node.seal();
const sealer = createSealer(node.signer, 'up');
const headerBytes = encodeFrameHeader('up', session);
const protectedBytes = wireProtectedHeader(encoder, node.signer.kid);
const emptyMap = Uint8Array.of(0xa0);
const parseOptions = { profile: wireHeaders, requireTag: true };
const partDecoder = new FrameDecoder();
const cose = (partDecoder.push(frame)[0] as ReceivedFrame).cose;
const payload = sealer.encodePayload(settle);
const json = nationalSettleJson(input, result, samplePerson);
const lineMs = (bytes: number) => Math.round((bytes * 10 * 1000 * 10) / 115_200) / 10; // 8N1: 10 bits a byte

const benchmark: Benchmark = {
  name: 'protocol',
  title: '20-line settle request: seal (encode+sign+frame) + open (unframe+verify+decode), node:crypto vs tweetnacl',
  baseline: { name: 'seal+open node:crypto', run: () => node.open(node.seal()) },
  contenders: [
    { name: 'seal node:crypto', run: () => node.seal() },
    { name: 'open node:crypto', run: () => node.open(frame) },
    { name: 'bare Ed25519 sign+verify node:crypto', run: () => node.verifier.verify(payload, node.signer.sign(payload)) },
    { name: 'seal+open tweetnacl', run: () => nacl.open(nacl.seal()) },
    // Where seal+open's time beyond the signature goes (issue 14), each part alone on the same message:
    { name: 'part: payload encode (toWire + cbor-x)', run: () => sealer.encodePayload(settle) },
    { name: 'part: payload decode (strict CBOR + fromWire)', run: () => decodePayload(payload) },
    { name: 'part: strict CBOR decode alone', run: () => decodeStrict(payload) },
    { name: 'part: COSE Sig_structure + COSE_Sign1 write + parse', run: () => parseSign1(encodeSign1(protectedBytes, emptyMap, payload, sigStructure1(protectedBytes, headerBytes, payload).subarray(0, 64)), parseOptions) },
    { name: 'part: frame + unframe (CRC-32, COBS)', run: () => partDecoder.push(encodeFrame(headerBytes, cose)) },
  ],
  check() {
    assert.ok(parseSign1(encodeSign1(protectedBytes, emptyMap, payload, sigStructure1(protectedBytes, headerBytes, payload).subarray(0, 64)), parseOptions).ok, 'the COSE part parses what it writes');
    assert.equal(partDecoder.push(encodeFrame(headerBytes, cose))[0]?.kind, 'frame', 'the framing part unframes what it frames');
    assert.ok(decodePayload(payload).ok, 'the decode part opens the payload');
    assert.deepStrictEqual(node.open(node.seal()), settle);
    assert.deepStrictEqual(nacl.open(nacl.seal()), settle);
    assert.deepStrictEqual(Buffer.from(nacl.seal()), Buffer.from(frame), 'both providers write the same frame');
    assert.ok(json.bytes > 14_000 && json.bytes < 20_000, `the national JSON is about 17 KB, built ${json.bytes}`);
    assert.ok(frame.length <= json.bytes * 0.1, `settle request ${frame.length} bytes > 10 % of ${json.bytes}`);
  },
  figures: () => ({
    settle_frame_bytes: frame.length,
    national_json_bytes: json.bytes,
    national_2204_bytes: Buffer.byteLength(json.upload),
    national_2207_bytes: Buffer.byteLength(json.settle),
    wire_percent_of_json: Math.round((1000 * frame.length) / json.bytes) / 10,
    line_ms_115200_frame: lineMs(frame.length),
    line_ms_115200_json: lineMs(json.bytes),
  }),
  targets: [
    { contender: 'seal+open node:crypto', nsPerOpMax: 400_000, note: 'encode+sign+frame and unframe+verify+decode ≤ 0.4 ms (node:crypto)' },
    { contender: 'seal+open node:crypto', versus: 'bare Ed25519 sign+verify node:crypto', ratioMax: 1.3, note: 'seal+open ≤ 1.3 × bare Ed25519 sign+verify of the same payload' },
    { contender: 'seal+open tweetnacl', ratioMax: 1_000, note: 'tweetnacl ratio to node:crypto reported (the × baseline figure)' },
  ],
};

export default benchmark;
