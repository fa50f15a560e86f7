// Catalogue deltas: items added, changed and removed between two versions.
// On the wire (the body of a signed delta) a delta is the CBOR array
//   [added: [record...], changed: [record...], removed: [code...]]
// with each record positional:
//   [code, kind, lv, selfpay_bp, cap / null, gend / null, age_min / null,
//    age_max / null, chronic_only / null, name, unit, list_price]
// kind and lv as indexes (drug, service, consumable; 01, 02, 03), gend as
// text, chronic_only as disease indexes. Decoded strictly; every record then
// passes the same checks as a snapshot's.
import { decodeStrict, type CborValue } from '../../protocol/cbor-decode';
import { createCborEncoder } from '../../protocol/cbor-encode';
import { diseases } from '../core/types';
import { catalogueItemsMax, catalogueUnitsMax, itemCodeBytesMax, itemNameBytesMax } from './limits';
import { catalogueFrame, checkRecord, CatalogueRecordError, finishCatalogue, writeRow } from './build';
import { itemKinds, itemLevels, type Catalogue, type CatalogueRecord } from './layout';
import { invalidContent, UpdateError } from './update';

const utf8 = new TextEncoder();

export interface CatalogueDelta {
  readonly added: readonly CatalogueRecord[];
  readonly changed: readonly CatalogueRecord[];
  readonly removed: readonly string[];
}

function recordValue(record: CatalogueRecord): CborValue {
  return [
    record.code,
    itemKinds.indexOf(record.kind),
    itemLevels.indexOf(record.lv),
    record.selfpay_bp,
    record.cap,
    record.gend,
    record.age_min,
    record.age_max,
    record.chronic_only === null ? null : record.chronic_only.map((disease) => diseases.indexOf(disease)),
    record.name,
    record.unit,
    record.list_price,
  ];
}

export function encodeDelta(delta: CatalogueDelta): Uint8Array {
  return createCborEncoder().encode([delta.added.map(recordValue), delta.changed.map(recordValue), [...delta.removed]] as never);
}

function recordOf(value: CborValue): CatalogueRecord {
  if (!Array.isArray(value) || value.length !== 12) throw invalidContent('a delta record is an array of 12');
  const [code, kind, lv, selfpay, cap, gend, ageMin, ageMax, chronic, name, unit, price] = value;
  const chronicOnly = chronic === null ? null : Array.isArray(chronic) ? chronic.map((index) => (typeof index === 'number' ? diseases[index] : undefined)) : undefined;
  const candidate = {
    code,
    kind: typeof kind === 'number' ? itemKinds[kind] : undefined,
    lv: typeof lv === 'number' ? itemLevels[lv] : undefined,
    selfpay_bp: selfpay,
    cap,
    gend,
    age_min: ageMin,
    age_max: ageMax,
    chronic_only: chronicOnly,
    name,
    unit,
    list_price: price,
  };
  try {
    return checkRecord(candidate);
  } catch (error) {
    if (error instanceof CatalogueRecordError) throw invalidContent(error.message);
    throw error;
  }
}

/** Decodes a delta body strictly; throws UpdateError. */
export function decodeDelta(body: Uint8Array): CatalogueDelta {
  const decoded = decodeStrict(body, { depthMax: 4, itemsMax: catalogueItemsMax, stringBytesMax: Math.max(itemCodeBytesMax, itemNameBytesMax) });
  if (!decoded.ok) throw invalidContent(`delta body: ${decoded.error.code} at ${decoded.error.offset}`);
  const value = decoded.value;
  if (!Array.isArray(value) || value.length !== 3 || !value.every(Array.isArray)) throw invalidContent('a delta is [added, changed, removed]');
  const [added, changed, removed] = value as CborValue[][];
  const removedCodes = (removed as CborValue[]).map((code) => {
    if (typeof code !== 'string') throw invalidContent('a removed code is text');
    return code;
  });
  return { added: (added as CborValue[]).map(recordOf), changed: (changed as CborValue[]).map(recordOf), removed: removedCodes };
}

/** The indexes of `current` a delta takes out (removed and changed codes), ascending; checks every code against `current`. */
function checkDelta(current: Catalogue, delta: CatalogueDelta): number[] {
  const touched = new Set<string>();
  const once = (code: string) => {
    if (touched.has(code)) throw invalidContent(`code ${code} appears twice in the delta`);
    touched.add(code);
  };
  const dropped: number[] = [];
  for (const code of delta.removed) {
    once(code);
    const index = current.indexOf(code);
    if (index < 0) throw invalidContent(`removed code ${code} is not in ${current.version}`);
    dropped.push(index);
  }
  for (const record of delta.changed) {
    once(record.code);
    const index = current.indexOf(record.code);
    if (index < 0) throw invalidContent(`changed code ${record.code} is not in ${current.version}`);
    dropped.push(index);
  }
  for (const record of delta.added) {
    once(record.code);
    if (current.indexOf(record.code) >= 0) throw invalidContent(`added code ${record.code} is already in ${current.version}`);
  }
  return dropped.sort((a, b) => a - b);
}

/** The first index of `current` whose code is not before `code` (codes are sorted). */
function lowerBound(current: Catalogue, code: string): number {
  let low = 0;
  let high = current.count;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (current.codeAt(middle) < code) low = middle + 1;
    else high = middle;
  }
  return low;
}

/**
 * The merged order of the next version: for each of its records, the index
 * in `current` it comes from, or -1 - i for the delta's i-th incoming record.
 */
function mergedOrder(current: Catalogue, dropped: readonly number[], incoming: readonly CatalogueRecord[]): Int32Array {
  const order = new Int32Array(current.count - dropped.length + incoming.length);
  const positions = incoming.map((record) => lowerBound(current, record.code));
  let at = 0;
  let next = 0;
  let skip = 0;
  for (let index = 0; index <= current.count; index += 1) {
    while (next < incoming.length && (positions[next] as number) <= index) order[at++] = -1 - next++;
    if (index === current.count) break;
    if (skip < dropped.length && dropped[skip] === index) skip += 1;
    else order[at++] = index;
  }
  return order;
}

/** Where the old records keep a dictionary key: bits `shift` up of word `offset` of each `stride` words, masked. */
interface OldKeys {
  readonly words: Uint32Array;
  readonly stride: number;
  readonly offset: number;
  readonly shift: number;
  readonly mask: number;
}

/**
 * Dictionary entries in order of first use along `order` (what buildCatalogue
 * makes): an old record's key is read from `old`, an incoming one's is in
 * `incoming` (past the old entries for a text the old dictionary lacks); the
 * result maps each key to its new entry and lists the keys in order.
 */
function firstUse(order: Int32Array, keyCount: number, old: OldKeys, incoming: readonly number[]): { readonly newOf: Int32Array; readonly keys: number[] } {
  const newOf = new Int32Array(keyCount).fill(-1);
  const keys: number[] = [];
  const { words, stride, offset, shift, mask } = old;
  for (let at = 0; at < order.length; at += 1) {
    const source = order[at] as number;
    const key = source >= 0 ? ((words[source * stride + offset] as number) >>> shift) & mask : (incoming[-1 - source] as number);
    if (newOf[key] === -1) {
      newOf[key] = keys.length;
      keys.push(key);
    }
  }
  return { newOf, keys };
}

/** The keys of the incoming records' texts (units or names): an old entry's index when the old dictionary has the text, else oldCount + a new index. */
function textKeys(texts: readonly string[], oldCount: number, oldText: (index: number) => Uint8Array): { readonly keys: number[]; readonly added: Uint8Array[] } {
  const encoded = new Map<string, Uint8Array>();
  for (const text of texts) if (!encoded.has(text)) encoded.set(text, utf8.encode(text));
  const byLength = new Map<number, Array<[string, Uint8Array]>>();
  for (const entry of encoded) {
    const list = byLength.get(entry[1].length) ?? [];
    list.push(entry);
    byLength.set(entry[1].length, list);
  }
  const found = new Map<string, number>();
  for (let index = 0; index < oldCount && found.size < encoded.size; index += 1) {
    const bytes = oldText(index);
    for (const [text, candidate] of byLength.get(bytes.length) ?? []) if (Buffer.compare(bytes, candidate) === 0) found.set(text, index);
  }
  const added: Uint8Array[] = [];
  const addedAt = new Map<string, number>();
  const keys = texts.map((text) => {
    const old = found.get(text);
    if (old !== undefined) return old;
    let at = addedAt.get(text);
    if (at === undefined) {
      at = added.length;
      addedAt.set(text, at);
      added.push(encoded.get(text) as Uint8Array);
    }
    return oldCount + at;
  });
  return { keys, added };
}

/**
 * The catalogue file a delta makes of `current`: removed and changed codes
 * must exist, added ones must not, and no code may appear twice in a delta.
 * The result is byte for byte what buildCatalogue makes of the same records
 * (test/property/catalogue.test.ts holds the two together), but built from
 * `current`'s arrays: runs of unchanged records are copied whole, the
 * dictionaries are renumbered in order of first use, the hash table is
 * rebuilt from the stored codes. No record becomes an object, so a 100-item
 * delta to 200,000 items costs tens of milliseconds, not seconds.
 */
export function applyDelta(current: Catalogue, delta: CatalogueDelta, toVersion: string): Uint8Array {
  const incoming = [...delta.changed, ...delta.added].map((record) => {
    try {
      return checkRecord(record);
    } catch (error) {
      if (error instanceof CatalogueRecordError) throw invalidContent(error.message);
      throw error;
    }
  });
  incoming.sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
  const dropped = checkDelta(current, delta);
  const old = current.sections();
  const order = mergedOrder(current, dropped, incoming);
  const count = order.length;
  if (count > catalogueItemsMax) throw invalidContent(`more than ${catalogueItemsMax} items`);

  const oldNames = old.nameOffsets.length - 1;
  const units = textKeys(incoming.map((record) => record.unit), old.units.length, (index) => utf8.encode(old.units[index] as string));
  const names = textKeys(incoming.map((record) => record.name), oldNames, (index) => old.nameBlob.subarray(old.nameOffsets[index], old.nameOffsets[index + 1]));
  const unitUse = firstUse(order, old.units.length + units.added.length, { words: old.rows, stride: old.stride, offset: 2, shift: 16, mask: 0xff }, units.keys);
  if (unitUse.keys.length > catalogueUnitsMax) throw invalidContent(`more than ${catalogueUnitsMax} units`);
  const nameUse = firstUse(order, oldNames + names.added.length, { words: old.nameIndex, stride: 1, offset: 0, shift: 0, mask: 0x7fff_ffff }, names.keys);

  let codeWidth = 1;
  for (let at = 0; at < count; at += 1) {
    const source = order[at] as number;
    const length = source >= 0 ? Math.min((old.rows[source * old.stride + 2] as number) >>> 24, old.codeWidth) : (incoming[-1 - source] as CatalogueRecord).code.length;
    if (length > codeWidth) codeWidth = length;
  }
  const nameText = (key: number): Uint8Array => (key < oldNames ? old.nameBlob.subarray(old.nameOffsets[key], old.nameOffsets[key + 1]) : (names.added[key - oldNames] as Uint8Array));
  let nameBytes = 0;
  for (const key of nameUse.keys) nameBytes += nameText(key).length;
  const unitText = (key: number): string => (key < old.units.length ? (old.units[key] as string) : new TextDecoder().decode(units.added[key - old.units.length]));
  const frame = catalogueFrame({ version: toVersion, units: unitUse.keys.map(unitText), codeWidth, count, names: nameUse.keys.length, nameBytes });
  const { rows, recordBytes, nameIndex, stride } = frame;
  const copyWords = Math.min(stride, old.stride);
  for (let at = 0; at < count; ) {
    const source = order[at] as number;
    if (source < 0) {
      const record = incoming[-1 - source] as CatalogueRecord;
      writeRow(rows, recordBytes, at * stride, record, unitUse.newOf[units.keys[-1 - source] as number] as number);
      nameIndex[at] = nameUse.newOf[names.keys[-1 - source] as number] as number;
      at += 1;
      continue;
    }
    // A run of records that follow each other in `current`: copied whole when the record size is the same.
    let end = at + 1;
    while (end < count && order[end] === (order[end - 1] as number) + 1) end += 1;
    if (stride === old.stride) rows.set(old.rows.subarray(source * old.stride, (source + end - at) * old.stride), at * stride);
    else for (let index = 0; index < end - at; index += 1) rows.set(old.rows.subarray((source + index) * old.stride, (source + index) * old.stride + copyWords), (at + index) * stride);
    for (let index = at; index < end; index += 1) {
      const word = index * stride + 2;
      const unit = unitUse.newOf[((rows[word] as number) >>> 16) & 0xff] as number;
      rows[word] = ((rows[word] as number) & 0xff00ffff) | (unit << 16);
      nameIndex[index] = nameUse.newOf[old.nameIndex[source + index - at] as number] as number;
    }
    at = end;
  }
  nameUse.keys.forEach((key, index) => {
    const text = nameText(key);
    frame.nameOffsets[index + 1] = (frame.nameOffsets[index] as number) + text.length;
    frame.nameBlob.set(text, frame.nameOffsets[index]);
  });
  return finishCatalogue(frame);
}

/** The delta between two catalogues (the hub's side). */
export function diffCatalogues(from: Catalogue, to: Catalogue): CatalogueDelta {
  const added: CatalogueRecord[] = [];
  const changed: CatalogueRecord[] = [];
  const removed: string[] = [];
  for (let index = 0; index < to.count; index += 1) {
    const code = to.codeAt(index);
    const before = from.indexOf(code);
    if (before < 0) added.push(to.recordAt(index));
    else if (JSON.stringify(from.recordAt(before)) !== JSON.stringify(to.recordAt(index))) changed.push(to.recordAt(index));
  }
  for (let index = 0; index < from.count; index += 1) if (to.indexOf(from.codeAt(index)) < 0) removed.push(from.codeAt(index));
  return { added, changed, removed };
}
