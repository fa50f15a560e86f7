// Proves `run --profile FILE` on the emulated profile, as a process (the
// simulation bundle's run, node dist/sim.js: the firmware's own run command
// with emulators and the reference hub at the far ends): the first boot
// makes the terminal's key, the emulated site enrols it at the reference hub,
// and the terminal fetches its catalogue and policy book over its own line
// (the firmware's own signed update);
// it says when it is ready; standard input drives the emulators and the
// patient's keys; the screens and the printed receipt come out on standard
// output; SIGTERM stops it cleanly. A second boot on the same state is ready
// without fetching anything.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { startSim } from '../helpers/cli';
import { tempDir } from '../helpers/hub-rig';
import { wang } from '../helpers/terminal-rig';

test('run --profile emulated: boots (syncing its stores the first time), serves Aunt Wang, prints her receipt, stops on SIGTERM', async () => {
  const temp = tempDir('run-emulated-');
  try {
    const profile = path.join(temp.dir, 'emulated.json');
    writeFileSync(profile, JSON.stringify({ profile: 'emulated', terminal: 'SH-K09', institution: wang.fixmedins_code, state: 'state', offline_floor_fen: 50_000, line: { baud: 921_600 } }));
    const first = startSim(['run', '--profile', profile]);
    try {
      await first.waitFor(/^sync catalogue: shanghai-2026\.03$/, 20_000);
      await first.waitFor(/^sync policy_book: policy-book-2026\.1$/, 20_000);
      await first.waitFor(/^run: ready in \d+ ms: terminal SH-K09 \(emulated\)/, 20_000);
      await first.waitFor(/^sign-in: \d+$/, 10_000);
      first.send(`scan ${wang.ecert}`);
      await first.waitFor(/费用明细 Bill/, 10_000);
      first.send('ok');
      first.send('ok');
      await first.waitFor(/确认结算 Confirm/, 10_000);
      first.send('1');
      first.send('ok');
      await first.waitFor(/结算完成 Settled/, 10_000);
      const qr = await first.waitFor(/^printer: \[QR M 6\] S\d+$/, 10_000);
      assert.ok(first.lines.some((line) => line.includes('账户余额 Account balance  552.86')), 'her balance after paying from her account');
      first.send('ok');
      assert.is(await first.stop('SIGTERM'), 0, first.stderr());
      assert.ok(first.lines.includes('run: stopped'));
      const second = startSim(['run', '--profile', profile]);
      try {
        await second.waitFor(/^run: ready in \d+ ms/, 20_000);
        assert.not.ok(second.lines.some((line) => line.startsWith('sync ')), 'nothing to fetch');
        assert.not.ok(second.lines.some((line) => line.startsWith('a new terminal key')));
        assert.ok(qr.length > 0);
      } finally {
        assert.is(await second.stop('SIGTERM'), 0, second.stderr());
      }
    } finally {
      await first.stop('SIGKILL');
    }
  } finally {
    temp.remove();
  }
});

test.run();
