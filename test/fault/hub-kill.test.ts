// Proves the reference hub loses nothing it answered when its process is
// killed: `settle-sim hub serve --listen` runs as a child process while
// a terminal (real journal files) settles synthetic patients' bills in a loop
// and cancels some; the hub is killed with SIGKILL at seeded moments and
// started again on the same state directory (on a new port: the terminal's
// link reconnects). Settles caught by a kill are retried with their seq, or
// reversed. At the end, with the queue flushed: every settlement the terminal
// holds confirmed is in force at the hub once (cancelled where its cancel was
// confirmed), nothing else is in force, and the patients' accumulators equal
// the sum of the deltas in force; the day reconciles. Seeded with TEST_SEED.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bytesEqual, hexToBytes } from '../../protocol/crypto';
import { nodeCryptoProvider } from '../../protocol/crypto-node';
import type { Credential } from '../../protocol/messages';
import { catalogueKind, catalogueLine, policyBookKind, policyBookLine, SignedStore } from '../../src/catalogue/store';
import { HubClient } from '../../src/hub/client';
import { TerminalJournal } from '../../src/journal/journal';
import { nodeJournalStorage } from '../../src/journal/storage';
import { ReferenceHub } from '../../device/sim/hub/hub';
import { syntheticCredentials, syntheticInstitution, syntheticTerminalSeed } from '../../device/sim/hub/seed';
import { SocketPort } from '../../device/sim/socket-port';
import { runSim, startSim, type RunningTerminal } from '../helpers/cli';
import { realTimers, settleLocally } from '../helpers/hub-rig';
import { prng, replayHint, testSeed } from '../helpers/seed';

const seed = testSeed();
const date = '2026-03-14';
const nowS = () => Math.floor(Date.now() / 1_000);

test(`SIGKILL at seeded moments loses no answered settlement and doubles none ${replayHint(seed)}`, async () => {
  const random = prng(seed);
  const dir = mkdtempSync(path.join(tmpdir(), 'hub-kill-'));
  const state = path.join(dir, 'hub');
  const running: { hub: RunningTerminal | null } = { hub: null };
  try {
    const generated = runSim(['hub', 'generate', '--state', state, '--persons', '8', '--seed', '3', '--bills-per-person', '200', '--terminals', '1', '--date', date]);
    assert.is(generated.code, 0, generated.stderr);
    let port = 0;
    let hubKey: Uint8Array | null = null;
    const start = async () => {
      const hub = startSim(['hub', 'serve', '--state', state, '--listen', '127.0.0.1:0']);
      running.hub = hub;
      const match = /listening on 127\.0\.0\.1:([0-9]+); key ([0-9a-f]{64})/.exec(await hub.waitFor(/listening on/, 10_000)) as RegExpExecArray;
      port = Number(match[1]);
      hubKey = hexToBytes(match[2] as string, 32, 'key');
    };
    await start();
    const verifier = nodeCryptoProvider.verifier(hubKey as unknown as Uint8Array);
    const hubKeys = (kid: Uint8Array | null) => (kid !== null && bytesEqual(kid, verifier.kid) ? verifier : null);
    const terminalDir = path.join(dir, 't0');
    mkdirSync(terminalDir, { recursive: true });
    const journal = TerminalJournal.open({ storage: nodeJournalStorage(), file: path.join(terminalDir, 'journal') });
    const institution = syntheticInstitution(0);
    const stores = {
      catalogue: SignedStore.open(catalogueKind, { dir: terminalDir, hubKeys, line: catalogueLine(institution.fixmedins_code) }),
      policy_book: SignedStore.open(policyBookKind, { dir: terminalDir, hubKeys, line: policyBookLine }),
    };
    const client = await HubClient.open({
      terminal: 'G3T0',
      fixmedinsCode: institution.fixmedins_code,
      firmware: 'test',
      connect: () => SocketPort.connect('127.0.0.1', port),
      signer: nodeCryptoProvider.signer(syntheticTerminalSeed(3, 0)),
      hubKeys,
      journal,
      timers: realTimers,
      timeS: nowS,
      random,
      stores,
      requestTimeoutMs: 400,
      settleTimeoutMs: 500,
      attemptsMax: 6,
    });
    assert.ok((await client.sync('catalogue')).ok);
    assert.ok((await client.sync('policy_book')).ok);
    // Kill the hub at seeded moments while the terminal works; start it again at once.
    let kills = 0;
    let working = true;
    const killer = (async () => {
      while (working && kills < 4) {
        await new Promise((resolve) => setTimeout(resolve, 300 + Math.floor(random() * 500)));
        if (!working) break;
        await running.hub?.stop('SIGKILL');
        kills += 1;
        await start();
      }
    })();
    let settled = 0;
    // At least 4 s of work, and then on until two kills and ten settlements have happened
    // (a loaded machine settles fewer a second), within a bound that keeps a stuck run from hanging.
    const untilMs = Date.now() + 4_000;
    const boundMs = Date.now() + 60_000;
    for (let turn = 0; (Date.now() < untilMs || kills < 2 || settled < 10) && Date.now() < boundMs; turn += 1) {
      const index = [0, 4][turn % 2] as number;
      const person = await client.person(syntheticCredentials(3, index)[0] as Credential);
      if (!person.ok) continue;
      const bill = await client.bill(person.value.psn_no, null);
      if (!bill.ok) continue;
      const local = settleLocally({ catalogue: stores.catalogue, policyBook: stores.policy_book }, person.value, institution, bill.value, true);
      assert.ok(local.ok);
      if (!local.ok) continue;
      const out = await client.settle(local.body);
      if (!out.ok) continue;
      settled += 1;
      if (turn % 5 === 4) await client.cancel({ setl_id: out.value.setl_id, mdtrt_id: local.body.input.mdtrt_id, psn_no: person.value.psn_no, reason: '' }, local.body.result.setlinfo);
    }
    working = false;
    await killer;
    assert.ok(kills >= 2 && settled >= 10, `${kills} kills, ${settled} settled`);
    assert.is(await client.flush(), 0);
    const reconciled = await client.reconcile(date, date);
    assert.ok(reconciled.ok && reconciled.value.agree, JSON.stringify(reconciled));
    await client.close();
    await running.hub?.stop('SIGKILL');
    running.hub = null;
    // The hub's ledger against the terminal's journal.
    const ledger = ReferenceHub.open({ dir: state, timeS: nowS, seed: false });
    try {
      const cancelled = new Set(journal.entries().filter((entry) => entry.kind === 'cancel' && entry.outcome === 'confirmed').map((entry) => (entry.request as { setl_id: string }).setl_id));
      const confirmed = new Map(journal.entries().filter((entry) => entry.kind === 'settle' && entry.outcome === 'confirmed').map((entry) => [entry.setlId as string, entry]));
      const acc = new Map<string, Record<string, number>>();
      for (const settlement of ledger.state.ledger) {
        const entry = confirmed.get(settlement.event.setl_id);
        if (settlement.reversed) {
          assert.is(entry, undefined, `${settlement.event.setl_id} reversed but confirmed`);
          continue;
        }
        assert.ok(entry !== undefined && entry.seq === settlement.event.seq, `${settlement.event.setl_id} in the ledger, not confirmed at the terminal`);
        assert.is(settlement.cancelled !== null, cancelled.has(settlement.event.setl_id), `${settlement.event.setl_id} cancelled at both ends or neither`);
        confirmed.delete(settlement.event.setl_id);
        if (settlement.cancelled !== null) continue;
        const sum = acc.get(settlement.event.input.psn_no) ?? {};
        for (const [key, fen] of Object.entries(settlement.event.result.acc_delta)) sum[key] = (sum[key] ?? 0) + fen;
        acc.set(settlement.event.input.psn_no, sum);
      }
      assert.is(confirmed.size, 0, 'every confirmed settlement is at the hub');
      for (const [psnNo, sum] of acc) assert.equal(ledger.state.person(psnNo)?.person.ytd.acc, Object.fromEntries(Object.entries(sum).filter(([, fen]) => fen > 0)), psnNo);
    } finally {
      await ledger.close();
    }
  } finally {
    await running.hub?.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
