// The line simulator suite, run on every backend (test/unit/line.test.ts,
// test/hil/line.test.ts): a 115,200-baud line moves bytes in bytes × 10 /
// baud (within 10 %; those 17,280 bytes grow the line's queue past its first
// 4 KiB while it delivers, and every byte arrives in order), or in bytes × 12
// / baud when the ports and the line are set to 8E2, and with 7 data bits
// drops each byte's eighth bit; latency delays them, an outage loses what is
// sent during it, and seeded faults replay exactly from their seed.
import * as assert from 'uvu/assert';
import type { Test } from 'uvu';
import type { Backend, Link } from '../../device/sim/harness';
import type { LineOptions } from '../../device/sim/line';
import type { Port, SerialFrame } from '../../device/port';
import { runSeed, withSeed } from './seed';

/** Reads `count` bytes or whatever arrives before `idleMs` of silence; resolves with the bytes and when the last came. */
async function collect(port: Port, count: number, idleMs: number): Promise<{ bytes: Uint8Array; lastAtMs: number }> {
  const bytes = new Uint8Array(count);
  const chunk = new Uint8Array(4_096);
  let length = 0;
  let lastAtMs = performance.now();
  while (length < count) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort('idle'), idleMs);
    try {
      const got = await port.read(chunk, controller.signal);
      lastAtMs = performance.now();
      const take = Math.min(got, count - length);
      bytes.set(chunk.subarray(0, take), length);
      length += take;
    } catch (error) {
      if (error === 'idle') break;
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }
  return { bytes: bytes.subarray(0, length), lastAtMs };
}

function pattern(count: number): Uint8Array {
  return Uint8Array.from({ length: count }, (_, i) => (i * 31 + (i >> 8)) & 0xff);
}

async function withLink(backend: Backend, line: LineOptions, body: (link: Link) => Promise<void>, frame?: SerialFrame): Promise<void> {
  const link = await backend.link({ line, frame });
  try {
    await body(link);
  } finally {
    await link.close();
  }
}

export function lineSuite(test: Test, backend: Backend): void {
  test(`${backend.name}: 17,280 bytes at 115,200 baud take bytes × 10 / baud = 1.5 s, within 10 %`, () =>
    withLink(backend, { baud: 115_200, seed: 1 }, async (link) => {
      const sent = pattern(17_280);
      const expectedMs = (sent.length * 10 * 1_000) / 115_200;
      const arrived = collect(link.device, sent.length, 3_000);
      const startedMs = performance.now();
      await link.host.write(sent);
      const { bytes, lastAtMs } = await arrived;
      const elapsedMs = lastAtMs - startedMs;
      assert.equal(Buffer.compare(Buffer.from(bytes), Buffer.from(sent)), 0, 'every byte, in order');
      console.log(`  ${backend.name}: ${sent.length} bytes at 115,200 baud in ${elapsedMs.toFixed(1)} ms (line time ${expectedMs} ms)`);
      assert.ok(Math.abs(elapsedMs - expectedMs) <= 0.1 * expectedMs, `${elapsedMs.toFixed(1)} ms for ${expectedMs} ms`);
    }));

  test(`${backend.name}: 11,520 bytes at 115,200 baud, 8E2, take bytes × 12 / baud = 1.2 s, within 10 %`, () =>
    withLink(
      backend,
      { baud: 115_200, seed: 4 },
      async (link) => {
        const sent = pattern(11_520);
        const expectedMs = (sent.length * 12 * 1_000) / 115_200;
        const arrived = collect(link.device, sent.length, 3_000);
        const startedMs = performance.now();
        await link.host.write(sent);
        const { bytes, lastAtMs } = await arrived;
        const elapsedMs = lastAtMs - startedMs;
        assert.equal(Buffer.compare(Buffer.from(bytes), Buffer.from(sent)), 0, 'every byte, in order');
        assert.ok(Math.abs(elapsedMs - expectedMs) <= 0.1 * expectedMs, `${elapsedMs.toFixed(1)} ms for ${expectedMs} ms`);
      },
      { dataBits: 8, parity: 'even', stopBits: 2, flow: 'none' },
    ));

  test(`${backend.name}: with 7 data bits a byte arrives without its eighth bit`, () =>
    withLink(
      backend,
      { baud: 115_200, seed: 5 },
      async (link) => {
        const arrived = collect(link.device, 4, 1_000);
        await link.host.write(Uint8Array.of(0x41, 0xc1, 0x7f, 0xff));
        assert.equal([...(await arrived).bytes], [0x41, 0x41, 0x7f, 0x7f]);
      },
      { dataBits: 7, parity: 'even', stopBits: 1, flow: 'none' },
    ));

  test(`${backend.name}: latency delays every byte; the other direction is as fast`, () =>
    withLink(backend, { baud: 115_200, latencyMs: 80, seed: 2 }, async (link) => {
      for (const [from, to] of [[link.host, link.device], [link.device, link.host]] as const) {
        const arrived = collect(to, 1, 2_000);
        const startedMs = performance.now();
        await from.write(Uint8Array.of(0x5a));
        const { bytes, lastAtMs } = await arrived;
        assert.equal([...bytes], [0x5a]);
        assert.ok(lastAtMs - startedMs >= 79, `${lastAtMs - startedMs} ms`);
      }
    }));

  test(`${backend.name}: an outage loses what is sent during it, and the line comes back`, () =>
    withLink(backend, { baud: 115_200, seed: 3 }, async (link) => {
      link.line!.cut(400);
      const lost = collect(link.device, 100, 250);
      await link.host.write(pattern(100));
      assert.is((await lost).bytes.length, 0);
      assert.is(link.line!.forward.outageLost, 100);
      await new Promise((resolve) => setTimeout(resolve, 420));
      const back = collect(link.device, 100, 1_000);
      await link.host.write(pattern(100));
      assert.is((await back).bytes.length, 100);
    }));

  test(`${backend.name}: seeded loss, flips, duplicates and outages replay exactly from the seed`, async () => {
    const seed = runSeed();
    await withSeed(seed, async () => {
      const faults = { baud: 921_600, lossRate: 0.01, flipRate: 0.01, dupRate: 0.01, outageRate: 0.001, outageMs: 0.5 };
      const run = async (runSeedValue: number) => {
        let received = new Uint8Array(0);
        await withLink(backend, { ...faults, seed: runSeedValue }, async (link) => {
          const arrived = collect(link.device, 8_000, 300);
          await link.host.write(pattern(4_000));
          received = (await arrived).bytes.slice();
          const stats = link.line!.forward;
          assert.ok(stats.lost > 0 && stats.flipped > 0 && stats.duplicated > 0, JSON.stringify(stats));
        });
        return Buffer.from(received).toString('hex');
      };
      const first = await run(seed);
      assert.is(await run(seed), first, 'same seed, same bytes');
      assert.is.not(await run((seed + 1) >>> 0), first, 'another seed, other bytes');
    });
  });

  test(`${backend.name}: options out of range are refused, naming the option`, async () => {
    for (const [options, field] of [
      [{ baud: 0, seed: 1 }, 'baud'],
      [{ baud: 9_600, lossRate: 1, seed: 1 }, 'lossRate'],
      [{ baud: 9_600, flipRate: -0.1, seed: 1 }, 'flipRate'],
      [{ baud: 9_600, latencyMs: -1, seed: 1 }, 'latencyMs'],
    ] as const) {
      let message = '';
      try {
        await withLink(backend, options as LineOptions, async () => {});
      } catch (error) {
        message = (error as Error).message;
      }
      assert.match(message, field);
    }
  });
}
