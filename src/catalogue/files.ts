// Replacing a versioned file so that a crash at any point leaves either the
// old version or the new one, never a mix, and keeps the one before for
// rollback:
//   1. write NAME.tmp, fsync it;
//   2. hard-link the current NAME to NAME.prev.tmp, rename that to NAME.prev;
//   3. rename NAME.tmp over NAME (atomic on POSIX), fsync the directory.
// Every operation goes through a FileSystem passed in, so a test can stop the
// update after any step (or tear a write) and reboot onto what is left.
import { closeSync, constants, existsSync, fstatSync, fsyncSync, linkSync, openSync, read, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** The file operations a versioned store needs. Synchronous: updates are rare and must be ordered exactly. */
export interface FileSystem {
  readFile(file: string): Uint8Array;
  /** Creates or truncates `file`, writes `bytes`, fsyncs and closes it. */
  writeFileDurable(file: string, bytes: Uint8Array): void;
  rename(from: string, to: string): void;
  link(existing: string, created: string): void;
  unlink(file: string): void;
  exists(file: string): boolean;
  /** Makes renames and links in `dir` durable. */
  fsyncDir(dir: string): void;
}

/** The real file system. */
export const nodeFileSystem: FileSystem = {
  readFile(file) {
    // A fresh buffer aligned for typed arrays (readFileSync may pool small files at odd offsets).
    const bytes = readFileSync(file);
    return bytes.byteOffset % 8 === 0 ? bytes : new Uint8Array(bytes);
  },
  writeFileDurable(file, bytes) {
    const fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC, 0o644);
    try {
      let written = 0;
      while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  },
  rename: renameSync,
  link: linkSync,
  unlink: unlinkSync,
  exists: existsSync,
  fsyncDir(dir) {
    const fd = openSync(dir, constants.O_RDONLY);
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  },
};

/**
 * The real file system, with `file` being read ahead: one read on libuv's
 * thread pool, started now, while boot loads the rest of its code on the
 * main thread (a 200,000-item catalogue is 10 MB). Resolves once the read
 * is done; the first readFile (of anything) takes those bytes or drops
 * them, so a later read always sees the disk. A failed read leaves plain
 * reads.
 */
export function readAhead(file: string): Promise<FileSystem> {
  let ahead: Uint8Array | null = null;
  const fs: FileSystem = {
    ...nodeFileSystem,
    readFile(name) {
      const held = name === file ? ahead : null;
      ahead = null;
      return held ?? nodeFileSystem.readFile(name);
    },
  };
  return new Promise((resolve) => {
    let fd = -1;
    try {
      fd = openSync(file, 'r');
      // Not zero-filled: the read fills every byte or the bytes are dropped.
      const into = Buffer.allocUnsafeSlow(fstatSync(fd).size);
      read(fd, into, 0, into.length, 0, (error, count) => {
        closeSync(fd);
        if (!error && count === into.length) ahead = into;
        resolve(fs);
      });
    } catch {
      if (fd >= 0) closeSync(fd);
      resolve(fs);
    }
  });
}

/** The paths of one versioned file. */
export interface VersionedPaths {
  readonly dir: string;
  readonly current: string;
  readonly previous: string;
  readonly staging: string;
  readonly previousStaging: string;
}

export function versionedPaths(dir: string, name: string): VersionedPaths {
  return {
    dir,
    current: join(dir, name),
    previous: join(dir, `${name}.prev`),
    staging: join(dir, `${name}.tmp`),
    previousStaging: join(dir, `${name}.prev.tmp`),
  };
}

/** Removes what an interrupted update left behind; the current and previous files are never touched. */
export function clearStaging(fs: FileSystem, paths: VersionedPaths): void {
  for (const file of [paths.staging, paths.previousStaging]) if (fs.exists(file)) fs.unlink(file);
}

/** Replaces the current file with `bytes`, keeping the current one as the previous version. */
export function replaceDurably(fs: FileSystem, paths: VersionedPaths, bytes: Uint8Array): void {
  clearStaging(fs, paths);
  fs.writeFileDurable(paths.staging, bytes);
  if (fs.exists(paths.current)) {
    fs.link(paths.current, paths.previousStaging);
    fs.rename(paths.previousStaging, paths.previous);
  }
  fs.rename(paths.staging, paths.current);
  fs.fsyncDir(paths.dir);
}

/** Makes the previous version current again (the current one becomes the previous). */
export function swapWithPrevious(fs: FileSystem, paths: VersionedPaths): void {
  clearStaging(fs, paths);
  fs.link(paths.previous, paths.staging);
  fs.link(paths.current, paths.previousStaging);
  fs.rename(paths.previousStaging, paths.previous);
  fs.rename(paths.staging, paths.current);
  fs.fsyncDir(paths.dir);
}
