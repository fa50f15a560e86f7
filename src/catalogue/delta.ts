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
import { catalogueItemsMax, itemCodeBytesMax, itemNameBytesMax } from '../limits';
import { buildCatalogue, checkRecord, CatalogueRecordError } from './build';
import { itemKinds, itemLevels, type Catalogue, type CatalogueRecord } from './layout';
import { invalidContent, UpdateError } from './update';

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

/**
 * The catalogue file a delta makes of `current`: removed and changed codes
 * must exist, added ones must not, and no code may appear twice in a delta.
 */
export function applyDelta(current: Catalogue, delta: CatalogueDelta, toVersion: string): Uint8Array {
  const touched = new Set<string>();
  const once = (code: string) => {
    if (touched.has(code)) throw invalidContent(`code ${code} appears twice in the delta`);
    touched.add(code);
  };
  for (const code of delta.removed) {
    once(code);
    if (current.indexOf(code) < 0) throw invalidContent(`removed code ${code} is not in ${current.version}`);
  }
  for (const record of delta.changed) {
    once(record.code);
    if (current.indexOf(record.code) < 0) throw invalidContent(`changed code ${record.code} is not in ${current.version}`);
  }
  for (const record of delta.added) {
    once(record.code);
    if (current.indexOf(record.code) >= 0) throw invalidContent(`added code ${record.code} is already in ${current.version}`);
  }
  function* records(): Generator<CatalogueRecord> {
    for (let index = 0; index < current.count; index += 1) {
      const code = current.codeAt(index);
      if (!touched.has(code)) yield current.recordAt(index);
    }
    yield* delta.changed;
    yield* delta.added;
  }
  try {
    return buildCatalogue(toVersion, records());
  } catch (error) {
    if (error instanceof CatalogueRecordError) throw invalidContent(error.message);
    throw error;
  }
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
