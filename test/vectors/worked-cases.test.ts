// Proves the settlement core reproduces every worked case (test/fixtures/cases)
// exactly: through the function (as JSON values) and through the built CLI
// (`settle FILE`, `settle` on stdin, `settle --jsonl`), with output keys in the
// order §9 lists; that --explain derives the same figures in words; and that
// every file of examples/ is its worked case, bare, and settles to its
// expected output through `settle examples/FILE`; and that a file that is not
// a case (a worked-case fixture, a case missing a field, not JSON) prints
// exactly the refusal line on stdout and why, with the file and the field's
// path, on stderr.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import path from 'node:path';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { projectRoot, runTerminal } from '../helpers/cli';
import { casesDir, keyOrder, workedCases } from '../helpers/cases';
import { settleCase } from '../../src/core/case';

const cases = workedCases();

const setlinfoOrder = [
  'medfee_sumamt', 'fulamt_ownpay_amt', 'overlmt_selfpay', 'preselfpay_amt', 'inscp_scp_amt', 'act_pay_dedc', 'hifp_pay',
  'hifob_pay', 'hifmi_pay', 'maf_pay', 'fund_pay_sumamt', 'psn_part_amt', 'acct_pay', 'psn_cash_pay', 'balc', 'reim_bp',
];
const lineOrder = ['sn', 'chrgitm_lv', 'fulamt_ownpay_amt', 'overlmt_amt', 'preselfpay_amt', 'inscp_scp_amt', 'reason'];

for (const worked of cases) {
  test(`${worked.name}: the function reproduces the expected output`, () => {
    assert.equal(JSON.parse(JSON.stringify(settleCase(worked.case))), worked.expected);
  });
}

test('outputs list their keys in the order of §9', () => {
  for (const worked of cases) {
    const output = settleCase(worked.case);
    if (!output.ok) {
      assert.equal(Object.keys(output), ['ok', 'error']);
      continue;
    }
    assert.equal(Object.keys(output), ['ok', 'setlinfo', 'lines', 'setldetail', 'acc_delta']);
    assert.equal(Object.keys(output.setlinfo), setlinfoOrder);
    for (const line of output.lines) assert.equal(Object.keys(line), lineOrder.slice(0, Object.keys(line).length));
    for (const detail of output.setldetail) assert.equal(Object.keys(detail), ['fund_pay_type', 'fund_payamt']);
    assert.equal(Object.keys(output.acc_delta), [...Object.keys(output.acc_delta)].sort());
  }
});

test('the CLI reproduces every case from a file, byte for byte the function output', () => {
  for (const worked of cases) {
    const input = JSON.stringify(worked.case);
    const fromStdin = runTerminal(['settle'], { input });
    assert.is(fromStdin.code, 0, fromStdin.stderr);
    assert.is(fromStdin.stdout, `${JSON.stringify(settleCase(worked.case))}\n`);
    assert.equal(JSON.parse(fromStdin.stdout), worked.expected);
    assert.equal(keyOrder(JSON.parse(fromStdin.stdout)), keyOrder(settleCase(worked.case)));
  }
});

test('settle FILE on a file that is not a case: the output line is exactly the refusal, and stderr says why, naming the file and the field', () => {
  // A fixture file holds {story, case, expected}: not a case, so refused as invalid_input.
  const fixture = path.join(casesDir, cases[0]?.name ?? '');
  const result = runTerminal(['settle', fixture]);
  assert.is(result.code, 0);
  assert.is(result.stdout, '{"ok":false,"error":{"code":"invalid_input"}}\n');
  assert.is(result.stderr, `settle-terminal settle: ${fixture}: invalid_input: case.catalogue is required (this looks like a worked-case fixture: the case is its "case" member; examples/ holds bare cases)\n`);
  const dir = mkdtempSync(path.join(tmpdir(), 'not-a-case-'));
  try {
    for (const [name, text, stdout, why] of [
      ['no-person.json', JSON.stringify({ ...cases[0]?.case, person: undefined }), 'invalid_input', 'invalid_input: case.person is required\n'],
      ['line-without-sn.json', JSON.stringify({ ...cases[0]?.case, visit: { ...(cases[0]?.case as { visit: object }).visit, lines: [{}] } }), 'invalid_input', 'invalid_input: visit.lines[0].sn is required\n'],
      ['not-json.json', '{"story":', 'invalid_json', 'invalid_json: the input is not JSON\n'],
    ] as const) {
      const file = path.join(dir, name);
      writeFileSync(file, text);
      const refused = runTerminal(['settle', file]);
      assert.is(refused.code, 0, name);
      assert.is(refused.stdout, `{"ok":false,"error":{"code":"${stdout}"}}\n`, name);
      assert.is(refused.stderr, `settle-terminal settle: ${file}: ${why}`, name);
      assert.is(refused.stderr.trimEnd().split('\n').length, 1, name);
    }
    const fromStdin = runTerminal(['settle'], { input: '{}' });
    assert.is(fromStdin.stdout, '{"ok":false,"error":{"code":"invalid_input"}}\n');
    assert.match(fromStdin.stderr, /^settle-terminal settle: stdin: invalid_input: case\.\S+ is required\n$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // A case settles with nothing on stderr; --jsonl keeps stderr for nothing but failures to write.
  const good = runTerminal(['settle', path.join(projectRoot, 'examples', cases[0]?.name ?? '')]);
  assert.is(good.stderr, '');
  assert.is(runTerminal(['settle', '--jsonl'], { input: '{}\nnope\n' }).stderr, '');
});

test('settle --jsonl settles every case in order, one line each', () => {
  const input = `${cases.map((worked) => JSON.stringify(worked.case)).join('\n')}\n`;
  const result = runTerminal(['settle', '--jsonl'], { input });
  assert.is(result.code, 0, result.stderr);
  const lines = result.stdout.trimEnd().split('\n');
  assert.is(lines.length, cases.length);
  lines.forEach((line, index) => assert.equal(JSON.parse(line), cases[index]?.expected));
});

test('settle --explain derives the worked figures in words', () => {
  const zhang = cases.find((worked) => worked.name.startsWith('01-'));
  assert.ok(zhang);
  const result = runTerminal(['settle', '--explain'], { input: JSON.stringify(zhang.case) });
  assert.is(result.code, 0);
  const [json, ...text] = result.stdout.trimEnd().split('\n');
  assert.equal(JSON.parse(json ?? ''), zhang.expected);
  const words = text.join('\n');
  assert.match(words, /band 1 \[0\.00, 30000\.00\): 29636\.80 × 60\.00 % \(65\.00 % − off-site cut 5\.00 %\) = 17782\.08/);
  assert.match(words, /Deductible \(inpatient\): 1200\.00, per visit/);
  assert.match(words, /segment \[15000\.00, 100000\.00\) at 60\.00 %: 7054\.72 → 4232\.83/);
  assert.match(words, /Medical assistance \(extreme_poverty\).*pays 7939\.70/);
  assert.match(words, /cash to pay: 6773\.39/);
});

test('settle --explain on a refusal names the code', () => {
  const unfiled = cases.find((worked) => worked.name.startsWith('05-'));
  const result = runTerminal(['settle', '--explain'], { input: JSON.stringify(unfiled?.case) });
  assert.match(result.stdout, /^\{"ok":false,"error":\{"code":"filing_required"\}\}\nRefused: filing_required\.\n$/);
});

test('examples/ holds every worked case, bare, and settle FILE prints its expected output', () => {
  for (const worked of cases) {
    const file = path.join(projectRoot, 'examples', worked.name);
    assert.equal(JSON.parse(readFileSync(file, 'utf8')), worked.case, worked.name);
    const result = runTerminal(['settle', file]);
    assert.is(result.code, 0, result.stderr);
    assert.equal(JSON.parse(result.stdout), worked.expected, worked.name);
  }
});

test.run();
