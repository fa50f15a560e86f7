// The hub's state log with its fdatasync off the event loop (issue 14: under
// 200 terminals the synchronous fdatasync held the loop for 10 % of the
// hub's time). The storage passes every call through, except that inside
// `deferring()` a `sync` of a file is only noted; `syncAsync` then runs
// that fdatasync on libuv's thread pool, on a descriptor of the hub's own
// (fdatasync makes the file's data durable whichever descriptor wrote it).
// The hub writes its next group of events only after the previous group's
// fdatasync has finished, so at most one append is ever unsynced, as with
// the synchronous log (a power cut tears only the last append), and no
// reply leaves before its events are durable.
import { closeSync, fdatasync, openSync } from 'node:fs';
import type { JournalStorage } from '../../../src/journal/storage';

export class DeferredSyncStorage implements JournalStorage {
  readonly #inner: JournalStorage;
  #deferring = false;
  readonly #pending = new Set<string>();
  /** Read-only descriptors for the asynchronous fdatasync, by file; dropped when the file is replaced or removed. */
  readonly #handles = new Map<string, number>();

  constructor(inner: JournalStorage) {
    this.#inner = inner;
  }

  read(file: string): Uint8Array | null {
    return this.#inner.read(file);
  }

  append(file: string, bytes: Uint8Array): void {
    this.#inner.append(file, bytes);
  }

  sync(file: string): void {
    if (this.#deferring) this.#pending.add(file);
    else this.#inner.sync(file);
  }

  truncate(file: string, length: number): void {
    this.#inner.truncate(file, length);
  }

  write(file: string, bytes: Uint8Array): void {
    this.#forget(file);
    this.#inner.write(file, bytes);
  }

  rename(from: string, to: string): void {
    this.#forget(from);
    this.#forget(to);
    this.#inner.rename(from, to);
  }

  remove(file: string): void {
    this.#forget(file);
    this.#inner.remove(file);
  }

  syncDir(file: string): void {
    this.#inner.syncDir(file);
  }

  /** Runs `work` with its syncs noted, not run; returns the files it asked to sync (run them with `syncAsync`). */
  deferring(work: () => void): string[] {
    this.#deferring = true;
    try {
      work();
    } finally {
      this.#deferring = false;
    }
    const files = [...this.#pending];
    this.#pending.clear();
    return files;
  }

  /** fdatasync of a file on the thread pool. */
  syncAsync(file: string): Promise<void> {
    let handle = this.#handles.get(file);
    if (handle === undefined) this.#handles.set(file, (handle = openSync(file, 'r')));
    return new Promise((resolve, reject) => fdatasync(handle, (error) => (error === null ? resolve() : reject(error))));
  }

  /** Closes the descriptors kept for `syncAsync` (none may be in flight). */
  close(): void {
    for (const file of [...this.#handles.keys()]) this.#forget(file);
  }

  #forget(file: string): void {
    const handle = this.#handles.get(file);
    if (handle === undefined) return;
    this.#handles.delete(file);
    closeSync(handle);
  }
}
