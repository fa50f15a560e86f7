// Proves the integrators' commands on the built firmware (node dist/terminal.js):
// `cose sign` reproduces the COSE vector key's signature and both providers
// write the same bytes (tweetnacl loaded on demand from its own bundle, and
// refused with exit 2 when that bundle is absent); `cose verify` exits 0 with
// the payload, 1 when the signature does not verify, 2 on malformed input,
// including the cose-wg vectors; `frame decode` prints one JSON line per
// frame and per run of garbage, verifies with the keys given, and exits 1
// when a frame does not verify, when a frame is malformed, or when the input
// holds no frame at all (with or without --pub).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { bytesToHex } from '../../protocol/crypto';
import { nodeCryptoProvider } from '../../protocol/crypto-node';
import { createSealer } from '../../protocol/envelope';
import { encodeFrame, encodeFrameHeader } from '../../protocol/framing';
import { projectRoot, runTerminal, terminalBundle } from '../helpers/cli';
import { sampleMessage } from '../helpers/messages';

const vector = JSON.parse(readFileSync(path.join(projectRoot, 'test/fixtures/cose/eddsa-examples/eddsa-sig-01.json'), 'utf8'));
const seedHex: string = vector.input.sign0.key.d_hex;
const pubHex: string = vector.input.sign0.key.x_hex;
const payload = Buffer.from(vector.input.plaintext, 'utf8');

/** runTerminal with binary stdout. */
function runBinary(args: string[], input: Buffer, bundle = terminalBundle) {
  const result = spawnSync(process.execPath, [bundle, ...args], { cwd: projectRoot, input, timeout: 60_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr.toString('utf8') };
}

test('cose sign writes a tagged COSE_Sign1 (alg -8, kid protected), the same bytes with either provider', () => {
  const node = runBinary(['cose', 'sign', '--seed', seedHex], payload);
  assert.is(node.code, 0, node.stderr);
  const kid = pubHex.slice(0, 16);
  assert.ok(node.stdout.toString('hex').startsWith(`d2844da2012704 48${kid}`.replace(' ', '')), node.stdout.toString('hex'));
  const nacl = runBinary(['cose', 'sign', '--seed', seedHex, '--crypto', 'tweetnacl'], payload);
  assert.is(nacl.code, 0, nacl.stderr);
  assert.is(nacl.stdout.toString('hex'), node.stdout.toString('hex'));
  const verified = runBinary(['cose', 'verify', '--pub', pubHex], node.stdout);
  assert.is(verified.code, 0, verified.stderr);
  assert.is(verified.stdout.toString('utf8'), vector.input.plaintext);
});

test('cose verify: the cose-wg Ed25519 vector verifies (exit 0, payload on stdout)', () => {
  const result = runBinary(['cose', 'verify', '--pub', pubHex], Buffer.from(vector.output.cbor, 'hex'));
  assert.is(result.code, 0, result.stderr);
  assert.is(result.stdout.toString('utf8'), vector.input.plaintext);
  const nacl = runBinary(['cose', 'verify', '--pub', pubHex, '--crypto', 'tweetnacl'], Buffer.from(vector.output.cbor, 'hex'));
  assert.is(nacl.code, 0, nacl.stderr);
});

test('cose verify: exit 1 when it does not verify, 2 on malformed input', () => {
  const good = Buffer.from(vector.output.cbor, 'hex');
  const flipped = Buffer.from(good);
  flipped[flipped.length - 3] = (flipped[flipped.length - 3] as number) ^ 1;
  const rows: Array<[string, Buffer, string[], number, RegExp]> = [
    ['altered signature', flipped, [], 1, /not verified: bad_signature/],
    ['another key', good, ['--pub', 'ab'.repeat(32)], 1, /not verified/],
    ['ES256 vector (alg unsupported)', Buffer.from(JSON.parse(readFileSync(path.join(projectRoot, 'test/fixtures/cose/sign1-tests/sign-pass-02.json'), 'utf8')).output.cbor, 'hex'), [], 1, /alg_unsupported/],
    ['wrong tag 998', Buffer.from(JSON.parse(readFileSync(path.join(projectRoot, 'test/fixtures/cose/sign1-tests/sign-fail-01.json'), 'utf8')).output.cbor, 'hex'), [], 2, /malformed: wrong_tag/],
    ['not CBOR', Buffer.from('hello'), [], 2, /malformed/],
    ['empty input', Buffer.alloc(0), [], 2, /malformed/],
    ['truncated', good.subarray(0, good.length - 1), [], 2, /malformed/],
  ];
  for (const [name, input, extra, code, stderr] of rows) {
    const args = extra.length > 0 ? ['cose', 'verify', ...extra] : ['cose', 'verify', '--pub', pubHex];
    const result = runBinary(args, input);
    assert.is(result.code, code, `${name}: ${result.stderr}`);
    assert.match(result.stderr, stderr, name);
    assert.is(result.stdout.length, 0, name);
    assert.is(result.stderr.trimEnd().split('\n').length, 1, name);
  }
});

test('cose: bad flags exit 2 with one line', () => {
  for (const args of [['cose'], ['cose', 'frob'], ['cose', 'sign'], ['cose', 'sign', '--seed', 'zz'], ['cose', 'verify', '--pub', '00'], ['cose', 'sign', '--seed', seedHex, '--crypto', 'libsodium']]) {
    const result = runTerminal(args, { input: '' });
    assert.is(result.code, 2, args.join(' '));
    assert.is(result.stderr.trimEnd().split('\n').length, 1, args.join(' '));
  }
  const help = runTerminal(['cose', '--help']);
  assert.is(help.code, 0);
  assert.match(help.stdout, /cose sign --seed HEX64/);
});

test('--crypto tweetnacl loads crypto-tweetnacl.js from beside the firmware by its fixed name: without it exit 2, saying so; with it the same signature as node:crypto', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'firmware-'));
  try {
    const firmware = path.join(dir, 'terminal.js');
    copyFileSync(terminalBundle, firmware);
    const missing = runBinary(['cose', 'sign', '--seed', seedHex, '--crypto', 'tweetnacl'], payload, firmware);
    assert.is(missing.code, 2);
    assert.match(missing.stderr, /cannot load .*crypto-tweetnacl\.js/);
    const node = runBinary(['cose', 'sign', '--seed', seedHex], payload, firmware);
    assert.is(node.code, 0, 'the default provider needs no other file');
    copyFileSync(path.join(path.dirname(terminalBundle), 'crypto-tweetnacl.js'), path.join(dir, 'crypto-tweetnacl.js'));
    const nacl = runBinary(['cose', 'sign', '--seed', seedHex, '--crypto', 'tweetnacl'], payload, firmware);
    assert.is(nacl.code, 0, nacl.stderr);
    assert.equal(nacl.stdout, node.stdout, 'Ed25519 is deterministic: the same COSE_Sign1 bytes');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('frame decode: one JSON line per frame and per garbage run, signatures verified by kid', () => {
  const terminal = nodeCryptoProvider.signer(new Uint8Array(32).fill(1));
  const hub = nodeCryptoProvider.signer(new Uint8Array(32).fill(2));
  const capture = Buffer.concat([
    Buffer.from('line noise'),
    createSealer(terminal, 'up').seal(sampleMessage('sign_in', 1), 0),
    createSealer(hub, 'down').seal(sampleMessage('sign_in_reply', 1), 0),
    createSealer(terminal, 'up').seal(sampleMessage('settle', 2), 7),
    Buffer.from([0x41, 0x42, 0x43]),
  ]);
  const dir = mkdtempSync(path.join(tmpdir(), 'capture-'));
  try {
    const file = path.join(dir, 'line.bin');
    writeFileSync(file, capture);
    const keys = ['--pub', bytesToHex(terminal.publicKey), '--pub', bytesToHex(hub.publicKey)];
    const result = runTerminal(['frame', 'decode', ...keys, file]);
    assert.is(result.code, 0, result.stderr);
    const lines = result.stdout.trimEnd().split('\n').map((line) => JSON.parse(line));
    assert.equal(
      lines.map((line) => line.type ?? `garbage:${line.reason}`),
      ['garbage:cobs', 'sign_in', 'sign_in_reply', 'settle', 'garbage:torn'],
    );
    const settle = lines[3];
    assert.equal([settle.direction, settle.session, settle.national, settle.seq, settle.signature, settle.schema], ['up', 7, '2207', 2, 'verified', 'ok']);
    assert.is(settle.kid, bytesToHex(terminal.kid));
    assert.match(settle.body, /^\[\["110105202603140000123", "13012500000000000123456789", "2026-03-14", 0, null, true/);
    assert.is(settle.time_utc, '2026-03-14T08:00:00.000Z');

    const unchecked = runTerminal(['frame', 'decode'], { input: capture });
    assert.is(unchecked.code, 0);
    assert.match(unchecked.stdout, /"signature":"unchecked"/);
    const wrongKey = runTerminal(['frame', 'decode', '--pub', 'ab'.repeat(32), file]);
    assert.is(wrongKey.code, 1);
    assert.match(wrongKey.stdout, /"signature":"unknown_kid"/);
    const missing = runTerminal(['frame', 'decode', path.join(dir, 'absent.bin')]);
    assert.is(missing.code, 2);
    assert.match(missing.stderr, /cannot read .*ENOENT/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('frame decode: exit 1 without --pub on malformed input: only garbage, a frame whose COSE_Sign1 is broken, a payload that is no message', () => {
  const header = encodeFrameHeader('up', 0);
  const signer = nodeCryptoProvider.signer(new Uint8Array(32).fill(1));
  const good = createSealer(signer, 'up').seal(sampleMessage('sign_in', 1), 0);
  const cases: [string, Buffer][] = [
    ['only garbage', Buffer.from('\x00not a frame at all\x00more line noise\x00')],
    ['a broken COSE_Sign1', Buffer.from(encodeFrame(header, Uint8Array.of(0xd2, 0x84, 0x40, 0xa0, 0x40, 0x40, 0x40, 0x40)))],
    ['a payload that is no message', Buffer.from(encodeFrame(header, Uint8Array.of(0xd2, 0x84, 0x43, 0xa1, 0x01, 0x27, 0xa0, 0x41, 0x00, 0x40)))],
    ['a good frame, then a broken one', Buffer.concat([good, encodeFrame(header, Uint8Array.of(0xd2, 0x83, 0x40, 0xa0, 0x40, 0x40, 0x40, 0x40))])],
  ];
  for (const [name, input] of cases) {
    const out = runTerminal(['frame', 'decode'], { input });
    assert.is(out.code, 1, `${name}: ${out.stdout}`);
  }
  assert.is(runTerminal(['frame', 'decode'], { input: Buffer.from(good) }).code, 0, 'a good frame alone');
  assert.is(runTerminal(['frame', 'decode'], { input: Buffer.alloc(0) }).code, 0, 'nothing at all');
});

test.run();
