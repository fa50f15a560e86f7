#!/usr/bin/env node
// Builds what ships: the firmware bundle `dist/terminal.js` (the runtime, its
// drivers and its CLI: what a kiosk runs) under a size budget, and the tools
// bundle `dist/tools.js` (emulators, reference hub, generators) that the CLI
// loads on demand, outside the budget. Reads esbuild's metafile, prints the
// size and the largest contributors by package, and fails over budget.
//
// usage: node build.mjs [--outdir DIR] [--if-needed] [--quiet]
//   --if-needed  does nothing when every bundle is newer than every source (npm start)
//   --quiet      one line of sizes instead of the report
// env:   TERMINAL_BUDGET_BYTES  lowers the firmware budget (never raises it)
import * as esbuild from 'esbuild';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

/** The firmware budget: `dist/terminal.js`, minified, native binding excluded. */
export const terminalBudgetBytes = 256 * 1024;

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
 * Asserts stay on in the firmware (STYLE.md habit 1), without their message
 * text: `assert(x > 0, 'x is positive')` ships as `assert(x > 0)`. A failed
 * assert still crashes with its stack; the source map beside the bundle
 * leads from the minified line to the source, where the sentence is. About
 * 4 KB of the budget. Only a final argument that is a plain string or
 * template literal is dropped; anything else is left as written.
 */
export function stripAssertMessages(source) {
  let out = '';
  let from = 0;
  for (const match of source.matchAll(/\bassert(?:\.ok)?\(/g)) {
    if (match.index < from) continue;
    const open = match.index + match[0].length;
    const close = closingParen(source, open);
    if (close < 0) continue;
    const comma = lastTopLevelComma(source, open, close);
    if (comma < 0) continue;
    const last = source.slice(comma + 1, close).trim();
    if (!/^('([^'\\\n]|\\.)*'|`[^]*`)$/.test(last) || (last[0] === '`' && skipString(last, 0) !== last.length - 1)) continue;
    out += source.slice(from, comma);
    from = close;
  }
  return out + source.slice(from);
}

/** The index of the `)` closing the call whose arguments start at `at`, skipping strings and brackets; -1 when unsure. */
function closingParen(text, at) {
  let depth = 0;
  for (let i = at; i < text.length; i += 1) {
    const c = text[i];
    if (c === "'" || c === '"' || c === '`') {
      i = skipString(text, i);
      if (i < 0) return -1;
    } else if (c === '(' || c === '[' || c === '{') depth += 1;
    else if (c === ')' || c === ']' || c === '}') {
      if (depth === 0) return c === ')' ? i : -1;
      depth -= 1;
    } else if (c === '/' && (text[i + 1] === '/' || text[i + 1] === '*')) return -1;
  }
  return -1;
}

function skipString(text, at) {
  const quote = text[at];
  for (let i = at + 1; i < text.length; i += 1) {
    if (text[i] === '\\') i += 1;
    else if (quote === '`' && text[i] === '$' && text[i + 1] === '{') {
      // A template's expression: up to its closing brace, strings inside skipped.
      let depth = 0;
      for (i += 1; i < text.length; i += 1) {
        const c = text[i];
        if (c === "'" || c === '"' || c === '`') i = skipString(text, i);
        else if (c === '{') depth += 1;
        else if (c === '}' && --depth === 0) break;
        if (i < 0) return -1;
      }
    } else if (text[i] === quote) return i;
    else if (text[i] === '\n' && quote !== '`') return -1;
  }
  return -1;
}

function lastTopLevelComma(text, from, to) {
  let depth = 0;
  let found = -1;
  for (let i = from; i < to; i += 1) {
    const c = text[i];
    if (c === "'" || c === '"' || c === '`') i = skipString(text, i);
    else if (c === '(' || c === '[' || c === '{') depth += 1;
    else if (c === ')' || c === ']' || c === '}') depth -= 1;
    else if (c === ',' && depth === 0) found = i;
  }
  return found;
}

const assertMessages = {
  name: 'strip-assert-messages',
  setup(builder) {
    builder.onLoad({ filter: /\/(src|protocol|device)\/.*\.ts$/ }, async (args) => ({
      contents: stripAssertMessages(readFileSync(args.path, 'utf8')),
      loader: 'ts',
    }));
  },
};

/**
 * `node:assert` reached through one bundled module: an external CommonJS
 * module is called as `(0, x.default)(...)` at every use, one bundled
 * module's export as a plain function. The same Node.js assert either way;
 * about 3 KB of the budget over a few hundred asserts. node:assert itself
 * (with the stderr stream and colour detection it sets up, ≈ 4 ms of a boot)
 * is loaded only when an assertion fails: the shim checks the condition as
 * Node.js would (`ok`: truthy; `equal`: == or both NaN) and hands a failure
 * to Node.js's own assert, which throws its usual AssertionError.
 */
export const assertShim = {
  name: 'assert-shim',
  setup(builder) {
    builder.onResolve({ filter: /^node:assert$/ }, (args) => (args.namespace === 'assert-shim' ? { path: 'node:assert', external: true } : { path: 'assert', namespace: 'assert-shim' }));
    builder.onLoad({ filter: /.*/, namespace: 'assert-shim' }, () => ({
      contents:
        "const n = () => require('node:assert'); " +
        'function ok(v, m) { if (!v) n()(v, m); } ' +
        'function equal(a, b, m) { if (a != b && (a === a || b === b)) n().equal(a, b, m); } ' +
        'ok.ok = ok; ok.equal = equal; export default ok; export { ok, equal };',
      loader: 'js',
      resolveDir: root,
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
  /^device\/(line|harness|socat|tools|prng|memory-port|site|site-bundle|demo|card-probe)\.ts$/,
  /^device\/hub\//,
];

/**
 * Property names every bundle shortens (esbuild `mangleProps`): the
 * runtime's own names for options, internal records and methods, each one
 * checked to be never read or written by its text. None is on the wire or on
 * disk (wire bodies, journal records and hub events are positional arrays, and
 * their field names are snake_case, never listed), in JSON a command prints,
 * in a profile or card file, in a message, or a property of Node.js or of a
 * bundled package. A name joins the list only after that check; the short
 * names are fixed here (`$0`, `$1`, …: no real property looks like that), the
 * same in every bundle, so objects passed between bundles (the demo's
 * terminals in tools.js, the site's far ends in site.js) agree.
 */
export const internalProps = [
  'timeoutsMs', 'queueLength', 'institutionName', 'fixmedinsCode', 'offlineFloorFen', 'useAccount', 'bytesMax', 'exchangeTimeoutMs',
  'stringBytesMax', 'catalogueVersion', 'previousStaging', 'tornBytes', 'statementBytes', 'bootProblem', 'hubKeys', 'hubTimeoutsMs',
  'policyVersion', 'setlTime', 'hifpPay', 'linesPerPage', 'receiptCells', 'cancelledBy', 'encodeFresh', 'signedIn', 'policyBook', 'setlId',
  'nowMs', 'beforeSignIn', 'bytesMin', 'fileName', 'resultDigest', 'bodyDigest', 'attemptTimeoutMs', 'requestTimeoutMs',
  'settleTimeoutMs', 'versionOf', 'writeFileDurable', 'externalAad', 'forwardOnce', 'resolveInFlight', 'actPayDedc', 'depthMax', 'itemsMax',
  'mafPay', 'protectedBytes', 'requireTag', 'wrongType', 'hubPublicKey', 'insuredPlace', 'lineBytesMax', 'syncDir', 'topLevelTags',
  'verifyDigest', 'adviceId', 'attemptsMax', 'floorFen', 'headerBytes', 'onHeartbeat', 'patientName', 'pinTries', 'policyAt',
  'heartbeatIntervalMs', 'chunkBytes', 'lineIdleMs', 'moduleDots', 'reconItems', 'terminalId', 'dedUsed', 'inForce', 'onAbort', 'onState',
  'patientId', 'settledAt', 'skewSecondsMax', 'codeAt', 'fsyncDir', 'idleWork', 'inFlight', 'itemAt', 'seqStore', 'storeFs', 'recordAt',
  'nowS', 'timeS', 'statement', 'payloads',
];

const mangle = {
  mangleProps: new RegExp(`^(${internalProps.join('|')})$`),
  mangleCache: Object.fromEntries(internalProps.map((name, index) => [name, `$${index.toString(36)}`])),
};

/**
 * A listed name left whole in a bundle, as a property (`x.name`, `{name:`):
 * something esbuild does not rename (a TypeScript enum's member, say) while
 * the accesses to it are renamed. The build refuses it.
 */
export function unmangledProps(code) {
  return internalProps.filter((name) => new RegExp(`\\.${name}\\b|[{,]${name}:`).test(code));
}

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
  // Text in UTF-8 as it is (a CJK character is 3 bytes) rather than escaped (\uXXXX, 6 bytes): the patients' messages are Chinese.
  charset: 'utf8',
  sourcemap: 'linked',
  legalComments: 'none',
  metafile: true,
  write: false,
  logLevel: 'warning',
  external,
  define: { __TERMINAL_VERSION__: JSON.stringify(packageVersion()) },
  ...mangle,
};

/** Bundles no longer built, removed from the output folder by a build. */
const retiredBundles = ['terminal-maintenance.js'];

/** The bundles this project ships; `budgeted` ones count against the firmware budget. */
function bundles(outdir) {
  const list = [
    {
      name: 'terminal.js',
      entry: 'src/main.ts',
      budgeted: true,
      // __FIRMWARE__: what only the tools do is left out of the firmware (src/core/settle.ts: recording a trace).
      options: { banner: { js: '#!/usr/bin/env node' }, plugins: [assertMessages, assertShim], define: { ...common.define, 'globalThis.__FIRMWARE__': 'true' } },
    },
  ];
  // The portable Ed25519 provider, outside the budget: src/crypto-choice.ts
  // requires it at run time only for `--crypto tweetnacl` or when
  // node:crypto fails its Ed25519 self-test.
  list.push({ name: 'crypto-tweetnacl.js', entry: 'protocol/crypto-tweetnacl.ts', budgeted: false, options: {} });
  if (existsSync(path.join(root, 'device/tools.ts'))) {
    list.push({ name: 'tools.js', entry: 'device/tools.ts', budgeted: false, options: {} });
    // What `run --profile emulated|hil` loads before it is ready: the far
    // ends without the reference hub (that comes from tools.js when dialled).
    list.push({ name: 'site.js', entry: 'device/site-bundle.ts', budgeted: false, options: { plugins: [assertShim] } });
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
    const left = unmangledProps(result.outputFiles.find((file) => file.path === bundle.outfile).text);
    if (left.length > 0) throw new Error(`${bundle.name} uses ${left.join(', ')} as a property under its own name: take it out of internalProps or rename it`);
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
  // Bundles earlier builds wrote and this one no longer does (updates and
  // reconciliation were once a bundle of their own): nothing loads them, so
  // they go rather than sit beside the firmware looking shipped.
  for (const retired of retiredBundles) {
    for (const name of [retired, `${retired}.map`]) rmSync(path.join(outdir, name), { force: true });
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

export class BudgetError extends Error {
  name = 'BudgetError';
}

/** The newest modification time, ms, of the files a build reads. */
function newestInputMs() {
  let newest = 0;
  const visit = (file) => {
    const stat = statSync(file);
    if (stat.isDirectory()) for (const name of readdirSync(file)) visit(path.join(file, name));
    else newest = Math.max(newest, stat.mtimeMs);
  };
  for (const input of ['src', 'protocol', 'device', 'build.mjs', 'package.json', 'package-lock.json']) if (existsSync(path.join(root, input))) visit(path.join(root, input));
  return newest;
}

/** Whether every bundle in `outdir` is there and newer than every input (`--if-needed`). */
function upToDate(outdir) {
  const outputs = bundles(outdir).map((bundle) => bundle.outfile);
  if (!outputs.every((file) => existsSync(file))) return false;
  return Math.min(...outputs.map((file) => statSync(file).mtimeMs)) > newestInputMs();
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  let values;
  try {
    ({ values } = parseArgs({ options: { outdir: { type: 'string' }, 'if-needed': { type: 'boolean' }, quiet: { type: 'boolean' } }, strict: true }));
  } catch (error) {
    console.error(`build: ${error.message}`);
    process.exit(2);
  }
  const outdir = values.outdir === undefined ? path.join(root, 'dist') : path.resolve(values.outdir);
  if (values['if-needed'] && upToDate(outdir)) process.exit(0);
  // --quiet: one line (npm start's), the size of each bundle.
  const lines = [];
  const log = values.quiet ? (line) => /^\S/.test(line) && lines.push(line.replace(/ \(.*$/, '')) : console.log;
  build({ outdir, log }).then(
    () => values.quiet && console.log(`build: ${lines.join(', ')}`),
    (error) => {
      console.error(`build failed: ${error.message}`);
      process.exit(1);
    },
  );
}
