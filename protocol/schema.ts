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
    readonly wrongType: boolean = detail.startsWith('expected'),
  ) {
    super(`${path}: ${detail}`);
  }
}

/**
 * The keys from the checked value's root to the field being checked (a
 * struct field or record key: text; a list index: a number). Checking pushes
 * and pops it as it descends, so a path string is built only when a
 * SchemaError is thrown, never for the fields that pass.
 */
export const trail: (string | number)[] = [];

function trailPath(): string {
  let path = '';
  for (const key of trail) path += typeof key === 'number' ? `[${key}]` : path === '' ? key : `.${key}`;
  return path;
}

/** Throws the SchemaError of the field being checked (or of its `key`, when given). */
export function refuse(detail: string, wrongType?: boolean, key?: string): never {
  if (key !== undefined) trail.push(key);
  throw new SchemaError(trailPath(), detail, wrongType);
}

export const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export const utf8 = new TextEncoder();

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

export function checkText(type: TextType, value: unknown): string {
  if (typeof value !== 'string') refuse('expected a text string');
  const length = utf8Length(value);
  if (length < type.bytesMin || length > type.bytesMax) refuse(`text of ${length} bytes, allowed ${type.bytesMin} to ${type.bytesMax}`);
  if (type.pattern !== undefined && !type.pattern.test(value)) refuse(`text does not match ${type.pattern.source}`);
  if (type.date === true && !isCalendarDay(value)) refuse('not a calendar day');
  return value;
}

export function checkUint(type: UintType, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) refuse('expected an integer');
  if (value < type.min || value > type.max) refuse(`${value} outside ${type.min} to ${type.max}`);
  return value;
}

/**
 * Checks a strictly decoded wire value against a schema and returns the typed
 * value; throws SchemaError with the field's path on the first violation.
 */
export function fromWire<T>(type: Type<T>, wire: CborValue, path: string): T {
  trail.length = 0;
  trail.push(path);
  return read(type, wire) as T;
}

export function read(type: Type<unknown>, wire: CborValue): unknown {
  switch (type.kind) {
    case 'uint':
      return checkUint(type, wire);
    case 'text':
      return checkText(type, wire);
    case 'bytes':
      if (!(wire instanceof Uint8Array)) refuse('expected a byte string');
      if (wire.length < type.min || wire.length > type.max) refuse(`${wire.length} bytes, allowed ${type.min} to ${type.max}`);
      return wire;
    case 'bool':
      if (typeof wire !== 'boolean') refuse('expected true or false');
      return wire;
    case 'enum': {
      if (typeof wire !== 'number' || !Number.isInteger(wire) || wire < 0 || wire >= type.values.length) refuse('unknown enum value');
      return type.values[wire];
    }
    case 'nullable':
      return wire === null ? null : read(type.inner, wire);
    case 'list': {
      if (!Array.isArray(wire)) refuse('expected an array');
      if (wire.length < type.min || wire.length > type.max) refuse(`${wire.length} items, allowed ${type.min} to ${type.max}`);
      const items = new Array<unknown>(wire.length);
      for (let i = 0; i < wire.length; i += 1) {
        trail.push(i);
        items[i] = read(type.item, wire[i] as CborValue);
        trail.pop();
      }
      return items;
    }
    case 'struct':
      return readStruct(type, wire);
    case 'record': {
      if (!(wire instanceof Map)) refuse('expected a map');
      if (wire.size > type.max) refuse(`${wire.size} entries, allowed ${type.max}`);
      const out: Record<string, unknown> = {};
      for (const [key, entry] of wire) {
        trail.push('<key>');
        const name = read(type.key, key) as string;
        trail[trail.length - 1] = name;
        // defineProperty: a key is data, never a prototype (the key pattern refuses `__proto__` anyway).
        Object.defineProperty(out, name, { value: read(type.value, entry), enumerable: true, writable: true, configurable: true });
        trail.pop();
      }
      return out;
    }
    case 'rule':
      return read(type.inner, wire);
  }
}

function readStruct(type: StructType, wire: CborValue): Record<string, unknown> {
  if (!Array.isArray(wire)) refuse('expected an array');
  const fields = type.fields;
  if (wire.length < type.required || wire.length > fields.length) {
    refuse(`${wire.length} items, expected ${type.required === fields.length ? fields.length : `${type.required} to ${fields.length}`}`);
  }
  const out: Record<string, unknown> = {};
  for (let i = 0; i < wire.length; i += 1) {
    const field = fields[i] as Field;
    trail.push(field.name);
    out[field.name] = read(field.type, wire[i] as CborValue);
    trail.pop();
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
  trail.length = 0;
  trail.push(path);
  try {
    return writeUnchecked(type, value);
  } catch (error) {
    if (error instanceof SchemaError) throw error.wrongType ? new TypeError(error.message) : new RangeError(error.message);
    throw error;
  }
}

function writeUnchecked(type: Type<unknown>, value: unknown): WireValue {
  switch (type.kind) {
    case 'uint':
      return checkUint(type, value);
    case 'text': {
      const checked = checkText(type, value);
      if (loneSurrogate.test(checked)) refuse('text holds a lone surrogate');
      return checked;
    }
    case 'bytes':
    case 'bool':
      return read(type, value as CborValue) as WireValue;
    case 'enum': {
      const index = type.values.indexOf(value as string);
      if (index < 0) refuse(`${String(value)} is none of ${type.values.join(', ')}`, typeof value !== 'string');
      return index;
    }
    case 'nullable':
      return value === null ? null : writeUnchecked(type.inner, value);
    case 'list': {
      if (!Array.isArray(value)) refuse('expected an array');
      if (value.length < type.min || value.length > type.max) refuse(`${value.length} items, allowed ${type.min} to ${type.max}`);
      const items = new Array<WireValue>(value.length);
      for (let i = 0; i < value.length; i += 1) {
        trail.push(i);
        items[i] = writeUnchecked(type.item, value[i]);
        trail.pop();
      }
      return items;
    }
    case 'struct':
      return writeStruct(type, value);
    case 'record': {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) refuse('expected an object');
      const keys = Object.keys(value).sort(compareMapKeys);
      if (keys.length > type.max) refuse(`${keys.length} entries, allowed ${type.max}`);
      const out = new Map<string, WireValue>();
      for (const key of keys) {
        trail.push('<key>');
        const name = writeUnchecked(type.key, key) as string;
        trail[trail.length - 1] = key;
        out.set(name, writeUnchecked(type.value, (value as Record<string, unknown>)[key]));
        trail.pop();
      }
      return out;
    }
    case 'rule':
      return writeUnchecked(type.inner, value);
  }
}

function writeStruct(type: StructType, value: unknown): WireValue[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) refuse('expected an object');
  const object = value as Record<string, unknown>;
  const fields = type.fields;
  const out: WireValue[] = [];
  for (let i = 0; i < fields.length; i += 1) {
    const field = fields[i] as Field;
    const entry = object[field.name];
    if (entry === undefined) {
      if (!field.optional) refuse('expected a value, the field is missing', undefined, field.name);
      continue;
    }
    if (out.length < i) refuse('an optional field before it is missing', undefined, field.name);
    trail.push(field.name);
    out.push(writeUnchecked(field.type, entry));
    trail.pop();
  }
  let present = 0;
  for (const key in object) if (object[key] !== undefined) present += 1;
  if (present !== out.length) refuse(`expected only the fields ${fields.map((field) => field.name).join(', ')}`);
  return out;
}
