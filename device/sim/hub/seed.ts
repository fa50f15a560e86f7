// The reference hub's seed data: the patients of the worked cases (docs/settlement.md,
// test/fixtures/cases, copied into seed-cases.json and held equal to them by
// test/unit/hub-seed.test.ts) with their institutions, the treatment places'
// catalogues, the insured places' policies and each patient's pending bill;
// and synthetic populations (`hub generate --persons N --seed S`), which are
// never stored person by person: person i and bill j of seed S are pure
// functions of (S, i, j), so a population of millions costs one record.
import { createHash } from 'node:crypto';
import type { CatalogueRecord } from '../../../src/catalogue/layout';
import type { PolicyEntry } from '../../../src/catalogue/policy-book';
import { ecertCheck, type Credential, type FeeLine, type Institution, type Person } from '../../../protocol/messages';
import { seededRandom, type Random } from '../prng';
import { generateCatalogueRecords } from './catalogue-gen';
import seedCases from './seed-cases.json';

/** A person as the hub holds it: the wire's person record and the credentials that find it. */
export interface HubPerson {
  readonly person: Person;
  readonly credentials: readonly Credential[];
}

export interface HubBill {
  readonly psn_no: string;
  readonly mdtrt_id: string;
  readonly fixmedins_code: string;
  readonly date: string;
  readonly med_type: '11' | '14' | '21' | '41';
  readonly opsp_dise: Person['chronic'][number]['dise'] | null;
  readonly lines: readonly FeeLine[];
}

/** What a seed patient's card, ID card and e-certificate say (for a card reader's cards file, QR codes). */
export interface SeedIdentity {
  readonly case: string;
  readonly story: string;
  readonly psn_no: string;
  readonly name: string;
  readonly cardNumber: string;
  readonly cardSerial: string;
  readonly idNumber: string;
  readonly areaCode: string;
  readonly ecert: string;
  readonly mdtrt_id: string;
  readonly fixmedins_code: string;
}

interface SeedCase {
  readonly name: string;
  readonly story: string;
  readonly case: {
    readonly date: string;
    readonly person: Omit<Person, 'psn_name'> & { readonly acct_used: boolean };
    readonly institution: Institution;
    readonly visit: { readonly med_type: HubBill['med_type']; readonly opsp_dise: HubBill['opsp_dise']; readonly lines: FeeLine[] };
    readonly catalogue: { readonly version: string; readonly items: Record<string, Omit<CatalogueRecord, 'code' | 'name' | 'unit' | 'list_price'>> };
    readonly policy: { readonly admdvs: string; readonly version: string };
  };
}

export const seeds = seedCases as unknown as readonly SeedCase[];
export const policyBookVersion = 'policy-book-2026.1';
/** Synthetic items added to each seed catalogue, so a sync moves a realistic amount of data. */
export const seedFillerItems = 1_000;

const names: Readonly<Record<string, string>> = {
  P130125000001: '张建国',
  P330400000002: '王秀英',
  P230400000003: '刘长海',
  P230400000004: '赵国庆',
  P130125000005: '李春生',
  P330400000006: '陈志强',
  P130125000007: '孙桂兰',
};

/** Names, units and list prices of the worked cases' items (their rules come from the cases). */
const itemNames: Readonly<Record<string, readonly [string, string, number]>> = {
  '001102000010000': ['住院诊查费', '日', 8_000],
  '003302010010000': ['颈动脉造影术', '次', 420_000],
  '003311010040000': ['颈动脉内膜剥脱术', '次', 1_850_000],
  C0302310100100204459: ['颈动脉支架', '个', 1_180_000],
  XB01ACA056A001010100123: ['阿司匹林肠溶片(100mg)', '片', 60],
  XB01ACC141A001010104588: ['氯吡格雷片(75mg)', '片', 1_500],
  XC10AAA126A001020100211: ['阿托伐他汀钙片(20mg)', '片', 1_400],
  ZZ9999999999: ['医用保健品', '盒', 9_900],
  '001101000010000': ['门诊诊查费', '次', 2_500],
  XA10BAA089A001010100456: ['二甲双胍缓释片(0.5g)', '片', 270],
  XC09CAA124A001010100389: ['缬沙坦胶囊(80mg)', '粒', 450],
  XG03CAA058A001010100777: ['雌二醇片(1mg)', '片', 400],
  ZA99000000000: ['中药饮片', '剂', 2_200],
  XC08CAA148A001010100302: ['苯磺酸氨氯地平片(5mg)', '片', 180],
  XC09AAA077A001010100155: ['马来酸依那普利片(10mg)', '片', 130],
  '002502010010000': ['动态血压监测', '次', 18_000],
};

/** GB 11643 check character of 17 digits. */
function idCheck(body: string): string {
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  let sum = 0;
  for (let index = 0; index < 17; index += 1) sum += Number(body[index]) * (weights[index] as number);
  return '10X98765432'[sum % 11] as string;
}

export function idNumber(area: string, brdy: string, serial: number): string {
  const body = `${area}${brdy.replaceAll('-', '')}${String(serial % 1000).padStart(3, '0')}`;
  return body + idCheck(body);
}

/** The seed patients' identities (one per worked case). */
export function seedIdentities(): SeedIdentity[] {
  return seeds.map((seed, index) => {
    const person = seed.case.person;
    const serial = index + 1;
    const digits = person.psn_no.slice(1);
    return {
      case: seed.name,
      story: seed.story,
      psn_no: person.psn_no,
      name: names[person.psn_no] ?? person.psn_no,
      cardNumber: `S${digits.slice(0, 4)}${String(serial).padStart(5, '0')}`,
      cardSerial: `CS${digits}`,
      idNumber: idNumber(person.insuplc_admdvs, person.brdy, person.gend === '2' ? serial * 2 : serial * 2 + 1),
      areaCode: person.insuplc_admdvs,
      ecert: withEcertCheck(`ECT1:SEED-${digits}-`),
      mdtrt_id: `M${seed.case.institution.fixmedins_code}${seed.case.date.replaceAll('-', '')}${String(serial).padStart(2, '0')}`,
      fixmedins_code: seed.case.institution.fixmedins_code,
    };
  });
}

function credentialsOf(identity: Pick<SeedIdentity, 'cardNumber' | 'cardSerial' | 'idNumber' | 'ecert'>): Credential[] {
  return [
    { kind: 'ss_card', id: identity.cardNumber, card_sn: identity.cardSerial },
    { kind: 'id_card', id: identity.idNumber, card_sn: null },
    { kind: 'ecert', id: identity.ecert, card_sn: null },
  ];
}

/** The seed persons as the hub stores them (the case's person, without the terminal's acct_used, with a name). */
export function seedPersons(): HubPerson[] {
  const identities = seedIdentities();
  return seeds.map((seed, index) => {
    const { acct_used: _chosenAtTheTerminal, ...person } = seed.case.person;
    const identity = identities[index] as SeedIdentity;
    return { person: { ...person, psn_name: identity.name }, credentials: credentialsOf(identity) };
  });
}

/** Every institution of the cases (the first case that names one decides its record). */
export function seedInstitutions(): Institution[] {
  const byCode = new Map<string, Institution>();
  for (const seed of seeds) if (!byCode.has(seed.case.institution.fixmedins_code)) byCode.set(seed.case.institution.fixmedins_code, seed.case.institution);
  return [...byCode.values()];
}

/** The catalogue line of an institution: its province (the treatment place's catalogue is provincial). */
export function catalogueLineOf(institution: Pick<Institution, 'admdvs'>): string {
  return institution.admdvs.slice(0, 2);
}

export interface SeedCatalogue {
  readonly line: string;
  readonly version: string;
  readonly records: CatalogueRecord[];
}

/** One catalogue per treatment place: the cases' items, named, plus synthetic filler. */
export function seedCatalogues(filler = seedFillerItems): SeedCatalogue[] {
  const byLine = new Map<string, SeedCatalogue>();
  for (const seed of seeds) {
    const line = catalogueLineOf(seed.case.institution);
    if (byLine.has(line)) continue;
    const records: CatalogueRecord[] = Object.entries(seed.case.catalogue.items).map(([code, item]) => {
      const [name, unit, list_price] = itemNames[code] ?? [code, '个', 100];
      return { code, ...item, name, unit, list_price };
    });
    const codes = new Set(records.map((record) => record.code));
    for (const record of generateCatalogueRecords(filler, Number(line) * 7_919)) {
      if (!codes.has(record.code)) records.push(record);
      codes.add(record.code);
    }
    byLine.set(line, { line, version: seed.case.catalogue.version, records });
  }
  return [...byLine.values()];
}

/**
 * Self-service filing (src/core/filing.ts) as the seed insured places allow
 * it: Hebei's Shijiazhuang lets a kiosk file a temporary filing for 180 days
 * for the treatment place's province, up to 120 days back (the worked case 05
 * says a retroactive filing is allowed: its visit of 2026-03-20 is 102 days
 * before the demo's day, 2026-06-30, where Mr. Li files at the kiosk and
 * settles); the other places leave filing to their counters and the national service.
 */
export const seedSelfFiling: Readonly<Record<string, Readonly<Record<string, unknown>>>> = {
  '130100': { self_filing: true, temporary_days: 180, filing_retro_days: 120, filing_area: 'province' },
};

/** The insured places' policies, each as the JSON text of the case, with the self-service filing fields of its place (settlement ignores them). */
export function seedPolicies(): PolicyEntry[] {
  const byArea = new Map<string, PolicyEntry>();
  for (const seed of seeds) {
    const policy = seed.case.policy as { readonly admdvs: string; readonly offsite?: object };
    const filing = seedSelfFiling[policy.admdvs];
    const text = JSON.stringify(filing === undefined ? policy : { ...policy, offsite: { ...policy.offsite, ...filing } });
    byArea.set(policy.admdvs, { area: policy.admdvs, text });
  }
  return [...byArea.values()];
}

/**
 * The pending bills whose lines are not the worked case's, by psn_no. Worked
 * case 05 proves one thing, the refusal of a patient who never filed
 * (`filing_required`, whatever he was billed), and does it with the smallest
 * bill there is: one box of aspirin, 18.00, all under Hebei's 200.00
 * outpatient deductible at a level-3 hospital. Settled with a temporary
 * filing, such a bill costs the patient exactly what a long-term filing
 * would, so the kiosk's offer would tell Mr. Li his cut costs him 0.00: true,
 * and no demonstration of what the patient must be told before confirming
 * (issue 16). His story is an outpatient visit at the Beijing hospital,
 * nothing smaller; the hub's bill for that visit (same hospital, same day,
 * same bill number, the case's aspirin its first line) is the month's
 * prescription such a visit writes: the aspirin with clopidogrel and
 * atorvastatin, thirty days each, at the Beijing catalogue's list prices,
 * 888.00 in all, the items and prices Mr. Zhang's discharge bill (case 01)
 * already uses. Over the deductible, its temporary filing's 15.00% cut costs
 * him 93.52 more than a long-term filing would (the settlement core's two
 * settlements of it; the demo's tests hold the kiosk to them). The case file
 * is unchanged; only the hub's bill is his visit's.
 */
export const seedBillLines: Readonly<Record<string, readonly FeeLine[]>> = {
  P130125000005: [
    { sn: '1', code: 'XB01ACA056A001010100123', qty_milli: 30_000, amt: 1_800 },
    { sn: '2', code: 'XB01ACC141A001010104588', qty_milli: 30_000, amt: 45_000 },
    { sn: '3', code: 'XC10AAA126A001020100211', qty_milli: 30_000, amt: 42_000 },
  ],
};

/** Each seed patient's pending bill: the case's visit at the case's institution (its lines the case's, or seedBillLines'). */
export function seedBills(): HubBill[] {
  const identities = seedIdentities();
  return seeds.map((seed, index) => ({
    psn_no: seed.case.person.psn_no,
    mdtrt_id: (identities[index] as SeedIdentity).mdtrt_id,
    fixmedins_code: seed.case.institution.fixmedins_code,
    date: seed.case.date,
    med_type: seed.case.visit.med_type,
    opsp_dise: seed.case.visit.opsp_dise,
    lines: seedBillLines[seed.case.person.psn_no] ?? seed.case.visit.lines,
  }));
}

/**
 * Seed patient `index`'s worked case with the visit the hub bills (the
 * case's, with seedBillLines' lines where those replace them): what the
 * settlement core settles for the hub's pending bill, as parsed JSON.
 */
export function seedBillCase(index: number): Record<string, unknown> {
  const seed = seeds[index] as SeedCase;
  const lines = seedBillLines[seed.case.person.psn_no];
  return lines === undefined ? { ...seed.case } : { ...seed.case, visit: { ...seed.case.visit, lines: lines.map((line) => ({ ...line })) } };
}

// ---- synthetic populations -------------------------------------------------

export interface Population {
  readonly seed: number;
  readonly persons: number;
  readonly billsPerPerson: number;
  /** The visit date of every bill (and the year of every person's accumulators). */
  readonly date: string;
}

const insuredPlaces = [
  { area: '130125', insutype: '390' },
  { area: '330402', insutype: '310' },
  { area: '230402', insutype: '310' },
] as const;
const surnames = ['王', '李', '张', '刘', '陈', '杨', '黄', '赵', '吴', '周', '徐', '孙'];
const givenNames = ['伟', '芳', '娜', '秀英', '敏', '静', '丽', '强', '磊', '军', '洋', '勇', '艳', '杰', '娟', '涛', '明', '超', '秀兰', '霞'];

function hash32(text: string): number {
  return createHash('sha256').update(text).digest().readUInt32BE(0);
}

function pick<T>(random: Random, items: readonly T[]): T {
  return items[random.below(items.length)] as T;
}

function shiftDate(date: string, days: number): string {
  return new Date(Date.parse(date) + days * 86_400_000).toISOString().slice(0, 10);
}

export const syntheticPsnNo = (seed: number, index: number): string => `G${seed}P${index}`;
export const syntheticMdtrtId = (seed: number, index: number, bill: number): string => `G${seed}P${index}B${bill}`;
const syntheticPattern = /^G([0-9]{1,10})P([0-9]{1,8})$/;
const syntheticBillPattern = /^G([0-9]{1,10})P([0-9]{1,8})B([0-9]{1,5})$/;

/** (seed, person index) of a synthetic psn_no, or null. */
export function parseSyntheticPsnNo(psnNo: string): { seed: number; index: number } | null {
  const match = syntheticPattern.exec(psnNo);
  return match === null ? null : { seed: Number(match[1]), index: Number(match[2]) };
}

/** (seed, person index, bill index) of a synthetic mdtrt_id, or null. */
export function parseSyntheticMdtrtId(mdtrtId: string): { seed: number; index: number; bill: number } | null {
  const match = syntheticBillPattern.exec(mdtrtId);
  return match === null ? null : { seed: Number(match[1]), index: Number(match[2]), bill: Number(match[3]) };
}

/** The institution a synthetic person is treated at: person i at the (i mod n)-th seed institution. */
export function syntheticInstitution(index: number): Institution {
  const institutions = seedInstitutions();
  return institutions[index % institutions.length] as Institution;
}

/** An e-certificate token: `text` and its check (the CRC-32 of `text` in hex, protocol/messages.ts `ecertCheck`), as an issuer makes one. */
export function withEcertCheck(text: string): string {
  return text + ecertCheck(text);
}

/** Credentials of a synthetic person: a card `G{seed}C{i}` (serial `GS{i}`), an e-certificate token. */
export function syntheticCredentials(seed: number, index: number): Credential[] {
  return [
    { kind: 'ss_card', id: `G${seed}C${index}`, card_sn: `GS${index}` },
    { kind: 'ecert', id: withEcertCheck(`ECT1:G${seed}P${index}-${'0'.repeat(8)}`), card_sn: null },
  ];
}

/** (seed, index) of a synthetic credential, or null. */
export function parseSyntheticCredential(credential: Credential): { seed: number; index: number } | null {
  const match = credential.kind === 'ss_card' ? /^G([0-9]{1,10})C([0-9]{1,8})$/.exec(credential.id) : credential.kind === 'ecert' ? /^ECT1:G([0-9]{1,10})P([0-9]{1,8})-0{8}[0-9a-f]{8}$/.exec(credential.id) : null;
  return match === null ? null : { seed: Number(match[1]), index: Number(match[2]) };
}

/** Person i of a population: insured in Hebei, Jiaxing or Hegang, filed where its institution is. */
export function syntheticPerson(population: Population, index: number): HubPerson {
  const random = seededRandom(hash32(`person:${population.seed}:${index}`));
  const place = pick(random, insuredPlaces);
  const institution = syntheticInstitution(index);
  const retired = place.insutype === '310' && random.below(3) === 0;
  const brdy = shiftDate('1940-01-01', random.below(60 * 365));
  const filingType = retired ? 'relocated_retiree' : pick(random, ['long_term_resident', 'long_term_worker', 'temporary'] as const);
  const person: Person = {
    psn_no: syntheticPsnNo(population.seed, index),
    psn_name: pick(random, surnames) + pick(random, givenNames),
    gend: random.below(2) === 0 ? '1' : '2',
    brdy,
    insuplc_admdvs: place.area,
    insutype: place.insutype,
    psn_type: place.insutype === '390' ? 'resident' : retired ? 'retired' : 'active',
    filing: { type: filingType, area: `${institution.admdvs.slice(0, 2)}0000`, begndate: shiftDate(population.date, -200), enddate: null, fixmedins: null },
    chronic: [],
    maf_class: place.insutype === '390' && random.below(10) === 0 ? 'low_income' : null,
    acct_balance: place.insutype === '310' ? random.below(200_000) : 0,
    ytd: { year: Number(population.date.slice(0, 4)), acc: {} },
  };
  return { person, credentials: syntheticCredentials(population.seed, index) };
}

/** Bill j of person i: two to six lines of its institution's catalogue items (drugs only at a pharmacy). */
export function syntheticBill(population: Population, index: number, bill: number): HubBill {
  const random = seededRandom(hash32(`bill:${population.seed}:${index}:${bill}`));
  const institution = syntheticInstitution(index);
  const pharmacy = institution.fixmedins_code.startsWith('P');
  const seed = seeds.find((candidate) => catalogueLineOf(candidate.case.institution) === catalogueLineOf(institution)) as SeedCase;
  const codes = Object.entries(seed.case.catalogue.items)
    .filter(([, item]) => !pharmacy || item.kind === 'drug')
    .map(([code]) => code);
  const count = 2 + random.below(5);
  const lines: FeeLine[] = [];
  for (let line = 0; line < count; line += 1) {
    lines.push({ sn: String(line + 1), code: pick(random, codes), qty_milli: 1_000 * (1 + random.below(5)), amt: 200 + random.below(30_000) });
  }
  return {
    psn_no: syntheticPsnNo(population.seed, index),
    mdtrt_id: syntheticMdtrtId(population.seed, index, bill),
    fixmedins_code: institution.fixmedins_code,
    date: population.date,
    med_type: pharmacy ? '41' : '11',
    opsp_dise: null,
    lines,
  };
}

/** The Ed25519 seed of generated terminal t (so a load generator can sign as it). */
export function syntheticTerminalSeed(seed: number, terminal: number): Uint8Array {
  return new Uint8Array(createHash('sha256').update(`terminal:${seed}:${terminal}`).digest());
}

export const syntheticTerminalId = (seed: number, terminal: number): string => `G${seed}T${terminal}`;
