// Proves `settle-sim hub serve --port PATH` serves a terminal on a real
// serial line: the firmware's CLI opens one end of a socat pty pair with the
// real binding, a hub client opens the other end through the port adapter,
// signs in, finds a seed patient and settles the pending bill (skipped
// without socat).
import * as assert from 'uvu/assert';
import { autoDetect } from '@serialport/bindings-cpp';
import type { BindingInterface } from '@serialport/bindings-interface';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bytesEqual, bytesToHex, hexToBytes } from '../../protocol/crypto';
import { nodeCryptoProvider } from '../../protocol/crypto-node';
import { openPtyPair } from '../../device/sim/socat';
import { StreamPort } from '../../device/stream-port';
import { runSim, startSim } from '../helpers/cli';
import { hilSuite } from '../helpers/hil';
import { openTerminal, prepareSettle, WallClock, terminalSigner } from '../helpers/hub-rig';

const test = hilSuite('hub serve on a pty');

test('the CLI hub on a pty settles a seed patient for a terminal on the other end', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'hub-pty-'));
  const pair = await openPtyPair();
  const state = path.join(dir, 'hub');
  const enrolled = runSim(['hub', 'enroll', '--state', state, '--terminal', 'T1', '--institution', 'H11010600001', '--pub', bytesToHex(terminalSigner(1).publicKey)]);
  assert.is(enrolled.code, 0, enrolled.stderr);
  const hub = startSim(['hub', 'serve', '--state', state, '--port', pair.pathA, '--baud', '115200']);
  const port = new StreamPort({ binding: autoDetect() as BindingInterface, path: pair.pathB, baudRate: 115_200 });
  try {
    const line = await hub.waitFor(/serving on/, 10_000);
    const key = hexToBytes((/key ([0-9a-f]{64})/.exec(line) as RegExpExecArray)[1] as string, 32, 'key');
    await port.open();
    const verifier = nodeCryptoProvider.verifier(key);
    // The hub runs on the real clock: so does this terminal; Mr. Zhang's bill is dated in the case.
    const terminal = await openTerminal({
      storeDir: path.join(dir, 't'),
      link: async () => port,
      hub: { publicKey: key } as never,
      clock: new WallClock(Math.floor(Date.now() / 1_000)),
      client: { hubKeys: (kid: Uint8Array) => (bytesEqual(kid, verifier.kid) ? verifier : null), timeS: () => Math.floor(Date.now() / 1_000), requestTimeoutMs: 2_000, settleTimeoutMs: 3_000 },
    });
    const { body } = await prepareSettle(terminal);
    const settled = await terminal.client.settle(body);
    assert.ok(settled.ok, JSON.stringify(settled));
    await terminal.client.close();
    assert.is(await hub.stop('SIGTERM'), 0);
    assert.is(JSON.parse(runSim(['hub', 'show', '--state', state]).stdout).settlements, 1);
  } finally {
    await hub.stop('SIGKILL');
    await port.close();
    await pair.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
