// Chooses the Ed25519 provider the firmware uses (DESIGN.md, crypto
// provider). node:crypto is the default; it must pass the RFC 8032 self-test
// first (an OpenSSL built without Ed25519 fails it). tweetnacl costs ≈ 33 KB,
// so it is not in dist/terminal.js: build.mjs writes it as
// dist/crypto-tweetnacl.js, loaded here only when asked for or when
// node:crypto fails its self-test.
import { createRequire } from 'node:module';
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

/** Loads the tweetnacl provider bundle from `bundleDir` (the firmware's own folder by default). */
export function loadTweetnaclProvider(bundleDir: string = __dirname): CryptoProvider {
  const file = join(bundleDir, tweetnaclBundleName);
  let provider: CryptoProvider | undefined;
  try {
    // createRequire keeps esbuild from bundling it: the file is read at run time only.
    provider = (createRequire(file)(file) as { tweetnaclProvider?: CryptoProvider }).tweetnaclProvider;
  } catch (error) {
    throw new CryptoUnavailableError(`cannot load ${file}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
  }
  if (provider === undefined || !selfTest(provider)) throw new CryptoUnavailableError(`${file} is not a working Ed25519 provider`);
  return provider;
}

/** The provider for a choice; 'auto' is node:crypto when it passes its self-test, else tweetnacl. */
export function chooseCryptoProvider(choice: CryptoChoice, bundleDir?: string): CryptoProvider {
  if (choice === 'tweetnacl') return loadTweetnaclProvider(bundleDir);
  if (selfTest(nodeCryptoProvider)) return nodeCryptoProvider;
  if (choice === 'node') throw new CryptoUnavailableError('node:crypto failed the Ed25519 self-test (OpenSSL without Ed25519?)');
  return loadTweetnaclProvider(bundleDir);
}
