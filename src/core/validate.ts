// Validation of a case against docs/settlement.md §1 and §2: types, enums, limits,
// dates, keys, bands and segments. Anything that breaks them is
// `invalid_input` (§3 check 1). The public functions never throw on bad input;
// inside, checkers throw a private InvalidInput carrying the field's path,
// caught at the boundary, so a refusal can say which field broke the rules.
// Maps are read with Object.hasOwn only: `__proto__`, `constructor` and other
// hostile keys are data, never prototype lookups.
import {
  ageMax,
  bpMax,
  itemCapFenMax,
  lineAmtFenMax,
  lineQtyMilliMax,
  moneyFenMax,
  visitAmtFenMax,
  visitLinesMax,
  visitLinesMin,
  ytdYearMax,
  ytdYearMin,
} from './limits';
import {
  diseases,
  filingTypes,
  medTypes,
  type Benefit,
  type Disease,
  type FeeLine,
  type Institution,
  type Item,
  type ItemSource,
  type Person,
  type Policy,
  type SettleInput,
  type Visit,
} from './types';

/** Why a value was refused: the field's path and what is wrong with it. */
export interface InvalidReason {
  readonly path: string;
  readonly why: string;
}

export type Checked<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: InvalidReason };

class InvalidInput extends Error {
  constructor(
    readonly path: string,
    readonly why: string,
  ) {
    super(`${path}: ${why}`);
  }
}

type Json = Readonly<Record<string, unknown>>;

const hasOwn = Object.hasOwn;
const levelKeys = ['1', '2', '3'] as const;
const datePattern = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/;
const areaPattern = /^(?!00)[0-9]{6}$/;
const accKeyPattern = /^[a-z][a-z0-9_:]*$/;

function fail(path: string, why: string, index = -1): never {
  throw new InvalidInput(index < 0 ? path : path.replace('[]', `[${index}]`), why);
}

/** Runs a checker, turning its InvalidInput into a value; any other error is a bug and propagates. */
function guard<T>(check: () => T): Checked<T> {
  try {
    return { ok: true, value: check() };
  } catch (error) {
    if (error instanceof InvalidInput) return { ok: false, reason: { path: error.path, why: error.why } };
    throw error;
  }
}

/** Checks a value at a path (`[]` in the path is the item at `index`, when there is one) and returns it typed. */
type Check<T> = (value: unknown, path: string, index?: number) => T;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function field(value: Json, key: string, path: string, index = -1): unknown {
  if (!hasOwn(value, key)) fail(`${path}.${key}`, 'is required', index);
  return value[key];
}

/** The field `key` of `value` (required), checked by `check` at the field's path. */
function get<T>(value: Json, key: string, path: string, check: Check<T>, index = -1): T {
  return check(field(value, key, path, index), `${path}.${key}`, index);
}

const object: Check<Json> = (value, path, index = -1) => {
  if (!isObject(value)) fail(path, 'must be an object', index);
  return value;
};

const text: Check<string> = (value, path, index = -1) => {
  if (typeof value !== 'string') fail(path, 'must be a string', index);
  return value;
};

const bool: Check<boolean> = (value, path, index = -1) => {
  if (typeof value !== 'boolean') fail(path, 'must be true or false', index);
  return value;
};

function integer(value: unknown, min: number, max: number, path: string, index = -1): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) fail(path, 'must be an integer', index);
  if (Object.is(value, -0)) fail(path, 'must not be negative zero', index);
  if (value < min || value > max) fail(path, `must be in [${min}, ${max}]`, index);
  return value;
}

const range =
  (min: number, max: number): Check<number> =>
  (value, path, index) =>
    integer(value, min, max, path, index);

const money = range(0, moneyFenMax);
const ratio = range(0, bpMax);

const oneOf =
  <T extends string>(options: readonly T[]): Check<T> =>
  (value, path, index = -1) => {
    if (typeof value !== 'string' || !(options as readonly string[]).includes(value)) {
      fail(path, `must be one of ${options.join(', ')}`, index);
    }
    return value as T;
  };

/** `check`, or null. */
const nullable =
  <T>(check: Check<T>): Check<T | null> =>
  (value, path, index) =>
    value === null ? null : check(value, path, index);

const list: Check<readonly unknown[]> = (value, path, index = -1) => {
  if (!Array.isArray(value)) fail(path, 'must be a list', index);
  return value;
};

/** A `YYYY-MM-DD` string naming a real calendar day, year 0001 to 9999 (§1). */
export function isCalendarDate(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const match = datePattern.exec(value);
  if (match === null) return false;
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  if (year < 1 || month < 1 || month > 12 || day < 1) return false;
  return day <= daysInMonth(year, month);
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

const date: Check<string> = (value, path, index = -1) => {
  if (!isCalendarDate(value)) fail(path, 'must be a YYYY-MM-DD calendar date', index);
  return value;
};

/** Six digits not starting with "00" (§1). */
export function isAreaCode(value: unknown): value is string {
  return typeof value === 'string' && areaPattern.test(value);
}

const area: Check<string> = (value, path, index) => {
  if (!isAreaCode(value)) fail(path, 'must be six digits not starting with 00', index);
  return value;
};

/** An accumulator key: `^[a-z][a-z0-9_:]*$` (§1). */
export function isAccumulatorKey(value: unknown): value is string {
  return typeof value === 'string' && accKeyPattern.test(value);
}

const accKey: Check<string> = (value, path, index) => {
  if (!isAccumulatorKey(value)) fail(path, 'must match ^[a-z][a-z0-9_:]*$', index);
  return value;
};

const disease = oneOf(diseases);
const gend = oneOf(['1', '2']);
const medType = oneOf(medTypes);
const nullableDate = nullable(date);
const nullableAge = nullable(range(0, ageMax));

/** A list of diseases (its items' paths are `PATH[]`, without their index). */
const diseaseList =
  (nonEmpty: boolean): Check<readonly Disease[]> =>
  (value, path, index = -1) => {
    const items = list(value, path, index);
    if (nonEmpty && items.length === 0) fail(path, 'must not be empty', index);
    for (const item of items) disease(item, `${path}[]`, index);
    return items as readonly Disease[];
  };

// The checkers the records below use, built once.
const filingType = oneOf(filingTypes);
const insutype = oneOf(['310', '390']);
const psnType = oneOf(['active', 'retired', 'resident']);
const nullableText = nullable(text);
const ytdYear = range(ytdYearMin, ytdYearMax);
const level = range(1, 3);
const diseases0 = diseaseList(false);
const itemKind = oneOf(['drug', 'service', 'consumable']);
const itemLevel = oneOf(['01', '02', '03']);
const dedMode = oneOf(['year', 'visit']);

/** `begndate`, and `enddate` (null: open) not before it. */
function period(value: Json, path: string, index = -1): void {
  const begndate = get(value, 'begndate', path, date, index);
  const enddate = get(value, 'enddate', path, nullableDate, index);
  if (enddate !== null && begndate > enddate) fail(`${path}.enddate`, 'must not be before begndate', index);
}

function checkFiling(value: unknown): void {
  const path = 'person.filing';
  const filing = object(value, path);
  get(filing, 'type', path, filingType);
  get(filing, 'area', path, area);
  period(filing, path);
  const fixmedins = field(filing, 'fixmedins', path);
  if (fixmedins !== null) for (const code of list(fixmedins, `${path}.fixmedins`)) text(code, `${path}.fixmedins[]`);
}

function checkPersonFields(value: unknown): Person {
  const path = 'person';
  const person = object(value, path);
  get(person, 'psn_no', path, text);
  get(person, 'gend', path, gend);
  get(person, 'brdy', path, date);
  get(person, 'insuplc_admdvs', path, area);
  get(person, 'insutype', path, insutype);
  get(person, 'psn_type', path, psnType);
  const filing = field(person, 'filing', path);
  if (filing !== null) checkFiling(filing);
  const chronic = get(person, 'chronic', path, list);
  for (let index = 0; index < chronic.length; index += 1) {
    const entry = object(chronic[index], 'person.chronic[]', index);
    get(entry, 'dise', 'person.chronic[]', disease, index);
    period(entry, 'person.chronic[]', index);
  }
  get(person, 'maf_class', path, nullableText);
  get(person, 'acct_balance', path, money);
  get(person, 'acct_used', path, bool);
  const ytd = get(person, 'ytd', path, object);
  get(ytd, 'year', 'person.ytd', ytdYear);
  const acc = get(ytd, 'acc', 'person.ytd', object);
  for (const key of Object.keys(acc)) {
    if (!isAccumulatorKey(key)) fail('person.ytd.acc', `key '${key}' must match ^[a-z][a-z0-9_:]*$`);
    get(acc, key, 'person.ytd.acc', money);
  }
  return person as unknown as Person;
}

function checkInstitution(value: unknown): Institution {
  const path = 'institution';
  const institution = object(value, path);
  get(institution, 'fixmedins_code', path, text);
  get(institution, 'admdvs', path, area);
  get(institution, 'level', path, level);
  get(institution, 'offsite', path, bool);
  get(institution, 'chronic', path, diseases0);
  return institution as unknown as Institution;
}

/** An integer in [0, max], not -0: what integer() accepts with min 0, as a test (the fast path of checkLines). */
function isCount(value: unknown, max: number): boolean {
  return Number.isInteger(value) && (value as number) >= 0 && (value as number) <= max && !Object.is(value, -0);
}

/** A line as read on checkLines' fast path. */
type LineFields = { readonly __proto__: unknown; readonly sn: unknown; readonly code: unknown; readonly qty_milli: unknown; readonly amt: unknown };

// Runs for every line of a bill. The fast path takes a plain object whose
// four fields are right, with no call per field (its prototype is
// Object.prototype, which holds none of the four keys: then a field found
// on it is its own); anything else goes through the field-by-field checks below, which
// name the first field that breaks a rule, so a refusal is the same either
// way. Duplicate sn: a bill's sn usually rise (shorter first, then by code
// unit), which proves them distinct without a set; the set is built only
// once they stop rising.
function checkLines(value: unknown): readonly FeeLine[] {
  const lines = list(value, 'visit.lines');
  if (lines.length < visitLinesMin || lines.length > visitLinesMax) fail('visit.lines', `must hold ${visitLinesMin} to ${visitLinesMax} lines`);
  const base = Object.prototype;
  const plain = !['sn', 'code', 'qty_milli', 'amt'].some((key) => key in base);
  let seen: Set<string> | null = null;
  let previous = '';
  let sumFen = 0;
  for (let index = 0; index < lines.length; index += 1) {
    const line = lines[index] as LineFields;
    let sn: string;
    if (
      plain &&
      line != null &&
      line.__proto__ === base &&
      typeof line.sn === 'string' &&
      typeof line.code === 'string' &&
      isCount(line.qty_milli, lineQtyMilliMax) &&
      isCount(line.amt, lineAmtFenMax)
    ) {
      sn = line.sn;
      sumFen += line.amt as number;
    } else {
      const checked = object(line, 'visit.lines[]', index);
      sn = text(field(checked, 'sn', 'visit.lines[]', index), 'visit.lines[].sn', index);
      text(field(checked, 'code', 'visit.lines[]', index), 'visit.lines[].code', index);
      integer(field(checked, 'qty_milli', 'visit.lines[]', index), 0, lineQtyMilliMax, 'visit.lines[].qty_milli', index);
      sumFen += integer(field(checked, 'amt', 'visit.lines[]', index), 0, lineAmtFenMax, 'visit.lines[].amt', index);
    }
    if (seen === null) {
      if (sn.length > previous.length || (sn.length === previous.length && sn > previous)) {
        previous = sn;
        continue;
      }
      seen = new Set((lines as readonly FeeLine[]).slice(0, index).map((before) => before.sn));
    }
    if (seen.has(sn)) fail('visit.lines[].sn', `duplicate sn '${sn}'`, index);
    seen.add(sn);
  }
  if (sumFen > visitAmtFenMax) fail('visit.lines', `Σ amt must not exceed ${visitAmtFenMax}`);
  return lines as readonly FeeLine[];
}

function checkVisit(value: unknown): Visit {
  const path = 'visit';
  const visit = object(value, path);
  const type = get(visit, 'med_type', path, medType);
  const opspDise = field(visit, 'opsp_dise', path);
  if (type === '14') disease(opspDise, 'visit.opsp_dise');
  else if (opspDise !== null) fail('visit.opsp_dise', 'must be null unless med_type is 14');
  checkLines(field(visit, 'lines', path));
  return visit as unknown as Visit;
}

const nullableCap = nullable(range(0, itemCapFenMax));
const nullableGend = nullable(gend);
const chronicOnly = nullable(diseaseList(true));

const checkItemFields: Check<Item> = (value, path) => {
  const item = object(value, path);
  get(item, 'kind', path, itemKind);
  const lv = get(item, 'lv', path, itemLevel);
  const selfpayBp = get(item, 'selfpay_bp', path, ratio);
  if (lv === '01' && selfpayBp !== 0) fail(`${path}.selfpay_bp`, 'must be 0 for a 01 item');
  get(item, 'cap', path, nullableCap);
  get(item, 'gend', path, nullableGend);
  // Both ages are read before either is checked: a missing age_max is reported before a bad age_min.
  const ageMin = field(item, 'age_min', path);
  const ageMaxValue = field(item, 'age_max', path);
  nullableAge(ageMin, `${path}.age_min`);
  nullableAge(ageMaxValue, `${path}.age_max`);
  if (ageMin !== null && ageMaxValue !== null && (ageMin as number) > (ageMaxValue as number)) {
    fail(`${path}.age_max`, 'must not be below age_min');
  }
  get(item, 'chronic_only', path, chronicOnly);
  return item as unknown as Item;
};

/** `{ "1": V, "2": V, "3": V }`, by institution level. */
const levelMap =
  (check: Check<number>): Check<void> =>
  (value, path, index) => {
    const map = object(value, path, index);
    for (const key of levelKeys) get(map, key, path, check, index);
  };

const levelMoney = levelMap(money);
const levelRatio = levelMap(ratio);

const checkBenefit: Check<Benefit> = (value, path) => {
  const benefit = object(value, path);
  get(benefit, 'ded', path, levelMoney);
  get(benefit, 'ded_mode', path, dedMode);
  get(benefit, 'ded_key', path, accKey);
  const bands = get(benefit, 'bands', path, list);
  if (bands.length === 0) fail(`${path}.bands`, 'must hold at least one band');
  const bandPath = `${path}.bands[]`;
  let previousTo = 0;
  for (let index = 0; index < bands.length; index += 1) {
    const band = object(bands[index], bandPath, index);
    const to = field(band, 'to', bandPath, index);
    if (to === null) {
      if (index !== bands.length - 1) fail(`${bandPath}.to`, 'only the last band may be unbounded', index);
    } else {
      const toFen = money(to, `${bandPath}.to`, index);
      if (toFen <= previousTo) fail(`${bandPath}.to`, 'must be greater than the band before (and than 0)', index);
      previousTo = toFen;
    }
    get(band, 'bp', bandPath, levelRatio, index);
  }
  get(benefit, 'retired_bonus_bp', path, ratio);
  get(benefit, 'cap', path, money);
  get(benefit, 'cap_key', path, accKey);
  return benefit as unknown as Benefit;
};

const checkSecond: Check<void> = (value, path) => {
  const second = object(value, path);
  const segments = get(second, 'segments', path, list);
  const segmentPath = `${path}.segments[]`;
  let previousTo: number | null = 0;
  for (let index = 0; index < segments.length; index += 1) {
    const segment = object(segments[index], segmentPath, index);
    const from = get(segment, 'from', segmentPath, money, index);
    const to = field(segment, 'to', segmentPath, index);
    get(segment, 'bp', segmentPath, ratio, index);
    if (previousTo === null) fail(`${segmentPath}.to`, 'only the last segment may be unbounded', index - 1);
    if (from < previousTo) fail(`${segmentPath}.from`, 'must not overlap the segment before', index);
    if (to === null) {
      previousTo = null;
    } else {
      const toFen = money(to, `${segmentPath}.to`, index);
      if (from >= toFen) fail(`${segmentPath}.to`, 'must be greater than from', index);
      previousTo = toFen;
    }
  }
  get(second, 'cap', path, money);
};

const checkScheme: Check<void> = (value, path) => {
  const scheme = object(value, path);
  for (const kind of ['outpatient', 'inpatient']) if (hasOwn(scheme, kind)) get(scheme, kind, path, checkBenefit);
  if (hasOwn(scheme, 'chronic')) {
    // `{ DISEASE: BENEFIT, ... }`: every key is a DISEASE (an enum, like CLASS in maf), each present one a valid BENEFIT.
    const chronic = get(scheme, 'chronic', path, object);
    for (const key of Object.keys(chronic)) {
      disease(key, `${path}.chronic (key)`);
      get(chronic, key, `${path}.chronic`, checkBenefit);
    }
  }
  if (hasOwn(scheme, 'second')) get(scheme, 'second', path, checkSecond);
};

const checkMafClass: Check<void> = (value, path) => {
  const entry = object(value, path);
  get(entry, 'ded', path, money);
  get(entry, 'bp', path, ratio);
  get(entry, 'cap', path, money);
};

function checkPolicyFields(value: unknown): Policy {
  const path = 'policy';
  const policy = object(value, path);
  get(policy, 'admdvs', path, area);
  get(policy, 'version', path, text);
  const schemes = get(policy, 'schemes', path, object);
  // Keyed by insutype: another key breaks the map's key type. Only `ded` and
  // `bp` maps may carry extra keys (§2), so it is refused, not ignored.
  for (const key of Object.keys(schemes)) {
    insutype(key, 'policy.schemes (key)');
    get(schemes, key, 'policy.schemes', checkScheme);
  }
  const offsite = get(policy, 'offsite', path, object);
  get(offsite, 'referral_cut_bp', 'policy.offsite', ratio);
  get(offsite, 'temporary_cut_bp', 'policy.offsite', ratio);
  const maf = get(policy, 'maf', path, object);
  for (const name of Object.keys(maf)) get(maf, name, 'policy.maf', checkMafClass);
  return policy as unknown as Policy;
}

/** The catalogue of the JSON case form, read in place: lookups are own-property reads. */
class JsonItemSource implements ItemSource {
  constructor(
    readonly version: string,
    private readonly items: Json,
  ) {}

  item(code: string): Item | undefined {
    return hasOwn(this.items, code) ? (this.items[code] as Item) : undefined;
  }
}

function checkCatalogue(value: unknown): ItemSource {
  const catalogue = object(value, 'catalogue');
  const version = get(catalogue, 'version', 'catalogue', text);
  const items = get(catalogue, 'items', 'catalogue', object);
  for (const code of Object.keys(items)) get(items, code, 'catalogue.items', checkItemFields);
  return new JsonItemSource(version, items);
}

/** The parts of a case other than the catalogue, checked against each other (brdy ≤ date). */
function checkParties(raw: Json, catalogue: ItemSource): SettleInput {
  const caseDate = date(field(raw, 'date', 'case'), 'date');
  const person = checkPersonFields(field(raw, 'person', 'case'));
  if (person.brdy > caseDate) fail('person.brdy', 'must not be after the date');
  return {
    date: caseDate,
    person,
    institution: checkInstitution(field(raw, 'institution', 'case')),
    visit: checkVisit(field(raw, 'visit', 'case')),
    catalogue,
    policy: checkPolicyFields(field(raw, 'policy', 'case')),
  };
}

/** Validates a whole JSON case (§2); the catalogue is read in place, never copied. */
export function validateCase(raw: unknown): Checked<SettleInput> {
  return guard(() => {
    const value = object(raw, 'case');
    return checkParties(value, checkCatalogue(field(value, 'catalogue', 'case')));
  });
}

/**
 * Validates a case whose catalogue comes from elsewhere (the compact store):
 * `raw` holds date, person, institution, visit and policy; `catalogue` only
 * ever returns valid items.
 */
export function validateCaseWith(raw: unknown, catalogue: ItemSource): Checked<SettleInput> {
  return guard(() => checkParties(object(raw, 'case'), catalogue));
}

/** Validates one catalogue item (§2 ITEM), e.g. before the catalogue store takes it. */
export function validateItem(raw: unknown): Checked<Item> {
  return guard(() => checkItemFields(raw, 'item'));
}

/** Validates one POLICY (§2), e.g. before the policy book takes it. */
export function validatePolicy(raw: unknown): Checked<Policy> {
  return guard(() => checkPolicyFields(raw));
}

/** Validates a person record (§2 `person`), e.g. a hub's answer to a person query. */
export function validatePerson(raw: unknown): Checked<Person> {
  return guard(() => checkPersonFields(raw));
}
