// The comparison side of the wire-bytes benchmark: the same 20-line
// outpatient settlement written as the national platform's JSON interface
// (国家医保信息平台 接口规范): a 2204 upload of the fee details and a 2207
// settlement request, each in the usual request envelope (infno, msgid,
// areas, operator, times, institution, sign_no, `input`). Field names and
// value shapes are the interface's; amounts are yuan with two decimals and
// quantities four, as that interface writes them. Compact JSON (no spaces),
// UTF-8, as a hospital system sends it.
import type { FeeLine, Person, SettleInput, SettleResult } from '../protocol/messages';

const fixmedinsCode = 'H11010500012';
const fixmedinsName = '北京市朝阳区第三人民医院';
const yuan = (fen: number) => (fen / 100).toFixed(2);

function envelope(infno: string, sequence: number, input: unknown, person: Person) {
  return {
    infno,
    msgid: `${fixmedinsCode}20260314080000${String(sequence).padStart(4, '0')}`,
    mdtrtarea_admvs: '110105',
    insuplc_admdvs: person.insuplc_admdvs,
    recer_sys_code: 'FSI_LOCAL',
    dev_no: 'T110105-0042',
    dev_safe_info: '',
    cainfo: '',
    signtype: 'SM2',
    infver: 'V1.0',
    opter_type: '2',
    opter: 'ZZJ0042',
    opter_name: '自助机0042',
    inf_time: '2026-03-14 08:00:00',
    fixmedins_code: fixmedinsCode,
    fixmedins_name: fixmedinsName,
    sign_no: '110105202603140800000000007',
    input,
  };
}

function feedetail(line: FeeLine, index: number, input: SettleInput) {
  const isDrug = line.code.startsWith('X') || line.code.startsWith('Z');
  return {
    feedetl_sn: `${input.mdtrt_id}${String(index + 1).padStart(4, '0')}`,
    init_feedetl_sn: '',
    mdtrt_id: input.mdtrt_id,
    drord_no: `YZ2026031400${String(index + 1).padStart(4, '0')}`,
    psn_no: input.psn_no,
    med_type: input.med_type,
    fee_ocur_time: '2026-03-14 07:42:10',
    med_list_codg: line.code,
    medins_list_codg: `YN${String(100000 + index * 37)}`,
    det_item_fee_sumamt: yuan(line.amt),
    cnt: (line.qty_milli / 1000).toFixed(4),
    pric: (line.amt / line.qty_milli * 10).toFixed(4),
    sin_dos_dscr: isDrug ? '每次1片' : '',
    used_frqu_dscr: isDrug ? '每日2次' : '',
    prd_days: isDrug ? '7' : '0',
    medc_way_dscr: isDrug ? '口服' : '',
    bilg_dept_codg: 'A03.05',
    bilg_dept_name: '心血管内科门诊',
    bilg_dr_codg: 'D110105000123',
    bilg_dr_name: '李明华',
    acord_dept_codg: 'A03.05',
    acord_dept_name: '心血管内科门诊',
    orders_dr_code: 'D110105000123',
    orders_dr_name: '李明华',
    hosp_appr_flag: '1',
    tcmdrug_used_way: '',
    etip_flag: '0',
    etip_hosp_code: '',
    dscg_tkdrug_flag: '0',
    matn_fee_flag: '0',
    memo: '',
    exp_content: '',
  };
}

/** The 2204 upload and the 2207 settlement as the national interface's JSON, UTF-8 bytes. */
export function nationalSettleJson(input: SettleInput, result: SettleResult, person: Person): { upload: string; settle: string; bytes: number } {
  const upload = JSON.stringify(
    envelope('2204', 1, { feedetail: input.lines.map((line, i) => feedetail(line, i, input)), insuplc_admdvs: person.insuplc_admdvs, mdtrtarea_admvs: '110105' }, person),
  );
  const info = result.setlinfo;
  const settle = JSON.stringify(
    envelope(
      '2207',
      2,
      {
        data: {
          psn_no: input.psn_no,
          mdtrt_cert_type: '03',
          mdtrt_cert_no: 'B01234567',
          med_type: input.med_type,
          medfee_sumamt: yuan(info.medfee_sumamt),
          psn_setlway: '01',
          mdtrt_id: input.mdtrt_id,
          chrg_bchno: `${input.mdtrt_id}01`,
          insutype: person.insutype,
          acct_used_flag: input.acct_used ? '1' : '0',
          invono: '',
          fulamt_ownpay_amt: yuan(info.fulamt_ownpay_amt),
          overlmt_selfpay: yuan(info.overlmt_selfpay),
          preselfpay_amt: yuan(info.preselfpay_amt),
          inscp_scp_amt: yuan(info.inscp_scp_amt),
          pub_hosp_rfom_flag: '0',
          exp_content: '',
        },
      },
      person,
    ),
  );
  return { upload, settle, bytes: Buffer.byteLength(upload) + Buffer.byteLength(settle) };
}
