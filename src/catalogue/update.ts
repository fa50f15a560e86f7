// Signed updates of the catalogue and of the policy book, and the signed
// files the terminal keeps. Both are one container:
//
//   "SUPD" | format u16 = 1 | reserved u16 | statement length u32 | statement | padding to 8 | body
//
// The statement is a COSE_Sign1 (RFC 9052, tag 18, EdDSA, kid protected)
// made by the hub over the CBOR array
//   [kind, mode, serial, from_version / null, to_version, body_digest, result_digest]
// kind 0 catalogue / 1 policy book; mode 0 snapshot / 1 delta; serial a
// number that grows with every published version (an older update can never
// roll a terminal back); digests SHA-256. The body is the snapshot itself or
// the delta; result_digest is that of the file the update produces, so a
// terminal proves it built exactly what the hub built. The terminal stores
// the resulting body under the same statement, so at boot one small
// signature check vouches for the file and its digest can be checked later.
import { createHash } from 'node:crypto';
import { decodeStrict, type CborValue } from '../../protocol/cbor-decode';
import { createCborEncoder } from '../../protocol/cbor-encode';
import { signSign1, verifySign1, wireProtectedHeader, wireHeaders } from '../../protocol/cose';
import { bytesEqual, type Signer, type Verifier } from '../../protocol/crypto';

export const updateMagic = 'SUPD';
export const updateFormat = 1;
const prefixBytes = 12;
/** Domain separation: a blob statement can never pass for a wire message, nor the reverse. */
const blobAad = new TextEncoder().encode('settle-terminal blob v1');
const statementBytesMax = 1_024;
const versionTextMax = 32;

export type BlobKind = 'catalogue' | 'policy_book';
export type BlobMode = 'snapshot' | 'delta';

export interface Statement {
  readonly kind: BlobKind;
  readonly mode: BlobMode;
  readonly serial: number;
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
  | 'update_corrupt'
  | 'update_out_of_order'
  | 'update_not_newer'
  | 'update_invalid_content'
  | 'update_result_mismatch'
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

export function sha256(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(bytes).digest());
}

export interface Container {
  readonly statementBytes: Uint8Array;
  readonly body: Uint8Array;
}

function align8(value: number): number {
  return (value + 7) & ~7;
}

/** Writes a container; the body starts 8-byte aligned, so typed arrays can lie over it in place. */
export function writeContainer(statementBytes: Uint8Array, body: Uint8Array): Uint8Array {
  const bodyAt = align8(prefixBytes + statementBytes.length);
  const out = new Uint8Array(bodyAt + body.length);
  const view = new DataView(out.buffer);
  out.set(new TextEncoder().encode(updateMagic), 0);
  view.setUint16(4, updateFormat, true);
  view.setUint32(8, statementBytes.length, true);
  out.set(statementBytes, prefixBytes);
  out.set(body, bodyAt);
  return out;
}

/** Splits a container into statement and body (no trust yet). */
export function readContainer(bytes: Uint8Array): Container {
  if (bytes.length < prefixBytes) throw new UpdateError('update_truncated', `${bytes.length} bytes is shorter than the prefix`);
  if (String.fromCharCode(...bytes.subarray(0, 4)) !== updateMagic) throw new UpdateError('update_malformed', 'not a signed catalogue or policy file');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint16(4, true) !== updateFormat) throw new UpdateError('update_malformed', `format ${view.getUint16(4, true)}`);
  // The reserved field and the padding are outside the signature: they must be zero, so no byte goes unchecked.
  if (view.getUint16(6, true) !== 0) throw new UpdateError('update_malformed', 'the reserved field is not zero');
  const statementLength = view.getUint32(8, true);
  if (statementLength === 0 || statementLength > statementBytesMax) throw new UpdateError('update_malformed', 'statement length');
  const bodyAt = align8(prefixBytes + statementLength);
  if (bytes.length < bodyAt) throw new UpdateError('update_truncated', 'the statement is cut short');
  for (let at = prefixBytes + statementLength; at < bodyAt; at += 1) if (bytes[at] !== 0) throw new UpdateError('update_malformed', 'the padding is not zero');
  return { statementBytes: bytes.subarray(prefixBytes, prefixBytes + statementLength), body: bytes.subarray(bodyAt) };
}

const kinds: readonly BlobKind[] = ['catalogue', 'policy_book'];
const modes: readonly BlobMode[] = ['snapshot', 'delta'];

function statementValue(statement: Statement): CborValue {
  return [
    kinds.indexOf(statement.kind),
    modes.indexOf(statement.mode),
    statement.serial,
    statement.fromVersion,
    statement.toVersion,
    statement.bodyDigest,
    statement.resultDigest,
  ];
}

function parseStatement(payload: Uint8Array): Statement {
  const decoded = decodeStrict(payload, { depthMax: 2, stringBytesMax: 64, itemsMax: 8 });
  const bad = (why: string): never => {
    throw new UpdateError('update_malformed', `statement: ${why}`);
  };
  if (!decoded.ok) return bad(decoded.error.code);
  const value = decoded.value;
  if (!Array.isArray(value) || value.length !== 7) return bad('not an array of 7');
  const [kind, mode, serial, fromVersion, toVersion, bodyDigest, resultDigest] = value;
  const isVersion = (text: unknown): text is string => typeof text === 'string' && text.length > 0 && text.length <= versionTextMax;
  if (kind !== 0 && kind !== 1) return bad('kind');
  if (mode !== 0 && mode !== 1) return bad('mode');
  if (typeof serial !== 'number' || !Number.isSafeInteger(serial) || serial < 1 || serial > 0xffff_ffff) return bad('serial');
  if (mode === 0 ? fromVersion !== null : !isVersion(fromVersion)) return bad('from_version');
  if (!isVersion(toVersion)) return bad('to_version');
  if (!(bodyDigest instanceof Uint8Array) || bodyDigest.length !== 32) return bad('body_digest');
  if (!(resultDigest instanceof Uint8Array) || resultDigest.length !== 32) return bad('result_digest');
  return {
    kind: kinds[kind] as BlobKind,
    mode: modes[mode] as BlobMode,
    serial,
    fromVersion: fromVersion as string | null,
    toVersion,
    bodyDigest,
    resultDigest,
  };
}

/** The hub's side: signs a statement for a body. */
export function signUpdate(signer: Signer, statement: Omit<Statement, 'bodyDigest'>, body: Uint8Array): Uint8Array {
  const full: Statement = { ...statement, bodyDigest: sha256(body) };
  if (full.mode === 'snapshot' && !bytesEqual(full.bodyDigest, full.resultDigest)) throw new TypeError('a snapshot is its own result');
  const encoder = createCborEncoder();
  const statementBytes = signSign1(wireProtectedHeader(encoder, signer.kid), encoder.encode(statementValue(full) as never), signer, blobAad);
  return writeContainer(statementBytes, body);
}

export interface VerifiedUpdate {
  readonly statement: Statement;
  readonly statementBytes: Uint8Array;
  readonly body: Uint8Array;
}

/**
 * What a container's body is checked against: an update's body is the one
 * signed (body_digest); a stored file's body is the result (result_digest);
 * `none` defers the digest (a stored file at boot, checked later).
 */
export type BodyCheck = 'update' | 'stored' | 'none';

/** Checks a container's statement (shape, signature by one of the hub's keys, kind) and, as asked, its body. */
export function verifyContainer(bytes: Uint8Array, kind: BlobKind, hubKeys: (kid: Uint8Array | null) => Verifier | null, bodyCheck: BodyCheck): VerifiedUpdate {
  const { statementBytes, body } = readContainer(bytes);
  const verified = verifySign1(statementBytes, { profile: wireHeaders, requireTag: true, externalAad: blobAad, keyFor: hubKeys });
  if (!verified.ok) {
    const forged = verified.error.code === 'bad_signature' || verified.error.code === 'unknown_kid' || verified.error.code === 'kid_missing';
    throw new UpdateError(forged ? 'update_forged' : 'update_malformed', `statement ${verified.error.code}: ${verified.error.detail}`);
  }
  const statement = parseStatement(verified.sign1.payload);
  if (statement.kind !== kind) throw new UpdateError('update_wrong_kind', `a ${statement.kind} update given to the ${kind}`);
  if (bodyCheck !== 'none' && !bytesEqual(sha256(body), bodyCheck === 'update' ? statement.bodyDigest : statement.resultDigest)) {
    throw new UpdateError('update_corrupt', bodyCheck === 'update' ? 'the body is not the one the hub signed' : 'the stored file is not the version its statement names');
  }
  return { statement, statementBytes, body };
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
