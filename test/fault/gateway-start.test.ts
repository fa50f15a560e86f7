// Proves how the gateway starts (gateway/gateway.ts, startGateway) after a
// run that died with a 2207 in flight: a journalled 2207 the platform never
// received is resolved before anything is served (5203 finds nothing under
// it, 2601 fences its msgid: the row is `fenced`, counted as recovered, and
// nothing is left open, nothing settled, no call refused); a journal holding an unanswered 2207 of an
// institution the configuration no longer names stops the start with
// `journal_institution_unknown` rather than leave it unresolvable, and
// nothing in the journal changes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseGatewayConfig } from '../../gateway/config';
import { GatewayStartError, startGateway } from '../../gateway/gateway';
import { CallJournal } from '../../gateway/journal';
import { openPglite, type SqlStore } from '../../gateway/store';
import { gatewayConfigJson } from '../helpers/gateway';
import { nationalRig, seedNational } from '../helpers/national';

const zhang = seedNational()[0] as ReturnType<typeof seedNational>[number];
let store: SqlStore;
test.before(async () => {
  store = await openPglite(null);
});
test.after(async () => {
  await store.close();
});

test('a 2207 left in flight by a dead gateway is fenced before the next one serves', async () => {
  const national = await nationalRig();
  try {
    await store.exec('DROP TABLE IF EXISTS national_call');
    const journal = await CallJournal.open(store);
    // The dead run's 2207, journalled and never delivered; its msgid is of the platform's current second.
    const nowMs = () => national.clock.nowS * 1_000;
    const inFlight = national.client('H11010600001').nextMsgid() as string;
    await journal.sent({ msgid: inFlight, infno: '2207', mdtrt_id: zhang.input.mdtrt_id, psn_no: zhang.input.psn_no, request: '{}', setl_id: null, terminal: 'T1', seq: 9 }, nowMs());
    const config = parseGatewayConfig(JSON.stringify(gatewayConfigJson(national.url, ['H11010600001'])));
    const started = await startGateway(config, store, { nowMs });
    assert.is(started.recovered, 1);
    assert.is(started.unresolved, 0);
    assert.is((await journal.row(inFlight))?.state, 'fenced');
    assert.is(started.gateway.figures.fenced, 1);
    assert.equal(Object.keys(started.gateway.figures.byInfno).sort(), ['2601', '5203', '9001']);
    assert.is(national.sim.stats.refused, 0, JSON.stringify(national.sim.stats));
    assert.is(national.hub.state.ledger.length, 0, 'nothing settled');
  } finally {
    await national.close();
  }
});

test('an unanswered 2207 of an institution no longer configured stops the start, journal unchanged', async () => {
  await store.exec('DROP TABLE IF EXISTS national_call');
  const journal = await CallJournal.open(store);
  const msgid = 'H31010100003202603141000000000';
  await journal.sent({ msgid, infno: '2207', mdtrt_id: 'M1', psn_no: 'P1', request: '{}', setl_id: null, terminal: 'T2', seq: 1 }, 1_000);
  const config = parseGatewayConfig(JSON.stringify(gatewayConfigJson('http://127.0.0.1:9/', ['H11010600001'])));
  let caught: unknown = null;
  try {
    await startGateway(config, store, { nowMs: () => Date.now() });
  } catch (error) {
    caught = error;
  }
  assert.instance(caught, GatewayStartError);
  assert.is((caught as GatewayStartError).code, 'journal_institution_unknown');
  assert.match((caught as Error).message, /H31010100003/);
  assert.equal((await journal.all()).map((row) => [row.msgid, row.state]), [[msgid, 'sent']]);
});

test.run();
