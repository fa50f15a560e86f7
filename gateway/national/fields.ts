// The national interface's transactions as the gateway speaks them: one table
// of every infno it sends (9001 sign-in, 1101 person, 2201/2203/2204/2205
// registration, visit and fee details, 2206 pre-settlement, 2207 settlement,
// 2208 cancel, 2601 reversal, 3201/3202 reconciliation, 5203 settlement
// query), each field with its national name, type, length and required flag,
// for the `input` the gateway sends and the `output` it reads back.
//
// The one checker below (checkGroup) is what both sides apply: the gateway to
// what it builds and to every answer before it acts on it, the simulator to
// every request, refusing like the platform (a missing required field, a
// wrong type or length, a field the transaction has not). Types follow the
// interface: text of at most `length` characters, dates `yyyy-MM-dd`, times
// `yyyy-MM-dd HH:mm:ss`, amounts yuan with two places (gateway/money.ts),
// other decimals with their own places. README.md, "Gateway", prints this table.
import { DecimalTextError, parseDecimal, yuanPlaces } from '../money';

export type FieldType = 'text' | 'date' | 'datetime' | 'amount' | 'decimal';

export interface FieldSpec {
  readonly name: string;
  readonly type: FieldType;
  /** Characters of text; digits of a decimal, its places included. */
  readonly length: number;
  /** Places of a decimal (2 for an amount). */
  readonly places: number;
  readonly required: boolean;
  readonly label: string;
}

/** A named block of fields: one object, or a list of up to `itemsMax` objects. */
export interface GroupSpec {
  readonly name: string;
  readonly itemsMax: number | null;
  readonly fields: readonly FieldSpec[];
}

export interface TransactionSpec {
  readonly infno: string;
  readonly label: string;
  readonly input: readonly GroupSpec[];
  readonly output: readonly GroupSpec[];
}

/** Lines of one 2204 upload (the platform's batch limit). */
export const feedetailItemsMax = 500;
/** Fund payments of one settlement (docs/settlement.md §9: six fund codes). */
export const setldetailItemsMax = 6;
/** Insurance records of one person in a 1101 answer. */
export const insuinfoItemsMax = 8;
/** Diagnoses of one visit (2203). */
export const diseinfoItemsMax = 20;
/** Filings and chronic qualifications of one person (1101 extension groups). */
export const qualificationItemsMax = 16;
/** Lines of one settlement's result (2206/2207 `lines`, as 2204's result). */
export const lineResultItemsMax = feedetailItemsMax;
/** Accumulator moves of one settlement (2207 `acc_delta`). */
export const accItemsMax = 32;

const dateLength = 10;
const datetimeLength = 19;
const amountDigits = 16;

function text(name: string, length: number, required: boolean, label: string): FieldSpec {
  return { name, type: 'text', length, places: 0, required, label };
}
function date(name: string, required: boolean, label: string): FieldSpec {
  return { name, type: 'date', length: dateLength, places: 0, required, label };
}
function datetime(name: string, required: boolean, label: string): FieldSpec {
  return { name, type: 'datetime', length: datetimeLength, places: 0, required, label };
}
function amount(name: string, required: boolean, label: string): FieldSpec {
  return { name, type: 'amount', length: amountDigits, places: yuanPlaces, required, label };
}
function decimal(name: string, length: number, places: number, required: boolean, label: string): FieldSpec {
  return { name, type: 'decimal', length, places, required, label };
}
function one(name: string, fields: readonly FieldSpec[]): GroupSpec {
  return { name, itemsMax: null, fields };
}
function many(name: string, itemsMax: number, fields: readonly FieldSpec[]): GroupSpec {
  return { name, itemsMax, fields };
}

// ---- shared blocks -------------------------------------------------------
const setlinfoAmounts = [
  amount('medfee_sumamt', true, '医疗费总额'),
  amount('fulamt_ownpay_amt', true, '全自费金额'),
  amount('overlmt_selfpay', true, '超限价自费费用'),
  amount('preselfpay_amt', true, '先行自付金额'),
  amount('inscp_scp_amt', true, '符合政策范围金额'),
  amount('act_pay_dedc', true, '实际支付起付线'),
  amount('hifp_pay', true, '基本医疗保险统筹基金支出'),
  amount('hifob_pay', true, '职工大额医疗费用补助基金支出'),
  amount('hifmi_pay', true, '居民大病保险资金支出'),
  amount('maf_pay', true, '医疗救助基金支出'),
  amount('fund_pay_sumamt', true, '基金支付总额'),
  amount('psn_part_amt', true, '个人负担总金额'),
  amount('acct_pay', true, '个人账户支出'),
  amount('psn_cash_pay', true, '个人现金支出'),
  amount('balc', true, '余额'),
  decimal('reim_bp', 5, 0, true, '报销比例(基点)'),
];
const settleData = [
  text('psn_no', 30, true, '人员编号'),
  text('mdtrt_cert_type', 3, true, '就诊凭证类型'),
  text('mdtrt_cert_no', 50, true, '就诊凭证编号'),
  text('med_type', 6, true, '医疗类别'),
  amount('medfee_sumamt', true, '医疗费总额'),
  text('psn_setlway', 6, true, '个人结算方式'),
  text('mdtrt_id', 30, true, '就诊ID'),
  text('chrg_bchno', 30, true, '收费批次号'),
  text('insutype', 6, true, '险种类型'),
  text('acct_used_flag', 3, true, '个人账户使用标志'),
  date('setl_date', true, '结算日期'),
  text('opsp_dise_code', 30, false, '门慢门特病种'),
  text('catalogue_version', 64, true, '目录版本'),
  text('policy_version', 64, true, '政策版本'),
];
const lineResult = many('lines', lineResultItemsMax, [
  text('feedetl_sn', 30, true, '费用明细流水号'),
  text('chrgitm_lv', 3, true, '收费项目等级'),
  amount('fulamt_ownpay_amt', true, '全自费金额'),
  amount('overlmt_amt', true, '超限价金额'),
  amount('preselfpay_amt', true, '先行自付金额'),
  amount('inscp_scp_amt', true, '符合政策范围金额'),
  text('lmt_used_flag', 30, false, '限制使用原因'),
]);
const setldetail = many('setldetail', setldetailItemsMax, [
  text('fund_pay_type', 6, true, '基金支付类型'),
  amount('fund_payamt', true, '基金支付金额'),
]);
const accDelta = many('acc_delta', accItemsMax, [
  text('acc_key', 32, true, '累计项'),
  amount('acc_amt', true, '累计金额'),
]);

/** Every transaction the gateway sends, by infno. */
export const transactions: readonly TransactionSpec[] = [
  {
    infno: '9001',
    label: '签到',
    input: [one('signIn', [text('opter_no', 30, true, '操作员编号'), text('mac', 20, true, '签到MAC地址'), text('ip', 15, true, '签到IP地址')])],
    output: [one('signinoutb', [datetime('sign_time', true, '签到时间'), text('sign_no', 30, true, '签到编号')])],
  },
  {
    infno: '1101',
    label: '人员信息获取',
    input: [
      one('data', [
        text('mdtrt_cert_type', 3, true, '就诊凭证类型'),
        text('mdtrt_cert_no', 512, true, '就诊凭证编号'),
        text('card_sn', 32, false, '卡识别码'),
        datetime('begntime', true, '开始时间'),
        text('psn_cert_type', 6, false, '人员证件类型'),
        text('certno', 50, false, '证件号码'),
        text('psn_name', 50, false, '人员姓名'),
      ]),
    ],
    output: [
      one('baseinfo', [
        text('psn_no', 30, true, '人员编号'),
        text('psn_name', 64, false, '人员姓名'),
        text('gend', 6, true, '性别'),
        date('brdy', true, '出生日期'),
      ]),
      many('insuinfo', insuinfoItemsMax, [
        amount('balc', true, '余额'),
        text('insutype', 6, true, '险种类型'),
        text('psn_type', 6, true, '人员类别'),
        text('insuplc_admdvs', 6, true, '参保地医保区划'),
        text('maf_class', 16, false, '医疗救助类别'),
        decimal('ytd_year', 4, 0, true, '累计年度'),
      ]),
      many('filinginfo', qualificationItemsMax, [
        text('fil_type', 30, true, '备案类型'),
        text('fil_admdvs', 6, true, '备案就医地'),
        date('begndate', true, '开始日期'),
        date('enddate', false, '结束日期'),
        text('fixmedins_codes', 511, false, '备案定点机构'),
      ]),
      many('opspinfo', qualificationItemsMax, [
        text('opsp_dise_code', 30, true, '门慢门特病种'),
        date('begndate', true, '开始日期'),
        date('enddate', false, '结束日期'),
      ]),
      many('ytdinfo', accItemsMax, [text('acc_key', 32, true, '累计项'), amount('acc_amt', true, '累计金额')]),
    ],
  },
  {
    infno: '2201',
    label: '门诊挂号',
    input: [
      one('data', [
        text('psn_no', 30, true, '人员编号'),
        text('insutype', 6, true, '险种类型'),
        datetime('begntime', true, '开始时间'),
        text('mdtrt_cert_type', 3, true, '就诊凭证类型'),
        text('mdtrt_cert_no', 50, true, '就诊凭证编号'),
        text('ipt_otp_no', 30, true, '住院/门诊号'),
        text('atddr_no', 30, true, '医师编码'),
        text('dr_name', 50, true, '医师姓名'),
        text('dept_code', 30, true, '科室编码'),
        text('dept_name', 100, true, '科室名称'),
        text('caty', 10, true, '科别'),
      ]),
    ],
    output: [one('data', [text('mdtrt_id', 30, true, '就诊ID'), text('psn_no', 30, true, '人员编号'), text('ipt_otp_no', 30, true, '住院/门诊号')])],
  },
  {
    infno: '2203',
    label: '门诊就诊信息上传',
    input: [
      one('mdtrtinfo', [
        text('mdtrt_id', 30, true, '就诊ID'),
        text('psn_no', 30, true, '人员编号'),
        text('med_type', 6, true, '医疗类别'),
        datetime('begntime', true, '开始时间'),
        text('main_cond_dscr', 1000, false, '主要病情描述'),
        text('dise_codg', 30, false, '病种编码'),
        text('dise_name', 500, false, '病种名称'),
      ]),
      many('diseinfo', diseinfoItemsMax, [
        text('diag_type', 3, true, '诊断类别'),
        text('diag_srt_no', 2, true, '诊断排序号'),
        text('diag_code', 20, true, '诊断代码'),
        text('diag_name', 100, true, '诊断名称'),
        text('diag_dept', 50, true, '诊断科室'),
        text('dise_dor_no', 30, true, '诊断医生编码'),
        text('dise_dor_name', 50, true, '诊断医生姓名'),
        datetime('diag_time', true, '诊断时间'),
        text('vali_flag', 3, true, '有效标志'),
      ]),
    ],
    output: [],
  },
  {
    infno: '2204',
    label: '门诊费用明细信息上传',
    input: [
      many('feedetail', feedetailItemsMax, [
        text('feedetl_sn', 30, true, '费用明细流水号'),
        text('mdtrt_id', 30, true, '就诊ID'),
        text('psn_no', 30, true, '人员编号'),
        text('chrg_bchno', 30, true, '收费批次号'),
        datetime('fee_ocur_time', true, '费用发生时间'),
        text('med_list_codg', 50, true, '医疗目录编码'),
        text('medins_list_codg', 150, true, '医药机构目录编码'),
        amount('det_item_fee_sumamt', true, '明细项目费用总额'),
        decimal('cnt', 16, 4, true, '数量'),
        decimal('pric', 16, 6, true, '单价'),
        text('bilg_dept_codg', 30, true, '开单科室编码'),
        text('bilg_dept_name', 100, true, '开单科室名称'),
        text('bilg_dr_codg', 30, true, '开单医生编码'),
        text('bilg_dr_name', 50, true, '开单医师姓名'),
      ]),
    ],
    output: [
      many('result', feedetailItemsMax, [
        text('feedetl_sn', 30, true, '费用明细流水号'),
        amount('det_item_fee_sumamt', true, '明细项目费用总额'),
        decimal('cnt', 16, 4, true, '数量'),
        decimal('pric', 16, 6, true, '单价'),
      ]),
    ],
  },
  {
    infno: '2205',
    label: '门诊费用明细信息撤销',
    input: [one('data', [text('mdtrt_id', 30, true, '就诊ID'), text('chrg_bchno', 30, true, '收费批次号'), text('psn_no', 30, true, '人员编号')])],
    output: [],
  },
  {
    infno: '2206',
    label: '门诊预结算',
    input: [one('data', settleData)],
    output: [one('setlinfo', [text('mdtrt_id', 30, true, '就诊ID'), text('psn_no', 30, true, '人员编号'), ...setlinfoAmounts]), setldetail, lineResult, accDelta],
  },
  {
    infno: '2207',
    label: '门诊结算',
    input: [one('data', settleData)],
    output: [
      one('setlinfo', [
        text('setl_id', 30, true, '结算ID'),
        text('mdtrt_id', 30, true, '就诊ID'),
        text('psn_no', 30, true, '人员编号'),
        datetime('setl_time', true, '结算时间'),
        ...setlinfoAmounts,
      ]),
      setldetail,
      lineResult,
      accDelta,
    ],
  },
  {
    infno: '2208',
    label: '门诊结算撤销',
    input: [one('data', [text('setl_id', 30, true, '结算ID'), text('mdtrt_id', 30, true, '就诊ID'), text('psn_no', 30, true, '人员编号')])],
    output: [
      one('setlinfo', [
        text('setl_id', 30, true, '撤销结算ID'),
        text('mdtrt_id', 30, true, '就诊ID'),
        text('psn_no', 30, true, '人员编号'),
        datetime('setl_time', true, '撤销时间'),
      ]),
    ],
  },
  {
    infno: '2601',
    label: '冲正交易',
    input: [one('data', [text('psn_no', 30, true, '人员编号'), text('omsgid', 30, true, '原发送方报文ID'), text('oinfno', 4, true, '原交易编号')])],
    output: [one('data', [text('reversed_flag', 1, true, '冲正结果'), text('setl_id', 30, false, '被冲正的结算ID')])],
  },
  {
    infno: '3201',
    label: '医药机构费用结算对总账',
    input: [
      one('data', [
        text('insutype', 6, true, '险种'),
        text('clr_type', 6, true, '清算类别'),
        text('setl_optins', 6, true, '结算经办机构'),
        date('stmt_begndate', true, '对账开始日期'),
        date('stmt_enddate', true, '对账结束日期'),
        amount('medfee_sumamt', true, '医疗费总额'),
        amount('fund_pay_sumamt', true, '基金支付总额'),
        amount('acct_pay', true, '个人账户支付金额'),
        decimal('fixmedins_setl_cnt', 10, 0, true, '定点医药机构结算笔数'),
      ]),
    ],
    output: [
      one('stmtinfo', [
        text('setl_optins', 6, true, '结算经办机构'),
        text('stmt_rslt', 3, true, '对账结果'),
        text('stmt_rslt_dscr', 200, false, '对账结果说明'),
      ]),
    ],
  },
  {
    infno: '3202',
    label: '医药机构费用结算对明细账',
    input: [
      one('data', [
        text('setl_optins', 6, true, '结算经办机构'),
        date('stmt_begndate', true, '对账开始日期'),
        date('stmt_enddate', true, '对账结束日期'),
        amount('medfee_sumamt', true, '医疗费总额'),
        amount('fund_pay_sumamt', true, '基金支付总额'),
        amount('cash_payamt', true, '现金支付金额'),
        decimal('fixmedins_setl_cnt', 10, 0, true, '定点医药机构结算笔数'),
      ]),
      many('detail', feedetailItemsMax, [
        text('setl_id', 30, true, '结算ID'),
        text('mdtrt_id', 30, true, '就诊ID'),
        text('psn_no', 30, true, '人员编号'),
        amount('medfee_sumamt', true, '医疗费总额'),
        amount('fund_pay_sumamt', true, '基金支付总额'),
        amount('acct_pay', true, '个人账户支出'),
        text('refd_setl_flag', 3, true, '退费结算标志'),
      ]),
    ],
    output: [many('mismatch', feedetailItemsMax, [text('setl_id', 30, true, '结算ID'), text('stmt_rslt', 30, true, '对账结果')])],
  },
  {
    infno: '5203',
    label: '结算信息查询',
    input: [one('data', [text('psn_no', 30, true, '人员编号'), text('setl_id', 30, false, '结算ID'), text('mdtrt_id', 30, true, '就诊ID')])],
    output: [
      one('setlinfo', [
        text('setl_id', 30, false, '结算ID'),
        text('mdtrt_id', 30, true, '就诊ID'),
        text('psn_no', 30, true, '人员编号'),
        text('setl_stas', 1, true, '结算状态'),
        text('omsgid', 30, false, '结算报文ID'),
      ]),
    ],
  },
];

const byInfno = new Map(transactions.map((spec) => [spec.infno, spec]));

/** The transaction of an infno, or undefined when the gateway knows none. */
export function transactionOf(infno: string): TransactionSpec | undefined {
  return byInfno.get(infno);
}

export type FieldErrorCode = 'field_missing' | 'field_type' | 'field_length' | 'field_unknown' | 'group_missing' | 'group_items';

export type FieldCheck = { readonly ok: true } | { readonly ok: false; readonly error: { readonly code: FieldErrorCode; readonly field: string; readonly detail: string } };

const ok: FieldCheck = { ok: true };
function refuse(code: FieldErrorCode, field: string, detail: string): FieldCheck {
  return { ok: false, error: { code, field, detail } };
}

const datePattern = /^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$/;
const datetimePattern = /^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01]) ([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]$/;

/** One field's value against its spec; `path` names it in the refusal. */
export function checkField(spec: FieldSpec, value: unknown, path: string): FieldCheck {
  if (value === undefined || value === null || value === '') {
    return spec.required ? refuse('field_missing', path, `${path} (${spec.label}) is required`) : ok;
  }
  if (typeof value !== 'string') return refuse('field_type', path, `${path} must be text, got ${typeof value}`);
  if (spec.type === 'text') {
    return value.length <= spec.length ? ok : refuse('field_length', path, `${path} has ${value.length} characters, at most ${spec.length}`);
  }
  if (spec.type === 'date' || spec.type === 'datetime') {
    if (value.length > spec.length) return refuse('field_length', path, `${path} has ${value.length} characters, at most ${spec.length}`);
    const pattern = spec.type === 'date' ? datePattern : datetimePattern;
    return pattern.test(value) ? ok : refuse('field_type', path, `${path} must be a ${spec.type} of ${spec.length} characters`);
  }
  const whole = /^-?([0-9]*)/.exec(value)?.[1] ?? '';
  if (whole.length + spec.places > spec.length) return refuse('field_length', path, `${path} has more than ${spec.length} digits`);
  if (spec.type === 'amount' && !/\.[0-9]{2}$/.test(value)) return refuse('field_type', path, `${path} must be yuan with two places`);
  try {
    parseDecimal(value, spec.places, path);
  } catch (error) {
    if (!(error instanceof DecimalTextError)) throw error;
    return refuse('field_type', path, error.message);
  }
  return ok;
}

function checkObject(fields: readonly FieldSpec[], value: unknown, path: string): FieldCheck {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return refuse('field_type', path, `${path} must be an object`);
  const known = new Set(fields.map((field) => field.name));
  for (const key of Object.keys(value)) {
    if (!known.has(key)) return refuse('field_unknown', `${path}.${key}`, `${path}.${key} is not a field of this transaction`);
  }
  for (const field of fields) {
    const checked = checkField(field, (value as Record<string, unknown>)[field.name], `${path}.${field.name}`);
    if (!checked.ok) return checked;
  }
  return ok;
}

/**
 * A whole `input` or `output` object against its groups: each group present
 * (a list may be empty), each item's fields as their specs say, nothing the
 * transaction does not name.
 */
export function checkGroups(groups: readonly GroupSpec[], value: unknown, path: string): FieldCheck {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return refuse('field_type', path, `${path} must be an object`);
  const known = new Set(groups.map((group) => group.name));
  for (const key of Object.keys(value)) {
    if (!known.has(key)) return refuse('field_unknown', `${path}.${key}`, `${path}.${key} is not a block of this transaction`);
  }
  for (const group of groups) {
    const block = (value as Record<string, unknown>)[group.name];
    const at = `${path}.${group.name}`;
    if (block === undefined) return refuse('group_missing', at, `${at} is required`);
    if (group.itemsMax === null) {
      const checked = checkObject(group.fields, block, at);
      if (!checked.ok) return checked;
      continue;
    }
    if (!Array.isArray(block)) return refuse('field_type', at, `${at} must be a list`);
    if (block.length > group.itemsMax) return refuse('group_items', at, `${at} has ${block.length} items, at most ${group.itemsMax}`);
    for (const [index, item] of block.entries()) {
      const checked = checkObject(group.fields, item, `${at}[${index}]`);
      if (!checked.ok) return checked;
    }
  }
  return ok;
}
