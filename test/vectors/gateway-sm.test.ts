// Proves gateway/sm.ts on the published examples and against a second
// implementation: SM3 gives GB/T 32905's digests of "abc" and of "abcd" x 16,
// and node:crypto's SM3 equals sm-crypto's on seeded random inputs; SM2 with
// GM/T 0003.5's example key derives the example's public key, signs
// "message digest" with the example's nonce to the example's r and s, and
// verifies the example's signature (and refuses it for another message, a
// changed signature, another user id and malformed hex); and on seeded random
// keys and messages the openssl command (OpenSSL's own SM2, with the same
// default user id) verifies our signatures and we verify its.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import smCrypto from 'sm-crypto';
import { defaultUserId, isSm2PrivateKey, sm2PublicKeyOf, sm2Sign, sm2SignWithNonce, sm2Verify, sm3 } from '../../gateway/sm';
import { Random, testSeed } from '../helpers/seed';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

// GM/T 0003.5-2012 (GB/T 32918.5-2017) example on the recommended curve.
const exampleKey = '3945208f7b2144b13f36e38ac6d39f95889393692860b51a42fb81ef4df7c5b8';
const examplePublic = '0409f9df311e5421a150dd7d161e4bc5c672179fad1833fc076bb08ff356f35020ccea490ce26775a52dc6ea718cc1aa600aed05fbf35e084a6632f6072da9ad13';
const exampleNonce = '59276e27d506861a16680f3ad9c02dccef3cc1fa3cdbe4ce6d54b80deac1bc21';
const exampleSignature = 'f5a03b0648d2c4630eeac513e1bb81a15944da3827d5b74143ac7eaceee720b3' + 'b1b6aa29df212fd8763182bc0d421ca1bb9038fd1f7f42d4840b69c485bbc1aa';
const exampleMessage = utf8('message digest');

const seed = testSeed();
const random = new Random(seed);
const randomBytes = (length: number): Uint8Array => random.bytes(length);

test('SM3 gives the standard\'s digests (GB/T 32905 examples)', () => {
  assert.is(hex(sm3('abc')), '66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0');
  assert.is(hex(sm3('abcd'.repeat(16))), 'debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732');
});

test(`node:crypto's SM3 equals sm-crypto's on random inputs (TEST_SEED=${seed})`, () => {
  for (let round = 0; round < 200; round += 1) {
    const data = random.bytes(random.int(300));
    assert.is(hex(sm3(data)), smCrypto.sm3(Array.from(data)), `TEST_SEED=${seed} round ${round}`);
  }
});

test('SM2: the example key, nonce and message give the example public key and signature', () => {
  assert.is(sm2PublicKeyOf(exampleKey), examplePublic);
  assert.is(sm2SignWithNonce(exampleMessage, exampleKey, exampleNonce, defaultUserId), exampleSignature);
  assert.ok(sm2Verify(exampleMessage, exampleSignature, examplePublic));
});

test('SM2 verification refuses another message, a changed signature, another user id and malformed input', () => {
  assert.not.ok(sm2Verify(utf8('message digesT'), exampleSignature, examplePublic));
  const flipped = exampleSignature.slice(0, 127) + (exampleSignature.endsWith('a') ? 'b' : 'a');
  assert.not.ok(sm2Verify(exampleMessage, flipped, examplePublic));
  assert.not.ok(sm2Verify(exampleMessage, exampleSignature, examplePublic, 'ALICE123@YAHOO.COM'));
  for (const bad of ['', exampleSignature.slice(2), exampleSignature.toUpperCase(), `${exampleSignature}00`, 'zz'.repeat(64), '0'.repeat(128)]) {
    assert.not.ok(sm2Verify(exampleMessage, bad, examplePublic), bad.slice(0, 12));
  }
  for (const bad of ['', examplePublic.slice(2), `03${examplePublic.slice(2)}`, examplePublic.slice(0, 129) + '0']) {
    assert.not.ok(sm2Verify(exampleMessage, exampleSignature, bad), bad.slice(0, 12));
  }
  assert.not.ok(isSm2PrivateKey('0'.repeat(64)));
  assert.not.ok(isSm2PrivateKey(exampleKey.toUpperCase()));
});

test(`SM2 signatures draw a fresh nonce each time and verify (TEST_SEED=${seed})`, () => {
  const first = sm2Sign(exampleMessage, exampleKey, randomBytes);
  const second = sm2Sign(exampleMessage, exampleKey, randomBytes);
  assert.is.not(first, second);
  assert.ok(sm2Verify(exampleMessage, first, examplePublic) && sm2Verify(exampleMessage, second, examplePublic));
});

// ---- OpenSSL, the second implementation ---------------------------------------
/** DER INTEGER of a non-negative hex value. */
function derInteger(valueHex: string): string {
  let body = valueHex.replace(/^(00)+(?=[0-9a-f]{2})/, '');
  if (Number.parseInt(body.slice(0, 2), 16) >= 0x80) body = `00${body}`;
  return `02${(body.length / 2).toString(16).padStart(2, '0')}${body}`;
}
const derSignature = (rs: string): Buffer => {
  const body = derInteger(rs.slice(0, 64)) + derInteger(rs.slice(64));
  return Buffer.from(`30${(body.length / 2).toString(16).padStart(2, '0')}${body}`, 'hex');
};
/** r s of a DER signature (two INTEGERs in a SEQUENCE, short lengths). */
function rsOf(der: Buffer): string {
  const out: string[] = [];
  let at = 2;
  for (let i = 0; i < 2; i += 1) {
    const length = der[at + 1] as number;
    out.push(der.subarray(at + 2, at + 2 + length).toString('hex').replace(/^00(?=[0-9a-f]{64}$)/, '').padStart(64, '0'));
    at += 2 + length;
  }
  return out.join('');
}
/** SEC1 ECPrivateKey on the SM2 curve (OID 1.2.156.10197.1.301), as DER. */
const sm2KeyDer = (privateHex: string): Buffer =>
  Buffer.from(`30770201010420${privateHex}a00a06082a811ccf5501822da144034200${sm2PublicKeyOf(privateHex)}`, 'hex');

function openssl(args: string[]): Buffer {
  return execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] });
}

test(`openssl verifies our SM2 signatures and we verify its (TEST_SEED=${seed})`, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'gateway-sm-'));
  try {
    for (let round = 0; round < 4; round += 1) {
      let key = hex(random.bytes(32));
      while (!isSm2PrivateKey(key)) key = hex(random.bytes(32));
      const message = random.bytes(1 + random.int(200));
      const file = (name: string) => path.join(dir, `${name}${round}`);
      writeFileSync(file('key.der'), sm2KeyDer(key));
      writeFileSync(file('msg'), message);
      openssl(['pkey', '-inform', 'DER', '-in', file('key.der'), '-out', file('key.pem')]);
      openssl(['pkey', '-in', file('key.pem'), '-pubout', '-out', file('pub.pem')]);
      const common = ['-rawin', '-digest', 'sm3', '-in', file('msg'), '-pkeyopt', `distid:${defaultUserId}`];

      const ours = sm2Sign(message, key, randomBytes);
      writeFileSync(file('ours.der'), derSignature(ours));
      const verified = openssl(['pkeyutl', '-verify', '-pubin', '-inkey', file('pub.pem'), '-sigfile', file('ours.der'), ...common]).toString();
      assert.match(verified, /Signature Verified Successfully/, `TEST_SEED=${seed} round ${round}`);

      openssl(['pkeyutl', '-sign', '-inkey', file('key.pem'), '-out', file('theirs.der'), ...common]);
      const theirs = rsOf(readFileSync(file('theirs.der')));
      assert.ok(sm2Verify(message, theirs, sm2PublicKeyOf(key)), `TEST_SEED=${seed} round ${round}: openssl's signature`);
      assert.not.ok(sm2Verify(Uint8Array.from([...message, 0]), theirs, sm2PublicKeyOf(key)));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
