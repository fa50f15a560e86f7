// Proves a terminal heals a damaged catalogue or policy book by itself, end to
// end (src/terminal.ts on the emulated site with the reference hub): each
// part of a stored file is damaged while the terminal is off (a bit flipped
// in every kilobyte of the catalogue's records, its names, its hash table,
// the policy book's texts; the statement; the page table of a store with no
// previous version), then the terminal boots again and a patient comes.
// Each time no wrong value reaches a settlement: the visit is either refused
// with store_damaged (nothing charged at the hub) or settled on verified bytes
// (the hub recomputes the settlement and confirms the same result). Boot falls
// back to the previous version, or, with none, fetches a snapshot before its
// first patient; a damage met by a read falls back at once. The terminal
// tells the hub (the manifest's fault: the hub records the report), fetches
// the snapshot by itself at an idle moment, and serves the hub's current
// version whole again, no operator involved; the next patient settles.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { seedCatalogues, seedPolicies } from '../../device/sim/hub/seed';
import type { SignedStore } from '../../src/catalogue/store';
import { compliant, TerminalRig, wang } from '../helpers/terminal-rig';
import { pageBytes } from '../../src/catalogue/pages';
import { containerShape } from '../../src/catalogue/update';
import { storedParts } from '../helpers/catalogue';

const line = wang.fixmedins_code.slice(1, 3);

/**
 * Flips a bit in every kilobyte of the named parts of a stored file (and in
 * their last byte), from `from` bytes into the file on: any read of them
 * there meets the damage.
 */
function damage(file: string, parts: readonly string[], from = 0): void {
  const bytes = readFileSync(file);
  const where = storedParts(bytes);
  for (const part of parts) {
    const [start, end] = where[part] as readonly [number, number];
    assert.ok(end > Math.max(start, from), `${part} is not empty`);
    for (let at = Math.max(start, from); at < end; at += 1_024) bytes[at] = (bytes[at] as number) ^ 0x04;
    bytes[end - 1] = (bytes[end - 1] as number) ^ 0x04;
  }
  writeFileSync(file, bytes);
}

async function until(what: string, done: () => boolean, timeoutMs = 20_000): Promise<void> {
  for (let waited = 0; !done(); waited += 50) {
    if (waited > timeoutMs) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

interface Case {
  readonly name: string;
  readonly store: 'catalogue' | 'policy_book';
  readonly parts: readonly string[];
  /** Damage only from this page of the body on (page 0 holds the header, which boot reads). */
  readonly fromPage?: number;
  /** Whether the terminal first takes a newer version, so that the damaged one has a previous version to fall back to. */
  readonly previous: boolean;
  /** Where the damage is found: at boot (the previous version serves the patient), by the patient's reads (refused), or either. */
  readonly found: 'boot' | 'read' | 'either';
}

const cases: readonly Case[] = [
  { name: 'catalogue records', store: 'catalogue', parts: ['records'], previous: true, found: 'read' },
  { name: 'catalogue names (index, offsets, text)', store: 'catalogue', parts: ['name index', 'name offsets', 'name blob'], previous: true, found: 'boot' },
  { name: 'catalogue hash table (past its first page)', store: 'catalogue', parts: ['hash table'], fromPage: 1, previous: true, found: 'read' },
  { name: 'policy texts (past the first page)', store: 'policy_book', parts: ['policy texts'], fromPage: 1, previous: true, found: 'read' },
  { name: 'policy texts (all)', store: 'policy_book', parts: ['policy texts'], previous: true, found: 'boot' },
  { name: 'catalogue statement', store: 'catalogue', parts: ['statement'], previous: true, found: 'boot' },
  { name: 'policy book page table, no previous version (a snapshot before the first patient)', store: 'policy_book', parts: ['page table'], previous: false, found: 'boot' },
];

function storeOf(rig: TerminalRig, kind: Case['store']): SignedStore<unknown> {
  return (kind === 'catalogue' ? rig.terminal.catalogue : rig.terminal.policyBook) as SignedStore<unknown>;
}

/** The hub publishes a newer version of the store's line and the terminal takes it (a delta): the damaged version then has a previous one. */
async function newerVersion(rig: TerminalRig, kind: Case['store']): Promise<string> {
  if (kind === 'catalogue') {
    const records = (seedCatalogues().find((catalogue) => catalogue.line === line) as ReturnType<typeof seedCatalogues>[number]).records;
    rig.hub.publish('catalogue', line, 'shanghai-next', [{ ...(records[0] as (typeof records)[number]), list_price: 777 }, ...records.slice(1)]);
  } else {
    rig.hub.publish('policy_book', '', 'policy-book-next', seedPolicies());
  }
  const synced = await rig.terminal.client.sync(kind);
  assert.ok(synced.ok && synced.value.changed, JSON.stringify(synced));
  return synced.ok ? synced.value.version : '';
}

for (const damaged of cases) {
  test(`${damaged.name}: no wrong value settles; the terminal tells the hub, fetches a snapshot and heals by itself`, async () => {
    const first = await TerminalRig.open({ fixmedins: wang.fixmedins_code });
    let rig = first;
    try {
      const before = storeOf(first, damaged.store).version;
      const current = damaged.previous ? await newerVersion(first, damaged.store) : before;
      const file = storeOf(first, damaged.store).paths.current;
      await first.close({ keep: true });
      const bodyAt = containerShape(readFileSync(file)).bodyAt;
      damage(file, damaged.parts, damaged.fromPage === undefined ? 0 : bodyAt + damaged.fromPage * pageBytes);
      // No factory provisioning this time: the terminal alone must heal its store.
      rig = await TerminalRig.open({ fixmedins: wang.fixmedins_code, dir: first.dir, provision: false });
      const store = storeOf(rig, damaged.store);
      const atBoot = store.bootProblem !== null;
      if (damaged.found !== 'either') assert.is(atBoot, damaged.found === 'boot', `found at boot: ${store.bootProblem}`);
      if (atBoot) assert.is(store.version, damaged.previous ? before : current, damaged.previous ? 'the previous version serves' : 'boot fetched the snapshot before its first patient');

      const visit = await rig.visit(wang, 'qr', compliant(true));
      if (visit.code === 'store_damaged') {
        assert.not.ok(atBoot);
        assert.ok(rig.frames.some((frame) => frame.join('\n').includes('修复')), 'the screen says the terminal is repairing itself');
        assert.is(rig.inForce(wang.mdtrt_id), 0, 'nothing charged');
        assert.ok(rig.untouched(wang.psn_no));
      } else {
        assert.ok(damaged.found !== 'read', `a read met the damage, yet: ${visit.code}`);
        assert.is(visit.code, null, visit.states.join(' '));
        assert.is(rig.inForce(wang.mdtrt_id), 1, 'settled once, the hub having recomputed the same result');
      }

      await until('the terminal has repaired its store', () => store.fault === null && store.version === current);
      assert.ok(store.verifyAll(), 'every page of what it serves now verifies');
      const report = rig.hub.storeFaults.get(`T-RIG:${damaged.store}`);
      assert.ok(report !== undefined && report.reports >= 1, 'the terminal told the hub');
      if (visit.code === 'store_damaged') {
        const again = await rig.visit(wang, 'qr', compliant(true));
        assert.is(again.code, null, again.states.join(' '));
        assert.is(rig.inForce(wang.mdtrt_id), 1, 'the next visit settles, once');
      }
    } finally {
      await rig.close();
    }
  });
}

test.run();
