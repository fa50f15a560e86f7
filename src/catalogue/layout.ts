// The compact catalogue: one binary file that loads by reading it and laying
// typed arrays over it: no parsing, no per-item objects. Items sit in code
// order in fixed-size records; an open-addressing hash table (built once,
// stored in the file) finds a code in about one probe. The fields of
// docs/settlement.md §2 ITEM, with the unit and list price, are a 16-byte row that
// the item's code follows in the same record, so a lookup touches two places
// in memory (the hash slot, the record) rather than one per field: columns
// suit scans, a terminal does point lookups. Names and
// units are dictionaries: a real catalogue repeats its generic names across
// manufacturers and packs.
//
// File (little-endian, every section 8-byte aligned):
//   0   magic "SCAT"   4   format u16 = 2   6   section count u16
//   8   item count u32   12  hash slots u32 (a power of two)
//   16  section table: (offset u32, length u32) × section count
//   ... sections in the order of `Section`.
import assert from 'node:assert';
import { endianness } from 'node:os';
import { diseases, type Disease, type Item, type ItemKind, type ItemLevel, type ItemSource } from '../core/types';
import type { PageGuard } from './pages';

export const catalogueMagic = 'SCAT';
export const catalogueFormat = 3;

/** Sections of the file, in order. */
export const enum Section {
  Meta = 0, // UTF-8 JSON: { version, units: string[], codeWidth, names: count }
  HashTable, // Uint32Array(slots): item index + 1, 0 = empty
  Records, // count records of recordWords(codeWidth) words, in code order: the row, then the code (ASCII, 0-padded)
  NameIndex, // Uint32Array(count): index into the name dictionary
  NameOffsets, // Uint32Array(names + 1)
  NameBlob, // UTF-8 names
}
export const sectionCount = 6;
const headerBytes = 16;
const tableBytes = sectionCount * 8;

/**
 * One item's row, four 32-bit words:
 *   0: kind (bits 0–1) | lv (2–3) | gend (4–5: 0 null, 1, 2) | chronic (8–15: 0 null, else bit 7 | a bit per disease) | selfpay_bp (16–31)
 *   1: cap, fen per unit (capNull = null)
 *   2: age_min (0–7, ageNull = null) | age_max (8–15) | unit index (16–23) | code length (24–31)
 *   3: list price, fen per unit
 */
export const rowWords = 4;

/** Words of one record: the row and the code, padded to whole words. */
export function recordWords(codeWidth: number): number {
  return rowWords + ((codeWidth + 3) >>> 2);
}

export const capNull = 0xffff_ffff;
export const ageNull = 255;
export const itemKinds: readonly ItemKind[] = ['drug', 'service', 'consumable'];
export const itemLevels: readonly ItemLevel[] = ['01', '02', '03'];

/** A catalogue entry: docs/settlement.md §2 ITEM plus what a receipt and a screen show. */
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

/**
 * FNV-1a over a code's characters two at a time (codes are ASCII, so two fit
 * in one 32-bit step: half the chain of multiplications of one at a time),
 * with murmur3's finalizer so the low bits the table uses depend on every character.
 */
export function codeHash(code: string): number {
  const length = code.length;
  let hash = 0x811c9dc5 ^ length;
  let units = 0;
  // Four characters a turn: two steps of the hash, and one word of codeWords.
  for (let index = 0; index < length; index += 4) {
    const c0 = code.charCodeAt(index);
    const c1 = index + 1 < length ? code.charCodeAt(index + 1) : 0;
    const c2 = index + 2 < length ? code.charCodeAt(index + 2) : 0;
    const c3 = index + 3 < length ? code.charCodeAt(index + 3) : 0;
    hash = Math.imul(hash ^ c0 ^ (c1 << 16), 0x01000193);
    if (index + 2 < length) hash = Math.imul(hash ^ c2 ^ (c3 << 16), 0x01000193);
    units |= c0 | c1 | c2 | c3;
    codeWords[index >>> 2] = c0 | (c1 << 8) | (c2 << 16) | (c3 << 24);
  }
  codeWide = units > 0xff;
  return mix(hash);
}

/** codeHash of the ASCII code of `length` bytes at `start` (a stored record's code), without making a string. */
export function codeHashAt(bytes: Uint8Array, start: number, length: number): number {
  let hash = 0x811c9dc5 ^ length;
  for (let index = 0; index < length; index += 2) {
    const low = bytes[start + index] as number;
    const high = index + 1 < length ? (bytes[start + index + 1] as number) : 0;
    hash = Math.imul(hash ^ low ^ (high << 16), 0x01000193);
  }
  return mix(hash);
}

/** murmur3's fmix32: the high half (every second character) reaches the low bits the table uses (as an int32: only the low bits pick a slot, and a small integer crosses a call without a heap number). */
function mix(hash: number): number {
  hash = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b);
  hash = Math.imul(hash ^ (hash >>> 13), 0xc2b2ae35);
  return hash ^ (hash >>> 16);
}

/**
 * The code codeHash last hashed, four characters to a word as a record holds
 * its bytes (little-endian), which Catalogue compares word by word with a
 * record's (up to 256 characters: longer codes are never looked up); codeWide
 * when a character was past one byte (no record can hold that code).
 */
const codeWords = new Uint32Array(64);
let codeWide = false;

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

/** Packs a row's word 0. */
export function rowWord0(kind: number, lv: number, gend: number, chronic: number, selfpayBp: number): number {
  return (kind | (lv << 2) | (gend << 4) | (chronic << 8) | (selfpayBp << 16)) >>> 0;
}

/** Packs a row's word 2. */
export function rowWord2(ageMin: number, ageMax: number, unit: number, codeLength: number): number {
  return (ageMin | (ageMax << 8) | (unit << 16) | (codeLength << 24)) >>> 0;
}

export function hashSlotsFor(count: number): number {
  let slots = 8;
  while (slots < count * 2) slots *= 2;
  return slots;
}

export class CatalogueFormatError extends Error {
  override readonly name = 'CatalogueFormatError';
  readonly code = 'catalogue_corrupt';
}

type Writable<T> = { -readonly [K in keyof T]: T[K] };

interface Meta {
  readonly version: string;
  readonly units: readonly string[];
  readonly codeWidth: number;
}


/**
 * A catalogue file, opened in place. Implements the core's ItemSource: the
 * settlement core reads items through `item(code)` without the catalogue
 * ever becoming one object.
 *
 * Opened from the terminal's store, it is given the store's PageGuard, and
 * every read first makes sure the bytes it reads are the ones the hub signed
 * (a page is hashed when first touched; a damaged one throws
 * StoreDamagedError, so no read ever returns a damaged value). Without a
 * guard (a file the caller has verified whole, or a plain one) reads are
 * direct.
 */
export class Catalogue implements ItemSource {
  readonly version: string;
  readonly count: number;
  readonly bytes: Uint8Array;
  readonly #guard: PageGuard | null;
  /** Where the sections start in `bytes`, for the guard. */
  readonly #hashAt: number;
  readonly #recordsAt: number;
  readonly #nameIndexAt: number;
  readonly #nameOffsetsAt: number;
  readonly #nameBlobAt: number;
  readonly #units: readonly string[];
  /** The records as words (rows) and as bytes (codes): two views of one section. */
  readonly #rows: Uint32Array;
  readonly #recordBytes: Uint8Array;
  readonly #stride: number;
  readonly #hashTable: Uint32Array;
  readonly #mask: number;
  readonly #nameIndex: Uint32Array;
  readonly #nameOffsets: Uint32Array;
  readonly #nameBlob: Uint8Array;
  readonly #codeLengthMax: number;
  /** What `item()` returns, filled in place by each lookup. */
  readonly #view = {} as Writable<Item>;

  /** Opens a catalogue file; with a guard, `bytes` is the guard's body and must start on an 8-byte boundary of its buffer. */
  constructor(bytes: Uint8Array, guard: PageGuard | null = null) {
    assert(endianness() === 'LE', 'the catalogue layout is little-endian');
    assert(guard === null || bytes.byteOffset % 8 === 0, 'a guarded catalogue is read where its guard checks it');
    if (bytes.byteOffset % 8 !== 0) bytes = bytes.slice();
    this.bytes = bytes;
    this.#guard = guard;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const check = (ok: boolean, why: string) => {
      if (!ok) throw new CatalogueFormatError(`catalogue file: ${why}`);
    };
    check(bytes.byteLength >= headerBytes + tableBytes, 'shorter than its header');
    guard?.need(0, headerBytes + tableBytes);
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
    const at = (index: Section) => view.getUint32(headerBytes + index * 8, true);
    const u8 = (index: Section, elements: number | null) => new Uint8Array(bytes.buffer, ...section(index, 1, elements));
    const u32 = (index: Section, elements: number | null) => new Uint32Array(bytes.buffer, ...section(index, 4, elements));
    let meta: Meta;
    try {
      const metaBytes = u8(Section.Meta, null);
      guard?.need(at(Section.Meta), at(Section.Meta) + metaBytes.length);
      meta = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(metaBytes)) as Meta;
    } catch (error) {
      if (error instanceof CatalogueFormatError) throw error;
      throw new CatalogueFormatError('catalogue file: metadata is not JSON');
    }
    check(typeof meta.version === 'string' && Array.isArray(meta.units) && meta.units.every((unit) => typeof unit === 'string'), 'metadata shape');
    check(Number.isInteger(meta.codeWidth) && meta.codeWidth >= 1 && meta.codeWidth <= 256, 'code width');
    this.version = meta.version;
    this.#units = meta.units;
    this.count = count;
    this.#stride = recordWords(meta.codeWidth);
    this.#hashTable = u32(Section.HashTable, slots);
    this.#mask = slots - 1;
    this.#rows = u32(Section.Records, count * this.#stride);
    this.#recordBytes = new Uint8Array(this.#rows.buffer, this.#rows.byteOffset, this.#rows.byteLength);
    this.#nameIndex = u32(Section.NameIndex, count);
    this.#nameOffsets = u32(Section.NameOffsets, null);
    this.#nameBlob = u8(Section.NameBlob, null);
    this.#hashAt = at(Section.HashTable);
    this.#recordsAt = at(Section.Records);
    this.#nameIndexAt = at(Section.NameIndex);
    this.#nameOffsetsAt = at(Section.NameOffsets);
    this.#nameBlobAt = at(Section.NameBlob);
    check(this.#nameOffsets.length >= 1, 'name offsets');
    this.#need(this.#nameOffsetsAt + (this.#nameOffsets.length - 1) * 4, this.#nameOffsetsAt + this.#nameOffsets.length * 4);
    check(this.#nameOffsets[this.#nameOffsets.length - 1] === this.#nameBlob.length, 'name offsets do not span the name blob');
    // No pass over the 200,000 rows at boot: a code's length is clamped to
    // its slot wherever it is read, so a damaged length cannot lead a read
    // out of its row.
    this.#codeLengthMax = meta.codeWidth;
  }

  /** Makes sure bytes [start, end) were checked against the signed page table (a no-op without a guard; two array reads once they were). */
  #need(start: number, end: number): void {
    this.#guard?.need(start, end);
  }

  /** Makes sure the record at an index was checked. */
  #needRecord(index: number): void {
    const at = this.#recordsAt + index * this.#stride * 4;
    this.#need(at, at + this.#stride * 4);
  }

  /** The index of a code, or -1. About one probe of the hash table. */
  indexOf(code: string): number {
    if (code.length === 0 || code.length > this.#codeLengthMax) return -1;
    return this.#find(code, codeHash(code));
  }

  #find(code: string, hash: number): number {
    const table = this.#hashTable;
    for (let slot = hash & this.#mask; ; slot = (slot + 1) & this.#mask) {
      this.#need(this.#hashAt + slot * 4, this.#hashAt + slot * 4 + 4);
      const entry = table[slot] as number;
      if (entry === 0) return -1;
      if (this.#codeEquals(entry - 1, code)) return entry - 1;
    }
  }

  /** Whether the record at `index` holds `code` (just hashed by codeHash, which left its characters in `codeWords`): a word at a time, the last one masked to the code's length. */
  #codeEquals(index: number, code: string): boolean {
    if (index >= this.count) throw new CatalogueFormatError(`catalogue file: hash entry ${index + 1} is past the ${this.count} items`);
    this.#needRecord(index);
    const at = index * this.#stride;
    const rows = this.#rows;
    if (codeWide || (rows[at + 2] as number) >>> 24 !== code.length) return false;
    const start = at + rowWords;
    const last = (code.length - 1) >>> 2;
    for (let word = 0; word < last; word += 1) if (rows[start + word] !== codeWords[word]) return false;
    // The last word's bytes past the code masked off: -1 >>> (32 − 8 × (length mod 4)), a shift count being taken mod 32.
    return (((rows[start + last] as number) ^ (codeWords[last] as number)) & (-1 >>> (-code.length << 3))) === 0;
  }

  /**
   * ItemSource: the §2 item of a code, or undefined. The row is read in place
   * into the catalogue's one view (no object per lookup: a 1,000-line bill
   * makes no garbage), which the next lookup overwrites.
   */
  item(code: string): Item | undefined {
    const index = this.indexOf(code);
    return index < 0 ? undefined : this.#decode(index * this.#stride, this.#view);
  }

  /** The §2 item at an index (sorted code order), read into `into` (a fresh object when not given). */
  itemAt(index: number, into = {} as Writable<Item>): Item {
    this.#needRecord(index);
    return this.#decode(index * this.#stride, into);
  }

  /** The §2 item of the record at word `at`, its pages checked (by the lookup that found it), read into `into`. */
  #decode(at: number, into: Writable<Item>): Item {
    const word0 = this.#rows[at] as number;
    const cap = this.#rows[at + 1] as number;
    const word2 = this.#rows[at + 2] as number;
    const gend = (word0 >>> 4) & 3;
    const chronic = (word0 >>> 8) & 0xff;
    const ageMin = word2 & 0xff;
    const ageMax = (word2 >>> 8) & 0xff;
    into.kind = itemKinds[word0 & 3] as ItemKind;
    into.lv = itemLevels[(word0 >>> 2) & 3] as ItemLevel;
    into.selfpay_bp = word0 >>> 16;
    into.cap = cap === capNull ? null : cap;
    into.gend = gend === 0 ? null : gend === 1 ? '1' : '2';
    into.age_min = ageMin === ageNull ? null : ageMin;
    into.age_max = ageMax === ageNull ? null : ageMax;
    into.chronic_only = chronic === 0 ? null : (diseaseLists[chronic & 31] as readonly Disease[]);
    return into;
  }

  /**
   * The sections as arrays, read without the guard, so every page is checked
   * first (StoreDamagedError when one is damaged).
   */
  sections(): CatalogueSections {
    if (this.#guard !== null && this.#guard.pages > 0) this.#guard.verify(0, this.#guard.pages - 1);
    return {
      units: this.#units,
      codeWidth: this.#codeLengthMax,
      stride: this.#stride,
      rows: this.#rows,
      recordBytes: this.#recordBytes,
      nameIndex: this.#nameIndex,
      nameOffsets: this.#nameOffsets,
      nameBlob: this.#nameBlob,
    };
  }

  /** The code at an index. */
  codeAt(index: number): string {
    assert(index >= 0 && index < this.count, 'code index in range');
    this.#needRecord(index);
    const at = index * this.#stride;
    const start = (at + rowWords) * 4;
    return String.fromCharCode(...this.#recordBytes.subarray(start, start + Math.min((this.#rows[at + 2] as number) >>> 24, this.#codeLengthMax)));
  }

  /** The full record (for the receipt and the screen) of a code, or undefined. */
  record(code: string): CatalogueRecord | undefined {
    const index = this.indexOf(code);
    return index < 0 ? undefined : this.recordAt(index);
  }

  recordAt(index: number): CatalogueRecord {
    this.#need(this.#nameIndexAt + index * 4, this.#nameIndexAt + index * 4 + 4);
    const name = this.#nameIndex[index] as number;
    if (name + 1 >= this.#nameOffsets.length) throw new CatalogueFormatError(`catalogue file: item ${index} names entry ${name} of ${this.#nameOffsets.length - 1}`);
    this.#need(this.#nameOffsetsAt + name * 4, this.#nameOffsetsAt + name * 4 + 8);
    const start = this.#nameOffsets[name] as number;
    const end = this.#nameOffsets[name + 1] as number;
    if (start > end || end > this.#nameBlob.length) throw new CatalogueFormatError(`catalogue file: name ${name} lies outside the name blob`);
    this.#need(this.#nameBlobAt + start, this.#nameBlobAt + end);
    const nameBytes = this.#nameBlob.subarray(start, end);
    return {
      code: this.codeAt(index),
      ...this.itemAt(index),
      name: new TextDecoder().decode(nameBytes),
      unit: this.#units[((this.#rows[index * this.#stride + 2] as number) >>> 16) & 0xff] ?? '',
      list_price: this.#rows[index * this.#stride + 3] as number,
    };
  }
}

/** The sections of an opened catalogue as arrays (delta.ts builds the next version from them). */
export interface CatalogueSections {
  readonly units: readonly string[];
  readonly codeWidth: number;
  readonly stride: number;
  readonly rows: Uint32Array;
  readonly recordBytes: Uint8Array;
  readonly nameIndex: Uint32Array;
  readonly nameOffsets: Uint32Array;
  readonly nameBlob: Uint8Array;
}

/** Every record of a catalogue, in code order. */
export function* catalogueRecords(catalogue: Catalogue): Generator<CatalogueRecord> {
  for (let index = 0; index < catalogue.count; index += 1) yield catalogue.recordAt(index);
}
