// The QR scanner driver suite, written once and run on every backend
// (test/unit/qr-scanner.test.ts, test/hil/qr-scanner.test.ts): tokens with
// each terminator, a token typed in pieces, garbage before a token, lines
// with no token, binary noise, an overlong line, a stale partial line, the
// emulator draining 64 KB the host writes to it, a timeout, close while
// waiting, and a 115,200-baud simulated line.
import * as assert from 'uvu/assert';
import type { Test } from 'uvu';
import type { Backend, Link, LinkOptions } from '../../device/sim/harness';
import { systemClock } from '../../device/port';
import { seededRandom } from '../../device/sim/prng';
import { QrScanner } from '../../device/qr-scanner';
import { QrScannerEmulator, sampleToken, type Terminator } from '../../device/sim/qr-scanner-emulator';
import { runSeed, withSeed } from './seed';

interface Rig {
  readonly scanner: QrScanner;
  readonly link: Link;
  emulator(terminator?: Terminator): QrScannerEmulator;
}

async function withRig(backend: Backend, options: { link?: LinkOptions; lineIdleMs?: number }, body: (rig: Rig) => Promise<void>): Promise<void> {
  const link = await backend.link(options.link);
  const scanner = new QrScanner(link.host, { clock: systemClock, lineIdleMs: options.lineIdleMs ?? 1_000 });
  try {
    await body({ scanner, link, emulator: (terminator) => new QrScannerEmulator(link.device, { terminator }) });
  } finally {
    await scanner.close();
    await link.close();
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function qrScannerSuite(test: Test, backend: Backend): void {
  test(`${backend.name}: yields tokens ended by CR, LF or CR LF`, async () => {
    const seed = runSeed();
    await withSeed(seed, () =>
      withRig(backend, {}, async ({ scanner, emulator }) => {
        const random = seededRandom(seed);
        for (const terminator of ['cr', 'lf', 'crlf'] as const) {
          const token = sampleToken(random, 16 + random.below(385));
          const next = scanner.next(2_000);
          await emulator(terminator).scan(token);
          assert.equal(await next, { ok: true, value: { kind: 'ecert_token', token } });
        }
        assert.is(scanner.stats.tokens, 3);
      }),
    );
  });

  test(`${backend.name}: a token typed in pieces, and two tokens in one burst, are each yielded`, () =>
    withRig(backend, {}, async ({ scanner, link }) => {
      const a = 'ECT1:AAAAAAAAAAAAAAAA_first';
      const b = 'ECT1:BBBBBBBBBBBBBBBB-second';
      const next = scanner.next(2_000);
      for (const piece of ['ECT1:AAAA', 'AAAAAAAAAAAA', '_first\r']) {
        await link.device.write(Buffer.from(piece, 'latin1'));
        await sleep(5);
      }
      assert.equal(await next, { ok: true, value: { kind: 'ecert_token', token: a } });
      await link.device.write(Buffer.from(`${a}\r${b}\r`, 'latin1'));
      assert.equal(await scanner.next(2_000), { ok: true, value: { kind: 'ecert_token', token: a } });
      assert.equal(await scanner.next(2_000), { ok: true, value: { kind: 'ecert_token', token: b } });
    }));

  test(`${backend.name}: garbage, lines with no token and an overlong line are dropped and counted`, () =>
    withRig(backend, {}, async ({ scanner, link }) => {
      const token = 'ECT1:0123456789abcdefGHIJ';
      const noise = Buffer.concat([
        Buffer.from([0x00, 0xff, 0x1b, 0x40, 0x0d]), // binary noise, ended: a line with no token
        Buffer.from('hello world\r\n'), // a line with no token
        Buffer.from('ECT1:short\r'), // the prefix but too short a body
        Buffer.from('ECT1:has spaces in the body\r'),
        Buffer.alloc(700, 0x41), // overlong: dropped up to its end
        Buffer.from('ECT1:0123456789abcdefGHIJ\r'), // still inside the overlong line: dropped with it
        Buffer.from(`\x07\x02junk${token}\r`), // noise before the prefix on the token's line: the token survives
      ]);
      const next = scanner.next(2_000);
      await link.device.write(noise);
      assert.equal(await next, { ok: true, value: { kind: 'ecert_token', token } });
      assert.equal(scanner.stats, { tokens: 1, rejected: 4, overlong: 1, stale: 0 });
    }));

  test(`${backend.name}: a partial line left by an interrupted scan goes stale and is dropped`, () =>
    withRig(backend, { lineIdleMs: 60 }, async ({ scanner, link, emulator }) => {
      const first = scanner.next(100);
      await link.device.write(Buffer.from('ECT1:interrupted-scan-'));
      assert.is((await first).ok, false);
      await sleep(120);
      const token = 'ECT1:AfterTheInterruption';
      const next = scanner.next(2_000);
      await emulator().scan(token);
      assert.equal(await next, { ok: true, value: { kind: 'ecert_token', token } });
      assert.is(scanner.stats.stale, 1);
    }));

  test(`${backend.name}: the emulator drains what the host writes to it, so a host write of 64 KB never blocks; scans still come`, () =>
    withRig(backend, {}, async ({ scanner, link, emulator }) => {
      const scanning = emulator();
      scanning.start();
      const bytes = new Uint8Array(65_536).fill(0x16);
      const written = (async () => {
        await link.host.write(bytes);
        await link.host.drain();
        return 'written';
      })();
      let timer: NodeJS.Timeout | undefined;
      const hung = new Promise<string>((resolve) => (timer = setTimeout(() => resolve('blocked'), 10_000)));
      assert.is(await Promise.race([written, hung]), 'written', 'the host write completes');
      clearTimeout(timer);
      for (let waited = 0; scanning.stats.drained < bytes.length && waited < 10_000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
      assert.is(scanning.stats.drained, bytes.length, 'every byte read off the line');
      const token = sampleToken(seededRandom(7));
      const next = scanner.next(5_000);
      await scanning.scan(token);
      assert.equal(await next, { ok: true, value: { kind: 'ecert_token', token } });
      await scanning.close();
    }));

  test(`${backend.name}: nothing scanned is a timeout at its deadline`, () =>
    withRig(backend, {}, async ({ scanner }) => {
      const started = performance.now();
      const result = await scanner.next(150);
      const elapsedMs = performance.now() - started;
      assert.ok(!result.ok && result.error.code === 'timeout');
      assert.ok(elapsedMs >= 140 && elapsedMs < 800, `${elapsedMs} ms`);
    }));

  test(`${backend.name}: close while waiting ends the wait as cancelled; twice is safe`, () =>
    withRig(backend, {}, async ({ scanner }) => {
      const pending = scanner.next(5_000);
      await sleep(20);
      await scanner.close();
      await scanner.close();
      const result = await pending;
      assert.ok(!result.ok && result.error.code === 'cancelled');
    }));

  test(`${backend.name}: tokens cross a simulated 115,200-baud line with latency`, async () => {
    const seed = runSeed();
    await withSeed(seed, () =>
      withRig(backend, { link: { line: { baud: 115_200, latencyMs: 5, seed } } }, async ({ scanner, emulator }) => {
        const random = seededRandom(seed);
        const scan = emulator();
        for (let i = 0; i < 5; i += 1) {
          const token = sampleToken(random, 400);
          const next = scanner.next(2_000);
          await scan.scan(token);
          assert.equal(await next, { ok: true, value: { kind: 'ecert_token', token } });
        }
      }),
    );
  });
}
