// SM3 digests and SM2 signatures (GB/T 32905, GB/T 32918 / GM/T 0003), as the
// national platform's envelope requires (`signtype` SM2, `cainfo` the
// signature). SM3 is node:crypto's where its OpenSSL has it (3.x does), else
// sm-crypto's. SM2 signing is sm-crypto's: node:crypto can make keys on the
// SM2 curve but signs them as ECDSA, without the signer's identity digest Z
// of GB/T 32918.2, so it verifies no standard signature (checked: the
// standard's example fails there). README.md, "Runtime dependencies", says
// why sm-crypto; it is the gateway's only, never the firmware's.
//
// The nonce k of each signature comes from the random source the caller
// passes (node:crypto's in production, a seeded one in tests; docs/conventions.md
// habit 6), not from the library's own generator, an RC4 stream seeded once.
// Keys and signatures cross as hex: a private key 64 digits, a public key
// "04" x y (130), a signature r s (128); anything else is refused before
// the library sees it.
import assert from 'node:assert';
import { createHash, getHashes } from 'node:crypto';
import { BigInteger } from 'jsbn';
import smCrypto from 'sm-crypto';

/** The signer's distinguishing identifier when none is agreed (GB/T 32918.2 default, GM/T 0009). */
export const defaultUserId = '1234567812345678';
/** SM2's group order n (GB/T 32918.5 recommended curve). */
const curveOrder = 0xfffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123n;
/** Bytes of a scalar (k, a private key) and of a digest. */
const scalarBytes = 32;
/** Draws of k before giving up: each is refused with probability below 2^-32. */
const nonceDrawsMax = 16;
const privateKeyPattern = /^[0-9a-f]{64}$/;
const publicKeyPattern = /^04[0-9a-f]{128}$/;
const signaturePattern = /^[0-9a-f]{128}$/;

/** Random bytes, as the caller's source gives them (node:crypto's randomBytes in production). */
export type RandomBytes = (length: number) => Uint8Array;

const nodeSm3 = getHashes().includes('sm3');

/** The SM3 digest of bytes or of UTF-8 text (32 bytes). */
export function sm3(data: Uint8Array | string): Uint8Array {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  if (nodeSm3) return new Uint8Array(createHash('sm3').update(bytes).digest());
  return Uint8Array.from(Buffer.from(smCrypto.sm3(Array.from(bytes)), 'hex'));
}

/** Whether a private key is 64 lower-case hex digits naming a scalar in [1, n-2]. */
export function isSm2PrivateKey(hex: string): boolean {
  if (typeof hex !== 'string' || !privateKeyPattern.test(hex)) return false;
  const d = BigInt(`0x${hex}`);
  return d >= 1n && d <= curveOrder - 2n;
}

/** Whether a public key is "04" x y in lower-case hex naming a point of the curve. */
export function isSm2PublicKey(hex: string): boolean {
  return typeof hex === 'string' && publicKeyPattern.test(hex) && smCrypto.sm2.verifyPublicKey(hex);
}

/** Public keys derived so far, by private key (a signer uses one or two keys: derived once, not per signature). */
const publicKeys = new Map<string, string>();
const publicKeysCachedMax = 8;

/** The public key of a private key. */
export function sm2PublicKeyOf(privateKeyHex: string): string {
  assert(isSm2PrivateKey(privateKeyHex), 'an SM2 private key: 64 hex digits in [1, n-2]');
  const cached = publicKeys.get(privateKeyHex);
  if (cached !== undefined) return cached;
  const publicKey = smCrypto.sm2.getPublicKeyFromPrivateKey(privateKeyHex);
  assert(isSm2PublicKey(publicKey), 'the derived public key is a point of the curve');
  if (publicKeys.size >= publicKeysCachedMax) publicKeys.clear();
  publicKeys.set(privateKeyHex, publicKey);
  return publicKey;
}

/** A uniform nonce in [1, n-2] from the caller's random bytes (rejection sampling). */
function drawNonce(random: RandomBytes): string {
  for (let draw = 0; draw < nonceDrawsMax; draw += 1) {
    const bytes = random(scalarBytes);
    assert(bytes.length === scalarBytes, 'the random source gave 32 bytes');
    const value = BigInt(`0x${Buffer.from(bytes).toString('hex')}`);
    if (value < curveOrder - 2n) return (value + 1n).toString(16).padStart(scalarBytes * 2, '0');
  }
  assert.fail(`the random source gave ${nonceDrawsMax} values at or above n - 2`);
}

/**
 * The SM2 signature r s (hex) of a message with the nonce k given in hex:
 * the standard's examples fix k, a signature never does (sm2Sign draws it).
 */
export function sm2SignWithNonce(message: Uint8Array, privateKeyHex: string, nonceHex: string, userId = defaultUserId): string {
  assert(isSm2PrivateKey(nonceHex), 'a nonce is a scalar in [1, n-2] as 64 hex digits');
  const publicKey = sm2PublicKeyOf(privateKeyHex);
  const noncePoint = smCrypto.sm2.getPublicKeyFromPrivateKey(nonceHex);
  const point = { k: new BigInteger(nonceHex, 16), x1: new BigInteger(noncePoint.slice(2, 66), 16) };
  const signature = smCrypto.sm2.doSignature(Array.from(message), privateKeyHex, { pointPool: [point], publicKey, userId, hash: true });
  assert(signaturePattern.test(signature), 'a signature is 128 hex digits');
  return signature;
}

/** The SM2 signature (hex r s) of a message, with Z of the signer's public key and `userId`. */
export function sm2Sign(message: Uint8Array, privateKeyHex: string, random: RandomBytes, userId = defaultUserId): string {
  return sm2SignWithNonce(message, privateKeyHex, drawNonce(random), userId);
}

/** Whether `signatureHex` is an SM2 signature of the message by the holder of `publicKeyHex`; malformed input is false. */
export function sm2Verify(message: Uint8Array, signatureHex: string, publicKeyHex: string, userId = defaultUserId): boolean {
  if (typeof signatureHex !== 'string' || !signaturePattern.test(signatureHex) || !isSm2PublicKey(publicKeyHex)) return false;
  return smCrypto.sm2.doVerifySignature(Array.from(message), signatureHex, publicKeyHex, { hash: true, userId });
}
