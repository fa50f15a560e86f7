// Proves the firmware size budget is enforced by build.mjs: a budget set below
// the real size fails the build and writes nothing; the variable can only
// lower the budget and must be a number; the real bundle fits and the report
// names its largest contributors; a build writes the four bundles and nothing
// else. The firmware carries its whole runtime, updates and reconciliation
// included, and leaves out what only the tools do (the settlement trace). The
// site bundle that `run --profile emulated|hil` loads before it is ready has
// the emulators but not the reference hub. Every bundle shortens the same
// internal property names, and a build that leaves one whole is refused. The
// firmware loads node:assert only when an assertion fails, and then fails
// exactly as Node.js's assert does.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as esbuild from 'esbuild';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { projectRoot, terminalBundle } from '../helpers/cli';

function build(env: Record<string, string>, outdir: string) {
  return spawnSync(process.execPath, [path.join(projectRoot, 'build.mjs'), '--outdir', outdir], {
    cwd: projectRoot,
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
}

/** build.mjs's terminalBudgetBytes (issue 13: 256 KiB, with the specified packages in the firmware). */
const budgetBytes = 256 * 1024;

test('the shipped bundle is within the 256 KiB budget', () => {
  assert.ok(existsSync(terminalBundle), 'run the build first');
  const size = statSync(terminalBundle).size;
  assert.ok(size <= budgetBytes, `${size} bytes`);
});

test('the firmware carries no emulators, simulator or hub; the tools bundle has the emulators', () => {
  const firmware = readFileSync(terminalBundle, 'utf8');
  assert.not.ok(firmware.includes('card inserted'), 'the card reader emulator does not');
  assert.not.ok(firmware.includes('GS ( k fn'), 'nor the printer emulator');
  // @serialport/stream logs through debug: DEBUG=serialport/stream traces a port in the field.
  assert.ok(firmware.includes('serialport/stream') && firmware.includes('inspectOpts'), 'the port is SerialPortStream, with its debug logging');
  const sources = (JSON.parse(readFileSync(`${terminalBundle}.map`, 'utf8')) as { sources: string[] }).sources;
  assert.ok(sources.some((source) => source.includes('node_modules/@serialport/stream/')), 'the firmware bundles @serialport/stream');
  assert.not.ok(sources.some((source) => source.includes('typed-emitter')), 'typed-emitter is types only: not a byte of it ships');
  const tools = readFileSync(path.join(path.dirname(terminalBundle), 'tools.js'), 'utf8');
  assert.ok(tools.includes('card inserted'), 'the tools bundle has the emulators');
});

test('the firmware carries the drivers its terminal runs on, signed updates and reconciliation', () => {
  const firmware = readFileSync(terminalBundle, 'utf8');
  // One stable string of each driver: card reader, QR scanner, printer, ESC/POS builder, GB18030 encoder, port adapter, keypad, display.
  for (const [driver, text] of [
    ['card reader', 'card_removed'],
    ['QR scanner', 'ECT1:'],
    ['printer', 'paper_out'],
    ['ESC/POS builder', 'receipt_too_long'],
    ['GB18030 encoder', 'gb18030'],
    ['port adapter', 'port is not open'],
    ['keypad', 'cancel|back'],
    ['hub client', 'queue_not_empty'],
    ['journal', 'journal_full'],
  ]) {
    assert.ok(firmware.includes(text as string), `${driver}: ${text}`);
  }
  assert.ok(firmware.includes('update_result_mismatch') && firmware.includes('update_invalid_content'), 'signed catalogue and policy-book updates are in terminal.js');
  assert.ok(firmware.includes('recon_detail') && firmware.includes('queue_not_empty'), 'and so is reconciliation');
  assert.not.ok(/require\([^)]*maintenance/.test(firmware), 'nothing of the runtime is loaded from another file');
});

test('the firmware leaves out the settlement trace, which only the tools record (settle --explain)', () => {
  const firmware = readFileSync(terminalBundle, 'utf8');
  const tools = readFileSync(path.join(path.dirname(terminalBundle), 'tools.js'), 'utf8');
  assert.not.ok(firmware.includes('benefitName'));
  assert.ok(tools.includes('benefitName'));
});

test('every bundle shortens the same internal property names; a name left whole as a property is found', async () => {
  const { internalProps, unmangledProps } = await import(path.join(projectRoot, 'build.mjs'));
  for (const name of ['terminal.js', 'crypto-tweetnacl.js', 'tools.js', 'site.js']) {
    assert.equal(unmangledProps(readFileSync(path.join(path.dirname(terminalBundle), name), 'utf8')), [], name);
  }
  const firmware = readFileSync(terminalBundle, 'utf8');
  assert.not.ok(firmware.includes('.queueLength'), 'queueLength is shortened');
  assert.ok((internalProps as string[]).includes('timeoutsMs'));
  assert.equal(unmangledProps('var e=(t=>(t[t.timeoutsMs=1]="timeoutsMs",t))(e||{});e.$0'), ['timeoutsMs'], 'an enum member named like a listed property');
  assert.equal(unmangledProps('x={queueLength:1}'), ['queueLength']);
  assert.equal(unmangledProps('throw new RangeError("exchangeTimeoutMs must be 1 to 600000")'), [], 'a message naming an option is not a property');
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

test('the site bundle has the emulators and the line simulator, not the reference hub', () => {
  const site = readFileSync(path.join(path.dirname(terminalBundle), 'site.js'), 'utf8');
  const tools = readFileSync(path.join(path.dirname(terminalBundle), 'tools.js'), 'utf8');
  assert.ok(site.includes('card inserted') && site.includes('frameFaultRate'), 'emulators and line simulator');
  assert.ok(tools.includes('sign in again'), 'the hub is in tools.js');
  assert.not.ok(site.includes('sign in again'), 'and not in site.js');
});

test('a firmware command never loads node:assert; the shim passes what Node.js passes and throws its AssertionError otherwise', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'assert-shim-'));
  try {
    const probe = path.join(dir, 'probe.cjs');
    writeFileSync(probe, "process.on('exit', () => process.stderr.write(`assert loaded: ${process.moduleLoadList.includes('NativeModule assert')}\\n`));");
    const version = spawnSync(process.execPath, ['-r', probe, terminalBundle, 'version'], { encoding: 'utf8' });
    assert.is(version.status, 0, version.stderr);
    assert.match(version.stderr, /assert loaded: false/);
    for (const name of ['terminal.js', 'site.js']) {
      const bundle = readFileSync(path.join(path.dirname(terminalBundle), name), 'utf8');
      const requires = bundle.match(/.{4}require\("node:assert"\)/g) ?? [];
      assert.equal(requires, ['()=>require("node:assert")'], `${name}: node:assert is required in the shim's failure path only`);
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

test('a budget below the real size fails the build and writes nothing', () => {
  const outdir = mkdtempSync(path.join(tmpdir(), 'budget-'));
  try {
    const size = statSync(terminalBundle).size;
    const result = build({ TERMINAL_BUDGET_BYTES: String(size - 1) }, outdir);
    assert.is(result.status, 1);
    assert.match(result.stderr, /over the budget of \d+ bytes by 1\b/);
    assert.not.ok(existsSync(path.join(outdir, 'terminal.js')));
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
});

test('a budget at the real size passes and the report names contributors', () => {
  const outdir = mkdtempSync(path.join(tmpdir(), 'budget-'));
  try {
    // An earlier build's retired bundle is removed, not left beside the firmware.
    writeFileSync(path.join(outdir, 'terminal-maintenance.js'), '');
    writeFileSync(path.join(outdir, 'terminal-maintenance.js.map'), '');
    const size = statSync(terminalBundle).size;
    const result = build({ TERMINAL_BUDGET_BYTES: String(size) }, outdir);
    assert.is(result.status, 0, result.stderr);
    assert.match(result.stdout, new RegExp(`terminal\\.js: ${size} bytes`));
    assert.match(result.stdout, /^ {2}\S+\s+\d+ bytes\s+[\d.]+ %$/m);
    assert.is(statSync(path.join(outdir, 'terminal.js')).size, size);
    const written = readdirSync(outdir).filter((name) => name.endsWith('.js')).sort();
    assert.equal(written, ['crypto-tweetnacl.js', 'site.js', 'terminal.js', 'tools.js'], 'the four bundles and nothing else');
    assert.not.ok(existsSync(path.join(outdir, 'terminal-maintenance.js.map')));
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
});

test('the variable cannot raise the budget, and must be a whole number', () => {
  const outdir = mkdtempSync(path.join(tmpdir(), 'budget-'));
  try {
    const raised = build({ TERMINAL_BUDGET_BYTES: String(budgetBytes + 1) }, outdir);
    assert.is(raised.status, 1);
    assert.match(raised.stderr, /may only lower the budget/);
    const garbage = build({ TERMINAL_BUDGET_BYTES: '12k' }, outdir);
    assert.is(garbage.status, 1);
    assert.match(garbage.stderr, /whole number of bytes/);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
});

test.run();
