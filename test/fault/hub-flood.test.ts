// Proves `settle-sim hub serve --listen` outlives a flood of connections
// beyond every limit (issue 12, attack 1: a few thousand idle TCP connections
// killed it with an uncaught `AssertionError: connections are bounded`). With
// the default limits, one legitimate terminal signs in over its own
// connection; then 4,600 idle connections from 115 loopback addresses (more
// than the hub's 4,096), 200 more from one address (more than the 64 pending
// a single address may hold), connections that send half a frame and never
// finish it, and connections that send frame after frame with a bad
// signature in the legitimate terminal's name. Throughout, the terminal's
// queries are answered; the hub closes every unsigned connection at its
// sign-in deadline (8 s here: long enough for the whole flood to be open at
// once on a busy machine), refuses the connections past the limits, and
// closes the ones that only send refused frames; afterwards a new connection
// signs in and is answered, and the hub stops cleanly on SIGTERM having
// counted the refusals, with no internal error and no unhandled rejection.
// Replay the attack: npm test -- hub-flood
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createCborEncoder } from '../../protocol/cbor-encode';
import { signSign1, wireProtectedHeader } from '../../protocol/cose';
import { bytesEqual, hexToBytes } from '../../protocol/crypto';
import { nodeCryptoProvider } from '../../protocol/crypto-node';
import { encodeFrame, encodeFrameHeader } from '../../protocol/framing';
import { HubClient } from '../../src/hub/client';
import { TerminalJournal } from '../../src/journal/journal';
import { syntheticInstitution, syntheticTerminalSeed } from '../../device/sim/hub/seed';
import { SocketPort } from '../../device/sim/socket-port';
import { runSim, startSim } from '../helpers/cli';
import { realTimers } from '../helpers/hub-rig';
import { MemoryDisk } from '../helpers/memory-disk';

const nowS = () => Math.floor(Date.now() / 1_000);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Opens `count` connections from `from` (a loopback source address) in batches, as a flood does. */
async function flood(port: number, count: number, from: (index: number) => string, onOpen?: (socket: Socket, index: number) => void): Promise<{ sockets: Socket[]; closed: () => number }> {
  const sockets: Socket[] = [];
  let closed = 0;
  for (let index = 0; index < count; index += 1) {
    const socket = connect({ host: '127.0.0.1', port, localAddress: from(index) });
    socket.on('error', () => undefined);
    socket.on('close', () => (closed += 1));
    if (onOpen !== undefined) socket.once('connect', () => onOpen(socket, index));
    sockets.push(socket);
    if (index % 100 === 99) await sleep(40);
  }
  return { sockets, closed: () => closed };
}

test('a flood of connections and half-open frames beyond every limit: the hub answers a legitimate terminal throughout and after', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'hub-flood-'));
  const state = path.join(dir, 'hub');
  const floods: Socket[] = [];
  const hub = (() => {
    const generated = runSim(['hub', 'generate', '--state', state, '--persons', '10', '--seed', '5', '--terminals', '1', '--date', '2026-03-14']);
    assert.is(generated.code, 0, generated.stderr);
    return startSim(['hub', 'serve', '--state', state, '--listen', '127.0.0.1:0', '--sign-in-seconds', '8']);
  })();
  try {
    const match = /listening on 127\.0\.0\.1:([0-9]+); key ([0-9a-f]{64})/.exec(await hub.waitFor(/listening on/, 10_000)) as RegExpExecArray;
    const port = Number(match[1]);
    const hubKey = nodeCryptoProvider.verifier(hexToBytes(match[2] as string, 32, 'key'));
    const signer = nodeCryptoProvider.signer(syntheticTerminalSeed(5, 0));
    const terminal = (journal = TerminalJournal.open({ storage: new MemoryDisk(), file: '/j' })) =>
      HubClient.open({
        terminal: 'G5T0',
        fixmedinsCode: syntheticInstitution(0).fixmedins_code,
        firmware: 'test',
        connect: () => SocketPort.connect('127.0.0.1', port),
        signer,
        hubKeys: (kid) => (bytesEqual(kid, hubKey.kid) ? hubKey : null),
        journal,
        timers: realTimers,
        timeS: nowS,
        random: Math.random,
        requestTimeoutMs: 2_000,
      });
    const journal = TerminalJournal.open({ storage: new MemoryDisk(), file: '/j' });
    const client = await terminal(journal);
    const credential = { kind: 'ss_card' as const, id: 'G5C0', card_sn: 'GS0' };
    assert.ok((await client.signIn()).ok, 'signed in before the flood');
    let answered = 0;
    const queries: string[] = [];
    let flooding = true;
    const asking = (async () => {
      while (flooding) {
        const out = await client.person(credential);
        queries.push(out.ok ? 'ok' : out.error.code);
        if (out.ok) answered += 1;
        await sleep(100);
      }
    })();

    // Frames for the flood: half a frame (a delimiter, then bytes and no end), and whole frames in G5T0's name signed by a key that is not its.
    const encoder = createCborEncoder();
    const forger = nodeCryptoProvider.signer(new Uint8Array(32).fill(99));
    const forged = (seq: number) => {
      const header = encodeFrameHeader('up', 0);
      return encodeFrame(header, signSign1(wireProtectedHeader(encoder, forger.kid), encoder.encode([29, 'G5T0', seq, nowS(), [0, 0]]), forger, header));
    };
    const halfFrame = Uint8Array.of(0, ...Array.from({ length: 3_000 }, (_, index) => 1 + (index % 250)));
    const refusing = await flood(port, 20, (index) => `127.0.201.${1 + index}`, (socket, index) => {
      for (let frame = 0; frame < 40; frame += 1) socket.write(forged(1_000_000 + index * 100 + frame));
    });
    const oneAddress = await flood(port, 200, () => '127.0.200.1');
    const idle = await flood(port, 4_600, (index) => `127.0.${1 + Math.floor(index / 40)}.${1 + (index % 40)}`, (socket, index) => {
      if (index % 23 === 0) socket.write(halfFrame);
    });
    floods.push(...idle.sockets, ...oneAddress.sockets, ...refusing.sockets);
    // Past the sign-in deadline: every flood connection is closed by the hub (refused at once, or at its deadline).
    // One the kernel's accept queue dropped (SYN cookies) looks open to this side until it sends: a byte makes the kernel hand it to the hub.
    const closed = () => idle.closed() + oneAddress.closed() + refusing.closed();
    const untilMs = Date.now() + 30_000;
    for (let probed = Date.now(); closed() < floods.length && Date.now() < untilMs; await sleep(100)) {
      if (Date.now() - probed < 3_000) continue;
      probed = Date.now();
      for (const socket of floods) if (!socket.destroyed) socket.write(Uint8Array.of(1));
    }
    flooding = false;
    await asking;
    assert.is(closed(), floods.length, 'the hub closed every flood connection');
    assert.ok(answered >= 10 && queries.every((code) => code === 'ok'), `answered throughout: ${queries.join(' ')}`);
    await client.close();

    // After: a new connection signs in and is answered.
    const after = await terminal();
    assert.ok((await after.signIn()).ok, 'signs in after the flood');
    assert.ok((await after.person(credential)).ok, 'answered after the flood');
    await after.close();

    assert.is(await hub.stop('SIGTERM'), 0, hub.stderr());
    const stopped = hub.lines.find((line) => line.startsWith('hub: stopped; ')) as string;
    const stats = JSON.parse(stopped.slice('hub: stopped; '.length)) as Record<string, number>;
    assert.ok((stats.refusedConnections as number) >= 500, `refused past the limits: ${stopped}`);
    assert.ok((stats.closedUnsigned as number) >= 4_000, `closed at the sign-in deadline: ${stopped}`);
    assert.is(stats.closedRefusing, 20, `closed for refused frames only: ${stopped}`);
    assert.is(stats.internalErrors, 0, stopped);
    assert.is(stats.unhandled, 0, stopped);
    assert.not.match(hub.stderr(), /AssertionError|internal error|unhandled/);
  } finally {
    for (const socket of floods) socket.destroy();
    await hub.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
