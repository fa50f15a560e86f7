// Proves the layout rules of docs/design.md hold in the source, as its table
// writes them and with no exception: which folder may import which
// (protocol/ and src/core/ import nothing of ours, the drivers in device/
// only the wire, device/sim/ anything), that nothing of the firmware imports
// device/sim/ and that no import cycle joins firmware and simulation code;
// that nothing reaches for the clock or randomness inside the core, that
// protocol/ reads no clock, randomness or I/O, that cbor-x is imported by
// one module only (protocol/cbor-encode.ts, the wire's one encoder) and
// through its encode entry, and that there are no barrel files (docs/conventions.md habit 11).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../helpers/cli';

function sources(dir: string): string[] {
  const full = path.join(projectRoot, dir);
  const found: string[] = [];
  for (const name of readdirSync(full)) {
    const child = path.join(full, name);
    if (statSync(child).isDirectory()) found.push(...sources(path.join(dir, name)));
    else if (name.endsWith('.ts')) found.push(path.join(dir, name));
  }
  return found;
}

/** Every static import, re-export, `import()` and `require()` of a relative path, as written. */
function specifiersOf(text: string): string[] {
  return [
    ...text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+'([^']+)'/g),
    ...text.matchAll(/(?:^|\n)\s*import\s+'([^']+)'/g),
    ...text.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g),
    ...text.matchAll(/\brequire\(\s*'([^']+)'\s*\)/g),
  ].map((match) => match[1] as string);
}

/** Our modules a file imports, as project-relative paths of their files. */
function ownImports(file: string): string[] {
  const text = readFileSync(path.join(projectRoot, file), 'utf8');
  return specifiersOf(text)
    .filter((spec) => spec.startsWith('.'))
    .map((spec) => path.normalize(path.join(path.dirname(file), spec)))
    .map((target) => (existsSync(path.join(projectRoot, `${target}.ts`)) ? `${target}.ts` : target));
}

/** The folder a module belongs to, in the terms of docs/design.md's layout table. */
function area(modulePath: string): string {
  const parts = modulePath.split(path.sep);
  if (parts[0] === 'src') return parts.length > 2 ? `src/${parts[1]}` : 'src';
  if (parts[0] === 'device') return parts[1] === 'sim' && parts.length > 2 ? 'device/sim' : 'device';
  return parts[0] as string;
}

const firmwareAreas = ['protocol', 'src/core', 'src/catalogue', 'src/journal', 'src/hub', 'src/session', 'src/cli', 'src', 'device'];
const srcAreas = firmwareAreas.filter((name) => name.startsWith('src'));

// Who may import whom (docs/design.md, layout): each folder also imports itself.
// The session's "everything in src" includes the wire those folders speak
// (its requests are the wire's message bodies). `src` is src/main.ts and the
// runtime's other top-level modules (boot and wiring, the limits, the crypto
// choice), `src/cli` the CLI: "everything" of the firmware.
const allowed: Readonly<Record<string, readonly string[]>> = {
  protocol: [],
  'src/core': [],
  'src/catalogue': ['src/core', 'protocol'],
  'src/journal': ['protocol'],
  'src/hub': ['protocol', 'src/journal'],
  'src/session': [...srcAreas, 'protocol'],
  src: firmwareAreas,
  'src/cli': firmwareAreas,
  device: ['protocol'],
  'device/sim': [...firmwareAreas, 'device/sim', 'gateway'],
  // The kiosk's UI server and page (their own bundles): the screen model, the log's type, the fen's format.
  'src/ui': ['src', 'src/session', 'src/core'],
  // The gateway to the national interface: outside the firmware, speaking the wire, a reference hub's handler.
  gateway: ['protocol', 'device/sim'],
};

/** Every module of ours and what it imports. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const root of ['protocol', 'src', 'device', 'gateway']) for (const file of sources(root)) graph.set(file, ownImports(file));
  return graph;
}

test('every folder imports only what docs/design.md allows, and nothing of the firmware imports device/sim/', () => {
  const broken: string[] = [];
  for (const [file, targets] of importGraph()) {
    const from = area(file);
    const rule = allowed[from];
    assert.ok(rule !== undefined, `${file}: a folder of the layout table`);
    for (const target of targets) {
      const to = area(target);
      if (to !== from && !rule.includes(to)) broken.push(`${file} -> ${target}`);
    }
  }
  assert.equal(broken, []);
});

test('the rule table is the design’s: the wire and the core import nothing, drivers only the wire, no firmware folder the simulation', () => {
  assert.equal(allowed.protocol, []);
  assert.equal(allowed['src/core'], []);
  assert.equal(allowed.device, ['protocol']);
  for (const name of firmwareAreas) assert.not.ok(allowed[name]?.includes('device/sim') || allowed[name]?.includes('src/ui') || allowed[name]?.includes('gateway'), name);
  assert.equal([area(path.join('device', 'sim', 'hub', 'hub.ts')), area(path.join('device', 'port.ts')), area(path.join('src', 'main.ts')), area(path.join('src', 'hub', 'client.ts'))], ['device/sim', 'device', 'src', 'src/hub']);
});

/** The strongly connected components of more than one module (Tarjan), each a cycle of imports. */
function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, next);
    low.set(node, next);
    next += 1;
    stack.push(node);
    onStack.add(node);
    for (const target of graph.get(node) ?? []) {
      if (!graph.has(target)) continue;
      if (!index.has(target)) {
        visit(target);
        low.set(node, Math.min(low.get(node) as number, low.get(target) as number));
      } else if (onStack.has(target)) {
        low.set(node, Math.min(low.get(node) as number, index.get(target) as number));
      }
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      for (let member = stack.pop(); member !== undefined; member = stack.pop()) {
        onStack.delete(member);
        component.push(member);
        if (member === node) break;
      }
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return found;
}

test('walking every import finds no cycle that joins firmware and simulation code', () => {
  const joined = cycles(importGraph()).filter((component) => component.some((file) => area(file) === 'device/sim') && component.some((file) => area(file) !== 'device/sim'));
  assert.equal(joined, []);
  // The walk finds a cycle when there is one: the one issue 13 removed (device/tools.ts <-> src/cli/emulate.ts), and a longer one.
  const tools = path.join('device', 'sim', 'tools.ts');
  const emulate = path.join('src', 'cli', 'emulate.ts');
  assert.equal(cycles(new Map([[tools, [emulate]], [emulate, [tools]]])), [[tools, emulate].sort()]);
  assert.equal(cycles(new Map([['a', ['b']], ['b', ['c']], ['c', ['a', 'd']], ['d', []]])), [['a', 'b', 'c']]);
  assert.equal(cycles(new Map([['a', ['b']], ['b', ['c']], ['c', []]])), []);
});

test('the import walk sees every form of import: static, re-export, bare, import() and require()', () => {
  const text = "import { a } from './a';\nimport type { B } from '../b';\nexport { c } from './c';\nimport './d';\nconst e = await import('./e');\nconst f = require('./f');\nimport x from 'node:fs';";
  assert.equal(specifiersOf(text).sort(), ['../b', './a', './c', './d', './e', './f', 'node:fs']);
});

test('the core reaches for no clock, randomness, I/O or floats-by-division helpers', () => {
  const banned = [/\bDate\b/, /Math\.random/, /\bperformance\./, /from 'node:(fs|net|child_process|os|process)'/, /\bprocess\./, /Math\.(round|trunc|ceil)\(/, /parseFloat/, /\bglobalThis\b/];
  const found: string[] = [];
  for (const file of sources(path.join('src', 'core'))) {
    const text = readFileSync(path.join(projectRoot, file), 'utf8').replace(/\/\/.*$/gm, '');
    for (const pattern of banned) if (pattern.test(text)) found.push(`${file}: ${pattern}`);
  }
  assert.equal(found, []);
});

test('the wire reaches for no clock, randomness or I/O: time and keys are passed in', () => {
  const banned = [/\bDate\b/, /Math\.random/, /\bperformance\./, /from 'node:(fs|net|child_process|os|process|dgram|http|https)'/, /\bprocess\./, /\bsetTimeout\b|\bsetInterval\b/];
  const found: string[] = [];
  for (const file of sources('protocol')) {
    const text = readFileSync(path.join(projectRoot, file), 'utf8').replace(/\/\/.*$/gm, '');
    for (const pattern of banned) if (pattern.test(text)) found.push(`${file}: ${pattern}`);
  }
  assert.equal(found, []);
});

test('cbor-x is imported by the wire encoder alone, through its encode entry (never the main one, which loads the native extractor)', () => {
  const found: string[] = [];
  for (const root of ['protocol', 'src', 'device', 'gateway']) {
    for (const file of sources(root)) {
      const text = readFileSync(path.join(projectRoot, file), 'utf8');
      for (const match of text.matchAll(/(?:from |import\(|require\()\s*'(cbor-(?:x|extract)[^']*)'/g)) found.push(`${file}: ${match[1]}`);
    }
  }
  assert.equal(found, [`${path.join('protocol', 'cbor-encode.ts')}: cbor-x/encode`]);
});

test('no barrel files: no module only re-exports others', () => {
  const barrels: string[] = [];
  for (const root of ['protocol', 'src', 'device', 'gateway']) {
    for (const file of sources(root)) {
      const lines = readFileSync(path.join(projectRoot, file), 'utf8')
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => line !== '' && !line.startsWith('//'));
      if (lines.length > 0 && lines.every((line) => /^export (\*|\{[^}]*\}) from /.test(line))) barrels.push(file);
    }
  }
  assert.equal(barrels, []);
});

test.run();
