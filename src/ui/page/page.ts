/// <reference lib="dom" />
// The kiosk's touch-screen page (issue 15): its own bundle, dist/kiosk-page.js
// with kiosk-page.css, served by the UI server (src/ui/server.ts). It renders
// the session's screen model (src/session/screens.ts), the same model the
// text screens are laid out from, and sends touches back; it holds no
// business logic: every amount it shows is the model's fen, formatted.
// What it keeps for itself: the language shown first (zh or en), large
// type, the PIN's digits while they are typed (shown as dots, sent once, to
// the server's PIN path only, then forgotten), and which line's "why?" is
// open. It talks to its own origin only (/events, /touch).
import QRCode from 'qrcode-generator';
import { fundName, messageFor, type Message } from '../../session/messages';
import type { ReceiptDocument } from '../../session/receipt';
import type { BillLine, ScreenModel } from '../../session/screens';
import { yuan } from '../../core/trace';

type Lang = 'zh' | 'en';
const prefs = { lang: 'zh' as Lang, large: false };
let shown: ScreenModel | null = null;
let pin = '';
let why: number | null = null;

/** The longest PIN the card takes (src/session/session.ts pinPattern). */
const pinDigitsMax = 12;
const pinDigitsMin = 4;
/** The shortest contact phone a filing takes (src/session/session.ts, #filing). */
const telDigitsMin = 5;
const levels: Readonly<Record<string, Message>> = { '01': { zh: '甲', en: 'A' }, '02': { zh: '乙', en: 'B' }, '03': { zh: '丙', en: 'C' } };
const titles: Readonly<Record<ScreenModel['state'], Message>> = {
  idle: { zh: '请插入社保卡，或扫描医保电子凭证', en: 'Insert your card, or scan your e-certificate' },
  pin: { zh: '请输入社保卡密码', en: 'Enter your card PIN' },
  card: { zh: '正在读卡', en: 'Reading your card' },
  person: { zh: '正在查询参保信息', en: 'Looking up your insurance' },
  bill: { zh: '正在获取费用明细', en: 'Fetching your bill' },
  filing: { zh: '办理临时异地就医备案', en: 'File a temporary off-site filing' },
  review: { zh: '费用明细', en: 'Your bill' },
  confirm: { zh: '确认结算', en: 'Confirm' },
  settle: { zh: '正在结算，请勿离开', en: 'Settling, please wait' },
  print: { zh: '正在打印凭证', en: 'Printing your receipt' },
  done: { zh: '结算完成', en: 'Settled' },
  message: { zh: '未能完成', en: 'Not done' },
};

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
/** Both languages, the chosen one first and larger. */
const say = (m: Message) => {
  const [first, second] = prefs.lang === 'zh' ? [m.zh, m.en] : [m.en, m.zh];
  return `<span class="first">${escape(first)}</span> <span class="second">${escape(second)}</span>`;
};
const button = (touch: string, m: Message, kind = '') => `<button class="key ${kind}" data-touch="${touch}">${say(m)}</button>`;
const money = (m: Message, fen: number, id = '') => `<div class="money"${id && ` data-amount="${id}"`}><span>${say(m)}</span><b>¥${yuan(fen)}</b></div>`;
const ok: Message = { zh: '确认', en: 'OK' };
const cancel: Message = { zh: '取消', en: 'Cancel' };

/** Why a line costs the patient what it does, from the core's result for it. */
function explain(line: BillLine): Message[] {
  const result = line.result;
  if (result === null) return [{ zh: '该项目无结算结果', en: 'No result for this line' }];
  const out: Message[] = [{ zh: `${levels[result.chrgitm_lv]?.zh ?? ''}类项目`, en: `Class ${levels[result.chrgitm_lv]?.en ?? ''} item` }];
  if (result.fulamt_ownpay_amt > 0) out.push({ zh: `全额自费 ¥${yuan(result.fulamt_ownpay_amt)}：${result.chrgitm_lv === '03' ? '丙类项目医保不支付' : '不符合医保支付条件'}`, en: `Fully self-paid ¥${yuan(result.fulamt_ownpay_amt)}: ${result.chrgitm_lv === '03' ? 'class C items are not covered' : 'not covered in this case'}` });
  if (result.reason !== undefined) out.push({ zh: `限制条件：${result.reason}`, en: `Restriction: ${result.reason}` });
  if (result.overlmt_amt > 0) out.push({ zh: `超过限价部分自付 ¥${yuan(result.overlmt_amt)}`, en: `Over the price limit, self-paid ¥${yuan(result.overlmt_amt)}` });
  if (result.preselfpay_amt > 0) out.push({ zh: `乙类先行自付 ¥${yuan(result.preselfpay_amt)}`, en: `Class B share paid first by you ¥${yuan(result.preselfpay_amt)}` });
  out.push({ zh: `进入医保报销范围 ¥${yuan(result.inscp_scp_amt)}`, en: `Within the insurance's scope ¥${yuan(result.inscp_scp_amt)}` });
  return out;
}

/** The receipt as it prints: its text lines, and its QR code drawn from the payload. */
function receipt(document: ReceiptDocument): string {
  const rows = document.lines.map((line) => {
    if (line.kind === 'qr') {
      const code = QRCode(0, 'M');
      code.addData(line.data);
      code.make();
      return `<div class="qr" data-qr="${escape(line.data)}">${code.createSvgTag({ cellSize: 4, margin: 2, scalable: true })}</div>`;
    }
    if (line.kind === 'text') return `<pre class="${line.double ? 'double' : ''}">${escape(line.text)}</pre>`;
    return '';
  });
  return `<section class="receipt">${rows.join('')}</section>`;
}

/** The digit pad: the PIN's, and the filing's phone. */
const pad = () => `<div class="pad">${['1', '2', '3', '4', '5', '6', '7', '8', '9', 'clear', '0', 'del'].map((k) => (k.length === 1 ? `<button class="key digit" data-digit="${k}">${k}</button>` : button(k, k === 'clear' ? { zh: '清除', en: 'Clear' } : { zh: '退格', en: 'Delete' }))).join('')}</div>`;

function render(model: ScreenModel): string {
  const head = `<h1>${say(titles[model.state])}</h1>`;
  const note = 'code' in model && model.code !== null && model.state !== 'message' ? `<p class="note">${say(messageFor(model.code))}</p>` : '';
  switch (model.state) {
    case 'idle': {
      const s = model.status;
      const refused = s.refused > 0 ? `<p class="note">${say({ zh: `离线结算被拒 ${s.refused} 笔，请联系工作人员`, en: `${s.refused} offline settlement(s) refused: call staff` })}</p>` : '';
      return `${head}${refused}<p class="status ${s.online ? 'online' : 'offline'}" data-online="${s.online}">${say(s.online ? { zh: '在线', en: 'Online' } : { zh: '离线', en: 'Offline' })} · <span data-queued="${s.queued}">${s.queued}</span> ${say({ zh: '笔待上传', en: 'queued' })}</p>`;
    }
    case 'pin':
      return `${head}${note}<p class="dots" data-pin-length="${pin.length}">${'●'.repeat(pin.length) || '&nbsp;'}</p>${pad()}<div class="row">${button('cancel', cancel, 'cancel')}${button('pin', ok, 'ok')}</div>`;
    case 'filing': {
      // The offer (issue 16): why, the filing, its ratio cut and what it costs against a long-term filing, the amounts with it; the phone typed on the pad (shown, not a secret).
      const f = model.filing;
      const cut = yuan(model.cutBp);
      return (
        `${head}<p class="note" data-code="${escape(model.code)}">${say(messageFor(model.code))}</p>` +
        `<p class="filing" data-filing="${f.type} ${f.area} ${f.begndate} ${f.enddate}">${say({ zh: `临时备案：备案地 ${f.area}，有效期 ${f.begndate} 至 ${f.enddate}`, en: `Temporary filing: area ${f.area}, valid ${f.begndate} to ${f.enddate}` })}</p>` +
        `${money({ zh: `报销比例降低 ${cut}%，比长期备案多付`, en: `Ratio cut by ${cut}%: more than a long-term filing` }, model.cut, 'cut')}${money({ zh: '医疗费总额', en: 'Total bill' }, model.total, 'total')}${money({ zh: '基金支付', en: 'Funds pay' }, model.funds, 'funds')}${money({ zh: '个人负担', en: 'Yours to pay' }, model.yours, 'yours')}` +
        `<p>${say({ zh: '联系电话', en: 'Contact phone' })}</p><p class="dots" data-tel="${pin}">${pin || '&nbsp;'}</p>${pad()}<p>${say({ zh: '本人承诺所述属实', en: 'I commit that this is true' })}</p>` +
        `<div class="row">${button('cancel', cancel, 'cancel')}${button('file', { zh: '确认备案', en: 'File' }, 'ok')}</div>`
      );
    }
    case 'review': {
      const p = model.patient;
      const who = `<p class="patient">${escape(p.name)} ${escape(p.id)} ${escape(p.place)} <span class="pages">${model.page + 1}/${model.pages}</span></p>`;
      const nav = `<div class="row">${button('cancel', cancel, 'cancel')}${model.page > 0 ? button('back', { zh: '上一页', en: 'Back' }) : ''}${button('ok', model.totals === null ? { zh: '下一页', en: 'Next' } : { zh: '继续', en: 'Continue' }, 'ok')}</div>`;
      if (model.totals !== null) {
        const t = model.totals;
        const layers = t.layers.map((f) => money(fundName(f.fund_pay_type), f.fund_payamt, `fund-${f.fund_pay_type}`)).join('');
        return `<h1>${say({ zh: '结算预览', en: 'Pre-settlement' })}</h1>${who}${money({ zh: '医疗费总额', en: 'Total bill' }, t.total, 'total')}${money({ zh: '自付部分', en: 'Self-paid parts' }, t.selfParts, 'self')}${money({ zh: '基金支付', en: 'Funds pay' }, t.funds, 'funds')}<div class="layers">${layers}</div>${money({ zh: '个人负担', en: 'Yours to pay' }, t.yours, 'yours')}${nav}`;
      }
      const rows = model.lines.map((line, i) => {
        const level = line.result === null ? '' : say(levels[line.result.chrgitm_lv] ?? { zh: '', en: '' });
        const open = why === i ? `<ul class="why">${explain(line).map((m) => `<li>${say(m)}</li>`).join('')}</ul>` : '';
        return `<tr data-line="${i}"><td>${escape(line.name)}</td><td class="level">${level}</td><td class="fen">¥${yuan(line.self)}</td><td class="fen" data-amt>¥${yuan(line.amt)}</td><td><button class="key why-key" data-why="${i}">${say({ zh: '为什么?', en: 'Why?' })}</button></td></tr>${open ? `<tr><td colspan="5">${open}</td></tr>` : ''}`;
      });
      return `${head}${who}<table><thead><tr><th>${say({ zh: '项目', en: 'Item' })}</th><th>${say({ zh: '类', en: 'Class' })}</th><th>${say({ zh: '自付', en: 'Self-pay' })}</th><th>${say({ zh: '金额', en: 'Amount' })}</th><th></th></tr></thead><tbody>${rows.join('')}</tbody></table>${nav}`;
    }
    case 'confirm': {
      const choices =
        model.account === null
          ? money({ zh: '现金支付', en: 'Cash to pay' }, model.cash, 'cash')
          : `${money({ zh: '账户余额', en: 'Balance' }, model.balance, 'balance')}<div class="row">${button('1', { zh: `用个人账户 现金 ¥${yuan(model.account)}`, en: `Use account, cash ¥${yuan(model.account)}` }, model.useAccount ? 'chosen' : '')}${button('2', { zh: `不用账户 现金 ¥${yuan(model.cash)}`, en: `Cash only ¥${yuan(model.cash)}` }, model.useAccount ? '' : 'chosen')}</div>`;
      return `${head}${choices}<div class="row">${button('cancel', cancel, 'cancel')}${button('ok', { zh: '确认结算', en: 'Settle' }, 'ok')}</div>`;
    }
    case 'done':
      return `<h1>${say(model.offline ? { zh: '离线结算完成', en: 'Settled offline' } : titles.done)}</h1>${money({ zh: '现金支付', en: 'Cash' }, model.cash, 'cash')}${money({ zh: '基金支付', en: 'Funds' }, model.funds, 'funds')}${money({ zh: '个人账户', en: 'Account' }, model.account, 'account')}<p class="setl" data-setl="${escape(model.id)}">No. ${escape(model.id)}</p>${note}${model.receipt === null ? '' : receipt(model.receipt)}<p>${say({ zh: '请取走凭证和卡片', en: 'Take your receipt and card' })}</p>${button('ok', ok, 'ok')}`;
    case 'message':
      return `${head}<p class="message" data-code="${escape(model.code)}">${say(messageFor(model.code))}</p>${button('ok', { zh: '继续', en: 'Continue' }, 'ok')}`;
    default:
      return `${head}${note}${model.state === 'settle' || model.state === 'print' ? '' : button('cancel', cancel, 'cancel')}`;
  }
}

const tools = () => `<nav class="tools">${button('lang', { zh: 'English', en: '中文' })}${button('large', { zh: '大字', en: 'Large type' }, prefs.large ? 'chosen' : '')}</nav>`;

function draw(): void {
  const main = document.getElementById('screen') as HTMLElement;
  document.body.classList.toggle('large', prefs.large);
  document.documentElement.lang = prefs.lang;
  main.dataset.state = shown?.state ?? 'connecting';
  main.innerHTML = tools() + (shown === null ? `<h1>${say({ zh: '正在连接', en: 'Connecting' })}</h1>` : render(shown));
}

function send(body: { key: string } | { pin: string }): Promise<unknown> {
  return fetch('/touch', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).catch(() => undefined);
}

document.addEventListener('click', (event) => {
  const target = (event.target as HTMLElement).closest('button');
  if (target === null) return;
  const { touch, digit, why: line } = target.dataset;
  if (digit !== undefined) {
    if (pin.length < pinDigitsMax) pin += digit;
  } else if (line !== undefined) {
    why = why === Number(line) ? null : Number(line);
  } else if (touch === 'lang') {
    prefs.lang = prefs.lang === 'zh' ? 'en' : 'zh';
  } else if (touch === 'large') {
    prefs.large = !prefs.large;
  } else if (touch === 'clear') {
    pin = '';
  } else if (touch === 'del') {
    pin = pin.slice(0, -1);
  } else if (touch === 'pin') {
    if (pin.length < pinDigitsMin) return;
    void send({ pin });
    pin = '';
  } else if (touch === 'file') {
    // The phone (the pad's digits, on the server's digits path), then OK: in that order.
    if (pin.length < telDigitsMin) return;
    void send({ pin }).then(() => send({ key: 'ok' }));
    pin = '';
  } else if (touch !== undefined) {
    void send({ key: touch });
  }
  draw();
});

const events = new EventSource('/events');
events.onmessage = (event: MessageEvent<string>) => {
  const next = JSON.parse(event.data) as ScreenModel;
  if (next.state !== 'pin' && next.state !== 'filing') pin = '';
  if (next.state !== 'review' || shown?.state !== 'review' || next.page !== shown.page) why = null;
  shown = next;
  draw();
};
draw();
