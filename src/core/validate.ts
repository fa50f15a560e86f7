// Validation of a case against SETTLEMENT.md §1 and §2: types, enums, limits,
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

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function object(value: unknown, path: string, index = -1): Json {
  if (!isObject(value)) fail(path, 'must be an object', index);
  return value;
}

function field(value: Json, key: string, path: string, index = -1): unknown {
  if (!hasOwn(value, key)) fail(`${path}.${key}`, 'is required', index);
  return value[key];
}

function text(value: unknown, path: string, index = -1): string {
  if (typeof value !== 'string') fail(path, 'must be a string', index);
  return value;
}

function integer(value: unknown, min: number, max: number, path: string, index = -1): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) fail(path, 'must be an integer', index);
  if (Object.is(value, -0)) fail(path, 'must not be negative zero', index);
  if (value < min || value > max) fail(path, `must be in [${min}, ${max}]`, index);
  return value;
}

function money(value: unknown, path: string, index = -1): number {
  return integer(value, 0, moneyFenMax, path, index);
}

function ratio(value: unknown, path: string, index = -1): number {
  return integer(value, 0, bpMax, path, index);
}

const insutypes = ['310', '390'] as const;

function oneOf<T extends string>(value: unknown, options: readonly T[], path: string, index = -1): T {
  if (typeof value !== 'string' || !(options as readonly string[]).includes(value)) {
    fail(path, `must be one of ${options.join(', ')}`, index);
  }
  return value as T;
}

function list(value: unknown, path: string, index = -1): readonly unknown[] {
  if (!Array.isArray(value)) fail(path, 'must be a list', index);
  return value;
}

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

function date(value: unknown, path: string, index = -1): string {
  if (!isCalendarDate(value)) fail(path, 'must be a YYYY-MM-DD calendar date', index);
  return value;
}

function nullableDate(value: unknown, path: string, index = -1): string | null {
  return value === null ? null : date(value, path, index);
}

/** Six digits not starting with "00" (§1). */
export function isAreaCode(value: unknown): value is string {
  return typeof value === 'string' && areaPattern.test(value);
}

function area(value: unknown, path: string): string {
  if (!isAreaCode(value)) fail(path, 'must be six digits not starting with 00');
  return value;
}

/** An accumulator key: `^[a-z][a-z0-9_:]*$` (§1). */
export function isAccumulatorKey(value: unknown): value is string {
  return typeof value === 'string' && accKeyPattern.test(value);
}

function accKey(value: unknown, path: string): string {
  if (!isAccumulatorKey(value)) fail(path, 'must match ^[a-z][a-z0-9_:]*$');
  return value;
}

function diseaseList(value: unknown, path: string, nonEmpty: boolean, index = -1): readonly Disease[] {
  const items = list(value, path, index);
  if (nonEmpty && items.length === 0) fail(path, 'must not be empty', index);
  for (const item of items) oneOf(item, diseases, `${path}[]`, index);
  return items as readonly Disease[];
}

function checkFiling(value: unknown): void {
  const path = 'person.filing';
  const filing = object(value, path);
  oneOf(field(filing, 'type', path), filingTypes, `${path}.type`);
  area(field(filing, 'area', path), `${path}.area`);
  const begndate = date(field(filing, 'begndate', path), `${path}.begndate`);
  const enddate = nullableDate(field(filing, 'enddate', path), `${path}.enddate`);
  if (enddate !== null && begndate > enddate) fail(`${path}.enddate`, 'must not be before begndate');
  const fixmedins = field(filing, 'fixmedins', path);
  if (fixmedins !== null) for (const code of list(fixmedins, `${path}.fixmedins`)) text(code, `${path}.fixmedins[]`);
}

function checkPersonFields(value: unknown): Person {
  const path = 'person';
  const person = object(value, path);
  text(field(person, 'psn_no', path), 'person.psn_no');
  oneOf(field(person, 'gend', path), ['1', '2'], 'person.gend');
  date(field(person, 'brdy', path), 'person.brdy');
  area(field(person, 'insuplc_admdvs', path), 'person.insuplc_admdvs');
  oneOf(field(person, 'insutype', path), insutypes, 'person.insutype');
  oneOf(field(person, 'psn_type', path), ['active', 'retired', 'resident'], 'person.psn_type');
  const filing = field(person, 'filing', path);
  if (filing !== null) checkFiling(filing);
  const chronic = list(field(person, 'chronic', path), 'person.chronic');
  for (let index = 0; index < chronic.length; index += 1) {
    const entry = object(chronic[index], 'person.chronic[]', index);
    oneOf(field(entry, 'dise', 'person.chronic[]', index), diseases, 'person.chronic[].dise', index);
    const begndate = date(field(entry, 'begndate', 'person.chronic[]', index), 'person.chronic[].begndate', index);
    const enddate = nullableDate(field(entry, 'enddate', 'person.chronic[]', index), 'person.chronic[].enddate', index);
    if (enddate !== null && begndate > enddate) fail('person.chronic[].enddate', 'must not be before begndate', index);
  }
  const mafClass = field(person, 'maf_class', path);
  if (mafClass !== null) text(mafClass, 'person.maf_class');
  money(field(person, 'acct_balance', path), 'person.acct_balance');
  if (typeof field(person, 'acct_used', path) !== 'boolean') fail('person.acct_used', 'must be true or false');
  const ytd = object(field(person, 'ytd', path), 'person.ytd');
  integer(field(ytd, 'year', 'person.ytd'), ytdYearMin, ytdYearMax, 'person.ytd.year');
  const acc = object(field(ytd, 'acc', 'person.ytd'), 'person.ytd.acc');
  for (const key of Object.keys(acc)) {
    if (!isAccumulatorKey(key)) fail('person.ytd.acc', `key '${key}' must match ^[a-z][a-z0-9_:]*$`);
    money(acc[key], `person.ytd.acc.${key}`);
  }
  return person as unknown as Person;
}

function checkInstitution(value: unknown): Institution {
  const path = 'institution';
  const institution = object(value, path);
  text(field(institution, 'fixmedins_code', path), 'institution.fixmedins_code');
  area(field(institution, 'admdvs', path), 'institution.admdvs');
  integer(field(institution, 'level', path), 1, 3, 'institution.level');
  if (typeof field(institution, 'offsite', path) !== 'boolean') fail('institution.offsite', 'must be true or false');
  diseaseList(field(institution, 'chronic', path), 'institution.chronic', false);
  return institution as unknown as Institution;
}

function checkLines(value: unknown): readonly FeeLine[] {
  const lines = list(value, 'visit.lines');
  if (lines.length < visitLinesMin || lines.length > visitLinesMax) fail('visit.lines', `must hold ${visitLinesMin} to ${visitLinesMax} lines`);
  const seen = new Set<string>();
  let sumFen = 0;
  for (let index = 0; index < lines.length; index += 1) {
    const line = object(lines[index], 'visit.lines[]', index);
    const sn = text(field(line, 'sn', 'visit.lines[]', index), 'visit.lines[].sn', index);
    text(field(line, 'code', 'visit.lines[]', index), 'visit.lines[].code', index);
    integer(field(line, 'qty_milli', 'visit.lines[]', index), 0, lineQtyMilliMax, 'visit.lines[].qty_milli', index);
    sumFen += integer(field(line, 'amt', 'visit.lines[]', index), 0, lineAmtFenMax, 'visit.lines[].amt', index);
    if (seen.has(sn)) fail('visit.lines[].sn', `duplicate sn '${sn}'`, index);
    seen.add(sn);
  }
  if (sumFen > visitAmtFenMax) fail('visit.lines', `Σ amt must not exceed ${visitAmtFenMax}`);
  return lines as readonly FeeLine[];
}

function checkVisit(value: unknown): Visit {
  const path = 'visit';
  const visit = object(value, path);
  const medType = oneOf(field(visit, 'med_type', path), medTypes, 'visit.med_type');
  const opspDise = field(visit, 'opsp_dise', path);
  if (medType === '14') oneOf(opspDise, diseases, 'visit.opsp_dise');
  else if (opspDise !== null) fail('visit.opsp_dise', 'must be null unless med_type is 14');
  checkLines(field(visit, 'lines', path));
  return visit as unknown as Visit;
}

function checkItemFields(value: unknown, path: string): Item {
  const item = object(value, path);
  oneOf(field(item, 'kind', path), ['drug', 'service', 'consumable'], `${path}.kind`);
  const lv = oneOf(field(item, 'lv', path), ['01', '02', '03'], `${path}.lv`);
  const selfpayBp = ratio(field(item, 'selfpay_bp', path), `${path}.selfpay_bp`);
  if (lv === '01' && selfpayBp !== 0) fail(`${path}.selfpay_bp`, 'must be 0 for a 01 item');
  const cap = field(item, 'cap', path);
  if (cap !== null) integer(cap, 0, itemCapFenMax, `${path}.cap`);
  const gend = field(item, 'gend', path);
  if (gend !== null) oneOf(gend, ['1', '2'], `${path}.gend`);
  const ageMin = field(item, 'age_min', path);
  const ageMaxValue = field(item, 'age_max', path);
  if (ageMin !== null) integer(ageMin, 0, ageMax, `${path}.age_min`);
  if (ageMaxValue !== null) integer(ageMaxValue, 0, ageMax, `${path}.age_max`);
  if (ageMin !== null && ageMaxValue !== null && (ageMin as number) > (ageMaxValue as number)) {
    fail(`${path}.age_max`, 'must not be below age_min');
  }
  const chronicOnly = field(item, 'chronic_only', path);
  if (chronicOnly !== null) diseaseList(chronicOnly, `${path}.chronic_only`, true);
  return item as unknown as Item;
}

function levelMap(value: unknown, path: string, check: (entry: unknown, entryPath: string) => number): void {
  const map = object(value, path);
  for (const key of levelKeys) check(field(map, key, path), `${path}.${key}`);
}

function checkBenefit(value: unknown, path: string): Benefit {
  const benefit = object(value, path);
  levelMap(field(benefit, 'ded', path), `${path}.ded`, money);
  oneOf(field(benefit, 'ded_mode', path), ['year', 'visit'], `${path}.ded_mode`);
  accKey(field(benefit, 'ded_key', path), `${path}.ded_key`);
  const bands = list(field(benefit, 'bands', path), `${path}.bands`);
  if (bands.length === 0) fail(`${path}.bands`, 'must hold at least one band');
  let previousTo = 0;
  for (let index = 0; index < bands.length; index += 1) {
    const band = object(bands[index], `${path}.bands[]`, index);
    const to = field(band, 'to', `${path}.bands[]`, index);
    if (to === null) {
      if (index !== bands.length - 1) fail(`${path}.bands[].to`, 'only the last band may be unbounded', index);
    } else {
      const toFen = money(to, `${path}.bands[].to`, index);
      if (toFen <= previousTo) fail(`${path}.bands[].to`, 'must be greater than the band before (and than 0)', index);
      previousTo = toFen;
    }
    levelMap(field(band, 'bp', `${path}.bands[]`, index), `${path}.bands[${index}].bp`, ratio);
  }
  ratio(field(benefit, 'retired_bonus_bp', path), `${path}.retired_bonus_bp`);
  money(field(benefit, 'cap', path), `${path}.cap`);
  accKey(field(benefit, 'cap_key', path), `${path}.cap_key`);
  return benefit as unknown as Benefit;
}

function checkSecond(value: unknown, path: string): void {
  const second = object(value, path);
  const segments = list(field(second, 'segments', path), `${path}.segments`);
  let previousTo: number | null = 0;
  for (let index = 0; index < segments.length; index += 1) {
    const segment = object(segments[index], `${path}.segments[]`, index);
    const from = money(field(segment, 'from', `${path}.segments[]`, index), `${path}.segments[].from`, index);
    const to = field(segment, 'to', `${path}.segments[]`, index);
    ratio(field(segment, 'bp', `${path}.segments[]`, index), `${path}.segments[].bp`, index);
    if (previousTo === null) fail(`${path}.segments[].to`, 'only the last segment may be unbounded', index - 1);
    if (from < previousTo) fail(`${path}.segments[].from`, 'must not overlap the segment before', index);
    if (to === null) {
      previousTo = null;
    } else {
      const toFen = money(to, `${path}.segments[].to`, index);
      if (from >= toFen) fail(`${path}.segments[].to`, 'must be greater than from', index);
      previousTo = toFen;
    }
  }
  money(field(second, 'cap', path), `${path}.cap`);
}

function checkScheme(value: unknown, path: string): void {
  const scheme = object(value, path);
  if (hasOwn(scheme, 'outpatient')) checkBenefit(scheme.outpatient, `${path}.outpatient`);
  if (hasOwn(scheme, 'inpatient')) checkBenefit(scheme.inpatient, `${path}.inpatient`);
  if (hasOwn(scheme, 'chronic')) {
    // `{ DISEASE: BENEFIT, ... }`: every key is a DISEASE (an enum, like CLASS in maf), each present one a valid BENEFIT.
    const chronic = object(scheme.chronic, `${path}.chronic`);
    for (const key of Object.keys(chronic)) {
      oneOf(key, diseases, `${path}.chronic (key)`);
      checkBenefit(chronic[key], `${path}.chronic.${key}`);
    }
  }
  if (hasOwn(scheme, 'second')) checkSecond(scheme.second, `${path}.second`);
}

function checkPolicyFields(value: unknown): Policy {
  const path = 'policy';
  const policy = object(value, path);
  area(field(policy, 'admdvs', path), 'policy.admdvs');
  text(field(policy, 'version', path), 'policy.version');
  const schemes = object(field(policy, 'schemes', path), 'policy.schemes');
  // Keyed by insutype: another key breaks the map's key type. Only `ded` and
  // `bp` maps may carry extra keys (§2), so it is refused, not ignored.
  for (const insutype of Object.keys(schemes)) checkScheme(schemes[oneOf(insutype, insutypes, 'policy.schemes (key)')], `policy.schemes.${insutype}`);
  const offsite = object(field(policy, 'offsite', path), 'policy.offsite');
  ratio(field(offsite, 'referral_cut_bp', 'policy.offsite'), 'policy.offsite.referral_cut_bp');
  ratio(field(offsite, 'temporary_cut_bp', 'policy.offsite'), 'policy.offsite.temporary_cut_bp');
  const maf = object(field(policy, 'maf', path), 'policy.maf');
  for (const name of Object.keys(maf)) {
    const classPath = `policy.maf.${name}`;
    const entry = object(maf[name], classPath);
    money(field(entry, 'ded', classPath), `${classPath}.ded`);
    ratio(field(entry, 'bp', classPath), `${classPath}.bp`);
    money(field(entry, 'cap', classPath), `${classPath}.cap`);
  }
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
  const version = text(field(catalogue, 'version', 'catalogue'), 'catalogue.version');
  const items = object(field(catalogue, 'items', 'catalogue'), 'catalogue.items');
  for (const code of Object.keys(items)) checkItemFields(items[code], `catalogue.items.${code}`);
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
