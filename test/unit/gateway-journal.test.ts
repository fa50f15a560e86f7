// Proves the gateway's journal of national settlements (gateway/journal.ts)
// on both of its stores (gateway/store.ts): embedded PGlite and a PostgreSQL
// server (`--db postgres://...`; test/helpers/pg.ts: the server .ci/run
// started, a missing one failing under CI). The same suite runs on each: the
// schema opens twice without harm; a 2207 recorded before it goes out is
// listed unresolved until completed, and completes exactly once (a second
// completion moves nothing); a msgid is never recorded twice and must be 30
// characters, and a state outside the five is refused by the database
// itself; values are bound, never spliced (quotes and SQL in them stored as
// they are); the 2207 that settled a setl_id, the calls of a terminal request and the newest msgid, overall
// and per institution, are found; and rows survive closing and reopening
// the store. `openStore` picks the store by what `--db` says, refuses other
// URL schemes and an unreachable server with `db_unavailable`, and never
// prints a server's password.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CallJournal } from '../../gateway/journal';
import { describeStore, openPglite, openStore, StoreError, type SqlStore } from '../../gateway/store';
import { pgDatabase, type PgDatabase } from '../helpers/pg';

const msgid = (code: string, second: string, seq: number) => `${code}${second}${String(seq).padStart(4, '0')}`;
const A = 'H11010600001';
const B = 'H31010100003';

interface Backend {
  readonly name: string;
  /** Opens the store (again: the same database). */
  open(): Promise<SqlStore>;
  cleanup(): Promise<void>;
}

async function backends(): Promise<Backend[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'gateway-journal-'));
  const list: Backend[] = [{ name: 'PGlite', open: () => openStore(path.join(dir, 'db')), cleanup: async () => rmSync(dir, { recursive: true, force: true }) }];
  const database: PgDatabase | null = await pgDatabase();
  if (database !== null) list.push({ name: 'PostgreSQL', open: () => openStore(database.url), cleanup: () => database.drop() });
  return list;
}

async function refuses(work: Promise<unknown>, pattern: RegExp): Promise<void> {
  try {
    await work;
  } catch (error) {
    assert.match((error as Error).message, pattern);
    return;
  }
  assert.unreachable(`expected a refusal matching ${pattern}`);
}

const suite = async (backend: Backend) => {
  let store = await backend.open();
  try {
    await CallJournal.open(store);
    const journal = await CallJournal.open(store); // the schema again: no harm
    assert.equal(await journal.unresolved(), []);
    assert.is(await journal.lastMsgid(), null);

    const first = msgid(A, '20260314100000', 0);
    const request = `{"data":{"psn_no":"P1","note":"it's a '); DROP TABLE national_call; --"}}`;
    await journal.sent({ msgid: first, infno: '2207', mdtrt_id: 'M1', psn_no: 'P1', request, setl_id: null, terminal: 'T1', seq: 1 }, 1_000);
    await journal.sent({ msgid: msgid(B, '20260314100001', 0), infno: '2207', mdtrt_id: 'M2', psn_no: 'P2', request: '{}', setl_id: null, terminal: 'T2', seq: 1 }, 2_000);
    await journal.sent({ msgid: msgid(A, '20260314100002', 7), infno: '2207', mdtrt_id: 'M3', psn_no: 'P3', request: '{}', setl_id: null, terminal: 'T1', seq: 3 }, 3_000);
    assert.equal((await journal.unresolved()).map((row) => row.mdtrt_id), ['M1', 'M2', 'M3'], `${backend.name}: oldest first`);
    assert.is((await journal.row(first))?.request, request, `${backend.name}: bound, stored as given`);

    await refuses(journal.sent({ msgid: first, infno: '2207', mdtrt_id: 'M1', psn_no: 'P1', request: '{}', setl_id: null, terminal: 'T1', seq: 4 }, 4_000), /duplicate key|unique/i);
    await refuses(journal.sent({ msgid: 'SHORT', infno: '2207', mdtrt_id: 'M1', psn_no: 'P1', request: '{}', setl_id: null, terminal: 'T1', seq: 5 }, 4_000), /check constraint/i);
    await refuses(store.query("UPDATE national_call SET state = 'lost' WHERE msgid = $1", [first]), /check constraint/i);

    assert.ok(await journal.settle(first, 'done', '{"setlinfo":{}}', 'S000001', 5_000));
    assert.not.ok(await journal.settle(first, 'fenced', '{}', null, 6_000), `${backend.name}: completed once only`);
    assert.ok(await journal.settle(msgid(B, '20260314100001', 0), 'fenced', '{"data":{"reversed_flag":"1"}}', null, 6_000));
    assert.not.ok(await journal.settle(msgid(A, '29990101000000', 0), 'done', '{}', null, 6_000), 'an unknown msgid moves nothing');
    assert.equal((await journal.unresolved()).map((row) => row.mdtrt_id), ['M3']);
    // seq is a bigint column: a number on both stores (pg hands bigints over as text).
    assert.equal(await journal.row(first), { msgid: first, infno: '2207', mdtrt_id: 'M1', psn_no: 'P1', state: 'done', request, answer: '{"setlinfo":{}}', setl_id: 'S000001', terminal: 'T1', seq: 1 });
    assert.is((await journal.standing('2207', 'S000001'))?.msgid, first);
    assert.is(await journal.standing('2207', 'S999999'), undefined);
    assert.equal((await journal.forRequest('T1', 3, '2207')).map((row) => row.mdtrt_id), ['M3']);
    assert.is(await journal.lastMsgid(A), msgid(A, '20260314100002', 7));
    assert.is(await journal.lastMsgid(), msgid(B, '20260314100001', 0), 'overall: the greatest msgid');
    assert.is(await journal.lastMsgid(B), msgid(B, '20260314100001', 0));
    assert.is(await journal.lastMsgid('H21010200013'), null);

    // Closed and opened again: everything is there.
    await store.close();
    store = await backend.open();
    const again = await CallJournal.open(store);
    assert.equal((await again.all()).map((row) => [row.mdtrt_id, row.state]), [['M1', 'done'], ['M2', 'fenced'], ['M3', 'sent']], backend.name);
  } finally {
    await store.close();
  }
};

test('the journal on PGlite and on a PostgreSQL server: the same behaviour, the same schema', async () => {
  const list = await backends();
  try {
    if (process.env.CI === 'true') assert.equal(list.map((backend) => backend.name), ['PGlite', 'PostgreSQL'], 'CI runs both');
    for (const backend of list) await suite(backend);
  } finally {
    for (const backend of list) await backend.cleanup();
  }
});

test('openStore: a postgres:// URL is a server, anything else a PGlite directory; bad ones are db_unavailable', async () => {
  for (const bad of ['', 'mysql://h/db', 'sqlite:///tmp/x', 'a\0b']) {
    await refuses(openStore(bad), /./);
    try {
      await openStore(bad);
    } catch (error) {
      assert.instance(error, StoreError, bad);
      assert.is((error as StoreError).code, 'db_unavailable');
    }
  }
  // Nothing listens on port 1 of loopback: refused at once, as db_unavailable, the password not in the message.
  try {
    await openStore('postgres://gateway:s3cret@127.0.0.1:1/journal');
    assert.unreachable('connected to nothing');
  } catch (error) {
    assert.instance(error, StoreError);
    assert.not.match((error as Error).message, /s3cret/);
  }
  assert.is(describeStore('postgres://gateway:s3cret@db.example:5432/journal'), 'PostgreSQL postgres://gateway@db.example:5432/journal');
  assert.is(describeStore('/var/lib/gateway'), 'PGlite /var/lib/gateway');
  const memory = await openPglite(null);
  await memory.close();
});

test.run();
