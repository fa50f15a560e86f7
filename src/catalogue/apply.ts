// Applying a signed update to a store (store.ts's `apply`): verify the
// statement and the body it signs, check the sequence (a delta from the
// version held; a serial above the one held), build the result, prove it is
// the file the hub built (result digest), check every entry, then replace the
// file durably. Any refusal is a typed UpdateError, as a value (never an
// exception), with whether the store must read its files again.
import type { Verifier } from '../../protocol/crypto';
import { bytesEqual } from '../../protocol/crypto';
import { checkRecord, CatalogueRecordError } from './build';
import { applyDelta, decodeDelta } from './delta';
import { replaceDurably, type FileSystem, type VersionedPaths } from './files';
import { CatalogueFormatError, type Catalogue } from './layout';
import { applyPolicyDelta, decodePolicyDelta, PolicyBookError, type PolicyBook } from './policy-book';
import type { Held, StoredKind } from './store';
import { checkSequence, invalidContent, sha256, UpdateError, verifyContainer, writeContainer } from './update';

export type UpdateOutcome<T> =
  | { readonly ok: true; readonly held: Held<T>; readonly version: string; readonly serial: number }
  | { readonly ok: false; readonly error: UpdateError; /** The disk failed: serve what it holds now. */ readonly reload: boolean };

/** Checks every entry of a catalogue (an update is taken whole or not at all). Throws UpdateError. */
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

/** The body a delta makes of the value held. Throws UpdateError. */
function deltaResult(kind: StoredKind<unknown>['kind'], current: unknown, body: Uint8Array, toVersion: string): Uint8Array {
  return kind === 'catalogue' ? applyDelta(current as Catalogue, decodeDelta(body), toVersion) : applyPolicyDelta(current as PolicyBook, decodePolicyDelta(body), toVersion);
}

function isIoError(error: unknown): boolean {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).code === 'string' && /^E[A-Z]+$/.test((error as NodeJS.ErrnoException).code as string);
}

/** Applies `update` over what a store holds; the store keeps serving `held` unless this says ok. */
export function applyUpdate<T>(
  type: StoredKind<T>,
  held: Held<T> | null,
  update: Uint8Array,
  hubKeys: (kid: Uint8Array | null) => Verifier | null,
  fs: FileSystem,
  paths: VersionedPaths,
): UpdateOutcome<T> {
  try {
    const verified = verifyContainer(update, type.kind, hubKeys, 'update');
    const statement = verified.statement;
    checkSequence(statement, held === null ? null : { version: held.statement.toVersion, serial: held.statement.serial });
    const body = statement.mode === 'snapshot' ? verified.body : deltaResult(type.kind, (held as Held<T>).value, verified.body, statement.toVersion);
    if (!bytesEqual(sha256(body), statement.resultDigest)) {
      throw new UpdateError('update_result_mismatch', `the ${statement.mode} does not give the file the hub signed for ${statement.toVersion}`);
    }
    const file = writeContainer(verified.statementBytes, body);
    // Lay the new version over its own aligned copy, then check it whole, before anything is written.
    const value = type.open(file.subarray(file.length - body.length));
    if (type.versionOf(value) !== statement.toVersion) throw invalidContent('the file names another version');
    if (type.kind === 'catalogue') checkCatalogue(value as Catalogue);
    else checkPolicyBook(value as PolicyBook);
    replaceDurably(fs, paths, file);
    return { ok: true, held: { value, statement, file }, version: statement.toVersion, serial: statement.serial };
  } catch (error) {
    if (error instanceof UpdateError) return { ok: false, error, reload: false };
    if (error instanceof CatalogueFormatError || error instanceof PolicyBookError || error instanceof RangeError) return { ok: false, error: invalidContent((error as Error).message), reload: false };
    if (isIoError(error)) return { ok: false, error: new UpdateError('update_io_failed', `${(error as NodeJS.ErrnoException).code}: ${(error as Error).message}`), reload: true };
    throw error;
  }
}
