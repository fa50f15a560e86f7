// Renders the message table as RFC 8610 CDDL (protocol/hub.cddl) and
// computes the worst-case encoded size of any schema node. Not part of the
// firmware: tests and tools import it. `npm test` fails when the committed
// hub.cddl differs from what this renders (regenerate it with
// `node .build/render-cddl.js` after the test prints the command).
import { frameCrcBytes, frameHeaderBytes, kidBytes } from './limits';
import { messageTypes, namedRules, sharedRules } from './messages';
import { messageDocs, ruleDocs } from './messages-doc';
import type { Type } from './schema';

/** Bytes of the shortest CBOR head for an argument. */
export function headBytes(argument: number): number {
  if (argument < 24) return 1;
  if (argument <= 0xff) return 2;
  if (argument <= 0xffff) return 3;
  if (argument <= 0xffff_ffff) return 5;
  return 9;
}

/** The largest encoding of any value the schema allows, bytes. */
export function wireBytesMax(type: Type<unknown>): number {
  switch (type.kind) {
    case 'uint':
      return headBytes(type.max);
    case 'text':
      return headBytes(type.bytesMax) + type.bytesMax;
    case 'bytes':
      return headBytes(type.max) + type.max;
    case 'bool':
      return 1;
    case 'enum':
      return headBytes(type.values.length - 1);
    case 'nullable':
      return Math.max(1, wireBytesMax(type.inner));
    case 'list':
      return headBytes(type.max) + type.max * wireBytesMax(type.item);
    case 'struct':
      return headBytes(type.fields.length) + type.fields.reduce((sum, field) => sum + wireBytesMax(field.type), 0);
    case 'record':
      return headBytes(type.max) + type.max * (wireBytesMax(type.key) + wireBytesMax(type.value));
    case 'rule':
      return wireBytesMax(type.inner);
  }
}

const ruleNames = new Map<Type<unknown>, string>(Object.entries(namedRules).map(([name, rule]) => [rule, name]));

/** A named rule's hub.cddl name (messages.ts, `namedRules`). */
function nameOf(rule: Type<unknown>): string {
  const name = ruleNames.get(rule);
  if (name === undefined) throw new Error('a rule without a name in namedRules (protocol/messages.ts)');
  return name;
}

function range(min: number, max: number): string {
  return min === max ? String(min) : `(${min}..${max})`;
}

/** The CDDL type expression of a node; named rules are referenced and queued for definition. */
function expression(type: Type<unknown>, queue: (rule: Type<unknown>) => void, indent: string): string {
  switch (type.kind) {
    case 'uint':
      if (type.min === type.max) return String(type.min);
      return type.min === 0 ? `uint .le ${type.max}` : `${type.min}..${type.max}`;
    case 'text':
      if (type.pattern !== undefined) return `tstr .regexp "${type.pattern.source.replace(/^\^|\$$/g, '').replace(/\\/g, '\\\\')}"`;
      return `tstr .size ${range(type.bytesMin, type.bytesMax)}`;
    case 'bytes':
      return `bstr .size ${range(type.min, type.max)}`;
    case 'bool':
      return 'bool';
    case 'enum':
      return `&(${type.values.map((value, index) => `"${value}": ${index}`).join(', ')})`;
    case 'nullable':
      return `${expression(type.inner, queue, indent)} / null`;
    case 'list': {
      const item = expression(type.item, queue, indent);
      return `[${type.min}*${type.max} ${type.item.kind === 'nullable' ? `(${item})` : item}]`;
    }
    case 'struct': {
      const inner = `${indent}  `;
      const lines = type.fields.map((field) => `${inner}${field.optional ? '? ' : ''}${field.name}: ${expression(field.type, queue, inner)},`);
      return `[\n${lines.join('\n')}\n${indent}]`;
    }
    case 'record':
      return `{ 0*${type.max} ${expression(type.key, queue, indent)} => ${expression(type.value, queue, indent)} }`;
    case 'rule':
      queue(type);
      return nameOf(type);
  }
}

/** hub.cddl, rendered from the message table. */
export function renderCddl(): string {
  const defined = new Set<string>();
  const pending: Type<unknown>[] = [];
  const messageNames = new Set<string>(messageTypes.map((type) => type.name));
  const queue = (rule: Type<unknown>) => {
    const name = nameOf(rule);
    if (messageNames.has(name)) throw new Error(`rule ${name} has a message's name`);
    if (!defined.has(name)) {
      defined.add(name);
      pending.push(rule);
    }
  };
  const out: string[] = [header()];
  out.push('; ---- messages: [type, terminal, seq, time, body] ----');
  out.push('message = ' + messageTypes.map((type) => `msg<${type.id}, ${type.name}>`).join('\n  / ') + '\n');
  out.push('msg<t, b> = [type: t, terminal: terminal_id, seq: seq, time: time_s, body: b]\n');
  for (const rule of sharedRules) queue(rule);
  out.push('; ---- bodies ----');
  for (const type of messageTypes) {
    const national = type.national === '' ? '' : ` (like ${type.national})`;
    const summary = messageDocs[type.name];
    if (summary === undefined) throw new Error(`message ${type.name} has no sentence in messages-doc.ts`);
    out.push(`; ${type.id}: ${summary}${national}`);
    out.push(`${type.name} = ${expression(type.body, queue, '')}\n`);
  }
  out.push('; ---- shared rules ----');
  while (pending.length > 0) {
    const rule = pending.shift() as Type<unknown>;
    if (rule.kind !== 'rule') continue;
    const name = nameOf(rule);
    const comment = ruleDocs[name];
    if (comment === undefined) throw new Error(`rule ${name} has no sentence in messages-doc.ts`);
    out.push(`; ${comment}`);
    out.push(`${name} = ${expression(rule.inner, queue, '')}\n`);
  }
  return `${out.join('\n').trimEnd()}\n`;
}

function header(): string {
  return `; hub.cddl: the settlement terminal <-> hub wire protocol (RFC 8610 CDDL).
; GENERATED from protocol/messages.ts by protocol/schema-cddl.ts; do not edit
; by hand: test/unit/protocol-schema.test.ts fails when the two differ.
;
; Frame on a byte stream (docs/protocol.md):
;   0x00 | COBS( header | COSE_Sign1 | CRC-32 ) | 0x00
; header (${frameHeaderBytes} bytes): version (1), direction (0 terminal->hub, 1 hub->terminal),
;   hub session (u32, big-endian; 0 before sign-in).
; CRC-32 (${frameCrcBytes} bytes, big-endian): IEEE 802.3 over header and COSE_Sign1.
; The header bytes are the COSE external_aad, so direction and session are signed.
;
; Encoding: RFC 8949 §4.2.1 core deterministic encoding: shortest heads,
; definite lengths, no floats, map keys (acc_map) in the bytewise order of
; their encodings (a shorter text key before a longer one). bill_ref.digest
; and result_digest are SHA-256 of that encoding of the whole bill's fee
; lines and of the core's whole result (settle_result with every line of the
; visit). Receivers refuse non-shortest heads, indefinite lengths, duplicate
; keys, floats, simple values other than false, true and null, and any tag
; but the outer 18.

wire_sign1 = #6.18([
  protected: bstr .cbor wire_protected,
  unprotected: {},
  payload: bstr .cbor message,
  signature: bstr .size 64,
])
; alg: EdDSA (-8) when signing; Ed25519 (-19) is also accepted when verifying.
; kid: the first ${kidBytes} bytes of the signer's Ed25519 public key.
wire_protected = { 1 => -8 / -19, 4 => bstr .size ${kidBytes} }
sig_structure = ["Signature1", body_protected: bstr, external_aad: bstr .size ${frameHeaderBytes}, payload: bstr]
`;
}
