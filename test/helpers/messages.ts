// Realistic sample messages for tests and benchmarks: one valid body of every
// message type (typed by the schema, so the type checker keeps them valid),
// and a 20-line outpatient settle request whose numbers add up the way
// docs/settlement.md §4 and §9 say.
import type { AnyMessage } from '../../protocol/envelope';
import type { BodyOf, FeeLine, LineResult, MessageName, Person, SettleInput, SettleResult } from '../../protocol/messages';

export const terminalIdSample = 'T110105-0042';
export const timeSample = 1_773_475_200; // 2026-03-14T08:00:00Z

/** National drug, service and consumable codes (医保编码) of the shapes a Beijing hospital uploads. */
const codes = [
  'XC09AAL018A001010201758', // enalapril
  'XA10BAA033A001010104307', // metformin
  'XC10AAA126A001010101993', // atorvastatin
  'XB01ACA056A001010204573', // aspirin
  'XN02BEB059A001010102485', // paracetamol
  'XJ01DCC155A001010301486', // cefuroxime
  'XA02BCE018E001010103946', // esomeprazole
  'XR05CBA097A010010101574', // ambroxol
  'ZA04BAA0176010203452', // a patent Chinese medicine
  '001102000010000-110200001', // general outpatient consultation
  '002701010010000-270101001', // complete blood count
  '002703010010000-270301001', // liver function panel
  '002703020010000-270302001', // renal function panel
  '002101000010000-210100001', // chest X-ray
  '002201000010000-220100002', // abdominal ultrasound
  '001201000010000-120100001', // intravenous infusion
  'C03070301900000000046501', // infusion set (consumable)
  'C14010201800000000001237', // syringe (consumable)
  '003103000030000-310300003', // electrocardiogram
  '004502000010000-450200001', // dressing change
];

export function sampleLines(count = 20): FeeLine[] {
  return Array.from({ length: count }, (_, i) => ({
    sn: String(i + 1),
    code: codes[i % codes.length] as string,
    qty_milli: (1 + (i % 3)) * 1000,
    amt: 1_250 + ((i * 7_919) % 18_000),
  }));
}

export function sampleLineResults(lines: readonly FeeLine[]): LineResult[] {
  return lines.map((line, i) => {
    const lv = (['01', '02', '03'] as const)[i % 3] as '01' | '02' | '03';
    if (lv === '03') return { sn: line.sn, chrgitm_lv: lv, fulamt_ownpay_amt: line.amt, overlmt_amt: 0, preselfpay_amt: 0, inscp_scp_amt: 0 };
    const preselfpay = lv === '02' ? Math.floor((line.amt * 1000 + 5000) / 10000) : 0;
    return { sn: line.sn, chrgitm_lv: lv, fulamt_ownpay_amt: 0, overlmt_amt: 0, preselfpay_amt: preselfpay, inscp_scp_amt: line.amt - preselfpay };
  });
}

export function sampleResult(lines: readonly FeeLine[]): SettleResult {
  const results = sampleLineResults(lines);
  const sum = (pick: (line: LineResult) => number) => results.reduce((total, line) => total + pick(line), 0);
  const medfee = lines.reduce((total, line) => total + line.amt, 0);
  const inscp = sum((line) => line.inscp_scp_amt);
  const dedc = Math.min(inscp, 30_000);
  const hifp = Math.floor(((inscp - dedc) * 5500 + 5000) / 10000);
  const part = medfee - hifp;
  const acct = Math.min(part, 52_380);
  return {
    setlinfo: {
      medfee_sumamt: medfee,
      fulamt_ownpay_amt: sum((line) => line.fulamt_ownpay_amt),
      overlmt_selfpay: 0,
      preselfpay_amt: sum((line) => line.preselfpay_amt),
      inscp_scp_amt: inscp,
      act_pay_dedc: dedc,
      hifp_pay: hifp,
      hifob_pay: 0,
      hifmi_pay: 0,
      maf_pay: 0,
      fund_pay_sumamt: hifp,
      psn_part_amt: part,
      acct_pay: acct,
      psn_cash_pay: part - acct,
      balc: 52_380 - acct,
      reim_bp: Math.floor((hifp * 10000) / medfee),
    },
    lines: results,
    setldetail: [
      { fund_pay_type: '310100', fund_payamt: hifp },
      { fund_pay_type: '310200', fund_payamt: acct },
    ].filter((entry) => entry.fund_payamt > 0) as SettleResult['setldetail'],
    acc_delta: { 'ded:op': dedc, 'pool:main': hifp },
  };
}

export const samplePerson: Person = {
  psn_no: '13012500000000000123456789',
  psn_name: '王建国',
  gend: '1',
  brdy: '1961-05-20',
  insuplc_admdvs: '130125',
  insutype: '310',
  psn_type: 'retired',
  filing: { type: 'long_term_resident', area: '110000', begndate: '2025-01-01', enddate: null, fixmedins: null },
  chronic: [{ dise: 'hypertension', begndate: '2024-06-01', enddate: null }],
  maf_class: null,
  acct_balance: 52_380,
  ytd: { year: 2026, acc: { 'ded:op': 0, 'pool:main': 12_345 } },
};

export function sampleSettleInput(lines: readonly FeeLine[], digest: Uint8Array): SettleInput {
  return {
    mdtrt_id: '110105202603140000123',
    psn_no: samplePerson.psn_no,
    date: '2026-03-14',
    med_type: '11',
    opsp_dise: null,
    acct_used: true,
    catalogue_version: 'BJ-2026.03.01-r2',
    policy_version: 'HE-130100-2026.01',
    bill: { line_count: lines.length, medfee_sumamt: lines.reduce((total, line) => total + line.amt, 0), digest },
    lines: [...lines],
  };
}

const digest32 = new Uint8Array(32).fill(0xab);

/** A temporary filing made at a kiosk in Beijing (docs/settlement.md §2 `person.filing`). */
const sampleFiling = { type: 'temporary' as const, area: '110000', begndate: '2026-03-14', enddate: '2026-09-09', fixmedins: null };

/** One valid body of every message type. */
export function sampleBodies(): { [N in MessageName]: BodyOf<N> } {
  const lines = sampleLines();
  const input = sampleSettleInput(lines, digest32);
  const result = sampleResult(lines);
  const totals = {
    stmt_begndate: '2026-03-14',
    stmt_enddate: '2026-03-14',
    setl_cnt: 41,
    cancel_cnt: 1,
    medfee_sumamt: 1_234_567,
    fund_pay_sumamt: 765_432,
    acct_pay: 123_456,
    psn_cash_pay: 345_679,
    funds: [
      { fund_pay_type: '310100' as const, amount: 700_000 },
      { fund_pay_type: '310200' as const, amount: 123_456 },
    ],
  };
  return {
    error: { code: 'result_mismatch', detail: 'hifp_pay differs: terminal 12345, hub 12346' },
    sign_in: { fixmedins_code: 'H11010500012', firmware: '0.1.0', catalogue_version: 'BJ-2026.03.01-r2', policy_version: null, nonce: new Uint8Array(16).fill(0x5a), operator: null },
    sign_in_reply: {
      session: 7,
      hub_time: timeSample,
      institution: { fixmedins_code: 'H11010500012', admdvs: '110105', level: 3, offsite: true, chronic: ['hypertension', 'diabetes'] },
      catalogue_version: 'BJ-2026.03.01-r2',
      policy_version: 'HE-130100-2026.01',
      offline_floor: 20_000,
      next_seq: 1_025,
      nonce: new Uint8Array(16).fill(0x5a),
    },
    sign_out: { session: 7 },
    sign_out_reply: { sign_out_time: timeSample + 3600 },
    person_query: { credential: { kind: 'ss_card', id: '130125196105200011', card_sn: 'B01234567' } },
    person_query_reply: { person: samplePerson },
    bill_query: { psn_no: samplePerson.psn_no, mdtrt_id: null, page: 0 },
    bill_query_reply: { mdtrt_id: input.mdtrt_id, date: input.date, med_type: '11', opsp_dise: null, bill: input.bill, page: 0, lines },
    pre_settle: { input },
    pre_settle_reply: { result, result_digest: digest32 },
    settle: { input, result, result_digest: digest32 },
    settle_reply: { setl_id: '110105202603140000456', mdtrt_id: input.mdtrt_id, setl_time: timeSample + 12, result_digest: digest32 },
    cancel: { setl_id: '110105202603140000456', mdtrt_id: input.mdtrt_id, psn_no: samplePerson.psn_no, reason: '患者要求退费' },
    cancel_reply: { cancel_setl_id: '110105202603140000457', setl_id: '110105202603140000456', cancel_time: timeSample + 60 },
    reversal: { psn_no: samplePerson.psn_no, omsgid: 1_234, oinfno: 'settle', mdtrt_id: input.mdtrt_id },
    reversal_reply: { reversed: true, setl_id: '110105202603140000456' },
    advice: { local_setl_id: 'L-T110105-0042-000017', settled_time: timeSample, person: samplePerson, input, result, result_digest: digest32 },
    advice_reply: { local_setl_id: 'L-T110105-0042-000017', setl_id: '110105202603140000458' },
    recon_totals: { totals },
    recon_totals_reply: { agree: true, hub: totals },
    recon_detail: {
      stmt_begndate: '2026-03-14',
      stmt_enddate: '2026-03-14',
      page: 0,
      last: true,
      entries: [
        {
          setl_id: '110105202603140000456',
          mdtrt_id: input.mdtrt_id,
          psn_no: samplePerson.psn_no,
          kind: 'settle',
          setl_time: timeSample,
          medfee_sumamt: 1000,
          fund_pay_sumamt: 500,
          acct_pay: 200,
          psn_cash_pay: 300,
        },
      ],
    },
    recon_detail_reply: { page: 0, mismatches: [{ setl_id: '110105202603140000456', code: 'amounts_differ' }] },
    manifest: { kind: 'catalogue', have_version: 'BJ-2026.02.01-r1', fault: false },
    manifest_reply: {
      kind: 'catalogue',
      version: 'BJ-2026.03.01-r2',
      base_version: 'BJ-2026.02.01-r1',
      size_bytes: 100_000,
      chunk_bytes: 32_768,
      chunk_count: 4,
      digest: digest32,
    },
    chunk: { kind: 'catalogue', version: 'BJ-2026.03.01-r2', index: 3 },
    chunk_reply: { kind: 'catalogue', version: 'BJ-2026.03.01-r2', index: 3, data: new Uint8Array(1_696).fill(7) },
    key_rotation: { new_terminal_key: null },
    key_rotation_reply: { hub_key: new Uint8Array(32).fill(3), effective_time: timeSample + 86_400, terminal_key_accepted: false },
    heartbeat: { state: 'idle', queued: 2 },
    heartbeat_reply: { hub_time: timeSample, catalogue_version: 'BJ-2026.03.01-r2', policy_version: 'HE-130100-2026.01', key_rotation_pending: false },
    filing_query: { psn_no: samplePerson.psn_no },
    filing_query_reply: { filings: [{ filing_id: 'F110105202603140001', filing: sampleFiling, made_date: '2026-03-14', cancelled: false }] },
    filing_apply: { psn_no: samplePerson.psn_no, filing: sampleFiling, referral_no: null, commitment: true, tel: '13800138000' },
    filing_apply_reply: { filing_id: 'F110105202603140001', filing: sampleFiling },
    filing_cancel: { psn_no: samplePerson.psn_no, filing_id: 'F110105202603140001', reason: '误操作' },
    filing_cancel_reply: { filing_id: 'F110105202603140001', cancel_time: timeSample + 30 },
  };
}

/** A whole message of a type, from the samples. */
export function sampleMessage<N extends MessageName>(type: N, seq = 1_001, time = timeSample): AnyMessage {
  return { type, terminal: terminalIdSample, seq, time, body: sampleBodies()[type] } as AnyMessage;
}
