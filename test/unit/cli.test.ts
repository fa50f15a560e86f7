// Proves the CLI's contract on the built bundle: usage on --help (exit 0),
// a one-line error and exit 2 for an unknown command or flag, usage on stderr
// and exit 2 with no command; and the same dispatcher in-process.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { projectRoot, runTerminal, terminalBundle } from '../helpers/cli';
import { runCli } from '../../src/cli/cli';
import { commands } from '../../src/cli/commands';

test('--help prints usage listing every command and exits 0', () => {
  const result = runTerminal(['--help']);
  assert.is(result.code, 0);
  assert.match(result.stdout, /^usage: settle-terminal COMMAND/);
  for (const command of commands) assert.ok(result.stdout.includes(`  ${command.name}`), command.name);
  assert.is(result.stderr, '');
});

test('an unknown command exits 2 with one line on stderr', () => {
  const result = runTerminal(['frobnicate']);
  assert.is(result.code, 2);
  assert.is(result.stdout, '');
  assert.is(result.stderr.trimEnd().split('\n').length, 1);
  assert.match(result.stderr, /unknown command 'frobnicate'/);
});

test('no command prints usage on stderr and exits 2', () => {
  const result = runTerminal([]);
  assert.is(result.code, 2);
  assert.match(result.stderr, /^usage: /);
});

test('an unknown flag of a known command exits 2 with one line', () => {
  const result = runTerminal(['version', '--bogus']);
  assert.is(result.code, 2);
  assert.is(result.stderr.trimEnd().split('\n').length, 1);
  assert.match(result.stderr, /settle-terminal version: .*bogus/);
});

test('a hostile command name stays on one line', () => {
  const result = runTerminal(['a\nb\r\nc']);
  assert.is(result.code, 2);
  assert.is(result.stderr.trimEnd().split('\n').length, 1);
});

test('version (and --version) prints the package version from the bundle', () => {
  const result = runTerminal(['version']);
  assert.is(result.code, 0);
  assert.match(result.stdout, /^settle-terminal 0\.\d+\.\d+ \(node /);
  const flag = runTerminal(['--version']);
  assert.is(flag.code, 0);
  assert.is(flag.stdout, result.stdout);
});

test('commands that open no port run from a lone copy of the firmware (the native binding loads only for ports)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'lone-'));
  try {
    copyFileSync(terminalBundle, path.join(dir, 'terminal.js'));
    const version = spawnSync(process.execPath, [path.join(dir, 'terminal.js'), 'version'], { cwd: dir, encoding: 'utf8' });
    assert.is(version.status, 0, version.stderr);
    const run = spawnSync(process.execPath, [path.join(dir, 'terminal.js'), 'run', '--profile', path.join(dir, 'missing.json')], { cwd: dir, encoding: 'utf8' });
    assert.is(run.status, 2, run.stderr);
    assert.match(run.stderr, /profile_unreadable/);
    // The portable provider asked for where it was not shipped: a refused start in one line, exit 2 (a supervisor restarts it), never a crash.
    const profile = path.join(dir, 'kiosk.json');
    writeFileSync(profile, JSON.stringify({ ...JSON.parse(readFileSync(path.join(projectRoot, 'device', 'profiles', 'kiosk.json'), 'utf8')), state: 'state' }));
    const noProvider = spawnSync(process.execPath, [path.join(dir, 'terminal.js'), 'run', '--profile', profile, '--crypto', 'tweetnacl'], { cwd: dir, encoding: 'utf8' });
    assert.is(noProvider.status, 2, noProvider.stderr);
    assert.match(noProvider.stderr, /^settle-terminal run: cannot load \S*\/crypto-tweetnacl\.js: /);
    assert.is(noProvider.stderr.trimEnd().split('\n').length, 1);
    const settle = spawnSync(process.execPath, [path.join(dir, 'terminal.js'), 'settle'], { cwd: dir, encoding: 'utf8', input: '{}' });
    assert.is(settle.status, 0, settle.stderr);
    assert.is(settle.stdout, '{"ok":false,"error":{"code":"invalid_input"}}\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('runCli in-process gives the same exit codes', async () => {
  const io = () => ({ stdin: new PassThrough(), stdout: new PassThrough(), stderr: new PassThrough(), env: {} });
  assert.is(await runCli(['--help'], commands, io()), 0);
  assert.is(await runCli(['nope'], commands, io()), 2);
  assert.is(await runCli([], commands, io()), 2);
  assert.is(await runCli(['version', 'extra'], commands, io()), 2);
});

test.run();
