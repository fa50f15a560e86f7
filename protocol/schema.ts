// A small schema language for message bodies: the ONE source of truth of the
// wire's shapes. protocol/messages.ts describes every body with it; the
// functions here check a decoded (untrusted) wire value and turn it into a
// typed object (`fromWire`), and check a typed object before it is signed
// and turn it into the wire value (`toWire`); protocol/schema-cddl.ts renders
// the same descriptions as RFC 8610 CDDL (protocol/hub.cddl) and computes
// each body's worst-case size, so schema, validator and limits cannot drift.
//
// Wire shapes: a struct is a positional array (field names exist only in
// TypeScript and in the CDDL), an enum is the small uint index of its text
// value, a record is a CBOR map with text keys. Every integer, string, byte
// string, list and record has a bound.
import type { CborValue } from './cbor-decode';
import { compareMapKeys, type WireValue } from './cbor-encode';

export interface UintType {
  readonly kind: 'uint';
  readonly min: number;
  readonly max: number;
}
export interface TextType {
  readonly kind: 'text';
  readonly bytesMin: number;
  readonly bytesMax: number;
  /** Anchored pattern the text must match; `source` is what hub.cddl shows. */
  readonly pattern?: RegExp;
  /** Extra meaning the pattern cannot say (e.g. a real calendar day); checked in code. */
  readonly date?: true;
}
export interface BytesType {
  readonly kind: 'bytes';
  readonly min: number;
  readonly max: number;
}
export interface BoolType {
  readonly kind: 'bool';
}
export interface EnumType<T extends string = string> {
  readonly kind: 'enum';
  readonly values: readonly T[];
}
export interface NullableType<T = unknown> {
  readonly kind: 'nullable';
  readonly inner: Type<T>;
}
export interface ListType<T = unknown> {
  readonly kind: 'list';
  readonly item: Type<T>;
  readonly min: number;
  readonly max: number;
}
export interface Field {
  readonly name: string;
  readonly type: Type<unknown>;
  readonly optional: boolean;
}
export interface StructType {
  readonly kind: 'struct';
  readonly fields: readonly Field[];
  readonly required: number;
}
export interface RecordType<V = unknown> {
  readonly kind: 'record';
  /** A text type (or a rule naming one). */
  readonly key: Type<string>;
  readonly value: Type<V>;
  readonly max: number;
}
/** A named rule of hub.cddl: defined once there and referred to by its name (protocol/messages.ts's `namedRules`). */
export interface RuleType<T = unknown> {
  readonly kind: 'rule';
  readonly inner: Type<T>;
}

/** A schema node. `T` is the TypeScript type of the values it describes (phantom). */
export type Type<T> = (UintType | TextType | BytesType | BoolType | EnumType | NullableType | ListType | StructType | RecordType | RuleType) & {
  readonly __value?: T;
};
export type Infer<S> = S extends Type<infer T> ? T : never;

// Builders. Every bound is explicit.
export const uint = (max: number, min = 0): Type<number> => ({ kind: 'uint', min, max });
export const text = (bytesMax: number, bytesMin = 1, pattern?: RegExp): Type<string> =>
  pattern === undefined ? { kind: 'text', bytesMin, bytesMax } : { kind: 'text', bytesMin, bytesMax, pattern };
export const dateText = (): Type<string> => ({ kind: 'text', bytesMin: 10, bytesMax: 10, pattern: /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/, date: true });
export const bytes = (max: number, min = max): Type<Uint8Array> => ({ kind: 'bytes', min, max });
export const bool = (): Type<boolean> => ({ kind: 'bool' });
export const enumOf = <const T extends string>(values: readonly T[]): Type<T> => ({ kind: 'enum', values });
export const nullable = <T>(inner: Type<T>): Type<T | null> => ({ kind: 'nullable', inner });
export const list = <T>(item: Type<T>, max: number, min = 0): Type<T[]> => ({ kind: 'list', item, min, max });
export const record = <V>(key: Type<string>, value: Type<V>, max: number): Type<Record<string, V>> => ({
  kind: 'record',
  key,
  value,
  max,
});
/** A named rule: hub.cddl defines it once and refers to it by the name `namedRules` gives it (its sentence is in messages-doc.ts). */
export const rule = <T>(inner: Type<T>): Type<T> => ({ kind: 'rule', inner });

/** Marks a trailing struct field that may be absent (CDDL `? name: type`). */
export interface Optional<T> {
  readonly optional: Type<T>;
}
export const optional = <T>(type: Type<T>): Optional<T> => ({ optional: type });

type FieldSpec = Type<unknown> | Optional<unknown>;
type RequiredKeys<F> = { [K in keyof F]: F[K] extends Optional<unknown> ? never : K }[keyof F];
type OptionalKeys<F> = { [K in keyof F]: F[K] extends Optional<unknown> ? K : never }[keyof F];
type Simplify<T> = { [K in keyof T]: T[K] };
export type StructOf<F> = Simplify<
  { [K in RequiredKeys<F>]: F[K] extends Type<infer T> ? T : never } & { [K in OptionalKeys<F>]?: F[K] extends Optional<infer T> ? T : never }
>;

/** A positional array whose fields are named in order; optional fields come last. */
export function struct<F extends Record<string, FieldSpec>>(spec: F): Type<StructOf<F>> {
  const fields: Field[] = [];
  let required = 0;
  for (const [name, entry] of Object.entries(spec)) {
    const isOptional = 'optional' in entry;
    if (!isOptional && fields.some((field) => field.optional)) throw new Error(`struct field ${name}: optional fields must come last`);
    fields.push({ name, type: isOptional ? entry.optional : entry, optional: isOptional });
    if (!isOptional) required += 1;
  }
  return { kind: 'struct', fields, required };
}

/** A value that breaks its schema. `path` names the field, e.g. `body.lines[3].amt`. */
export class SchemaError extends Error {
  override readonly name = 'SchemaError';
  constructor(
    readonly path: string,
    readonly detail: string,
    /** A wrong type (rather than a value out of range). */
    readonly wrongType = detail.startsWith('expected'),
  ) {
    super(`${path}: ${detail}`);
  }
}

const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const utf8 = new TextEncoder();

function utf8Length(value: string): number {
  // ASCII is the common case: one byte a character.
  for (let i = 0; i < value.length; i += 1) if (value.charCodeAt(i) >= 0x80) return utf8.encode(value).length;
  return value.length;
}

/** Whether `YYYY-MM-DD` names a real calendar day (docs/settlement.md §1), leap years included. */
export function isCalendarDay(value: string): boolean {
  const year = Number(value.slice(0, 4));
  const month = Number(value.slice(5, 7));
  const day = Number(value.slice(8, 10));
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] as number;
  return day <= days;
}

function checkText(type: TextType, value: unknown, path: string): string {
  if (typeof value !== 'string') throw new SchemaError(path, 'expected a text string');
  const length = utf8Length(value);
  if (length < type.bytesMin || length > type.bytesMax) throw new SchemaError(path, `text of ${length} bytes, allowed ${type.bytesMin} to ${type.bytesMax}`);
  if (type.pattern !== undefined && !type.pattern.test(value)) throw new SchemaError(path, `text does not match ${type.pattern.source}`);
  if (type.date === true && !isCalendarDay(value)) throw new SchemaError(path, 'not a calendar day');
  return value;
}

function checkUint(type: UintType, value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw new SchemaError(path, 'expected an integer');
  if (value < type.min || value > type.max) throw new SchemaError(path, `${value} outside ${type.min} to ${type.max}`);
  return value;
}

/**
 * Checks a strictly decoded wire value against a schema and returns the typed
 * value; throws SchemaError with the field's path on the first violation.
 */
export function fromWire<T>(type: Type<T>, wire: CborValue, path: string): T {
  return read(type, wire, path) as T;
}

function read(type: Type<unknown>, wire: CborValue, path: string): unknown {
  switch (type.kind) {
    case 'uint':
      return checkUint(type, wire, path);
    case 'text':
      return checkText(type, wire, path);
    case 'bytes':
      if (!(wire instanceof Uint8Array)) throw new SchemaError(path, 'expected a byte string');
      if (wire.length < type.min || wire.length > type.max) throw new SchemaError(path, `${wire.length} bytes, allowed ${type.min} to ${type.max}`);
      return wire;
    case 'bool':
      if (typeof wire !== 'boolean') throw new SchemaError(path, 'expected true or false');
      return wire;
    case 'enum': {
      if (typeof wire !== 'number' || !Number.isInteger(wire) || wire < 0 || wire >= type.values.length) throw new SchemaError(path, 'unknown enum value');
      return type.values[wire];
    }
    case 'nullable':
      return wire === null ? null : read(type.inner, wire, path);
    case 'list': {
      if (!Array.isArray(wire)) throw new SchemaError(path, 'expected an array');
      if (wire.length < type.min || wire.length > type.max) throw new SchemaError(path, `${wire.length} items, allowed ${type.min} to ${type.max}`);
      const items = new Array<unknown>(wire.length);
      for (let i = 0; i < wire.length; i += 1) items[i] = read(type.item, wire[i] as CborValue, `${path}[${i}]`);
      return items;
    }
    case 'struct':
      return readStruct(type, wire, path);
    case 'record': {
      if (!(wire instanceof Map)) throw new SchemaError(path, 'expected a map');
      if (wire.size > type.max) throw new SchemaError(path, `${wire.size} entries, allowed ${type.max}`);
      const out: Record<string, unknown> = {};
      for (const [key, entry] of wire) {
        const name = read(type.key, key, `${path}.<key>`) as string;
        // defineProperty: a key is data, never a prototype (the key pattern refuses `__proto__` anyway).
        Object.defineProperty(out, name, { value: read(type.value, entry, `${path}.${name}`), enumerable: true, writable: true, configurable: true });
      }
      return out;
    }
    case 'rule':
      return read(type.inner, wire, path);
  }
}

function readStruct(type: StructType, wire: CborValue, path: string): Record<string, unknown> {
  if (!Array.isArray(wire)) throw new SchemaError(path, 'expected an array');
  const fields = type.fields;
  if (wire.length < type.required || wire.length > fields.length) {
    throw new SchemaError(path, `${wire.length} items, expected ${type.required === fields.length ? fields.length : `${type.required} to ${fields.length}`}`);
  }
  const out: Record<string, unknown> = {};
  for (let i = 0; i < wire.length; i += 1) {
    const field = fields[i] as Field;
    out[field.name] = read(field.type, wire[i] as CborValue, `${path}.${field.name}`);
  }
  return out;
}

/**
 * Checks a typed value before it is encoded and signed, and returns its wire
 * form: fresh arrays and maps, a record's keys in RFC 8949 §4.2.1 order (the
 * order the encoder writes, so it takes the map as it is). A value that
 * breaks its schema here is a programmer error: TypeError
 * for a wrong type, RangeError for a wrong range, the field's path in the
 * message (docs/conventions.md habit 10).
 */
export function toWire<T>(type: Type<T>, value: T, path: string): WireValue {
  return write(type, value, path);
}

function write(type: Type<unknown>, value: unknown, path: string): WireValue {
  try {
    return writeUnchecked(type, value, path);
  } catch (error) {
    if (error instanceof SchemaError) throw error.wrongType ? new TypeError(error.message) : new RangeError(error.message);
    throw error;
  }
}

function writeUnchecked(type: Type<unknown>, value: unknown, path: string): WireValue {
  switch (type.kind) {
    case 'uint':
      return checkUint(type, value, path);
    case 'text': {
      const checked = checkText(type, value, path);
      if (loneSurrogate.test(checked)) throw new SchemaError(path, 'text holds a lone surrogate');
      return checked;
    }
    case 'bytes':
    case 'bool':
      return read(type, value as CborValue, path) as WireValue;
    case 'enum': {
      const index = type.values.indexOf(value as string);
      if (index < 0) throw new SchemaError(path, `${String(value)} is none of ${type.values.join(', ')}`, typeof value !== 'string');
      return index;
    }
    case 'nullable':
      return value === null ? null : writeUnchecked(type.inner, value, path);
    case 'list': {
      if (!Array.isArray(value)) throw new SchemaError(path, 'expected an array');
      if (value.length < type.min || value.length > type.max) throw new SchemaError(path, `${value.length} items, allowed ${type.min} to ${type.max}`);
      return value.map((item, i) => writeUnchecked(type.item, item, `${path}[${i}]`));
    }
    case 'struct':
      return writeStruct(type, value, path);
    case 'record': {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new SchemaError(path, 'expected an object');
      const keys = Object.keys(value).sort(compareMapKeys);
      if (keys.length > type.max) throw new SchemaError(path, `${keys.length} entries, allowed ${type.max}`);
      const out = new Map<string, WireValue>();
      for (const key of keys) out.set(writeUnchecked(type.key, key, `${path}.<key>`) as string, writeUnchecked(type.value, (value as Record<string, unknown>)[key], `${path}.${key}`));
      return out;
    }
    case 'rule':
      return writeUnchecked(type.inner, value, path);
  }
}

function writeStruct(type: StructType, value: unknown, path: string): WireValue[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new SchemaError(path, 'expected an object');
  const object = value as Record<string, unknown>;
  const fields = type.fields;
  const out: WireValue[] = [];
  for (let i = 0; i < fields.length; i += 1) {
    const field = fields[i] as Field;
    const entry = object[field.name];
    if (entry === undefined) {
      if (!field.optional) throw new SchemaError(`${path}.${field.name}`, 'expected a value, the field is missing');
      continue;
    }
    if (out.length < i) throw new SchemaError(`${path}.${field.name}`, 'an optional field before it is missing');
    out.push(writeUnchecked(field.type, entry, `${path}.${field.name}`));
  }
  let present = 0;
  for (const key in object) if (object[key] !== undefined) present += 1;
  if (present !== out.length) throw new SchemaError(path, `expected only the fields ${fields.map((field) => field.name).join(', ')}`);
  return out;
}
