// The session's screens (issues 8 and 15): one model, two renderers. `model`
// says what a state shows as data (amounts in fen, codes, the page of the
// bill, the patient's id already masked, never the PIN); `text` lays a model
// out as a frame for the kiosk's text layout (48 cells by 14 rows) or the
// 20×4 handheld, CJK taking two cells (text.ts), and the kiosk's web page
// renders the same model as HTML. Every text frame is exactly `rows` lines of
// exactly `cols` cells, whatever the names and amounts in it, so a display
// driver can draw it as it comes.
import type { Filing } from '../../protocol/messages';
import type { FundPayment, LineResult } from '../core/types';
import { yuan } from '../core/trace';
import type { State } from './machine';
import { fundName, messageFor } from './messages';
import type { ReceiptDocument } from './receipt';
import type { Local, Visit } from './session';
import { fit, maskId, spread, wrap } from './text';

export interface Layout {
  readonly name: 'kiosk' | 'handheld';
  readonly cols: number;
  readonly rows: number;
  /** Fee lines on one page of the pre-settlement. */
  readonly linesPerPage: number;
}

export const layouts: { readonly [K in Layout['name']]: Layout } = {
  kiosk: { name: 'kiosk', cols: 48, rows: 14, linesPerPage: 8 },
  handheld: { name: 'handheld', cols: 20, rows: 4, linesPerPage: 1 },
};

export interface Status {
  readonly online: boolean;
  readonly queued: number;
  readonly floorFen: number;
  /** Offline settlements (advices) the hub refused, journaled for staff to settle with the patient. */
  readonly refused: number;
}

const levels: Readonly<Record<string, string>> = { '01': '甲', '02': '乙', '03': '丙' };
/** What each state shows in its first two rows (the handheld's are shorter). */
const titles: Readonly<Record<State, readonly [string, string, string?, string?]>> = {
  idle: ['请插入社保卡，或扫描医保电子凭证', 'Insert your card, or scan your e-certificate', '请插卡或扫码', 'Card or QR code'],
  pin: ['请输入社保卡密码', 'Enter your card PIN', '请输入密码', 'Enter PIN'],
  card: ['正在读卡', 'Reading your card'],
  person: ['正在查询参保信息', 'Looking up your insurance', '正在查询', 'Looking you up'],
  bill: ['正在获取费用明细', 'Fetching your bill', '正在获取费用', 'Fetching the bill'],
  filing: ['办理临时异地就医备案', 'Off-site filing', '临时备案'],
  review: ['费用明细 Bill', ''],
  confirm: ['确认结算 Confirm', '', '确认结算'],
  settle: ['正在结算，请勿离开', 'Settling, please wait', '正在结算', 'Settling...'],
  print: ['正在打印凭证', 'Printing your receipt', '正在打印', 'Printing...'],
  done: ['结算完成 Settled', '', '结算完成 Done'],
  message: ['', ''],
};

/** Who the pre-settlement is for: the name on the card (or the hub's), the id masked, the insured place. */
export interface Patient {
  readonly name: string;
  readonly id: string;
  readonly place: string;
}

/** A fee line of the bill: the catalogue's name, its amount, what of it the patient pays, and the core's result for it (class, parts, why). */
export interface BillLine {
  readonly name: string;
  readonly amt: number;
  readonly self: number;
  readonly result: LineResult | null;
}

/** The pre-settlement's totals, fen: the bill, its self-paid parts, what the funds pay (each fund layer), what the patient pays. */
export interface Totals {
  readonly total: number;
  readonly selfParts: number;
  readonly funds: number;
  readonly layers: readonly FundPayment[];
  readonly yours: number;
}

/**
 * A temporary filing offered at the kiosk (issue 16): why (the refusal it
 * answers), the filing, its ratio cut (bp) and what that costs against a
 * long-term filing (fen), the bill's amounts with it, the phone keyed so far.
 */
export interface FilingOffer {
  readonly code: string;
  readonly filing: Filing;
  readonly cutBp: number;
  readonly cut: number;
  readonly total: number;
  readonly funds: number;
  readonly yours: number;
  tel: string;
}

/**
 * What a state shows, as data: the one model both renderers draw. `code` is
 * the message screen's refusal or failure, or a note on another screen.
 */
export type ScreenModel =
  | { readonly state: 'idle'; readonly status: Status }
  | { readonly state: 'pin' | 'card' | 'person' | 'bill' | 'settle' | 'print'; readonly code: string | null }
  | { readonly state: 'review'; readonly page: number; readonly pages: number; readonly patient: Patient; readonly lines: readonly BillLine[]; readonly totals: Totals | null }
  | { readonly state: 'confirm'; readonly balance: number; readonly cash: number; readonly account: number | null; readonly useAccount: boolean }
  | { readonly state: 'done'; readonly offline: boolean; readonly id: string; readonly cash: number; readonly funds: number; readonly account: number; readonly code: string | null; readonly receipt: ReceiptDocument | null }
  | ({ readonly state: 'filing' } & Readonly<FilingOffer>)
  | { readonly state: 'message'; readonly code: string };

/** The model of a state; `linesPerPage` pages the bill as the session pages it. */
export function model(state: State, visit: Visit, linesPerPage: number, status: Status): ScreenModel {
  const { code } = visit;
  const local = (visit.useAccount ? visit.account : visit.cash) as Local;
  switch (state) {
    case 'idle':
      return { state, status };
    case 'review':
      return review(visit, linesPerPage, local);
    case 'confirm': {
      const cash = (choice: Local | null) => choice?.output.setlinfo.psn_cash_pay ?? 0;
      return { state, balance: visit.person?.acct_balance ?? 0, cash: cash(visit.cash), account: visit.account && cash(visit.account), useAccount: visit.useAccount };
    }
    case 'done': {
      const info = local.output.setlinfo;
      return { state, offline: visit.setl?.offline === true, id: visit.setl?.id ?? '', cash: info.psn_cash_pay, funds: info.fund_pay_sumamt, account: info.acct_pay, code, receipt: visit.receipt };
    }
    case 'message':
      return { state, code: code ?? 'internal' };
    case 'filing':
      return { state, ...(visit.offer as FilingOffer) };
    default:
      return { state, code };
  }
}

/** One page of the pre-settlement: a page of fee lines, or on the last page the totals. */
function review(visit: Visit, linesPerPage: number, local: Local): ScreenModel {
  const fees = visit.bill?.lines ?? [];
  const { page } = visit;
  const pages = Math.ceil(fees.length / linesPerPage) + 1;
  const id = visit.card?.idNumber ?? visit.person?.psn_no ?? '';
  const patient = { name: visit.card?.name ?? visit.person?.psn_name ?? '', id: maskId(id), place: visit.person?.insuplc_admdvs ?? '' };
  const lines = fees.slice(page * linesPerPage, (page + 1) * linesPerPage).map((fee, index) => {
    const at = page * linesPerPage + index;
    const result = local.output.lines[at] ?? null;
    return { name: visit.names[at] ?? fee.code, amt: fee.amt, self: result ? result.fulamt_ownpay_amt + result.overlmt_amt + result.preselfpay_amt : 0, result };
  });
  const info = local.output.setlinfo;
  const totals = page + 1 < pages ? null : { total: info.medfee_sumamt, selfParts: info.fulamt_ownpay_amt + info.overlmt_selfpay + info.preselfpay_amt, funds: info.fund_pay_sumamt, layers: local.output.setldetail, yours: info.psn_cash_pay + info.acct_pay };
  return { state: 'review', page, pages, patient, lines, totals };
}

/** The frame of a state: exactly `layout.rows` rows of `layout.cols` cells. */
export function screen(state: State, visit: Visit, layout: Layout, status: Status): string[] {
  return text(model(state, visit, layout.linesPerPage, status), layout);
}

/** A model laid out as text: exactly `layout.rows` rows of `layout.cols` cells. */
export function text(shown: ScreenModel, layout: Layout): string[] {
  const lines = content(shown, layout);
  return Array.from({ length: layout.rows }, (_, row) => fit(lines[row] ?? '', layout.cols));
}

function content(shown: ScreenModel, layout: Layout): string[] {
  const { cols } = layout;
  const small = cols < 40;
  const [zh, en, shortZh, shortEn] = titles[shown.state];
  const head = small ? [shortZh ?? zh, shortEn ?? en] : [zh, en];
  const code = 'code' in shown && shown.state !== 'message' ? shown.code : null;
  const note = code === null ? [] : wrap(messageFor(code).zh, cols).slice(0, small ? 1 : 3);
  const keys = small ? 'OK确认 C取消' : '确认 OK · 取消 Cancel';
  const money = (label: string, fen: number) => spread(label, yuan(fen), cols);
  switch (shown.state) {
    case 'idle': {
      const { status } = shown;
      // A refused offline settlement is for staff: it stays on the idle screen while the journal holds it.
      const refused = status.refused === 0 ? [''] : small ? [`离线被拒${status.refused}笔 请联系`] : [`离线结算被拒 ${status.refused} 笔，请联系工作人员`, `${status.refused} offline settlement(s) refused: call staff`];
      return [...head, ...Array(small ? 0 : 10 - refused.length).fill(''), ...refused, `${status.online ? '在线 online' : '离线 offline'} · ${status.queued} queued${status.floorFen > 0 && !small ? ` · 离线限额 ≤ ${yuan(status.floorFen)}` : ''}`];
    }
    case 'pin':
      return [...head, ...note, keys];
    case 'review':
      return reviewText(shown, layout);
    case 'confirm': {
      const mark = (on: boolean) => (on ? '>' : ' ');
      const choices =
        shown.account === null
          ? [spread('现金 Cash', yuan(shown.cash), cols)]
          : [money('账户余额 Balance', shown.balance), spread(`${mark(shown.useAccount)}1 用账户${small ? '' : ' Account'} 现金`, yuan(shown.account), cols), spread(`${mark(!shown.useAccount)}2 不用${small ? '' : ' Cash only'} 现金`, yuan(shown.cash), cols)];
      return [...(small && shown.account !== null ? [] : [head[0] as string]), ...choices, keys];
    }
    case 'done': {
      const title = shown.offline ? '离线结算完成 Settled offline' : (head[0] as string);
      const lines = [title, money('现金 Cash', shown.cash), `No. ${shown.id}`];
      return small ? [...lines, note[0] ?? '请取凭证和卡'] : [...lines, money('基金 Funds', shown.funds), money('个人账户 Account', shown.account), '', ...note, '请取走凭证和卡片 Take your receipt and card'];
    }
    case 'filing': {
      // The offer (issue 16): why, the filing, its ratio cut and what it costs more than a long-term filing, the amounts with it, the phone.
      const { filing } = shown;
      const cut = [spread(small ? (head[0] as string) : '临时备案比例降低 Ratio cut', `-${yuan(shown.cutBp)}%`, cols), money(small ? '多付' : '比长期备案多付 More than long-term', shown.cut)];
      const tel = `电话 ${small ? '' : 'Phone '}${shown.tel}`;
      if (small) return [...cut, tel, 'OK备案 C取消'];
      return [
        `${head[0]} ${head[1]}`,
        ...wrap(messageFor(shown.code).zh, cols),
        ...wrap(messageFor(shown.code).en, cols),
        spread('备案 Filing', `${filing.area} ${filing.begndate}~${filing.enddate}`, cols),
        ...cut,
        money('医疗费总额 Total bill', shown.total),
        money('基金支付 Funds pay', shown.funds),
        money('个人负担 Yours to pay', shown.yours),
        tel,
        '本人承诺属实 I commit this is true',
        '输入电话, OK 备案 File · 取消 Cancel',
      ];
    }
    case 'message': {
      const message = messageFor(shown.code);
      return small ? [...wrap(message.zh, cols).slice(0, 2), ...wrap(message.en, cols)] : [...wrap(message.zh, cols), '', ...wrap(message.en, cols), '', '按任意键继续 Press any key'];
    }
    default:
      return [...head, ...(shown.state === 'settle' ? note : [])];
  }
}

/** One page of the pre-settlement as text: fee lines with their class, self-paid part and amount; the last page the totals. */
function reviewText(shown: Extract<ScreenModel, { state: 'review' }>, layout: Layout): string[] {
  const { cols, linesPerPage } = layout;
  const small = cols < 40;
  const counter = `${shown.page + 1}/${shown.pages}`;
  const next = small ? 'OK> C取消' : 'OK 下一页 Next · 取消 Cancel';
  const money = (label: string, fen: number) => spread(label, yuan(fen), cols);
  const patient = spread(shown.patient.name, `${shown.patient.id} ${shown.patient.place}`, cols);
  const { totals } = shown;
  if (totals === null) {
    const rows = shown.lines.flatMap((line) => {
      const level = levels[line.result?.chrgitm_lv ?? ''] ?? '  ';
      if (small) return [`${counter} ${line.name}`, spread(level, yuan(line.amt), cols), money('自付', line.self)];
      const amounts = ` ${level} ${fit(yuan(line.self), 9, 'right')} ${fit(yuan(line.amt), 10, 'right')}`;
      return [fit(line.name, cols - 24) + amounts];
    });
    return small ? [...rows, next] : [spread('费用明细 Bill', counter, cols), patient, spread('项目 Item', '类  自付 Self  金额 Amount', cols), ...rows, ...Array(linesPerPage - rows.length).fill(''), '', next];
  }
  if (small) return [money('总额', totals.total), money('基金', totals.funds), money('个人', totals.yours), 'OK继续 C取消'];
  const funds = totals.layers.filter((fund) => fund.fund_pay_type !== '310200').slice(0, 4);
  return [
    spread('结算预览 Pre-settlement', counter, cols),
    patient,
    '',
    money('医疗费总额 Total bill', totals.total),
    money('自付部分 Self-paid parts', totals.selfParts),
    money('基金支付 Funds pay', totals.funds),
    ...funds.map((fund) => money(`  ${fundName(fund.fund_pay_type).zh}`, fund.fund_payamt)),
    money('个人负担 Yours to pay', totals.yours),
    '',
    'OK 继续 Continue · 取消 Cancel',
  ];
}
