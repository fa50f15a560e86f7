// The kiosk's entry (dist/boot.js, src/boot-main.ts; run by device/deploy/settle-kiosk.service):
// loads the firmware beside it (dist/terminal.js, unchanged) through a V8
// code cache, so a boot does not compile again what the last one compiled.
// Node.js 20 has no module compile cache (module.enableCompileCache is
// Node.js 22), so this file does what it would: it compiles the firmware as
// Node.js's CommonJS loader does (the same wrapper, the same require
// relative to the firmware, the same __filename and __dirname) with
// `vm.Script` and the cached data of an earlier boot, and runs it.
//
// The cache lives in the service's state directory ($STATE_DIRECTORY, which
// systemd sets from the unit's StateDirectory; /opt stays read-only), as
// `terminal.js.cache`: a header (a magic line, the SHA-256 of the firmware's
// bytes, the SHA-256 of V8's data) and V8's data. It is used only when the
// header holds for the firmware on disk and for the data read; otherwise,
// and when V8 refuses the data (another Node.js, other flags), the firmware
// is compiled from its source as without the cache. A boot that used no
// cache writes a new one (the functions compiled so far included) 10 s after
// it started or when it exits, whichever comes first, through a temporary
// file and a rename; a write that fails costs only the next boot's speed.
// Without $STATE_DIRECTORY no cache is read or written. The cache is code the
// firmware's process runs: it is written by, and trusted as much as, the
// service's own user, who owns the journal and the key beside it (0700).
import { createHash } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Script } from 'node:vm';

const magic = Buffer.from('settle-terminal code cache 1\n');
const digestBytes = 32;
const headerBytes = magic.length + 2 * digestBytes;

function sha256(bytes: Uint8Array): Buffer {
  return createHash('sha256').update(bytes).digest();
}

/** The cache file's bytes for the firmware of digest `source` and V8's `data`. */
export function cacheFile(source: Buffer, data: Buffer): Buffer {
  return Buffer.concat([magic, source, sha256(data), data]);
}

/** V8's data from a cache file's bytes, or null when the file is not a whole cache for the firmware of digest `source`. */
export function cacheData(file: Buffer, source: Buffer): Buffer | null {
  if (file.length <= headerBytes || !file.subarray(0, magic.length).equals(magic)) return null;
  if (!file.subarray(magic.length, magic.length + digestBytes).equals(source)) return null;
  const data = file.subarray(headerBytes);
  return sha256(data).equals(file.subarray(magic.length + digestBytes, headerBytes)) ? data : null;
}

/** How a boot used the cache: none there (or no place for one), one not for this firmware or damaged, one V8 refused, one used. */
export type CacheUse = 'none' | 'invalid' | 'rejected' | 'accepted';

/** Runs the CommonJS file `bundle` as Node.js would, with the code cache `cachePath` (null: none); says how the cache was used. */
export function runWithCodeCache(bundle: string, cachePath: string | null, writeAfterMs = 10_000): CacheUse {
  const bytes = readFileSync(bundle);
  const source = sha256(bytes);
  let cached: Buffer | null = null;
  let use: CacheUse = 'none';
  if (cachePath !== null) {
    try {
      cached = cacheData(readFileSync(cachePath), source);
      if (cached === null) use = 'invalid';
    } catch {
      // No cache yet (or none readable): compiled from the source.
    }
  }
  // A first line `#!…` is a comment to Node.js's loader; `//` keeps every position the same.
  const text = bytes.toString('utf8').replace(/^#!/, '//');
  const script = new Script(`(function (exports, require, module, __filename, __dirname) { ${text}\n})`, { filename: bundle, cachedData: cached ?? undefined });
  if (cached !== null) use = script.cachedDataRejected === true ? 'rejected' : 'accepted';
  if (cachePath !== null && use !== 'accepted') {
    let written = false;
    const write = () => {
      if (written) return;
      written = true;
      try {
        writeFileSync(`${cachePath}.tmp`, cacheFile(source, script.createCachedData()), { mode: 0o600 });
        renameSync(`${cachePath}.tmp`, cachePath);
      } catch {
        // A read-only or full disk: the next boot compiles from the source.
      }
    };
    setTimeout(write, writeAfterMs).unref();
    process.once('exit', write);
  }
  const module = { exports: {} as unknown, filename: bundle, id: bundle, loaded: false };
  (script.runInThisContext() as (...args: unknown[]) => void).call(module.exports, module.exports, createRequire(bundle), module, bundle, dirname(bundle));
  module.loaded = true;
  return use;
}

/** dist/boot.js's whole work (src/boot-main.ts): the firmware beside it, the cache in the first of $STATE_DIRECTORY's folders. */
export function bootFirmware(folder: string, env: NodeJS.ProcessEnv): CacheUse {
  const state = env.STATE_DIRECTORY?.split(':')[0];
  return runWithCodeCache(join(folder, 'terminal.js'), state ? join(state, 'terminal.js.cache') : null);
}
