#!/usr/bin/env node
// Builds what ships: the firmware bundle `dist/terminal.js` (the runtime, its
// drivers and its field commands: what a kiosk or a handheld runs) under a
// size budget, the simulation bundles `dist/sim.js` (device/sim/: emulators,
// line simulator, generators, the CLI) and `dist/sim-hub.js` (the reference
// hub and the demo), both built from the firmware's sources too, and the
// portable Ed25519 provider `dist/crypto-tweetnacl.js`. esbuild bundles and minifies the
// sources as they are written: no names are rewritten, no source is changed.
// Reads esbuild's metafile, prints the firmware's size minified and gzipped
// and its largest contributors, and fails over either budget, writing nothing.
//
// usage: node build.mjs [--outdir DIR] [--if-needed] [--quiet]
//   --if-needed  does nothing when every bundle is newer than every source (npm start)
//   --quiet      one line of sizes instead of the report
// env:   TERMINAL_BUDGET_BYTES       lowers the minified budget (never raises it)
//        TERMINAL_GZIP_BUDGET_BYTES  lowers the gzip -9 budget (never raises it)
import * as esbuild from 'esbuild';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';

/** The firmware budget: `dist/terminal.js`, minified, native binding excluded (docs/design.md, budgets). */
export const terminalBudgetBytes = 256 * 1024;
/** The firmware budget over a slow line: `dist/terminal.js` compressed with gzip -9 (zlib level 9), about 6 s at 115,200 baud. */
export const terminalGzipBudgetBytes = 80 * 1024;
/** The kiosk's touch-screen page (`dist/kiosk-page.js` and `.css`, src/ui/page/), gzip -9 together: what a browser loads at boot. */
export const pageGzipBudgetBytes = 60 * 1024;

const root = path.dirname(fileURLToPath(import.meta.url));

/** Native and optional modules that stay outside every bundle. */
const external = [
  // The serial binding is a native addon with shipped prebuilds; it is loaded
  // from node_modules at run time (docs/design.md, devices).
  '@serialport/bindings-cpp',
  // cbor-x's optional native string extractor (it speeds up decoding only).
  // The firmware imports `cbor-x/encode`, which never asks for it
  // (protocol/cbor-encode.ts says why); listing it here keeps a stray `cbor-x`
  // import from pulling a native module into a bundle: it would then be
  // looked up in node_modules at run time, and cbor-x runs without it.
  'cbor-extract',
  // The logging of @serialport/stream (bundled) and of the native binding:
  // the binding requires it at run time, so a device that can open a port
  // has it in node_modules beside the binding (README, deployment). The
  // firmware requires it from there when the stream first loads, at the
  // first port opened, rather than carrying a second copy (with `ms`,
  // 8.2 KB, 2.4 KB of the gzip budget).
  'debug',
  // The gateway's databases (gateway/store.ts, in sim-hub.js only): PGlite
  // finds its WebAssembly and data files beside its own module, and `pg` is
  // the PostgreSQL server's client; both load from node_modules at run time.
  '@electric-sql/pglite',
  'pg',
];

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
 * Bundles required by a fixed name beside the running bundle: the portable
 * Ed25519 provider (src/crypto-choice.ts) and the simulation's reference hub
 * (device/sim/sim-hub.ts). Every build leaves these requires as they are
 * written, so each of those files is carried by its own bundle only.
 */
export const besideTheBundle = {
  name: 'beside-the-bundle',
  setup(builder) {
    builder.onResolve({ filter: /^\.\/(crypto-tweetnacl|sim-hub|kiosk-ui)\.js$/ }, (args) => ({ path: args.path, external: true }));
  },
};

/**
 * Inputs that must never be bundled into the firmware: native modules, the
 * mock binding, tweetnacl (its own bundle, above), and everything under
 * device/sim/ (what simulates the far end of a wire: dist/sim.js).
 */
const forbiddenInputs = [
  /node_modules\/cbor-extract\//,
  /node_modules\/@serialport\/bindings-cpp\//,
  /node_modules\/@serialport\/binding-mock\//,
  /node_modules\/tweetnacl\//,
  /^device\/sim\//,
  // The kiosk's UI server and page (dist/kiosk-ui.js, dist/kiosk-page.js), loaded only with a `ui_port`.
  /^src\/ui\//,
];

/** A budget from the environment: absent is the constant; it may only lower it. */
function readBudget(env, name, constant) {
  const text = env[name];
  if (text === undefined || text === '') return constant;
  if (!/^[0-9]{1,9}$/.test(text)) {
    throw new Error(`${name} must be a whole number of bytes, got '${text}'`);
  }
  const bytes = Number(text);
  if (bytes > constant) {
    throw new Error(`${name} may only lower the budget (${constant}), got ${bytes}`);
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
};

/** Bundles no longer built, removed from the output folder by a build (the tools and site bundles became sim.js). */
const retiredBundles = ['terminal-maintenance.js', 'tools.js', 'site.js'];

/** The bundles this project ships; the `budgeted` one is the firmware. */
function bundles(outdir) {
  const list = [
    { name: 'terminal.js', entry: 'src/main.ts', budgeted: true, options: { banner: { js: '#!/usr/bin/env node' }, plugins: [assertShim, besideTheBundle] } },
    // The kiosk's entry (src/boot-main.ts, src/boot.ts): runs terminal.js beside it through a V8 code cache kept in the service's state directory.
    { name: 'boot.js', entry: 'src/boot-main.ts', budgeted: false, options: { banner: { js: '#!/usr/bin/env node' } } },
    // The startup snapshot's builder and main function (src/boot-snapshot-main.ts, src/boot-snapshot.ts), which dist/boot.sh makes and runs the kiosk's boots from.
    { name: 'boot-snapshot.js', entry: 'src/boot-snapshot-main.ts', budgeted: false, options: {} },
    // The portable Ed25519 provider (src/crypto-choice.ts requires it for `--crypto tweetnacl` or when node:crypto fails its self-test).
    { name: 'crypto-tweetnacl.js', entry: 'protocol/crypto-tweetnacl.ts', budgeted: false, options: {} },
    // The kiosk's UI server, which src/cli/run.ts requires as ./kiosk-ui.js when the profile has a `ui_port`.
    { name: 'kiosk-ui.js', entry: 'src/ui/server.ts', budgeted: false, options: {} },
    // The page it serves: plain TypeScript and CSS for the browser, held to its own budget (`page`).
    { name: 'kiosk-page.js', entry: 'src/ui/page/page.ts', budgeted: false, page: true, options: { platform: 'browser', format: 'iife', target: 'chrome110', sourcemap: false } },
    { name: 'kiosk-page.css', entry: 'src/ui/page/page.css', budgeted: false, page: true, options: { platform: 'browser', sourcemap: false } },
  ];
  if (existsSync(path.join(root, 'device/sim/main.ts'))) {
    // sim.js runs sim-core.js beside it (device/sim/main.ts) through a V8 code cache beside it (device/sim/loader.ts).
    list.push({ name: 'sim.js', entry: 'device/sim/loader.ts', budgeted: false, options: { banner: { js: '#!/usr/bin/env node' } } });
    list.push({ name: 'sim-core.js', entry: 'device/sim/main.ts', budgeted: false, options: { plugins: [assertShim, besideTheBundle] } });
    // The reference hub and the demo, which sim.js requires as ./sim-hub.js when it needs them (device/sim/sim-hub.ts).
    list.push({ name: 'sim-hub.js', entry: 'device/sim/hub/bundle.ts', budgeted: false, options: { plugins: [assertShim, besideTheBundle] } });
  }
  return list.map((bundle) => ({ ...bundle, outfile: path.join(outdir, bundle.name) }));
}

export async function build({ outdir = path.join(root, 'dist'), env = process.env, log = console.log } = {}) {
  const budgetBytes = readBudget(env, 'TERMINAL_BUDGET_BYTES', terminalBudgetBytes);
  const gzipBudgetBytes = readBudget(env, 'TERMINAL_GZIP_BUDGET_BYTES', terminalGzipBudgetBytes);
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
        throw new Error(`${bundle.name} must not bundle ${input} (native, tweetnacl, or simulation only)`);
      }
    }
    const code = result.outputFiles.find((file) => file.path === bundle.outfile).contents;
    report.push({ name: bundle.name, bytes: output.bytes, gzipBytes: gzipSync(code, { level: 9 }).length, budgeted: bundle.budgeted, page: bundle.page === true, top: contributors(output) });
    files.push(...result.outputFiles);
  }
  for (const entry of report) {
    const sizes = `${entry.bytes} bytes (${kib(entry.bytes)}), gzip -9 ${entry.gzipBytes} bytes (${kib(entry.gzipBytes)})`;
    const budget = entry.budgeted ? `; budgets ${budgetBytes} bytes (${kib(budgetBytes)}) and gzip -9 ${gzipBudgetBytes} bytes (${kib(gzipBudgetBytes)})` : ' (outside the budget)';
    log(`${entry.name}: ${sizes}${budget}`);
    if (!entry.budgeted) continue;
    for (const [name, bytes] of entry.top.slice(0, 12)) {
      log(`  ${name.padEnd(28)} ${String(bytes).padStart(8)} bytes  ${((100 * bytes) / entry.bytes).toFixed(1).padStart(5)} %`);
    }
  }
  const page = report.filter((entry) => entry.page);
  const pageGzipBytes = page.reduce((sum, entry) => sum + entry.gzipBytes, 0);
  log(`kiosk page: gzip -9 ${pageGzipBytes} bytes (${kib(pageGzipBytes)}) for ${page.map((entry) => entry.name).join(' and ')}; budget ${pageGzipBudgetBytes} bytes (${kib(pageGzipBudgetBytes)})`);
  if (pageGzipBytes > pageGzipBudgetBytes) throw new BudgetError(`the kiosk page is ${pageGzipBytes} bytes with gzip -9, over its budget of ${pageGzipBudgetBytes} bytes by ${pageGzipBytes - pageGzipBudgetBytes}`);
  for (const entry of report.filter((candidate) => candidate.budgeted)) {
    if (entry.bytes > budgetBytes) throw new BudgetError(`${entry.name} is ${entry.bytes} bytes, over the budget of ${budgetBytes} bytes by ${entry.bytes - budgetBytes}`);
    if (entry.gzipBytes > gzipBudgetBytes) throw new BudgetError(`${entry.name} is ${entry.gzipBytes} bytes with gzip -9, over the gzip budget of ${gzipBudgetBytes} bytes by ${entry.gzipBytes - gzipBudgetBytes}`);
  }
  // Only a build within budget is written, each file through a rename so a
  // reader never sees half a bundle.
  for (const file of files) {
    mkdirSync(path.dirname(file.path), { recursive: true });
    writeFileSync(`${file.path}.tmp`, file.contents, { mode: /\/(terminal|sim|boot)\.js$/.test(file.path) ? 0o755 : 0o644 });
    renameSync(`${file.path}.tmp`, file.path);
  }
  // The kiosk unit's command (device/deploy/boot.sh: the startup snapshot's use and making), installed beside the bundles.
  writeFileSync(path.join(outdir, 'boot.sh.tmp'), readFileSync(path.join(root, 'device', 'deploy', 'boot.sh')), { mode: 0o755 });
  renameSync(path.join(outdir, 'boot.sh.tmp'), path.join(outdir, 'boot.sh'));
  // Bundles earlier builds wrote and this one no longer does: nothing loads
  // them, so they go rather than sit beside the firmware looking shipped.
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
    plugins: [besideTheBundle],
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
  // --quiet: one line (npm start's), the size of each bundle, on stderr: the demo's stdout stays its own (`npm start -- --ui` prints only the page's address there).
  const lines = [];
  const log = values.quiet ? (line) => /^\S/.test(line) && lines.push(line.replace(/ \(.*?\)/g, '').replace(/;.*$/, '')) : console.log;
  build({ outdir, log }).then(
    () => values.quiet && console.error(`build: ${lines.join(', ')}`),
    (error) => {
      console.error(`build failed: ${error.message}`);
      process.exit(1);
    },
  );
}
