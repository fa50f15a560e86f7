// The file operations a journal needs, passed in (docs/conventions.md habit 6) so a test
// can tear a write or cut the power between any two of them, and the real
// ones. Synchronous: a commit point is a write and an fsync that must finish,
// in order, before the caller acts on it.
import { closeSync, constants, existsSync, fdatasyncSync, fsyncSync, ftruncateSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

export interface JournalStorage {
  /** The whole file, or null when there is none. */
  read(file: string): Uint8Array | null;
  /** Appends at the end (creating the file); durable only after `sync`. */
  append(file: string, bytes: Uint8Array): void;
  /** Makes what was appended or written durable (fdatasync). */
  sync(file: string): void;
  /** Cuts the file to `length` bytes, durably. */
  truncate(file: string, length: number): void;
  /** Creates or empties the file and writes `bytes`; durable only after `sync`. */
  write(file: string, bytes: Uint8Array): void;
  /** Renames atomically over `to`; durable only after `syncDir`. */
  rename(from: string, to: string): void;
  remove(file: string): void;
  /** Makes renames, creations and removals in the file's directory durable. */
  syncDir(file: string): void;
}

/** The real file system; keeps one descriptor per file it appends to. */
export function nodeJournalStorage(): JournalStorage {
  const open = new Map<string, number>();
  const fd = (file: string, truncate = false): number => {
    let handle = open.get(file);
    if (truncate && handle !== undefined) {
      closeSync(handle);
      handle = undefined;
    }
    if (handle === undefined) {
      handle = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND | (truncate ? constants.O_TRUNC : 0), 0o600);
      open.set(file, handle);
    }
    return handle;
  };
  const forget = (file: string) => {
    const handle = open.get(file);
    if (handle !== undefined) closeSync(handle);
    open.delete(file);
  };
  const writeAll = (handle: number, bytes: Uint8Array) => {
    for (let at = 0; at < bytes.length; ) at += writeSync(handle, bytes, at, bytes.length - at);
  };
  return {
    read: (file) => (existsSync(file) ? new Uint8Array(readFileSync(file)) : null),
    append: (file, bytes) => writeAll(fd(file), bytes),
    sync: (file) => fdatasyncSync(fd(file)),
    truncate(file, length) {
      const handle = fd(file);
      ftruncateSync(handle, length);
      fsyncSync(handle);
    },
    write: (file, bytes) => writeAll(fd(file, true), bytes),
    rename(from, to) {
      forget(from);
      forget(to);
      renameSync(from, to);
    },
    remove(file) {
      forget(file);
      if (existsSync(file)) unlinkSync(file);
    },
    syncDir(file) {
      const handle = openSync(dirname(file), constants.O_RDONLY);
      try {
        fsyncSync(handle);
      } finally {
        closeSync(handle);
      }
    },
  };
}
