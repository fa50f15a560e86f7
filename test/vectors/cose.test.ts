// Proves the COSE_Sign1 envelope against the cose-wg Examples: the Ed25519
// vector eddsa-sig-01 is reproduced byte for byte (Sig_structure, signature
// from both providers, the whole tagged COSE_Sign1) and verifies; the
// structural sign1-tests failures are refused for the right reason (wrong
// tag, altered payload, changed algorithm, protected header changed), using
// an ES256 verifier built in this test from the vectors' P-256 key (the
// protocol itself verifies EdDSA only); the passes verify, except where this
// envelope is deliberately stricter than RFC 9052 (alg left unprotected).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createPublicKey, verify as nodeVerify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createCborEncoder } from '../../protocol/cbor-encode';
import { encodeSign1, parseSign1, sigStructure1, verifySign1, type CoseErrorCode, type VerifyOptions, genericHeaders, wireHeaders } from '../../protocol/cose';
import { bytesToHex, hexToBytes, type Verifier } from '../../protocol/crypto';
import { nodeCryptoProvider } from '../../protocol/crypto-node';
import { tweetnaclProvider } from '../../protocol/crypto-tweetnacl';
import { projectRoot } from '../helpers/cli';

const coseDir = path.join(projectRoot, 'test', 'fixtures', 'cose');
const read = (name: string) => JSON.parse(readFileSync(path.join(coseDir, name), 'utf8'));
const hex = (text: string) => Buffer.from(text, 'hex');
const empty = new Uint8Array(0);

const eddsa = read('eddsa-examples/eddsa-sig-01.json');
const output = hex(eddsa.output.cbor);
const key = eddsa.input.sign0.key;
const plaintext = Buffer.from(eddsa.input.plaintext, 'utf8');

test('eddsa-sig-01: the Sig_structure is the vector\'s ToBeSign', () => {
  const parsed = parseSign1(output, { profile: genericHeaders, requireTag: true });
  assert.ok(parsed.ok);
  if (!parsed.ok) return;
  assert.is(bytesToHex(parsed.sign1.protectedBytes), 'a201270300');
  assert.is(bytesToHex(sigStructure1(parsed.sign1.protectedBytes, empty, plaintext)), eddsa.intermediates.ToBeSign_hex.toLowerCase());
});

for (const provider of [nodeCryptoProvider, tweetnaclProvider]) {
  test(`eddsa-sig-01: ${provider.name} reproduces the COSE_Sign1 byte for byte`, () => {
    const signer = provider.signer(hexToBytes(key.d_hex, 32, 'd'));
    assert.is(bytesToHex(signer.publicKey), key.x_hex);
    const protectedBytes = hex('a201270300');
    const signature = signer.sign(sigStructure1(protectedBytes, empty, plaintext));
    const unprotected = createCborEncoder().encode(new Map([[4, new Uint8Array(Buffer.from(eddsa.input.sign0.unprotected.kid, 'utf8'))]]));
    const encoded = encodeSign1(protectedBytes, unprotected, plaintext, signature);
    assert.is(bytesToHex(encoded), bytesToHex(output));
  });

  test(`eddsa-sig-01: ${provider.name} verifies it, and refuses it with one bit changed`, () => {
    const verifier = provider.verifier(hexToBytes(key.x_hex, 32, 'x'));
    const options: VerifyOptions = { profile: genericHeaders, requireTag: true, externalAad: empty, keyFor: () => verifier };
    const result = verifySign1(output, options);
    assert.ok(result.ok);
    if (result.ok) assert.is(Buffer.from(result.sign1.payload).toString('utf8'), eddsa.input.plaintext);
    const flipped = Uint8Array.from(output);
    flipped[flipped.length - 1] = (flipped[flipped.length - 1] as number) ^ 0x01;
    const refused = verifySign1(flipped, options);
    assert.is(refused.ok ? 'ok' : refused.error.code, 'bad_signature');
    const otherAad = verifySign1(output, { ...options, externalAad: Uint8Array.of(1) });
    assert.is(otherAad.ok ? 'ok' : otherAad.error.code, 'bad_signature');
  });
}

test('eddsa-sig-01 in the wire profile: refused, its kid is unprotected and it protects a content type', () => {
  const result = parseSign1(output, { profile: wireHeaders, requireTag: true });
  assert.is(result.ok ? 'ok' : result.error.code, 'header_unsupported');
});

/** A P-256/SHA-256 verifier (COSE ES256: r || s, 64 bytes) for the sign1-tests key; test-only. */
function es256Verifier(jwk: { x: string; y: string }): Verifier {
  const publicKey = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y }, format: 'jwk' });
  return {
    publicKey: empty,
    kid: empty,
    verify: (message, signature) => nodeVerify('sha256', message, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature),
  };
}

const sign1Table: ReadonlyArray<{ file: string; expect: CoseErrorCode | 'ok'; requireTag?: boolean; why: string }> = [
  { file: 'sign-fail-01.json', expect: 'wrong_tag', why: 'tag 998 instead of 18' },
  { file: 'sign-fail-02.json', expect: 'bad_signature', why: 'the payload was changed after signing' },
  { file: 'sign-fail-03.json', expect: 'alg_unsupported', why: 'alg -999' },
  { file: 'sign-fail-04.json', expect: 'alg_unsupported', why: 'alg "unknown"' },
  { file: 'sign-fail-06.json', expect: 'bad_signature', why: 'a protected attribute was added' },
  { file: 'sign-fail-07.json', expect: 'bad_signature', why: 'a protected attribute was removed' },
  { file: 'sign-pass-01.json', expect: 'alg_not_protected', why: 'RFC 9052 allows an unprotected alg; this envelope refuses it on purpose' },
  { file: 'sign-pass-02.json', expect: 'ok', why: 'external_aad is bound' },
  { file: 'sign-pass-03.json', expect: 'ok', requireTag: false, why: 'untagged, where the context allows it' },
  { file: 'sign-pass-03.json', expect: 'not_tagged', requireTag: true, why: 'untagged, where the tag is required (the wire)' },
];

for (const row of sign1Table) {
  test(`sign1-tests ${row.file}: ${row.expect} (${row.why})`, () => {
    const vector = read(`sign1-tests/${row.file}`);
    const verifier = es256Verifier(vector.input.sign0.key);
    const externalAad = vector.input.sign0.external ? hex(vector.input.sign0.external) : empty;
    const result = verifySign1(hex(vector.output.cbor), {
      profile: genericHeaders,
      requireTag: row.requireTag ?? true,
      externalAad,
      algs: [-7],
      keyFor: (kid) => (kid !== null && Buffer.from(kid).toString('utf8') === vector.input.sign0.key.kid ? verifier : null),
    });
    assert.is(result.ok ? 'ok' : result.error.code, row.expect);
    if (result.ok) {
      const toBeSigned = sigStructure1(result.sign1.protectedBytes, externalAad, result.sign1.payload);
      assert.is(bytesToHex(toBeSigned), vector.intermediates.ToBeSign_hex.toLowerCase());
      assert.is(Buffer.from(result.sign1.payload).toString('utf8'), vector.input.plaintext);
    }
  });
}

test('sign1-tests: every failure vector is refused by the wire profile too', () => {
  for (const row of sign1Table.filter((entry) => entry.file.includes('fail'))) {
    const vector = read(`sign1-tests/${row.file}`);
    const result = verifySign1(hex(vector.output.cbor), { profile: wireHeaders, requireTag: true, externalAad: empty, keyFor: () => null });
    assert.not.ok(result.ok, row.file);
  }
});

test.run();
