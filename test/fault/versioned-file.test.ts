// Proves a versioned file is never left half-updated: the update is run once
// per file operation it performs, the power cut at each one in turn (and each
// write also torn in half); after every cut, a reboot finds the current file
// whole and equal to either the old or the new version, and the previous
// version (when there is one) whole too. Also proves the previous version is
// kept for rollback and that a swap back is just as safe; that a reboot
// clears what a dead applier left but never a live applier's staging file;
// that an update told not to keep the current file leaves the previous one
// as it was; and that a disk failure (ENOSPC, EPERM) removes the update's
// staging file at once.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { clearStaging, nodeFileSystem, replaceDurably, stagingPaths, swapWithPrevious, versionedPaths, type FileSystem } from '../../src/catalogue/files';
import { lockStore } from '../../src/catalogue/lock';
import { CrashingFileSystem, PowerCut } from '../helpers/crashing-fs';

const versions = ['v1'.repeat(5_000), 'v2'.repeat(7_000), 'v3'.repeat(3_000)].map((text) => new TextEncoder().encode(text));
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

function freshDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'versioned-'));
}

/** Runs an update with the power cut after `cutAfter` operations; returns whether it was cut. */
function attempt(dir: string, update: (fs: CrashingFileSystem) => void, cutAfter: number, tornFraction: number): boolean {
  const fs = new CrashingFileSystem({ cutAfter, tornFraction });
  try {
    update(fs);
    return false;
  } catch (error) {
    if (error instanceof PowerCut) return true;
    throw error;
  }
}

/** The owner of staging files left by a process of another boot: dead for sure. */
const deadOwner = 'otherboot.4242.17.1';

function replace(fs: FileSystem, paths: ReturnType<typeof versionedPaths>, bytes: Uint8Array, keepCurrent = true, owner = deadOwner): void {
  replaceDurably(fs, paths, [bytes.subarray(0, 100), bytes.subarray(100)], { keepCurrent, owner });
}

function setUp(dir: string): void {
  const paths = versionedPaths(dir, 'catalogue.cat');
  replace(nodeFileSystem, paths, versions[0] as Uint8Array);
  replace(nodeFileSystem, paths, versions[1] as Uint8Array);
}

test('an update cut at every operation, whole or torn, leaves the old or the new version', () => {
  let cuts = 0;
  for (const tornFraction of [0, 0.5]) {
    for (let cutAfter = 0; ; cutAfter += 1) {
      const dir = freshDir();
      try {
        setUp(dir);
        const paths = versionedPaths(dir, 'catalogue.cat');
        const wasCut = attempt(dir, (fs) => replace(fs, paths, versions[2] as Uint8Array), cutAfter, tornFraction);
        // Reboot: clear what the update left, read what is there.
        clearStaging(nodeFileSystem, paths);
        const current = readFileSync(paths.current, 'utf8');
        const previous = readFileSync(paths.previous, 'utf8');
        assert.ok([text(versions[1] as Uint8Array), text(versions[2] as Uint8Array)].includes(current), `cut after ${cutAfter}: current is neither version`);
        assert.ok([text(versions[0] as Uint8Array), text(versions[1] as Uint8Array)].includes(previous), `cut after ${cutAfter}: previous is damaged`);
        if (current === text(versions[2] as Uint8Array)) assert.is(previous, text(versions[1] as Uint8Array), 'the new version keeps the old as previous');
        if (!wasCut) break;
        cuts += 1;
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }
  assert.ok(cuts >= 10, `the update was cut at ${cuts} points`);
});

test('a swap back to the previous version, cut at every operation, leaves one of the two', () => {
  for (let cutAfter = 0; ; cutAfter += 1) {
    const dir = freshDir();
    try {
      setUp(dir);
      const paths = versionedPaths(dir, 'catalogue.cat');
      const wasCut = attempt(dir, (fs) => swapWithPrevious(fs, paths, deadOwner), cutAfter, 0);
      clearStaging(nodeFileSystem, paths);
      const current = readFileSync(paths.current, 'utf8');
      assert.ok([text(versions[0] as Uint8Array), text(versions[1] as Uint8Array)].includes(current), `cut after ${cutAfter}`);
      if (!wasCut) {
        assert.is(current, text(versions[0] as Uint8Array));
        assert.is(readFileSync(paths.previous, 'utf8'), text(versions[1] as Uint8Array));
        break;
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
});

test('leftover staging files of dead appliers are cleared, a live applier\'s are not, the current file untouched', () => {
  const dir = freshDir();
  try {
    setUp(dir);
    const paths = versionedPaths(dir, 'catalogue.cat');
    const dead = stagingPaths(paths, deadOwner);
    writeFileSync(dead.staging, 'half a file');
    writeFileSync(dead.previousStaging, 'half another');
    writeFileSync(`${paths.current}.tmp`, 'the single staging name of earlier versions');
    const lock = lockStore(dir, paths.name);
    const live = stagingPaths(paths, lock.owner);
    writeFileSync(live.staging, 'an update being written');
    try {
      clearStaging(nodeFileSystem, paths);
      assert.not.ok(nodeFileSystem.exists(dead.staging));
      assert.not.ok(nodeFileSystem.exists(dead.previousStaging));
      assert.not.ok(nodeFileSystem.exists(`${paths.current}.tmp`));
      assert.ok(nodeFileSystem.exists(live.staging), 'a live applier keeps its staging file');
      assert.is(readFileSync(paths.current, 'utf8'), text(versions[1] as Uint8Array));
    } finally {
      lock.release();
    }
    clearStaging(nodeFileSystem, paths);
    assert.not.ok(nodeFileSystem.exists(live.staging), 'once its lock is released it is a leftover');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an update that must not keep the current file (it did not verify) leaves the previous version as it was', () => {
  const dir = freshDir();
  try {
    setUp(dir);
    const paths = versionedPaths(dir, 'catalogue.cat');
    writeFileSync(paths.current, 'a damaged current file');
    replace(nodeFileSystem, paths, versions[2] as Uint8Array, false);
    assert.is(readFileSync(paths.current, 'utf8'), text(versions[2] as Uint8Array));
    assert.is(readFileSync(paths.previous, 'utf8'), text(versions[0] as Uint8Array), 'the damaged file never became the previous version');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

for (const code of ['ENOSPC', 'EPERM']) {
  test(`a disk failure (${code}) while writing removes the staging file at once and leaves both versions`, () => {
    const dir = freshDir();
    try {
      setUp(dir);
      const paths = versionedPaths(dir, 'catalogue.cat');
      const failing: FileSystem = {
        ...nodeFileSystem,
        writeFileDurable(file, parts) {
          nodeFileSystem.writeFileDurable(file, [parts[0] as Uint8Array]);
          throw Object.assign(new Error(`${code}: the disk refuses, write`), { code });
        },
      };
      assert.throws(() => replace(failing, paths, versions[2] as Uint8Array), (error: unknown) => (error as NodeJS.ErrnoException).code === code);
      assert.equal(nodeFileSystem.list(dir).sort(), ['catalogue.cat', 'catalogue.cat.prev'], 'no staging file is left for the next boot');
      assert.is(readFileSync(paths.current, 'utf8'), text(versions[1] as Uint8Array));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test.run();
