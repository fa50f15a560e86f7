// Proves the two crypto providers are interchangeable: over random seeds and
// messages (fast-check, seeded; the seed is printed on failure and TEST_SEED
// replays it) node:crypto and tweetnacl derive the same public key and the
// same signature bytes, and each verifies the other's signature; both refuse
// the same signature with S replaced by S + L (non-canonical), which raw
// tweetnacl accepts; both pass the RFC 8032 self-test.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import nacl from 'tweetnacl';
import { isCanonicalSignature, selfTest } from '../../protocol/crypto';
import { nodeCryptoProvider } from '../../protocol/crypto-node';
import { tweetnaclProvider } from '../../protocol/crypto-tweetnacl';
import { replayHint, testSeed } from '../helpers/seed';

const seed = testSeed();
// tweetnacl takes ≈ 8 ms to sign and ≈ 25 ms to verify here: keep the runs few.
const runs = 25;

const L = (1n << 252n) + 27742317777372353535851937790883648493n;

/** The signature with S replaced by S + L (still below 2^256 for every S < L... when it fits). */
function withSPlusL(signature: Uint8Array): Uint8Array | null {
  let s = 0n;
  for (let i = 31; i >= 0; i -= 1) s = (s << 8n) | BigInt(signature[32 + i] as number);
  let value = s + L;
  if (value >= 1n << 256n) return null;
  const out = signature.slice();
  for (let i = 0; i < 32; i += 1) {
    out[32 + i] = Number(value & 0xffn);
    value >>= 8n;
  }
  return out;
}

test('both providers pass the RFC 8032 self-test', () => {
  assert.ok(selfTest(nodeCryptoProvider));
  assert.ok(selfTest(tweetnaclProvider));
});

test('node:crypto and tweetnacl produce identical keys and signatures, and verify each other', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 2048 }), (keySeed, message) => {
      const a = nodeCryptoProvider.signer(keySeed);
      const b = tweetnaclProvider.signer(keySeed);
      assert.equal(a.publicKey, b.publicKey);
      assert.equal(a.kid, b.kid);
      const signature = a.sign(message);
      assert.equal(signature, b.sign(message));
      assert.ok(tweetnaclProvider.verifier(a.publicKey).verify(message, signature));
      assert.ok(nodeCryptoProvider.verifier(b.publicKey).verify(message, signature));
    }),
    { seed, numRuns: runs },
  );
});

test('both refuse S + L (non-canonical) where raw tweetnacl accepts it', () => {
  let checked = 0;
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 256 }), (keySeed, message) => {
      const signer = nodeCryptoProvider.signer(keySeed);
      const signature = signer.sign(message);
      const malleated = withSPlusL(signature);
      fc.pre(malleated !== null);
      if (malleated === null) return;
      checked += 1;
      assert.not.ok(isCanonicalSignature(malleated));
      assert.ok(nacl.sign.detached.verify(message, malleated, signer.publicKey), 'raw tweetnacl takes S + L: the check is needed');
      assert.not.ok(tweetnaclProvider.verifier(signer.publicKey).verify(message, malleated));
      assert.not.ok(nodeCryptoProvider.verifier(signer.publicKey).verify(message, malleated));
    }),
    { seed, numRuns: 10 },
  );
  assert.ok(checked > 0, `no S + L case fit below 2^256 ${replayHint(seed)}`);
});

test('a verifier refuses wrong lengths, another message and another key', () => {
  const signer = nodeCryptoProvider.signer(new Uint8Array(32).fill(7));
  const message = Uint8Array.of(1, 2, 3);
  const signature = signer.sign(message);
  for (const provider of [nodeCryptoProvider, tweetnaclProvider]) {
    const verifier = provider.verifier(signer.publicKey);
    assert.ok(verifier.verify(message, signature), provider.name);
    assert.not.ok(verifier.verify(message, signature.subarray(0, 63)), provider.name);
    assert.not.ok(verifier.verify(Uint8Array.of(1, 2, 4), signature), provider.name);
    const other = provider.verifier(nodeCryptoProvider.signer(new Uint8Array(32).fill(8)).publicKey);
    assert.not.ok(other.verify(message, signature), provider.name);
    assert.throws(() => provider.signer(new Uint8Array(31)), (error: Error) => error instanceof RangeError && /seed/.test(error.message));
    assert.throws(() => provider.verifier('x' as never), (error: Error) => error instanceof TypeError && /publicKey/.test(error.message));
  }
});

test.run();
