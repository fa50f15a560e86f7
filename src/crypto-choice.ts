// Chooses the Ed25519 provider the firmware uses (docs/protocol.md, crypto
// provider). node:crypto is the default; it must pass the RFC 8032 self-test
// first (an OpenSSL built without Ed25519 fails it). tweetnacl costs 12 KB of
// the firmware's 80 KiB gzip budget (33 KB minified) for a provider a kiosk
// uses only when its Node.js lacks Ed25519, so it is not in dist/terminal.js:
// build.mjs writes it as dist/crypto-tweetnacl.js, and this module requires
// it by that fixed name, beside the running bundle, only when asked for or
// when node:crypto fails its self-test.
import { join } from 'node:path';
import { selfTest, type CryptoProvider } from '../protocol/crypto';
import { nodeCryptoProvider } from '../protocol/crypto-node';

export type CryptoChoice = 'auto' | 'node' | 'tweetnacl';
export const cryptoChoices: readonly CryptoChoice[] = ['auto', 'node', 'tweetnacl'];

/** The file name of the on-demand tweetnacl bundle, next to the firmware. */
export const tweetnaclBundleName = 'crypto-tweetnacl.js';

export class CryptoUnavailableError extends Error {
  override readonly name = 'CryptoUnavailableError';
}

/** Loads the tweetnacl provider's bundle from beside the running bundle. */
export function loadTweetnaclProvider(): CryptoProvider {
  const file = join(__dirname, tweetnaclBundleName);
  let provider: CryptoProvider | undefined;
  try {
    // A fixed path that every build leaves outside the bundle (build.mjs, `besideTheBundle`).
    provider = (require('./crypto-tweetnacl.js') as { tweetnaclProvider?: CryptoProvider }).tweetnaclProvider;
  } catch (error) {
    throw new CryptoUnavailableError(`cannot load ${file}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
  }
  if (provider === undefined || !selfTest(provider)) throw new CryptoUnavailableError(`${file} is not a working Ed25519 provider`);
  return provider;
}

/** The provider for a choice; 'auto' is node:crypto when it passes its self-test, else tweetnacl. */
export function chooseCryptoProvider(choice: CryptoChoice): CryptoProvider {
  if (choice === 'tweetnacl') return loadTweetnaclProvider();
  if (selfTest(nodeCryptoProvider)) return nodeCryptoProvider;
  if (choice === 'node') throw new CryptoUnavailableError('node:crypto failed the Ed25519 self-test (OpenSSL without Ed25519?)');
  return loadTweetnaclProvider();
}
