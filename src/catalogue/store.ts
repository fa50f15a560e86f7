// The terminal's copies of the catalogue and of the policy book: each a signed
// file in a directory, replaced atomically by signed updates, with the
// previous version kept.
//
// Boot: clear what an interrupted update left, open the current file under
// its statement (one signature check, the statement's line, and one hash of
// the page table: pages.ts), and lay the value over it; the body is not read
// then: every page is read from the file and checked when first touched
// (the file stays open until every page is), so boot costs the same at
// 200,000 items or 1,000,000, and `verifyAll` reads and checks the rest
// once the terminal is ready. A file that cannot serve (damaged, of another line, unknown key)
// falls back to the previous version, verified whole.
//
// A damaged page found at any time (a settlement's read, `verifyAll`, an
// update) is a fault: the read fails with `store_damaged` (never a wrong
// value), the store moves the damaged file aside and serves the previous
// version if it verifies (or nothing), and emits `fault` to its listeners
// (the terminal logs it, tells the hub and fetches a snapshot:
// src/terminal.ts). `fault` stays set until an update heals the store.
//
// Update (apply.ts): under the store's lock (lock.ts), re-read what the disk
// holds, verify the update and build the result, prove it is the file the hub
// built, then replace the file durably. Any refusal is a typed UpdateError
// and the version held keeps serving.
import { EventEmitter } from 'node:events';
import type TypedEmitter from 'typed-emitter';
import type { Verifier } from '../../protocol/crypto';
import { bytesEqual } from '../../protocol/crypto';
import { applyUpdate, verifyFileOnDisk } from './apply';
import { clearStaging, isIoError, nodeFileSystem, setAside, versionedPaths, type FileReader, type FileSystem, type VersionedPaths } from './files';
import { Catalogue, CatalogueFormatError } from './layout';
import { lockStore, type StoreLock } from './lock';
import { pageBytes, StoreDamagedError, type PageGuard } from './pages';
import { PolicyBook, PolicyBookError } from './policy-book';
import { checkLine, containerPrefixBytes, containerShape, guardStored, readContainer, UpdateError, verifyStatement, type BlobKind, type Container, type Statement } from './update';

/**
 * A stored file's head (prefix, statement, page table), its length on disk
 * checked; the body is an empty array of its length, which `loadPage` fills.
 */
function readHead(reader: FileReader): { readonly container: Container; readonly bodyAt: number } {
  const prefix = new Uint8Array(containerPrefixBytes);
  const shape = containerShape(prefix.subarray(0, reader.readAt(0, prefix)));
  const head = new Uint8Array(shape.bodyAt);
  const container = readContainer(head.subarray(0, reader.readAt(0, head)), new Uint8Array(shape.bodyLength));
  // The file ends where its prefix says: its last byte is there, nothing after it.
  const last = reader.readAt(shape.totalLength - 1, new Uint8Array(2));
  if (last === 0) throw new UpdateError('update_truncated', 'the body is cut short');
  if (last > 1) throw new UpdateError('update_malformed', 'bytes after the body');
  return { container, bodyAt: shape.bodyAt };
}

/** Reads one page of a stored body from its file; false when it cannot be read whole (the guard takes that as damage). */
function loadPage(reader: FileReader, bodyAt: number, body: Uint8Array, page: number): boolean {
  const into = body.subarray(page * pageBytes, (page + 1) * pageBytes);
  try {
    return reader.readAt(bodyAt + page * pageBytes, into) === into.length;
  } catch {
    return false;
  }
}

/** What the store needs to know of the thing it keeps. */
export interface StoredKind<T> {
  readonly kind: BlobKind;
  readonly fileName: string;
  /** Opens a body in place under its guard (null: already verified whole), checking its structure; throws on a damaged one. */
  open(body: Uint8Array, guard: PageGuard | null): T;
  versionOf(value: T): string;
}

/**
 * The catalogue line of a treatment place, from its national fixmedins code:
 * the kind letter, the place's six-digit area code, a serial; the line is
 * the area's province, its first two digits (H11010600001: "11"), the line
 * the hub publishes that place's catalogue on. null for a code of another form.
 */
export function catalogueLine(fixmedinsCode: string): string | null {
  return /^[A-Z][0-9]{11}$/.test(fixmedinsCode) ? fixmedinsCode.slice(1, 3) : null;
}

/** The policy book's line: one book for the whole country. */
export const policyBookLine = '';


/** An error that means a stored file cannot serve (as opposed to a bug). */
export function isStoreFault(error: unknown): error is Error & { readonly code: string } {
  return error instanceof CatalogueFormatError || error instanceof PolicyBookError || error instanceof UpdateError || error instanceof StoreDamagedError || error instanceof RangeError;
}

export const catalogueKind: StoredKind<Catalogue> = {
  kind: 'catalogue',
  fileName: 'catalogue.signed',
  open: (body, guard) => new Catalogue(body, guard),
  versionOf: (catalogue) => catalogue.version,
};

export const policyBookKind: StoredKind<PolicyBook> = {
  kind: 'policy_book',
  fileName: 'policy-book.signed',
  open: (body, guard) => new PolicyBook(body, guard),
  versionOf: (book) => book.version,
};

export interface Held<T> {
  readonly value: T;
  readonly statement: Statement;
  readonly statementBytes: Uint8Array;
  /** Checks the value's pages as they are read. */
  readonly guard: PageGuard;
  /** The file it was read from: the current file, or the previous version after a fault. */
  readonly source: 'current' | 'previous';
}

/** Why a store cannot serve its current file: told to the hub, healed by a snapshot. */
export interface StoreFault {
  readonly kind: BlobKind;
  /** The version that failed, when its statement could be read. */
  readonly version: string | null;
  readonly why: string;
}

export interface StoreOptions {
  readonly dir: string;
  /** The hub's keys by kid (pinned in the profile; rotated by a signed message). */
  readonly hubKeys: (kid: Uint8Array | null) => Verifier | null;
  /**
   * The line the store keeps: the treatment place's province (two digits)
   * for the catalogue, "" for the policy book; an update or a stored file of
   * another line is refused (`update_wrong_line`). null takes any line (an
   * engineer's tool working on a file it names).
   */
  readonly line: string | null;
  readonly fs?: FileSystem;
  /** The file's name in `dir` (default: the kind's own). */
  readonly fileName?: string;
  /** How long an update waits for another process's to finish, ms (default lock.ts's storeLockWaitMsMax). */
  readonly lockWaitMs?: number;
}

export type ApplyResult = { readonly ok: true; readonly version: string; readonly serial: number } | { readonly ok: false; readonly error: UpdateError };

interface Loaded<T> {
  readonly held: Held<T> | null;
  /** Why an existing file could not serve (null when it could, or there is none). */
  readonly problem: string | null;
  readonly exists: boolean;
}

/**
 * What a store tells those who watch it. An event source, not a callback
 * given at open: the terminal, its log and a test may each listen, and a
 * store opened before anyone listens (boot) still says its boot problem
 * through `fault` and `bootProblem`.
 */
export type SignedStoreEvents = {
  /** A fault found while the store serves: a damaged page, a value it cannot use, an update's finding; a snapshot heals it. */
  fault: (fault: StoreFault) => void;
};

/** A signed store: the catalogue (`catalogueKind`) or the policy book (`policyBookKind`). */
export class SignedStore<T> extends (EventEmitter as new () => TypedEmitter<SignedStoreEvents>) {
  #held: Held<T> | null;
  #fault: StoreFault | null = null;
  /** The lock, while an update holds it (a fault found meanwhile uses it). */
  #lock: StoreLock | null = null;
  /** Why the current file could not serve at boot (null when it could). */
  readonly bootProblem: string | null;
  readonly paths: VersionedPaths;
  readonly fs: FileSystem;
  readonly type: StoredKind<T>;
  readonly options: StoreOptions;

  private constructor(type: StoredKind<T>, options: StoreOptions) {
    super();
    this.type = type;
    this.options = options;
    this.fs = options.fs ?? nodeFileSystem;
    this.paths = versionedPaths(options.dir, options.fileName ?? type.fileName);
    clearStaging(this.fs, this.paths);
    const current = this.read('current', false);
    if (current.held !== null) {
      this.#held = current.held;
      this.bootProblem = null;
      return;
    }
    const previous = this.read('previous', true);
    this.#held = previous.held;
    // No file at all is a terminal that has not synced yet, not a problem.
    this.bootProblem = current.problem ?? (previous.held === null ? previous.problem : 'the current file is missing: serving the previous version');
    if (this.bootProblem !== null) this.#fault = { kind: type.kind, version: null, why: this.bootProblem };
  }

  /** Opens the store in a directory (boot). */
  static open<T>(type: StoredKind<T>, options: StoreOptions): SignedStore<T> {
    return new SignedStore(type, options);
  }

  /**
   * Reads the current or previous file: statement, line, page table, and the
   * value laid over the body, whose pages are read as they are touched; with
   * `whole`, every page is read and checked too (a fallback is checked whole
   * before it serves).
   */
  read(source: Held<T>['source'], whole: boolean): Loaded<T> {
    const file = source === 'current' ? this.paths.current : this.paths.previous;
    if (!this.fs.exists(file)) return { held: null, problem: null, exists: false };
    let reader: FileReader | null = null;
    try {
      const opened = (reader = this.fs.openRead(file));
      const { container, bodyAt } = readHead(opened);
      const verified = { ...container, statement: verifyStatement(container.statementBytes, this.type.kind, this.options.hubKeys) };
      checkLine(verified.statement, this.options.line);
      let held: Held<T> | null = null;
      const guard = guardStored(verified, {
        label: `${file} (${verified.statement.toVersion})`,
        onDamage: (why) => held !== null && this.#damaged(held, why),
        load: (page) => loadPage(opened, bodyAt, verified.body, page),
        onWhole: () => opened.close(),
      });
      const value = this.type.open(verified.body, guard);
      if (this.type.versionOf(value) !== verified.statement.toVersion) throw new UpdateError('update_malformed', 'the file holds another version than its statement names');
      if (whole && !guard.verifyAll()) throw new StoreDamagedError(`store_damaged: ${file}: a page is not the one the hub signed`);
      held = { value, statement: verified.statement, statementBytes: verified.statementBytes, guard, source };
      return { held, problem: null, exists: true };
    } catch (error) {
      reader?.close();
      if (!isStoreFault(error)) throw error;
      return { held: null, problem: `${file}: ${error.message}`, exists: true };
    }
  }

  /** What the store serves, or null before any catalogue has arrived. */
  get current(): Held<T> | null {
    return this.#held;
  }

  get version(): string | null {
    return this.#held === null ? null : this.#held.statement.toVersion;
  }

  /** The fault that a snapshot must heal, or null. */
  get fault(): StoreFault | null {
    return this.#fault;
  }

  /** Serves `held` (an update's result, or what the disk holds after one); a healthy current file ends a fault. */
  serve(held: Held<T> | null): void {
    this.#held = held;
    if (held !== null && held.source === 'current') this.#fault = null;
  }

  /** Records a fault found by an update (apply.ts) and tells the listeners (`fault`). */
  fail(fault: StoreFault): void {
    this.#fault = fault;
    this.emit('fault', fault);
  }

  /**
   * A page of the held value failed its check (inside the read that failed,
   * which then throws StoreDamagedError): move the file aside when the
   * disk's copy is damaged too, serve what the disk holds that checks whole
   * (the current file, else the previous version, else nothing), tell the
   * listeners.
   */
  #damaged(held: Held<T>, why: string): void {
    if (this.#held !== held) return;
    let lock: StoreLock | null = this.#lock;
    try {
      lock ??= lockStore(this.options.dir, this.paths.name, 0);
    } catch (error) {
      if (!(error instanceof UpdateError || isIoError(error))) throw error;
    }
    // Without the lock (another process is updating) the file stays where it is: that update checks it itself.
    if (lock !== null) {
      try {
        this.setAsideIfDamaged(held);
      } finally {
        if (lock !== this.#lock) lock.release();
      }
    }
    this.#held = this.read('current', true).held ?? this.read('previous', true).held;
    this.fail({ kind: this.type.kind, version: held.statement.toVersion, why });
  }

  /**
   * A reader found the held value unusable though its bytes are the signed
   * ones (a policy this firmware no longer accepts, say): serve the previous
   * version if it checks whole, and tell the listeners; the snapshot fetched
   * then replaces the current file.
   */
  reportFault(why: string): void {
    const held = this.#held;
    if (held === null) return;
    const previous = held.source === 'current' ? this.read('previous', true).held : null;
    this.#held = previous;
    this.fail({ kind: this.type.kind, version: held.statement.toVersion, why });
  }

  /** Under the lock: moves the held value's file aside when the disk's copy of it is damaged too (best effort: a disk error leaves it). */
  setAsideIfDamaged(held: Held<T>): void {
    const file = held.source === 'current' ? this.paths.current : this.paths.previous;
    try {
      if (this.fs.exists(file) && verifyFileOnDisk(this.fs, file, held.statementBytes, held.statement) === 'damaged') setAside(this.fs, this.paths, file);
    } catch (error) {
      if (!isIoError(error)) throw error;
    }
  }

  /** The current file if it serves, else the previous version checked whole, else nothing. */
  bestOnDisk(): Held<T> | null {
    return this.read('current', false).held ?? this.read('previous', true).held;
  }

  /**
   * Applies a signed update (src/catalogue/apply.ts) under the store's lock;
   * on any refusal the version held keeps serving. After a disk failure,
   * whatever the disk holds now (the old version or the new) is served.
   */
  apply(update: Uint8Array): ApplyResult {
    let lock: StoreLock;
    try {
      lock = lockStore(this.options.dir, this.paths.name, this.options.lockWaitMs);
    } catch (error) {
      if (error instanceof UpdateError) return { ok: false, error };
      if (isIoError(error)) return { ok: false, error: new UpdateError('update_io_failed', (error as Error).message) };
      throw error;
    }
    this.#lock = lock;
    try {
      return applyUpdate(this, update, lock.owner);
    } finally {
      this.#lock = null;
      lock.release();
    }
  }

  /** Checks every page of the held file not checked yet (run once the terminal is ready); false after a fault. */
  verifyAll(): boolean {
    const held = this.#held;
    if (held === null) return true;
    return held.guard.verifyAll();
  }

  /** Whether `held` is what the store holds (its statement). */
  holds(statementBytes: Uint8Array): boolean {
    return this.#held !== null && bytesEqual(this.#held.statementBytes, statementBytes);
  }
}
