// Proves `npm start -- --gateway` (`settle-sim demo --gateway`,
// device/sim/demo-gateway.ts) on the built bundle: the seed patients settled
// terminal → gateway → national simulator over HTTP give the same screens,
// receipts, outcomes and amounts, to the fen, as terminal → reference hub in
// a run of the plain demo; the day reconciles, the hub's audit holds, every
// settlement the gateway holds in force is in force at the platform under the
// same setl_id with the same amounts and the platform has no other, and the
// summary carries the gateway's figures (calls by infno, national JSON bytes
// each way). `--gateway --clock virtual` is refused (exit 2): the gateway's
// HTTP calls take wall time. One patient differs, by design: the unfiled
// Mr. Li files at the kiosk and settles through the reference hub (as the
// settlement core settles his visit with that filing), while the
// gateway refuses his filing (`filing_type_not_allowed_here`: it does not
// forward filings, and one of its own the platform would not see), so
// through it he is sent to a counter and nothing is filed; the comparison
// leaves his visit and BJ-K01's day totals out and checks them apart; both
// ways the offer showed him the same cut, the core's difference against a
// long-term filing, not zero.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { yuan } from '../../src/core/trace';
import { runSim } from '../helpers/cli';
import { liFiled } from '../helpers/filing-cut';

/** A terminal's log line (`BJ-K01: hub sign-in session=1`): the four terminals boot at once, so their order among themselves varies. */
const terminalLog = /^[A-Z]{2}-[A-Z][0-9]{2}: /;

/** The terminals' log lines, sorted. */
function logs(stdout: string): string[] {
  return stdout.split('\n').filter((line) => terminalLog.test(line)).sort();
}

/** The story as printed, without what differs between runs (the state directory, the time and line figures, the terminals' log order) and the gateway's own part. */
function story(stdout: string): string[] {
  const lines = stdout.split('\n').filter((line) => !terminalLog.test(line));
  const cut = lines.indexOf('=== the gateway to the national interface ===');
  return (cut < 0 ? lines : lines.slice(0, cut))
    // The line figures count requests sent again: on a loaded machine a forwarded request can outlast the terminal's first attempt.
    .filter((line) => !line.startsWith('time: ') && !line.startsWith('{') && !line.startsWith('demo: ') && !line.startsWith('line: '))
    .join('\n')
    .trimEnd()
    .split('\n');
}

const li = 'P130125000005';

/** The story without Mr. Li's visit and BJ-K01's reconciliation line (his settlement is in its totals through the reference hub only). */
function withoutLi(lines: string[]): string[] {
  const start = lines.findIndex((line) => line.startsWith('=== BJ-K01') && line.includes('Hebei resident who never filed'));
  const end = lines.findIndex((line) => line.startsWith(`>>> BJ-K01 ${li}:`));
  assert.ok(start >= 0 && end > start, 'his visit in the story');
  return [...lines.slice(0, start), ...lines.slice(end + 1)].filter((line) => !line.startsWith('BJ-K01 2026-06-30: '));
}

test('--gateway goes with the real clock only', () => {
  const refused = runSim(['demo', '--gateway', '--clock', 'virtual']);
  assert.is(refused.code, 2);
  assert.match(refused.stderr, /bad_flag: --gateway runs on the real clock/);
});

test('terminal → gateway → national simulator: the same screens, receipts and amounts as terminal → reference hub, and the platform agrees', () => {
  const plain = runSim(['demo', '--json'], { timeoutMs: 300_000 });
  assert.is(plain.code, 0, plain.stderr);
  const through = runSim(['demo', '--gateway', '--json'], { timeoutMs: 300_000 });
  assert.is(through.code, 0, `${through.stdout}\n${through.stderr}`);
  assert.match(through.stdout, /^demo: terminal -> gateway -> national simulator at http:\/\/127\.0\.0\.1:[0-9]+\//m);
  assert.equal(withoutLi(story(through.stdout)), withoutLi(story(plain.stdout)), 'screens, receipts, outcomes and reconciliation as printed');
  assert.match(plain.stdout, new RegExp(`>>> BJ-K01 ${li}: settled S`), 'through the reference hub he files and settles');
  assert.match(through.stdout, new RegExp(`>>> BJ-K01 ${li}: refused \\(filing_type_not_allowed_here\\)`), 'through the gateway his filing is refused');
  assert.match(through.stdout, /\[BJ-K01 filing\]/, 'he was offered it');
  // Both ways he was told the same cut before filing: the core's difference against a long-term filing, not zero.
  const core = liFiled();
  assert.ok(core.cutFen > 0, 'his bill is over the deductible');
  const cutRow = new RegExp(`^\\|比长期备案多付 More than long-term +${yuan(core.cutFen).replace('.', '\\.')}\\|$`, 'm');
  assert.match(plain.stdout, cutRow, 'the cut on the offer, through the reference hub');
  assert.match(through.stdout, cutRow, 'the cut on the offer, through the gateway');
  assert.equal(logs(through.stdout), logs(plain.stdout), "the terminals' log lines");
  const last = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1) as string);
  const a = last(plain.stdout);
  const b = last(through.stdout);
  const others = (settlements: { patient: string }[]) => settlements.filter((settlement) => settlement.patient !== li);
  assert.equal(others(b.settlements), others(a.settlements), 'every other outcome and amount, to the fen');
  const filed = a.settlements.find((settlement: { patient: string }) => settlement.patient === li);
  const { setlinfo } = core.temporary;
  assert.equal([filed.medfee_sumamt, filed.fund_pay_sumamt, filed.psn_cash_pay], [setlinfo.medfee_sumamt, setlinfo.fund_pay_sumamt, setlinfo.psn_cash_pay], 'through the reference hub he settles as the core settles him with the filing');
  assert.ok(b.settled >= 4 && b.refused === 1, JSON.stringify(b.refusals));
  assert.ok(b.reconciliation.agree && b.audit.ok);
  assert.equal(b.gateway.ledgers, { equal: true, in_force: b.settled, problems: [] });
  assert.is(b.gateway.by_infno['2207'], b.settled, 'one 2207 per settlement');
  assert.is(b.gateway.no_answers, 0);
  assert.is(b.gateway.calls, Object.values(b.gateway.by_infno as Record<string, number>).reduce((sum, count) => sum + count, 0));
  assert.is(b.gateway.national.calls, b.gateway.calls, 'the simulator answered every call the gateway made');
  assert.ok(b.gateway.sent_bytes > 0 && b.gateway.received_bytes > 0);
  assert.is(b.gateway.sent_bytes, b.gateway.national.requestBytes, 'the bytes the gateway sent are the bytes the platform read');
  assert.match(through.stdout, /^gateway: national JSON [0-9]+ bytes sent, [0-9]+ bytes received/m);
  assert.match(through.stdout, /^national ledger: [0-9]+ settlements in force, each equal to the gateway's to the fen, and no other$/m);
});

test.run();
