// Proves the copied fixtures are whole: every source folder carries the commit
// it was taken at (and its licence where the source has one), every JSON file
// parses, and the worked cases have the {story, case, expected} shape.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../helpers/cli';

const fixtures = path.join(projectRoot, 'test', 'fixtures');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? files(full) : [full];
  });
}

test('each source keeps its commit and licence', () => {
  for (const file of ['cose/SOURCE_COMMIT', 'cose/LICENSE', 'cbor/SOURCE_COMMIT', 'cbor/cbor-wg/SOURCE_COMMIT', 'cbor/cbor-wg/LICENSE', 'cases/SOURCE']) {
    assert.ok(existsSync(path.join(fixtures, file)), file);
  }
  assert.match(readFileSync(path.join(fixtures, 'cbor/cbor-wg/SOURCE_COMMIT'), 'utf8'), /^[0-9a-f]{40}\s*$/);
  assert.match(readFileSync(path.join(fixtures, 'cbor/SOURCE_COMMIT'), 'utf8'), /^[0-9a-f]{40}\s*$/);
  assert.match(readFileSync(path.join(fixtures, 'cose/SOURCE_COMMIT'), 'utf8'), /[0-9a-f]{40}/);
});

test('every JSON fixture parses', () => {
  const json = files(fixtures).filter((file) => file.endsWith('.json'));
  assert.ok(json.length >= 20, `${json.length} JSON files`);
  for (const file of json) JSON.parse(readFileSync(file, 'utf8'));
});

test('the worked cases have story, case and expected', () => {
  const cases = readdirSync(path.join(fixtures, 'cases')).filter((name) => name.endsWith('.json'));
  assert.is(cases.length, 7);
  for (const name of cases) {
    const data = JSON.parse(readFileSync(path.join(fixtures, 'cases', name), 'utf8'));
    assert.type(data.story, 'string', name);
    assert.type(data.case, 'object', name);
    assert.type(data.expected.ok, 'boolean', name);
  }
});

test('the Ed25519 COSE_Sign1 vector the protocol must reproduce is present', () => {
  const vector = JSON.parse(readFileSync(path.join(fixtures, 'cose/eddsa-examples/eddsa-sig-01.json'), 'utf8'));
  assert.match(vector.output.cbor, /^[0-9A-Fa-f]+$/);
});

test.run();
