// The hub line suite, run on every backend (test/unit/hub-line.test.ts on
// the mock binding, test/hil/hub-line.test.ts on the real binding over socat
// ptys): the terminal's client and the reference hub talk through real port
// adapters, first on a clean line, then through the line simulator at
// 115,200 baud with seeded byte loss, bit flips and duplication, and an
// outage that swallows the first settle. Frames the line spoils are dropped
// by their CRC and resent with their seq; every
// settlement ends confirmed once or reversed, and the hub's ledger and the
// patient's accumulators agree with the terminal's journal.
import * as assert from 'uvu/assert';
import path from 'node:path';
import type { Test } from 'uvu';
import type { Backend, Link } from '../../device/sim/harness';
import { seedIdentities } from '../../device/sim/hub/seed';
import { openHub, openTerminal, prepareSettle, tempDir, terminalSigner, WallClock, zhangDayS, type Terminal } from '../helpers/hub-rig';
import { runSeed, withSeed } from './seed';

export function hubLineSuite(test: Test, backend: Backend): void {
  test(`a clean ${backend.name} line: sign in, sync, settle the seed patient`, async () => {
    const temp = tempDir('hub-line-');
    const clock = new WallClock(zhangDayS);
    const hub = openHub(path.join(temp.dir, 'hub'), clock);
    hub.enroll('T1', terminalSigner(1).publicKey, 'H11010600001');
    const link = await backend.link({ baudRate: 115_200 });
    try {
      void hub.serve(link.device);
      const terminal = await openTerminal({ storeDir: path.join(temp.dir, 't'), link: async () => link.host, hub, clock, client: { requestTimeoutMs: 2_000, settleTimeoutMs: 3_000 } });
      const { body } = await prepareSettle(terminal);
      const settled = await terminal.client.settle(body);
      assert.ok(settled.ok, JSON.stringify(settled));
      assert.is(hub.state.ledger.length, 1);
    } finally {
      await hub.close();
      await link.close();
      temp.remove();
    }
  });

  test(`a noisy 115,200-baud ${backend.name} line: every settlement exactly once`, async () => {
    const seed = runSeed();
    await withSeed(seed, async () => {
      const temp = tempDir('hub-noisy-');
      const clock = new WallClock(zhangDayS);
      const hub = openHub(path.join(temp.dir, 'hub'), clock);
      hub.enroll('T1', terminalSigner(1).publicKey, 'H11010600001');
      // The stores are synced over a clean line first: a 60 KB catalogue in 32 KB chunks would rarely cross this one whole.
      const clean = await backend.link({ baudRate: 115_200 });
      const noisy = await backend.link({ baudRate: 115_200, line: { baud: 115_200, latencyMs: 2, lossRate: 0.000_1, flipRate: 0.000_1, dupRate: 0.000_5, seed } });
      let current: Link = clean;
      try {
        void hub.serve(clean.device);
        void hub.serve(noisy.device);
        const terminal: Terminal = await openTerminal({ storeDir: path.join(temp.dir, 't'), link: async () => current.host, hub, clock, client: { requestTimeoutMs: 800, settleTimeoutMs: 1_200, attemptsMax: 6 } });
        assert.ok((await terminal.client.sync('catalogue')).ok);
        assert.ok((await terminal.client.sync('policy_book')).ok);
        await terminal.client.close();
        current = noisy;
        const again = await openTerminal({ storeDir: path.join(temp.dir, 't'), storage: terminal.storage, link: async () => current.host, hub, clock, client: { requestTimeoutMs: 800, settleTimeoutMs: 1_200, attemptsMax: 6 } });
        const zhang = seedIdentities()[0] as ReturnType<typeof seedIdentities>[number];
        let confirmed = 0;
        for (let round = 0; round < 2; round += 1) {
          const { body } = await prepareSettle(again);
          // The first settle goes out into an outage: it must be sent again, with its seq.
          if (round === 0) noisy.line?.cut(300);
          const settled = await again.client.settle(body);
          if (settled.ok) {
            confirmed += 1;
            const cancelled = await again.client.cancel({ setl_id: settled.value.setl_id, mdtrt_id: body.input.mdtrt_id, psn_no: zhang.psn_no, reason: '' }, body.result.setlinfo);
            assert.ok(cancelled.ok || cancelled.error.code === 'timeout', JSON.stringify(cancelled));
          }
          assert.is(await again.client.flush(), 0);
        }
        const inForce = hub.state.ledger.filter((settlement) => !settlement.reversed && settlement.cancelled === null);
        const heldConfirmed = again.journal.entries().filter((entry) => entry.kind === 'settle' && entry.outcome === 'confirmed' && entry.cancelledBy === null);
        assert.equal(inForce.map((settlement) => settlement.event.setl_id), heldConfirmed.map((entry) => entry.setlId), 'the hub holds in force what the terminal holds confirmed');
        assert.ok(confirmed >= 1, 'at least one settlement crossed the noisy line');
        assert.ok((noisy.line?.forward.outageLost ?? 0) > 0, 'the outage swallowed the first settle');
        assert.ok(again.client.stats.retries > 0, 'and it was sent again');
        await again.client.close();
      } finally {
        await hub.close();
        await clean.close();
        await noisy.close();
        temp.remove();
      }
    });
  });
}
