// Proves the kiosk's entry, dist/boot.js (src/boot.ts), runs the firmware as
// Node.js's own loader would and uses its V8 code cache only when the cache
// holds: a file is used only with its magic line, the SHA-256 of the
// firmware it was made for and the SHA-256 of its data, every other file
// (another firmware, a flipped byte, a cut) is refused and compiled around;
// data V8 refuses (made under other flags) costs nothing but the compile; a
// boot that used no cache writes one that the next boot uses; a place where
// no cache can be written leaves the program running. On the built
// firmware: `node dist/boot.js version` prints what `node dist/terminal.js
// version` prints, with and without a cache, a damaged cache included, and
// leaves a valid cache in $STATE_DIRECTORY.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cacheData, cacheFile, runWithCodeCache } from '../../src/boot';
import { terminalBundle } from '../helpers/cli';

const dir = mkdtempSync(path.join(tmpdir(), 'boot-cache-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const bootBundle = path.join(path.dirname(terminalBundle), 'boot.js');
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest();

/** A small CommonJS program beside a module it requires by a relative path; it records what it saw on globalThis. */
function program(name: string, body: string): string {
  const folder = path.join(dir, name);
  mkdirSync(folder, { recursive: true });
  writeFileSync(path.join(folder, 'dep.js'), 'module.exports = { twice: (n) => 2 * n };\n');
  const file = path.join(folder, 'main.js');
  writeFileSync(file, `#!/usr/bin/env node\nconst { twice } = require('./dep.js');\n${body}\nglobalThis.bootCacheSeen = { value: twice(21), file: __filename, dir: __dirname, self: module.exports === exports && this === exports };\n`);
  return file;
}

const seen = () => (globalThis as unknown as { bootCacheSeen: { value: number; file: string; dir: string; self: boolean } }).bootCacheSeen;
const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('cacheData takes a whole cache for the firmware it was made for and nothing else', () => {
  const source = sha256(Buffer.from('firmware'));
  const data = Buffer.from('v8 data, any bytes');
  const file = cacheFile(source, data);
  assert.equal(cacheData(file, source), data);
  assert.is(cacheData(file, sha256(Buffer.from('other firmware'))), null, 'made for another firmware');
  const flipped = Buffer.from(file);
  flipped.writeUInt8((flipped.at(-1) as number) ^ 1, flipped.length - 1);
  assert.is(cacheData(flipped, source), null, 'a flipped byte in the data');
  assert.is(cacheData(file.subarray(0, file.length - 1), source), null, 'cut short');
  assert.is(cacheData(file.subarray(0, 40), source), null, 'only part of the header');
  const wrongMagic = Buffer.from(file);
  wrongMagic.writeUInt8((wrongMagic[0] as number) ^ 1, 0);
  assert.is(cacheData(wrongMagic, source), null, 'another magic line');
  assert.is(cacheData(Buffer.alloc(0), source), null, 'empty');
});

test('a program runs as under Node.js, its first boot writes a cache, the next uses it, the same result', async () => {
  const file = program('plain', '');
  const cache = path.join(dir, 'plain.cache');
  assert.is(runWithCodeCache(file, cache, 0), 'none');
  assert.equal(seen(), { value: 42, file, dir: path.dirname(file), self: true });
  await wait(20);
  assert.ok(cacheData(readFileSync(cache), sha256(readFileSync(file))) !== null, 'a valid cache after the write');
  (globalThis as unknown as { bootCacheSeen: unknown }).bootCacheSeen = undefined;
  assert.is(runWithCodeCache(file, cache, 0), 'accepted');
  assert.equal(seen(), { value: 42, file, dir: path.dirname(file), self: true });
});

test('a cache of another firmware, a damaged one, and data V8 refuses are compiled around and replaced', async () => {
  const file = program('changed', '');
  const cache = path.join(dir, 'changed.cache');
  runWithCodeCache(file, cache, 0);
  await wait(20);
  // The firmware changes (one byte more): the old cache is not used.
  writeFileSync(file, `${readFileSync(file, 'utf8')}\n`);
  assert.is(runWithCodeCache(file, cache, 0), 'invalid');
  assert.is(seen().value, 42);
  await wait(20);
  assert.ok(cacheData(readFileSync(cache), sha256(readFileSync(file))) !== null, 'rewritten for the firmware on disk');
  const damaged = readFileSync(cache);
  damaged.writeUInt8((damaged.at(-10) as number) ^ 0xff, damaged.length - 10);
  writeFileSync(cache, damaged);
  assert.is(runWithCodeCache(file, cache, 0), 'invalid');
  assert.is(seen().value, 42);
  // A header that holds over data V8 does not take (what another Node.js or other flags leave): refused by V8, compiled from the source.
  // (A program of its own: V8 serves a source this process compiled before from memory, whatever the data.)
  const fresh = program('refused', 'globalThis.bootCacheRefused = true;');
  const refused = path.join(dir, 'refused.cache');
  writeFileSync(refused, cacheFile(sha256(readFileSync(fresh)), Buffer.alloc(4096, 7)));
  assert.is(runWithCodeCache(fresh, refused, 0), 'rejected');
  assert.is(seen().value, 42);
  await wait(20);
  assert.ok(cacheData(readFileSync(refused), sha256(readFileSync(fresh))) !== null, 'replaced by a cache V8 made');
});

test('no place for a cache, or one that cannot be written: the program runs all the same', async () => {
  const file = program('nowhere', '');
  assert.is(runWithCodeCache(file, null, 0), 'none');
  assert.is(seen().value, 42);
  const cache = path.join(dir, 'no-such-folder', 'x.cache');
  assert.is(runWithCodeCache(file, cache, 0), 'none');
  await wait(20);
  assert.not.ok(existsSync(cache));
});

test('on the built firmware: boot.js version prints what terminal.js version prints, and leaves a valid cache in $STATE_DIRECTORY', () => {
  const state = path.join(dir, 'state');
  mkdirSync(state);
  const env = { PATH: process.env.PATH ?? '', STATE_DIRECTORY: state };
  const expected = spawnSync(process.execPath, [terminalBundle, 'version'], { encoding: 'utf8', env });
  assert.is(expected.status, 0, expected.stderr);
  const cache = path.join(state, 'terminal.js.cache');
  const source = sha256(readFileSync(terminalBundle));
  for (const round of ['no cache yet', 'with its cache', 'with a damaged cache']) {
    if (round === 'with a damaged cache') {
      const bytes = readFileSync(cache);
      bytes.writeUInt8((bytes.at(-1) as number) ^ 1, bytes.length - 1);
      writeFileSync(cache, bytes);
    }
    const run = spawnSync(process.execPath, [bootBundle, 'version'], { encoding: 'utf8', env });
    assert.is(run.status, 0, `${round}: ${run.stderr}`);
    assert.is(run.stdout, expected.stdout, round);
    assert.is(run.stderr, '', round);
    assert.ok(cacheData(readFileSync(cache), source) !== null, `${round}: a valid cache after`);
  }
});

test.run();
