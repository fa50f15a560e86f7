// The tweetnacl Ed25519 provider: portable, pure JavaScript, for a Node.js
// whose OpenSSL has no Ed25519. It costs ≈ 33 KB minified, so it is NOT in
// the firmware bundle: build.mjs emits it as dist/crypto-tweetnacl.js, which
// src/crypto-choice.ts loads at run time only when asked (`--crypto
// tweetnacl`) or when node:crypto fails its self-test. tweetnacl accepts a
// signature whose S is not reduced (S >= L); this provider refuses it, like
// node:crypto does.
import nacl from 'tweetnacl';
import {
  checkBytes,
  ed25519PublicKeyBytes,
  ed25519SeedBytes,
  isCanonicalSignature,
  kidOf,
  type CryptoProvider,
  type Signer,
  type Verifier,
} from './crypto';

function naclSigner(seed: Uint8Array): Signer {
  checkBytes(seed, ed25519SeedBytes, 'seed');
  const pair = nacl.sign.keyPair.fromSeed(Uint8Array.from(seed));
  const publicKey = Uint8Array.from(pair.publicKey);
  return {
    publicKey,
    kid: kidOf(publicKey),
    sign(message: Uint8Array): Uint8Array {
      return nacl.sign.detached(message, pair.secretKey);
    },
  };
}

function naclVerifier(publicKey: Uint8Array): Verifier {
  checkBytes(publicKey, ed25519PublicKeyBytes, 'publicKey');
  const key = Uint8Array.from(publicKey);
  return {
    publicKey: key,
    kid: kidOf(key),
    verify(message: Uint8Array, signature: Uint8Array): boolean {
      if (!isCanonicalSignature(signature)) return false;
      return nacl.sign.detached.verify(message, signature, key);
    },
  };
}

export const tweetnaclProvider: CryptoProvider = Object.freeze({
  name: 'tweetnacl' as const,
  signer: naclSigner,
  verifier: naclVerifier,
});
