// Proves `run --profile FILE` on the emulated profile, as a process (the
// simulation bundle's run, node dist/sim.js: the firmware's own run command
// with emulators and the reference hub at the far ends): the first boot
// makes the terminal's key, the emulated site enrols it at the reference hub,
// and the terminal fetches its catalogue and policy book over its own line
// (the firmware's own signed update); it logs when it is ready; standard
// input drives the emulators and the patient's keys; SIGTERM stops it
// cleanly. A second boot on the same state is ready without fetching
// anything. Standard output carries the screen and nothing else: every line
// of it is a line of a frame. The log is on standard error, every line of it
// an entry with its time and level: as text by default (the printed receipt
// is there too, as the printer emulator's lines), as JSON lines with
// `--log json`, the time, level and message first. With `--exit-at-ready`
// a boot on the same state logs its ready line, closes and exits 0 by itself
// (no signal, nothing on standard input), as the boot benchmark runs it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { runSim, startSim, type RunningTerminal } from '../helpers/cli';
import { tempDir } from '../helpers/hub-rig';
import { isScreenLine, parseJsonLog, parseTextLog } from '../helpers/log';
import { wang } from '../helpers/terminal-rig';

/** Every stdout line a line of a frame, every stderr line a log entry as `parse` reads it. */
function checkStreams(run: RunningTerminal, parse: (line: string) => unknown): void {
  assert.ok(run.lines.length > 0, 'the screen was drawn');
  for (const line of run.lines) assert.ok(isScreenLine(line), `not a screen line on stdout: ${JSON.stringify(line)}`);
  const logs = run.logs.filter((line) => line !== '');
  assert.ok(logs.length > 0, 'something was logged');
  for (const line of logs) assert.ok(parse(line) !== null, `not a log entry on stderr: ${JSON.stringify(line)}`);
}

test('run --profile emulated: boots (syncing its stores the first time), serves Aunt Wang, prints her receipt, stops on SIGTERM; screen on stdout, log on stderr', async () => {
  const temp = tempDir('run-emulated-');
  try {
    const profile = path.join(temp.dir, 'emulated.json');
    writeFileSync(profile, JSON.stringify({ profile: 'emulated', terminal: 'SH-K09', institution: wang.fixmedins_code, state: 'state', offline_floor_fen: 50_000, line: { baud: 921_600 } }));
    const first = startSim(['run', '--profile', profile]);
    try {
      await first.waitForLog(/ info terminal key made file=\S+terminal\.key$/, 20_000);
      await first.waitForLog(/ info sync kind=catalogue repair=false version=shanghai-2026\.03$/, 20_000);
      await first.waitForLog(/ info sync kind=policy_book repair=false version=policy-book-2026\.1$/, 20_000);
      await first.waitForLog(/ info ready ms=\d+ terminal=SH-K09 profile=emulated catalogue=shanghai-2026\.03 policy_book=policy-book-2026\.1 queued=0$/, 20_000);
      await first.waitForLog(/ info hub sign-in session=\d+$/, 10_000);
      first.send(`scan ${wang.ecert}`);
      await first.waitFor(/费用明细 Bill/, 10_000);
      first.send('ok');
      first.send('ok');
      await first.waitFor(/确认结算 Confirm/, 10_000);
      first.send('1');
      first.send('ok');
      await first.waitFor(/结算完成 Settled/, 10_000);
      const qr = await first.waitForLog(/ info printer line="\[QR M 6\] S\d+"$/, 10_000);
      assert.ok(first.logs.some((line) => parseTextLog(line)?.fields.line?.includes('账户余额 Account balance  552.86')), 'her balance after paying from her account, on the receipt');
      first.send('ok');
      assert.is(await first.stop('SIGTERM'), 0, first.stderr());
      assert.ok(first.logs.some((line) => / info stopped$/.test(line)));
      checkStreams(first, parseTextLog);
      const second = startSim(['run', '--profile', profile, '--log', 'json']);
      try {
        const ready = parseJsonLog(await second.waitForLog(/"msg":"ready"/, 20_000));
        assert.equal([ready?.level, ready?.terminal, ready?.profile, ready?.catalogue, ready?.queued], ['info', 'SH-K09', 'emulated', 'shanghai-2026.03', 0]);
        await second.waitFor(/\|/, 10_000);
        assert.not.ok(second.logs.some((line) => parseJsonLog(line)?.msg === 'sync'), 'nothing to fetch');
        assert.not.ok(second.logs.some((line) => parseJsonLog(line)?.msg === 'terminal key made'), 'the key kept');
        assert.ok(qr.length > 0);
      } finally {
        assert.is(await second.stop('SIGTERM'), 0, second.stderr());
      }
      assert.ok(second.logs.some((line) => parseJsonLog(line)?.msg === 'stopped'));
      checkStreams(second, parseJsonLog);
      const third = runSim(['run', '--profile', profile, '--exit-at-ready'], { timeoutMs: 20_000 });
      assert.is(third.code, 0, third.stderr);
      const logged = third.stderr.split('\n').map((line) => parseTextLog(line)?.msg);
      assert.ok(logged.indexOf('ready') >= 0 && logged.indexOf('stopped') > logged.indexOf('ready'), `ready, then stopped:\n${third.stderr}`);
    } finally {
      await first.stop('SIGKILL');
    }
  } finally {
    temp.remove();
  }
});

test.run();
