// Signed updates of the catalogue and of the policy book, and the signed
// files the terminal keeps. Both are one container:
//
//   0  "SUPD"   4  format u16 = 2   6  reserved u16 = 0
//   8  statement length u32   12  page-table length u32   16  body length u32   20  reserved u32 = 0
//   24 statement | zero padding to 8 | page table | body
//
// The lengths make a container whole or not: shorter than they say is
// `update_truncated`, longer is `update_malformed`. The statement is a
// COSE_Sign1 (RFC 9052, tag 18, EdDSA, kid protected) made by the hub over
// the CBOR array
//   [kind, mode, serial, line, from_version / null, to_version, body_digest, result_digest]
// kind 0 catalogue / 1 policy book; mode 0 snapshot / 1 delta; serial a
// number that grows with every version the hub publishes on the line (an
// older update can never roll a terminal back); line the catalogue line the
// update belongs to (the treatment place's province, two digits; "" for the
// policy book, which is national), so that one province's catalogue can
// never replace another's; the digests are content digests (pages.ts) of the
// body and of the file the update produces, so a terminal proves it built
// exactly what the hub built. An update in transit carries no page table;
// the terminal stores the resulting body with its page table under the same
// statement, so at boot one signature check and one hash of the table vouch
// for every page, each checked when first read.
import { decodeStrict, type CborValue } from '../../protocol/cbor-decode';
import { createCborEncoder } from '../../protocol/cbor-encode';
import { signSign1, verifySign1, wireProtectedHeader, wireHeaders } from '../../protocol/cose';
import { bytesEqual, type Signer, type Verifier } from '../../protocol/crypto';
import { align8 } from './build';
import { contentDigest, PageGuard, pageCount, pageHashBytes, tableDigest } from './pages';

export const updateMagic = 'SUPD';
export const updateFormat = 2;
export const containerPrefixBytes = 24;
/** Domain separation: a blob statement can never pass for a wire message, nor the reverse. */
const blobAad = new TextEncoder().encode('settle-terminal blob v2');
const statementBytesMax = 1_024;
const versionTextMax = 32;
/** A catalogue line: the province's two digits, up to a county's six; "" for what is national. */
const linePattern = /^[0-9]{0,6}$/;

export type BlobKind = 'catalogue' | 'policy_book';
export type BlobMode = 'snapshot' | 'delta';

export interface Statement {
  readonly kind: BlobKind;
  readonly mode: BlobMode;
  readonly serial: number;
  readonly line: string;
  readonly fromVersion: string | null;
  readonly toVersion: string;
  readonly bodyDigest: Uint8Array;
  readonly resultDigest: Uint8Array;
}

/** Why an update or a stored file was refused: stable codes, shown to integrators and logs. */
export type UpdateErrorCode =
  | 'update_truncated'
  | 'update_malformed'
  | 'update_forged'
  | 'update_wrong_kind'
  | 'update_wrong_line'
  | 'update_corrupt'
  | 'update_out_of_order'
  | 'update_not_newer'
  | 'update_invalid_content'
  | 'update_result_mismatch'
  | 'update_busy'
  | 'update_io_failed';

export class UpdateError extends Error {
  override readonly name = 'UpdateError';
  constructor(
    readonly code: UpdateErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

/** An update whose content breaks the rules: `update_invalid_content`. */
export function invalidContent(message: string): UpdateError {
  return new UpdateError('update_invalid_content', message);
}

export interface Container {
  readonly statementBytes: Uint8Array;
  /** The page table (empty in an update in transit). */
  readonly table: Uint8Array;
  readonly body: Uint8Array;
}


/**
 * A container as the parts to write, in order: the prefix with the statement
 * and its padding, the page table, the body (the body starts 8-byte aligned,
 * so typed arrays can lie over it in place). Nothing large is copied.
 */
export function containerParts(statementBytes: Uint8Array, table: Uint8Array, body: Uint8Array): Uint8Array[] {
  const head = new Uint8Array(align8(containerPrefixBytes + statementBytes.length));
  const view = new DataView(head.buffer);
  head.set(new TextEncoder().encode(updateMagic), 0);
  view.setUint16(4, updateFormat, true);
  view.setUint32(8, statementBytes.length, true);
  view.setUint32(12, table.length, true);
  view.setUint32(16, body.length, true);
  head.set(statementBytes, containerPrefixBytes);
  return [head, table, body];
}

/** A container as one array (the hub's published files, tests). */
export function writeContainer(statementBytes: Uint8Array, body: Uint8Array, table: Uint8Array = new Uint8Array(0)): Uint8Array {
  const parts = containerParts(statementBytes, table, body);
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** What the prefix of a container says: where its parts lie and how long it is. */
export interface ContainerShape {
  readonly statementLength: number;
  readonly tableAt: number;
  readonly tableLength: number;
  readonly bodyAt: number;
  readonly bodyLength: number;
  readonly totalLength: number;
}

/** Reads a container's prefix (its first 24 bytes at least). */
export function containerShape(prefix: Uint8Array): ContainerShape {
  if (prefix.length >= 4 && String.fromCharCode(...prefix.subarray(0, 4)) !== updateMagic) throw new UpdateError('update_malformed', 'not a signed catalogue or policy file');
  if (prefix.length < containerPrefixBytes) throw new UpdateError('update_truncated', `${prefix.length} bytes is shorter than the prefix`);
  const view = new DataView(prefix.buffer, prefix.byteOffset, prefix.byteLength);
  if (view.getUint16(4, true) !== updateFormat) throw new UpdateError('update_malformed', `format ${view.getUint16(4, true)}`);
  // The reserved fields and the padding are outside the signature: they must be zero, so no byte goes unchecked.
  if (view.getUint16(6, true) !== 0 || view.getUint32(20, true) !== 0) throw new UpdateError('update_malformed', 'a reserved field is not zero');
  const statementLength = view.getUint32(8, true);
  const tableLength = view.getUint32(12, true);
  const bodyLength = view.getUint32(16, true);
  if (statementLength === 0 || statementLength > statementBytesMax) throw new UpdateError('update_malformed', 'statement length');
  if (tableLength % pageHashBytes !== 0) throw new UpdateError('update_malformed', 'page table length');
  const tableAt = align8(containerPrefixBytes + statementLength);
  return { statementLength, tableAt, tableLength, bodyAt: tableAt + tableLength, bodyLength, totalLength: tableAt + tableLength + bodyLength };
}

/**
 * Splits a container into statement, page table and body (no trust yet).
 * With `body`, `bytes` is the container's head alone (up to its body) and
 * `body` the array its body is read into later (a stored file opened lazily).
 */
export function readContainer(bytes: Uint8Array, body?: Uint8Array): Container {
  const shape = containerShape(bytes);
  const length = body === undefined ? shape.totalLength : shape.bodyAt;
  if (bytes.length < shape.tableAt) throw new UpdateError('update_truncated', 'the statement is cut short');
  if (bytes.length < length) throw new UpdateError('update_truncated', `${bytes.length} of ${length} bytes: the body is cut short`);
  if (bytes.length > length) throw new UpdateError('update_malformed', `${bytes.length - length} bytes after the body`);
  for (let at = containerPrefixBytes + shape.statementLength; at < shape.tableAt; at += 1) if (bytes[at] !== 0) throw new UpdateError('update_malformed', 'the padding is not zero');
  return {
    statementBytes: bytes.subarray(containerPrefixBytes, containerPrefixBytes + shape.statementLength),
    table: bytes.subarray(shape.tableAt, shape.bodyAt),
    body: body ?? bytes.subarray(shape.bodyAt),
  };
}

const kinds: readonly BlobKind[] = ['catalogue', 'policy_book'];
const modes: readonly BlobMode[] = ['snapshot', 'delta'];

function statementValue(statement: Statement): CborValue {
  return [
    kinds.indexOf(statement.kind),
    modes.indexOf(statement.mode),
    statement.serial,
    statement.line,
    statement.fromVersion,
    statement.toVersion,
    statement.bodyDigest,
    statement.resultDigest,
  ];
}

/** A statement's payload, parsed and checked for shape (its signature is checked by `verifyStatement`). */
export function parseStatement(payload: Uint8Array): Statement {
  const decoded = decodeStrict(payload, { depthMax: 2, stringBytesMax: 64, itemsMax: 8 });
  const bad = (why: string): never => {
    throw new UpdateError('update_malformed', `statement: ${why}`);
  };
  if (!decoded.ok) return bad(decoded.error.code);
  const value = decoded.value;
  if (!Array.isArray(value) || value.length !== 8) return bad('not an array of 8');
  const [kind, mode, serial, line, fromVersion, toVersion, bodyDigest, resultDigest] = value;
  const isVersion = (text: unknown): text is string => typeof text === 'string' && text.length > 0 && text.length <= versionTextMax;
  if (kind !== 0 && kind !== 1) return bad('kind');
  if (mode !== 0 && mode !== 1) return bad('mode');
  if (typeof serial !== 'number' || !Number.isSafeInteger(serial) || serial < 1 || serial > 0xffff_ffff) return bad('serial');
  if (typeof line !== 'string' || !linePattern.test(line)) return bad('line');
  if (mode === 0 ? fromVersion !== null : !isVersion(fromVersion)) return bad('from_version');
  if (!isVersion(toVersion)) return bad('to_version');
  if (!(bodyDigest instanceof Uint8Array) || bodyDigest.length !== 32) return bad('body_digest');
  if (!(resultDigest instanceof Uint8Array) || resultDigest.length !== 32) return bad('result_digest');
  return {
    kind: kinds[kind] as BlobKind,
    mode: modes[mode] as BlobMode,
    serial,
    line,
    fromVersion: fromVersion as string | null,
    toVersion,
    bodyDigest,
    resultDigest,
  };
}

/** The hub's side: signs a statement for a body (its digest computed here); an update in transit, without a page table. */
export function signUpdate(signer: Signer, statement: Omit<Statement, 'bodyDigest'>, body: Uint8Array): Uint8Array {
  if (!linePattern.test(statement.line)) throw new RangeError(`line ${JSON.stringify(statement.line)} is not 0 to 6 digits`);
  const full: Statement = { ...statement, bodyDigest: contentDigest(body).digest };
  if (full.mode === 'snapshot' && !bytesEqual(full.bodyDigest, full.resultDigest)) throw new TypeError('a snapshot is its own result');
  const encoder = createCborEncoder();
  const statementBytes = signSign1(wireProtectedHeader(encoder, signer.kid), encoder.encode(statementValue(full) as never), signer, blobAad);
  return writeContainer(statementBytes, body);
}

export interface VerifiedContainer extends Container {
  readonly statement: Statement;
}

export type HubKeys = (kid: Uint8Array | null) => Verifier | null;

/** Checks a statement (shape, signature by one of the hub's keys, kind). */
export function verifyStatement(statementBytes: Uint8Array, kind: BlobKind, hubKeys: HubKeys): Statement {
  const verified = verifySign1(statementBytes, { profile: wireHeaders, requireTag: true, externalAad: blobAad, keyFor: hubKeys });
  if (!verified.ok) {
    const forged = verified.error.code === 'bad_signature' || verified.error.code === 'unknown_kid' || verified.error.code === 'kid_missing';
    throw new UpdateError(forged ? 'update_forged' : 'update_malformed', `statement ${verified.error.code}: ${verified.error.detail}`);
  }
  const statement = parseStatement(verified.sign1.payload);
  if (statement.kind !== kind) throw new UpdateError('update_wrong_kind', `a ${statement.kind} update given to the ${kind}`);
  return statement;
}

/** Checks a container's statement; its body is checked by `checkUpdateBody` (an update) or `guardStored` (a stored file). */
export function verifyContainer(bytes: Uint8Array, kind: BlobKind, hubKeys: HubKeys): VerifiedContainer {
  const container = readContainer(bytes);
  return { ...container, statement: verifyStatement(container.statementBytes, kind, hubKeys) };
}

/** Refuses an update or stored file of another line than the store's (null: any line). */
export function checkLine(statement: Statement, line: string | null): void {
  if (line !== null && statement.line !== line) {
    throw new UpdateError('update_wrong_line', `a ${statement.kind} of line ${JSON.stringify(statement.line)} given to the store of line ${JSON.stringify(line)}`);
  }
}

/** Checks an update's body against its signed digest; returns the body's page table (a snapshot's is the stored file's). */
export function checkUpdateBody(verified: VerifiedContainer): Uint8Array {
  if (verified.table.length !== 0) throw new UpdateError('update_malformed', 'an update in transit carries no page table');
  const { table, digest } = contentDigest(verified.body);
  if (!bytesEqual(digest, verified.statement.bodyDigest)) throw new UpdateError('update_corrupt', 'the body is not the one the hub signed');
  return table;
}

/**
 * Checks a stored file's page table against the statement's result digest
 * (the table is small: the pages are checked when first read) and returns
 * the guard that checks them.
 */
export function guardStored(verified: VerifiedContainer, options: ConstructorParameters<typeof PageGuard>[2]): PageGuard {
  const { table, body, statement } = verified;
  if (table.length !== pageCount(body.length) * pageHashBytes) throw new UpdateError('update_malformed', `a stored file's page table holds ${table.length / pageHashBytes} pages, not ${pageCount(body.length)}`);
  if (!bytesEqual(tableDigest(table, body.length), statement.resultDigest)) throw new UpdateError('update_corrupt', 'the stored page table is not the version its statement names');
  return new PageGuard(body, table, options);
}

/** Checks that an update follows the version held (a delta from it; anything with a higher serial). */
export function checkSequence(statement: Statement, current: { readonly version: string; readonly serial: number } | null): void {
  if (statement.mode === 'delta') {
    if (current === null || statement.fromVersion !== current.version) {
      throw new UpdateError('update_out_of_order', `a delta from ${statement.fromVersion} cannot apply to ${current?.version ?? 'nothing'}`);
    }
  }
  if (current !== null && statement.serial <= current.serial) {
    throw new UpdateError('update_not_newer', `serial ${statement.serial} is not after the held ${current.serial} (${current.version})`);
  }
}
