// Proves the settle request is built once (protocol/settle-request.ts): a
// bill of up to feeLinesPerMessageMax lines travels inline with its line
// results, a larger one by reference with neither, and in both the digest
// covers every line result; the request passes the wire's schema; the case
// the core settles is the person less the name with the account choice; and
// no other module of the terminal, the reference hub or the test rig builds
// a request, a digest over a result or the inline rule by itself (no bare
// `300`, no `resultDigest(` outside the builder).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { decodeStrict } from '../../protocol/cbor-decode';
import { createCborEncoder } from '../../protocol/cbor-encode';
import { billDigest, resultDigest } from '../../protocol/digests';
import { feeLinesPerMessageMax } from '../../protocol/limits';
import { messageTypeByName } from '../../protocol/messages';
import { fromWire, toWire } from '../../protocol/schema';
import { fullResult, linesTravelInline, settleRequest, visitCase } from '../../protocol/settle-request';
import { projectRoot } from '../helpers/cli';
import { sampleLineResults, sampleLines, samplePerson, sampleResult } from '../helpers/messages';

const encoder = createCborEncoder();

function request(lineCount: number) {
  const lines = sampleLines(lineCount);
  const result = sampleResult(lines);
  const settlement = { ...result, lines: sampleLineResults(lines) };
  const bill = { mdtrt_id: 'M1', date: '2026-03-14', med_type: '21' as const, opsp_dise: null, bill: { digest: billDigest(encoder, lines), line_count: lines.length, medfee_sumamt: 1 }, lines };
  return { settlement, body: settleRequest(encoder, { bill, psnNo: 'P1', acctUsed: true, catalogueVersion: 'cat-1', policyVersion: 'pol-1', settlement }) };
}

test('the inline rule is the wire limit: up to feeLinesPerMessageMax lines inline, more by reference', () => {
  assert.is(feeLinesPerMessageMax, 300);
  assert.equal([1, 299, 300, 301, 1_000].map(linesTravelInline), [true, true, true, false, false]);
});

test('inline and by reference: lines and line results travel together, the digest always covers every line result', () => {
  for (const [count, inline] of [[20, true], [feeLinesPerMessageMax, true], [feeLinesPerMessageMax + 1, false], [1_000, false]] as const) {
    const { settlement, body } = request(count);
    assert.is(body.input.lines.length, inline ? count : 0, `${count} lines in the input`);
    assert.is(body.result.lines.length, inline ? count : 0, `${count} line results`);
    assert.equal(body.result_digest, resultDigest(encoder, fullResult(settlement)), `${count}: digest of the whole result`);
    assert.equal([body.input.psn_no, body.input.acct_used, body.input.catalogue_version, body.input.policy_version], ['P1', true, 'cat-1', 'pol-1']);
    const type = messageTypeByName('settle').body;
    const decoded = decodeStrict(encoder.encode(toWire(type, body, 'settle')));
    assert.ok(decoded.ok, `${count}: strict CBOR`);
    assert.equal(fromWire(type, decoded.value, 'settle'), body, `${count}: the wire schema takes it`);
  }
});

test('the case the core settles: the person less the name, the account choice, the lines given', () => {
  const lines = sampleLines(2);
  const raw = visitCase({ date: '2026-03-14', med_type: '11', opsp_dise: null }, samplePerson, false, { fixmedins_code: 'H11010600001', admdvs: '110105', level: 3 } as never, lines);
  assert.not.ok('psn_name' in raw.person);
  assert.is(raw.person.acct_used, false);
  assert.is(raw.person.psn_no, samplePerson.psn_no);
  assert.equal(raw.visit, { med_type: '11', opsp_dise: null, lines });
});

function sources(dir: string): string[] {
  return readdirSync(path.join(projectRoot, dir)).flatMap((name) => {
    const file = path.join(dir, name);
    return statSync(path.join(projectRoot, file)).isDirectory() ? sources(file) : file.endsWith('.ts') ? [file] : [];
  });
}

test('nothing else builds a request: no digest over a result and no bare 300 in the terminal, the reference hub or the test rig', () => {
  const builders: string[] = [];
  for (const file of [...sources('src'), ...sources('device'), ...sources(path.join('test', 'helpers')), ...sources('protocol')]) {
    if (file === path.join('protocol', 'settle-request.ts') || file === path.join('protocol', 'digests.ts')) continue;
    const text = readFileSync(path.join(projectRoot, file), 'utf8').replace(/\/\/.*$/gm, '');
    if (/\bresultDigest\(/.test(text)) builders.push(`${file}: resultDigest(`);
    if (/(<=?|>=?)\s*300\b/.test(text)) builders.push(`${file}: a bare 300`);
  }
  assert.equal(builders, []);
});

test.run();
