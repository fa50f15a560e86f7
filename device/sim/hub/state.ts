// The reference hub's state, as replaying its events gives it: terminals and
// their sessions, institutions, persons (seeded, or synthetic and
// materialised on their first change), pending bills, the ledger of
// settlements with their cancellations and reversals, refusals kept for
// audit, and the answer to every request that changed something, by
// (terminal, seq). `apply` is the only writer; it never refuses (handlers
// check before they emit an event) and asserts what must hold.
import type { HeldFiling } from '../../../src/core/filing';
import assert from 'node:assert';
import { applyAccDelta } from '../../../src/core/accumulators';
import { chinaDate, type ReconItem } from '../../../src/journal/recon';
import { kidOf, bytesToHex } from '../../../protocol/crypto';
import { ReplayWindow } from '../../../protocol/sequence';
import { replayWindowMax } from '../../../protocol/limits';
import type { Credential, Filing, Institution, Person } from '../../../protocol/messages';
import type { AnswerEvent, EventOf, HubEvent } from './events';
import { billsPerPersonMax } from './limits';
import { syntheticMdtrtId, syntheticPsnNo, parseSyntheticCredential, parseSyntheticMdtrtId, parseSyntheticPsnNo, syntheticBill, syntheticPerson, type HubBill, type HubPerson, type Population } from './seed';

export interface TerminalRecord {
  readonly id: string;
  readonly fixmedins_code: string;
  /** A kiosk, or a staffed counter terminal whose sign-in may name an operator. */
  readonly role: 'kiosk' | 'counter';
  /** The operator signed in with the current session (a counter terminal's), or null. */
  operator: string | null;
  /** Public keys accepted for it (enrolled, then rotated in). */
  readonly keys: Uint8Array[];
  session: number;
  sessionExpires: number;
  /** Answers to its requests that changed something, by seq. */
  readonly answers: Map<number, AnswerEvent>;
  /** Its advices, by local settlement id. */
  readonly advices: Map<string, Settlement>;
  /** Freshness of its seqs (stale ones are refused); rebuilt from the answers at start. */
  readonly window: ReplayWindow;
  /** Seqs being answered now: a duplicate of one is dropped, the first answer is coming. */
  readonly inProgress: Set<number>;
}

export interface Settlement {
  readonly event: EventOf<'settled'>;
  cancelled: EventOf<'cancelled'> | null;
  /** Voided by a reversal of its settle (never counted anywhere). */
  reversed: boolean;
  /**
   * What the hub took from the personal account for it while in force, fen:
   * its acct_pay (handlers refuse one the balance cannot cover; only a log
   * written before that rule can hold less). Undoing it gives back exactly this.
   */
  accountDebit: number;
}

export interface Cancellation {
  readonly event: EventOf<'cancelled'>;
  /** Undone by a reversal of the cancel: the settlement is in force again. */
  reinstated: boolean;
}

export interface PublishedVersion {
  readonly kind: 'catalogue' | 'policy_book';
  readonly line: string;
  readonly version: string;
  readonly serial: number;
  readonly file: string;
  readonly digest: Uint8Array;
}

const credentialKey = (credential: Pick<Credential, 'kind' | 'id'>) => `${credential.kind}:${credential.id}`;

export class HubState {
  readonly terminals = new Map<string, TerminalRecord>();
  private readonly byKid = new Map<string, string>();
  readonly institutions = new Map<string, Institution>();
  private readonly persons = new Map<string, HubPerson>();
  private readonly credentials = new Map<string, { psn_no: string; card_sn: string | null }>();
  private readonly populations = new Map<number, Population>();
  private readonly bills = new Map<string, HubBill>();
  /** Bills settled and in force: mdtrt_id → setl_id. */
  private readonly consumed = new Map<string, string>();
  /** Per synthetic person: no bill below this index is pending (so finding the next one is not a scan). */
  private readonly billCursor = new Map<string, number>();
  readonly ledger: Settlement[] = [];
  /** Each terminal's settlements and cancellations, for its reconciliation. */
  private readonly byTerminal = new Map<string, { settlements: Settlement[]; cancellations: Cancellation[] }>();
  private readonly bySetlId = new Map<string, Settlement>();
  private readonly settledBySeq = new Map<string, Settlement>();
  readonly cancellations = new Map<string, Cancellation>();
  /** Each person's filings made at terminals, in the order made (src/core/filing.ts reads them). */
  private readonly filingsByPerson = new Map<string, HeldFiling<Filing>[]>();
  private filingCount = 0;
  private readonly cancelBySeq = new Map<string, Cancellation>();
  /** Reversals that arrived before (or instead of) what they reverse: `terminal:oinfno:seq`. */
  private readonly tombstones = new Set<string>();
  readonly refusals: EventOf<'refused'>[] = [];
  readonly versions = new Map<string, PublishedVersion[]>();
  private sessionCounter = 0;


  apply(event: HubEvent): void {
    if ('seq' in event && 'terminal' in event) this.answered(event as AnswerEvent);
    switch (event.kind) {
      case 'terminal': {
        const existing = this.terminals.get(event.id);
        if (existing !== undefined) existing.keys.push(event.public_key);
        else this.terminals.set(event.id, this.newTerminal(event));
        this.byKid.set(bytesToHex(kidOf(event.public_key)), event.id);
        return;
      }
      case 'institution':
        this.institutions.set(event.institution.fixmedins_code, event.institution);
        return;
      case 'person':
        this.persons.set(event.person.psn_no, { person: event.person, credentials: event.credentials });
        for (const credential of event.credentials) this.credentials.set(credentialKey(credential), { psn_no: event.person.psn_no, card_sn: credential.card_sn });
        return;
      case 'population':
        this.populations.set(event.seed, { seed: event.seed, persons: event.persons, billsPerPerson: event.bills_per_person, date: event.date });
        return;
      case 'bill':
        this.bills.set(event.mdtrt_id, event);
        return;
      case 'published': {
        const key = `${event.blob}:${event.line}`;
        const list = this.versions.get(key) ?? [];
        assert(list.every((earlier) => earlier.serial < event.serial && earlier.version !== event.version), 'published versions are new and in order');
        list.push({ kind: event.blob, line: event.line, version: event.version, serial: event.serial, file: event.file, digest: event.digest });
        this.versions.set(key, list);
        return;
      }
      case 'session': {
        const terminal = this.terminal(event.terminal);
        terminal.session = event.session;
        terminal.sessionExpires = event.expires;
        terminal.operator = event.operator ?? null;
        this.sessionCounter = Math.max(this.sessionCounter, event.session);
        return;
      }
      case 'session_end': {
        const terminal = this.terminal(event.terminal);
        if (terminal.session === event.session) {
          terminal.session = 0;
          terminal.operator = null;
        }
        return;
      }
      case 'terminal_key': {
        const terminal = this.terminal(event.terminal);
        terminal.keys.push(event.public_key);
        this.byKid.set(bytesToHex(kidOf(event.public_key)), terminal.id);
        return;
      }
      case 'settled':
        this.settled(event);
        return;
      case 'cancelled':
        this.cancelled(event);
        return;
      case 'reversal':
        this.reversal(event);
        return;
      case 'refused':
        if (event.audit !== null) this.refusals.push(event);
        return;
      case 'filed': {
        const list = this.filingsByPerson.get(event.psn_no) ?? [];
        list.push({ filing_id: event.filing_id, filing: event.filing, made_date: event.made_date, cancelled: false });
        this.filingsByPerson.set(event.psn_no, list);
        this.filingCount += 1;
        return;
      }
      case 'filing_cancelled': {
        const list = this.filingsByPerson.get(event.psn_no) ?? [];
        const at = list.findIndex((held) => held.filing_id === event.filing_id);
        assert(at >= 0 && !(list[at] as HeldFiling<Filing>).cancelled, 'a filing is cancelled once');
        list[at] = { ...(list[at] as HeldFiling<Filing>), cancelled: true };
        return;
      }
    }
  }

  /** A person's filings made at terminals, oldest first (cancelled ones included). */
  filings(psnNo: string): readonly HeldFiling<Filing>[] {
    return this.filingsByPerson.get(psnNo) ?? [];
  }

  /** The next filing id. */
  nextFilingId(): string {
    return `F${String(this.filingCount + 1).padStart(12, '0')}`;
  }

  private newTerminal(event: EventOf<'terminal'>): TerminalRecord {
    return {
      id: event.id,
      fixmedins_code: event.fixmedins_code,
      role: event.role ?? 'kiosk',
      operator: null,
      keys: [event.public_key],
      session: 0,
      sessionExpires: 0,
      answers: new Map(),
      advices: new Map(),
      window: new ReplayWindow(replayWindowMax, 0),
      inProgress: new Set(),
    };
  }

  private answered(event: AnswerEvent): void {
    const terminal = this.terminal(event.terminal);
    assert(!terminal.answers.has(event.seq), 'a request is answered once');
    terminal.answers.set(event.seq, event);
    // Rebuilding at start: the seq joins the window as the live path had accepted it.
    if (terminal.window.check(event.seq).kind === 'new') terminal.window.accept(event.seq);
  }

  terminal(id: string): TerminalRecord {
    const terminal = this.terminals.get(id);
    assert(terminal !== undefined, `terminal ${id} is enrolled`);
    return terminal;
  }

  terminalByKid(kid: Uint8Array): TerminalRecord | undefined {
    // Buffer's hex (native) gives bytesToHex's text: this runs on every frame the hub opens.
    const id = this.byKid.get(Buffer.from(kid.buffer, kid.byteOffset, kid.length).toString('hex'));
    return id === undefined ? undefined : this.terminals.get(id);
  }

  nextSession(): number {
    return (this.sessionCounter % 0xffff_fffe) + 1;
  }

  /** The next settlement or cancellation id. */
  nextSetlId(prefix: 'S' | 'C'): string {
    const count = prefix === 'S' ? this.ledger.length : this.cancellations.size;
    return `${prefix}${String(count + 1).padStart(12, '0')}`;
  }

  // ---- persons and bills ---------------------------------------------------

  person(psnNo: string): HubPerson | undefined {
    const stored = this.persons.get(psnNo);
    if (stored !== undefined) return stored;
    const synthetic = parseSyntheticPsnNo(psnNo);
    if (synthetic === null) return undefined;
    const population = this.populations.get(synthetic.seed);
    return population !== undefined && synthetic.index < population.persons ? syntheticPerson(population, synthetic.index) : undefined;
  }

  /** The person a credential names: a psn_no, or the reason there is none. */
  personByCredential(credential: Credential): string | 'person_not_found' | 'credential_invalid' {
    const known = this.credentials.get(credentialKey(credential));
    if (known !== undefined) {
      if (credential.kind === 'ss_card' && credential.card_sn !== null && credential.card_sn !== known.card_sn) return 'credential_invalid';
      return known.psn_no;
    }
    const synthetic = parseSyntheticCredential(credential);
    if (synthetic === null) return 'person_not_found';
    const population = this.populations.get(synthetic.seed);
    if (population === undefined || synthetic.index >= population.persons) return 'person_not_found';
    const expected = syntheticPerson(population, synthetic.index).credentials.find((candidate) => candidate.kind === credential.kind);
    if (credential.card_sn !== null && expected?.card_sn !== credential.card_sn) return 'credential_invalid';
    return syntheticPsnNo(synthetic.seed, synthetic.index);
  }

  /** A bill the hub holds (pending or not), by visit id. */
  bill(mdtrtId: string): HubBill | undefined {
    const stored = this.bills.get(mdtrtId);
    if (stored !== undefined) return stored;
    const synthetic = parseSyntheticMdtrtId(mdtrtId);
    if (synthetic === null) return undefined;
    const population = this.populations.get(synthetic.seed);
    if (population === undefined || synthetic.index >= population.persons || synthetic.bill >= population.billsPerPerson) return undefined;
    return syntheticBill(population, synthetic.index, synthetic.bill);
  }

  /** The settlement in force that consumed a bill, if any. */
  billSettlement(mdtrtId: string): string | undefined {
    return this.consumed.get(mdtrtId);
  }

  /** A synthetic population added by `generate`, by its seed. */
  population(seed: number): Population | undefined {
    return this.populations.get(seed);
  }

  /** A person's pending bills at an institution, oldest first (at most `limit`). */
  pendingBills(psnNo: string, fixmedinsCode: string, limit: number): HubBill[] {
    const found: HubBill[] = [];
    for (const bill of this.bills.values()) {
      if (found.length >= limit) return found;
      if (bill.psn_no === psnNo && bill.fixmedins_code === fixmedinsCode && !this.consumed.has(bill.mdtrt_id)) found.push(bill);
    }
    const synthetic = parseSyntheticPsnNo(psnNo);
    const population = synthetic === null ? undefined : this.populations.get(synthetic.seed);
    if (synthetic === null || population === undefined) return found;
    // A synthetic person's bills are all at its institution.
    for (let index = this.billCursor.get(psnNo) ?? 0; index < Math.min(population.billsPerPerson, billsPerPersonMax) && found.length < limit; index += 1) {
      if (this.consumed.has(syntheticMdtrtId(synthetic.seed, synthetic.index, index))) continue;
      const bill = syntheticBill(population, synthetic.index, index);
      if (bill.fixmedins_code === fixmedinsCode) found.push(bill);
    }
    return found;
  }

  /** Marks a bill settled (by a settlement in force) or pending again. */
  private consume(mdtrtId: string, setlId: string | null): void {
    if (setlId === null) this.consumed.delete(mdtrtId);
    else this.consumed.set(mdtrtId, setlId);
    const synthetic = parseSyntheticMdtrtId(mdtrtId);
    if (synthetic === null) return;
    const psnNo = syntheticPsnNo(synthetic.seed, synthetic.index);
    let cursor = this.billCursor.get(psnNo) ?? 0;
    if (setlId === null) cursor = Math.min(cursor, synthetic.bill);
    else while (this.consumed.has(syntheticMdtrtId(synthetic.seed, synthetic.index, cursor))) cursor += 1;
    this.billCursor.set(psnNo, cursor);
  }

  private updatePerson(psnNo: string, change: (person: Person) => Person): void {
    const held = this.person(psnNo);
    assert(held !== undefined, `person ${psnNo} is known`);
    this.persons.set(psnNo, { person: change(held.person), credentials: held.credentials });
  }

  /**
   * Applies a settlement's acc_delta (+1) or its undoing (-1), and books its
   * personal-account payment from the hub's own balance: taking it puts it in
   * force, undoing gives back exactly what was taken. No balance a terminal
   * states is ever booked.
   */
  private charge(settlement: Settlement, sign: 1 | -1): void {
    const event = settlement.event;
    this.updatePerson(event.input.psn_no, (person) => {
      const applied = applyAccDelta(person.ytd, event.input.date, event.result.acc_delta, sign);
      assert(applied.ok, `accumulators of ${person.psn_no} stay in range (checked before the event)`);
      let balance = person.acct_balance;
      if (sign === 1) {
        // Handlers refuse a payment the balance cannot cover; a log from before that rule is booked as it was: what the balance held.
        settlement.accountDebit = Math.min(balance, event.result.setlinfo.acct_pay);
        balance -= settlement.accountDebit;
      } else {
        balance += settlement.accountDebit;
        settlement.accountDebit = 0;
      }
      return { ...person, ytd: { year: applied.ytd.year, acc: { ...applied.ytd.acc } }, acct_balance: balance };
    });
  }

  // ---- the ledger ----------------------------------------------------------

  settlement(setlId: string): Settlement | undefined {
    return this.bySetlId.get(setlId);
  }

  settlementBySeq(terminal: string, seq: number): Settlement | undefined {
    return this.settledBySeq.get(`${terminal}:${seq}`);
  }

  cancellationBySeq(terminal: string, seq: number): Cancellation | undefined {
    return this.cancelBySeq.get(`${terminal}:${seq}`);
  }

  tombstoned(terminal: string, oinfno: 'settle' | 'cancel', seq: number): boolean {
    return this.tombstones.has(`${terminal}:${oinfno}:${seq}`);
  }

  private settled(event: EventOf<'settled'>): void {
    assert(!this.bySetlId.has(event.setl_id), 'settlement ids are unique');
    const settlement: Settlement = { event, cancelled: null, reversed: false, accountDebit: 0 };
    this.ledger.push(settlement);
    this.ofTerminal(event.terminal).settlements.push(settlement);
    this.bySetlId.set(event.setl_id, settlement);
    if (event.source === 'settle') this.settledBySeq.set(`${event.terminal}:${event.seq}`, settlement);
    if (event.local_setl_id !== null) this.terminal(event.terminal).advices.set(event.local_setl_id, settlement);
    this.consume(event.input.mdtrt_id, event.setl_id);
    this.charge(settlement, 1);
  }

  private cancelled(event: EventOf<'cancelled'>): void {
    const settlement = this.bySetlId.get(event.setl_id);
    assert(settlement !== undefined && settlement.cancelled === null && !settlement.reversed, 'only a settlement in force is cancelled');
    settlement.cancelled = event;
    const cancellation: Cancellation = { event, reinstated: false };
    this.cancellations.set(event.cancel_setl_id, cancellation);
    this.ofTerminal(event.terminal).cancellations.push(cancellation);
    this.cancelBySeq.set(`${event.terminal}:${event.seq}`, cancellation);
    this.consume(settlement.event.input.mdtrt_id, null);
    this.charge(settlement, -1);
  }

  private reversal(event: EventOf<'reversal'>): void {
    if (!event.reversed) {
      if (event.setl_id === null) this.tombstones.add(`${event.terminal}:${event.oinfno}:${event.omsgid}`);
      return;
    }
    if (event.oinfno === 'settle') {
      const settlement = this.settledBySeq.get(`${event.terminal}:${event.omsgid}`);
      assert(settlement !== undefined && settlement.cancelled === null && !settlement.reversed, 'a reversed settle was in force');
      settlement.reversed = true;
      this.consume(settlement.event.input.mdtrt_id, null);
      this.charge(settlement, -1);
      return;
    }
    const cancellation = this.cancelBySeq.get(`${event.terminal}:${event.omsgid}`);
    assert(cancellation !== undefined && !cancellation.reinstated, 'a reversed cancel was in force');
    const settlement = this.bySetlId.get(cancellation.event.setl_id) as Settlement;
    assert(!this.consumed.has(settlement.event.input.mdtrt_id), 'a reinstated settlement takes its bill back (checked before the event)');
    cancellation.reinstated = true;
    settlement.cancelled = null;
    this.consume(settlement.event.input.mdtrt_id, settlement.event.setl_id);
    this.charge(settlement, 1);
  }

  // ---- reconciliation and clearing -----------------------------------------

  private ofTerminal(terminal: string): { settlements: Settlement[]; cancellations: Cancellation[] } {
    let held = this.byTerminal.get(terminal);
    if (held === undefined) this.byTerminal.set(terminal, (held = { settlements: [], cancellations: [] }));
    return held;
  }

  /** A terminal's settlements, advices and cancellations as reconciliation counts them. */
  *reconItems(terminal: string): Generator<ReconItem> {
    const held = this.byTerminal.get(terminal) ?? { settlements: [], cancellations: [] };
    for (const settlement of held.settlements) {
      const event = settlement.event;
      const { medfee_sumamt, fund_pay_sumamt, acct_pay, psn_cash_pay } = event.result.setlinfo;
      const common = { mdtrt_id: event.input.mdtrt_id, psn_no: event.input.psn_no, medfee_sumamt, fund_pay_sumamt, acct_pay, psn_cash_pay };
      if (!settlement.reversed) {
        yield { ...common, kind: event.source, setl_id: event.setl_id, setl_time: event.setl_time, funds: event.result.setldetail, inForce: settlement.cancelled === null };
      }
    }
    for (const cancellation of held.cancellations) {
      const event = cancellation.event;
      if (cancellation.reinstated) continue;
      const settled = (this.bySetlId.get(event.setl_id) as Settlement).event;
      const { medfee_sumamt, fund_pay_sumamt, acct_pay, psn_cash_pay } = settled.result.setlinfo;
      yield { kind: 'cancel', setl_id: event.cancel_setl_id, mdtrt_id: settled.input.mdtrt_id, psn_no: settled.input.psn_no, setl_time: event.cancel_time, medfee_sumamt, fund_pay_sumamt, acct_pay, psn_cash_pay, funds: [], inForce: true };
    }
  }

  /** Settlements in force whose time falls in a month (YYYY-MM, China time). */
  *settlementsInMonth(month: string): Generator<EventOf<'settled'>> {
    for (const settlement of this.ledger) {
      if (settlement.reversed || settlement.cancelled !== null) continue;
      if (chinaDate(settlement.event.setl_time).startsWith(month)) yield settlement.event;
    }
  }
}
