// Proves the kiosk's on-the-spot filing (issue 16; README, off-site filing at
// the kiosk) on the firmware's own terminal and the reference hub over the
// emulated site (test/helpers/terminal-rig.ts), with Mr. Li (worked case 05,
// a Hebei resident who never filed, his 2026-03-20 bill in Beijing; Hebei
// lets a kiosk file, 120 days back):
//   - every way the offer can end without a settlement: the patient cancels
//     or walks away (nothing filed, nothing journaled), the hub is out of
//     reach (nothing filed, the refusal `filing_required` stands), and each
//     refusal of the hub the terminal can meet, injected at the hub between
//     the offer and the application: `filing_exists` and `filing_overlaps`
//     (a filing made meanwhile elsewhere), `filing_type_not_allowed_here`
//     (the hub's record moved him to a place that does not let a kiosk
//     file), `person_not_found` (the hub no longer knows him). The
//     terminal never cancels a filing, so it cannot meet `not_cancellable`;
//   - exactly once: the hub's answer to the application is lost, the client
//     sends it again under its journaled seq, the hub files once and answers
//     the same filing, the journal holds one intent and one answer; and on a
//     lossy hub line (a third of the frames spoiled) he files once and
//     settles once, whatever was sent again;
//   - then he files and settles: the offer's screen showed the cut as the
//     difference against a long-term filing (his visit's bill, 888.00, is
//     over the deductible, so the cut is not zero: 93.52), the settlement equals the
//     settlement core's output for the worked case with that filing (the
//     differential check), and the hub holds one filing and one settlement.
// Replay: node test/run.mjs --no-typecheck session-filing
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { AnyMessage } from '../../protocol/envelope';
import { seedBillCase } from '../../device/sim/hub/seed';
import { settleCase } from '../../src/core/case';
import { yuan } from '../../src/core/trace';
import { decodeRecord, type JournalRecord } from '../../src/journal/records';
import { nodeJournalStorage, type JournalStorage } from '../../src/journal/storage';
import type { FilingOffer } from '../../src/session/screens';
import { liFiled } from '../helpers/filing-cut';
import { compliant, TerminalRig, unfiled, type Script } from '../helpers/terminal-rig';

const records: JournalRecord[] = [];
/** The journal's storage, keeping every record the terminal commits (one per append, after the 8-byte record head). */
const storage: JournalStorage = {
  ...nodeJournalStorage(),
  append(file, bytes) {
    const record = decodeRecord(bytes.subarray(8));
    if (record !== null) records.push(record);
    nodeJournalStorage().append(file, bytes);
  },
};
const filingRecords = () => records.filter((record) => record.kind === 'filing_intent' || record.kind === 'filing_done');
/** What the hub holds for him: standing filings made at terminals. */
const filed = () => rig.hub.state.filings(unfiled.psn_no).filter((held) => !held.cancelled);

let rig: TerminalRig;
let offers: FilingOffer[] = [];

test.before(async () => {
  rig = await TerminalRig.open({ storage, timeoutsMs: { filing: 600 } });
  rig.session.on('state', (state) => {
    if (state === 'filing') offers.push({ ...(rig.session.visit.offer as FilingOffer) });
  });
});

test.after(async () => {
  await rig.close();
});

test.before.each(() => {
  records.length = 0;
  offers = [];
});

/** Mr. Li with his e-certificate; at the offer, `onOffer` runs, then the patient keys a phone and files unless `keys` says otherwise. */
function li(onOffer: () => void | Promise<void>, keys: readonly string[] = ['13900000000', 'ok']): Script {
  return {
    ...compliant(false),
    filing: (r) => {
      void (async () => {
        await onOffer();
        for (const key of keys) r.keys.push(key);
      })();
    },
  };
}

test('the offer: the temporary filing from the visit date, its cut against a long-term filing, the amounts; a cancel files nothing', async () => {
  const out = await rig.visit(unfiled, 'qr', li(() => undefined, ['cancel']));
  assert.equal(out.states.slice(0, 4), ['person', 'bill', 'filing', 'message']);
  assert.is(out.code, 'patient_cancelled');
  const offer = offers[0] as FilingOffer;
  assert.equal(offer.filing, { type: 'temporary', area: '110000', begndate: '2026-03-20', enddate: '2026-09-15', fixmedins: null });
  assert.is(offer.code, 'filing_required');
  assert.is(offer.cutBp, 1_500, "Hebei's temporary_cut_bp");
  assert.equal(filed(), [], 'nothing filed');
  assert.equal(filingRecords(), [], 'nothing journaled');
  assert.ok(rig.frames.some((frame) => frame.some((row) => row.includes('临时备案比例降低 Ratio cut') && row.includes('-15.00%'))), 'the cut is on the screen');
  // The cut in fen: the core's difference between his visit settled with this filing and with a long-term one, not zero.
  const core = liFiled(offer.filing);
  assert.ok(core.cutFen > 0, 'his bill is over the deductible');
  assert.equal([offer.cut, offer.total, offer.funds, offer.yours], [core.cutFen, core.temporary.setlinfo.medfee_sumamt, core.temporary.setlinfo.fund_pay_sumamt, core.temporary.setlinfo.psn_cash_pay]);
  assert.ok(rig.frames.some((frame) => frame.some((row) => row.startsWith('比长期备案多付 More than long-term') && row.trimEnd().endsWith(` ${yuan(core.cutFen)}`))), 'the difference is on the screen');
});

test('the patient walks away from the offer: nothing filed', async () => {
  const out = await rig.visit(unfiled, 'qr', li(() => undefined, []));
  assert.is(out.code, 'session_timeout');
  assert.equal(filed(), []);
  assert.equal(filingRecords(), []);
});

test('OK without a phone files nothing; the offer waits for the phone', async () => {
  const out = await rig.visit(unfiled, 'qr', li(() => undefined, ['ok', '12', 'ok']));
  assert.is(out.code, 'session_timeout', 'a phone of two digits is not one');
  assert.equal(filed(), []);
});

test('offline: the hub out of reach at the application, nothing filed, the refusal stands', async () => {
  const out = await rig.visit(unfiled, 'qr', li(() => rig.cutHub(4_000)));
  assert.is(out.code, 'filing_required');
  assert.equal(out.setl, null);
  assert.equal(filed(), [], 'the hub never heard of it');
  assert.equal(filingRecords().map((record) => record.kind), ['filing_intent', 'filing_done']);
  assert.is((filingRecords()[1] as Extract<JournalRecord, { kind: 'filing_done' }>).code, 'timeout', 'journaled as unanswered');
  await new Promise((resolve) => setTimeout(resolve, 4_000));
});

test('refusals the hub gives between the offer and the application', async () => {
  const person = rig.hub.state.person(unfiled.psn_no);
  assert.ok(person);
  const held = person as NonNullable<typeof person>;
  const persons = (rig.hub.state as unknown as { persons: Map<string, typeof held> }).persons;
  const cases: { name: string; code: string; inject(): Promise<void> | void; undo(): void }[] = [
    {
      name: 'his record moved to an insured place that does not let a kiosk file',
      code: 'filing_type_not_allowed_here',
      inject: () => rig.hub.putPerson({ ...held, person: { ...held.person, insuplc_admdvs: '330400' } }),
      undo: () => rig.hub.putPerson(held),
    },
    { name: 'the hub no longer knows him', code: 'person_not_found', inject: () => void persons.delete(unfiled.psn_no), undo: () => void persons.set(unfiled.psn_no, held) },
  ];
  for (const row of cases) {
    records.length = 0;
    const out = await rig.visit(unfiled, 'qr', li(row.inject));
    row.undo();
    assert.is(out.code, row.code, row.name);
    assert.equal(filed(), [], `${row.name}: nothing filed`);
    assert.equal(filingRecords().map((record) => (record.kind === 'filing_done' ? record.code : record.kind)), ['filing_intent', row.code], `${row.name}: journaled`);
  }
});

test('a filing made elsewhere meanwhile: filing_overlaps (it begins later), filing_exists (it covers the visit); each on a fresh site', async () => {
  for (const [code, begndate] of [
    ['filing_overlaps', '2026-06-30'],
    ['filing_exists', '2026-03-20'],
  ] as const) {
    const other = await TerminalRig.open({ id: 'T-ELSE' });
    try {
      const out = await other.visit(
        unfiled,
        'qr',
        li(async () => {
          // Through this terminal's own client (the hub's real path), as another kiosk or the app would.
          const made = await other.terminal.client.file({ psn_no: unfiled.psn_no, filing: { type: 'temporary', area: '110000', begndate, enddate: '2026-07-30', fixmedins: null }, referral_no: null, commitment: true, tel: '13800000000' });
          assert.ok(made.ok, JSON.stringify(made));
        }),
      );
      assert.is(out.code, code);
      assert.is(other.hub.state.filings(unfiled.psn_no).length, 1, 'only the one made elsewhere');
      assert.is(other.inForce(unfiled.mdtrt_id), 0);
    } finally {
      await other.close();
    }
  }
});

test('exactly once: the answer to the application is lost, the client sends it again under its seq, the hub files once', async () => {
  const hub = rig.hub;
  const dispatch = hub.dispatch.bind(hub);
  let applications = 0;
  hub.dispatch = async (message: AnyMessage, key: Uint8Array, session: number) => {
    const answered = await dispatch(message, key, session);
    if (message.type === 'filing_apply' && (applications += 1) === 1) return null;
    return answered;
  };
  try {
    const out = await rig.visit(unfiled, 'qr', li(() => undefined));
    assert.is(out.code, null, 'settled');
    assert.ok(out.setl !== null);
    assert.ok(applications >= 2, `${applications} applications reached the hub`);
    const intents = filingRecords().filter((record) => record.kind === 'filing_intent');
    const dones = filingRecords().filter((record) => record.kind === 'filing_done') as Extract<JournalRecord, { kind: 'filing_done' }>[];
    assert.is(intents.length, 1);
    assert.is(dones.length, 1);
    assert.is(filed().length, 1, 'one filing');
    assert.is(dones[0]?.filing_id, filed()[0]?.filing_id);
    assert.is(rig.inForce(unfiled.mdtrt_id), 1, 'one settlement');

    // The differential check: the settle request's result equals the settlement core's for the worked case with that filing (and the hub's bill for his visit: seed.ts, seedBillLines).
    const settle = records.find((record) => record.kind === 'settle_intent') as Extract<JournalRecord, { kind: 'settle_intent' }>;
    const raw = seedBillCase(4) as Record<string, any>;
    const direct = settleCase({ ...raw, person: { ...raw.person, filing: filed()[0]?.filing } });
    assert.ok(direct.ok);
    if (!direct.ok) return;
    assert.equal(settle.body.result.setlinfo, direct.setlinfo, "the totals are the core's");
    assert.equal(settle.body.result.setldetail, direct.setldetail, "the fund lines are the core's");
    assert.equal(settle.body.input.psn_no, unfiled.psn_no);
    // The offer's amounts were those settled; its cut is the core's difference against a long-term filing.
    const offer = offers[0] as FilingOffer;
    assert.is(offer.yours, direct.setlinfo.psn_cash_pay);
    const long = settleCase({ ...raw, person: { ...raw.person, filing: { ...filed()[0]?.filing, type: 'long_term_resident' } } });
    assert.ok(long.ok);
    if (long.ok) assert.is(offer.cut, direct.setlinfo.psn_part_amt - long.setlinfo.psn_part_amt);
    assert.ok(offer.cut > 0, `his bill is over the deductible: the temporary filing costs him more (${offer.cut} fen)`);
    assert.is(offer.cut, liFiled(filed()[0]?.filing).cutFen);

    // A second visit: the hub's person has the filing now, no offer, nothing to settle.
    records.length = 0;
    const again = await rig.visit(unfiled, 'qr', compliant(false));
    assert.not.ok(again.states.includes('filing'), 'no second offer');
    assert.equal(filingRecords(), []);
    assert.is(filed().length, 1);
  } finally {
    hub.dispatch = dispatch;
  }
});

test('a lossy hub line: a third of the frames spoiled, he files once and settles once', async () => {
  const kept: JournalRecord[] = [];
  const lossy = await TerminalRig.open({
    id: 'T-LOSSY',
    loss: 0.3,
    storage: {
      ...nodeJournalStorage(),
      append(file, bytes) {
        const record = decodeRecord(bytes.subarray(8));
        if (record !== null) kept.push(record);
        nodeJournalStorage().append(file, bytes);
      },
    },
    hubTimeoutsMs: { request: 800, settle: 1_200, attempts: 6 },
  });
  try {
    let applications = 0;
    const dispatch = lossy.hub.dispatch.bind(lossy.hub);
    lossy.hub.dispatch = (message: AnyMessage, key: Uint8Array, session: number) => {
      if (message.type === 'filing_apply') applications += 1;
      return dispatch(message, key, session);
    };
    let out = await lossy.visit(unfiled, 'qr', li(() => undefined), 120_000);
    // A visit the line defeated before the filing (no answer to a query: hub_unreachable) is tried again, as the patient would.
    for (let tries = 0; out.setl === null && out.code === 'hub_unreachable' && tries < 5; tries += 1) out = await lossy.visit(unfiled, 'qr', compliant(false), 120_000);
    assert.ok(out.setl !== null, `settled (ended ${out.code}; ${out.states.join(' ')})`);
    const filings = lossy.hub.state.filings(unfiled.psn_no);
    assert.is(filings.length, 1, 'one filing at the hub');
    const dones = kept.filter((record) => record.kind === 'filing_done') as Extract<JournalRecord, { kind: 'filing_done' }>[];
    assert.is(kept.filter((record) => record.kind === 'filing_intent').length, dones.length, 'each intent answered');
    assert.ok(dones.some((done) => done.filing_id === filings[0]?.filing_id), 'the answer journaled is the hub\'s filing');
    assert.is(lossy.inForce(unfiled.mdtrt_id), 1, 'one settlement');
    console.log(`lossy line: ${applications} filing applications reached the hub for ${dones.length} journaled, ${lossy.terminal.client.stats.retries} requests sent again in all`);
  } finally {
    await lossy.close();
  }
});

test.run();
