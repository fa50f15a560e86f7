// The crypto provider interface (docs/protocol.md, crypto provider): Ed25519 only,
// two implementations that must produce the same bytes (Ed25519 is
// deterministic, RFC 8032 §5.1.6): node:crypto (crypto-node.ts, the default,
// fast) and tweetnacl (crypto-tweetnacl.ts, portable, shipped as a separate
// bundle the firmware loads only when asked). Both refuse a non-canonical
// signature (S >= L, RFC 8032 §5.1.7 step 1), which tweetnacl alone would take.
import assert from 'node:assert';
import { kidBytes } from './limits';

export const ed25519SeedBytes = 32;
export const ed25519PublicKeyBytes = 32;
export const ed25519SignatureBytes = 64;

export interface Signer {
  readonly publicKey: Uint8Array;
  /** The key id: the first `kidBytes` bytes of the public key. */
  readonly kid: Uint8Array;
  sign(message: Uint8Array): Uint8Array;
}

export interface Verifier {
  readonly publicKey: Uint8Array;
  readonly kid: Uint8Array;
  /** True only for a valid, canonical signature of `message` under this key. */
  verify(message: Uint8Array, signature: Uint8Array): boolean;
}

export interface CryptoProvider {
  readonly name: 'node' | 'tweetnacl';
  /** Builds a signer from a 32-byte seed; keep it (building one costs more than a signature). */
  signer(seed: Uint8Array): Signer;
  /** Builds a verifier from a 32-byte public key; keep it. */
  verifier(publicKey: Uint8Array): Verifier;
}

/** The key id of a public key (docs/protocol.md, keys: kid = first 8 bytes of the public key). */
export function kidOf(publicKey: Uint8Array): Uint8Array {
  checkBytes(publicKey, ed25519PublicKeyBytes, 'publicKey');
  return publicKey.slice(0, kidBytes);
}

// L = 2^252 + 27742317777372353535851937790883648493, little-endian, as the
// signature's S half is written.
const groupOrder = Uint8Array.from([
  0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
]);

/** Whether a 64-byte signature's S (bytes 32..63, little-endian) is below the group order L. */
export function isCanonicalSignature(signature: Uint8Array): boolean {
  if (signature.length !== ed25519SignatureBytes) return false;
  for (let i = 31; i >= 0; i -= 1) {
    const s = signature[32 + i] as number;
    const l = groupOrder[i] as number;
    if (s !== l) return s < l;
  }
  return false; // S == L
}

/** Checker helper (docs/conventions.md habit 10): a byte string of an exact length, named in the error. */
export function checkBytes(value: unknown, length: number, field: string): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError(`${field} must be a Uint8Array, got ${typeof value}`);
  if (value.length !== length) throw new RangeError(`${field} must be ${length} bytes, got ${value.length}`);
}

/** Parses exactly 2×`length` hex digits; a RangeError names the field otherwise. */
export function hexToBytes(hex: string, length: number, field: string): Uint8Array {
  if (typeof hex !== 'string') throw new TypeError(`${field} must be a hex string`);
  if (hex.length !== length * 2 || !/^[0-9a-fA-F]*$/.test(hex)) throw new RangeError(`${field} must be ${length * 2} hex digits`);
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i += 1) bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  assert(bytes.length === length);
  return bytes;
}

export function bytesToHex(bytes: Uint8Array): string {
  let hex = '';
  for (const byte of bytes) hex += (byte < 16 ? '0' : '') + byte.toString(16);
  return hex;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i += 1) if (a[i] !== b[i]) return false;
  return true;
}

// RFC 8032 §7.1, TEST 1: the empty message under the first test key.
const selfTestSeed = '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60';
const selfTestPublicKey = 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a';
const selfTestSignature =
  'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b';

/**
 * Whether a provider signs and verifies RFC 8032's first test vector exactly,
 * and refuses it altered. The firmware runs this before trusting node:crypto
 * (an OpenSSL built without Ed25519 fails it) and falls back to tweetnacl.
 */
export function selfTest(provider: CryptoProvider): boolean {
  try {
    const signer = provider.signer(hexToBytes(selfTestSeed, ed25519SeedBytes, 'seed'));
    if (bytesToHex(signer.publicKey) !== selfTestPublicKey) return false;
    const signature = signer.sign(new Uint8Array(0));
    if (bytesToHex(signature) !== selfTestSignature) return false;
    const verifier = provider.verifier(signer.publicKey);
    if (!verifier.verify(new Uint8Array(0), signature)) return false;
    const altered = signature.slice();
    altered[0] = (altered[0] as number) ^ 1;
    return !verifier.verify(new Uint8Array(0), altered) && !verifier.verify(new Uint8Array(1), signature);
  } catch {
    return false;
  }
}

/** Finds the verifier of a kid among known keys (the hub's pinned and rotated keys, a terminal registry). */
export function keyring(verifiers: readonly Verifier[]): (kid: Uint8Array | null) => Verifier | null {
  return (kid) => (kid === null ? null : (verifiers.find((verifier) => bytesEqual(verifier.kid, kid)) ?? null));
}
