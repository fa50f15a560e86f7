// Messages in and out of frames: encode + sign + frame (Sealer) and
// verify + decode + check (Opener). The payload is the CBOR array
// [type, terminal, seq, time, body] (hub.cddl `message`), signed as a
// COSE_Sign1 whose external_aad is the frame header, so a frame cannot be
// reflected to the other direction or replayed into another hub session.
//
// A message is checked against its schema before it is signed (a failure is
// a programmer error: TypeError or RangeError naming the field) and again
// after it is verified (a failure is a typed OpenError). Nothing is ever
// keyed on signature bytes: a receiver identifies a message by (terminal, seq).
import assert from 'node:assert';
import { decodeStrict, type CborValue } from './cbor-decode';
import { createCborEncoder, type CborEncoder } from './cbor-encode';
import { signSign1, verifySign1, wireProtectedHeader, type CoseErrorCode, wireHeaders } from './cose';
import type { Signer, Verifier } from './crypto';
import { encodeFrame, encodeFrameHeader, type Direction, type FrameEvent, type FrameHeader } from './framing';
import { clockSkewSecondsMax } from './limits';
import { messageTime, messageSeq, messageTypeById, messageTypeByName, terminalId, type BodyOf, type ErrorCode, type MessageName } from './messages';
import { fromWire, SchemaError, toWire } from './schema';

export interface Message<N extends MessageName = MessageName> {
  readonly type: N;
  /** The terminal the message is from (up) or to (down). */
  readonly terminal: string;
  /** The terminal's sequence number; a reply carries its request's. */
  readonly seq: number;
  /** Integer seconds since 1970, from the sender's clock. */
  readonly time: number;
  readonly body: BodyOf<N>;
}

/** Any message, discriminated by `type`. */
export type AnyMessage = { [N in MessageName]: Message<N> }[MessageName];

/** A frame event the FrameDecoder yielded. */
export type ReceivedFrame = Extract<FrameEvent, { kind: 'frame' }>;

export interface Sealer {
  readonly kid: Uint8Array;
  /** The bytes to write on the line for `message` in `session`. */
  seal(message: AnyMessage, session: number): Uint8Array;
  /** The payload bytes alone (what is signed inside the COSE_Sign1). */
  encodePayload(message: AnyMessage): Uint8Array;
}

/** A sealer for one signer and direction; it keeps its encoder and protected header. */
export function createSealer(signer: Signer, direction: Direction, encoder: CborEncoder = createCborEncoder()): Sealer {
  const protectedBytes = wireProtectedHeader(encoder, signer.kid);
  const encodePayload = (message: AnyMessage): Uint8Array => {
    const type = messageTypeByName(message.type);
    const wire = [
      type.id,
      toWire(terminalId, message.terminal, 'terminal'),
      toWire(messageSeq, message.seq, 'seq'),
      toWire(messageTime, message.time, 'time'),
      toWire(type.body, message.body, 'body'),
    ];
    return encoder.encode(wire);
  };
  return {
    kid: signer.kid,
    encodePayload,
    seal(message: AnyMessage, session: number): Uint8Array {
      const type = messageTypeByName(message.type);
      assert(session === 0 ? type.beforeSignIn : type.name !== 'sign_in' && type.name !== 'sign_in_reply', `${type.name} in session ${session}`);
      const header = encodeFrameHeader(direction, session);
      const cose = signSign1(protectedBytes, encodePayload(message), signer, header);
      return encodeFrame(header, cose);
    },
  };
}

export type OpenErrorCode =
  | CoseErrorCode
  | 'wrong_direction'
  | 'payload_malformed'
  | 'unknown_type'
  | 'schema_violation'
  | 'not_signed_in'
  | 'time_skew';

export interface OpenError {
  readonly code: OpenErrorCode;
  readonly detail: string;
  /** The field that broke the schema, e.g. `body.lines[3].amt`. */
  readonly path?: string;
}

export type OpenResult =
  | { readonly ok: true; readonly message: AnyMessage; readonly header: FrameHeader; readonly verifier: Verifier }
  | { readonly ok: false; readonly error: OpenError };

export interface OpenerOptions {
  /** The direction this side receives. */
  readonly expect: Direction;
  /** The verifier of a kid, or null when the kid is unknown (key pinning and rotation live with the caller). */
  keyFor(kid: Uint8Array): Verifier | null;
  /** The receiver's clock, integer seconds since 1970 (passed in, never read here). */
  clock(): number;
  readonly skewSecondsMax?: number;
}

export interface Opener {
  open(frame: ReceivedFrame): OpenResult;
}

function fail(code: OpenErrorCode, detail: string, path?: string): { ok: false; error: OpenError } {
  return { ok: false, error: path === undefined ? { code, detail } : { code, detail, path } };
}

export function createOpener(options: OpenerOptions): Opener {
  const skew = options.skewSecondsMax ?? clockSkewSecondsMax;
  assert(Number.isInteger(skew) && skew >= 0 && skew <= clockSkewSecondsMax, 'skew within the wire limit');
  return {
    open(frame: ReceivedFrame): OpenResult {
      if (frame.header.direction !== options.expect) return fail('wrong_direction', `a ${frame.header.direction} frame where ${options.expect} frames come`);
      const verified = verifySign1(frame.cose, {
        profile: wireHeaders,
        requireTag: true,
        externalAad: frame.headerBytes,
        keyFor: (kid) => (kid === null ? null : options.keyFor(kid)),
      });
      if (!verified.ok) return fail(verified.error.code, verified.error.detail);
      const opened = decodePayload(verified.sign1.payload);
      if (!opened.ok) return opened;
      const message = opened.message;
      const type = messageTypeByName(message.type);
      if ((frame.header.session === 0) !== type.beforeSignIn && type.name !== 'error') {
        return fail('not_signed_in', `${type.name} in session ${frame.header.session}`);
      }
      const now = options.clock();
      if (Math.abs(message.time - now) > skew) return fail('time_skew', `message time ${message.time}, clock ${now}, skew allowed ${skew} s`);
      return { ok: true, message, header: frame.header, verifier: verified.verifier };
    },
  };
}

/** Decodes and checks a payload (already verified, or for display). */
export function decodePayload(payload: Uint8Array): { ok: true; message: AnyMessage; wire: CborValue[] } | { ok: false; error: OpenError } {
  const decoded = decodeStrict(payload);
  if (!decoded.ok) return fail('payload_malformed', `CBOR ${decoded.error.code} at byte ${decoded.error.offset}`);
  const wire = decoded.value;
  if (!Array.isArray(wire) || wire.length !== 5) return fail('schema_violation', 'a message is [type, terminal, seq, time, body]', 'payload');
  const typeId = wire[0];
  const type = typeof typeId === 'number' ? messageTypeById(typeId) : undefined;
  if (type === undefined) return fail('unknown_type', `type ${String(typeId)}`);
  try {
    const message = {
      type: type.name,
      terminal: fromWire(terminalId, wire[1] as CborValue, 'terminal'),
      seq: fromWire(messageSeq, wire[2] as CborValue, 'seq'),
      time: fromWire(messageTime, wire[3] as CborValue, 'time'),
      body: fromWire(type.body, wire[4] as CborValue, 'body'),
    } as AnyMessage;
    return { ok: true, message, wire };
  } catch (error) {
    if (error instanceof SchemaError) return fail('schema_violation', error.detail, error.path);
    throw error;
  }
}

/** Whether `reply` answers `request`: same terminal and seq, and the request's reply type or the error reply. */
export function isReplyTo(request: AnyMessage, reply: AnyMessage): boolean {
  if (reply.terminal !== request.terminal || reply.seq !== request.seq) return false;
  const requestId = messageTypeByName(request.type).id;
  const replyId = messageTypeByName(reply.type).id;
  return replyId === 0 || (requestId % 2 === 1 && replyId === requestId + 1);
}

/** The stable error-reply code a hub sends for a frame it could open enough to answer. */
export function errorReplyCode(error: OpenError): ErrorCode {
  switch (error.code) {
    case 'bad_signature':
      return 'bad_signature';
    case 'unknown_kid':
    case 'kid_missing':
      return 'unknown_kid';
    case 'wrong_direction':
      return 'wrong_direction';
    case 'unknown_type':
      return 'unknown_type';
    case 'schema_violation':
      return 'schema_violation';
    case 'not_signed_in':
      return 'not_signed_in';
    case 'time_skew':
      return 'time_skew';
    default:
      return 'malformed';
  }
}
