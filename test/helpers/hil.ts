// Hardware-in-loop suites: a uvu suite whose tests run when socat is there
// and are counted as skipped when it is not (the runner says how to install
// it, once; under CI=true the runner fails the tier instead).
import { existsSync } from 'node:fs';
import path from 'node:path';
import { suite, type Test } from 'uvu';
import { autoDetect } from '@serialport/bindings-cpp';
import type { BindingInterface } from '@serialport/bindings-interface';
import { openPtyPair, type PtyPair } from '../../device/sim/socat';
import { StreamPort } from '../../device/stream-port';

/** Whether socat can be started: the runner tells us, or we look on PATH when a file runs alone. */
export function socatAvailable(): boolean {
  if (process.env.HIL_SOCAT === 'absent') return false;
  return (process.env.PATH ?? '').split(path.delimiter).some((dir) => dir !== '' && existsSync(path.join(dir, 'socat')));
}

/** A suite whose every test is registered as skipped when socat is missing. */
export function hilSuite(name: string): Test {
  const real = suite(name);
  if (socatAvailable()) return real;
  const skipping = ((testName: string, handler: Parameters<Test>[1]) => real.skip(testName, handler)) as Test;
  return Object.assign(skipping, {
    before: real.before,
    after: real.after,
    only: real.skip,
    skip: real.skip,
    run: real.run,
  });
}

/**
 * The far ends of pty pairs, held by a test with the real serial binding at
 * 115,200 baud: `far()` opens a pair and gives the path a profile names and
 * the held port; `close()` closes every port, then every pair.
 */
export function ptyFarEnds(): { far(): Promise<{ path: string; port: StreamPort }>; close(): Promise<void> } {
  const pairs: PtyPair[] = [];
  const ports: StreamPort[] = [];
  return {
    async far() {
      const pair = await openPtyPair();
      pairs.push(pair);
      const port = new StreamPort({ binding: autoDetect() as BindingInterface, path: pair.pathB, baudRate: 115_200 });
      await port.open();
      ports.push(port);
      return { path: pair.pathA, port };
    },
    async close() {
      for (const port of ports) await port.close();
      for (const pair of pairs) await pair.close();
    },
  };
}
