// Proves the runtime's event sources are typed (typed-emitter): a listener
// with a wrong event name or wrong arguments, and an emit with wrong
// arguments, fail `tsc` (npm test's typecheck step compiles this file: each
// `@ts-expect-error` below is itself an error if the line under it compiles,
// so loosening a map, or an `on` that takes any name, fails the typecheck).
// The sources: the hub client (heartbeat, refused), the session (state), a
// signed store (fault) and the port adapter's SerialPortStream (readable,
// error, close, end). At run time, a store's fault reaches every listener
// with the fault, after the store has recorded it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type TypedEmitter from 'typed-emitter';
import type { SerialPortStreamEvents } from '../../device/stream-port';
import type { Catalogue } from '../../src/catalogue/layout';
import { catalogueKind, SignedStore, type StoreFault } from '../../src/catalogue/store';
import type { HubClient } from '../../src/hub/client';
import type { Session } from '../../src/session/session';

/** Never called: compiled only. Each marked line must not compile. */
export function misuses(client: HubClient, session: Session, store: SignedStore<Catalogue>, stream: TypedEmitter<SerialPortStreamEvents>): void {
  // @ts-expect-error: no event 'heartbeats'
  client.on('heartbeats', () => {});
  // @ts-expect-error: a heartbeat's listener is given the reply's body, not a number
  client.on('heartbeat', (reply: number) => void reply);
  // @ts-expect-error: refused gives the item and a code, and the code is not a number
  client.on('refused', (_item, code: number) => void code);
  // @ts-expect-error: a heartbeat is emitted with its reply
  client.emit('heartbeat');
  // @ts-expect-error: no event 'State' (names are exact)
  session.on('State', () => {});
  // @ts-expect-error: a state is one of the machine's states, not a number
  session.on('state', (state: number) => void state);
  // @ts-expect-error: 'nowhere' is not a state
  session.emit('state', 'nowhere');
  // @ts-expect-error: no event 'faults'
  store.on('faults', () => {});
  // @ts-expect-error: a fault's listener is given the StoreFault, not a string
  store.on('fault', (fault: string) => void fault);
  // @ts-expect-error: the adapter reads in paused mode: 'data' is not among the events it listens to
  stream.on('data', () => {});
  // @ts-expect-error: close gives an error or null, not a number
  stream.on('close', (error: number) => void error);
}

/** Never called: the same sources used rightly compile. */
export function uses(client: HubClient, session: Session, store: SignedStore<Catalogue>, stream: TypedEmitter<SerialPortStreamEvents>): void {
  client.on('heartbeat', (reply) => void reply.catalogue_version.length);
  client.on('refused', (item, code) => void `${item.kind} ${item.id} ${code}`);
  session.on('state', (state) => void (state === 'idle'));
  store.on('fault', (fault) => void fault.why);
  stream.on('close', (error) => void error?.message);
}

test("a store's fault reaches every listener, after the store has recorded it", () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'events-'));
  try {
    const store = SignedStore.open(catalogueKind, { dir, hubKeys: () => null, line: '11' });
    assert.is(store.fault, null, 'an empty directory: nothing yet, no fault');
    const heard: [string, StoreFault, StoreFault | null][] = [];
    store.on('fault', (fault) => heard.push(['first', fault, store.fault]));
    store.on('fault', (fault) => heard.push(['second', fault, store.fault]));
    const fault: StoreFault = { kind: 'catalogue', version: 'beijing-2026.03', why: 'a page is not the one the hub signed' };
    store.fail(fault);
    assert.equal(heard, [
      ['first', fault, fault],
      ['second', fault, fault],
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
