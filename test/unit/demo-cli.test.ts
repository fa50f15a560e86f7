// Proves `settle-sim demo` (npm start) checks every flag: a bad value is
// one line with its stable code and exit 2, before anything runs; and that a
// run plays the seed patients as issue 8 lists them (Mr. Zhang's referral
// inpatient bill settled in three layers, Aunt Wang's monthly medicines from
// her personal account, the Hegang retiree's hypertension visit, the unfiled
// patient offered a temporary filing at the kiosk, its cut shown, not zero,
// as the settlement core's difference against a long-term filing, who files
// and settles as the core settles him: issue 16), shows the screens, prints each
// receipt as the printer emulator read it, ends with the day's
// reconciliation, and puts the machine-readable summary on the last line.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { yuan } from '../../src/core/trace';
import { runSim } from '../helpers/cli';
import { li as liIdentity, liFiled } from '../helpers/filing-cut';

const refusals: readonly [string[], RegExp][] = [
  [['--baud', '12'], /invalid_baud: --baud must be a whole number from 1200 to 4000000, got '12'/],
  [['--baud', '600'], /invalid_baud: --baud must be a whole number from 1200 to 4000000, got '600'/],
  [['--baud', '-9600'], /invalid_baud/],
  [['--baud', '9600.5'], /invalid_baud/],
  [['--loss', '0.9'], /invalid_loss: --loss must be a fraction from 0 to 0.3/],
  [['--loss', '0.31'], /invalid_loss: --loss must be a fraction from 0 to 0.3/],
  [['--loss', 'lots'], /invalid_loss/],
  [['--loss=-0.1'], /invalid_loss/],
  [['--loss', '-0.1'], /invalid_loss: --loss must be a fraction from 0 to 0.3 .*got '-0.1'/],
  [['--patients=-3'], /invalid_patients/],
  [['--patients', '10001'], /invalid_patients/],
  [['--seed', '4294967296'], /invalid_seed/],
  [['--seed', '0x10'], /invalid_seed/],
  [['--state', ''], /invalid_state/],
  [['--colour', 'red'], /bad_flag: Unknown option '--colour'/],
  [['--json', 'yes'], /bad_flag/],
  [['--baud'], /bad_flag: Option '--baud <value>' argument missing/],
  [['--clock', 'fast'], /invalid_clock: --clock must be 'real' or 'virtual', got 'fast'/],
  [['--watchdog-s', '0'], /invalid_watchdog: --watchdog-s must be a whole number of seconds from 1 to 86400, got '0'/],
  [['--watchdog-s', '-5'], /invalid_watchdog: .*got '-5'/],
  [['--watchdog-s', '1.5'], /invalid_watchdog/],
  [['--watchdog-s', '86401'], /invalid_watchdog/],
];

test('every bad flag is one line with its code, exit 2', () => {
  for (const [args, expected] of refusals) {
    const result = runSim(['demo', ...args]);
    assert.is(result.code, 2, args.join(' '));
    assert.is(result.stdout, '', args.join(' '));
    assert.is(result.stderr.trimEnd().split('\n').length, 1, args.join(' '));
    assert.match(result.stderr, /^settle-sim demo: /);
    assert.match(result.stderr, expected, args.join(' '));
  }
  assert.match(runSim(['demo', '--help']).stdout, /^usage: settle-sim demo \[--seed N\] \[--baud N\] \[--loss P\] \[--patients N\] \[--state DIR\] \[--json\]/);
});

test('the seed patients: screens, receipts, the day reconciled, and the summary as the last line', () => {
  const result = runSim(['demo', '--json'], { timeoutMs: 120_000 });
  assert.is(result.code, 0, result.stderr);
  const out = result.stdout;
  for (const shown of ['请输入社保卡密码', '费用明细 Bill', '结算预览 Pre-settlement', '确认结算 Confirm', '>1 用账户 Account', '结算完成 Settled', '办理临时异地就医备案 Off-site filing', '请先办理异地就医备案', '临时备案比例降低 Ratio cut', '电话 Phone 13900000000']) {
    assert.ok(out.includes(shown), `screen: ${shown}`);
  }
  const receipts = out.split('--- receipt (printer emulator) ---').slice(1);
  assert.is(receipts.length, 5, 'five receipts');
  // The pharmacy's handheld: its screens are labelled as its own and drawn 20 cells by 4 rows, every row.
  const handheld = out.split('\n=== ').find((part) => part.startsWith('SH-P01 (上海市示范联网药店, handheld, its 20×4 screens)'));
  assert.ok(handheld !== undefined, 'the handheld patient, labelled');
  const frames = [...(handheld as string).matchAll(/^\[SH-P01 handheld 20×4 (\w+)\]\n\+-{20}\+\n((?:\|.*\|\n){4})\+-{20}\+$/gm)];
  assert.ok(['pin', 'review', 'confirm', 'done'].every((state) => frames.some((frame) => frame[1] === state)), frames.map((frame) => frame[1]).join(' '));
  assert.ok(frames.some((frame) => frame[1] === 'done' && (frame[2] as string).includes('现金 Cash     208.37')), 'the handheld shows the cash settled');
  for (const receipt of receipts) for (const part of ['姓名 Name', '证件 ID', '结算号 No.', '个人账户支付 Account paid', '账户余额 Account balance', '现金支付 Cash to pay', '目录 Catalogue', '政策 Policy', '[QR S', '--- cut ---']) assert.ok(receipt.includes(part), part);
  assert.ok(receipts[0]?.includes('城乡居民大病保险') && receipts[0].includes('医疗救助基金'), 'Mr. Zhang: three layers in one step');
  assert.ok(!out.includes('130125195805020017'), 'no ID number in full');
  assert.match(out, /=== end of day: reconciliation with the hub/);
  const last = out.trimEnd().split('\n').at(-1) as string;
  const summary = JSON.parse(last);
  assert.equal([summary.settled, summary.refused, summary.refusals, summary.reconciliation.agree, summary.audit.ok], [5, 0, {}, true, true]);
  // Mr. Li, filed at the kiosk: settled as the core settles his visit with the temporary filing, and
  // told first what it costs him more than a long-term filing, in fen, as the core's difference.
  const li = summary.settlements.find((settlement: { patient: string }) => settlement.patient === liIdentity.psn_no);
  const core = liFiled();
  const { setlinfo } = core.temporary;
  assert.equal([li.medfee_sumamt, li.fund_pay_sumamt, li.acct_pay, li.psn_cash_pay], [setlinfo.medfee_sumamt, setlinfo.fund_pay_sumamt, setlinfo.acct_pay, setlinfo.psn_cash_pay], "Mr. Li: the core's settlement with the temporary filing");
  assert.ok(core.cutFen > 0, `a cut that costs him something (${core.cutFen} fen)`);
  const offer = out.split('\n=== ').find((part) => part.startsWith('BJ-K01') && part.includes('never filed')) as string;
  const shownRow = (label: string) => offer.split('\n').find((row) => row.startsWith(`|${label}`))?.slice(1, -1).trimEnd().split(' ').at(-1);
  assert.equal(
    [shownRow('比长期备案多付 More than long-term'), shownRow('医疗费总额 Total bill'), shownRow('基金支付 Funds pay'), shownRow('个人负担 Yours to pay')],
    [yuan(core.cutFen), yuan(setlinfo.medfee_sumamt), yuan(setlinfo.fund_pay_sumamt), yuan(setlinfo.psn_cash_pay)],
    'the offer shows the cut in yuan and the amounts before he files',
  );
  const wang = summary.settlements.find((settlement: { patient: string }) => settlement.patient === 'P330400000002');
  assert.equal([wang.medfee_sumamt, wang.fund_pay_sumamt, wang.acct_pay, wang.psn_cash_pay], [79_700, 48_986, 30_714, 0], 'the worked case: 489.86 from the pool, 307.14 from her account');
});

test.run();
