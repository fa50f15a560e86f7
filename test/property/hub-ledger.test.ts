// Proves the hub's money stays whole (issue 12, attack 2: advices carrying a
// stale `acct_balance` were booked as `max(0, balance - acct_pay)` while their
// cancels gave back `acct_pay` in full, so 8 advices and 8 cancels raised an
// account from 86,000 to 114,496 fen). fast-check drives random sequences of
// online settles, offline advices (the terminal's person record stale: a
// balance higher than the hub's, by a random amount), cancels, reversals of
// settles and of cancels, exact replays (same seq), re-sequenced advices and
// reversals (new seq, same content) and hub restarts (the state rebuilt from
// its log), each request as a signed terminal's message through the hub's
// dispatch. After every sequence, for every patient touched:
//   - the hub's balance is its start less the account payments (acct_pay) of
//     the settlements in force, never below 0 nor above the start: the hub
//     books from its own balance, never one a terminal states;
//   - the accumulators are the start plus the acc_delta in force;
//   - no bill is in force twice; a replay changes nothing;
//   - the month's clearing totals equal the funds of the settlements in force,
//     its personal-account fund (310200) their account payments;
//   - a restart gives the same balances, accumulators and ledger.
// An advice the balance cannot cover is refused `account_insufficient`.
// Replay the attack: npm test -- hub-ledger (PROPERTY_RUNS=N for more runs).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import path from 'node:path';
import { createCborEncoder } from '../../protocol/cbor-encode';
import { billDigest } from '../../protocol/digests';
import type { AnyMessage } from '../../protocol/envelope';
import type { BodyOf, MessageName, Person } from '../../protocol/messages';
import type { Catalogue } from '../../src/catalogue/layout';
import type { PolicyBook } from '../../src/catalogue/policy-book';
import { clearingReport } from '../../device/sim/hub/clearing';
import { ReferenceHub } from '../../device/sim/hub/hub';
import { catalogueLineOf, syntheticInstitution, syntheticPsnNo, syntheticTerminalId, syntheticTerminalSeed } from '../../device/sim/hub/seed';
import { nodeCryptoProvider } from '../../protocol/crypto-node';
import { hubKeySeed, settleLocally, tempDir, type Terminal } from '../helpers/hub-rig';
import { MemoryDisk } from '../helpers/memory-disk';

const runs = Number(process.env.PROPERTY_RUNS ?? 60);
/** 2026-03-14 10:00 China time: the populations' bill date. */
const nowS = Date.parse('2026-03-14T02:00:00Z') / 1_000;
const date = '2026-03-14';
const month = '2026-03';
/** Persons per run; those at institution 0 (index ≡ 0 mod 4) with an account are the run's patients. */
const personsPerRun = 24;

type Op =
  | { kind: 'settle'; patient: number; account: boolean }
  | { kind: 'advice'; patient: number; account: boolean; staleFen: number }
  | { kind: 'cancel'; which: number }
  | { kind: 'reverse_settle'; which: number }
  | { kind: 'reverse_cancel'; which: number }
  | { kind: 'replay'; which: number }
  | { kind: 'resequence'; which: number }
  | { kind: 'restart' };

const op: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('settle' as const), patient: fc.nat(5), account: fc.boolean() }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant('advice' as const), patient: fc.nat(5), account: fc.boolean(), staleFen: fc.integer({ min: 0, max: 60_000 }) }), weight: 4 },
  { arbitrary: fc.record({ kind: fc.constant('cancel' as const), which: fc.nat(40) }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant('reverse_settle' as const), which: fc.nat(40) }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('reverse_cancel' as const), which: fc.nat(40) }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('replay' as const), which: fc.nat(80) }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('resequence' as const), which: fc.nat(80) }), weight: 1 },
  { arbitrary: fc.constant({ kind: 'restart' as const }), weight: 1 },
);

const temp = tempDir('hub-ledger-');
const dir = path.join(temp.dir, 'hub');
const disk = new MemoryDisk();
const open = () => ReferenceHub.open({ dir, timeS: () => nowS, storage: disk, randomBytes: () => hubKeySeed.slice(), offlineFloorFen: 10_000_000 });
let hub = open();
const encoder = createCborEncoder();
/** Every patient any run touched, with the balance and accumulators it started with. */
const started = new Map<string, Person>();
let runSeed = 100;

/** The terminal's settlement of a bill with the hub's published catalogue and policy book, as it would be made with `person`. */
function terminalSettle(person: Person, bill: NonNullable<ReturnType<typeof hub.state.bill>>, account: boolean): BodyOf<'settle'> | null {
  const institution = syntheticInstitution(0);
  const line = catalogueLineOf(institution);
  const catalogue = hub.versions.catalogue(line, hub.versions.current('catalogue', line)?.version ?? '') as Catalogue;
  const book = hub.versions.policyBook(hub.versions.current('policy_book', '')?.version ?? '') as PolicyBook;
  const stores = { catalogue: { current: { value: catalogue } }, policyBook: { current: { value: book } } } as unknown as Pick<Terminal, 'catalogue' | 'policyBook'>;
  const ref = { line_count: bill.lines.length, medfee_sumamt: bill.lines.reduce((sum, feeLine) => sum + feeLine.amt, 0), digest: billDigest(encoder, bill.lines) };
  const local = settleLocally(stores, person, institution, { mdtrt_id: bill.mdtrt_id, date: bill.date, med_type: bill.med_type, opsp_dise: bill.opsp_dise, bill: ref, lines: [...bill.lines] }, account);
  return local.ok ? local.body : null;
}

function inForce() {
  return hub.state.ledger.filter((settlement) => !settlement.reversed && settlement.cancelled === null);
}

/** The invariant: balances, accumulators, bills and clearing agree with the settlements in force. */
function checkLedger(where: string): void {
  const active = inForce();
  const bills = active.map((settlement) => settlement.event.input.mdtrt_id);
  assert.is(new Set(bills).size, bills.length, `${where}: no bill in force twice`);
  const paid = new Map<string, number>();
  const acc = new Map<string, Record<string, number>>();
  for (const settlement of active) {
    const { psn_no } = settlement.event.input;
    paid.set(psn_no, (paid.get(psn_no) ?? 0) + settlement.event.result.setlinfo.acct_pay);
    const sum = acc.get(psn_no) ?? {};
    for (const [key, fen] of Object.entries(settlement.event.result.acc_delta)) sum[key] = (sum[key] ?? 0) + fen;
    acc.set(psn_no, sum);
  }
  for (const [psnNo, start] of started) {
    const held = hub.state.person(psnNo)?.person as Person;
    const balance = start.acct_balance - (paid.get(psnNo) ?? 0);
    assert.ok(balance >= 0, `${where}: ${psnNo} paid ${paid.get(psnNo)} from an account of ${start.acct_balance}`);
    assert.is(held.acct_balance, balance, `${where}: ${psnNo}'s balance is its start less the account payments in force`);
    const expected = Object.fromEntries(Object.entries(acc.get(psnNo) ?? {}).filter(([, fen]) => fen > 0));
    assert.equal(held.ytd.acc, { ...start.ytd.acc, ...expected }, `${where}: ${psnNo}'s accumulators`);
  }
  const report = clearingReport(hub.state, month);
  const funds = active.flatMap((settlement) => settlement.event.result.setldetail);
  assert.is(report.total_fen, funds.reduce((sum, fund) => sum + fund.fund_payamt, 0), `${where}: clearing is the funds in force`);
  const cleared = report.lines.flatMap((line) => line.funds).filter((fund) => fund.fund_pay_type === '310200').reduce((sum, fund) => sum + fund.amount_fen, 0);
  assert.is(cleared, active.reduce((sum, settlement) => sum + settlement.event.result.setlinfo.acct_pay, 0), `${where}: cleared personal accounts are the account payments in force`);
}

function snapshot(): string {
  const persons = [...started.keys()].map((psnNo) => hub.state.person(psnNo)?.person);
  return JSON.stringify({ persons, ledger: hub.state.ledger.map((settlement) => [settlement.event.setl_id, settlement.reversed, settlement.cancelled?.cancel_setl_id ?? null]) });
}

async function play(ops: readonly Op[]): Promise<void> {
  const seed = (runSeed += 1);
  const [terminalId] = hub.generate(seed, personsPerRun, 40, date, 1);
  const id = terminalId ?? syntheticTerminalId(seed, 0);
  const key = nodeCryptoProvider.signer(syntheticTerminalSeed(seed, 0)).publicKey;
  const patients = Array.from({ length: personsPerRun / 4 }, (_, index) => syntheticPsnNo(seed, index * 4)).filter((psnNo) => (hub.state.person(psnNo)?.person.acct_balance ?? 0) > 0);
  for (const psnNo of patients) started.set(psnNo, hub.state.person(psnNo)?.person as Person);
  let seq = 0;
  let session = 0;
  const sent: AnyMessage[] = [];
  const settles: { seq: number; setl_id: string; input: BodyOf<'settle'>['input'] }[] = [];
  const cancels: { seq: number; psn_no: string; mdtrt_id: string }[] = [];
  const send = async <N extends MessageName>(type: N, body: BodyOf<N>, at = (seq += 1)) => {
    const message = { type, terminal: id, seq: at, time: nowS, body } as AnyMessage;
    const answered = await hub.dispatch(message, key, type === 'sign_in' ? 0 : session);
    assert.ok(answered !== null, `${type} ${at} answered`);
    sent.push(message);
    return answered?.reply as { type: string; body: never };
  };
  const signIn = async () => {
    const reply = await send('sign_in', { fixmedins_code: syntheticInstitution(0).fixmedins_code, firmware: 'test', catalogue_version: null, policy_version: null, nonce: new Uint8Array(16).fill(seq & 0xff), operator: null });
    assert.is(reply.type, 'sign_in_reply');
    session = (reply.body as BodyOf<'sign_in_reply'>).session;
  };
  await signIn();
  for (const step of ops) {
    const patient = 'patient' in step ? patients[step.patient % Math.max(1, patients.length)] : undefined;
    switch (step.kind) {
      case 'settle':
      case 'advice': {
        if (patient === undefined) break;
        const bill = hub.state.pendingBills(patient, syntheticInstitution(0).fixmedins_code, 1)[0];
        if (bill === undefined) break;
        const held = hub.state.person(patient)?.person as Person;
        if (step.kind === 'settle') {
          const body = terminalSettle(held, bill, step.account);
          if (body === null) break;
          const reply = await send('settle', body);
          if (reply.type === 'settle_reply') settles.push({ seq, setl_id: (reply.body as BodyOf<'settle_reply'>).setl_id, input: body.input });
          break;
        }
        // Offline: the terminal saw the person earlier, when the account held more.
        const seen = { ...held, acct_balance: held.acct_balance + step.staleFen };
        const body = terminalSettle(seen, bill, step.account);
        if (body === null) break;
        const reply = await send('advice', { local_setl_id: `A${seq + 1}`, settled_time: nowS, person: seen, ...body });
        if (reply.type === 'advice_reply') settles.push({ seq, setl_id: (reply.body as BodyOf<'advice_reply'>).setl_id, input: body.input });
        else {
          const code = (reply.body as BodyOf<'error'>).code;
          assert.ok(['account_insufficient', 'offline_limit_exceeded', 'invalid_input'].includes(code), `advice refused ${code}`);
          if (code === 'account_insufficient') assert.ok(body.result.setlinfo.acct_pay > held.acct_balance, 'refused only when the hub\'s balance cannot cover it');
        }
        break;
      }
      case 'cancel': {
        const target = settles[step.which % Math.max(1, settles.length)];
        if (target === undefined) break;
        const reply = await send('cancel', { setl_id: target.setl_id, mdtrt_id: target.input.mdtrt_id, psn_no: target.input.psn_no, reason: '' });
        if (reply.type === 'cancel_reply') cancels.push({ seq, psn_no: target.input.psn_no, mdtrt_id: target.input.mdtrt_id });
        break;
      }
      case 'reverse_settle': {
        const target = settles[step.which % Math.max(1, settles.length)];
        if (target !== undefined) await send('reversal', { psn_no: target.input.psn_no, omsgid: target.seq, oinfno: 'settle', mdtrt_id: target.input.mdtrt_id });
        break;
      }
      case 'reverse_cancel': {
        const target = cancels[step.which % Math.max(1, cancels.length)];
        if (target !== undefined) await send('reversal', { psn_no: target.psn_no, omsgid: target.seq, oinfno: 'cancel', mdtrt_id: target.mdtrt_id });
        break;
      }
      case 'replay':
      case 'resequence': {
        const earlier = sent.filter((message) => message.type !== 'sign_in')[step.which % Math.max(1, sent.length)];
        if (earlier === undefined || (step.kind === 'resequence' && earlier.type !== 'advice' && earlier.type !== 'reversal')) break;
        const before = snapshot();
        const first = hub.answerOf(id, earlier.seq);
        const reply = await send(earlier.type, earlier.body as never, step.kind === 'replay' ? earlier.seq : undefined);
        if (step.kind === 'replay') {
          assert.is(snapshot(), before, `a replay of ${earlier.type} ${earlier.seq} changes nothing`);
          if (first !== undefined) assert.equal(reply, first, `a replay of ${earlier.type} ${earlier.seq} gets its first answer`);
        }
        break;
      }
      case 'restart': {
        const before = snapshot();
        await hub.close();
        hub = open();
        assert.is(snapshot(), before, 'the log gives the same state');
        await signIn();
        break;
      }
    }
    checkLedger(`${step.kind} (run ${seed})`);
  }
}

test('any mix of settle, advice, cancel, reversal, replay and restart: accounts, accumulators, ledger and clearing agree, and no money is made', async () => {
  try {
    await fc.assert(fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 30 }), play), { numRuns: runs, endOnFailure: true, includeErrorInReport: true });
  } finally {
    await hub.close();
    temp.remove();
  }
});

test.run();
