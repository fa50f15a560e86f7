// COSE_Sign1 (RFC 9052 §4.2, tag 18) with EdDSA over Ed25519 (alg -8; -19,
// the fully-specified Ed25519 of RFC 9864, is also accepted when verifying).
//
// Two header profiles:
// - `wire`: what the hub protocol sends and accepts, exactly: protected
//   header {1: alg, 4: kid (8 bytes)}, unprotected header {}.
// - `generic`: what the integrators' CLI accepts from other tools: protected
//   labels alg (1, required there), content type (3) and kid (4); unprotected
//   kid (4) only. A label in both buckets, `crit` (2) or any other label is
//   refused: we understand no extension, and an unprotected alg would let an
//   attacker pick the algorithm, so alg must be protected.
// The Sig_structure is written by hand (it is four definite items with fixed
// shapes) so what is signed never depends on an encoder's options.
import assert from 'node:assert';
import { decodeStrict, Tagged, type CborMapKey, type CborValue } from './cbor-decode';
import type { CborEncoder } from './cbor-encode';
import { ed25519SignatureBytes, type Signer, type Verifier } from './crypto';
import { frameBytesMax, kidBytes } from './limits';

export const coseSign1Tag = 18;
export const algEdDSA = -8;
export const algEd25519 = -19;
const labelAlg = 1;
const labelCrit = 2;
const labelContentType = 3;
const labelKid = 4;

export type CoseErrorCode =
  | 'malformed'
  | 'not_tagged'
  | 'wrong_tag'
  | 'not_sign1'
  | 'header_invalid'
  | 'header_unsupported'
  | 'alg_not_protected'
  | 'alg_unsupported'
  | 'kid_missing'
  | 'unknown_kid'
  | 'payload_detached'
  | 'bad_signature';

export interface CoseError {
  readonly code: CoseErrorCode;
  readonly detail: string;
}

/**
 * The header rules a COSE_Sign1 is held to: `wireHeaders` (the wire's
 * profile) or `genericHeaders` (any RFC 9052 signature, for integrators and
 * the test vectors). Passed in, so a build that needs only the wire's carries
 * only its rules.
 */
export type HeaderProfile = (protectedHeader: ReadonlyMap<CborMapKey, CborValue>, unprotectedHeader: ReadonlyMap<CborMapKey, CborValue>) => CoseError | null;

export interface Sign1 {
  readonly protectedBytes: Uint8Array;
  readonly payload: Uint8Array;
  readonly signature: Uint8Array;
  /** The protected alg (int or text). */
  readonly alg: number | string;
  /** The kid, from whichever bucket holds it, or null. */
  readonly kid: Uint8Array | null;
}

export type Sign1Result = { readonly ok: true; readonly sign1: Sign1 } | { readonly ok: false; readonly error: CoseError };

function refuse(code: CoseErrorCode, detail: string): { ok: false; error: CoseError } {
  return { ok: false, error: { code, detail } };
}

/** Parses a COSE_Sign1 strictly and checks its headers against a profile; does not verify. */
export function parseSign1(bytes: Uint8Array, options: { readonly profile: HeaderProfile; readonly requireTag: boolean }): Sign1Result {
  // The payload byte string may be as long as a frame; its own content is decoded later with the string bound.
  const decoded = decodeStrict(bytes, { topLevelTags: [coseSign1Tag], stringBytesMax: frameBytesMax });
  if (!decoded.ok) {
    if (decoded.error.code === 'tag_not_allowed' && decoded.error.offset === 0) return refuse('wrong_tag', 'the outer tag is not 18 (COSE_Sign1)');
    return refuse('malformed', `CBOR ${decoded.error.code} at byte ${decoded.error.offset}`);
  }
  const tagged = decoded.value instanceof Tagged;
  if (!tagged && options.requireTag) return refuse('not_tagged', 'a COSE_Sign1 must carry tag 18');
  const body = decoded.value instanceof Tagged ? decoded.value.value : decoded.value;
  if (!Array.isArray(body) || body.length !== 4) return refuse('not_sign1', 'COSE_Sign1 is an array of four items');
  const [protectedBytes, unprotectedHeader, payload, signature] = body;
  if (!(protectedBytes instanceof Uint8Array)) return refuse('not_sign1', 'the protected header is a byte string');
  if (!(unprotectedHeader instanceof Map)) return refuse('not_sign1', 'the unprotected header is a map');
  if (payload === null) return refuse('payload_detached', 'detached payloads are not supported');
  if (!(payload instanceof Uint8Array)) return refuse('not_sign1', 'the payload is a byte string');
  if (!(signature instanceof Uint8Array)) return refuse('not_sign1', 'the signature is a byte string');
  const protectedHeader = decodeProtected(protectedBytes);
  if (protectedHeader === null) return refuse('header_invalid', 'the protected header is not a well-formed map');
  const headerError = options.profile(protectedHeader, unprotectedHeader);
  if (headerError !== null) return { ok: false, error: headerError };
  const alg = protectedHeader.get(labelAlg) as number | string;
  const kid = (protectedHeader.get(labelKid) ?? unprotectedHeader.get(labelKid) ?? null) as Uint8Array | null;
  return { ok: true, sign1: { protectedBytes, payload, signature, alg, kid } };
}

function decodeProtected(bytes: Uint8Array): Map<CborMapKey, CborValue> | null {
  // RFC 9052 §3: an empty protected header is a zero-length byte string.
  if (bytes.length === 0) return new Map();
  const decoded = decodeStrict(bytes);
  return decoded.ok && decoded.value instanceof Map ? decoded.value : null;
}

export function wireHeaders(protectedHeader: ReadonlyMap<CborMapKey, CborValue>, unprotectedHeader: ReadonlyMap<CborMapKey, CborValue>): CoseError | null {
  if (unprotectedHeader.size !== 0) return { code: 'header_unsupported', detail: 'the wire profile sends an empty unprotected header' };
  const alg = protectedHeader.get(labelAlg);
  if (alg === undefined) return { code: 'alg_not_protected', detail: 'alg (1) must be in the protected header' };
  if (alg !== algEdDSA && alg !== algEd25519) return { code: 'alg_unsupported', detail: `alg ${String(alg)} is not EdDSA (-8) or Ed25519 (-19)` };
  const kid = protectedHeader.get(labelKid);
  if (kid === undefined) return { code: 'kid_missing', detail: 'kid (4) must be in the protected header' };
  if (!(kid instanceof Uint8Array) || kid.length !== kidBytes) return { code: 'header_invalid', detail: `kid is a ${kidBytes}-byte string` };
  if (protectedHeader.size !== 2) return { code: 'header_unsupported', detail: 'the wire profile protects alg and kid only' };
  return null;
}

export function genericHeaders(protectedHeader: ReadonlyMap<CborMapKey, CborValue>, unprotectedHeader: ReadonlyMap<CborMapKey, CborValue>): CoseError | null {
  for (const label of protectedHeader.keys()) {
    if (label === labelCrit) return { code: 'header_unsupported', detail: 'crit (2): no extension is understood' };
    if (label !== labelAlg && label !== labelContentType && label !== labelKid) return { code: 'header_unsupported', detail: `protected label ${String(label)}` };
  }
  for (const label of unprotectedHeader.keys()) {
    if (protectedHeader.has(label)) return { code: 'header_invalid', detail: `label ${String(label)} is in both buckets` };
    if (label === labelAlg) return { code: 'alg_not_protected', detail: 'alg (1) must be in the protected header' };
    if (label !== labelKid) return { code: 'header_unsupported', detail: `unprotected label ${String(label)}` };
  }
  const alg = protectedHeader.get(labelAlg);
  if (alg === undefined) return { code: 'alg_not_protected', detail: 'alg (1) must be in the protected header' };
  if (typeof alg !== 'number' && typeof alg !== 'string') return { code: 'header_invalid', detail: 'alg is an integer or a text string' };
  const contentType = protectedHeader.get(labelContentType);
  if (contentType !== undefined && typeof contentType !== 'number' && typeof contentType !== 'string') return { code: 'header_invalid', detail: 'content type is a uint or text' };
  const kid = protectedHeader.get(labelKid) ?? unprotectedHeader.get(labelKid);
  if (kid !== undefined && !(kid instanceof Uint8Array)) return { code: 'header_invalid', detail: 'kid is a byte string' };
  return null;
}

/** The bytes a COSE_Sign1 signs: ["Signature1", protected, external_aad, payload] (RFC 9052 §4.4). */
export function sigStructure1(protectedBytes: Uint8Array, externalAad: Uint8Array, payload: Uint8Array): Uint8Array {
  const context = [0x6a, 0x53, 0x69, 0x67, 0x6e, 0x61, 0x74, 0x75, 0x72, 0x65, 0x31]; // text(10) "Signature1"
  const parts = [Uint8Array.of(0x84, ...context), bstrHead(protectedBytes.length), protectedBytes, bstrHead(externalAad.length), externalAad, bstrHead(payload.length), payload];
  return concat(parts);
}

/** The shortest head of a byte string of `length` bytes (RFC 8949 §3.1, major type 2). */
export function bstrHead(length: number): Uint8Array {
  assert(Number.isSafeInteger(length) && length >= 0 && length <= 0xffff_ffff, 'byte string length is a u32');
  if (length < 24) return Uint8Array.of(0x40 | length);
  if (length <= 0xff) return Uint8Array.of(0x58, length);
  if (length <= 0xffff) return Uint8Array.of(0x59, length >> 8, length & 0xff);
  return Uint8Array.of(0x5a, length >>> 24, (length >> 16) & 0xff, (length >> 8) & 0xff, length & 0xff);
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** Writes a tagged COSE_Sign1 from its parts; `unprotectedBytes` is the encoded unprotected map. */
export function encodeSign1(protectedBytes: Uint8Array, unprotectedBytes: Uint8Array, payload: Uint8Array, signature: Uint8Array): Uint8Array {
  assert(unprotectedBytes.length >= 1 && unprotectedBytes[0]! >> 5 === 5, 'the unprotected header is an encoded map');
  return concat([Uint8Array.of(0xc0 | coseSign1Tag, 0x84), bstrHead(protectedBytes.length), protectedBytes, unprotectedBytes, bstrHead(payload.length), payload, bstrHead(signature.length), signature]);
}

/** The wire profile's protected header for a signer: {1: -8, 4: kid}. */
export function wireProtectedHeader(encoder: CborEncoder, kid: Uint8Array): Uint8Array {
  assert(kid.length === kidBytes, 'a kid is 8 bytes');
  return encoder.encode(
    new Map<number, number | Uint8Array>([
      [labelAlg, algEdDSA],
      [labelKid, kid],
    ]),
  );
}

const emptyMap = Uint8Array.of(0xa0);

/** Signs `payload` in the wire profile: tagged COSE_Sign1, alg -8, kid protected, empty unprotected header. */
export function signSign1(protectedBytes: Uint8Array, payload: Uint8Array, signer: Signer, externalAad: Uint8Array): Uint8Array {
  const signature = signer.sign(sigStructure1(protectedBytes, externalAad, payload));
  assert(signature.length === ed25519SignatureBytes, 'an Ed25519 signature is 64 bytes');
  return encodeSign1(protectedBytes, emptyMap, payload, signature);
}

export interface VerifyOptions {
  readonly profile: HeaderProfile;
  readonly requireTag: boolean;
  readonly externalAad: Uint8Array;
  /** Algorithms this caller verifies (default EdDSA -8 and Ed25519 -19). */
  readonly algs?: readonly (number | string)[];
  /** The verifier for a kid (null kid: none in the headers), or null when the kid is unknown. */
  keyFor(kid: Uint8Array | null): Verifier | null;
}

export type VerifyResult =
  | { readonly ok: true; readonly sign1: Sign1; readonly verifier: Verifier }
  | { readonly ok: false; readonly error: CoseError; readonly sign1?: Sign1 };

/** Parses, checks headers, finds the key and verifies; the payload is trusted only when ok. */
export function verifySign1(bytes: Uint8Array, options: VerifyOptions): VerifyResult {
  const parsed = parseSign1(bytes, options);
  if (!parsed.ok) return parsed;
  const sign1 = parsed.sign1;
  const algs = options.algs ?? [algEdDSA, algEd25519];
  if (!algs.includes(sign1.alg)) return { ok: false, error: { code: 'alg_unsupported', detail: `alg ${String(sign1.alg)}` }, sign1 };
  const verifier = options.keyFor(sign1.kid);
  if (verifier === null) {
    const code = sign1.kid === null ? 'kid_missing' : 'unknown_kid';
    return { ok: false, error: { code, detail: 'no key for this kid' }, sign1 };
  }
  if (!verifier.verify(sigStructure1(sign1.protectedBytes, options.externalAad, sign1.payload), sign1.signature)) {
    return { ok: false, error: { code: 'bad_signature', detail: 'the signature does not verify under the key' }, sign1 };
  }
  return { ok: true, sign1, verifier };
}
