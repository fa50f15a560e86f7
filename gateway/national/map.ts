// Our messages <-> the national transactions, field by field. Each builder
// takes a hub-protocol body (protocol/messages.ts) and the gateway's fixed
// identity and returns the `input` of one infno, shaped as fields.ts says;
// each reader takes a checked `output` and returns our body, amounts
// converted fen <-> yuan by gateway/money.ts (never through a float). The
// simulator uses the output builders, the gateway the readers, so a round
// trip is exact to the fen (test/unit/gateway-fields.test.ts).
import type { Credential, Person, ReconEntry, ReconTotals, SettleInput, SettleResult } from '../../protocol/messages';
import { decimalText, fenToYuan, parseDecimal, yuanToFen } from '../money';

/** Who the gateway is to the platform: the operator, the machine and the billing doctor and department it reports. */
export interface Identity {
  readonly opterNo: string;
  readonly mac: string;
  readonly ip: string;
  readonly deptCode: string;
  readonly deptName: string;
  readonly drCode: string;
  readonly drName: string;
  readonly caty: string;
  /** The settlement agency (结算经办机构) reconciliation is done with. */
  readonly setlOptins: string;
}

export type Fields = Record<string, string>;
export type Input = Record<string, Fields | Fields[]>;

/** 就诊凭证类型: 01 e-certificate, 02 ID card, 03 social-security card. */
export const mdtrtCertTypes = { ecert: '01', id_card: '02', ss_card: '03' } as const satisfies Record<Credential['kind'], string>;
/** 人员类别 of our person types. */
export const psnTypes = { active: '11', retired: '12', resident: '15' } as const satisfies Record<Person['psn_type'], string>;
/** 个人结算方式: 01 by item (按项目结算). */
const psnSetlwayByItem = '01';
/** Places of a 2204 quantity (qty_milli) and price (micro-yuan). */
const quantityPlaces = 3;
const pricePlaces = 6;
/** Micro-yuan per fen. */
const microYuanPerFen = 10_000n;
const milliPerUnit = 1000n;

/** 9001: the gateway signs in as its operator and machine. */
export function signInInput(identity: Identity): Input {
  return { signIn: { opter_no: identity.opterNo, mac: identity.mac, ip: identity.ip } };
}

/** 1101: the person behind a credential, at the visit's time. */
export function personQueryInput(credential: Credential, begntime: string): Input {
  const data: Fields = { mdtrt_cert_type: mdtrtCertTypes[credential.kind], mdtrt_cert_no: credential.id, begntime };
  if (credential.card_sn !== null) data.card_sn = credential.card_sn;
  return { data };
}

/** 2201: registers the visit of a bill. */
export function registerInput(identity: Identity, psn: { psn_no: string; insutype: string }, certNo: string, mdtrtId: string, begntime: string): Input {
  return {
    data: {
      psn_no: psn.psn_no,
      insutype: psn.insutype,
      begntime,
      mdtrt_cert_type: mdtrtCertTypes.ecert,
      mdtrt_cert_no: certNo,
      ipt_otp_no: mdtrtId,
      atddr_no: identity.drCode,
      dr_name: identity.drName,
      dept_code: identity.deptCode,
      dept_name: identity.deptName,
      caty: identity.caty,
    },
  };
}

/** 2203: the visit's medical type and chronic disease, no diagnosis list (the terminal carries none). */
export function visitInput(input: SettleInput, begntime: string): Input {
  const mdtrtinfo: Fields = { mdtrt_id: input.mdtrt_id, psn_no: input.psn_no, med_type: input.med_type, begntime };
  if (input.opsp_dise !== null) mdtrtinfo.dise_codg = input.opsp_dise;
  return { mdtrtinfo, diseinfo: [] };
}

/** 2204 unit price in yuan text with six places, rounded half up from amt / qty. */
export function unitPrice(amtFen: number, qtyMilli: number): string {
  if (qtyMilli === 0) return decimalText(0n, pricePlaces);
  const numerator = BigInt(amtFen) * microYuanPerFen * milliPerUnit;
  const quantity = BigInt(qtyMilli);
  return decimalText((numerator * 2n + quantity) / (quantity * 2n), pricePlaces);
}

/** 2204: every fee line of a visit, in one batch numbered by `chrgBchno`. */
export function feeDetailInput(identity: Identity, input: SettleInput, chrgBchno: string, feeOcurTime: string): Input {
  return {
    feedetail: input.lines.map((line) => ({
      feedetl_sn: line.sn,
      mdtrt_id: input.mdtrt_id,
      psn_no: input.psn_no,
      chrg_bchno: chrgBchno,
      fee_ocur_time: feeOcurTime,
      med_list_codg: line.code,
      medins_list_codg: line.code,
      det_item_fee_sumamt: fenToYuan(line.amt),
      cnt: decimalText(BigInt(line.qty_milli), quantityPlaces),
      pric: unitPrice(line.amt, line.qty_milli),
      bilg_dept_codg: identity.deptCode,
      bilg_dept_name: identity.deptName,
      bilg_dr_codg: identity.drCode,
      bilg_dr_name: identity.drName,
    })),
  };
}

/** 2205: withdraws a fee batch (before a settlement, or after its reversal). */
export function feeRevokeInput(mdtrtId: string, chrgBchno: string, psnNo: string): Input {
  return { data: { mdtrt_id: mdtrtId, chrg_bchno: chrgBchno, psn_no: psnNo } };
}

/** 2206 and 2207: the settlement of a visit's uploaded batch. */
export function settleDataInput(input: SettleInput, insutype: string, credential: { kind: Credential['kind']; id: string }, chrgBchno: string): Input {
  const data: Fields = {
    psn_no: input.psn_no,
    mdtrt_cert_type: mdtrtCertTypes[credential.kind],
    mdtrt_cert_no: credential.id,
    med_type: input.med_type,
    medfee_sumamt: fenToYuan(input.bill.medfee_sumamt),
    psn_setlway: psnSetlwayByItem,
    mdtrt_id: input.mdtrt_id,
    chrg_bchno: chrgBchno,
    insutype,
    acct_used_flag: input.acct_used ? '1' : '0',
    setl_date: input.date,
    catalogue_version: input.catalogue_version,
    policy_version: input.policy_version,
  };
  if (input.opsp_dise !== null) data.opsp_dise_code = input.opsp_dise;
  return { data };
}

/** 2208: cancels a settlement. */
export function cancelInput(setlId: string, mdtrtId: string, psnNo: string): Input {
  return { data: { setl_id: setlId, mdtrt_id: mdtrtId, psn_no: psnNo } };
}

/** 2601: reverses the transaction sent as `omsgid`. */
export function reversalInput(psnNo: string, omsgid: string, oinfno: string): Input {
  return { data: { psn_no: psnNo, omsgid, oinfno } };
}

/** 3201: the day's totals of one insurance type. */
export function reconTotalsInput(identity: Identity, totals: ReconTotals, insutype: string): Input {
  return {
    data: {
      insutype,
      clr_type: '11',
      setl_optins: identity.setlOptins,
      stmt_begndate: totals.stmt_begndate,
      stmt_enddate: totals.stmt_enddate,
      medfee_sumamt: fenToYuan(totals.medfee_sumamt),
      fund_pay_sumamt: fenToYuan(totals.fund_pay_sumamt),
      acct_pay: fenToYuan(totals.acct_pay),
      fixmedins_setl_cnt: String(totals.setl_cnt),
    },
  };
}

/** 3202: the detail of a period, after its totals. */
export function reconDetailInput(identity: Identity, totals: ReconTotals, entries: readonly ReconEntry[]): Input {
  return {
    data: {
      setl_optins: identity.setlOptins,
      stmt_begndate: totals.stmt_begndate,
      stmt_enddate: totals.stmt_enddate,
      medfee_sumamt: fenToYuan(totals.medfee_sumamt),
      fund_pay_sumamt: fenToYuan(totals.fund_pay_sumamt),
      cash_payamt: fenToYuan(totals.psn_cash_pay),
      fixmedins_setl_cnt: String(totals.setl_cnt),
    },
    detail: entries.map((entry) => ({
      setl_id: entry.setl_id,
      mdtrt_id: entry.mdtrt_id,
      psn_no: entry.psn_no,
      medfee_sumamt: fenToYuan(entry.medfee_sumamt),
      fund_pay_sumamt: fenToYuan(entry.fund_pay_sumamt),
      acct_pay: fenToYuan(entry.acct_pay),
      refd_setl_flag: entry.kind === 'cancel' ? '1' : '0',
    })),
  };
}

/** 5203: what the platform holds of a visit's settlement. */
export function settleQueryInput(psnNo: string, mdtrtId: string, setlId: string | null): Input {
  const data: Fields = { psn_no: psnNo, mdtrt_id: mdtrtId };
  if (setlId !== null) data.setl_id = setlId;
  return { data };
}

// ---- settlement results, both ways ---------------------------------------
const setlinfoAmountNames = [
  'medfee_sumamt',
  'fulamt_ownpay_amt',
  'overlmt_selfpay',
  'preselfpay_amt',
  'inscp_scp_amt',
  'act_pay_dedc',
  'hifp_pay',
  'hifob_pay',
  'hifmi_pay',
  'maf_pay',
  'fund_pay_sumamt',
  'psn_part_amt',
  'acct_pay',
  'psn_cash_pay',
  'balc',
] as const satisfies readonly (keyof SettleResult['setlinfo'])[];

/** The 2206/2207 output blocks of a settlement result (the simulator's side); `ids` heads setlinfo. */
export function settleOutput(result: SettleResult, ids: Fields): Input {
  const setlinfo: Fields = { ...ids };
  for (const name of setlinfoAmountNames) setlinfo[name] = fenToYuan(result.setlinfo[name]);
  setlinfo.reim_bp = String(result.setlinfo.reim_bp);
  return {
    setlinfo,
    setldetail: result.setldetail.map((entry) => ({ fund_pay_type: entry.fund_pay_type, fund_payamt: fenToYuan(entry.fund_payamt) })),
    lines: result.lines.map((line) => {
      const out: Fields = {
        feedetl_sn: line.sn,
        chrgitm_lv: line.chrgitm_lv,
        fulamt_ownpay_amt: fenToYuan(line.fulamt_ownpay_amt),
        overlmt_amt: fenToYuan(line.overlmt_amt),
        preselfpay_amt: fenToYuan(line.preselfpay_amt),
        inscp_scp_amt: fenToYuan(line.inscp_scp_amt),
      };
      if (line.reason !== undefined) out.lmt_used_flag = line.reason;
      return out;
    }),
    acc_delta: Object.entries(result.acc_delta).map(([key, fen]) => ({ acc_key: key, acc_amt: fenToYuan(fen) })),
  };
}

function block(output: Input, name: string): Fields {
  const value = output[name];
  if (value === undefined || Array.isArray(value)) throw new TypeError(`output.${name} must be an object`);
  return value;
}
function blocks(output: Input, name: string): Fields[] {
  const value = output[name];
  if (!Array.isArray(value)) throw new TypeError(`output.${name} must be a list`);
  return value;
}
function field(fields: Fields, name: string): string {
  const value = fields[name];
  if (value === undefined) throw new TypeError(`${name} is missing`);
  return value;
}

/**
 * A settlement result from a 2206/2207 output that checkGroups accepted. The
 * enums are taken as they come: the protocol codec checks them again before
 * the result reaches a terminal.
 */
export function settleResultOf(output: Input): SettleResult {
  const info = block(output, 'setlinfo');
  const setlinfo = Object.fromEntries(setlinfoAmountNames.map((name) => [name, yuanToFen(field(info, name), name)])) as Record<(typeof setlinfoAmountNames)[number], number>;
  return {
    setlinfo: { ...setlinfo, reim_bp: Number(parseDecimal(field(info, 'reim_bp'), 0, 'reim_bp')) },
    lines: blocks(output, 'lines').map((line) => {
      const reason = line.lmt_used_flag;
      const out = {
        sn: field(line, 'feedetl_sn'),
        chrgitm_lv: field(line, 'chrgitm_lv') as SettleResult['lines'][number]['chrgitm_lv'],
        fulamt_ownpay_amt: yuanToFen(field(line, 'fulamt_ownpay_amt')),
        overlmt_amt: yuanToFen(field(line, 'overlmt_amt')),
        preselfpay_amt: yuanToFen(field(line, 'preselfpay_amt')),
        inscp_scp_amt: yuanToFen(field(line, 'inscp_scp_amt')),
      };
      return reason === undefined ? out : { ...out, reason: reason as NonNullable<SettleResult['lines'][number]['reason']> };
    }),
    setldetail: blocks(output, 'setldetail').map((entry) => ({
      fund_pay_type: field(entry, 'fund_pay_type') as SettleResult['setldetail'][number]['fund_pay_type'],
      fund_payamt: yuanToFen(field(entry, 'fund_payamt')),
    })),
    acc_delta: Object.fromEntries(blocks(output, 'acc_delta').map((entry) => [field(entry, 'acc_key'), yuanToFen(field(entry, 'acc_amt'))])),
  };
}

// ---- the person, both ways -------------------------------------------------
/** Separates a filing's institutions in 1101's `fixmedins_codes`. */
const codeSeparator = ',';

/** The 1101 output blocks of a person (the simulator's side). */
export function personOutput(person: Person): Input {
  const insu: Fields = {
    balc: fenToYuan(person.acct_balance),
    insutype: person.insutype,
    psn_type: psnTypes[person.psn_type],
    insuplc_admdvs: person.insuplc_admdvs,
    ytd_year: String(person.ytd.year),
  };
  if (person.maf_class !== null) insu.maf_class = person.maf_class;
  const filing = person.filing;
  const filinginfo: Fields[] = [];
  if (filing !== null) {
    const entry: Fields = { fil_type: filing.type, fil_admdvs: filing.area, begndate: filing.begndate };
    if (filing.enddate !== null) entry.enddate = filing.enddate;
    if (filing.fixmedins !== null && filing.fixmedins.length > 0) entry.fixmedins_codes = filing.fixmedins.join(codeSeparator);
    filinginfo.push(entry);
  }
  const baseinfo: Fields = { psn_no: person.psn_no, gend: person.gend, brdy: person.brdy };
  if (person.psn_name !== '') baseinfo.psn_name = person.psn_name;
  return {
    baseinfo,
    insuinfo: [insu],
    filinginfo,
    opspinfo: person.chronic.map((entry) => {
      const out: Fields = { opsp_dise_code: entry.dise, begndate: entry.begndate };
      if (entry.enddate !== null) out.enddate = entry.enddate;
      return out;
    }),
    ytdinfo: Object.entries(person.ytd.acc).map(([key, fen]) => ({ acc_key: key, acc_amt: fenToYuan(fen) })),
  };
}

const psnTypeOfCode = new Map<string, Person['psn_type']>(Object.entries(psnTypes).map(([name, code]) => [code, name as Person['psn_type']]));

/**
 * The person of a 1101 output that checkGroups accepted (the gateway's side):
 * the first insurance record is the one settled on. The enums are taken as
 * they come; the protocol codec checks them before a terminal sees them.
 */
export function personOf(output: Input): Person {
  const base = block(output, 'baseinfo');
  const insu = blocks(output, 'insuinfo')[0];
  if (insu === undefined) throw new TypeError('output.insuinfo is empty');
  const psnType = psnTypeOfCode.get(field(insu, 'psn_type'));
  if (psnType === undefined) throw new TypeError(`psn_type '${field(insu, 'psn_type')}' is unknown`);
  const fil = blocks(output, 'filinginfo')[0];
  return {
    psn_no: field(base, 'psn_no'),
    psn_name: base.psn_name ?? '',
    gend: field(base, 'gend') as Person['gend'],
    brdy: field(base, 'brdy'),
    insuplc_admdvs: field(insu, 'insuplc_admdvs'),
    insutype: field(insu, 'insutype') as Person['insutype'],
    psn_type: psnType,
    filing:
      fil === undefined
        ? null
        : {
            type: field(fil, 'fil_type') as NonNullable<Person['filing']>['type'],
            area: field(fil, 'fil_admdvs'),
            begndate: field(fil, 'begndate'),
            enddate: fil.enddate ?? null,
            fixmedins: fil.fixmedins_codes === undefined ? null : fil.fixmedins_codes.split(codeSeparator),
          },
    chronic: blocks(output, 'opspinfo').map((entry) => ({
      dise: field(entry, 'opsp_dise_code') as Person['chronic'][number]['dise'],
      begndate: field(entry, 'begndate'),
      enddate: entry.enddate ?? null,
    })),
    maf_class: insu.maf_class ?? null,
    acct_balance: yuanToFen(field(insu, 'balc'), 'balc'),
    ytd: {
      year: Number(parseDecimal(field(insu, 'ytd_year'), 0, 'ytd_year')),
      acc: Object.fromEntries(blocks(output, 'ytdinfo').map((entry) => [field(entry, 'acc_key'), yuanToFen(field(entry, 'acc_amt'))])),
    },
  };
}
