#!/usr/bin/env node
// Builds what ships: the firmware bundle `dist/terminal.js` (the runtime, its
// drivers and its CLI: what a kiosk runs) under a size budget, and the tools
// bundle `dist/tools.js` (emulators, reference hub, generators) that the CLI
// loads on demand, outside the budget. Reads esbuild's metafile, prints the
// size and the largest contributors by package, and fails over budget.
//
// usage: node build.mjs [--outdir DIR]
// env:   TERMINAL_BUDGET_BYTES  lowers the firmware budget (never raises it)
import * as esbuild from 'esbuild';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

/** The firmware budget: `dist/terminal.js`, minified, native binding excluded. */
export const terminalBudgetBytes = 128 * 1024;

const root = path.dirname(fileURLToPath(import.meta.url));

/** Native and optional modules that stay outside every bundle. */
const external = [
  // The serial binding is a native addon with shipped prebuilds; it is loaded
  // from node_modules at run time (DESIGN.md, devices).
  '@serialport/bindings-cpp',
  // cbor-x's optional native string extractor. The runtime imports
  // `cbor-x/index-no-eval`, which never asks for it; listing it here keeps a
  // stray `cbor-x` import from pulling a native module into the firmware.
  'cbor-extract',
];

/**
 * The firmware replaces `debug` (a dependency of @serialport/stream, about
 * 8 KB with its `ms`) by a no-op: serialport's DEBUG=serialport/* logging is
 * lost in the firmware, which logs through its own journal instead. The tools
 * bundle keeps the real one, so an integrator can still trace the emulators.
 */
const debugNoop = {
  name: 'debug-noop',
  setup(builder) {
    builder.onResolve({ filter: /^debug$/ }, () => ({ path: 'debug', namespace: 'debug-noop' }));
    builder.onLoad({ filter: /.*/, namespace: 'debug-noop' }, () => ({
      contents: 'function d(){const l=()=>{};l.enabled=!1;l.extend=d;return l}d.enable=d.disable=()=>{};d.enabled=()=>!1;module.exports=d;',
      loader: 'js',
    }));
  },
};

/**
 * Inputs that must never be bundled into the firmware: native modules;
 * tweetnacl (≈ 33 KB), which ships as its own bundle loaded on demand;
 * cbor-x (≈ 41 KB): the firmware encodes with protocol/cbor-encode.ts, held
 * to cbor-x's bytes by test/property/cbor.test.ts; and the device emulators,
 * line simulator and test harness, which ship in `dist/tools.js` (the
 * firmware's `emulate` command loads it at run time).
 */
const forbiddenInputs = [
  /node_modules\/cbor-extract\//,
  /node_modules\/@serialport\/bindings-cpp\//,
  /node_modules\/@serialport\/binding-mock\//,
  /node_modules\/tweetnacl\//,
  /node_modules\/cbor-x\//,
  /^device\/[a-z0-9-]+-emulator\.ts$/,
  /^device\/(line|harness|socat|tools|prng|memory-port)\.ts$/,
  /^device\/hub\//,
];

function readBudget(env) {
  const text = env.TERMINAL_BUDGET_BYTES;
  if (text === undefined || text === '') return terminalBudgetBytes;
  if (!/^[0-9]{1,9}$/.test(text)) {
    throw new Error(`TERMINAL_BUDGET_BYTES must be a whole number of bytes, got '${text}'`);
  }
  const bytes = Number(text);
  if (bytes > terminalBudgetBytes) {
    throw new Error(`TERMINAL_BUDGET_BYTES may only lower the budget (${terminalBudgetBytes}), got ${bytes}`);
  }
  return bytes;
}

function packageVersion() {
  return JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).version;
}

/** Maps an input path of the metafile to the package or top-level folder it belongs to. */
export function contributorOf(inputPath) {
  const marker = 'node_modules/';
  const at = inputPath.lastIndexOf(marker);
  if (at >= 0) {
    const rest = inputPath.slice(at + marker.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  const parts = inputPath.split('/');
  if (parts[0] === 'src' && parts.length > 2) return `src/${parts[1]}`;
  return parts.length > 1 ? parts[0] : inputPath;
}

function contributors(output) {
  const byPackage = new Map();
  for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
    const name = contributorOf(input);
    byPackage.set(name, (byPackage.get(name) ?? 0) + bytesInOutput);
  }
  return [...byPackage.entries()].sort((a, b) => b[1] - a[1]);
}

function kib(bytes) {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minify: true,
  sourcemap: 'linked',
  legalComments: 'none',
  metafile: true,
  write: false,
  logLevel: 'warning',
  external,
  define: { __TERMINAL_VERSION__: JSON.stringify(packageVersion()) },
};

/** The bundles this project ships; `budgeted` ones count against the firmware budget. */
function bundles(outdir) {
  const list = [
    {
      name: 'terminal.js',
      entry: 'src/main.ts',
      budgeted: true,
      options: { banner: { js: '#!/usr/bin/env node' }, plugins: [debugNoop] },
    },
  ];
  // The portable Ed25519 provider, outside the budget: src/crypto-choice.ts
  // requires it at run time only for `--crypto tweetnacl` or when
  // node:crypto fails its Ed25519 self-test.
  list.push({ name: 'crypto-tweetnacl.js', entry: 'protocol/crypto-tweetnacl.ts', budgeted: false, options: {} });
  if (existsSync(path.join(root, 'device/tools.ts'))) {
    list.push({ name: 'tools.js', entry: 'device/tools.ts', budgeted: false, options: {} });
  }
  return list.map((bundle) => ({ ...bundle, outfile: path.join(outdir, bundle.name) }));
}

export async function build({ outdir = path.join(root, 'dist'), env = process.env, log = console.log } = {}) {
  const budgetBytes = readBudget(env);
  const report = [];
  const files = [];
  for (const bundle of bundles(outdir)) {
    const result = await esbuild.build({
      ...common,
      ...bundle.options,
      absWorkingDir: root,
      entryPoints: [bundle.entry],
      outfile: bundle.outfile,
    });
    const outputKey = Object.keys(result.metafile.outputs).find((key) => key.endsWith(bundle.name));
    const output = result.metafile.outputs[outputKey];
    for (const input of Object.keys(output.inputs)) {
      if (bundle.budgeted && forbiddenInputs.some((pattern) => pattern.test(input))) {
        throw new Error(`${bundle.name} must not bundle ${input} (native, or tools only)`);
      }
    }
    report.push({ name: bundle.name, bytes: output.bytes, budgeted: bundle.budgeted, top: contributors(output) });
    files.push(...result.outputFiles);
  }
  for (const entry of report) {
    const budget = entry.budgeted ? ` of ${budgetBytes} bytes budget (${kib(budgetBytes)})` : ' (loaded on demand, outside the budget)';
    log(`${entry.name}: ${entry.bytes} bytes (${kib(entry.bytes)})${budget}`);
    for (const [name, bytes] of entry.top.slice(0, 12)) {
      log(`  ${name.padEnd(28)} ${String(bytes).padStart(8)} bytes  ${((100 * bytes) / entry.bytes).toFixed(1).padStart(5)} %`);
    }
  }
  log(await sessionPartsLine());
  const over = report.filter((entry) => entry.budgeted && entry.bytes > budgetBytes);
  if (over.length > 0) {
    const entry = over[0];
    throw new BudgetError(`${entry.name} is ${entry.bytes} bytes, over the budget of ${budgetBytes} bytes by ${entry.bytes - budgetBytes}`);
  }
  // Only a build within budget is written, each file through a rename so a
  // reader never sees half a bundle.
  for (const file of files) {
    mkdirSync(path.dirname(file.path), { recursive: true });
    writeFileSync(`${file.path}.tmp`, file.contents, { mode: file.path.endsWith('terminal.js') ? 0o755 : 0o644 });
    renameSync(`${file.path}.tmp`, file.path);
  }
  return report;
}

/**
 * Bundles TypeScript that runs in this repository (tests, benchmarks, soak
 * runs) for Node.js: CommonJS, dependencies left to node_modules, inline
 * source maps so stack traces name the .ts lines. `options` adds the entry
 * points and the output place.
 */
export function bundleForNode(options) {
  return esbuild.build({
    absWorkingDir: root,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    packages: 'external',
    sourcemap: 'inline',
    logLevel: 'warning',
    ...options,
  });
}

/**
 * The hub client and the journal (src/hub, src/journal) ship once the
 * terminal's session imports them (issue #8); until then this line tells what
 * they will add to terminal.js, minified, beside what it already carries.
 */
async function sessionPartsLine() {
  const result = await esbuild.build({
    ...common,
    absWorkingDir: root,
    stdin: { contents: "export { HubClient } from './src/hub/client'; export { TerminalJournal } from './src/journal/journal'; export { nodeJournalStorage } from './src/journal/storage';", resolveDir: root, loader: 'ts' },
    outfile: path.join(root, '.build', 'session-parts.js'),
  });
  const output = Object.values(result.metafile.outputs).find((candidate) => candidate.inputs !== undefined && Object.keys(candidate.inputs).length > 0);
  const parts = { 'src/hub': 0, 'src/journal': 0 };
  for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
    const name = contributorOf(input);
    if (name in parts) parts[name] += bytesInOutput;
  }
  const inFirmware = parts['src/hub'] + parts['src/journal'];
  return `hub client + journal for the session (issue #8): ${inFirmware} bytes (src/hub ${parts['src/hub']}, src/journal ${parts['src/journal']})`;
}

export class BudgetError extends Error {
  name = 'BudgetError';
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  let outdir;
  try {
    const { values } = parseArgs({ options: { outdir: { type: 'string' } }, strict: true });
    outdir = values.outdir === undefined ? undefined : path.resolve(values.outdir);
  } catch (error) {
    console.error(`build: ${error.message}`);
    process.exit(2);
  }
  build({ outdir }).catch((error) => {
    console.error(`build failed: ${error.message}`);
    process.exit(1);
  });
}
