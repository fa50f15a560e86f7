// The settlement receipt (issue 8) as a document: lines with alignment,
// emphasis and size, a QR code and a cut, laid out in character cells for
// the printer's width. The printer driver turns it into ESC/POS (GB18030);
// tests and the demo print it as text. It carries the institution, the
// patient (ID masked), the date, the settlement id, every fund line by name,
// the personal account paid and its balance, the cash to pay, the catalogue
// and policy versions, and a QR code of the settlement id.
import { yuan } from '../core/trace';
import type { FundPayment, Setlinfo } from '../core/types';
import { fundName } from './messages';
import { fit, maskId, spread, wrap } from './text';

export type ReceiptLine =
  | { readonly kind: 'text'; readonly text: string; readonly align: 'left' | 'center' | 'right'; readonly bold: boolean; readonly double: boolean }
  | { readonly kind: 'qr'; readonly data: string }
  | { readonly kind: 'feed'; readonly lines: number }
  | { readonly kind: 'cut' };

export interface ReceiptDocument {
  /** Cells per line the document was laid out for (32 for 58 mm paper, 48 for 80 mm). */
  readonly cells: number;
  readonly lines: readonly ReceiptLine[];
}

export interface ReceiptData {
  readonly institutionName: string;
  readonly fixmedinsCode: string;
  readonly patientName: string;
  /** The ID number (or the insurance number when there is no ID): printed masked. */
  readonly patientId: string;
  readonly insuredPlace: string;
  /** Local date and time of the settlement, "YYYY-MM-DD HH:MM". */
  readonly settledAt: string;
  readonly setlId: string;
  /** An offline settlement (an advice waiting for upload). */
  readonly offline: boolean;
  /** Printed again at boot: a power cut interrupted the first one. */
  readonly reprint?: boolean;
  readonly setlinfo: Setlinfo;
  readonly setldetail: readonly FundPayment[];
  readonly catalogueVersion: string;
  readonly policyVersion: string;
  readonly terminalId: string;
}

const text = (value: string, options: Partial<{ align: 'left' | 'center' | 'right'; bold: boolean; double: boolean }> = {}): ReceiptLine => ({
  kind: 'text',
  text: value,
  align: options.align ?? 'left',
  bold: options.bold ?? false,
  double: options.double ?? false,
});

/** The receipt of one settlement, laid out for `cells` per line. */
export function receiptFor(data: ReceiptData, cells = 32): ReceiptDocument {
  const rule = text('-'.repeat(cells));
  const money = (label: string, fen: number, bold = false) => text(spread(label, `${yuan(fen)}`, cells), { bold });
  const lines: ReceiptLine[] = [
    ...wrap(data.institutionName, cells).map((line) => text(line, { align: 'center', bold: true })),
    text('医疗保险结算单 Settlement receipt', { align: 'center' }),
    ...(data.offline ? [text('离线结算 待上传 OFFLINE, to upload', { align: 'center', bold: true })] : []),
    ...(data.reprint ? [text('补打 REPRINT', { align: 'center', bold: true })] : []),
    rule,
    text(spread('姓名 Name', data.patientName, cells)),
    text(spread('证件 ID', maskId(data.patientId), cells)),
    text(spread('参保地 Insured at', data.insuredPlace, cells)),
    text(spread('时间 Date', data.settledAt, cells)),
    text(spread('结算号 No.', data.setlId, cells)),
    rule,
    money('医疗费总额 Total bill', data.setlinfo.medfee_sumamt, true),
    money('全自费 Wholly self-paid', data.setlinfo.fulamt_ownpay_amt),
    money('超限价 Over price ceiling', data.setlinfo.overlmt_selfpay),
    money('先行自付 First self-pay', data.setlinfo.preselfpay_amt),
    money('起付线 Deductible', data.setlinfo.act_pay_dedc),
    rule,
  ];
  for (const detail of data.setldetail) {
    if (detail.fund_pay_type === '310200') continue;
    const name = fundName(detail.fund_pay_type);
    lines.push(text(fit(name.zh, cells)), money(`  ${name.en}`, detail.fund_payamt));
  }
  lines.push(
    money('基金支付合计 Funds paid', data.setlinfo.fund_pay_sumamt, true),
    money('个人账户支付 Account paid', data.setlinfo.acct_pay),
    money('账户余额 Account balance', data.setlinfo.balc),
    text(spread('现金支付 Cash to pay', yuan(data.setlinfo.psn_cash_pay), cells), { bold: true, double: false }),
    text(`${yuan(data.setlinfo.psn_cash_pay)}`, { align: 'right', bold: true, double: true }),
    rule,
    text(spread('目录 Catalogue', data.catalogueVersion, cells)),
    text(spread('政策 Policy', data.policyVersion, cells)),
    text(spread('终端 Terminal', data.terminalId, cells)),
    text(spread('机构 Institution', data.fixmedinsCode, cells)),
    { kind: 'qr', data: data.setlId },
    text('请妥善保管 Please keep this receipt', { align: 'center' }),
    { kind: 'feed', lines: 3 },
    { kind: 'cut' },
  );
  return { cells, lines };
}

/** The receipt as plain lines (the demo's and the tests' view of what is printed). */
export function receiptText(document: ReceiptDocument): string[] {
  return document.lines.flatMap((line): string[] => {
    switch (line.kind) {
      case 'text':
        return [fit(line.double ? `${line.text}` : line.text, document.cells, line.align).trimEnd()];
      case 'qr':
        return [fit(`[QR ${line.data}]`, document.cells, 'center').trimEnd()];
      case 'feed':
        return [];
      case 'cut':
        return ['- - - - - - - - - - - - - - - -'.slice(0, document.cells)];
    }
  });
}
