// Builds the compact catalogue file of layout.ts from records: validates each
// one (docs/settlement.md §2 ITEM through the core's own checks, plus code, name,
// unit and price), sorts by code, and lays the sections out. Deterministic:
// the same records give the same bytes, so the hub and a terminal agree on a
// catalogue's digest.
import assert from 'node:assert';
import { validateItem } from '../core/validate';
import { catalogueItemsMax, catalogueUnitsMax, itemCodeBytesMax, itemListPriceFenMax, itemNameBytesMax, itemUnitBytesMax } from './limits';
import {
  ageNull,
  capNull,
  catalogueFormat,
  catalogueMagic,
  codeHashAt,
  diseaseMask,
  hashSlotsFor,
  itemKinds,
  itemLevels,
  recordWords,
  rowWord0,
  rowWord2,
  rowWords,
  Section,
  sectionCount,
  type CatalogueRecord,
} from './layout';

export class CatalogueRecordError extends Error {
  override readonly name = 'CatalogueRecordError';
  constructor(
    readonly code: 'invalid_record' | 'duplicate_code' | 'too_many_items' | 'too_many_units',
    message: string,
  ) {
    super(message);
  }
}

const codePattern = /^[\x21-\x7e]+$/;
const utf8 = new TextEncoder();

/** Checks one record; throws CatalogueRecordError naming the field. */
export function checkRecord(value: unknown): CatalogueRecord {
  const fail = (why: string): never => {
    throw new CatalogueRecordError('invalid_record', why);
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('a record must be an object');
  const record = value as Record<string, unknown>;
  const code = record.code;
  if (typeof code !== 'string' || code.length === 0 || code.length > itemCodeBytesMax || !codePattern.test(code)) {
    fail(`code must be 1 to ${itemCodeBytesMax} printable ASCII characters`);
  }
  const item = validateItem(value);
  if (!item.ok) fail(`${code as string}: ${item.reason.path.replace(/^item/, 'record')} ${item.reason.why}`);
  if (typeof record.name !== 'string' || utf8.encode(record.name).length > itemNameBytesMax) fail(`${code as string}: name must be text of at most ${itemNameBytesMax} bytes`);
  if (typeof record.unit !== 'string' || utf8.encode(record.unit).length > itemUnitBytesMax) fail(`${code as string}: unit must be text of at most ${itemUnitBytesMax} bytes`);
  const price = record.list_price;
  if (typeof price !== 'number' || !Number.isInteger(price) || Object.is(price, -0) || price < 0 || price > itemListPriceFenMax) {
    fail(`${code as string}: list_price must be an integer in [0, ${itemListPriceFenMax}]`);
  }
  return record as unknown as CatalogueRecord;
}

function compareCodes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `value` rounded up to a multiple of 8 (the catalogue's sections and the update container's body are 8-byte aligned). */
export function align8(value: number): number {
  return (value + 7) & ~7;
}

/** Builds a catalogue file from records (any order); throws CatalogueRecordError on bad input. */
export function buildCatalogue(version: string, input: Iterable<unknown>): Uint8Array {
  assert(typeof version === 'string', 'version is text');
  const records: CatalogueRecord[] = [];
  for (const value of input) {
    records.push(checkRecord(value));
    if (records.length > catalogueItemsMax) throw new CatalogueRecordError('too_many_items', `more than ${catalogueItemsMax} items`);
  }
  records.sort((a, b) => compareCodes(a.code, b.code));
  for (let index = 1; index < records.length; index += 1) {
    if ((records[index] as CatalogueRecord).code === (records[index - 1] as CatalogueRecord).code) {
      throw new CatalogueRecordError('duplicate_code', `code ${(records[index] as CatalogueRecord).code} appears twice`);
    }
  }
  const count = records.length;
  const units: string[] = [];
  const unitIndex = new Map<string, number>();
  const names: string[] = [];
  const nameIndex = new Map<string, number>();
  for (const record of records) {
    if (!unitIndex.has(record.unit)) {
      if (units.length >= catalogueUnitsMax) throw new CatalogueRecordError('too_many_units', `more than ${catalogueUnitsMax} units`);
      unitIndex.set(record.unit, units.length);
      units.push(record.unit);
    }
    if (!nameIndex.has(record.name)) {
      nameIndex.set(record.name, names.length);
      names.push(record.name);
    }
  }
  let codeWidth = 1;
  for (const record of records) if (record.code.length > codeWidth) codeWidth = record.code.length;
  const nameBytes = names.map((text) => utf8.encode(text));
  const frame = catalogueFrame({ version, units, codeWidth, count, names: names.length, nameBytes: nameBytes.reduce((sum, bytes) => sum + bytes.length, 0) });
  const stride = recordWords(codeWidth);
  records.forEach((record, index) => {
    writeRow(frame.rows, frame.recordBytes, index * stride, record, unitIndex.get(record.unit) as number);
    frame.nameIndex[index] = nameIndex.get(record.name) as number;
  });
  nameBytes.forEach((bytes, index) => {
    frame.nameOffsets[index + 1] = (frame.nameOffsets[index] as number) + bytes.length;
    frame.nameBlob.set(bytes, frame.nameOffsets[index]);
  });
  return finishCatalogue(frame);
}

/** Writes one record (its row, then its code) at word `at` of the records section (`recordBytes` is the same section as bytes). */
export function writeRow(rows: Uint32Array, recordBytes: Uint8Array, at: number, record: CatalogueRecord, unit: number): void {
  const gend = record.gend === null ? 0 : record.gend === '1' ? 1 : 2;
  recordBytes.set(utf8.encode(record.code), (at + rowWords) * 4);
  rows[at] = rowWord0(itemKinds.indexOf(record.kind), itemLevels.indexOf(record.lv), gend, diseaseMask(record.chronic_only), record.selfpay_bp);
  rows[at + 1] = record.cap === null ? capNull : record.cap;
  rows[at + 2] = rowWord2(record.age_min === null ? ageNull : record.age_min, record.age_max === null ? ageNull : record.age_max, unit, record.code.length);
  rows[at + 3] = record.list_price;
}

/** What a catalogue file's size depends on. */
export interface CatalogueShape {
  readonly version: string;
  readonly units: readonly string[];
  readonly codeWidth: number;
  readonly count: number;
  /** Entries of the name dictionary, and their UTF-8 bytes in all. */
  readonly names: number;
  readonly nameBytes: number;
}

/** A catalogue file allocated and headed, its sections as arrays to fill in place (records in code order). */
export interface CatalogueFrame {
  readonly file: Uint8Array;
  readonly count: number;
  readonly stride: number;
  readonly rows: Uint32Array;
  readonly recordBytes: Uint8Array;
  readonly hashTable: Uint32Array;
  readonly nameIndex: Uint32Array;
  readonly nameOffsets: Uint32Array;
  readonly nameBlob: Uint8Array;
}

/**
 * Allocates a catalogue file of layout.ts and writes its header, section
 * table and metadata; the builder fills the rest in place (one allocation:
 * fresh memory costs about 3 ms a megabyte to fault in on a kiosk's board,
 * so nothing is built aside and copied).
 */
export function catalogueFrame(shape: CatalogueShape): CatalogueFrame {
  const { count, codeWidth } = shape;
  const stride = recordWords(codeWidth);
  const slots = hashSlotsFor(count);
  const meta = utf8.encode(JSON.stringify({ version: shape.version, units: shape.units, codeWidth, names: shape.names }));
  const lengths: number[] = [];
  lengths[Section.Meta] = meta.length;
  lengths[Section.HashTable] = slots * 4;
  lengths[Section.Records] = count * stride * 4;
  lengths[Section.NameIndex] = count * 4;
  lengths[Section.NameOffsets] = (shape.names + 1) * 4;
  lengths[Section.NameBlob] = shape.nameBytes;
  assert(lengths.length === sectionCount, 'every section is laid out');
  let offset = align8(16 + sectionCount * 8);
  const placed = lengths.map((length) => {
    const at = offset;
    offset = align8(offset + length);
    return at;
  });
  const file = new Uint8Array(offset);
  const view = new DataView(file.buffer);
  file.set(utf8.encode(catalogueMagic), 0);
  view.setUint16(4, catalogueFormat, true);
  view.setUint16(6, sectionCount, true);
  view.setUint32(8, count, true);
  view.setUint32(12, slots, true);
  lengths.forEach((length, index) => {
    view.setUint32(16 + index * 8, placed[index] as number, true);
    view.setUint32(16 + index * 8 + 4, length, true);
  });
  file.set(meta, placed[Section.Meta]);
  const words = (section: Section) => new Uint32Array(file.buffer, placed[section], (lengths[section] as number) / 4);
  const rows = words(Section.Records);
  return {
    file,
    count,
    stride,
    rows,
    recordBytes: new Uint8Array(file.buffer, rows.byteOffset, rows.byteLength),
    hashTable: words(Section.HashTable),
    nameIndex: words(Section.NameIndex),
    nameOffsets: words(Section.NameOffsets),
    nameBlob: new Uint8Array(file.buffer, placed[Section.NameBlob], shape.nameBytes),
  };
}

/**
 * Fills a frame's hash table from its records' codes (each code in index
 * order, linear probing) and gives the file: the one place both the full
 * build and a delta's (delta.ts) finish their bytes, so the two agree.
 */
export function finishCatalogue(frame: CatalogueFrame): Uint8Array {
  const { count, stride, rows, recordBytes, hashTable } = frame;
  const mask = hashTable.length - 1;
  for (let index = 0; index < count; index += 1) {
    const at = index * stride;
    let slot = codeHashAt(recordBytes, (at + rowWords) * 4, (rows[at + 2] as number) >>> 24) & mask;
    while (hashTable[slot] !== 0) slot = (slot + 1) & mask;
    hashTable[slot] = index + 1;
  }
  return frame.file;
}
