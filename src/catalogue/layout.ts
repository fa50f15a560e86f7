// The compact catalogue: one binary file that loads by reading it and laying
// typed arrays over it: no parsing, no per-item objects. Item codes sit
// sorted in one ASCII blob; an open-addressing hash table (built once, stored
// in the file) finds a code in about one probe; each field of SETTLEMENT.md
// §2 ITEM, and the receipt's name, unit and list price, is a column. Names
// and units are dictionaries: a real catalogue repeats its generic names
// across manufacturers and packs.
//
// File (little-endian, every section 8-byte aligned):
//   0   magic "SCAT"   4   format u16 = 1   6   section count u16
//   8   item count u32   12  hash slots u32 (a power of two)
//   16  section table: (offset u32, length u32) × section count
//   ... sections in the order of `Section`.
import assert from 'node:assert';
import { endianness } from 'node:os';
import { diseases, type Disease, type Item, type ItemKind, type ItemLevel, type ItemSource } from '../core/types';

export const catalogueMagic = 'SCAT';
export const catalogueFormat = 1;

/** Sections of the file, in order. */
export const enum Section {
  Meta = 0, // UTF-8 JSON: { version, units: string[], names: count }
  CodeOffsets, // Uint32Array(count + 1): code i is codeBlob[offsets[i] .. offsets[i+1])
  CodeBlob, // ASCII codes, sorted by byte order
  HashTable, // Uint32Array(slots): item index + 1, 0 = empty
  Flags, // Uint8Array: kind (bits 0–1), lv (bits 2–3), gend (bits 4–5: 0 null, 1, 2)
  Chronic, // Uint8Array: 0 = null, else bit 7 | a bit per disease (bits 0–4)
  SelfpayBp, // Uint16Array
  Cap, // Uint32Array: fen per unit, capNull = null
  AgeMin, // Uint8Array: ageNull = null
  AgeMax, // Uint8Array: ageNull = null
  Unit, // Uint8Array: index into meta.units
  ListPrice, // Uint32Array: fen per unit
  NameIndex, // Uint32Array: index into the name dictionary
  NameOffsets, // Uint32Array(names + 1)
  NameBlob, // UTF-8 names
}
export const sectionCount = 15;
const headerBytes = 16;
const tableBytes = sectionCount * 8;

export const capNull = 0xffff_ffff;
export const ageNull = 255;
export const itemKinds: readonly ItemKind[] = ['drug', 'service', 'consumable'];
export const itemLevels: readonly ItemLevel[] = ['01', '02', '03'];

/** A catalogue entry: SETTLEMENT.md §2 ITEM plus what a receipt and a screen show. */
export interface CatalogueRecord extends Item {
  readonly code: string;
  /** The item's name as printed on the receipt (GB18030-encodable text). */
  readonly name: string;
  /** The unit of `qty_milli`, e.g. 片, 支, 次. */
  readonly unit: string;
  /** The institution's list price per unit, fen. */
  readonly list_price: number;
}

export type CodeKind = 'western_drug' | 'tcm_drug' | 'service' | 'consumable' | 'local';

/** The national code format a code follows (a 23-character western-drug code, a 15-digit service item, a C consumable…). */
export function codeKind(code: string): CodeKind {
  if (/^X[A-Z0-9]{22}$/.test(code)) return 'western_drug';
  if (/^Z[A-Z0-9]{8,22}$/.test(code)) return 'tcm_drug';
  if (/^[0-9]{15}$/.test(code)) return 'service';
  if (/^C[0-9]{19}$/.test(code)) return 'consumable';
  return 'local';
}

/** FNV-1a over a code's characters (codes are ASCII), as a 32-bit unsigned integer. */
export function codeHash(code: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < code.length; index += 1) hash = Math.imul(hash ^ code.charCodeAt(index), 0x01000193);
  return hash >>> 0;
}

export function diseaseMask(list: readonly Disease[] | null): number {
  if (list === null) return 0;
  let mask = 0x80;
  for (const disease of list) mask |= 1 << diseases.indexOf(disease);
  return mask;
}

// The 32 possible chronic_only lists, built once so that decoding an item never allocates one.
const diseaseLists: ReadonlyArray<readonly Disease[]> = Array.from({ length: 32 }, (_, mask) =>
  Object.freeze(diseases.filter((_disease, bit) => (mask & (1 << bit)) !== 0)),
);

export function hashSlotsFor(count: number): number {
  let slots = 8;
  while (slots < count * 2) slots *= 2;
  return slots;
}

export class CatalogueFormatError extends Error {
  override readonly name = 'CatalogueFormatError';
  readonly code = 'catalogue_corrupt';
}

interface Meta {
  readonly version: string;
  readonly units: readonly string[];
}

/** Items decoded and kept, so a bill that repeats an item does not decode it again. */
const decodedCacheMax = 4_096;

/**
 * A catalogue file, opened in place. Implements the core's ItemSource: the
 * settlement core reads items through `item(code)` without the catalogue
 * ever becoming one object.
 */
export class Catalogue implements ItemSource {
  readonly version: string;
  readonly count: number;
  readonly bytes: Uint8Array;
  private readonly units: readonly string[];
  private readonly codeOffsets: Uint32Array;
  private readonly codeBlob: Uint8Array;
  private readonly hashTable: Uint32Array;
  private readonly mask: number;
  private readonly flags: Uint8Array;
  private readonly chronic: Uint8Array;
  private readonly selfpayBp: Uint16Array;
  private readonly cap: Uint32Array;
  private readonly ageMin: Uint8Array;
  private readonly ageMax: Uint8Array;
  private readonly unit: Uint8Array;
  private readonly listPrice: Uint32Array;
  private readonly nameIndex: Uint32Array;
  private readonly nameOffsets: Uint32Array;
  private readonly nameBlob: Uint8Array;
  private readonly decoded = new Map<number, Item>();
  private readonly codeLengthMax: number;

  /** Opens a catalogue file; `bytes` must start on an 8-byte boundary of its buffer. */
  constructor(bytes: Uint8Array) {
    assert(endianness() === 'LE', 'the catalogue layout is little-endian');
    if (bytes.byteOffset % 8 !== 0) bytes = bytes.slice();
    this.bytes = bytes;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const check = (ok: boolean, why: string) => {
      if (!ok) throw new CatalogueFormatError(`catalogue file: ${why}`);
    };
    check(bytes.byteLength >= headerBytes + tableBytes, 'shorter than its header');
    check(String.fromCharCode(...bytes.subarray(0, 4)) === catalogueMagic, 'not a catalogue (bad magic)');
    check(view.getUint16(4, true) === catalogueFormat, `format ${view.getUint16(4, true)} is not ${catalogueFormat}`);
    check(view.getUint16(6, true) === sectionCount, 'wrong section count');
    const count = view.getUint32(8, true);
    const slots = view.getUint32(12, true);
    check(slots === hashSlotsFor(count), 'hash table size does not fit the item count');
    const section = (index: Section, elementBytes: number, elements: number | null): [number, number] => {
      const offset = view.getUint32(headerBytes + index * 8, true);
      const length = view.getUint32(headerBytes + index * 8 + 4, true);
      check(offset % 8 === 0 && offset >= headerBytes + tableBytes, `section ${index} misaligned`);
      check(offset + length <= bytes.byteLength, `section ${index} runs past the end (truncated?)`);
      check(length % elementBytes === 0, `section ${index} length`);
      if (elements !== null) check(length === elements * elementBytes, `section ${index} holds ${length / elementBytes}, not ${elements}`);
      return [bytes.byteOffset + offset, length / elementBytes];
    };
    const u8 = (index: Section, elements: number | null) => new Uint8Array(bytes.buffer, ...section(index, 1, elements));
    const u16 = (index: Section, elements: number | null) => new Uint16Array(bytes.buffer, ...section(index, 2, elements));
    const u32 = (index: Section, elements: number | null) => new Uint32Array(bytes.buffer, ...section(index, 4, elements));
    let meta: Meta;
    try {
      meta = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(u8(Section.Meta, null))) as Meta;
    } catch (error) {
      if (error instanceof CatalogueFormatError) throw error;
      throw new CatalogueFormatError('catalogue file: metadata is not JSON');
    }
    check(typeof meta.version === 'string' && Array.isArray(meta.units) && meta.units.every((unit) => typeof unit === 'string'), 'metadata shape');
    this.version = meta.version;
    this.units = meta.units;
    this.count = count;
    this.codeOffsets = u32(Section.CodeOffsets, count + 1);
    this.codeBlob = u8(Section.CodeBlob, null);
    this.hashTable = u32(Section.HashTable, slots);
    this.mask = slots - 1;
    this.flags = u8(Section.Flags, count);
    this.chronic = u8(Section.Chronic, count);
    this.selfpayBp = u16(Section.SelfpayBp, count);
    this.cap = u32(Section.Cap, count);
    this.ageMin = u8(Section.AgeMin, count);
    this.ageMax = u8(Section.AgeMax, count);
    this.unit = u8(Section.Unit, count);
    this.listPrice = u32(Section.ListPrice, count);
    this.nameIndex = u32(Section.NameIndex, count);
    this.nameOffsets = u32(Section.NameOffsets, null);
    this.nameBlob = u8(Section.NameBlob, null);
    check(this.codeOffsets[0] === 0 && this.codeOffsets[count] === this.codeBlob.length, 'code offsets do not span the code blob');
    check(this.nameOffsets.length >= 1 && this.nameOffsets[this.nameOffsets.length - 1] === this.nameBlob.length, 'name offsets do not span the name blob');
    let longest = 0;
    for (let index = 0; index < count; index += 1) {
      const length = (this.codeOffsets[index + 1] as number) - (this.codeOffsets[index] as number);
      check(length > 0, 'code offsets are not increasing');
      if (length > longest) longest = length;
    }
    this.codeLengthMax = longest;
  }

  /** The index of a code, or -1. About one probe of the hash table. */
  indexOf(code: string): number {
    if (code.length === 0 || code.length > this.codeLengthMax) return -1;
    const table = this.hashTable;
    for (let slot = codeHash(code) & this.mask; ; slot = (slot + 1) & this.mask) {
      const entry = table[slot] as number;
      if (entry === 0) return -1;
      if (this.codeEquals(entry - 1, code)) return entry - 1;
    }
  }

  private codeEquals(index: number, code: string): boolean {
    const start = this.codeOffsets[index] as number;
    if ((this.codeOffsets[index + 1] as number) - start !== code.length) return false;
    const blob = this.codeBlob;
    for (let offset = 0; offset < code.length; offset += 1) if (blob[start + offset] !== code.charCodeAt(offset)) return false;
    return true;
  }

  /** ItemSource: the §2 item of a code, or undefined. */
  item(code: string): Item | undefined {
    const index = this.indexOf(code);
    return index < 0 ? undefined : this.itemAt(index);
  }

  /** The §2 item at an index (sorted code order). */
  itemAt(index: number): Item {
    const cached = this.decoded.get(index);
    if (cached !== undefined) return cached;
    const flags = this.flags[index] as number;
    const gend = (flags >> 4) & 3;
    const chronic = this.chronic[index] as number;
    const cap = this.cap[index] as number;
    const ageMin = this.ageMin[index] as number;
    const ageMax = this.ageMax[index] as number;
    const item: Item = {
      kind: itemKinds[flags & 3] as ItemKind,
      lv: itemLevels[(flags >> 2) & 3] as ItemLevel,
      selfpay_bp: this.selfpayBp[index] as number,
      cap: cap === capNull ? null : cap,
      gend: gend === 0 ? null : gend === 1 ? '1' : '2',
      age_min: ageMin === ageNull ? null : ageMin,
      age_max: ageMax === ageNull ? null : ageMax,
      chronic_only: chronic === 0 ? null : (diseaseLists[chronic & 31] as readonly Disease[]),
    };
    if (this.decoded.size >= decodedCacheMax) this.decoded.clear();
    this.decoded.set(index, item);
    return item;
  }

  /** The code at an index. */
  codeAt(index: number): string {
    assert(index >= 0 && index < this.count, 'code index in range');
    return String.fromCharCode(...this.codeBlob.subarray(this.codeOffsets[index], this.codeOffsets[index + 1]));
  }

  /** The full record (for the receipt and the screen) of a code, or undefined. */
  record(code: string): CatalogueRecord | undefined {
    const index = this.indexOf(code);
    return index < 0 ? undefined : this.recordAt(index);
  }

  recordAt(index: number): CatalogueRecord {
    const name = this.nameIndex[index] as number;
    const nameBytes = this.nameBlob.subarray(this.nameOffsets[name], this.nameOffsets[name + 1]);
    return {
      code: this.codeAt(index),
      ...this.itemAt(index),
      name: new TextDecoder().decode(nameBytes),
      unit: this.units[this.unit[index] as number] ?? '',
      list_price: this.listPrice[index] as number,
    };
  }

  /** Every record, in code order. */
  *records(): Generator<CatalogueRecord> {
    for (let index = 0; index < this.count; index += 1) yield this.recordAt(index);
  }
}
