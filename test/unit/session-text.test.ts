// Proves the patient-facing text is complete and fits: every code the
// terminal can meet (the core's refusals, the hub's error replies, every
// device error, the session's outcomes) has its own Chinese and English
// message; text is measured in cells (CJK two), clipped without splitting a
// character, padded, wrapped and ID numbers masked; and a settlement receipt
// carries everything issue 8 lists, every line within the paper's width.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { errorCodes } from '../../protocol/messages';
import type { DeviceErrorCode } from '../../device/port';
import { settleCase } from '../../src/core/case';
import type { RefusalCode } from '../../src/core/types';
import { fundName, hasMessage, messageFor } from '../../src/session/messages';
import { receiptFor, receiptText } from '../../src/session/receipt';
import { cellWidth, clip, fit, maskId, spread, wrap } from '../../src/session/text';
import { workedCases } from '../helpers/cases';

// Written out as records so that the compiler fails when a code is added without being listed here.
const refusals: Record<RefusalCode, true> = {
  invalid_input: true, policy_not_found: true, institution_not_networked: true, filing_required: true, filing_not_valid_on_date: true,
  filing_area_mismatch: true, institution_not_selected: true, chronic_requires_long_term_filing: true, chronic_not_qualified: true,
  chronic_not_opened_at_institution: true, unknown_item: true,
};
const deviceCodes: Record<DeviceErrorCode, true> = {
  timeout: true, cancelled: true, port_error: true, protocol_error: true, no_card: true, card_removed: true, card_unreadable: true,
  card_data_invalid: true, file_not_found: true, security_not_satisfied: true, pin_wrong: true, pin_blocked: true, card_error: true,
  paper_out: true, cover_open: true, printer_error: true, receipt_too_long: true,
};
const sessionCodes = ['hub_unreachable', 'offline_over_limit', 'offline_not_allowed', 'reversed', 'session_timeout', 'patient_cancelled', 'token_check_failed', 'catalogue_missing', 'journal_full', 'queue_full'];

test('every code has its own message in Chinese and English', () => {
  for (const code of [...Object.keys(refusals), ...errorCodes, ...Object.keys(deviceCodes), ...sessionCodes]) {
    assert.ok(hasMessage(code), code);
    const message = messageFor(code);
    assert.ok(/[\u4e00-\u9fff]/.test(message.zh), `${code} zh`);
    assert.ok(/^[A-Z]/.test(message.en) && message.en.endsWith('.'), `${code} en`);
  }
  assert.equal(messageFor('filing_required'), { zh: '请先办理异地就医备案', en: 'File for off-site treatment first.' });
  assert.match(messageFor('no_such_code').zh, /人工窗口/);
  assert.not.ok(hasMessage('__proto__'));
  assert.not.ok(hasMessage('toString'));
});

test('fund names for every fund of setldetail', () => {
  for (const type of ['310100', '310200', '330100', '390100', '390200', '610100']) assert.ok(/[\u4e00-\u9fff]/.test(fundName(type).zh), type);
  assert.equal(fundName('999999'), { zh: '999999', en: '999999' });
});

test('cells: CJK takes two, clipping never splits a character, padding and spreading fill exactly', () => {
  assert.is(cellWidth('abc'), 3);
  assert.is(cellWidth('医保'), 4);
  assert.is(cellWidth('ＡＢ'), 4);
  assert.is(cellWidth('𠀀'), 2);
  assert.is(clip('医保结算', 5), '医保');
  assert.is(fit('医保', 6, 'right'), '  医保');
  assert.is(fit('ab', 5, 'center'), ' ab  ');
  assert.is(cellWidth(spread('现金 Cash', '12.34', 20)), 20);
  assert.is(spread('a', 'b', 4), 'a  b');
});

test('wrapping: at spaces in Latin text, anywhere in Chinese, never wider than asked', () => {
  assert.equal(wrap('The card was pulled out while reading', 12), ['The card was', 'pulled out', 'while', 'reading']);
  assert.equal(wrap('请先办理异地就医备案', 8), ['请先办理', '异地就医', '备案']);
  for (const line of wrap(messageFor('paper_out').en, 20)) assert.ok(cellWidth(line) <= 20, line);
  assert.equal(wrap('', 10), ['']);
});

test('ID numbers are masked to the first six and last four', () => {
  assert.is(maskId('130125195805020017'), '130125********0017');
  assert.is(maskId('P13012'), 'P1****');
});

test("a receipt carries everything issue 8 lists, within the paper's width", () => {
  const wang = workedCases().find((worked) => worked.name.startsWith('02-'));
  assert.ok(wang);
  const output = settleCase(wang.case);
  assert.ok(output.ok);
  for (const cells of [32, 48]) {
    const document = receiptFor(
      {
        institutionName: '上海市第一人民医院',
        fixmedinsCode: 'H31010100003',
        patientName: '王阿姨',
        patientId: '330402195611200024',
        insuredPlace: '330402 嘉兴',
        settledAt: '2026-04-02 10:15',
        setlId: 'S3101012026040200001',
        offline: false,
        setlinfo: output.setlinfo,
        setldetail: output.setldetail,
        catalogueVersion: 'shanghai-2026.03',
        policyVersion: 'book-2026.04',
        terminalId: 'K-0001',
      },
      cells,
    );
    const lines = receiptText(document);
    for (const line of lines) assert.ok(cellWidth(line) <= cells, `${cells}: ${line}`);
    const all = lines.join('\n');
    for (const expected of ['上海市第一人民医院', '王阿姨', '330402********0024', '2026-04-02 10:15', 'S3101012026040200001', '职工基本医疗保险统筹基金', '489.86', '307.14', '552.86', '0.00', 'shanghai-2026.03', 'book-2026.04', '[QR S3101012026040200001]']) {
      assert.ok(all.includes(expected), `${cells}: ${expected}\n${all}`);
    }
    assert.not.ok(all.includes('330402195611200024'), 'the full ID is never printed');
    assert.ok(document.lines.some((line) => line.kind === 'cut'));
  }
});

test.run();
