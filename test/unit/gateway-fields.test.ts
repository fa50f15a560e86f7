// Proves the gateway's table of national transactions (gateway/national/fields.ts)
// and its mappings (gateway/national/map.ts): for every transaction (9001,
// 1101, 2201, 2203, 2204, 2205, 2206, 2207, 2208, 2601, 3201, 3202, 5203) the
// input the gateway builds for each seed patient has every required field
// with the right type and length, and the checker refuses the same input with
// any one required field removed, lengthened past its limit or given a
// number instead of text (so the first check could fail); the 1101 and
// 2206/2207 answers built from a seed person and a worked case's expected
// result read back equal to the fen; amounts and quantities are written as
// the digits of integers (0.29 yuan is 29 fen, where 0.29 * 100 is not);
// README.md prints the table as the module renders it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkGroups, transactionOf, transactions, type GroupSpec } from '../../gateway/national/fields';
import * as map from '../../gateway/national/map';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fieldTableMarkdown } from '../../gateway/national/fields-doc';
import { projectRoot } from '../helpers/cli';
import { seedNational, seedRecon, testIdentity } from '../helpers/national';

const time = '2026-03-14 10:00:00';
const seeds = seedNational();
const recon = seedRecon(seeds);

/** Every input the gateway builds for one seed patient, by infno. */
function inputsOf(seed: (typeof seeds)[number]): Record<string, map.Input> {
  const { input, person, credential } = seed;
  return {
    '9001': map.signInInput(testIdentity),
    '1101': map.personQueryInput(credential, time),
    '2201': map.registerInput(testIdentity, person, credential.id.slice(0, 50), input.mdtrt_id, time),
    '2203': map.visitInput(input, time),
    '2204': map.feeDetailInput(testIdentity, input, 'B1', time),
    '2205': map.feeRevokeInput(input.mdtrt_id, 'B1', input.psn_no),
    '2206': map.settleDataInput(input, person.insutype, credential, 'B1'),
    '2207': map.settleDataInput(input, person.insutype, credential, 'B1'),
    '2208': map.cancelInput('S000001', input.mdtrt_id, input.psn_no),
    '2601': map.reversalInput(input.psn_no, '110106000120260314100000000001', '2207'),
    '3201': map.reconTotalsInput(testIdentity, recon.totals, person.insutype),
    '3202': map.reconDetailInput(testIdentity, recon.totals, recon.entries),
    '5203': map.settleQueryInput(input.psn_no, input.mdtrt_id, null),
  };
}

test('the table names each national transaction once, each group its fields once', () => {
  const wanted = ['9001', '1101', '2201', '2203', '2204', '2205', '2206', '2207', '2208', '2601', '3201', '3202', '5203'];
  assert.equal(transactions.map((spec) => spec.infno), wanted);
  for (const spec of transactions) {
    for (const group of [...spec.input, ...spec.output]) {
      const names = group.fields.map((field) => field.name);
      assert.is(new Set(names).size, names.length, `${spec.infno}.${group.name} has a field twice`);
      for (const field of group.fields) assert.ok(field.length > 0 && field.places <= field.length, `${spec.infno} ${field.name}`);
    }
  }
});

/** The same input with one change at a group's first item. */
function altered(input: map.Input, group: GroupSpec, change: (fields: map.Fields) => void): unknown {
  const copy = JSON.parse(JSON.stringify(input)) as map.Input;
  const block = copy[group.name];
  const first = Array.isArray(block) ? block[0] : block;
  if (first !== undefined) change(first);
  return copy;
}

for (const spec of transactions) {
  test(`${spec.infno} ${spec.label}: every seed's input has its required fields, typed and within length; each fault is refused`, () => {
    for (const seed of seeds) {
      const input = inputsOf(seed)[spec.infno] as map.Input;
      const checked = checkGroups(spec.input, input, 'input');
      assert.ok(checked.ok, `${seed.name}: ${JSON.stringify(checked)}`);
      for (const group of spec.input) {
        const block = input[group.name];
        const item = Array.isArray(block) ? block[0] : block;
        if (item === undefined) continue;
        for (const field of group.fields) {
          if (field.required) {
            assert.type(item[field.name], 'string', `${spec.infno} ${field.name} present`);
            const missing = checkGroups(spec.input, altered(input, group, (fields) => delete fields[field.name]), 'input');
            assert.ok(!missing.ok && missing.error.code === 'field_missing' && missing.error.field.endsWith(`.${field.name}`), `${spec.infno} ${field.name} missing`);
          }
          if (item[field.name] === undefined) continue;
          const long = checkGroups(spec.input, altered(input, group, (fields) => (fields[field.name] = '9'.repeat(field.length + 1))), 'input');
          assert.ok(!long.ok && long.error.code === 'field_length', `${spec.infno} ${field.name} too long: ${JSON.stringify(long)}`);
          const numeric = checkGroups(spec.input, altered(input, group, (fields) => ((fields as Record<string, unknown>)[field.name] = 1)), 'input');
          assert.ok(!numeric.ok && numeric.error.code === 'field_type', `${spec.infno} ${field.name} as a number`);
        }
      }
      const extra = checkGroups(spec.input, { ...input, extra: {} }, 'input');
      assert.ok(!extra.ok && extra.error.code === 'field_unknown');
    }
  });
}

test('2204 writes each line as yuan, quantity and a unit price from integers', () => {
  const zhang = seeds[0] as (typeof seeds)[number];
  const first = (map.feeDetailInput(testIdentity, zhang.input, 'B1', time).feedetail as map.Fields[])[0] as map.Fields;
  assert.is(first.det_item_fee_sumamt, '960.00');
  assert.is(first.cnt, '12.000');
  assert.is(first.pric, '80.000000');
  assert.is(map.unitPrice(100, 3000), '0.333333');
  assert.is(map.unitPrice(200, 3000), '0.666667');
});

test('2206/2207 answers read back as each worked case expects, to the fen', () => {
  const settled = seeds.filter((seed) => seed.result !== null);
  assert.ok(settled.length >= 5);
  for (const infno of ['2206', '2207']) {
    const spec = transactionOf(infno);
    assert.ok(spec);
    for (const seed of settled) {
      const ids: map.Fields = { mdtrt_id: seed.input.mdtrt_id, psn_no: seed.input.psn_no };
      if (infno === '2207') Object.assign(ids, { setl_id: 'S000001', setl_time: time });
      const output = map.settleOutput(seed.result!, ids);
      const checked = checkGroups(spec.output, JSON.parse(JSON.stringify(output)), 'output');
      assert.ok(checked.ok, `${seed.name}: ${JSON.stringify(checked)}`);
      assert.equal(map.settleResultOf(output), seed.result, seed.name);
    }
  }
});

test('1101 answers read back as the seed persons, to the fen', () => {
  const spec = transactionOf('1101');
  assert.ok(spec);
  for (const seed of seeds) {
    const output = map.personOutput(seed.person);
    const checked = checkGroups(spec.output, output, 'output');
    assert.ok(checked.ok, `${seed.name}: ${JSON.stringify(checked)}`);
    assert.equal(map.personOf(output), seed.person, seed.name);
  }
});

test('README.md prints the field table as the module renders it', () => {
  const readme = readFileSync(path.join(projectRoot, 'README.md'), 'utf8');
  assert.ok(readme.includes(fieldTableMarkdown()), 'README.md: the table of gateway/national/fields.ts, rendered by fields-doc.ts');
});

test.run();
