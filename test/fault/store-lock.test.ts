// Proves one applier at a time updates a stored catalogue (src/catalogue/lock.ts),
// with real processes:
// - two processes race, each applying its own series of snapshots (odd and
//   even serials) with every file step slowed so that they interleave; a
//   watcher reads the current file all along: it is never missing once
//   written, never empty, always whole and verified, and its serial never
//   goes back; at the end the file holds the highest serial either process
//   was told it applied (no update reported applied is lost);
// - a lock left by a process killed with SIGKILL, or by one that exited and
//   was never reaped (a zombie), is taken over at once;
// - a lock held by a live process makes an update wait, then fail with
//   `update_busy`, the version held serving and the file untouched.
// The children are this file run again with STORE_LOCK_ROLE set.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateCatalogueRecords } from '../../device/sim/hub/catalogue-gen';
import { nodeFileSystem, type FileSystem } from '../../src/catalogue/files';
import { lockStore } from '../../src/catalogue/lock';
import { catalogueKind, SignedStore } from '../../src/catalogue/store';
import { guardStored, verifyContainer } from '../../src/catalogue/update';
import { catalogueSnapshot, hubKeys, testLine } from '../helpers/catalogue';

const role = process.env.STORE_LOCK_ROLE;
const records = [...generateCatalogueRecords(300, 5)];

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** The real file system with every step that changes the directory slowed, so two appliers' steps interleave. */
const slowFs: FileSystem = {
  ...nodeFileSystem,
  writeFileDurable(file, parts) {
    sleepMs(3);
    nodeFileSystem.writeFileDurable(file, parts);
    sleepMs(3);
  },
  rename(from, to) {
    sleepMs(2);
    nodeFileSystem.rename(from, to);
  },
  link(existing, created) {
    sleepMs(2);
    nodeFileSystem.link(existing, created);
  },
};

function store(dir: string, fs: FileSystem = nodeFileSystem, lockWaitMs?: number) {
  return SignedStore.open(catalogueKind, { dir, hubKeys, line: testLine, fs, ...(lockWaitMs === undefined ? {} : { lockWaitMs }) });
}

/** A child: applies the update files named in UPDATES, in order, and prints each outcome as a JSON line. */
function applier(): void {
  const dir = process.env.STORE_DIR as string;
  for (const file of (process.env.UPDATES as string).split(',')) {
    const held = store(dir, slowFs);
    const result = held.apply(readFileSync(file));
    process.stdout.write(`${JSON.stringify(result.ok ? { ok: true, serial: result.serial } : { ok: false, code: result.error.code })}\n`);
  }
}

/** A child: takes the store's lock, says so, and waits to be killed (or exits at once with HOLDER_EXIT). */
function holder(): void {
  const lock = lockStore(process.env.STORE_DIR as string, catalogueKind.fileName);
  process.stdout.write(`locked ${lock.owner}\n`);
  if (process.env.HOLDER_EXIT === '1') process.exit(0);
  setInterval(() => {}, 1_000);
}

function withDir<T>(run: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(path.join(tmpdir(), 'store-lock-'));
  return run(dir).finally(() => rmSync(dir, { recursive: true, force: true }));
}

function child(env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [__filename], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
}

function output(process: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    process.stdout?.on('data', (chunk: Buffer) => (text += chunk.toString()));
    process.on('error', reject);
    process.on('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`child exited ${code}: ${text}`))));
  });
}

function firstLine(process: ChildProcess): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    process.stdout?.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('\n')) resolve(text.split('\n')[0] as string);
    });
  });
}

/** The serial of the current file, checked whole (statement, page table, every page), or null when there is none; throws when it is damaged. */
function currentSerial(dir: string): number | null {
  const file = path.join(dir, catalogueKind.fileName);
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  const verified = verifyContainer(bytes, 'catalogue', hubKeys);
  assert.ok(guardStored(verified, { label: 'watched' }).verifyAll(), 'every page of the current file verifies');
  return verified.statement.serial;
}

if (role === 'applier') applier();
else if (role === 'holder') holder();
else {
  test('two processes applying at once: the current file is always whole, its serial never goes back, and no update reported applied is lost', () =>
    withDir(async (dir) => {
      const serials = Array.from({ length: 24 }, (_, index) => index + 1);
      const files = serials.map((serial) => {
        const file = path.join(dir, `u${serial}.upd`);
        writeFileSync(file, catalogueSnapshot(`r-${serial}`, serial, records.slice(0, 200 + serial)));
        return file;
      });
      const storeDir = path.join(dir, 'store');
      spawnSync('mkdir', [storeDir]);
      const odd = child({ STORE_LOCK_ROLE: 'applier', STORE_DIR: storeDir, UPDATES: files.filter((_, index) => index % 2 === 0).join(',') });
      const even = child({ STORE_LOCK_ROLE: 'applier', STORE_DIR: storeDir, UPDATES: files.filter((_, index) => index % 2 === 1).join(',') });
      const seen: number[] = [];
      let watching = true;
      const watcher = (async () => {
        while (watching) {
          const serial = currentSerial(storeDir);
          if (serial !== null) seen.push(serial);
          else assert.is(seen.length, 0, 'once written, the current file never goes missing');
          await new Promise((resolve) => setTimeout(resolve, 1));
        }
      })();
      const outcomes = (await Promise.all([output(odd), output(even)])).flatMap((text) => text.trim().split('\n').map((line) => JSON.parse(line) as { ok: boolean; serial?: number; code?: string }));
      watching = false;
      await watcher;
      const applied = outcomes.filter((outcome) => outcome.ok).map((outcome) => outcome.serial as number);
      assert.ok(applied.length >= 2, `both made progress: ${JSON.stringify(outcomes)}`);
      assert.ok(outcomes.every((outcome) => outcome.ok || outcome.code === 'update_not_newer'), JSON.stringify(outcomes));
      assert.is(currentSerial(storeDir), Math.max(...applied), 'the highest serial reported applied is the one on disk');
      for (let index = 1; index < seen.length; index += 1) assert.ok((seen[index] as number) >= (seen[index - 1] as number), `the serial went back from ${seen[index - 1]} to ${seen[index]}`);
      assert.ok(seen.length > 10, `the watcher read the file ${seen.length} times`);
      assert.equal(nodeFileSystem.list(storeDir).filter((name) => name.includes('.tmp') || name.includes('.lock')), [], 'no staging or lock file is left');
    }),
  );

  for (const how of ['killed with SIGKILL', 'exited and never reaped (a zombie)'] as const) {
    test(`a lock left by a process ${how} is taken over at once`, () =>
      withDir(async (dir) => {
        const first = store(dir);
        assert.ok(first.apply(catalogueSnapshot('r-1', 1, records)).ok);
        let holderProcess: ChildProcess;
        let pid: number;
        if (how === 'killed with SIGKILL') {
          holderProcess = child({ STORE_LOCK_ROLE: 'holder', STORE_DIR: dir });
          await firstLine(holderProcess);
          pid = holderProcess.pid as number;
          process.kill(pid, 'SIGKILL');
          await new Promise((resolve) => holderProcess.on('exit', resolve));
        } else {
          // sh starts the holder in the background and becomes `sleep`, which never waits for it: the holder stays a zombie.
          holderProcess = spawn('sh', ['-c', `"${process.execPath}" "${__filename}" & exec sleep 5`], { env: { ...process.env, STORE_LOCK_ROLE: 'holder', STORE_DIR: dir, HOLDER_EXIT: '1' }, stdio: ['ignore', 'pipe', 'inherit'] });
          const line = await firstLine(holderProcess);
          pid = Number((line.split(' ')[1] as string).split('.')[1]);
          for (let waited = 0; !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8')) && waited < 5_000; waited += 10) await new Promise((resolve) => setTimeout(resolve, 10));
          assert.match(readFileSync(`/proc/${pid}/stat`, 'utf8'), /\) Z /, 'the holder is a zombie');
        }
        assert.ok(nodeFileSystem.list(dir).some((name) => name.startsWith(`${catalogueKind.fileName}.lock.`)), 'its lock file is there');
        const started = Date.now();
        const applied = store(dir, nodeFileSystem, 5_000).apply(catalogueSnapshot('r-2', 2, records));
        assert.ok(applied.ok, applied.ok ? '' : applied.error.message);
        assert.ok(Date.now() - started < 2_000, `taken over in ${Date.now() - started} ms`);
        assert.not.ok(nodeFileSystem.list(dir).some((name) => name.includes('.lock.')), 'the dead lock is gone');
        holderProcess.kill('SIGKILL');
      }),
    );
  }

  test('a lock held by a live process: the update waits, then fails update_busy; the version held serves, the file is untouched', () =>
    withDir(async (dir) => {
      const first = store(dir);
      assert.ok(first.apply(catalogueSnapshot('r-1', 1, records)).ok);
      const before = readFileSync(path.join(dir, catalogueKind.fileName));
      const holding = child({ STORE_LOCK_ROLE: 'holder', STORE_DIR: dir });
      try {
        await firstLine(holding);
        const waiting = store(dir, nodeFileSystem, 300);
        const started = Date.now();
        const result = waiting.apply(catalogueSnapshot('r-2', 2, records));
        assert.not.ok(result.ok);
        if (!result.ok) assert.is(result.error.code, 'update_busy');
        assert.ok(Date.now() - started >= 300, 'it waited');
        assert.is(waiting.version, 'r-1');
        assert.ok(Buffer.from(readFileSync(path.join(dir, catalogueKind.fileName))).equals(before));
        assert.ok(existsSync(dir));
      } finally {
        holding.kill('SIGKILL');
      }
    }),
  );

  test.run();
}
