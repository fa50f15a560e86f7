// Proves the layout rules of DESIGN.md hold in the source: which folder may
// import which (protocol/ and src/core/ import nothing of ours, and so on),
// that nothing reaches for the clock or randomness inside the core, that
// protocol/ reads no clock, randomness or I/O, that cbor-x is imported by
// one module only (protocol/cbor-encode.ts, the wire's one encoder) and
// through its no-eval entry, and that there are no barrel files (STYLE.md habit 11).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
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

/** Our modules a file imports, as project-relative paths without extension. */
function ownImports(file: string): string[] {
  const text = readFileSync(path.join(projectRoot, file), 'utf8');
  const specifiers = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+'([^']+)'/g), ...text.matchAll(/import\(\s*'([^']+)'\s*\)/g)].map(
    (match) => match[1] as string,
  );
  return specifiers.filter((spec) => spec.startsWith('.')).map((spec) => path.normalize(path.join(path.dirname(file), spec)));
}

/** The folder a module belongs to, in the terms of DESIGN.md's layout table. */
function area(modulePath: string): string {
  const parts = modulePath.split(path.sep);
  if (parts[0] === 'src' && parts.length > 2) return `src/${parts[1]}`;
  return parts[0] === 'src' ? 'src' : (parts[0] as string);
}

// Who may import whom (DESIGN.md, layout). `src` is boot, wiring, the CLI and
// the runtime's constants module.
const allowed: Record<string, readonly string[]> = {
  protocol: ['protocol'],
  'src/core': ['src/core'],
  'src/catalogue': ['src/catalogue', 'src/core', 'protocol'],
  'src/journal': ['src/journal', 'protocol'],
  'src/hub': ['src/hub', 'protocol', 'src/journal', 'src'],
  'src/session': ['src/session', 'src/core', 'src/catalogue', 'src/journal', 'src/hub', 'src', 'protocol', 'src/cli'],
};

test('every folder imports only what DESIGN.md allows', () => {
  const broken: string[] = [];
  for (const root of ['protocol', 'src', 'device']) {
    for (const file of sources(root)) {
      const from = area(file);
      const rule = allowed[from];
      for (const target of ownImports(file)) {
        const to = area(target);
        if (from === 'device') {
          // The reference hub (device/hub/) also uses the core, the catalogue store and the journal; the tools
          // bundle's entry, the emulated site and the demo (device/tools.ts, site.ts, demo.ts) also meet the
          // firmware they run: its boot, session types and stores.
          const hub = file.startsWith(`device${path.sep}hub${path.sep}`) || ['tools.ts', 'site.ts', 'demo.ts'].some((name) => file === path.join('device', name));
          const ok = to === 'device' || to === 'protocol' || (hub && ['src/core', 'src/catalogue', 'src/journal', 'src', 'src/cli', 'src/session'].includes(to));
          if (!ok) broken.push(`${file} -> ${target}`);
        } else if (target === path.join('src', 'limits') && from !== 'src/core' && from !== 'protocol') {
          // The runtime's constants module is a leaf every part of the runtime reads its limits from.
        } else if (rule !== undefined && !rule.includes(to)) {
          broken.push(`${file} -> ${target}`);
        }
      }
    }
  }
  assert.equal(broken, []);
});

test('the core reaches for no clock, randomness, I/O or floats-by-division helpers', () => {
  const banned = [/\bDate\b/, /Math\.random/, /\bperformance\./, /from 'node:(fs|net|child_process|os|process)'/, /\bprocess\./, /Math\.(round|trunc|ceil)\(/, /parseFloat/];
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

test('cbor-x is imported by the wire encoder alone, through its no-eval entry', () => {
  const found: string[] = [];
  for (const root of ['protocol', 'src', 'device']) {
    for (const file of sources(root)) {
      const text = readFileSync(path.join(projectRoot, file), 'utf8');
      for (const match of text.matchAll(/(?:from |import\(|require\()\s*'(cbor-(?:x|extract)[^']*)'/g)) found.push(`${file}: ${match[1]}`);
    }
  }
  assert.equal(found, [`${path.join('protocol', 'cbor-encode.ts')}: cbor-x/index-no-eval`]);
});

test('no barrel files: no module only re-exports others', () => {
  const barrels: string[] = [];
  for (const root of ['protocol', 'src', 'device']) {
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
