// A seeded generator of settlement cases (docs/settlement.md §2) for property
// tests, differential tests, the --jsonl soak and the benchmarks. Every case
// comes from a 32-bit seed, so a failing one is replayed from the seed the
// test prints. Cases are valid by construction unless `mutate` corrupts them;
// they reach every refusal code, every line outcome, every layer and the
// edge cases where keys collide (ded_key = cap_key, second:base as a key).

/** sfc32: a small, fast, well-distributed PRNG on 32-bit integers. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    this.a = 0x9e3779b9;
    this.b = 0x243f6a88;
    this.c = 0xb7e15162;
    this.d = seed >>> 0;
    for (let i = 0; i < 15; i += 1) this.next();
  }

  /** A uniform 32-bit unsigned integer. */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** A uniform integer in [min, max]. */
  int(min: number, max: number): number {
    const span = max - min + 1;
    if (span <= 0x1_0000_0000) return min + (this.next() % span);
    return min + ((this.next() * 0x1_0000_0000 + this.next()) % span);
  }

  /** True with probability percent/100. */
  chance(percent: number): boolean {
    return this.next() % 100 < percent;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.next() % items.length] as T;
  }

  /** Some of the items, in their order. */
  subset<T>(items: readonly T[], percent: number): T[] {
    return items.filter(() => this.chance(percent));
  }
}

export const diseaseNames = ['hypertension', 'diabetes', 'cancer_chemo_radio', 'uremia_dialysis', 'transplant_antirejection'] as const;
const filingTypeNames = ['relocated_retiree', 'long_term_resident', 'long_term_worker', 'referral', 'emergency', 'temporary'] as const;
const insuredAreas = ['130125', '130100', '330402', '230402', '110105', '310101', '210102', '440305'];
const institutionAreas = ['110106', '110105', '310101', '310104', '210102', '210103', '130102', '330402', '440305'];
const filingAreas = ['110000', '310000', '210100', '110100', '130000', '330400', '440300', '210102'];
const dedKeys = ['ded:op', 'ded:ip', 'ded:chronic', 'ded:op', 'ded:ip'];
const capKeys = ['pool:main', 'pool:op', 'pool:chronic', 'pool:main'];
const accKeyPool = ['ded:op', 'ded:ip', 'ded:chronic', 'pool:main', 'pool:op', 'pool:chronic', 'second:base', 'second:paid', 'maf:ded', 'maf:paid', 'other:key'];

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

function daysIn(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

export function randomDate(rng: Rng, yearMin: number, yearMax: number): string {
  const year = rng.int(yearMin, yearMax);
  const month = rng.int(1, 12);
  // Leap days and month ends come up more often than chance would give.
  const day = rng.chance(10) ? daysIn(year, month) : rng.int(1, daysIn(year, month));
  return `${year}-${pad(month, 2)}-${pad(day, 2)}`;
}

/** A date offset from `date` by up to `days` either way (approximate: by month-days). */
function nearDate(rng: Rng, date: string, before: boolean): string {
  const year = Number(date.slice(0, 4));
  const candidate = randomDate(rng, before ? year - 2 : year, before ? year : year + 2);
  if (before ? candidate <= date : candidate >= date) return candidate;
  return date;
}

/** A code in one of the national formats: 23-char western drug, 15-digit service, consumable starting with C. */
export function itemCode(rng: Rng, kind: string, serial: number): string {
  if (kind === 'drug') {
    const letters = 'ABCDGHJLMNRSV';
    return `X${rng.pick([...letters])}${pad(rng.int(1, 99), 2)}${rng.pick([...letters])}${rng.pick([...letters])}A${pad(rng.int(0, 999), 3)}A${pad(rng.int(1, 9), 3)}0${pad(serial % 100_000_000, 8)}`.slice(0, 23).padEnd(23, '0');
  }
  if (kind === 'service') return `00${pad(rng.int(1, 99), 2)}${pad(serial % 100_000_000_000, 11)}`;
  return `C${pad(rng.int(1, 99), 2)}${pad(rng.int(0, 99_999_999), 8)}${pad(serial % 1_000_000_000, 9)}`;
}

function randomItem(rng: Rng): JsonObject {
  const kind = rng.pick(['drug', 'drug', 'service', 'consumable']);
  const lv = rng.pick(['01', '01', '02', '02', '02', '03']);
  const ageMin = rng.chance(10) ? rng.int(0, 80) : null;
  const ageMax = rng.chance(10) ? rng.int(ageMin ?? 0, 150) : null;
  return {
    kind,
    lv,
    selfpay_bp: lv === '01' ? 0 : rng.pick([0, 500, 1000, 2000, 3000, rng.int(0, 10_000)]),
    cap: rng.chance(25) ? rng.int(0, rng.chance(80) ? 5_000 : 100_000_000) : null,
    gend: rng.chance(10) ? rng.pick(['1', '2']) : null,
    age_min: ageMin,
    age_max: ageMax,
    chronic_only: rng.chance(10) ? rng.subset(diseaseNames, 40).concat(rng.pick(diseaseNames)) : null,
  };
}

function levelMap(rng: Rng, make: () => number): JsonObject {
  return { '1': make(), '2': make(), '3': make() };
}

function randomBenefit(rng: Rng): JsonObject {
  const bandCount = rng.int(1, 3);
  const bands: JsonObject[] = [];
  let to = 0;
  for (let i = 0; i < bandCount; i += 1) {
    to += rng.int(1, rng.chance(50) ? 50_000 : 5_000_000);
    const last = i === bandCount - 1;
    bands.push({ to: last && rng.chance(75) ? null : to, bp: levelMap(rng, () => rng.pick([5_000, 6_000, 7_000, 8_500, 9_000, rng.int(0, 10_000)])) });
  }
  return {
    ded: levelMap(rng, () => rng.pick([0, 10_000, 50_000, 120_000, rng.int(0, 500_000)])),
    ded_mode: rng.pick(['year', 'visit']),
    ded_key: rng.chance(5) ? rng.pick(['pool:main', 'second:base', 'maf:ded']) : rng.pick(dedKeys),
    bands,
    retired_bonus_bp: rng.pick([0, 0, 500, 1_000, rng.int(0, 10_000)]),
    cap: rng.pick([40_000, 2_000_000, 15_000_000, rng.int(0, 100_000_000)]),
    cap_key: rng.chance(5) ? rng.pick(['ded:op', 'second:paid']) : rng.pick(capKeys),
  };
}

function randomSecond(rng: Rng): JsonObject {
  const segments: JsonObject[] = [];
  let from = rng.pick([0, 1_500_000, rng.int(0, 3_000_000)]);
  const count = rng.int(0, 3);
  for (let i = 0; i < count; i += 1) {
    const last = i === count - 1;
    const to = last && rng.chance(60) ? null : from + rng.int(1, 10_000_000);
    segments.push({ from, to, bp: rng.pick([5_000, 6_000, 7_000, rng.int(0, 10_000)]) });
    if (to === null) break;
    from = to + (rng.chance(20) ? rng.int(0, 100_000) : 0);
  }
  return { segments, cap: rng.pick([40_000_000, rng.int(0, 50_000_000)]) };
}

function randomScheme(rng: Rng): JsonObject {
  const scheme: JsonObject = {};
  if (rng.chance(92)) scheme.outpatient = randomBenefit(rng);
  if (rng.chance(92)) scheme.inpatient = randomBenefit(rng);
  if (rng.chance(85)) {
    const chronic: JsonObject = {};
    for (const disease of diseaseNames) if (rng.chance(85)) chronic[disease] = randomBenefit(rng);
    scheme.chronic = chronic;
  }
  if (rng.chance(75)) scheme.second = randomSecond(rng);
  return scheme;
}

export function randomPolicy(rng: Rng, admdvs: string): JsonObject {
  const schemes: JsonObject = {};
  if (rng.chance(93)) schemes['310'] = randomScheme(rng);
  if (rng.chance(93)) schemes['390'] = randomScheme(rng);
  const maf: JsonObject = {};
  if (rng.chance(70)) maf.low_income = { ded: rng.pick([0, 50_000]), bp: rng.pick([7_000, rng.int(0, 10_000)]), cap: rng.pick([5_000_000, rng.int(0, 10_000_000)]) };
  if (rng.chance(70)) maf.extreme_poverty = { ded: 0, bp: rng.pick([9_000, 10_000]), cap: rng.pick([8_000_000, rng.int(0, 10_000_000)]) };
  return {
    admdvs,
    version: `policy-${rng.int(2024, 2027)}.${rng.int(1, 12)}`,
    schemes,
    offsite: { referral_cut_bp: rng.pick([0, 500, 1_000]), temporary_cut_bp: rng.pick([1_000, 1_500, 2_000, rng.int(0, 10_000)]) },
    maf,
  };
}

function randomPerson(rng: Rng, date: string, institution: JsonObject): JsonObject {
  const insured = rng.pick(insuredAreas);
  const year = Number(date.slice(0, 4));
  let brdy = randomDate(rng, year - 100, year);
  if (rng.chance(3)) brdy = `${rng.pick([1952, 1960, 1988, 2000])}-02-29`;
  if (brdy > date) brdy = `${year - 30}${date.slice(4)}`;
  const filing: JsonObject | null = rng.chance(12)
    ? null
    : {
        type: rng.pick(filingTypeNames),
        area: rng.chance(80) ? `${String(institution.admdvs).slice(0, rng.pick([2, 4]))}`.padEnd(6, '0') : rng.pick(filingAreas),
        begndate: rng.chance(90) ? nearDate(rng, date, true) : nearDate(rng, date, false),
        enddate: rng.chance(50) ? null : rng.chance(90) ? nearDate(rng, date, false) : date,
        fixmedins: rng.chance(60) ? null : rng.chance(20) ? [] : rng.chance(80) ? ['H00000000001', String(institution.fixmedins_code)] : ['H99999999999'],
      };
  if (filing !== null && filing.enddate !== null && (filing.enddate as string) < (filing.begndate as string)) filing.enddate = filing.begndate as string;
  const chronic = rng.subset(diseaseNames, 30).map((dise) => {
    const begndate = rng.chance(85) ? nearDate(rng, date, true) : nearDate(rng, date, false);
    const enddate = rng.chance(70) ? null : nearDate(rng, begndate, false);
    return { dise, begndate, enddate };
  });
  const acc: JsonObject = {};
  for (const key of rng.subset(accKeyPool, 35)) acc[key] = rng.pick([0, rng.int(0, 200_000), rng.int(0, 20_000_000), rng.int(0, 100_000_000_000)]);
  return {
    psn_no: `P${insured}${pad(rng.int(0, 999_999), 6)}`,
    gend: rng.pick(['1', '2']),
    brdy,
    insuplc_admdvs: insured,
    insutype: rng.pick(['310', '390']),
    psn_type: rng.pick(['active', 'retired', 'resident']),
    filing,
    chronic,
    maf_class: rng.chance(70) ? null : rng.pick(['low_income', 'extreme_poverty', 'orphan_care']),
    acct_balance: rng.pick([0, rng.int(0, 200_000), rng.int(0, 100_000_000_000)]),
    acct_used: rng.chance(60),
    ytd: { year: rng.chance(85) ? year : rng.pick([year - 1, year + 1]), acc },
  };
}

export interface CaseOptions {
  /** Exactly this many lines (default: 1 to 25). */
  readonly lines?: number;
  /** Items in the catalogue beyond those the lines use (default: a few). */
  readonly extraItems?: number;
  /** Force the visit type. */
  readonly medType?: '11' | '14' | '21' | '41';
  /** Make the visit local or off-site with every check passing (no refusals but by accident of policy). */
  readonly settleable?: boolean;
}

/** One case from one seed. */
export function generateCase(seed: number, options: CaseOptions = {}): JsonObject {
  const rng = new Rng(seed);
  const date = randomDate(rng, 2025, 2027);
  const institution: JsonObject = {
    fixmedins_code: `H${pad(rng.int(0, 99_999_999_999), 11)}`,
    admdvs: rng.pick(institutionAreas),
    level: rng.int(1, 3),
    offsite: rng.chance(92),
    chronic: rng.subset(diseaseNames, 60),
  };
  const person = randomPerson(rng, date, institution);
  const medType = options.medType ?? rng.pick(['11', '11', '14', '21', '41']);
  const visitDisease: Json = medType === '14' ? (rng.chance(70) && (person.chronic as JsonObject[]).length > 0 ? (((person.chronic as JsonObject[])[0] as JsonObject).dise as string) : rng.pick(diseaseNames)) : null;

  const itemCount = Math.max(1, Math.min(options.lines ?? 12, 400)) + (options.extraItems ?? rng.int(0, 6));
  const items: JsonObject = {};
  const codes: string[] = [];
  for (let i = 0; i < itemCount; i += 1) {
    const item = randomItem(rng);
    const code = itemCode(rng, String(item.kind), i + 1);
    if (Object.hasOwn(items, code)) continue;
    items[code] = item;
    codes.push(code);
  }
  const lineCount = options.lines ?? rng.int(1, 25);
  const lines: JsonObject[] = [];
  for (let i = 0; i < lineCount; i += 1) {
    const unknown = !options.settleable && rng.chance(lineCount > 50 ? 0 : 2);
    const qty = rng.pick([1_000, 2_000, 28_000, 90_000, rng.int(0, 100_000), rng.int(0, 10_000_000)]);
    const amt = rng.pick([0, rng.int(100, 50_000), rng.int(0, 500_000), rng.int(0, lineCount > 100 ? 200_000 : 10_000_000)]);
    lines.push({ sn: String(i + 1), code: unknown ? `ZZ${pad(i, 13)}` : rng.pick(codes), qty_milli: qty, amt });
  }
  const insuredPolicyArea = `${String(person.insuplc_admdvs).slice(0, 4)}00`;
  const policy = randomPolicy(rng, insuredPolicyArea === '000000' ? '110100' : insuredPolicyArea);
  const visit: JsonObject = { med_type: medType, opsp_dise: visitDisease, lines };
  const raw: JsonObject = { date, person, institution, visit, catalogue: { version: `cat-${rng.int(1, 99)}`, items }, policy };
  if (options.settleable) makeSettleable(raw, rng);
  return raw;
}

/** Adjusts a case so that every §3 check passes (the visit may still be refused by nothing). */
function makeSettleable(raw: JsonObject, rng: Rng): void {
  const person = raw.person as JsonObject;
  const institution = raw.institution as JsonObject;
  const visit = raw.visit as JsonObject;
  const policy = raw.policy as JsonObject;
  institution.offsite = true;
  person.filing = {
    type: visit.med_type === '14' ? rng.pick(['relocated_retiree', 'long_term_resident', 'long_term_worker']) : rng.pick(filingTypeNames),
    area: `${String(institution.admdvs).slice(0, 2)}0000`,
    begndate: `${Number(String(raw.date).slice(0, 4)) - 1}-01-01`,
    enddate: null,
    fixmedins: null,
  };
  const schemes = policy.schemes as JsonObject;
  const scheme = randomScheme(rng);
  scheme.outpatient = randomBenefit(rng);
  scheme.inpatient = randomBenefit(rng);
  const chronic: JsonObject = {};
  for (const disease of diseaseNames) chronic[disease] = randomBenefit(rng);
  scheme.chronic = chronic;
  schemes[String(person.insutype)] = scheme;
  if (visit.med_type === '14') {
    const disease = String(visit.opsp_dise);
    person.chronic = [{ dise: disease, begndate: '2000-01-01', enddate: null }];
    institution.chronic = [...diseaseNames];
  }
}

/** A JSON deep copy. */
export function clone<T extends Json>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** Values a mutation may put anywhere: wrong types, boundaries, hostile numbers. */
const mutationValues: readonly Json[] = Object.freeze(([
  null, true, false, 0, -1, 1, 2, 3, 1.5, -0, 1e308, 10_000, 10_001, 150, 151, 1899, 2201,
  10_000_000_000, 10_000_000_001, 100_000_000, 100_000_001, 100_000_000_000, 100_000_000_001, 10_000_000, 10_000_001,
  '', '0', '1', '2', '3', '01', '02', '03', '04', '11', '14', '21', '41', '310', '390', 'x', 'active', 'retired', 'resident',
  'year', 'visit', 'drug', 'referral', 'temporary', 'hypertension', 'diabetes', 'flu', '110000', '001234', '2026-02-29', '2024-02-29',
  '2026-01-01', '2027-12-31', '0000-01-01', 'ded:op', 'Ded', 'constructor', '__proto__', [], {}, [1], ['hypertension'], { '1': 0 },
] as Json[]).map((value) => (typeof value === 'object' && value !== null ? (Object.freeze(value) as Json) : value)));

/** A fresh copy of one of the mutation values: the list itself must never be shared into a case (and then mutated). */
function pickValue(rng: Rng): Json {
  const value = rng.pick(mutationValues);
  return typeof value === 'object' && value !== null ? clone(value) : value;
}

function paths(value: Json, prefix: Array<string | number>, out: Array<Array<string | number>>): void {
  if (Array.isArray(value)) value.forEach((child, index) => { out.push([...prefix, index]); paths(child, [...prefix, index], out); });
  else if (typeof value === 'object' && value !== null) {
    for (const key of Object.keys(value)) {
      out.push([...prefix, key]);
      paths(value[key] as Json, [...prefix, key], out);
    }
  }
}

/**
 * Corrupts a case in 1 to 3 places (seeded): deletes a key, replaces a value
 * with one of `mutationValues`, nudges a number across a boundary, or adds an
 * extra key to a record. Returns a new case; the input is untouched.
 */
export function mutateCase(raw: JsonObject, seed: number): JsonObject {
  const rng = new Rng(seed);
  const copy = clone(raw);
  const count = rng.int(1, 3);
  for (let i = 0; i < count; i += 1) {
    const all: Array<Array<string | number>> = [];
    paths(copy, [], all);
    // Prefer short paths less: most of a case is lines and items.
    const path = rng.pick(all);
    let parent: Json = copy;
    for (const key of path.slice(0, -1)) parent = (parent as Record<string, Json>)[key as string] as Json;
    const last = path[path.length - 1] as string | number;
    const container = parent as Record<string | number, Json>;
    const current = container[last] as Json;
    const action = rng.int(0, 9);
    if (action <= 1 && !Array.isArray(parent)) delete container[last];
    else if (action <= 5) container[last] = pickValue(rng);
    else if (action <= 7 && typeof current === 'number') container[last] = current + rng.pick([-1, 1, -current - 1, 10_000]);
    else if (action === 8 && typeof current === 'object' && current !== null && !Array.isArray(current)) {
      (current as JsonObject)[rng.pick(['extra', 'note', '4', 'constructor'])] = pickValue(rng);
    } else if (typeof current === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(current)) container[last] = rng.pick(['2026-02-29', '2025-12-31', '2027-01-01', current.replace(/-(\d\d)$/, '-31')]);
    else container[last] = pickValue(rng);
  }
  return copy;
}
