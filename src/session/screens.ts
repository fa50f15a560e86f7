// The session's screens as text frames (issue 8): a kiosk layout (48 cells by
// 14 rows) and the 20×4 handheld layout, CJK taking two cells (text.ts).
// Every frame is exactly `rows` lines of exactly `cols` cells, whatever the
// names and amounts in it, so a display driver can draw it as it comes.
import { yuan } from '../core/trace';
import type { State } from './machine';
import { fundName, messageFor } from './messages';
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
  review: ['费用明细 Bill', ''],
  confirm: ['确认结算 Confirm', '', '确认结算'],
  settle: ['正在结算，请勿离开', 'Settling, please wait', '正在结算', 'Settling...'],
  print: ['正在打印凭证', 'Printing your receipt', '正在打印', 'Printing...'],
  done: ['结算完成 Settled', '', '结算完成 Done'],
  message: ['', ''],
};

/** The frame of a state: exactly `layout.rows` rows of `layout.cols` cells. */
export function screen(state: State, visit: Visit, layout: Layout, status: Status): string[] {
  const lines = content(state, visit, layout, status);
  return Array.from({ length: layout.rows }, (_, row) => fit(lines[row] ?? '', layout.cols));
}

function content(state: State, visit: Visit, layout: Layout, status: Status): string[] {
  const { cols } = layout;
  const small = cols < 40;
  const [zh, en, shortZh, shortEn] = titles[state];
  const head = small ? [shortZh ?? zh, shortEn ?? en] : [zh, en];
  const note = visit.code === null ? [] : wrap(messageFor(visit.code).zh, cols).slice(0, small ? 1 : 3);
  const keys = small ? 'OK确认 C取消' : '确认 OK · 取消 Cancel';
  const money = (label: string, fen: number) => spread(label, yuan(fen), cols);
  const local = visit.useAccount ? visit.account : visit.cash;
  switch (state) {
    case 'idle': {
      // A refused offline settlement is for staff: it stays on the idle screen while the journal holds it.
      const refused = status.refused === 0 ? [''] : small ? [`离线被拒${status.refused}笔 请联系`] : [`离线结算被拒 ${status.refused} 笔，请联系工作人员`, `${status.refused} offline settlement(s) refused: call staff`];
      return [...head, ...Array(small ? 0 : 10 - refused.length).fill(''), ...refused, `${status.online ? '在线 online' : '离线 offline'} · ${status.queued} queued${status.floorFen > 0 && !small ? ` · 离线限额 ≤ ${yuan(status.floorFen)}` : ''}`];
    }
    case 'pin':
      return [...head, ...note, keys];
    case 'review':
      return review(visit, layout, local as Local);
    case 'confirm': {
      const cash = (choice: Local | null) => yuan(choice?.output.setlinfo.psn_cash_pay ?? 0);
      const mark = (on: boolean) => (on ? '>' : ' ');
      const choices =
        visit.account === null
          ? [spread('现金 Cash', cash(visit.cash), cols)]
          : [money('账户余额 Balance', visit.person?.acct_balance ?? 0), spread(`${mark(visit.useAccount)}1 用账户${small ? '' : ' Account'} 现金`, cash(visit.account), cols), spread(`${mark(!visit.useAccount)}2 不用${small ? '' : ' Cash only'} 现金`, cash(visit.cash), cols)];
      return [...(small && visit.account !== null ? [] : [head[0] as string]), ...choices, keys];
    }
    case 'done': {
      const info = (local as Local).output.setlinfo;
      const title = visit.setl?.offline ? '离线结算完成 Settled offline' : (head[0] as string);
      const lines = [title, money('现金 Cash', info.psn_cash_pay), `No. ${visit.setl?.id ?? ''}`];
      return small ? [...lines, note[0] ?? '请取凭证和卡'] : [...lines, money('基金 Funds', info.fund_pay_sumamt), money('个人账户 Account', info.acct_pay), '', ...note, '请取走凭证和卡片 Take your receipt and card'];
    }
    case 'message': {
      const message = messageFor(visit.code ?? 'internal');
      return small ? [...wrap(message.zh, cols).slice(0, 2), ...wrap(message.en, cols)] : [...wrap(message.zh, cols), '', ...wrap(message.en, cols), '', '按任意键继续 Press any key'];
    }
    default:
      return [...head, ...(state === 'settle' ? note : [])];
  }
}

/** One page of the pre-settlement: fee lines with their class, self-paid part and amount; the last page the totals. */
function review(visit: Visit, layout: Layout, local: Local): string[] {
  const { cols, linesPerPage } = layout;
  const small = cols < 40;
  const fees = visit.bill?.lines ?? [];
  const pages = Math.ceil(fees.length / linesPerPage) + 1;
  const page = visit.page;
  const counter = `${page + 1}/${pages}`;
  const next = small ? 'OK> C取消' : 'OK 下一页 Next · 取消 Cancel';
  const money = (label: string, fen: number) => spread(label, yuan(fen), cols);
  const id = visit.card?.idNumber ?? visit.person?.psn_no ?? '';
  const patient = spread(visit.card?.name ?? visit.person?.psn_name ?? '', `${maskId(id)} ${visit.person?.insuplc_admdvs ?? ''}`, cols);
  if (page + 1 < pages) {
    const rows = fees.slice(page * linesPerPage, (page + 1) * linesPerPage).flatMap((fee, index) => {
      const at = page * linesPerPage + index;
      const result = local.output.lines[at];
      const self = result ? result.fulamt_ownpay_amt + result.overlmt_amt + result.preselfpay_amt : 0;
      const level = levels[result?.chrgitm_lv ?? ''] ?? '  ';
      const name = visit.names[at] ?? fee.code;
      if (small) return [`${counter} ${name}`, spread(level, yuan(fee.amt), cols), money('自付', self)];
      const amounts = ` ${level} ${fit(yuan(self), 9, 'right')} ${fit(yuan(fee.amt), 10, 'right')}`;
      return [fit(name, cols - 24) + amounts];
    });
    return small ? [...rows, next] : [spread('费用明细 Bill', counter, cols), patient, spread('项目 Item', '类  自付 Self  金额 Amount', cols), ...rows, ...Array(linesPerPage - rows.length).fill(''), '', next];
  }
  const info = local.output.setlinfo;
  const yours = info.psn_cash_pay + info.acct_pay;
  if (small) return [money('总额', info.medfee_sumamt), money('基金', info.fund_pay_sumamt), money('个人', yours), 'OK继续 C取消'];
  const funds = local.output.setldetail.filter((fund) => fund.fund_pay_type !== '310200').slice(0, 4);
  return [
    spread('结算预览 Pre-settlement', counter, cols),
    patient,
    '',
    money('医疗费总额 Total bill', info.medfee_sumamt),
    money('自付部分 Self-paid parts', info.fulamt_ownpay_amt + info.overlmt_selfpay + info.preselfpay_amt),
    money('基金支付 Funds pay', info.fund_pay_sumamt),
    ...funds.map((fund) => money(`  ${fundName(fund.fund_pay_type).zh}`, fund.fund_payamt)),
    money('个人负担 Yours to pay', yours),
    '',
    'OK 继续 Continue · 取消 Cancel',
  ];
}
