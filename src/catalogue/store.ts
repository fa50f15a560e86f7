// The terminal's copies of the catalogue and of the policy book: each a signed
// file in a directory, replaced atomically by signed updates, with the
// previous version kept (a damaged current file falls back to it).
//
// Boot: clear what an interrupted update left, open the current file under
// its statement (one signature check; the body's structure is checked, its
// digest is left for `verifyDigest`, which the terminal runs once it is
// ready), and fall back to the previous version if the current one is bad.
// Update: verify the statement and the body it signs, check the sequence
// (a delta from the version held; a serial above the one held), build the
// result, prove it is the file the hub built (result digest), check every
// entry, then replace the file durably. Any refusal is a typed UpdateError
// and the version held keeps serving.
import type { Verifier } from '../../protocol/crypto';
import { applyUpdate } from './apply';
import { clearStaging, nodeFileSystem, versionedPaths, type FileSystem, type VersionedPaths } from './files';
import { Catalogue, CatalogueFormatError } from './layout';
import { PolicyBook, PolicyBookError } from './policy-book';
import { UpdateError, verifyContainer, type BlobKind, type Statement } from './update';

/** What the store needs to know of the thing it keeps. */
export interface StoredKind<T> {
  readonly kind: BlobKind;
  readonly fileName: string;
  /** Opens a body in place, checking its structure; throws on a damaged one. */
  open(body: Uint8Array): T;
  versionOf(value: T): string;
}

function structural(error: unknown): boolean {
  return error instanceof CatalogueFormatError || error instanceof PolicyBookError || error instanceof UpdateError || error instanceof RangeError;
}

export const catalogueKind: StoredKind<Catalogue> = {
  kind: 'catalogue',
  fileName: 'catalogue.signed',
  open: (body) => new Catalogue(body),
  versionOf: (catalogue) => catalogue.version,
};

export const policyBookKind: StoredKind<PolicyBook> = {
  kind: 'policy_book',
  fileName: 'policy-book.signed',
  open: (body) => new PolicyBook(body),
  versionOf: (book) => book.version,
};

export interface Held<T> {
  readonly value: T;
  readonly statement: Statement;
  /** The stored file (statement and body); its digest is checked by verifyDigest. */
  readonly file: Uint8Array;
}

export interface StoreOptions {
  readonly dir: string;
  /** The hub's keys by kid (pinned in the profile; rotated by a signed message). */
  readonly hubKeys: (kid: Uint8Array | null) => Verifier | null;
  readonly fs?: FileSystem;
  /** The file's name in `dir` (default: the kind's own). */
  readonly fileName?: string;
}

export type ApplyResult = { readonly ok: true; readonly version: string; readonly serial: number } | { readonly ok: false; readonly error: UpdateError };

/** A signed store: the catalogue (`catalogueKind`) or the policy book (`policyBookKind`). */
export class SignedStore<T> {
  #held: Held<T> | null;
  /** Why the current file could not serve at boot (null when it could). */
  readonly bootProblem: string | null;
  readonly #paths: VersionedPaths;
  readonly #fs: FileSystem;

  readonly #type: StoredKind<T>;
  readonly #options: StoreOptions;

  private constructor(type: StoredKind<T>, options: StoreOptions) {
    this.#type = type;
    this.#options = options;
    this.#fs = options.fs ?? nodeFileSystem;
    this.#paths = versionedPaths(options.dir, options.fileName ?? type.fileName);
    clearStaging(this.#fs, this.#paths);
    const current = this.#load(this.#paths.current);
    if (current.held !== null) {
      this.#held = current.held;
      this.bootProblem = null;
    } else {
      const previous = this.#load(this.#paths.previous);
      this.#held = previous.held;
      // No file at all is a terminal that has not synced yet, not a problem.
      this.bootProblem = current.problem ?? (previous.held === null ? null : 'the current file is missing: serving the previous version');
    }
  }

  /** Opens the store in a directory (boot). */
  static open<T>(type: StoredKind<T>, options: StoreOptions): SignedStore<T> {
    return new SignedStore(type, options);
  }

  #load(file: string): { held: Held<T> | null; problem: string | null } {
    if (!this.#fs.exists(file)) return { held: null, problem: null };
    try {
      const bytes = this.#fs.readFile(file);
      const verified = verifyContainer(bytes, this.#type.kind, this.#options.hubKeys, 'none');
      const value = this.#type.open(verified.body);
      if (this.#type.versionOf(value) !== verified.statement.toVersion) throw new UpdateError('update_malformed', 'the file holds another version than its statement names');
      return { held: { value, statement: verified.statement, file: bytes }, problem: null };
    } catch (error) {
      if (!structural(error)) throw error;
      return { held: null, problem: `${file}: ${(error as Error).message}` };
    }
  }

  /** What the store serves, or null before any catalogue has arrived. */
  get current(): Held<T> | null {
    return this.#held;
  }

  get version(): string | null {
    return this.#held === null ? null : this.#held.statement.toVersion;
  }

  /**
   * Applies a signed update (src/catalogue/apply.ts); on any refusal the
   * version held keeps serving. After a disk failure, whatever the disk holds
   * now (the old version or the new) is served.
   */
  apply(update: Uint8Array): ApplyResult {
    const out = applyUpdate(this.#type, this.#held, update, this.#options.hubKeys, this.#fs, this.#paths);
    if (out.ok) {
      this.#held = out.held;
      return { ok: true, version: out.version, serial: out.serial };
    }
    if (out.reload) this.#held = this.#load(this.#paths.current).held ?? this.#load(this.#paths.previous).held;
    return { ok: false, error: out.error };
  }

  /** Checks the held file's body against its signed result digest (run once the terminal is ready). */
  verifyDigest(): boolean {
    if (this.#held === null) return true;
    try {
      verifyContainer(this.#held.file, this.#type.kind, this.#options.hubKeys, 'stored');
      return true;
    } catch (error) {
      if (error instanceof UpdateError) return false;
      throw error;
    }
  }
}
