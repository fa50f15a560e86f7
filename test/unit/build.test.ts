// Proves the firmware's two budgets are enforced by build.mjs: the shipped
// dist/terminal.js is within 256 KiB minified and 80 KiB gzip -9; a budget
// one byte under either real figure fails the build and writes nothing; the
// variables can only lower the budgets and must be whole numbers; the report
// prints both figures and the largest contributors; a build writes the four
// bundles (terminal.js, crypto-tweetnacl.js, sim.js, sim-hub.js) and removes
// retired ones.
// The build rewrites nothing: property names and assertion messages reach the
// bundles as written. The firmware carries the runtime, its drivers and every
// field command (settle --explain's trace included) and nothing of
// device/sim/, which ships in sim-core.js (run by sim.js through a code
// cache), with the reference hub and the demo in sim-hub.js (not in
// sim-core.js, whose emulated boot does not compile them); no
// bundle requires a path it computes. cbor-x is the firmware's encoder,
// through its no-eval entry (no native extractor, no code built from strings).
// The firmware loads node:assert only when an assertion fails, and then
// fails exactly as Node.js's assert does.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as esbuild from 'esbuild';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { projectRoot, simBundle, terminalBundle } from '../helpers/cli';

const simHubBundle = path.join(path.dirname(simBundle), 'sim-hub.js');
/** The simulation itself, which dist/sim.js (device/sim/loader.ts) runs through a V8 code cache. */
const simCoreBundle = path.join(path.dirname(simBundle), 'sim-core.js');

function build(env: Record<string, string>, outdir: string) {
  return spawnSync(process.execPath, [path.join(projectRoot, 'build.mjs'), '--outdir', outdir], {
    cwd: projectRoot,
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
}

/** build.mjs's terminalBudgetBytes and terminalGzipBudgetBytes (docs/design.md, budgets). */
const budgetBytes = 256 * 1024;
const gzipBudgetBytes = 80 * 1024;

const firmwareSize = () => statSync(terminalBundle).size;
const firmwareGzipSize = () => gzipSync(readFileSync(terminalBundle), { level: 9 }).length;

test('the shipped firmware is within 256 KiB minified and 80 KiB gzip -9, the constants build.mjs enforces', async () => {
  assert.ok(existsSync(terminalBundle), 'run the build first');
  assert.ok(firmwareSize() <= budgetBytes, `${firmwareSize()} bytes`);
  assert.ok(firmwareGzipSize() <= gzipBudgetBytes, `${firmwareGzipSize()} bytes gzipped`);
  const { terminalBudgetBytes, terminalGzipBudgetBytes } = await import(path.join(projectRoot, 'build.mjs'));
  assert.equal([terminalBudgetBytes, terminalGzipBudgetBytes], [budgetBytes, gzipBudgetBytes]);
});

test('the firmware carries nothing of device/sim/; sim.js has the emulators and the line simulator, sim-hub.js the reference hub and the demo', () => {
  const firmware = readFileSync(terminalBundle, 'utf8');
  const sim = readFileSync(simCoreBundle, 'utf8');
  const simHub = readFileSync(simHubBundle, 'utf8');
  for (const [what, text, bundle] of [
    ['card reader emulator', 'card inserted', sim],
    ['printer emulator', 'GS ( k fn', sim],
    ['line simulator', 'frameFaultRate', sim],
    ['reference hub', 'sign in again', simHub],
    ['demo', 'settled in an earlier run', simHub],
  ] as const) {
    assert.not.ok(firmware.includes(text), `the firmware has no ${what}`);
    assert.ok(bundle.includes(text), `the ${what} is in its bundle`);
  }
  assert.not.ok(sim.includes('sign in again') || sim.includes('settled in an earlier run'), 'sim-core.js has neither the hub nor the demo');
  // @serialport/stream logs through debug (DEBUG=serialport/stream traces a port in the field):
  // the binding's own copy beside it on the device, required when the stream first loads.
  assert.ok(firmware.includes('serialport/stream') && firmware.includes('require("debug")'), 'the port is SerialPortStream, with its debug logging');
  assert.not.ok(firmware.includes('inspectOpts'), 'debug is not carried a second time');
  const sources = (JSON.parse(readFileSync(`${terminalBundle}.map`, 'utf8')) as { sources: string[] }).sources;
  assert.ok(sources.some((source) => source.includes('node_modules/@serialport/stream/')), 'the firmware bundles @serialport/stream');
  assert.not.ok(sources.some((source) => source.includes('typed-emitter')), 'typed-emitter is types only: not a byte of it ships');
});

test('the firmware carries the drivers its terminal runs on, signed updates, reconciliation and every field command', () => {
  const firmware = readFileSync(terminalBundle, 'utf8');
  for (const [part, text] of [
    ['card reader', 'card_removed'],
    ['QR scanner', 'ECT1:'],
    ['printer', 'paper_out'],
    ['ESC/POS builder', 'receipt_too_long'],
    ['GB18030 encoder', 'gb18030'],
    ['port adapter', 'port is not open'],
    ['keypad', 'cancel|back'],
    ['hub client', 'queue_not_empty'],
    ['journal', 'journal_full'],
    ['signed updates', 'update_result_mismatch'],
    ['reconciliation', 'recon_detail'],
    ['probe', 'test receipt printed'],
    ['settle --explain (the trace)', 'benefitName'],
    ['catalogue inspect|lookup|apply', 'is not in catalogue'],
    ['frame decode', 'garbage'],
    ['cose verify', 'not verified'],
  ]) {
    assert.ok(firmware.includes(text as string), `${part}: ${text}`);
  }
});

test('the firmware carries cbor-x from its source modules (encode entry, tree-shaken) and never asks for the native extractor', async () => {
  const result = await esbuild.build({ absWorkingDir: projectRoot, entryPoints: ['src/main.ts'], bundle: true, platform: 'node', format: 'cjs', write: false, metafile: true, logLevel: 'silent', external: ['@serialport/bindings-cpp', 'cbor-extract', './kiosk-ui.js'] });
  const inputs = Object.keys(result.metafile.inputs).filter((input) => input.includes('node_modules/cbor-'));
  assert.ok(inputs.includes('node_modules/cbor-x/encode.js') && inputs.includes('node_modules/cbor-x/decode.js'), inputs.join(', '));
  assert.equal(inputs.filter((input) => input.includes('/dist/') || input.endsWith('node-index.js')), [], 'no prebuilt file, not the main entry');
  const firmware = readFileSync(terminalBundle, 'utf8');
  assert.not.ok(firmware.includes('cbor-extract'), 'no require of the native extractor, so the firmware runs where it is absent');
  const [output] = Object.values(result.metafile.outputs);
  assert.is(output?.inputs['node_modules/cbor-x/iterators.js']?.bytesInOutput ?? 0, 0, 'what the Encoder does not reach (the iterators) is left out');
});

test('the build rewrites nothing: property names and assertion messages reach the bundles as written', () => {
  const buildSource = readFileSync(path.join(projectRoot, 'build.mjs'), 'utf8');
  assert.not.ok(/mangleProps|mangleCache|onLoad\(\{ filter: \/\\\/\(src/.test(buildSource), 'no mangling, no loader that rewrites our sources');
  const firmware = readFileSync(terminalBundle, 'utf8');
  assert.ok(firmware.includes('.queueLength') && firmware.includes('timeoutsMs'), 'internal names whole');
  assert.ok(firmware.includes('the institution is a national fixmedins code (the profile checks it)'), "an assertion's message");
  assert.not.ok(firmware.includes('__FIRMWARE__'), 'no build flag read by the core');
});

test('no bundle requires a path it computes: every require names its module in a string', () => {
  for (const bundle of [terminalBundle, simCoreBundle, simHubBundle]) {
    const code = readFileSync(bundle, 'utf8');
    const requires = [...code.matchAll(/\brequire\(([^)]*)\)/g)].map((match) => match[1] as string);
    assert.ok(requires.length > 0);
    assert.equal(requires.filter((argument) => !/^"[^"]+"$/.test(argument)), [], path.basename(bundle));
    assert.not.ok(/createRequire/.test(code), `${path.basename(bundle)}: no createRequire`);
  }
  const firmware = readFileSync(terminalBundle, 'utf8');
  assert.ok(firmware.includes('require("./crypto-tweetnacl.js")'), 'the tweetnacl provider by its fixed name');
  assert.not.ok(/require\("\.\/(sim|sim-hub|tools|site)\.js"\)/.test(firmware), 'never a simulation bundle');
  assert.ok(readFileSync(simCoreBundle, 'utf8').includes('require("./sim-hub.js")'), 'sim-core.js requires the hub bundle by its fixed name');
});

test('a command that opens no port never evaluates @serialport/stream or its debug logging (they load at the first open)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'lazy-stream-'));
  try {
    const hook = path.join(dir, 'hook.cjs');
    writeFileSync(hook, "const M = require('module'); const resolve = M._resolveFilename; M._resolveFilename = function (request, ...rest) { if (request === 'stream' || request === 'supports-color') process.stderr.write(`asked for ${request}\\n`); return resolve.call(this, request, ...rest); };");
    const version = spawnSync(process.execPath, ['-r', hook, terminalBundle, 'version'], { encoding: 'utf8' });
    assert.is(version.status, 0, version.stderr);
    assert.not.match(version.stderr, /asked for/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a firmware command never loads node:assert; the shim passes what Node.js passes and throws its AssertionError otherwise', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'assert-shim-'));
  try {
    const probe = path.join(dir, 'probe.cjs');
    writeFileSync(probe, "process.on('exit', () => process.stderr.write(`assert loaded: ${process.moduleLoadList.includes('NativeModule assert')}\\n`));");
    const version = spawnSync(process.execPath, ['-r', probe, terminalBundle, 'version'], { encoding: 'utf8' });
    assert.is(version.status, 0, version.stderr);
    assert.match(version.stderr, /assert loaded: false/);
    for (const bundle of [terminalBundle, simCoreBundle, simHubBundle]) {
      const requires = readFileSync(bundle, 'utf8').match(/.{4}require\("node:assert"\)/g) ?? [];
      assert.equal(requires, ['()=>require("node:assert")'], `${path.basename(bundle)}: node:assert is required in the shim's failure path only`);
    }
    const { assertShim } = await import(path.join(projectRoot, 'build.mjs'));
    const entry = path.join(dir, 'entry.js');
    writeFileSync(entry, "import assert, { ok, equal } from 'node:assert'; module.exports = { assert, ok, equal };");
    await esbuild.build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'cjs', outfile: path.join(dir, 'out.js'), plugins: [assertShim], logLevel: 'silent' });
    const shim = require(path.join(dir, 'out.js')) as { assert: (value: unknown, message?: string) => void; ok: (value: unknown) => void; equal: (a: unknown, b: unknown, message?: string) => void };
    shim.assert(1);
    shim.ok('x');
    shim.equal(1, '1');
    shim.equal(Number.NaN, Number.NaN);
    shim.equal(null, undefined);
    for (const fails of [() => shim.assert(0, 'zero'), () => shim.ok(''), () => shim.equal(1, 2, 'one is not two'), () => (shim.assert as unknown as { equal: typeof shim.equal }).equal('a', 'b')]) {
      let error: unknown = null;
      try {
        fails();
      } catch (thrown) {
        error = thrown;
      }
      assert.ok(error instanceof Error && error.name === 'AssertionError' && (error as NodeJS.ErrnoException).code === 'ERR_ASSERTION', String(error));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a budget one byte under either real figure fails the build and writes nothing', () => {
  for (const [variable, real, message] of [
    ['TERMINAL_BUDGET_BYTES', firmwareSize(), /terminal\.js is \d+ bytes, over the budget of \d+ bytes by 1\b/],
    ['TERMINAL_GZIP_BUDGET_BYTES', firmwareGzipSize(), /terminal\.js is \d+ bytes with gzip -9, over the gzip budget of \d+ bytes by 1\b/],
  ] as const) {
    const outdir = mkdtempSync(path.join(tmpdir(), 'budget-'));
    try {
      const result = build({ [variable]: String(real - 1) }, outdir);
      assert.is(result.status, 1, variable);
      assert.match(result.stderr, message, variable);
      assert.equal(readdirSync(outdir), [], `${variable}: nothing written`);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  }
});

test('budgets at the real figures pass; the report prints both and names contributors; the bundles written, the kiosk page held to its budget, retired ones removed', () => {
  const outdir = mkdtempSync(path.join(tmpdir(), 'budget-'));
  try {
    // Earlier builds' bundles that no build writes any more are removed, not left beside the firmware.
    for (const retired of ['terminal-maintenance.js', 'tools.js', 'tools.js.map', 'site.js', 'site.js.map']) writeFileSync(path.join(outdir, retired), '');
    const [size, gzipped] = [firmwareSize(), firmwareGzipSize()];
    const result = build({ TERMINAL_BUDGET_BYTES: String(size), TERMINAL_GZIP_BUDGET_BYTES: String(gzipped) }, outdir);
    assert.is(result.status, 0, result.stderr);
    assert.match(result.stdout, new RegExp(`terminal\\.js: ${size} bytes \\([\\d.]+ KiB\\), gzip -9 ${gzipped} bytes \\([\\d.]+ KiB\\); budgets ${size} bytes \\([\\d.]+ KiB\\) and gzip -9 ${gzipped} bytes`));
    assert.match(result.stdout, /^ {2}\S+\s+\d+ bytes\s+[\d.]+ %$/m);
    assert.match(result.stdout, /^ {2}cbor-x\s+\d+ bytes/m, 'cbor-x is the firmware\'s encoder');
    assert.is(statSync(path.join(outdir, 'terminal.js')).size, size);
    assert.equal(readdirSync(outdir).filter((name) => name.endsWith('.js')).sort(), ['boot-snapshot.js', 'boot.js', 'crypto-tweetnacl.js', 'kiosk-page.js', 'kiosk-ui.js', 'sim-core.js', 'sim-hub.js', 'sim.js', 'terminal.js'], 'the bundles and nothing else');
    assert.ok(existsSync(path.join(outdir, 'kiosk-page.css')), 'the page\'s style sheet');
    const page = /^kiosk page: gzip -9 (\d+) bytes .*; budget (\d+) bytes/m.exec(result.stdout);
    assert.ok(page !== null && Number(page[1]) > 0 && Number(page[1]) <= Number(page[2]) && page[2] === String(60 * 1024), result.stdout);
    assert.not.ok(existsSync(path.join(outdir, 'tools.js.map')));
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
});

test('the variables cannot raise the budgets, and must be whole numbers', () => {
  const outdir = mkdtempSync(path.join(tmpdir(), 'budget-'));
  try {
    for (const [variable, budget] of [['TERMINAL_BUDGET_BYTES', budgetBytes], ['TERMINAL_GZIP_BUDGET_BYTES', gzipBudgetBytes]] as const) {
      const raised = build({ [variable]: String(budget + 1) }, outdir);
      assert.is(raised.status, 1, variable);
      assert.match(raised.stderr, new RegExp(`${variable} may only lower the budget \\(${budget}\\)`));
      const garbage = build({ [variable]: '12k' }, outdir);
      assert.is(garbage.status, 1, variable);
      assert.match(garbage.stderr, new RegExp(`${variable} must be a whole number of bytes`));
    }
    assert.equal(readdirSync(outdir), []);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
});

test.run();
