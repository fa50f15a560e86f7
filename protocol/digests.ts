// The digests a settle request carries (hub.cddl `bill_ref`, `result_digest`):
// SHA-256 over the deterministic CBOR (RFC 8949 §4.2.1: shortest heads, map
// keys in the bytewise order of their encodings; protocol/cbor-encode.ts) of
// the whole bill's fee lines, and of the core's whole result (all line
// results, whatever the visit's size). Both ends compute them with these
// functions, so equal inputs give equal bytes.
import { createHash } from 'node:crypto';
import type { CborEncoder } from './cbor-encode';
import { billLinesType, resultDigestType, type FeeLine, type SettleResultFull } from './messages';
import { toWire } from './schema';

function sha256(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(bytes).digest());
}

/** SHA-256 of the CBOR array of every fee line of the bill, in bill order. */
export function billDigest(encoder: CborEncoder, lines: readonly FeeLine[]): Uint8Array {
  return sha256(encoder.encode(toWire(billLinesType, lines as FeeLine[], 'lines')));
}

/** SHA-256 of the CBOR of the core's whole result (docs/settlement.md §9), every line included. */
export function resultDigest(encoder: CborEncoder, result: SettleResultFull): Uint8Array {
  return sha256(encoder.encode(toWire(resultDigestType, result, 'result')));
}
