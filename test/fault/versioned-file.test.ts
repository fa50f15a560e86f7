// Proves a versioned file is never left half-updated: the update is run once
// per file operation it performs, the power cut at each one in turn (and each
// write also torn in half); after every cut, a reboot finds the current file
// whole and equal to either the old or the new version, and the previous
// version (when there is one) whole too. Also proves the previous version is
// kept for rollback and that a swap back is just as safe.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { clearStaging, nodeFileSystem, replaceDurably, swapWithPrevious, versionedPaths } from '../../src/catalogue/files';
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

function setUp(dir: string): void {
  const paths = versionedPaths(dir, 'catalogue.cat');
  replaceDurably(nodeFileSystem, paths, versions[0] as Uint8Array);
  replaceDurably(nodeFileSystem, paths, versions[1] as Uint8Array);
}

test('an update cut at every operation, whole or torn, leaves the old or the new version', () => {
  let cuts = 0;
  for (const tornFraction of [0, 0.5]) {
    for (let cutAfter = 0; ; cutAfter += 1) {
      const dir = freshDir();
      try {
        setUp(dir);
        const paths = versionedPaths(dir, 'catalogue.cat');
        const wasCut = attempt(dir, (fs) => replaceDurably(fs, paths, versions[2] as Uint8Array), cutAfter, tornFraction);
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
      const wasCut = attempt(dir, (fs) => swapWithPrevious(fs, paths), cutAfter, 0);
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

test('leftover staging files from a cut update are cleared, the current file untouched', () => {
  const dir = freshDir();
  try {
    setUp(dir);
    const paths = versionedPaths(dir, 'catalogue.cat');
    writeFileSync(paths.staging, 'half a file');
    writeFileSync(paths.previousStaging, 'half another');
    clearStaging(nodeFileSystem, paths);
    assert.not.ok(nodeFileSystem.exists(paths.staging));
    assert.not.ok(nodeFileSystem.exists(paths.previousStaging));
    assert.is(readFileSync(paths.current, 'utf8'), text(versions[1] as Uint8Array));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
