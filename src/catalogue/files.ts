// Replacing a versioned file so that a crash at any point leaves either the
// old version or the new one, never a mix, and keeps the one before for
// rollback:
//   1. write NAME.tmp.OWNER, fsync it;
//   2. when the current file is to be kept as the previous version (the
//      store has just verified it, under its lock): hard-link NAME to
//      NAME.prev.tmp.OWNER, rename that to NAME.prev;
//   3. rename NAME.tmp.OWNER over NAME (atomic on POSIX), fsync the directory.
// OWNER names the applier (lock.ts), so two appliers never share a staging
// file, and what a dead one left is cleared without touching a live one's.
// A disk failure (ENOSPC, EPERM, EIO…) removes this update's staging files
// at once. Every operation goes through a FileSystem passed in, so a test
// can stop the update after any step (or tear a write) and reboot onto what
// is left.
import { closeSync, constants, existsSync, fsyncSync, linkSync, openSync, readdirSync, readSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ownerAlive } from './lock';

/** The file operations a versioned store needs. Synchronous: updates are rare and must be ordered exactly. */
export interface FileSystem {
  /**
   * Opens `file` to read it in place, page by page as it is needed: the
   * reader reads the file as opened (a later rename over its name does not
   * change what it reads) until it is closed.
   */
  openRead(file: string): FileReader;
  /** Reads into `into` from `position` of `file`; the count of bytes read (fewer at its end). */
  readAt(file: string, position: number, into: Uint8Array): number;
  /** Creates or truncates `file`, writes the parts one after the other, fsyncs and closes it. */
  writeFileDurable(file: string, parts: readonly Uint8Array[]): void;
  rename(from: string, to: string): void;
  link(existing: string, created: string): void;
  unlink(file: string): void;
  exists(file: string): boolean;
  /** Makes renames and links in `dir` durable. */
  fsyncDir(dir: string): void;
  /** The names in `dir`. */
  list(dir: string): string[];
}

/** An open file, read at any position. */
export interface FileReader {
  /** Reads into `into` from `position`; the count of bytes read (fewer at the file's end). */
  readAt(position: number, into: Uint8Array): number;
  close(): void;
}

/** The real file system. */
export const nodeFileSystem: FileSystem = {
  openRead(file) {
    let fd = openSync(file, 'r');
    return {
      readAt(position, into) {
        let count = 0;
        for (let got = -1; got !== 0 && count < into.length; count += got) got = readSync(fd, into, count, into.length - count, position + count);
        return count;
      },
      close() {
        if (fd >= 0) closeSync(fd);
        fd = -1;
      },
    };
  },
  readAt(file, position, into) {
    const reader = nodeFileSystem.openRead(file);
    try {
      return reader.readAt(position, into);
    } finally {
      reader.close();
    }
  },
  writeFileDurable(file, parts) {
    const fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC, 0o644);
    try {
      for (const bytes of parts) {
        let written = 0;
        while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
      }
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
  list: (dir) => readdirSync(dir),
};

/** The paths of one versioned file. */
export interface VersionedPaths {
  readonly dir: string;
  readonly name: string;
  readonly current: string;
  readonly previous: string;
  /** Where a current file found damaged is moved (the last one kept, for the engineer). */
  readonly damaged: string;
}

export function versionedPaths(dir: string, name: string): VersionedPaths {
  return { dir, name, current: join(dir, name), previous: join(dir, `${name}.prev`), damaged: join(dir, `${name}.damaged`) };
}

/** The staging files of one applier. */
export function stagingPaths(paths: VersionedPaths, owner: string): { readonly staging: string; readonly previousStaging: string } {
  return { staging: `${paths.current}.tmp.${owner}`, previousStaging: `${paths.previous}.tmp.${owner}` };
}

/** The applier a staging file belongs to ('' for the single staging names of earlier versions), or null for any other file. */
function stagingOwner(paths: VersionedPaths, entry: string): string | null {
  for (const prefix of [`${paths.name}.tmp`, `${paths.name}.prev.tmp`]) {
    if (entry === prefix) return '';
    if (entry.startsWith(`${prefix}.`)) return entry.slice(prefix.length + 1);
  }
  return null;
}

/**
 * Removes the staging files of appliers that are no longer running (a crash,
 * a power cut); a live applier's are left alone. The current and previous
 * files are never touched.
 */
export function clearStaging(fs: FileSystem, paths: VersionedPaths): void {
  for (const entry of fs.list(paths.dir)) {
    const owner = stagingOwner(paths, entry);
    if (owner !== null && (owner === '' || !ownerAlive(owner))) fs.unlink(join(paths.dir, entry));
  }
}

/** An operating system's I/O error (ENOSPC, EIO, EACCES…): the disk refused, not a bug. One definition for the catalogue's files, apply and store. */
export function isIoError(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).code === 'string' && /^E[A-Z]+$/.test((error as NodeJS.ErrnoException).code as string);
}

/** Removes what an update failed by the disk left (best effort: the disk may still refuse). */
function removeStaging(fs: FileSystem, files: readonly string[]): void {
  for (const file of files) {
    try {
      if (fs.exists(file)) fs.unlink(file);
    } catch (error) {
      if (!isIoError(error)) throw error;
    }
  }
}

/**
 * Replaces the current file with `parts`, keeping the current one as the
 * previous version when `keepCurrent` (the caller has verified it). On a disk
 * failure the staging files go at once and the error is thrown on.
 */
export function replaceDurably(fs: FileSystem, paths: VersionedPaths, parts: readonly Uint8Array[], options: { readonly keepCurrent: boolean; readonly owner: string }): void {
  const { staging, previousStaging } = stagingPaths(paths, options.owner);
  try {
    fs.writeFileDurable(staging, parts);
    if (options.keepCurrent && fs.exists(paths.current)) {
      fs.link(paths.current, previousStaging);
      fs.rename(previousStaging, paths.previous);
    }
    fs.rename(staging, paths.current);
    fs.fsyncDir(paths.dir);
  } catch (error) {
    if (isIoError(error)) removeStaging(fs, [staging, previousStaging]);
    throw error;
  }
}

/** Makes the previous version current again (the current one becomes the previous). */
export function swapWithPrevious(fs: FileSystem, paths: VersionedPaths, owner: string): void {
  const { staging, previousStaging } = stagingPaths(paths, owner);
  fs.link(paths.previous, staging);
  fs.link(paths.current, previousStaging);
  fs.rename(previousStaging, paths.previous);
  fs.rename(staging, paths.current);
  fs.fsyncDir(paths.dir);
}

/** Moves a file found damaged aside (to `paths.damaged`), so that no later boot or update takes it for a version. */
export function setAside(fs: FileSystem, paths: VersionedPaths, file: string): void {
  fs.rename(file, paths.damaged);
  fs.fsyncDir(paths.dir);
}
