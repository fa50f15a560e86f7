// The node:crypto Ed25519 provider: the firmware's default, about 100 times
// faster than tweetnacl here. Keys are built once per signer or verifier
// from the raw seed or public key through their fixed DER prefixes (PKCS#8
// and SPKI for OID 1.3.101.112, RFC 8410 §7), because building a KeyObject
// costs more than a signature.
import assert from 'node:assert';
import { createPrivateKey, createPublicKey, sign as nodeSign, verify as nodeVerify, type KeyObject } from 'node:crypto';
import {
  checkBytes,
  ed25519PublicKeyBytes,
  ed25519SeedBytes,
  ed25519SignatureBytes,
  isCanonicalSignature,
  kidOf,
  type CryptoProvider,
  type Signer,
  type Verifier,
} from './crypto';

const pkcs8Prefix = Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]);
const spkiPrefix = Uint8Array.from([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]);

function withPrefix(prefix: Uint8Array, key: Uint8Array): Buffer {
  const der = Buffer.alloc(prefix.length + key.length);
  der.set(prefix, 0);
  der.set(key, prefix.length);
  return der;
}

function nodeSigner(seed: Uint8Array): Signer {
  checkBytes(seed, ed25519SeedBytes, 'seed');
  const privateKey = createPrivateKey({ key: withPrefix(pkcs8Prefix, seed), format: 'der', type: 'pkcs8' });
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  const publicKey = new Uint8Array(spki.subarray(spki.length - ed25519PublicKeyBytes));
  assert(spki.length === spkiPrefix.length + ed25519PublicKeyBytes, 'an Ed25519 SPKI is 44 bytes');
  return {
    publicKey,
    kid: kidOf(publicKey),
    sign(message: Uint8Array): Uint8Array {
      const signature = nodeSign(null, message, privateKey);
      assert(signature.length === ed25519SignatureBytes && isCanonicalSignature(signature), 'node:crypto signs canonically');
      return new Uint8Array(signature);
    },
  };
}

function nodeVerifier(publicKey: Uint8Array): Verifier {
  checkBytes(publicKey, ed25519PublicKeyBytes, 'publicKey');
  const key = publicKey.slice();
  let keyObject: KeyObject | null;
  try {
    keyObject = createPublicKey({ key: withPrefix(spkiPrefix, key), format: 'der', type: 'spki' });
  } catch {
    // Bytes that are no curve point verify nothing.
    keyObject = null;
  }
  return {
    publicKey: key,
    kid: kidOf(key),
    verify(message: Uint8Array, signature: Uint8Array): boolean {
      // OpenSSL refuses S >= L itself; the check is kept so both providers share one rule.
      if (keyObject === null || !isCanonicalSignature(signature)) return false;
      return nodeVerify(null, message, keyObject, signature);
    },
  };
}

export const nodeCryptoProvider: CryptoProvider = Object.freeze({
  name: 'node' as const,
  signer: nodeSigner,
  verifier: nodeVerifier,
});
