// The shapes of docs/settlement.md §2 (input) and §9 (output), as the core sees
// them once validated. Field names are the national interface's own; they
// cross the wire and reach the receipt as they are.

export const diseases = ['hypertension', 'diabetes', 'cancer_chemo_radio', 'uremia_dialysis', 'transplant_antirejection'] as const;
export type Disease = (typeof diseases)[number];

export const filingTypes = ['relocated_retiree', 'long_term_resident', 'long_term_worker', 'referral', 'emergency', 'temporary'] as const;
export type FilingType = (typeof filingTypes)[number];

export const medTypes = ['11', '14', '21', '41'] as const;
/** 11 outpatient, 14 chronic/special outpatient, 21 inpatient, 41 retail pharmacy. */
export type MedType = (typeof medTypes)[number];

export type Insutype = '310' | '390';
export type Level = 1 | 2 | 3;
export type LevelKey = '1' | '2' | '3';

export interface Filing {
  readonly type: FilingType;
  readonly area: string;
  readonly begndate: string;
  readonly enddate: string | null;
  readonly fixmedins: readonly string[] | null;
}

export interface ChronicQualification {
  readonly dise: Disease;
  readonly begndate: string;
  readonly enddate: string | null;
}

export interface Person {
  readonly psn_no: string;
  readonly gend: '1' | '2';
  readonly brdy: string;
  readonly insuplc_admdvs: string;
  readonly insutype: Insutype;
  readonly psn_type: 'active' | 'retired' | 'resident';
  readonly filing: Filing | null;
  readonly chronic: readonly ChronicQualification[];
  readonly maf_class: string | null;
  readonly acct_balance: number;
  readonly acct_used: boolean;
  readonly ytd: { readonly year: number; readonly acc: Readonly<Record<string, number>> };
}

export interface Institution {
  readonly fixmedins_code: string;
  readonly admdvs: string;
  readonly level: Level;
  readonly offsite: boolean;
  readonly chronic: readonly Disease[];
}

export interface FeeLine {
  readonly sn: string;
  readonly code: string;
  readonly qty_milli: number;
  readonly amt: number;
}

export interface Visit {
  readonly med_type: MedType;
  readonly opsp_dise: Disease | null;
  readonly lines: readonly FeeLine[];
}

export type ItemKind = 'drug' | 'service' | 'consumable';
/** 01 甲, 02 乙, 03 丙 (chrgitm_lv). */
export type ItemLevel = '01' | '02' | '03';

/** The treatment place's catalogue entry (§2 ITEM). */
export interface Item {
  readonly kind: ItemKind;
  readonly lv: ItemLevel;
  readonly selfpay_bp: number;
  readonly cap: number | null;
  readonly gend: '1' | '2' | null;
  readonly age_min: number | null;
  readonly age_max: number | null;
  readonly chronic_only: readonly Disease[] | null;
}

export interface Band {
  readonly to: number | null;
  readonly bp: Readonly<Record<LevelKey, number>>;
}

export interface Benefit {
  readonly ded: Readonly<Record<LevelKey, number>>;
  readonly ded_mode: 'year' | 'visit';
  readonly ded_key: string;
  readonly bands: readonly Band[];
  readonly retired_bonus_bp: number;
  readonly cap: number;
  readonly cap_key: string;
}

export interface Segment {
  readonly from: number;
  readonly to: number | null;
  readonly bp: number;
}

export interface SecondLayer {
  readonly segments: readonly Segment[];
  readonly cap: number;
}

export interface Scheme {
  readonly outpatient?: Benefit;
  readonly inpatient?: Benefit;
  readonly chronic?: Readonly<Partial<Record<Disease, Benefit>>>;
  readonly second?: SecondLayer;
}

export interface MafClass {
  readonly ded: number;
  readonly bp: number;
  readonly cap: number;
}

/** The insured place's policy (§2 POLICY). */
export interface Policy {
  readonly admdvs: string;
  readonly version: string;
  readonly schemes: Readonly<Partial<Record<Insutype, Scheme>>>;
  readonly offsite: { readonly referral_cut_bp: number; readonly temporary_cut_bp: number };
  readonly maf: Readonly<Record<string, MafClass>>;
}

/**
 * The catalogue as the core reads it: a version and a lookup by code. Both the
 * JSON case form and the compact catalogue store implement it, so the core
 * never needs the whole catalogue as one object.
 */
export interface ItemSource {
  readonly version: string;
  /**
   * The item of that code, or undefined when the catalogue has none. Items
   * returned are valid per §2. A source may read the item in place into one
   * view that its next lookup overwrites (the compact store does, so that a
   * bill's lookups allocate nothing): read it before the next call, copy it
   * to keep it.
   */
  item(code: string): Item | undefined;
}

/** A case with every part validated; the catalogue is read through its source. */
export interface SettleInput {
  readonly date: string;
  readonly person: Person;
  readonly institution: Institution;
  readonly visit: Visit;
  readonly catalogue: ItemSource;
  readonly policy: Policy;
}

export type RefusalCode =
  | 'invalid_input'
  | 'policy_not_found'
  | 'institution_not_networked'
  | 'filing_required'
  | 'filing_not_valid_on_date'
  | 'filing_area_mismatch'
  | 'institution_not_selected'
  | 'chronic_requires_long_term_filing'
  | 'chronic_not_qualified'
  | 'chronic_not_opened_at_institution'
  | 'unknown_item';

export interface Refusal {
  readonly ok: false;
  readonly error: { readonly code: RefusalCode; readonly sn?: string };
}

export type RestrictionReason = 'restricted:gender' | 'restricted:age' | 'restricted:chronic';

export interface LineResult {
  readonly sn: string;
  readonly chrgitm_lv: ItemLevel;
  readonly fulamt_ownpay_amt: number;
  readonly overlmt_amt: number;
  readonly preselfpay_amt: number;
  readonly inscp_scp_amt: number;
  readonly reason?: RestrictionReason;
}

export interface Setlinfo {
  readonly medfee_sumamt: number;
  readonly fulamt_ownpay_amt: number;
  readonly overlmt_selfpay: number;
  readonly preselfpay_amt: number;
  readonly inscp_scp_amt: number;
  readonly act_pay_dedc: number;
  readonly hifp_pay: number;
  readonly hifob_pay: number;
  readonly hifmi_pay: number;
  readonly maf_pay: number;
  readonly fund_pay_sumamt: number;
  readonly psn_part_amt: number;
  readonly acct_pay: number;
  readonly psn_cash_pay: number;
  readonly balc: number;
  readonly reim_bp: number;
}

/** Fund codes of setldetail (§9). */
export type FundPayType = '310100' | '310200' | '330100' | '390100' | '390200' | '610100';

export interface FundPayment {
  readonly fund_pay_type: FundPayType;
  readonly fund_payamt: number;
}

export interface Settlement {
  readonly ok: true;
  readonly setlinfo: Setlinfo;
  readonly lines: readonly LineResult[];
  readonly setldetail: readonly FundPayment[];
  readonly acc_delta: Readonly<Record<string, number>>;
}

export type SettleOutput = Settlement | Refusal;
