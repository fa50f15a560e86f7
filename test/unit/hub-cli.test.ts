// Proves the `settle-sim hub` commands on the built simulation bundle
// (dist/sim.js): init seeds a new state directory with the worked
// cases' patients, and the commands that only read (show, audit, clearing)
// never create one (state_missing, no directory made); generate adds a
// synthetic population and terminals;
// enroll, clearing, audit and show answer in JSON; bad input is one line with
// a stable code and exit 2; serve --listen prints where it listens, serves a
// terminal over TCP, holds the directory's lock meanwhile (state_locked), and
// stops cleanly on SIGTERM; while it serves, an unhandled rejection is logged
// and counted, never fatal.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bytesEqual, bytesToHex, hexToBytes } from '../../protocol/crypto';
import { nodeCryptoProvider } from '../../protocol/crypto-node';
import { HubClient } from '../../src/hub/client';
import { TerminalJournal } from '../../src/journal/journal';
import { SocketPort } from '../../device/sim/socket-port';
import { guardUnhandled } from '../../device/sim/hub/cli';
import { runSim, startSim } from '../helpers/cli';
import { realTimers, terminalSigner } from '../helpers/hub-rig';
import { MemoryDisk } from '../helpers/memory-disk';

const dir = mkdtempSync(path.join(tmpdir(), 'hub-cli-'));
const state = path.join(dir, 'state');
const json = (text: string) => JSON.parse(text.trim().split('\n').at(-1) as string);

test('a read-only command never creates state: show, audit and clearing on a missing directory are state_missing and make nothing', () => {
  for (const args of [['show'], ['audit'], ['clearing', '--month', '2026-03'], ['show', '--person', 'P130125000001']]) {
    const out = runSim(['hub', ...args, '--state', state]);
    assert.is(out.code, 2, `${args.join(' ')}: ${out.stdout}${out.stderr}`);
    assert.match(out.stderr, /^hub: state_missing: /, args.join(' '));
    assert.not.ok(existsSync(state), `${args.join(' ')} created ${state}`);
  }
});

test('init seeds a new state directory: show gives the versions, institutions and the hub key', () => {
  const init = runSim(['hub', 'init', '--state', state]);
  assert.is(init.code, 0, init.stderr);
  const out = runSim(['hub', 'show', '--state', state]);
  assert.is(out.code, 0, out.stderr);
  const summary = json(out.stdout);
  assert.equal(summary.institutions.sort(), ['H11010600001', 'H21010200013', 'H31010100003', 'P31010400021']);
  assert.equal(summary.versions.map((version: { version: string }) => version.version).sort(), ['beijing-2026.03', 'policy-book-2026.1', 'shanghai-2026.03', 'shenyang-2026.03']);
  assert.match(summary.hub_key, /^[0-9a-f]{64}$/);
  const zhang = runSim(['hub', 'show', '--state', state, '--person', 'P130125000001']);
  assert.is(json(zhang.stdout).person.psn_name, '张建国');
});

test('generate adds a population and terminals; show finds a synthetic person', () => {
  const out = runSim(['hub', 'generate', '--state', state, '--persons', '10', '--seed', '5', '--terminals', '2', '--date', '2026-03-14']);
  assert.is(out.code, 0, out.stderr);
  assert.equal(json(out.stdout), { seed: 5, persons: 10, bills_per_person: 4, date: '2026-03-14', terminals: ['G5T0', 'G5T1'] });
  const person = json(runSim(['hub', 'show', '--state', state, '--person', 'G5P3']).stdout);
  assert.is(person.person.psn_no, 'G5P3');
  assert.is(json(runSim(['hub', 'show', '--state', state]).stdout).terminals, 2);
});

const refusals: [string, string[], RegExp][] = [
  ['no command', ['hub', '--state', state], /hub: usage: unknown hub command/],
  ['an unknown flag', ['hub', 'show', '--state', state, '--bogus'], /hub: usage: Unknown option '--bogus'/],
  ['no state', ['hub', 'show'], /hub: usage: --state is required/],
  ['a bad month', ['hub', 'clearing', '--state', state, '--month', '2026-3'], /hub: usage: --month must be YYYY-MM/],
  ['persons out of range', ['hub', 'generate', '--state', state, '--persons', '0', '--seed', '1'], /hub: usage: --persons must be an integer from 1/],
  ['a key that is not hex', ['hub', 'enroll', '--state', state, '--terminal', 'T9', '--institution', 'H11010600001', '--pub', 'zz'], /hub: usage: --pub must be 64 hex digits/],
  ['an unknown institution', ['hub', 'enroll', '--state', state, '--terminal', 'T9', '--institution', 'H00000000000', '--pub', bytesToHex(terminalSigner(9).publicKey)], /hub: unknown_institution/],
  ['a bad terminal id', ['hub', 'enroll', '--state', state, '--terminal', 'T 9', '--institution', 'H11010600001', '--pub', bytesToHex(terminalSigner(9).publicKey)], /hub: usage: --terminal must be/],
  ['an unknown person', ['hub', 'show', '--state', state, '--person', 'P0'], /hub: person_not_found/],
  ['serve with neither port nor address', ['hub', 'serve', '--state', state], /hub: usage: give one of --port PATH or --listen HOST:PORT/],
  ['serve on a bad address', ['hub', 'serve', '--state', state, '--listen', 'here'], /hub: usage: --listen must be HOST:PORT/],
];

for (const [name, args, pattern] of refusals) {
  test(`refused with a stable code, exit 2: ${name}`, () => {
    const out = runSim(args);
    assert.is(out.code, 2, out.stdout + out.stderr);
    assert.match(out.stderr, pattern);
  });
}

test('enroll, clearing and audit answer in JSON', () => {
  const enrolled = runSim(['hub', 'enroll', '--state', state, '--terminal', 'T1', '--institution', 'H11010600001', '--pub', bytesToHex(terminalSigner(1).publicKey)]);
  assert.is(enrolled.code, 0, enrolled.stderr);
  assert.is(json(enrolled.stdout).terminal, 'T1');
  const again = runSim(['hub', 'enroll', '--state', state, '--terminal', 'T1', '--institution', 'H11010600001', '--pub', bytesToHex(terminalSigner(2).publicKey)]);
  assert.match(again.stderr, /hub: terminal_exists/);
  assert.equal(json(runSim(['hub', 'clearing', '--state', state, '--month', '2026-03']).stdout), { month: '2026-03', lines: [], total_fen: 0 });
  const audit = runSim(['hub', 'audit', '--state', state]);
  assert.is(audit.code, 0);
  assert.is(audit.stdout, '');
});

test('serve --listen: prints where, serves a terminal over TCP, holds the lock, stops on SIGTERM', async () => {
  const hub = startSim(['hub', 'serve', '--state', state, '--listen', '127.0.0.1:0']);
  try {
    const line = await hub.waitFor(/listening on/, 10_000);
    const match = /listening on 127\.0\.0\.1:([0-9]+); key ([0-9a-f]{64})/.exec(line);
    assert.ok(match !== null, line);
    if (match === null) return;
    const locked = runSim(['hub', 'show', '--state', state]);
    assert.is(locked.code, 2);
    assert.match(locked.stderr, /hub: state_locked/);
    const hubKey = nodeCryptoProvider.verifier(hexToBytes(match[2] as string, 32, 'key'));
    const client = await HubClient.open({
      terminal: 'T1',
      fixmedinsCode: 'H11010600001',
      firmware: 'test',
      connect: () => SocketPort.connect('127.0.0.1', Number(match[1])),
      signer: terminalSigner(1),
      hubKeys: (kid) => (bytesEqual(kid, hubKey.kid) ? hubKey : null),
      journal: TerminalJournal.open({ storage: new MemoryDisk(), file: '/j' }),
      timers: realTimers,
      timeS: () => Math.floor(Date.now() / 1_000),
      random: Math.random,
    });
    const signed = await client.signIn();
    assert.ok(signed.ok, JSON.stringify(signed));
    const person = await client.person({ kind: 'ss_card', id: 'G5C2', card_sn: 'GS2' });
    assert.ok(person.ok && person.value.psn_no === 'G5P2', JSON.stringify(person));
    await client.close();
    assert.is(await hub.stop('SIGTERM'), 0);
    assert.ok(hub.lines.some((printed) => /hub: stopped; \{"frames":[1-9]/.test(printed)), hub.lines.join('\n'));
    assert.is(runSim(['hub', 'show', '--state', state]).code, 0, 'the lock is released');
  } finally {
    await hub.stop('SIGKILL');
  }
});

test('while serving, an unhandled rejection is logged and counted, and the process goes on', async () => {
  const stats = { unhandled: 0 };
  const lines: string[] = [];
  const unguard = guardUnhandled(stats, (line) => lines.push(line));
  try {
    void Promise.reject(new Error('a bug in a handler'));
    await new Promise((resolve) => setTimeout(resolve, 20));
  } finally {
    unguard();
  }
  assert.is(stats.unhandled, 1);
  assert.match(lines[0] ?? '', /^hub: unhandled rejection \(1\): Error: a bug in a handler/);
});

test('cleanup', () => rmSync(dir, { recursive: true, force: true }));

test.run();
