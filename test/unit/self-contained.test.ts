// Proves the repository documents itself: no file in it (code, comments,
// tests, README, docs, help text, fixtures' notes) names a document that is
// not in it. Every text file of the checkout (node_modules, .git and build
// output aside) is read: none names the specification documents this project
// was first described in and that a clone does not hold (their names are
// built below from pieces, so this file does not name them either); every
// Markdown file a text names (`docs/design.md`, or a path relative to the
// naming file, or `README.md`) resolves to a file of the repository, from
// the naming file's folder or from the root; and nothing reaches for a folder beside the
// checkout (a sibling `shared` folder, or an absolute path to one).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../helpers/cli';

/** Folders that are not the repository's own text: dependencies, git, build output. */
const skipped = new Set(['node_modules', '.git', 'dist', '.build']);

function textFiles(dir: string): string[] {
  const found: string[] = [];
  for (const name of readdirSync(dir)) {
    if (skipped.has(name)) continue;
    const full = path.join(dir, name);
    const stat = statSync(full);
    if (stat.isDirectory()) found.push(...textFiles(full));
    else if (stat.isFile() && stat.size < 4_000_000) {
      const bytes = readFileSync(full);
      if (!bytes.includes(0)) found.push(full);
    }
  }
  return found;
}

const files = textFiles(projectRoot);
const relative = (file: string) => path.relative(projectRoot, file);

test('the walk reads the repository: its README, docs, sources and tests', () => {
  const names = new Set(files.map(relative));
  for (const expected of ['README.md', 'docs/design.md', 'docs/protocol.md', 'docs/settlement.md', 'docs/conventions.md', 'src/main.ts', 'protocol/hub.cddl', 'test/unit/self-contained.test.ts']) {
    assert.ok(names.has(expected), expected);
  }
});

test('no file names the specification documents outside the repository', () => {
  const outside = ['SETTLEMENT', 'DESIGN', 'STYLE'].map((name) => `${name}.${'md'}`);
  const found: string[] = [];
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    for (const name of outside) if (text.includes(name)) found.push(`${relative(file)}: ${name}`);
  }
  assert.equal(found, [], `named, but not in the repository (the repository's own: docs/settlement.md, docs/design.md, docs/protocol.md, docs/conventions.md):\n${found.join('\n')}`);
});

test('every Markdown file a text names is a file of the repository', () => {
  const missing: string[] = [];
  let named = 0;
  for (const file of files) {
    const text = readFileSync(file, 'utf8').replace(/\bhttps?:\/\/\S+/g, '');
    for (const match of text.matchAll(/[A-Za-z0-9_./-]*[A-Za-z0-9_-]\.md\b/g)) {
      const reference = match[0];
      named += 1;
      const candidates = [path.resolve(path.dirname(file), reference), path.resolve(projectRoot, reference)];
      const inside = candidates.some((candidate) => candidate.startsWith(`${projectRoot}${path.sep}`) && existsSync(candidate));
      if (!inside) missing.push(`${relative(file)}: ${reference}`);
    }
  }
  assert.ok(named > 100, `${named} references read`);
  assert.equal(missing, [], `named, but no such file in the repository:\n${missing.join('\n')}`);
});

test('nothing reaches for a folder beside the checkout', () => {
  const found: string[] = [];
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    for (const pattern of [/\.\.\/shared\b/, /\bshared\/spec\b/, /(^|[\s'"`(])\/work\//m]) if (pattern.test(text)) found.push(`${relative(file)}: ${pattern}`);
  }
  assert.equal(found, []);
});

test.run();
