// The policy book: the POLICY of every insured place the terminal may meet
// (docs/settlement.md §2), keyed by the place's area code. A person's
// `insuplc_admdvs` finds its policy at the county code, else the city
// (first four digits + "00"), else the province (first two + "0000").
//
// File: "SPOL" | format u16 = 1 | reserved u16 | count u32 | version length u32 |
//       version (UTF-8) | padding to 4 | areas (count × 6 ASCII digits, sorted) |
//       padding to 4 | offsets u32 × (count + 1) | policy texts (UTF-8 JSON).
// Each policy is kept as the exact JSON text the hub sent, so the hub and
// every terminal build the same bytes; it is parsed and validated on first
// use and kept.
import assert from 'node:assert';
import type { Policy } from '../core/types';
import { isAreaCode, validatePolicy } from '../core/validate';
import { decodeStrict, type CborValue } from '../../protocol/cbor-decode';
import { createCborEncoder } from '../../protocol/cbor-encode';
import { policyBookAreasMax, policyTextBytesMax } from './limits';
import type { PageGuard } from './pages';
import { invalidContent, UpdateError } from './update';

export const policyBookMagic = 'SPOL';
const headerBytes = 16;
const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder('utf-8', { fatal: true });

/** One policy as the book holds it: its area and its JSON text. */
export interface PolicyEntry {
  readonly area: string;
  readonly text: string;
}

export class PolicyBookError extends Error {
  override readonly name = 'PolicyBookError';
  readonly code = 'policy_book_corrupt';
}

/** Checks one entry: area code, JSON, a valid POLICY whose admdvs is the area. Throws UpdateError. */
export function checkPolicyEntry(entry: PolicyEntry): Policy {
  const fail = (why: string): never => {
    throw invalidContent(`policy ${entry.area}: ${why}`);
  };
  if (!isAreaCode(entry.area)) fail('the area is not six digits');
  if (typeof entry.text !== 'string' || utf8.encode(entry.text).length > policyTextBytesMax) fail(`the text must be at most ${policyTextBytesMax} bytes`);
  let raw: unknown;
  try {
    raw = JSON.parse(entry.text);
  } catch {
    fail('not JSON');
  }
  const checked = validatePolicy(raw);
  if (!checked.ok) return fail(`${checked.reason.path} ${checked.reason.why}`);
  if (checked.value.admdvs !== entry.area) fail(`its admdvs ${checked.value.admdvs} is not the area it is filed under`);
  return checked.value;
}

function align4(value: number): number {
  return (value + 3) & ~3;
}

/** Builds a policy book file from entries (any order); every entry is checked. */
export function buildPolicyBook(version: string, input: Iterable<PolicyEntry>): Uint8Array {
  const entries = [...input];
  if (entries.length > policyBookAreasMax) throw invalidContent(`more than ${policyBookAreasMax} policies`);
  for (const entry of entries) checkPolicyEntry(entry);
  entries.sort((a, b) => (a.area < b.area ? -1 : a.area > b.area ? 1 : 0));
  for (let index = 1; index < entries.length; index += 1) {
    if ((entries[index] as PolicyEntry).area === (entries[index - 1] as PolicyEntry).area) throw invalidContent(`area ${(entries[index] as PolicyEntry).area} twice`);
  }
  const versionBytes = utf8.encode(version);
  const texts = entries.map((entry) => utf8.encode(entry.text));
  const areasAt = align4(headerBytes + versionBytes.length);
  const offsetsAt = align4(areasAt + entries.length * 6);
  const textsAt = offsetsAt + (entries.length + 1) * 4;
  const size = textsAt + texts.reduce((sum, text) => sum + text.length, 0);
  const file = new Uint8Array(size);
  const view = new DataView(file.buffer);
  file.set(utf8.encode(policyBookMagic), 0);
  view.setUint16(4, 1, true);
  view.setUint32(8, entries.length, true);
  view.setUint32(12, versionBytes.length, true);
  file.set(versionBytes, headerBytes);
  let at = textsAt;
  entries.forEach((entry, index) => {
    file.set(utf8.encode(entry.area), areasAt + index * 6);
    view.setUint32(offsetsAt + index * 4, at - textsAt, true);
    file.set(texts[index] as Uint8Array, at);
    at += (texts[index] as Uint8Array).length;
  });
  view.setUint32(offsetsAt + entries.length * 4, at - textsAt, true);
  return file;
}

/**
 * A policy book file, opened in place: the areas are indexed, the policies
 * parsed on first use. Opened from the terminal's store, it is given the
 * store's PageGuard and every text is checked against the signed page table
 * before it is read (a damaged page throws StoreDamagedError).
 */
export class PolicyBook {
  readonly version: string;
  readonly count: number;
  readonly #bytes: Uint8Array;
  readonly #guard: PageGuard | null;
  readonly #index = new Map<string, number>();
  readonly #offsets: DataView;
  readonly #textsAt: number;
  readonly #parsed = new Map<number, Policy>();

  constructor(bytes: Uint8Array, guard: PageGuard | null = null) {
    const check = (ok: boolean, why: string) => {
      if (!ok) throw new PolicyBookError(`policy book file: ${why}`);
    };
    this.#guard = guard;
    check(bytes.length >= headerBytes, 'shorter than its header');
    guard?.need(0, headerBytes);
    check(String.fromCharCode(...bytes.subarray(0, 4)) === policyBookMagic, 'not a policy book (bad magic)');
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    check(view.getUint16(4, true) === 1, 'format');
    const count = view.getUint32(8, true);
    const versionLength = view.getUint32(12, true);
    check(count <= policyBookAreasMax && versionLength <= 64, 'header');
    const areasAt = align4(headerBytes + versionLength);
    const offsetsAt = align4(areasAt + count * 6);
    this.#textsAt = offsetsAt + (count + 1) * 4;
    check(this.#textsAt <= bytes.length, 'truncated');
    // The version, the areas and the offsets: everything before the texts.
    guard?.need(headerBytes, this.#textsAt);
    this.#bytes = bytes;
    this.count = count;
    try {
      this.version = fromUtf8.decode(bytes.subarray(headerBytes, headerBytes + versionLength));
    } catch {
      throw new PolicyBookError('policy book file: version is not UTF-8');
    }
    this.#offsets = new DataView(bytes.buffer, bytes.byteOffset + offsetsAt, (count + 1) * 4);
    let previous = 0;
    for (let index = 0; index < count; index += 1) {
      const area = String.fromCharCode(...bytes.subarray(areasAt + index * 6, areasAt + index * 6 + 6));
      check(isAreaCode(area) && !this.#index.has(area), `area ${index}`);
      this.#index.set(area, index);
      const offset = this.#offsets.getUint32(index * 4, true);
      check(offset >= previous, 'offsets decrease');
      previous = offset;
    }
    check(this.#textsAt + this.#offsets.getUint32(count * 4, true) === bytes.length, 'texts do not end the file');
  }

  /** Areas held, sorted. */
  areas(): string[] {
    return [...this.#index.keys()];
  }

  /** The JSON text filed under an area, or undefined. */
  text(area: string): string | undefined {
    const index = this.#index.get(area);
    if (index === undefined) return undefined;
    const start = this.#textsAt + this.#offsets.getUint32(index * 4, true);
    const end = this.#textsAt + this.#offsets.getUint32(index * 4 + 4, true);
    this.#guard?.need(start, end);
    try {
      return fromUtf8.decode(this.#bytes.subarray(start, end));
    } catch {
      throw new PolicyBookError(`policy book file: the text of ${area} is not UTF-8`);
    }
  }

  /** The policy filed exactly under an area. */
  policyAt(area: string): Policy | undefined {
    const index = this.#index.get(area);
    if (index === undefined) return undefined;
    const cached = this.#parsed.get(index);
    if (cached !== undefined) return cached;
    // The text was checked when the book was built or updated; checking again costs little and catches a damaged file.
    let policy: Policy;
    try {
      policy = checkPolicyEntry({ area, text: this.text(area) as string });
    } catch (error) {
      throw new PolicyBookError(`policy book file: ${(error as Error).message}`);
    }
    this.#parsed.set(index, policy);
    return policy;
  }

  /** The policy for a person's insured place: county, then city, then province (docs/settlement.md §2 POLICY). */
  lookup(insuplcAdmdvs: string): { readonly area: string; readonly policy: Policy } | undefined {
    if (!isAreaCode(insuplcAdmdvs)) return undefined;
    for (const area of [insuplcAdmdvs, `${insuplcAdmdvs.slice(0, 4)}00`, `${insuplcAdmdvs.slice(0, 2)}0000`]) {
      const policy = this.policyAt(area);
      if (policy !== undefined) return { area, policy };
    }
    return undefined;
  }

  *entries(): Generator<PolicyEntry> {
    for (const area of this.#index.keys()) yield { area, text: this.text(area) as string };
  }
}

export interface PolicyDelta {
  readonly added: readonly PolicyEntry[];
  readonly changed: readonly PolicyEntry[];
  readonly removed: readonly string[];
}

const pairs = (entries: readonly PolicyEntry[]): CborValue => entries.map((entry) => [entry.area, entry.text]);

/** A policy delta on the wire: [[[area, text]...] added, [...] changed, [area...] removed]. */
export function encodePolicyDelta(delta: PolicyDelta): Uint8Array {
  return createCborEncoder().encode([pairs(delta.added), pairs(delta.changed), [...delta.removed]] as never);
}

export function decodePolicyDelta(body: Uint8Array): PolicyDelta {
  const decoded = decodeStrict(body, { depthMax: 4, itemsMax: policyBookAreasMax, stringBytesMax: policyTextBytesMax });
  const bad = (why: string): never => {
    throw invalidContent(`policy delta: ${why}`);
  };
  if (!decoded.ok) return bad(`${decoded.error.code} at ${decoded.error.offset}`);
  const value = decoded.value;
  if (!Array.isArray(value) || value.length !== 3 || !value.every(Array.isArray)) return bad('not [added, changed, removed]');
  const entries = (list: CborValue[]): PolicyEntry[] =>
    list.map((pair) => {
      if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string' || typeof pair[1] !== 'string') return bad('an entry is [area, text]');
      return { area: pair[0], text: pair[1] };
    });
  const [added, changed, removed] = value as CborValue[][];
  return {
    added: entries(added as CborValue[]),
    changed: entries(changed as CborValue[]),
    removed: (removed as CborValue[]).map((area) => (typeof area === 'string' ? area : bad('a removed area is text'))),
  };
}

/** The policy book a delta makes of `current`. */
export function applyPolicyDelta(current: PolicyBook, delta: PolicyDelta, toVersion: string): Uint8Array {
  const touched = new Set<string>();
  const once = (area: string, mustExist: boolean) => {
    if (touched.has(area)) throw invalidContent(`area ${area} appears twice in the delta`);
    touched.add(area);
    if ((current.text(area) !== undefined) !== mustExist) throw invalidContent(`area ${area} ${mustExist ? 'is not' : 'is already'} in ${current.version}`);
  };
  for (const area of delta.removed) once(area, true);
  for (const entry of delta.changed) once(entry.area, true);
  for (const entry of delta.added) once(entry.area, false);
  const kept = [...current.entries()].filter((entry) => !touched.has(entry.area));
  return buildPolicyBook(toVersion, [...kept, ...delta.changed, ...delta.added]);
}

/** The delta between two policy books (the hub's side). */
export function diffPolicyBooks(from: PolicyBook, to: PolicyBook): PolicyDelta {
  const added: PolicyEntry[] = [];
  const changed: PolicyEntry[] = [];
  for (const entry of to.entries()) {
    const before = from.text(entry.area);
    if (before === undefined) added.push(entry);
    else if (before !== entry.text) changed.push(entry);
  }
  const removed = from.areas().filter((area) => to.text(area) === undefined);
  assert(added.length + changed.length + removed.length <= policyBookAreasMax * 2, 'a delta is bounded');
  return { added, changed, removed };
}
