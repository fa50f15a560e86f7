// Proves the firmware size budget is enforced by build.mjs: a budget set below
// the real size fails the build and writes nothing; the variable can only
// lower the budget and must be a number; the real bundle fits and the report
// names its largest contributors.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
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

const budgetBytes = 128 * 1024;

test('the shipped bundle is within the 128 KiB budget', () => {
  assert.ok(existsSync(terminalBundle), 'run the build first');
  const size = statSync(terminalBundle).size;
  assert.ok(size <= budgetBytes, `${size} bytes`);
});

test('the firmware carries no emulators, simulator, hub or debug logging; the tools bundle has the emulators', () => {
  const firmware = readFileSync(terminalBundle, 'utf8');
  assert.not.ok(firmware.includes('card inserted'), 'the card reader emulator does not');
  assert.not.ok(firmware.includes('GS ( k fn'), 'nor the printer emulator');
  assert.not.ok(firmware.includes('inspectOpts'), 'nor debug');
  const tools = readFileSync(path.join(path.dirname(terminalBundle), 'tools.js'), 'utf8');
  assert.ok(tools.includes('card inserted'), 'the tools bundle has the emulators');
});

test('the firmware carries the drivers its terminal runs on, and its on-demand part beside it', () => {
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
  const maintenance = readFileSync(path.join(path.dirname(terminalBundle), 'terminal-maintenance.js'), 'utf8');
  assert.ok(maintenance.includes('update_result_mismatch') && maintenance.includes('recon_detail'), 'updates and reconciliation are in terminal-maintenance.js');
  assert.not.ok(firmware.includes('update_result_mismatch'), 'and not in terminal.js');
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
    const size = statSync(terminalBundle).size;
    const result = build({ TERMINAL_BUDGET_BYTES: String(size) }, outdir);
    assert.is(result.status, 0, result.stderr);
    assert.match(result.stdout, new RegExp(`terminal\\.js: ${size} bytes`));
    assert.match(result.stdout, /^ {2}\S+\s+\d+ bytes\s+[\d.]+ %$/m);
    assert.is(statSync(path.join(outdir, 'terminal.js')).size, size);
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
