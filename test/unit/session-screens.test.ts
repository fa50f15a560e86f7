// Proves the session's screens (src/session/screens.ts) are text frames a
// display can draw as they come: for every state, both layouts (kiosk 48×14,
// handheld 20×4), every worked case's patient and bill, every page of the
// pre-settlement, with and without the personal account, and a message for
// every code: exactly `rows` rows of exactly `cols` cells, CJK counted two.
// And they say what the patient needs: the refusal in plain words, each fee
// line's item and amount page by page, the totals, the cash either way, the
// settlement number. The model the frames are laid out from (the web page
// renders the same one) carries the amounts of the session's own settlement
// to the fen, the id masked, and never the PIN.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { yuan } from '../../src/core/trace';
import { settleCase } from '../../src/core/case';
import type { Settlement } from '../../src/core/types';
import { states, type State } from '../../src/session/machine';
import { messageFor } from '../../src/session/messages';
import { layouts, model, screen, text } from '../../src/session/screens';
import { pageCount, type Local, type Visit } from '../../src/session/session';
import { cellWidth } from '../../src/session/text';
import { workedCases } from '../helpers/cases';

type CaseShape = { person: { psn_no: string; acct_balance: number; insuplc_admdvs: string; acct_used: boolean }; visit: { lines: { sn: string; code: string; amt: number }[] }; catalogue: { items: Record<string, unknown> } };

function visitOf(worked: ReturnType<typeof workedCases>[number], useAccount: boolean): Visit | null {
  const raw = worked.case as unknown as CaseShape;
  const cash = settleCase({ ...worked.case, person: { ...raw.person, acct_used: false } });
  const account = settleCase({ ...worked.case, person: { ...raw.person, acct_used: true } });
  if (!cash.ok || !account.ok) return null;
  const local = (output: Settlement): Local => ({ output, body: null as unknown as Local['body'] });
  return {
    credential: null,
    card: { cardNumber: 'S1301000001', idNumber: '130125195805020017', name: '张建国', cardSerial: 'CS1' },
    pin: '',
    pinTries: 0,
    person: { ...(raw.person as unknown as NonNullable<Visit['person']>), psn_name: '张建国' },
    institution: null,
    bill: { lines: raw.visit.lines } as unknown as Visit['bill'],
    names: raw.visit.lines.map((line, index) => (index % 2 === 0 ? '颈动脉内膜剥脱术及其他很长的项目名称' : line.code)),
    cash: local(cash),
    account: raw.person.acct_balance > 0 ? local(account) : null,
    useAccount: useAccount && raw.person.acct_balance > 0,
    page: 0,
    code: null,
    setl: { id: 'S000000000042', entry: 'S42', time: 0, offline: false },
    receipt: null,
    // The filing screen's offer (issue 16), with this case's amounts: every layout fits it.
    offer: { code: 'filing_not_valid_on_date', filing: { type: 'temporary', area: '110000', begndate: '2026-03-20', enddate: '2026-09-15', fixmedins: null }, cutBp: 1_500, cut: 123_456, total: cash.setlinfo.medfee_sumamt, funds: 9_999_999, yours: 8_888_888, tel: '13900000000' },
  };
}

const status = { online: true, queued: 3, floorFen: 50_000, refused: 0 };

test('every frame of every state is exactly rows × cols cells, on both layouts, for every worked case and page', () => {
  let frames = 0;
  for (const worked of workedCases()) {
    for (const useAccount of [false, true]) {
      const visit = visitOf(worked, useAccount);
      if (visit === null) continue;
      for (const layout of Object.values(layouts)) {
        for (const state of states) {
          const pages = state === 'review' ? pageCount(visit, layout) : 1;
          for (let page = 0; page < pages; page += 1) {
            for (const code of [null, 'paper_out', 'patient_cancelled']) {
              const frame = screen(state, { ...visit, page, code }, layout, status);
              assert.is(frame.length, layout.rows, `${worked.name} ${layout.name} ${state}`);
              for (const row of frame) assert.is(cellWidth(row), layout.cols, `${worked.name} ${layout.name} ${state} page ${page}: '${row}'`);
              frames += 1;
            }
          }
        }
      }
    }
  }
  assert.ok(frames > 500, `${frames} frames`);
});

test('the idle screen counts the offline settlements the hub refused, for staff, on both layouts', () => {
  const visit = visitOf(workedCases()[1] as ReturnType<typeof workedCases>[number], true) as Visit;
  for (const layout of Object.values(layouts)) {
    assert.not.match(screen('idle', visit, layout, status).join('\n'), /被拒/, `${layout.name}: none refused`);
    const frame = screen('idle', visit, layout, { ...status, refused: 2 });
    assert.is(frame.length, layout.rows);
    for (const row of frame) assert.is(cellWidth(row), layout.cols);
    assert.match(frame.join('\n'), /被拒 ?2 ?笔/, `${layout.name}: ${frame.join('|')}`);
  }
});

test('a message for every code fits both layouts and leads with the Chinese sentence', () => {
  const visit = visitOf(workedCases()[1] as ReturnType<typeof workedCases>[number], true) as Visit;
  for (const code of ['filing_required', 'chronic_requires_long_term_filing', 'offline_not_allowed', 'hub_unreachable', 'pin_blocked', 'no_such_code']) {
    for (const layout of Object.values(layouts)) {
      const frame = screen('message', { ...visit, code }, layout, status);
      assert.ok(frame.join('').replace(/ /g, '').startsWith(messageFor(code).zh.slice(0, 8)), `${layout.name} ${code}: ${frame.join('|')}`);
      for (const row of frame) assert.is(cellWidth(row), layout.cols);
    }
  }
  const kiosk = screen('message', { ...visit, code: 'filing_required' }, layouts.kiosk, status).join('\n');
  assert.ok(kiosk.includes('请先办理异地就医备案') && kiosk.includes('File for off-site treatment first.'), kiosk);
});

test('the pre-settlement shows each fee line with its amount, page by page, then the totals; confirm shows the cash either way; done the number', () => {
  const wang = workedCases().find((worked) => worked.name.startsWith('02-')) as ReturnType<typeof workedCases>[number];
  const visit = visitOf(wang, true) as Visit;
  const lines = (wang.case as unknown as CaseShape).visit.lines;
  for (const layout of Object.values(layouts)) {
    const pages = pageCount(visit, layout);
    const shown = Array.from({ length: pages - 1 }, (_, page) => screen('review', { ...visit, page }, layout, status).join('\n')).join('\n');
    for (const line of lines) assert.ok(shown.includes(yuan(line.amt)), `${layout.name}: ${yuan(line.amt)} of line ${line.sn}`);
    const totals = screen('review', { ...visit, page: pages - 1 }, layout, status).join('\n');
    assert.ok(totals.includes(yuan((visit.account as Local).output.setlinfo.medfee_sumamt)), totals);
    const confirm = screen('confirm', visit, layout, status).join('\n');
    assert.ok(confirm.includes(yuan((visit.account as Local).output.setlinfo.psn_cash_pay)) && confirm.includes(yuan((visit.cash as Local).output.setlinfo.psn_cash_pay)), confirm);
    assert.ok(screen('done', visit, layout, status).join('\n').includes('S000000000042'));
  }
  assert.is(pageCount(visit, layouts.handheld), lines.length + 1, 'one fee line a page on the handheld');
});

test('the model carries the settlement to the fen, the id masked and never the PIN; the text frame is laid out from it', () => {
  for (const worked of workedCases()) {
    const visit = visitOf(worked, true);
    if (visit === null) continue;
    const local = (visit.useAccount ? visit.account : visit.cash) as Local;
    const pin = '97531864';
    for (const layout of Object.values(layouts)) {
      const pages = pageCount(visit, layout);
      let fen = 0;
      for (const state of states) {
        for (let page = 0; page < (state === 'review' ? pages : 1); page += 1) {
          const shown = model(state, { ...visit, pin, page }, layout.linesPerPage, status);
          const json = JSON.stringify(shown);
          assert.not.ok(json.includes(pin), `${worked.name} ${state}: the PIN`);
          assert.not.ok(json.includes('130125195805020017'), `${worked.name} ${state}: the whole id`);
          assert.equal(text(shown, layout), screen(state, { ...visit, pin, page }, layout, status));
          if (shown.state === 'review') {
            fen += shown.lines.reduce((sum, line) => sum + line.amt, 0);
            if (shown.totals !== null) {
              assert.is(shown.totals.total, local.output.setlinfo.medfee_sumamt);
              assert.is(shown.totals.yours, local.output.setlinfo.psn_cash_pay + local.output.setlinfo.acct_pay);
              assert.equal(shown.totals.layers, local.output.setldetail);
            }
          }
          if (shown.state === 'done') assert.is(shown.cash, local.output.setlinfo.psn_cash_pay);
        }
      }
      assert.is(fen, visit.bill?.lines.reduce((sum, line) => sum + line.amt, 0), `${worked.name} ${layout.name}: every fee line on some page`);
    }
  }
});

test.run();
