// Direct encoding of typed values (the reference hub's and the tools' fast
// path; the firmware encodes through `toWire` and cbor-encode.ts):
// `encodeTyped` checks a typed value as `toWire` does (the same errors) and
// writes its deterministic CBOR (RFC 8949 §4.2.1: shortest heads, definite
// lengths, a record's keys in the order of their encodings) straight into one
// buffer, instead of building the wire value and walking it again in the
// encoder. The bytes are the ones `encoder.encode(toWire(type, value, path))`
// writes: test/unit/schema-encode.test.ts holds the two to each other.
import type { CborValue } from './cbor-decode';
import { compareMapKeys } from './cbor-encode';
import { checkText, checkUint, loneSurrogate, read, refuse, SchemaError, trail, utf8, type Field, type Type } from './schema';

let out = /* @__PURE__ */ new Uint8Array(4096);
let at = 0;

function room(count: number): void {
  if (at + count <= out.length) return;
  const grown = new Uint8Array(Math.max(out.length * 2, at + count));
  grown.set(out.subarray(0, at));
  out = grown;
}

/** The shortest head of major type `major` with a safe-integer argument. */
function head(major: number, argument: number): void {
  room(9);
  // Argument bytes: 0 (in the first byte), 1, 2, 4 or 8; additional information 24 to 27 names 1 to 8.
  const size = argument < 24 ? 0 : argument <= 0xff ? 1 : argument <= 0xffff ? 2 : argument <= 0xffff_ffff ? 4 : 8;
  out[at++] = (major << 5) | (size === 0 ? argument : 24 + (size >> 1) - (size >> 3));
  // A Uint8Array keeps the low 8 bits of the truncated quotient: the argument's bytes, big-endian.
  for (let i = size - 1; i >= 0; i -= 1) out[at++] = argument / 256 ** i;
}

function putBytes(major: number, bytes: Uint8Array): void {
  head(major, bytes.length);
  room(bytes.length);
  out.set(bytes, at);
  at += bytes.length;
}

function putText(value: string): void {
  for (let i = 0; i < value.length; i += 1) if (value.charCodeAt(i) >= 0x80) return putBytes(3, utf8.encode(value));
  head(3, value.length);
  room(value.length);
  for (let i = 0; i < value.length; i += 1) out[at++] = value.charCodeAt(i);
}

/** Checks a value against its node and writes it into the buffer. */
function put(type: Type<unknown>, value: unknown): void {
  switch (type.kind) {
    case 'uint':
      return head(0, checkUint(type, value));
    case 'text':
      {
      const checked = checkText(type, value);
      if (loneSurrogate.test(checked)) refuse('text holds a lone surrogate');
      return putText(checked);
    }
    case 'bytes':
      return putBytes(2, read(type, value as CborValue) as Uint8Array);
    case 'bool':
      return head(7, read(type, value as CborValue) ? 21 : 20);
    case 'enum':
{
      const index = type.values.indexOf(value as string);
      if (index < 0) refuse(`${String(value)} is none of ${type.values.join(', ')}`, typeof value !== 'string');
      return head(0, index);
    }
    case 'nullable':
      return value === null ? head(7, 22) : put(type.inner, value);
    case 'list': {
      if (!Array.isArray(value)) refuse('expected an array');
      if (value.length < type.min || value.length > type.max) refuse(`${value.length} items, allowed ${type.min} to ${type.max}`);
      head(4, value.length);
      for (let i = 0; i < value.length; i += 1) {
        trail.push(i);
        put(type.item, value[i]);
        trail.pop();
      }
      return;
    }
    case 'struct': {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) refuse('expected an object');
      const object = value as Record<string, unknown>;
      const fields = type.fields;
      // A struct's array head is one byte (fewer than 24 fields: messages.ts), written once its fields are counted.
      room(1);
      const start = at++;
      let count = 0;
      for (let i = 0; i < fields.length; i += 1) {
        const field = fields[i] as Field;
        const entry = object[field.name];
        if (entry === undefined) {
          if (!field.optional) refuse('expected a value, the field is missing', undefined, field.name);
          continue;
        }
        if (count < i) refuse('an optional field before it is missing', undefined, field.name);
        trail.push(field.name);
        put(field.type, entry);
        trail.pop();
        count += 1;
      }
      let present = 0;
      for (const key in object) if (object[key] !== undefined) present += 1;
      if (present !== count) refuse(`expected only the fields ${fields.map((field) => field.name).join(', ')}`);
      out[start] = 0x80 | count;
      return;
    }
    case 'record': {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) refuse('expected an object');
      const keys = Object.keys(value).sort(compareMapKeys);
      if (keys.length > type.max) refuse(`${keys.length} entries, allowed ${type.max}`);
      head(5, keys.length);
      for (const key of keys) {
        trail.push('<key>');
        put(type.key, key);
        trail[trail.length - 1] = key;
        put(type.value, (value as Record<string, unknown>)[key]);
        trail.pop();
      }
      return;
    }
    case 'rule':
      return put(type.inner, value);
  }
}

/**
 * Checks a typed value as `toWire` does (the same errors) and returns its
 * deterministic CBOR, a fresh copy the caller owns.
 */
export function encodeTyped<T>(type: Type<T>, value: T, path: string): Uint8Array {
  trail.length = 0;
  trail.push(path);
  at = 0;
  try {
    put(type, value);
  } catch (error) {
    if (error instanceof SchemaError) throw error.wrongType ? new TypeError(error.message) : new RangeError(error.message);
    throw error;
  }
  return out.slice(0, at);
}
