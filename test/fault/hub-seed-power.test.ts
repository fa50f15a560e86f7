// Proves the reference hub's state directory survives a power cut while it
// is being created and seeded: the hub's log and snapshot files live on the
// memory disk of test/helpers/memory-disk.ts, which cuts the power before
// each operation of the seeding in turn (tearing an append at a seeded
// fraction); after a seeded reboot the hub opens, finishes whatever seeding
// is missing, and holds every seed patient, bill, institution and published
// version, each snapshot matching the digest its event names. Seeded with
// TEST_SEED.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import path from 'node:path';
import { seedBills, seedIdentities, seedInstitutions } from '../../device/sim/hub/seed';
import { MemoryDisk, PowerCut } from '../helpers/memory-disk';
import { openHub, tempDir, WallClock, zhangDayS } from '../helpers/hub-rig';
import { prng, replayHint, testSeed } from '../helpers/seed';

const seed = testSeed();

function complete(hub: ReturnType<typeof openHub>): string[] {
  const missing: string[] = [];
  for (const institution of seedInstitutions()) if (!hub.state.institutions.has(institution.fixmedins_code)) missing.push(institution.fixmedins_code);
  for (const identity of seedIdentities()) if (hub.state.person(identity.psn_no) === undefined) missing.push(identity.psn_no);
  for (const bill of seedBills()) if (hub.state.bill(bill.mdtrt_id) === undefined) missing.push(bill.mdtrt_id);
  for (const [line, version] of [['11', 'beijing-2026.03'], ['31', 'shanghai-2026.03'], ['21', 'shenyang-2026.03']] as const) if (hub.versions.catalogue(line, version) === undefined) missing.push(version);
  if (hub.versions.policyBook('policy-book-2026.1') === undefined) missing.push('policy book');
  return missing;
}

test(`a power cut before any operation of a new hub's seeding: after the reboot it is whole ${replayHint(seed)}`, async () => {
  const random = prng(seed);
  const clock = new WallClock(zhangDayS);
  const counting = new MemoryDisk();
  const temp = tempDir('hub-seed-power-');
  try {
    const first = openHub(path.join(temp.dir, 'count'), clock, { storage: counting });
    const seedEvents = first.stats.events;
    await first.close();
    const replays: number[] = [];
    const operations = counting.operations;
    assert.ok(operations > 10, `${operations} operations`);
    for (let run = 0; run < operations * 2; run += 1) {
      const cut = run >> 1;
      const disk = new MemoryDisk();
      disk.cutAfter = cut;
      disk.tornFraction = run % 2 === 0 ? 0.5 : random();
      const dir = path.join(temp.dir, `run-${run}`);
      try {
        const hub = openHub(dir, clock, { storage: disk });
        await hub.close();
      } catch (error) {
        if (!(error instanceof PowerCut)) throw error;
      }
      const rebooted = disk.reboot(random);
      const hub = openHub(dir, clock, { storage: rebooted, log: (line) => replays.push(Number(/hub: ([0-9]+) events replayed/.exec(line)?.[1] ?? -1)) });
      try {
        assert.equal(complete(hub), [], `cut before operation ${cut + 1}: ${rebooted.listing()} ${replayHint(seed)}`);
      } finally {
        await hub.close();
      }
    }
    // The cuts met a seeding torn in the middle: some events kept, the rest added at the reboot.
    assert.ok(replays.some((count) => count > 0 && count < seedEvents), `events replayed after the cuts: ${replays.join(' ')} (a whole seeding is ${seedEvents})`);
  } finally {
    temp.remove();
  }
});

test.run();
