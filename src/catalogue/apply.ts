// Applying a signed update to a store (store.ts's `apply`), under the store's
// lock:
//   1. settle on what the disk holds: the file the store read is checked
//      whole in memory, then the disk's bytes are compared with it a
//      megabyte at a time (the disk may have rotted since boot); a file
//      another applier wrote since is read afresh and checked whole; a
//      current file that does not check is moved aside, never kept as the
//      previous version;
//   2. verify the statement (signature, kind, line) and the body it signs;
//   3. check the sequence against what the disk holds (a delta from it; a
//      serial above it);
//   4. build the result (a snapshot is its own; a delta is applied to the
//      arrays of the version held, delta.ts) and prove it is the file the hub
//      built (its content digest is the statement's result digest);
//   5. check a snapshot's every entry (a delta's entries were checked as it
//      was decoded, and the rest were checked when they arrived);
//   6. replace the file durably (files.ts), keeping the verified current one
//      as the previous version.
// Any refusal is a typed UpdateError, as a value (never an exception); a disk
// failure is `update_io_failed` and the store then serves what the disk holds.
import { createHash } from 'node:crypto';
import { bytesEqual } from '../../protocol/crypto';
import { checkRecord, CatalogueRecordError } from './build';
import { applyDelta, decodeDelta } from './delta';
import { isIoError, replaceDurably, setAside, type FileSystem } from './files';
import { CatalogueFormatError, type Catalogue } from './layout';
import { PageGuard, pageBytes, pageCount, pageHashBytes, pageTable, StoreDamagedError, tableDigest } from './pages';
import { applyPolicyDelta, decodePolicyDelta, PolicyBookError, type PolicyBook } from './policy-book';
import type { Held, SignedStore } from './store';
import {
  checkLine,
  checkSequence,
  checkUpdateBody,
  containerParts,
  containerPrefixBytes,
  containerShape,
  invalidContent,
  UpdateError,
  verifyContainer,
  type Statement,
} from './update';

/** Pages read at a time when a file is checked on disk (1 MiB). */
const diskPagesAtOnce = 256;

/** Checks every entry of a catalogue (a snapshot is taken whole or not at all). Throws UpdateError. */
function checkCatalogue(catalogue: Catalogue): void {
  let previous = '';
  for (let index = 0; index < catalogue.count; index += 1) {
    const record = catalogue.recordAt(index);
    try {
      checkRecord(record);
    } catch (error) {
      if (error instanceof CatalogueRecordError) throw invalidContent(error.message);
      throw error;
    }
    if (index > 0 && record.code <= previous) throw invalidContent(`codes out of order at ${record.code}`);
    if (catalogue.indexOf(record.code) !== index) throw invalidContent(`code ${record.code} is not found by its hash`);
    previous = record.code;
  }
}

/** Checks every policy of a policy book. Throws UpdateError. */
function checkPolicyBook(book: PolicyBook): void {
  for (const area of book.areas()) {
    try {
      book.policyAt(area);
    } catch (error) {
      throw invalidContent((error as Error).message);
    }
  }
}

/**
 * Checks a stored file on disk against a statement, a megabyte at a time:
 * `other` when it holds another statement (another applier replaced it);
 * else `whole` when its page table is the statement's, every page matches
 * and nothing follows the body; else `damaged`.
 */
export function verifyFileOnDisk(fs: FileSystem, file: string, statementBytes: Uint8Array, statement: Statement): 'whole' | 'damaged' | 'other' {
  const prefix = new Uint8Array(containerPrefixBytes);
  if (fs.readAt(file, 0, prefix) !== prefix.length) return 'damaged';
  let shape;
  try {
    shape = containerShape(prefix);
  } catch (error) {
    if (error instanceof UpdateError) return 'damaged';
    throw error;
  }
  const head = new Uint8Array(shape.bodyAt);
  if (fs.readAt(file, 0, head) !== head.length) return 'damaged';
  const table = head.subarray(shape.tableAt);
  if (!bytesEqual(head.subarray(containerPrefixBytes, containerPrefixBytes + shape.statementLength), statementBytes)) return 'other';
  if (table.length !== pageCount(shape.bodyLength) * pageHashBytes || !bytesEqual(tableDigest(table, shape.bodyLength), statement.resultDigest)) return 'damaged';
  const chunk = new Uint8Array(diskPagesAtOnce * pageBytes);
  for (let page = 0; page < pageCount(shape.bodyLength); page += diskPagesAtOnce) {
    const want = Math.min(chunk.length, shape.bodyLength - page * pageBytes);
    if (fs.readAt(file, shape.bodyAt + page * pageBytes, chunk.subarray(0, want)) !== want) return 'damaged';
    for (let at = 0; at * pageBytes < want; at += 1) {
      const hash = createHash('sha256').update(chunk.subarray(at * pageBytes, Math.min(want, (at + 1) * pageBytes))).digest();
      if (!bytesEqual(hash, table.subarray((page + at) * pageHashBytes, (page + at + 1) * pageHashBytes))) return 'damaged';
    }
  }
  return fs.readAt(file, shape.totalLength, new Uint8Array(1)) === 0 ? 'whole' : 'damaged';
}

/** The statement of the file on disk, or null when it has none that reads. */
function statementOnDisk(fs: FileSystem, file: string): Uint8Array | null {
  const prefix = new Uint8Array(containerPrefixBytes);
  if (fs.readAt(file, 0, prefix) !== prefix.length) return null;
  try {
    const shape = containerShape(prefix);
    const statement = new Uint8Array(shape.statementLength);
    return fs.readAt(file, containerPrefixBytes, statement) === statement.length ? statement : null;
  } catch (error) {
    if (error instanceof UpdateError) return null;
    throw error;
  }
}

/** Whether `file` holds exactly `parts`, one after the other, and nothing more: compared a megabyte at a time. */
function sameOnDisk(fs: FileSystem, file: string, parts: readonly Uint8Array[]): boolean {
  const chunk = new Uint8Array(diskPagesAtOnce * pageBytes);
  let position = 0;
  for (const part of parts) {
    for (let at = 0; at < part.length; at += chunk.length) {
      const want = Math.min(chunk.length, part.length - at);
      if (fs.readAt(file, position, chunk.subarray(0, want)) !== want || Buffer.compare(chunk.subarray(0, want), part.subarray(at, at + want)) !== 0) return false;
      position += want;
    }
  }
  return fs.readAt(file, position, chunk.subarray(0, 1)) === 0;
}

/**
 * The current file as a held value checked whole, in memory and on disk, or
 * null when it cannot serve. The file this store read is checked page by page
 * in memory, then the disk's bytes are compared with it; a file another
 * applier wrote since is read afresh and checked whole.
 */
function currentWhole<T>(store: SignedStore<T>): Held<T> | null {
  const { fs, paths } = store;
  const onDisk = statementOnDisk(fs, paths.current);
  const held = store.current;
  if (held !== null && held.source === 'current' && onDisk !== null && store.holds(onDisk)) {
    const parts = containerParts(held.statementBytes, held.guard.table, held.guard.body);
    // A damaged page tells the store (which moves a damaged file aside); a disk copy that differs is read afresh below.
    if (held.guard.verifyAll() && sameOnDisk(fs, paths.current, parts)) return held;
  }
  return fs.exists(paths.current) ? store.read('current', true).held : null;
}

/**
 * Step 1: makes the store serve what the disk holds, checked whole, and says
 * whether the current file may be kept as the previous version.
 */
function settleOnDisk<T>(store: SignedStore<T>): { readonly held: Held<T> | null; readonly keepCurrent: boolean } {
  const { fs, paths } = store;
  if (fs.exists(paths.current)) {
    const held = currentWhole(store);
    if (held !== null) {
      store.serve(held);
      return { held, keepCurrent: true };
    }
    // Damaged, of another line, or under an unknown key: never kept as the previous version, and moved aside so no boot takes it again.
    if (fs.exists(paths.current)) {
      const version = store.current?.source === 'current' ? store.current.statement.toVersion : null;
      setAside(fs, paths, paths.current);
      store.fail({ kind: store.type.kind, version, why: `${paths.current} does not verify: moved to ${paths.damaged}` });
    }
  }
  const previous = store.current?.source === 'previous' ? store.current : store.read('previous', true).held;
  store.serve(previous);
  return { held: previous, keepCurrent: false };
}

/** The body a delta makes of the value held. Throws UpdateError. */
function deltaResult(kind: Statement['kind'], current: unknown, body: Uint8Array, toVersion: string): Uint8Array {
  return kind === 'catalogue' ? applyDelta(current as Catalogue, decodeDelta(body), toVersion) : applyPolicyDelta(current as PolicyBook, decodePolicyDelta(body), toVersion);
}


/** Whether a snapshot re-delivers the version held, to heal a store whose current file was lost (`fault`). */
function healsHeld<T>(store: SignedStore<T>, held: Held<T> | null, statement: Statement): boolean {
  return store.fault !== null && held !== null && statement.mode === 'snapshot' && statement.serial === held.statement.serial && bytesEqual(statement.resultDigest, held.statement.resultDigest);
}

/** Steps 2 to 5: the new version, checked, with its page table. Throws UpdateError (or StoreDamagedError from the base). */
function buildNext<T>(store: SignedStore<T>, held: Held<T> | null, update: Uint8Array): Held<T> & { readonly body: Uint8Array; readonly table: Uint8Array } {
  const { type } = store;
  const verified = verifyContainer(update, type.kind, store.options.hubKeys);
  const statement = verified.statement;
  checkLine(statement, store.options.line);
  const bodyTable = checkUpdateBody(verified);
  if (!healsHeld(store, held, statement)) checkSequence(statement, held === null ? null : { version: held.statement.toVersion, serial: held.statement.serial });
  let body = statement.mode === 'snapshot' ? verified.body : deltaResult(type.kind, (held as Held<T>).value, verified.body, statement.toVersion);
  const table = statement.mode === 'snapshot' ? bodyTable : pageTable(body);
  if (!bytesEqual(tableDigest(table, body.length), statement.resultDigest)) {
    throw new UpdateError('update_result_mismatch', `the ${statement.mode} does not give the file the hub signed for ${statement.toVersion}`);
  }
  // The value lies over the body where it is; typed arrays need it 8-byte aligned.
  if (body.byteOffset % 8 !== 0) body = body.slice();
  const guard = new PageGuard(body, table, { label: `${store.paths.current} (${statement.toVersion})`, verified: true });
  const value = type.open(body, guard);
  if (type.versionOf(value) !== statement.toVersion) throw invalidContent('the file names another version');
  if (statement.mode === 'snapshot' && type.kind === 'catalogue') checkCatalogue(value as Catalogue);
  if (type.kind === 'policy_book') checkPolicyBook(value as PolicyBook);
  return { value, statement, statementBytes: verified.statementBytes, guard, source: 'current', body, table };
}

/** A refusal as an UpdateError (null: not one of ours, thrown on). */
function refusal(error: unknown): UpdateError | null {
  if (error instanceof UpdateError) return error;
  if (error instanceof CatalogueFormatError || error instanceof PolicyBookError || error instanceof RangeError) return invalidContent(error.message);
  return null;
}

/** Applies `update` to `store` (its lock held by `owner`); the store keeps serving what it holds unless this says ok. */
export function applyUpdate<T>(store: SignedStore<T>, update: Uint8Array, owner: string): { readonly ok: true; readonly version: string; readonly serial: number } | { readonly ok: false; readonly error: UpdateError } {
  try {
    const { held, keepCurrent } = settleOnDisk(store);
    let next;
    try {
      next = buildNext(store, held, update);
    } catch (error) {
      // The version a delta applies to was damaged: the store has fallen back, and the delta does not follow what it holds now.
      if (!(error instanceof StoreDamagedError)) throw error;
      throw new UpdateError('update_out_of_order', `the version the update applies to is damaged (${error.message}); the store holds ${store.version ?? 'nothing'}`);
    }
    replaceDurably(store.fs, store.paths, containerParts(next.statementBytes, next.table, next.body), { keepCurrent, owner });
    const { body: _body, table: _table, ...applied } = next;
    store.serve(applied);
    return { ok: true, version: next.statement.toVersion, serial: next.statement.serial };
  } catch (error) {
    const refused = refusal(error);
    if (refused !== null) return { ok: false, error: refused };
    if (!isIoError(error)) throw error;
    // Whatever the disk holds now (the old version or the new) is what serves.
    store.serve(store.bestOnDisk());
    return { ok: false, error: new UpdateError('update_io_failed', error.message) };
  }
}
