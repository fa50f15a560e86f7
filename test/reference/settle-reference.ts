// Reference implementation of docs/settlement.md, for differential tests only.
//
// Written from the spec text alone (without reading src/core/), as a literal,
// section-by-section transcription. Speed and style do not matter here;
// every rule carries the spec sentence it implements. Where the spec is
// silent or reads two ways, the choice made is listed in
// test/reference/AMBIGUITIES.md (referred to below as "A<n>").
//
// Contract: `referenceSettle(raw)` takes any parsed JSON value and returns the
// output object of §3/§9. It never throws for a JSON input: anything breaking
// §1–§2 is `{ ok: false, error: { code: 'invalid_input' } }`.

// ---------------------------------------------------------------------------
// Plumbing
// ---------------------------------------------------------------------------

/** Internal sentinel: thrown by validators, caught only in referenceSettle. */
class InvalidInput extends Error {
  constructor() {
    super('invalid_input');
  }
}

function invalid(): never {
  throw new InvalidInput();
}

type Obj = Record<string, unknown>;

/** Every map lookup goes through this: `__proto__`, `constructor`, ... are data. */
function hasOwn(o: object, k: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, k);
}

/** A JSON object (not null, not an array). */
function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function obj(v: unknown): Obj {
  if (!isObj(v)) invalid();
  return v;
}

function arr(v: unknown): unknown[] {
  if (!Array.isArray(v)) invalid();
  return v;
}

/**
 * §2: "Every field shown is required: `null` is written out, never left out
 * (an absent field is `invalid_input`)."
 */
function req(o: Obj, k: string): unknown {
  if (!hasOwn(o, k)) invalid();
  return o[k];
}

function str(v: unknown): string {
  // A9: any string is accepted where the spec says "string" (even "").
  if (typeof v !== 'string') invalid();
  return v;
}

function bool(v: unknown): boolean {
  if (v !== true && v !== false) invalid();
  return v;
}

function oneOf<T extends string>(v: unknown, allowed: readonly T[]): T {
  if (typeof v !== 'string') invalid();
  for (const a of allowed) if (a === v) return a;
  return invalid();
}

/**
 * §1 "Integers only": a JS number that is an integer, not -0 (the project
 * treats negative zero as invalid input), within [lo, hi].
 */
function int(v: unknown, lo: number, hi: number): number {
  if (typeof v !== 'number') invalid();
  if (!Number.isInteger(v)) invalid();
  if (Object.is(v, -0)) invalid();
  if (v < lo || v > hi) invalid();
  return v;
}

// §1 limits.
const LINE_AMT_MAX = 1e10; // "a line's `amt` is an integer in [0, 10^10]"
const LINE_QTY_MAX = 1e7; // "and its `qty_milli` in [0, 10^7]"
const VISIT_LINES_MIN = 1; // "a visit has 1 to 10000 lines"
const VISIT_LINES_MAX = 10000;
const VISIT_SUM_MAX = 1e11; // "and Σ amt <= 10^11"
const ITEM_CAP_MAX = 1e8; // "a catalogue `cap` is in [0, 10^8]"
const MONEY_MAX = 1e11; // "every other money amount (person, policy, accumulators) is in [0, 10^11]"
const BP_MAX = 10000; // "every bp is in [0, 10000]"

/** "every other money amount (person, policy, accumulators) is in [0, 10^11]" */
function money(v: unknown): number {
  return int(v, 0, MONEY_MAX);
}

/** "every bp is in [0, 10000]" */
function bp(v: unknown): number {
  return int(v, 0, BP_MAX);
}

// ---------------------------------------------------------------------------
// §1 Units and arithmetic
// ---------------------------------------------------------------------------

/** "`mulBp(a, bp) = floor((a * bp + 5000) / 10000)` for integers `a >= 0`, `0 <= bp <= 10000`" */
function mulBp(a: number, b: number): number {
  return Math.floor((a * b + 5000) / 10000);
}

/** "`capAmount(qty_milli, cap) = floor((qty_milli * cap + 500) / 1000)`" */
function capAmount(qtyMilli: number, cap: number): number {
  return Math.floor((qtyMilli * cap + 500) / 1000);
}

/** "`clamp(x, lo, hi) = min(max(x, lo), hi)`" */
function clamp(x: number, lo: number, hi: number): number {
  return Math.min(Math.max(x, lo), hi);
}

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

/**
 * "Dates are `YYYY-MM-DD` strings naming a real calendar day (leap years
 * included)". Gregorian leap rule; A1: year 0000 is refused (there is no
 * year 0 in the Gregorian calendar), years 0001..9999 are accepted.
 */
function date(v: unknown): string {
  if (typeof v !== 'string') invalid();
  if (!/^[0-9]{4}-[0-9]{2}-[0-9]{2}$/.test(v)) invalid();
  const y = Number(v.slice(0, 4));
  const m = Number(v.slice(5, 7));
  const d = Number(v.slice(8, 10));
  if (y < 1) invalid();
  if (m < 1 || m > 12) invalid();
  const dim = [31, isLeap(y) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1];
  if (dim === undefined) invalid();
  if (d < 1 || d > dim) invalid();
  return v;
}

function nullableDate(v: unknown): string | null {
  return v === null ? null : date(v);
}

/** "`year(date)` is its first four digits." */
function year(d: string): number {
  return Number(d.slice(0, 4));
}

/** "`MMDD` is the month-day part compared as a string" */
function mmdd(d: string): string {
  return d.slice(5);
}

/**
 * "`age = year(date) - year(brdy) - (MMDD(date) < MMDD(brdy) ? 1 : 0)`"
 */
function age(dateStr: string, brdy: string): number {
  return year(dateStr) - year(brdy) - (mmdd(dateStr) < mmdd(brdy) ? 1 : 0);
}

/**
 * "Area codes (`insuplc_admdvs`, `institution.admdvs`, `filing.area`,
 * `policy.admdvs`) are six digits not starting with `"00"`."
 */
function area(v: unknown): string {
  if (typeof v !== 'string') invalid();
  if (!/^[0-9]{6}$/.test(v)) invalid();
  if (v.startsWith('00')) invalid();
  return v;
}

/**
 * "Accumulator keys (`ded_key`, `cap_key`, the keys of `ytd.acc`) match
 * `^[a-z][a-z0-9_:]*$`"
 */
function isAccKey(k: string): boolean {
  return /^[a-z][a-z0-9_:]*$/.test(k);
}

function accKey(v: unknown): string {
  if (typeof v !== 'string' || !isAccKey(v)) invalid();
  return v;
}

/** "wherever keys are sorted, they sort by UTF-16 code unit" */
function cmpUtf16(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// ---------------------------------------------------------------------------
// §2 Input: types and validation
// ---------------------------------------------------------------------------

const DISEASES = [
  'hypertension',
  'diabetes',
  'cancer_chemo_radio',
  'uremia_dialysis',
  'transplant_antirejection',
] as const;
type Disease = (typeof DISEASES)[number];

const FILING_TYPES = [
  'relocated_retiree',
  'long_term_resident',
  'long_term_worker',
  'referral',
  'emergency',
  'temporary',
] as const;
type FilingType = (typeof FILING_TYPES)[number];

/** The long-term filing types named in §3.4 and §5. */
const LONG_TERM: readonly FilingType[] = ['relocated_retiree', 'long_term_resident', 'long_term_worker'];

type Level = 1 | 2 | 3;
type LevelKey = '1' | '2' | '3';

interface Filing {
  type: FilingType;
  area: string;
  begndate: string;
  enddate: string | null;
  fixmedins: string[] | null;
}

interface ChronicEntry {
  dise: Disease;
  begndate: string;
  enddate: string | null;
}

interface Person {
  psn_no: string;
  gend: '1' | '2';
  brdy: string;
  insuplc_admdvs: string;
  insutype: '310' | '390';
  psn_type: 'active' | 'retired' | 'resident';
  filing: Filing | null;
  chronic: ChronicEntry[];
  maf_class: string | null;
  acct_balance: number;
  acct_used: boolean;
  ytd: { year: number; acc: Map<string, number> };
}

interface Institution {
  fixmedins_code: string;
  admdvs: string;
  level: Level;
  offsite: boolean;
  chronic: Disease[];
}

interface Line {
  sn: string;
  code: string;
  qty_milli: number;
  amt: number;
}

interface Visit {
  med_type: '11' | '14' | '21' | '41';
  opsp_dise: Disease | null;
  lines: Line[];
}

interface Item {
  kind: 'drug' | 'service' | 'consumable';
  lv: '01' | '02' | '03';
  selfpay_bp: number;
  cap: number | null;
  gend: '1' | '2' | null;
  age_min: number | null;
  age_max: number | null;
  chronic_only: Disease[] | null;
}

interface Catalogue {
  version: string;
  items: Map<string, Item>;
}

type ByLevel = Record<LevelKey, number>;

interface Band {
  to: number | null;
  bp: ByLevel;
}

interface Benefit {
  ded: ByLevel;
  ded_mode: 'year' | 'visit';
  ded_key: string;
  bands: Band[];
  retired_bonus_bp: number;
  cap: number;
  cap_key: string;
}

interface Segment {
  from: number;
  to: number | null;
  bp: number;
}

interface Second {
  segments: Segment[];
  cap: number;
}

interface Scheme {
  outpatient: Benefit | undefined;
  inpatient: Benefit | undefined;
  chronic: Map<Disease, Benefit> | undefined;
  second: Second | undefined;
}

interface MafClass {
  ded: number;
  bp: number;
  cap: number;
}

interface Policy {
  admdvs: string;
  version: string;
  schemes: Map<'310' | '390', Scheme>;
  offsite: { referral_cut_bp: number; temporary_cut_bp: number };
  maf: Map<string, MafClass>;
}

interface Case {
  date: string;
  person: Person;
  institution: Institution;
  visit: Visit;
  catalogue: Catalogue;
  policy: Policy;
}

function disease(v: unknown): Disease {
  // "`DISEASE` is one of `hypertension`, `diabetes`, `cancer_chemo_radio`,
  // `uremia_dialysis`, `transplant_antirejection`"
  return oneOf(v, DISEASES);
}

function diseaseList(v: unknown): Disease[] {
  // A12: duplicates in a list of diseases are accepted (only duplicate `sn`
  // is named as invalid).
  return arr(v).map(disease);
}

/** "A date range has `begndate <= enddate` when `enddate` is not null." */
function checkRange(begndate: string, enddate: string | null): void {
  if (enddate !== null && !(begndate <= enddate)) invalid();
}

function parseFiling(v: unknown): Filing | null {
  // "filing": null | { ... }
  if (v === null) return null;
  const o = obj(v);
  const type = oneOf(req(o, 'type'), FILING_TYPES);
  const ar = area(req(o, 'area'));
  const begndate = date(req(o, 'begndate'));
  const enddate = nullableDate(req(o, 'enddate'));
  checkRange(begndate, enddate);
  // "fixmedins": ["H11010500012", ...] | null
  const fm = req(o, 'fixmedins');
  const fixmedins = fm === null ? null : arr(fm).map(str);
  return { type, area: ar, begndate, enddate, fixmedins };
}

function parseChronicEntry(v: unknown): ChronicEntry {
  // { "dise": DISEASE, "begndate": "...", "enddate": "..." | null }
  const o = obj(v);
  const dise = disease(req(o, 'dise'));
  const begndate = date(req(o, 'begndate'));
  const enddate = nullableDate(req(o, 'enddate'));
  checkRange(begndate, enddate);
  return { dise, begndate, enddate };
}

function parsePerson(v: unknown): Person {
  const o = obj(v);
  const psn_no = str(req(o, 'psn_no'));
  const gend = oneOf(req(o, 'gend'), ['1', '2'] as const);
  const brdy = date(req(o, 'brdy'));
  const insuplc_admdvs = area(req(o, 'insuplc_admdvs'));
  const insutype = oneOf(req(o, 'insutype'), ['310', '390'] as const);
  const psn_type = oneOf(req(o, 'psn_type'), ['active', 'retired', 'resident'] as const);
  const filing = parseFiling(req(o, 'filing'));
  const chronic = arr(req(o, 'chronic')).map(parseChronicEntry);
  const mc = req(o, 'maf_class');
  const maf_class = mc === null ? null : str(mc); // null | "string"
  const acct_balance = money(req(o, 'acct_balance')); // person money: [0, 10^11]
  const acct_used = bool(req(o, 'acct_used'));
  const y = obj(req(o, 'ytd'));
  // "`ytd.year` is in `[1900, 2200]`"
  const ytdYear = int(req(y, 'year'), 1900, 2200);
  const accObj = obj(req(y, 'acc'));
  const acc = new Map<string, number>();
  for (const k of Object.keys(accObj)) {
    // keys of ytd.acc match ^[a-z][a-z0-9_:]*$; accumulators in [0, 10^11]
    if (!isAccKey(k)) invalid();
    acc.set(k, money(accObj[k]));
  }
  return {
    psn_no,
    gend,
    brdy,
    insuplc_admdvs,
    insutype,
    psn_type,
    filing,
    chronic,
    maf_class,
    acct_balance,
    acct_used,
    ytd: { year: ytdYear, acc },
  };
}

function parseInstitution(v: unknown): Institution {
  const o = obj(v);
  const fixmedins_code = str(req(o, 'fixmedins_code'));
  const admdvs = area(req(o, 'admdvs'));
  // "level": 1 | 2 | 3 (JSON numbers)
  const lv = req(o, 'level');
  if (lv !== 1 && lv !== 2 && lv !== 3) invalid();
  const offsite = bool(req(o, 'offsite'));
  const chronic = diseaseList(req(o, 'chronic'));
  return { fixmedins_code, admdvs, level: lv, offsite, chronic };
}

function parseVisit(v: unknown): Visit {
  const o = obj(v);
  const med_type = oneOf(req(o, 'med_type'), ['11', '14', '21', '41'] as const);
  // "opsp_dise": DISEASE | null — "a DISEASE for 14, null otherwise";
  // §3.2: "a 14 visit with `opsp_dise: null` is `invalid_input`".
  const od = req(o, 'opsp_dise');
  let opsp_dise: Disease | null;
  if (med_type === '14') {
    if (od === null) invalid();
    opsp_dise = disease(od);
  } else {
    if (od !== null) invalid(); // A14
    opsp_dise = null;
  }
  const rawLines = arr(req(o, 'lines'));
  // "a visit has 1 to 10000 lines"
  if (rawLines.length < VISIT_LINES_MIN || rawLines.length > VISIT_LINES_MAX) invalid();
  const lines: Line[] = [];
  const seen = new Set<string>();
  let sum = 0;
  for (const rl of rawLines) {
    const lo = obj(rl);
    const sn = str(req(lo, 'sn'));
    const code = str(req(lo, 'code'));
    const qty_milli = int(req(lo, 'qty_milli'), 0, LINE_QTY_MAX);
    const amt = int(req(lo, 'amt'), 0, LINE_AMT_MAX);
    // §3.1: "duplicate `sn`"
    if (seen.has(sn)) invalid();
    seen.add(sn);
    sum += amt;
    lines.push({ sn, code, qty_milli, amt });
  }
  // "and Σ amt <= 10^11"
  if (sum > VISIT_SUM_MAX) invalid();
  return { med_type, opsp_dise, lines };
}

function parseItem(v: unknown): Item {
  const o = obj(v);
  const kind = oneOf(req(o, 'kind'), ['drug', 'service', 'consumable'] as const);
  const lv = oneOf(req(o, 'lv'), ['01', '02', '03'] as const);
  // "selfpay_bp": 0..10000 — "first self-pay ratio; must be 0 for "01""
  const selfpay_bp = bp(req(o, 'selfpay_bp'));
  if (lv === '01' && selfpay_bp !== 0) invalid();
  // "cap": null | fen — "a catalogue `cap` is in [0, 10^8]"
  const c = req(o, 'cap');
  const cap = c === null ? null : int(c, 0, ITEM_CAP_MAX);
  // "gend": null | "1" | "2"
  const g = req(o, 'gend');
  const gend = g === null ? null : oneOf(g, ['1', '2'] as const);
  // "`age_min`/`age_max` are in `[0, 150]` with `age_min <= age_max` when both are set"
  const amin = req(o, 'age_min');
  const age_min = amin === null ? null : int(amin, 0, 150);
  const amax = req(o, 'age_max');
  const age_max = amax === null ? null : int(amax, 0, 150);
  if (age_min !== null && age_max !== null && !(age_min <= age_max)) invalid();
  // "`chronic_only`, when not null, is a non-empty list."
  const co = req(o, 'chronic_only');
  let chronic_only: Disease[] | null = null;
  if (co !== null) {
    chronic_only = diseaseList(co);
    if (chronic_only.length === 0) invalid();
  }
  return { kind, lv, selfpay_bp, cap, gend, age_min, age_max, chronic_only };
}

function parseCatalogue(v: unknown): Catalogue {
  const o = obj(v);
  const version = str(req(o, 'version'));
  const itemsObj = obj(req(o, 'items'));
  const items = new Map<string, Item>();
  // A11: every item is validated, whether or not a line uses it.
  for (const k of Object.keys(itemsObj)) items.set(k, parseItem(itemsObj[k]));
  return { version, items };
}

/** `{ "1": X, "2": X, "3": X }`; "extra keys in `ded` and `bp` maps" are ignored. */
function byLevel(v: unknown, each: (x: unknown) => number): ByLevel {
  const o = obj(v);
  return { '1': each(req(o, '1')), '2': each(req(o, '2')), '3': each(req(o, '3')) };
}

function parseBenefit(v: unknown): Benefit {
  // "present, they must be valid (`null` is not valid)"
  const o = obj(v);
  const ded = byLevel(req(o, 'ded'), money);
  const ded_mode = oneOf(req(o, 'ded_mode'), ['year', 'visit'] as const);
  // A6: ded_key is required and must be a valid key in "visit" mode too.
  const ded_key = accKey(req(o, 'ded_key'));
  const rawBands = arr(req(o, 'bands'));
  // "there is at least one band"
  if (rawBands.length < 1) invalid();
  const bands: Band[] = [];
  let prevTo = 0; // "with `to(-1) = 0`"
  rawBands.forEach((rb, i) => {
    const bo = obj(rb);
    const t = req(bo, 'to');
    const bpMap = byLevel(req(bo, 'bp'), bp);
    let to: number | null;
    if (t === null) {
      // "only the last band may have `to: null` (no upper bound)"
      if (i !== rawBands.length - 1) invalid();
      to = null;
    } else {
      to = money(t);
      // "every non-null `to` is greater than the one before it (so the first
      // is greater than 0)"
      if (!(to > prevTo)) invalid();
      prevTo = to;
    }
    bands.push({ to, bp: bpMap });
  });
  const retired_bonus_bp = bp(req(o, 'retired_bonus_bp'));
  const cap = money(req(o, 'cap'));
  const cap_key = accKey(req(o, 'cap_key'));
  return { ded, ded_mode, ded_key, bands, retired_bonus_bp, cap, cap_key };
}

function parseSecond(v: unknown): Second {
  const o = obj(v);
  // "Segments of `second` (the list may be empty)"
  const rawSegs = arr(req(o, 'segments'));
  const segments: Segment[] = [];
  rawSegs.forEach((rs, i) => {
    const so = obj(rs);
    const from = money(req(so, 'from'));
    const t = req(so, 'to');
    const to = t === null ? null : money(t);
    const sbp = bp(req(so, 'bp'));
    // "only the last may have `to: null`"
    if (to === null && i !== rawSegs.length - 1) invalid();
    // "have `from < to` where `to` is not null"
    if (to !== null && !(from < to)) invalid();
    const prev = segments[i - 1];
    if (prev !== undefined) {
      // "must be sorted by `from`"
      if (!(from >= prev.from)) invalid();
      // "must not overlap (`from` of one `>=` `to` of the one before)"
      // (prev.to is non-null here: only the last may be null)
      if (prev.to === null || !(from >= prev.to)) invalid();
    }
    segments.push({ from, to, bp: sbp });
  });
  const cap = money(req(o, 'cap'));
  return { segments, cap };
}

function parseScheme(v: unknown): Scheme {
  // "a scheme, and a scheme's `outpatient`, `inpatient`, `chronic` (and any
  // disease in it) and `second`" may be absent; "present, they must be valid
  // (`null` is not valid)". Other keys of SCHEME are "fields not shown".
  const o = obj(v);
  const outpatient = hasOwn(o, 'outpatient') ? parseBenefit(o['outpatient']) : undefined;
  const inpatient = hasOwn(o, 'inpatient') ? parseBenefit(o['inpatient']) : undefined;
  let chronic: Map<Disease, Benefit> | undefined;
  if (hasOwn(o, 'chronic')) {
    const co = obj(o['chronic']);
    chronic = new Map();
    // "chronic": { DISEASE: BENEFIT, ... } — A3: a key that is not a DISEASE
    // breaks the map's key type and is invalid_input.
    for (const k of Object.keys(co)) chronic.set(disease(k), parseBenefit(co[k]));
  }
  const second = hasOwn(o, 'second') ? parseSecond(o['second']) : undefined;
  return { outpatient, inpatient, chronic, second };
}

function parsePolicy(v: unknown): Policy {
  const o = obj(v);
  const admdvs = area(req(o, 'admdvs'));
  const version = str(req(o, 'version'));
  // "schemes": { "310": SCHEME, "390": SCHEME } — "by insutype; either may be
  // absent". A2: a key other than "310"/"390" is invalid_input; both present
  // schemes are validated whatever the person's insutype (A4).
  const so = obj(req(o, 'schemes'));
  const schemes = new Map<'310' | '390', Scheme>();
  for (const k of Object.keys(so)) schemes.set(oneOf(k, ['310', '390'] as const), parseScheme(so[k]));
  // "offsite": { "referral_cut_bp": 0..10000, "temporary_cut_bp": 0..10000 }
  const oo = obj(req(o, 'offsite'));
  const offsite = { referral_cut_bp: bp(req(oo, 'referral_cut_bp')), temporary_cut_bp: bp(req(oo, 'temporary_cut_bp')) };
  // "maf": { CLASS: { "ded": fen, "bp": bp, "cap": fen }, ... } — every class validated.
  const mo = obj(req(o, 'maf'));
  const maf = new Map<string, MafClass>();
  for (const k of Object.keys(mo)) {
    const c = obj(mo[k]);
    maf.set(k, { ded: money(req(c, 'ded')), bp: bp(req(c, 'bp')), cap: money(req(c, 'cap')) });
  }
  return { admdvs, version, schemes, offsite, maf };
}

function parseCase(raw: unknown): Case {
  const o = obj(raw);
  const d = date(req(o, 'date'));
  const person = parsePerson(req(o, 'person'));
  const institution = parseInstitution(req(o, 'institution'));
  const visit = parseVisit(req(o, 'visit'));
  const catalogue = parseCatalogue(req(o, 'catalogue'));
  const policy = parsePolicy(req(o, 'policy'));
  // §1: "`brdy <= date`."
  if (!(person.brdy <= d)) invalid();
  return { date: d, person, institution, visit, catalogue, policy };
}

// ---------------------------------------------------------------------------
// Output shapes (§3, §9)
// ---------------------------------------------------------------------------

type Refusal = { ok: false; error: { code: string; sn?: string } };

function refuse(code: string): Refusal {
  // "`{"ok": false, "error": {"code": CODE}}`"
  return { ok: false, error: { code } };
}

interface OutLine {
  sn: string;
  chrgitm_lv: string;
  fulamt_ownpay_amt: number;
  overlmt_amt: number;
  preselfpay_amt: number;
  inscp_scp_amt: number;
  reason?: string;
}

// ---------------------------------------------------------------------------
// The settlement
// ---------------------------------------------------------------------------

export function referenceSettle(raw: unknown): unknown {
  let c: Case;
  try {
    // §3.1 "`invalid_input`: anything that breaks §1 or §2" — first.
    c = parseCase(raw);
  } catch (e) {
    if (e instanceof InvalidInput) return refuse('invalid_input');
    throw e; // a bug in this file, not an input problem
  }
  return settle(c);
}

function settle(c: Case): unknown {
  const { person: P, institution: inst, visit: V, catalogue: cat, policy: pol } = c;
  const date_ = c.date;

  // §3.2 policy_not_found: "`policy.schemes[insutype]` is absent, or the
  // benefit that `med_type` selects is absent (for 14: `chronic[opsp_dise]`)"
  const scheme = pol.schemes.get(P.insutype);
  if (scheme === undefined) return refuse('policy_not_found');
  // §5: "`B` is the benefit selected by `med_type`: `outpatient` for 11 and 41,
  // `inpatient` for 21, `chronic[opsp_dise]` for 14."
  let B: Benefit | undefined;
  switch (V.med_type) {
    case '11':
    case '41':
      B = scheme.outpatient;
      break;
    case '21':
      B = scheme.inpatient;
      break;
    case '14':
      B = V.opsp_dise === null || scheme.chronic === undefined ? undefined : scheme.chronic.get(V.opsp_dise);
      break;
  }
  if (B === undefined) return refuse('policy_not_found');

  // §3.3 "the visit is **off-site**: the first four digits of
  // `institution.admdvs` differ from those of `person.insuplc_admdvs`."
  const offSite = inst.admdvs.slice(0, 4) !== P.insuplc_admdvs.slice(0, 4);
  if (offSite) {
    // "`institution_not_networked`: `institution.offsite` is false."
    if (!inst.offsite) return refuse('institution_not_networked');
    // "`filing_required`: `person.filing` is null"
    const f = P.filing;
    if (f === null) return refuse('filing_required');
    // "`filing_not_valid_on_date`: `date < begndate`, or `enddate` is not null
    // and `date > enddate`."
    if (date_ < f.begndate || (f.enddate !== null && date_ > f.enddate)) return refuse('filing_not_valid_on_date');
    // "`filing_area_mismatch`: `institution.admdvs` does not start with the
    // filing's area prefix, where the prefix is `filing.area` with trailing
    // `"00"` pairs removed"
    let prefix = f.area;
    while (prefix.length >= 2 && prefix.endsWith('00')) prefix = prefix.slice(0, -2);
    if (!inst.admdvs.startsWith(prefix)) return refuse('filing_area_mismatch');
    // "`institution_not_selected`: `filing.fixmedins` is a non-empty list that
    // does not contain `institution.fixmedins_code`."
    if (f.fixmedins !== null && f.fixmedins.length > 0 && !f.fixmedins.includes(inst.fixmedins_code)) {
      return refuse('institution_not_selected');
    }
  }

  // §3.4 Chronic checks, for `med_type` `"14"` only
  if (V.med_type === '14') {
    const dise = V.opsp_dise;
    // "`chronic_requires_long_term_filing`: the visit is off-site and the
    // filing type is not one of `relocated_retiree`, `long_term_resident`,
    // `long_term_worker`." (off-site implies a filing, §3.3 passed)
    if (offSite && (P.filing === null || !LONG_TERM.includes(P.filing.type))) {
      return refuse('chronic_requires_long_term_filing');
    }
    // "`chronic_not_qualified`: no entry of `person.chronic` has
    // `dise == opsp_dise`, `begndate <= date` and (`enddate` null or
    // `date <= enddate`)."
    const qualified = P.chronic.some(
      (e) => e.dise === dise && e.begndate <= date_ && (e.enddate === null || date_ <= e.enddate),
    );
    if (!qualified) return refuse('chronic_not_qualified');
    // "`chronic_not_opened_at_institution`: the visit is off-site and
    // `institution.chronic` does not contain `opsp_dise`."
    if (offSite && (dise === null || !inst.chronic.includes(dise))) return refuse('chronic_not_opened_at_institution');
  }

  // §3.5 "`unknown_item`: a line's `code` is not in `catalogue.items` (the
  // first such line in input order; `sn` is reported)."
  for (const l of V.lines) {
    if (!cat.items.has(l.code)) return { ok: false, error: { code: 'unknown_item', sn: l.sn } } satisfies Refusal;
  }

  // -------------------------------------------------------------------------
  // §4 Lines (input order)
  // -------------------------------------------------------------------------
  const a = age(date_, P.brdy);
  const outLines: OutLine[] = [];
  let medfee_sumamt = 0;
  let sumFulamt = 0;
  let sumOverlmt = 0;
  let sumPreself = 0;
  let I = 0;
  for (const l of V.lines) {
    const it = cat.items.get(l.code);
    if (it === undefined) throw new Error('unreachable: unknown_item already checked');
    // 1. Restricted, "the first that applies in this order"
    let reason: string | undefined;
    if (it.gend !== null && it.gend !== P.gend) {
      // "`restricted:gender`: `it.gend` is set and differs from `person.gend`"
      reason = 'restricted:gender';
    } else if ((it.age_min !== null && a < it.age_min) || (it.age_max !== null && a > it.age_max)) {
      // "`restricted:age`: `age < it.age_min` or `age > it.age_max` (where set)"
      reason = 'restricted:age';
    } else if (
      it.chronic_only !== null &&
      !(V.med_type === '14' && V.opsp_dise !== null && it.chronic_only.includes(V.opsp_dise))
    ) {
      // "`restricted:chronic`: `it.chronic_only` is set and the visit is not a
      // `"14"` visit whose `opsp_dise` is in that list."
      reason = 'restricted:chronic';
    }
    let fulamt_ownpay_amt = 0;
    let overlmt_amt = 0;
    let preselfpay_amt = 0;
    let inscp_scp_amt = 0;
    if (reason !== undefined || it.lv === '03') {
      // "A wholly self-paid line has `fulamt_ownpay_amt = amt` and the other three 0."
      fulamt_ownpay_amt = l.amt;
    } else {
      // "`overlmt_amt = it.cap == null ? 0 : max(0, amt - capAmount(qty_milli, it.cap))`"
      overlmt_amt = it.cap === null ? 0 : Math.max(0, l.amt - capAmount(l.qty_milli, it.cap));
      // "`rest = amt - overlmt_amt`"
      const rest = l.amt - overlmt_amt;
      // "`preselfpay_amt = it.lv == "02" ? mulBp(rest, it.selfpay_bp) : 0`"
      preselfpay_amt = it.lv === '02' ? mulBp(rest, it.selfpay_bp) : 0;
      // "`inscp_scp_amt = rest - preselfpay_amt`"
      inscp_scp_amt = rest - preselfpay_amt;
    }
    const ol: OutLine = {
      sn: l.sn,
      chrgitm_lv: it.lv,
      fulamt_ownpay_amt,
      overlmt_amt,
      preselfpay_amt,
      inscp_scp_amt,
    };
    // "`reason` is present only on restricted lines."
    if (reason !== undefined) ol.reason = reason;
    outLines.push(ol);
    // Visit totals
    medfee_sumamt += l.amt;
    sumFulamt += fulamt_ownpay_amt;
    sumOverlmt += overlmt_amt;
    sumPreself += preselfpay_amt;
    I += inscp_scp_amt;
  }

  // Accumulators: "A key that is absent is 0. If `ytd.year != year(date)`,
  // every accumulator is 0." Values are those from before the visit.
  const yearMatches = P.ytd.year === year(date_);
  const acc = (k: string): number => {
    if (!yearMatches) return 0;
    const v = P.ytd.acc.get(k);
    return v === undefined ? 0 : v;
  };

  // -------------------------------------------------------------------------
  // §5 Basic insurance
  // -------------------------------------------------------------------------
  const L = String(inst.level) as LevelKey;
  // "`dedRem = B.ded_mode == "year" ? max(0, B.ded[L] - acc[B.ded_key]) : B.ded[L]`"
  const dedRem = B.ded_mode === 'year' ? Math.max(0, B.ded[L] - acc(B.ded_key)) : B.ded[L];
  // "`act_pay_dedc = min(I, dedRem)`; `base = I - act_pay_dedc`."
  const act_pay_dedc = Math.min(I, dedRem);
  const base = I - act_pay_dedc;
  // Ratio cut
  let cut = 0;
  if (offSite && P.filing !== null) {
    switch (P.filing.type) {
      case 'relocated_retiree':
      case 'long_term_resident':
      case 'long_term_worker':
        cut = 0;
        break;
      case 'referral':
      case 'emergency':
        cut = pol.offsite.referral_cut_bp;
        break;
      case 'temporary':
        cut = pol.offsite.temporary_cut_bp;
        break;
    }
  }
  // "`bonus = psn_type == "retired" ? B.retired_bonus_bp : 0`."
  const bonus = P.psn_type === 'retired' ? B.retired_bonus_bp : 0;
  let raw = 0;
  let from = 0; // "`from_i = to(i-1)`", "`to(-1) = 0`"
  for (const band of B.bands) {
    // "`portion_i = clamp(base - from_i, 0, to_i - from_i)` (... no upper
    // clamp when `to_i` is null)"
    const portion = band.to === null ? Math.max(base - from, 0) : clamp(base - from, 0, band.to - from);
    // "`ratio_i = clamp(B.bands[i].bp[L] + bonus - cut, 0, 10000)`"
    const ratio = clamp(band.bp[L] + bonus - cut, 0, 10000);
    // "`pay_i = mulBp(portion_i, ratio_i)`"
    raw += mulBp(portion, ratio);
    if (band.to !== null) from = band.to;
  }
  // "`capRem = max(0, B.cap - acc[B.cap_key])`; `hifp_pay = min(raw, capRem)`."
  const capRem = Math.max(0, B.cap - acc(B.cap_key));
  const hifp_pay = Math.min(raw, capRem);

  // -------------------------------------------------------------------------
  // §6 Second layer
  // -------------------------------------------------------------------------
  const S = scheme.second;
  let second = 0;
  let E = 0;
  if (S !== undefined) {
    // "`E = I - hifp_pay`"
    E = I - hifp_pay;
    // "`C0 = acc["second:base"]`, `C1 = C0 + E`."
    const C0 = acc('second:base');
    const C1 = C0 + E;
    let raw2 = 0;
    for (const seg of S.segments) {
      // "`part = max(0, min(C1, to) - max(C0, from))` (no `min` with `to` when it is null)"
      const hi = seg.to === null ? C1 : Math.min(C1, seg.to);
      const part = Math.max(0, hi - Math.max(C0, seg.from));
      // "`raw2 = Σ mulBp(part, seg.bp)`"
      raw2 += mulBp(part, seg.bp);
    }
    // "`second = min(raw2, max(0, S.cap - acc["second:paid"]))`"
    second = Math.min(raw2, Math.max(0, S.cap - acc('second:paid')));
  }
  // "For insutype 390 the payment is `hifmi_pay` ...; for 310 it is
  // `hifob_pay` .... The other of the two is 0."
  const hifmi_pay = P.insutype === '390' ? second : 0;
  const hifob_pay = P.insutype === '310' ? second : 0;

  // -------------------------------------------------------------------------
  // §7 Medical assistance
  // -------------------------------------------------------------------------
  // "If `person.maf_class` is null, or `policy.maf` has no such class, `maf_pay = 0`."
  const M = P.maf_class === null ? undefined : pol.maf.get(P.maf_class);
  let maf_pay = 0;
  let dedUsed = 0;
  if (M !== undefined) {
    // "`R = I - hifp_pay - second`"
    const R = I - hifp_pay - second;
    // "`dedRem = max(0, M.ded - acc["maf:ded"])`; `dedUsed = min(R, dedRem)`"
    const mDedRem = Math.max(0, M.ded - acc('maf:ded'));
    dedUsed = Math.min(R, mDedRem);
    // "`maf_pay = min(mulBp(R - dedUsed, M.bp), max(0, M.cap - acc["maf:paid"]))`"
    maf_pay = Math.min(mulBp(R - dedUsed, M.bp), Math.max(0, M.cap - acc('maf:paid')));
  }

  // -------------------------------------------------------------------------
  // §8 Totals and personal account
  // -------------------------------------------------------------------------
  const fund_pay_sumamt = hifp_pay + hifob_pay + hifmi_pay + maf_pay;
  const psn_part_amt = medfee_sumamt - fund_pay_sumamt;
  const acct_pay = P.insutype === '310' && P.acct_used ? Math.min(P.acct_balance, psn_part_amt) : 0;
  const psn_cash_pay = psn_part_amt - acct_pay;
  const balc = P.acct_balance - acct_pay;
  const reim_bp = medfee_sumamt === 0 ? 0 : Math.floor((fund_pay_sumamt * 10000) / medfee_sumamt);

  // -------------------------------------------------------------------------
  // §9 Output
  // -------------------------------------------------------------------------
  const setlinfo = {
    medfee_sumamt,
    fulamt_ownpay_amt: sumFulamt,
    overlmt_selfpay: sumOverlmt,
    preselfpay_amt: sumPreself,
    inscp_scp_amt: I,
    act_pay_dedc,
    hifp_pay,
    hifob_pay,
    hifmi_pay,
    maf_pay,
    fund_pay_sumamt,
    psn_part_amt,
    acct_pay,
    psn_cash_pay,
    balc,
    reim_bp,
  };

  // "`setldetail` holds, for each non-zero payment, sorted by `fund_pay_type`"
  const payments: [string, number][] = [
    [P.insutype === '310' ? '310100' : '390100', hifp_pay],
    ['330100', hifob_pay],
    ['390200', hifmi_pay],
    ['610100', maf_pay],
    ['310200', acct_pay],
  ];
  const setldetail = payments
    .filter(([, amt]) => amt !== 0)
    .sort(([x], [y]) => cmpUtf16(x, y))
    .map(([fund_pay_type, fund_payamt]) => ({ fund_pay_type, fund_payamt }));

  // "`acc_delta` holds each non-zero change, keys sorted ... Two keys that
  // name the same accumulator add up."
  const deltas = new Map<string, number>();
  const add = (k: string, v: number): void => {
    deltas.set(k, (deltas.get(k) ?? 0) + v);
  };
  // "`B.ded_key` += `act_pay_dedc` (year mode only)"
  if (B.ded_mode === 'year') add(B.ded_key, act_pay_dedc);
  // "`B.cap_key` += `hifp_pay`"
  add(B.cap_key, hifp_pay);
  // "`second:base` += `E` and `second:paid` += `second` (when `S` exists)"
  if (S !== undefined) {
    add('second:base', E);
    add('second:paid', second);
  }
  // "`maf:ded` += `dedUsed` and `maf:paid` += `maf_pay` (when a class applies)"
  if (M !== undefined) {
    add('maf:ded', dedUsed);
    add('maf:paid', maf_pay);
  }
  const acc_delta: Record<string, number> = {};
  for (const k of [...deltas.keys()].sort(cmpUtf16)) {
    const v = deltas.get(k) ?? 0;
    if (v === 0) continue;
    // defineProperty: a key such as "constructor" stays plain data.
    Object.defineProperty(acc_delta, k, { value: v, enumerable: true, writable: true, configurable: true });
  }

  return { ok: true, setlinfo, lines: outLines, setldetail, acc_delta };
}
