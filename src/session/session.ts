// The terminal's session (issue 8; docs/design.md, one settlement end to end): the
// control flow on top of the state machine in machine.ts. Each state's work
// is one method that waits for the patient, a device or the hub within the
// state's timeout and yields one event; `run` looks the next state up in the
// transition table and shows its screen. The hub client journals every commit
// point of a settlement (intent, the hub's verdict, reversal, advice); the
// session adds `printed`.
//
// The devices, the display and the keypad are given (docs/conventions.md habit 7); this
// module only knows them by the small interfaces below, which the drivers of
// device/ satisfy (the wiring in src/terminal.ts joins them).
import assert from 'node:assert';
import { EventEmitter } from 'node:events';
import type TypedEmitter from 'typed-emitter';
import { createCborEncoder } from '../../protocol/cbor-encode';
import { crc32 } from '../../protocol/framing';
import type { BodyOf, Credential, Institution, Person } from '../../protocol/messages';
import { settleRequest, visitCase } from '../../protocol/settle-request';
import type { Catalogue } from '../catalogue/layout';
import type { PolicyBook } from '../catalogue/policy-book';
import { settleLocally } from '../catalogue/settle-local';
import { isStoreFault, type SignedStore } from '../catalogue/store';
import { addDays, filingPolicyOf, offeredFiling, temporaryCutFen } from '../core/filing';
import type { Settlement } from '../core/types';
import type { HubClient, Timers, Who } from '../hub/client';
import type { Entry, TerminalJournal } from '../journal/journal';
import { chinaDate } from '../journal/recon';
import { hubAttemptsMax, hubRequestTimeoutMs } from '../hub/limits';
import {
  cardReadTimeoutMs,
  doneShownMs,
  idlePollMs,
  idleRefreshMs,
  messageShownMs,
  patientInputTimeoutMs,
  pinAttemptsMax,
  printTimeoutMs,
  reprintsAtBootMax,
  sessionStepsMax,
} from '../limits';
import { nextState, type Event, type State } from './machine';
import { receiptFor, type ReceiptDocument } from './receipt';
import { model, text, type FilingOffer, type Layout, type ScreenModel } from './screens';

/** What a device gives back: a value, or a failure with a stable code (device/port.ts's Result fits). */
export type DeviceResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: { readonly code: string; readonly retriesLeft?: number } };

/** What the card reader reads off a social-security card (device/iso7816.ts's credential fits). */
export interface CardCredential {
  readonly cardNumber: string;
  readonly idNumber: string;
  readonly name: string;
  readonly cardSerial: string;
}

export interface CardSlot {
  presence(): Promise<DeviceResult<'absent' | 'present' | 'powered'>>;
  readCredential(pin: string): Promise<DeviceResult<CardCredential>>;
}

export interface Scanner {
  next(timeoutMs: number): Promise<DeviceResult<{ readonly token: string }>>;
}

/** Prints a receipt document (the wiring turns it into ESC/POS). */
export interface Printer {
  print(receipt: ReceiptDocument): Promise<DeviceResult<unknown>>;
}

/** Shows a state: its text frame on the layout, and the model it was laid out from (the kiosk's web page renders that). */
export interface Display {
  show(frame: readonly string[], model: ScreenModel): void;
}

/**
 * The patient's keys, one token at a time: a PIN (4 to 12 digits), `ok`,
 * `cancel`, `back`, `1` (use the personal account), `2` (cash only).
 * Rejects with the signal's reason when the signal aborts.
 */
export interface Keypad {
  next(signal: AbortSignal): Promise<string>;
}

export interface SessionOptions {
  readonly client: HubClient;
  readonly journal: TerminalJournal;
  readonly catalogue: SignedStore<Catalogue>;
  readonly policyBook: SignedStore<PolicyBook>;
  readonly card: CardSlot | null;
  readonly scanner: Scanner | null;
  readonly printer: Printer;
  readonly display: Display;
  readonly keypad: Keypad;
  readonly timers: Timers;
  readonly layout: Layout;
  readonly terminal: string;
  readonly institutionName: string;
  /** The profile's offline floor limit, fen (0: never offline); the hub's, when lower, wins. */
  readonly offlineFloorFen: number;
  /** Receipt width in cells (32 for 58 mm paper, 48 for 80 mm). */
  readonly receiptCells?: number;
  /** Per-state timeouts, ms (tests shorten them). */
  readonly timeoutsMs?: Partial<Record<State, number>>;
  /** Work for an idle moment (catalogue sync), run at each idle redraw. A function, not an event: the session awaits it before it goes on. */
  idleWork?(): Promise<void>;
  /**
   * Told a store failure a visit met (a damaged page has already told its
   * store; anything else is told here). One callback, not an event: it is
   * the wiring's duty (it hands the fault to the store it belongs to, which
   * starts the repair), not something for others to watch.
   */
  onStoreFault?(error: Error): void;
}

/**
 * What the session tells those who watch it (`session.on`). An event, not a
 * callback given at construction: the emulated patients, the demo's logs and
 * the tests each watch the states, and none of them is awaited. The display
 * is not a listener: it is shown every state's frame before any event.
 */
export type SessionEvents = {
  /** Every state entered, after the display shows its frame (the listener has the session: `session.visit` is what it knows). */
  state: (state: State) => void;
};

/** One way of paying for the bill, settled locally: the request the hub will recompute. */
export interface Local {
  readonly body: BodyOf<'settle'>;
  readonly output: Settlement;
}

/** A local settlement, or the refusal it met. */
type LocalOutcome = { ok: true; local: Local } | { ok: false; code: string };

/** What the session knows of the patient in front of it; a new one at every idle. */
export interface Visit {
  credential: Credential | null;
  card: CardCredential | null;
  pin: string;
  pinTries: number;
  person: Person | null;
  institution: Institution | null;
  bill: Omit<BodyOf<'bill_query_reply'>, 'page'> | null;
  /** The bill's items by name, as the catalogue has them. */
  names: string[];
  /** The bill settled locally: paying cash only, and with the personal account (null without a balance). */
  cash: Local | null;
  account: Local | null;
  useAccount: boolean;
  page: number;
  /** What the message screen says (a refusal or failure code), or a note on another screen. */
  code: string | null;
  setl: { readonly id: string; readonly entry: string; readonly time: number; readonly offline: boolean } | null;
  /** The receipt as it prints (the done screen shows it). */
  receipt: ReceiptDocument | null;
  /** The filing offered to a patient refused for want of one (issue 16). */
  offer: FilingOffer | null;
}

const freshVisit = (): Visit => ({
  credential: null, card: null, pin: '', pinTries: 0, person: null, institution: null, bill: null, names: [], cash: null, account: null, useAccount: false, page: 0, code: null, setl: null, receipt: null, offer: null,
});

/** Default timeouts per state, ms: the patient's, the devices' and the hub's (src/limits.ts). */
function defaultTimeoutsMs(): Record<State, number> {
  const hubMs = 2 * hubAttemptsMax * hubRequestTimeoutMs;
  return {
    idle: idleRefreshMs,
    pin: patientInputTimeoutMs,
    card: cardReadTimeoutMs,
    person: hubMs,
    bill: 2 * hubMs,
    filing: patientInputTimeoutMs,
    review: patientInputTimeoutMs,
    confirm: patientInputTimeoutMs,
    // The client bounds a settle itself (attempts, then its reversal); this only shows how long.
    settle: hubMs * 4,
    print: printTimeoutMs,
    done: doneShownMs,
    message: messageShownMs,
  };
}

const pinPattern = /^[0-9]{4,12}$/;

/** The time of a settlement as the receipt prints it: China time, minutes. */
export function chinaMinute(timeS: number): string {
  return new Date((timeS + 8 * 3_600) * 1_000).toISOString().slice(0, 16).replace('T', ' ');
}

export class Session extends (EventEmitter as new () => TypedEmitter<SessionEvents>) {
  state: State = 'idle';
  visit: Visit = freshVisit();
  readonly timeoutsMs: Record<State, number>;
  readonly #o: SessionOptions;
  readonly #stop = new AbortController();
  readonly #encoder = createCborEncoder();
  /** One request at a time per device: a read the patient walked away from finishes before the next. */
  #cardQueue: Promise<unknown> = Promise.resolve();
  #printQueue: Promise<unknown> = Promise.resolve();
  /** A card stays in the slot after its session: it starts no other until it is taken out. */
  #cardHeld = false;

  constructor(options: SessionOptions) {
    super();
    this.#o = options;
    this.timeoutsMs = { ...defaultTimeoutsMs(), ...options.timeoutsMs };
  }

  /** Runs patient after patient until `stop()`. */
  async run(): Promise<void> {
    this.#enter('idle');
    for (let steps = 0; !this.#stop.signal.aborted; steps += 1) {
      const event = await this.#step(this.state);
      if (this.#stop.signal.aborted) break;
      const next = nextState(this.state, event);
      assert(next !== undefined, `state ${this.state} takes no event ${event}`);
      if (next === 'idle') steps = 0;
      assert(steps < sessionStepsMax, 'a session ends');
      this.#enter(next);
    }
    await Promise.all([this.#cardQueue, this.#printQueue]);
  }

  /** Stops after the work in hand (a settle in flight is waited for: the terminal's close ends it sooner, closing the hub client). Safe twice. */
  stop(): void {
    this.#stop.abort();
  }

  /** The screen of the current state as data (screens.ts): what every renderer draws. */
  model(): ScreenModel {
    const refused = this.state === 'idle' ? this.#o.journal.entries().filter((entry) => entry.kind === 'advice' && entry.outcome === 'refused').length : 0;
    return model(this.state, this.visit, this.#o.layout.linesPerPage, { queued: this.#o.journal.queueLength, online: this.#o.client.signedIn !== null, floorFen: this.#floorFen(), refused });
  }

  /** The screen of the current state, as the text display shows it. */
  frame(): string[] {
    return text(this.model(), this.#o.layout);
  }

  #show(): void {
    const shown = this.model();
    this.#o.display.show(text(shown, this.#o.layout), shown);
  }

  #enter(state: State): void {
    if (state === 'idle' && this.state !== 'idle') this.visit = freshVisit();
    this.state = state;
    this.#show();
    this.emit('state', state);
  }

  #step(state: State): Promise<Event> {
    switch (state) {
      case 'idle':
        return this.#idle();
      case 'pin':
        return this.#pin();
      case 'card':
        return this.#card();
      case 'person':
        return this.#person();
      case 'bill':
        return this.#bill();
      case 'filing':
        return this.#filing();
      case 'review':
        return this.#review();
      case 'confirm':
        return this.#confirm();
      case 'settle':
        return this.#settle();
      case 'print':
        return this.#print();
      case 'done':
      case 'message':
        return this.#acknowledge();
    }
  }

  // ---- waiting ----------------------------------------------------------------

  #nowMs(): number {
    return this.#o.timers.nowMs();
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.#o.timers.setTimeout(resolve, ms));
  }

  /**
   * Waits for `work` (or, without work, for any key), the patient's cancel,
   * or `ms`, whichever comes first: the work's result, the key, `cancel` or
   * `timeout`. The terminal stopping counts as a cancel.
   */
  async #wait<T>(work: Promise<T> | null, ms: number): Promise<T | string> {
    const controller = new AbortController();
    const signal = AbortSignal.any([controller.signal, this.#stop.signal]);
    const keys = (async () => {
      for (;;) {
        const key = await this.#o.keypad.next(signal);
        if (work === null || key === 'cancel') return key;
      }
    })().catch(() => (this.#stop.signal.aborted ? 'cancel' : 'timeout'));
    let handle: unknown;
    const late = new Promise<string>((resolve) => (handle = this.#o.timers.setTimeout(() => resolve('timeout'), Math.max(0, ms))));
    try {
      return await Promise.race(work === null ? [keys, late] : [work, keys, late]);
    } finally {
      controller.abort();
      this.#o.timers.clearTimeout(handle);
    }
  }

  /** The patient's next key before `untilMs`, or `cancel` / `timeout`. */
  #key(untilMs: number): Promise<string> {
    return this.#wait(null, untilMs - this.#nowMs()) as Promise<string>;
  }

  /** `work`'s result, or `cancel` / `timeout` (the work then goes on unwatched). */
  #during<T>(work: Promise<T>, ms: number): Promise<T | 'cancel' | 'timeout'> {
    return this.#wait(work, ms) as Promise<T | 'cancel' | 'timeout'>;
  }

  /** Ends the visit with a message: the code says why (nothing was charged on any of these paths). */
  #end(code: string, event: Event): Event {
    this.visit.code = code;
    return event;
  }

  #ended(out: 'cancel' | 'timeout'): Event {
    return this.#end(out === 'cancel' ? 'patient_cancelled' : 'session_timeout', out);
  }

  #onCard<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#cardQueue.then(work);
    this.#cardQueue = run.catch(() => undefined);
    return run;
  }

  // ---- the states' work -----------------------------------------------------------

  /** Waits for a card in the slot or a scanned e-certificate; redraws (and does idle work) now and then. */
  async #idle(): Promise<Event> {
    const untilMs = this.#nowMs() + this.timeoutsMs.idle;
    const { card, scanner, journal } = this.#o;
    // The idle line's queued count as drawn: redrawn as soon as the queue changes (an advice or a reversal
    // queued or sent while idle), not at the next refresh.
    let drawn = journal.queueLength;
    while (this.#nowMs() < untilMs && !this.#stop.signal.aborted) {
      if (drawn !== (drawn = journal.queueLength)) this.#show();
      if (card !== null) {
        const presence = await this.#onCard(() => card.presence());
        if (presence.ok && presence.value === 'absent') this.#cardHeld = false;
        else if (presence.ok && !this.#cardHeld) {
          this.#cardHeld = true;
          return 'card';
        }
      }
      const scanned = scanner === null ? null : await scanner.next(idlePollMs);
      if (scanned?.ok) {
        this.visit.credential = { kind: 'ecert', id: scanned.value.token, card_sn: null };
        return 'qr';
      }
      if (scanner === null || (!scanned?.ok && scanned?.error.code !== 'timeout')) await this.#sleep(idlePollMs);
    }
    await this.#o.idleWork?.();
    return 'timeout';
  }

  async #pin(): Promise<Event> {
    const untilMs = this.#nowMs() + this.timeoutsMs.pin;
    for (;;) {
      const key = await this.#key(untilMs);
      if (key === 'cancel' || key === 'timeout') return this.#ended(key);
      if (pinPattern.test(key)) {
        this.visit.pin = key;
        return 'pin';
      }
    }
  }

  async #card(): Promise<Event> {
    const card = this.#o.card;
    assert(card !== null, 'a card session has a card reader');
    const pin = this.visit.pin;
    this.visit.pin = '';
    const out = await this.#during(this.#onCard(() => card.readCredential(pin)), this.timeoutsMs.card);
    if (out === 'cancel' || out === 'timeout') return this.#ended(out);
    if (!out.ok) {
      this.visit.pinTries += 1;
      if (out.error.code === 'pin_wrong' && (out.error.retriesLeft ?? 0) > 0 && this.visit.pinTries < pinAttemptsMax) {
        this.visit.code = 'pin_wrong';
        return 'retry';
      }
      return this.#end(out.error.code, 'refused');
    }
    this.visit.code = null;
    this.visit.card = out.value;
    this.visit.credential = { kind: 'ss_card', id: out.value.cardNumber, card_sn: out.value.cardSerial };
    return 'read';
  }

  /** A hub query within the state's time: its value, or the event that ends the visit (a timeout of the hub's is `hub_unreachable`). */
  async #ask<T>(work: Promise<DeviceResult<T>>, ms = this.timeoutsMs[this.state]): Promise<{ value: T } | Event> {
    const out = await this.#during(work, ms);
    if (out === 'cancel' || out === 'timeout') return this.#ended(out);
    return out.ok ? { value: out.value } : this.#end(out.error.code === 'timeout' ? 'hub_unreachable' : out.error.code, 'refused');
  }

  async #person(): Promise<Event> {
    const { kind, id } = this.visit.credential as Credential;
    // An e-certificate's last 8 characters are the CRC-32 of the rest in hex (protocol/messages.ts, ecertCheck).
    if (kind === 'ecert' && crc32(Buffer.from(id.slice(0, -8))) !== Number(`0x${id.slice(-8)}`)) return this.#end('token_check_failed', 'refused');
    const out = await this.#ask(this.#o.client.person(this.visit.credential as Credential));
    if (typeof out === 'string') return out;
    this.visit.person = out.value;
    return 'found';
  }

  /** Fetches the bill, then settles it locally both ways (cash only, and with the account when there is a balance). */
  async #bill(): Promise<Event> {
    const visit = this.visit;
    const person = visit.person as Person;
    const out = await this.#ask(this.#o.client.bill(person.psn_no, null));
    if (typeof out === 'string') return out;
    visit.bill = out.value;
    visit.institution = this.#o.client.signedIn?.institution ?? null;
    return this.#price();
  }

  /** Settles the bill locally both ways; a refusal for want of a filing may become an offer of one (#offer). */
  #price(): Event {
    const visit = this.visit;
    const person = visit.person as Person;
    // Every read of the stores checks what it reads against the hub's signature; a damaged page refuses the
    // visit (the store falls back and repairs itself), never settles it on a wrong value.
    let cash: LocalOutcome;
    let account: LocalOutcome | null;
    try {
      visit.names = (visit.bill as NonNullable<Visit['bill']>).lines.map((line) => this.#o.catalogue.current?.value.record(line.code)?.name ?? line.code);
      cash = this.#local(false);
      account = cash.ok && person.acct_balance > 0 ? this.#local(true) : null;
      if (!cash.ok && this.#offer(cash.code)) return 'offer';
    } catch (error) {
      if (!isStoreFault(error)) throw error;
      this.#o.onStoreFault?.(error);
      return this.#end('store_damaged', 'refused');
    }
    if (!cash.ok) return this.#end(cash.code, 'refused');
    visit.cash = cash.local;
    visit.account = account?.ok ? account.local : null;
    visit.useAccount = visit.account !== null;
    return 'found';
  }

  /**
   * Whether the patient may file here (issue 16; README, off-site filing at
   * the kiosk): refused `filing_required` or `filing_not_valid_on_date`, once
   * per visit, by an insured place whose policy lets a kiosk file, for a
   * visit no further back than it allows, and the bill settles with the
   * temporary filing. The offer keeps the cut against a long-term filing of
   * the same period, and the amounts.
   */
  #offer(code: string): boolean {
    const visit = this.visit;
    const person = visit.person as Person;
    const date = (visit.bill as NonNullable<Visit['bill']>).date;
    const policy = this.#o.policyBook.current?.value.lookup(person.insuplc_admdvs)?.policy;
    const rules = filingPolicyOf(policy);
    const today = chinaDate(this.#o.client.nowS());
    if (visit.offer || !policy || !rules || !/^filing_(required|not_valid_on_date)$/.test(code) || date > today || date < addDays(today, -rules.retroDays)) return false;
    const filing = offeredFiling(rules, (visit.institution as Institution).admdvs, date) as FilingOffer['filing'];
    const priced = (type: typeof filing.type) => ((visit.person = { ...person, filing: { ...filing, type } }), this.#local(false));
    const long = priced('long_term_resident');
    const temporary = priced('temporary');
    visit.person = person;
    if (!long.ok || !temporary.ok) return false;
    const info = temporary.local.output.setlinfo;
    visit.offer = { code, filing, cutBp: policy.offsite.temporary_cut_bp, cut: temporaryCutFen(long.local.output.setlinfo, info), total: info.medfee_sumamt, funds: info.fund_pay_sumamt, yours: info.psn_cash_pay, tel: '' };
    return true;
  }

  /**
   * The offered filing: the patient keys a contact phone and `ok` files it
   * (their commitment; the PIN they gave counts, none is asked again); the
   * bill is then priced with the filing the hub made. A cancel or timeout
   * files nothing; no answer from the hub leaves the refusal standing.
   */
  async #filing(): Promise<Event> {
    const visit = this.visit;
    const offer = visit.offer as FilingOffer;
    const untilMs = this.#nowMs() + this.timeoutsMs.filing;
    for (let key = ''; key !== 'ok' || !offer.tel; ) {
      key = await this.#key(untilMs);
      if (key === 'cancel' || key === 'timeout') return this.#ended(key);
      if (/^[0-9]{5,}$/.test(key)) {
        offer.tel = key;
        this.#show();
      }
    }
    const person = visit.person as Person;
    const out = await this.#ask(this.#o.client.file({ psn_no: person.psn_no, filing: offer.filing, referral_no: null, commitment: true, tel: offer.tel }), this.timeoutsMs.person);
    if (typeof out === 'string') {
      if (visit.code === 'hub_unreachable') visit.code = offer.code;
      return out;
    }
    visit.person = { ...person, filing: out.value.filing };
    return this.#price();
  }

  /**
   * The bill settled on the core with the terminal's catalogue and policy
   * book: the request the hub will recompute. Throws a store fault
   * (isStoreFault) when what it reads fails its check.
   */
  #local(acctUsed: boolean): LocalOutcome {
    const { person, bill, institution } = this.visit;
    const catalogue = this.#o.catalogue.current?.value;
    const book = this.#o.policyBook.current?.value;
    // A store emptied by a fault is repairing itself; one that never had a version needs staff.
    if (!catalogue || !book || !institution) return { ok: false, code: this.#o.catalogue.fault !== null || this.#o.policyBook.fault !== null ? 'store_damaged' : 'catalogue_missing' };
    assert(person !== null && bill !== null, 'a bill to settle and its patient');
    const local = settleLocally(visitCase(bill, person, acctUsed, institution, bill.lines), catalogue, book);
    const output = local.output;
    if (!output.ok) return { ok: false, code: output.error.code };
    const body = settleRequest(this.#encoder, { bill, psnNo: person.psn_no, acctUsed, catalogueVersion: local.catalogueVersion, policyVersion: local.policyVersion, settlement: output });
    return { ok: true, local: { body, output } };
  }

  /** The pre-settlement, a page at a time: `ok` turns the page, `back` goes back; past the last page, on to confirm. */
  async #review(): Promise<Event> {
    const untilMs = this.#nowMs() + this.timeoutsMs.review;
    const pages = pageCount(this.visit, this.#o.layout);
    for (;;) {
      const key = await this.#key(untilMs);
      if (key === 'cancel' || key === 'timeout') return this.#ended(key);
      if (key === 'ok' && this.visit.page + 1 >= pages) return 'ok';
      if (key === 'ok' || (key === 'back' && this.visit.page > 0)) {
        this.visit.page += key === 'ok' ? 1 : -1;
        return 'next';
      }
    }
  }

  /** The personal account or not (`1`, `2`), then `ok` settles. */
  async #confirm(): Promise<Event> {
    const untilMs = this.#nowMs() + this.timeoutsMs.confirm;
    for (;;) {
      const key = await this.#key(untilMs);
      if (key === 'cancel' || key === 'timeout') return this.#ended(key);
      if (key === 'ok') return 'ok';
      if ((key === '1' && this.visit.account !== null) || key === '2') {
        this.visit.useAccount = key === '1';
        this.#show();
      }
    }
  }

  #who(): Who {
    const { card } = this.visit;
    const person = this.visit.person as Person;
    return { name: card?.name ?? person.psn_name, id: card?.idNumber ?? person.psn_no, place: person.insuplc_admdvs };
  }

  /**
   * Settles with the hub. The request is out once this starts: a cancel is
   * remembered and carried out when the hub answers (a confirmed settlement
   * is cancelled); no answer means the client has queued the reversal, and
   * then an outpatient or pharmacy bill at or under the floor limit settles
   * offline instead, as an advice for the hub to replay.
   */
  async #settle(): Promise<Event> {
    const { client, journal } = this.#o;
    const visit = this.visit;
    const local = (visit.useAccount ? visit.account : visit.cash) as Local;
    // What is queued goes first: a bill a crash left in flight is reversed before it is settled again.
    if (journal.queueLength > 0) await client.flush();
    let cancelled = false;
    const controller = new AbortController();
    void (async () => {
      const signal = AbortSignal.any([controller.signal, this.#stop.signal]);
      while ((await this.#o.keypad.next(signal)) !== 'cancel');
      cancelled = true;
      visit.code = 'patient_cancelled';
      this.#show();
    })().catch(() => undefined);
    const out = await client.settle(local.body, this.#who());
    controller.abort();
    if (out.ok) {
      if (cancelled) {
        const { mdtrt_id, psn_no } = local.body.input;
        const undone = await client.cancel({ setl_id: out.value.setl_id, mdtrt_id, psn_no, reason: 'patient cancelled at the terminal' }, local.output.setlinfo);
        if (undone.ok) return this.#end('patient_cancelled', 'cancel');
        // The cancel got no verdict and was reversed: the settlement stands, and its receipt prints.
      }
      visit.code = null;
      visit.setl = { id: out.value.setl_id, entry: out.value.id, time: out.value.setl_time, offline: false };
      return 'confirmed';
    }
    if (out.error.code !== 'timeout') return this.#end(out.error.code, 'refused');
    // A settle the terminal's stop cut short was reversed: no offline settlement in its place.
    if (cancelled || this.#stop.signal.aborted) return this.#end('patient_cancelled', 'cancel');
    const why = this.#offlineRefusal(local);
    if (why !== null) return this.#end(why, 'timeout');
    const id = await client.adviceId();
    const time = client.nowS();
    const body = { local_setl_id: id, settled_time: time, person: visit.person as Person, input: local.body.input, result: local.body.result, result_digest: local.body.result_digest };
    const queued = await client.advise(body, this.#who());
    if (!queued.ok) return this.#end(queued.error.code, 'refused');
    visit.code = null;
    visit.setl = { id, entry: id, time, offline: true };
    return 'offline';
  }

  #floorFen(): number {
    return Math.min(this.#o.offlineFloorFen, this.#o.client.signedIn?.offline_floor ?? this.#o.offlineFloorFen);
  }

  /** Why a bill cannot settle offline (the plain message's code), or null when it can. */
  #offlineRefusal(local: Local): string | null {
    const floorFen = this.#floorFen();
    const { med_type, bill } = local.body.input;
    if (floorFen <= 0) return 'reversed';
    if (med_type !== '11' && med_type !== '41') return 'offline_not_allowed';
    return bill.medfee_sumamt > floorFen ? 'offline_over_limit' : null;
  }

  /**
   * Prints the receipt and journals it printed. A cancel or the timeout only
   * moves the screen on: the receipt goes on printing and is journaled when
   * it is out. A printer failure is shown; the settlement stands either way.
   */
  async #print(): Promise<Event> {
    const visit = this.visit;
    const setl = visit.setl as NonNullable<Visit['setl']>;
    const local = (visit.useAccount ? visit.account : visit.cash) as Local;
    const document = (visit.receipt = this.#receipt(setl.id, setl.time, setl.offline, local.body, this.#who(), false));
    const out = await this.#during(this.#printAndMark(setl.entry, document), this.timeoutsMs.print);
    if (out === 'cancel' || out === 'timeout') return out;
    if (!out.ok) {
      visit.code = out.error.code;
      return 'refused';
    }
    return 'printed';
  }

  #printAndMark(entry: string, document: ReceiptDocument): Promise<DeviceResult<unknown>> {
    const run = this.#printQueue.then(async () => {
      const out = await this.#o.printer.print(document);
      if (out.ok) {
        this.#o.journal.commit({ kind: 'printed', id: entry });
      }
      return out;
    });
    this.#printQueue = run.catch(() => undefined);
    return run;
  }

  #receipt(setlId: string, timeS: number, offline: boolean, body: Pick<BodyOf<'settle'>, 'input' | 'result'>, who: Who, reprint: boolean): ReceiptDocument {
    const o = this.#o;
    return receiptFor(
      {
        institutionName: o.institutionName,
        fixmedinsCode: o.client.signedIn?.institution.fixmedins_code ?? '',
        patientName: who.name,
        patientId: who.id,
        insuredPlace: who.place,
        settledAt: chinaMinute(timeS),
        setlId,
        offline,
        reprint,
        setlinfo: body.result.setlinfo,
        setldetail: body.result.setldetail,
        catalogueVersion: body.input.catalogue_version,
        policyVersion: body.input.policy_version,
        terminalId: o.terminal,
      },
      o.receiptCells,
    );
  }

  /** Done or a message: shown until the patient presses a key, or for the state's time. */
  async #acknowledge(): Promise<Event> {
    const key = await this.#key(this.#nowMs() + this.timeoutsMs[this.state]);
    return key === 'cancel' || key === 'timeout' ? key : 'ok';
  }

  // ---- boot -------------------------------------------------------------------------

  /**
   * Resolves what a power cut left (before the first patient): every settle or
   * cancel in flight gets its reversal queued (the client sends it, and the
   * hub undoes whatever it had done), and every receipt of a settlement that
   * stands but was not printed is printed again, marked as a reprint.
   */
  async recover(): Promise<{ readonly reversed: readonly string[]; readonly reprinted: readonly string[] }> {
    const reversed = await this.#o.client.resolveInFlight();
    const reprinted: string[] = [];
    for (const entry of this.#o.journal.entries()) {
      if (reprinted.length >= reprintsAtBootMax || !unprinted(entry)) continue;
      const body = entry.request as BodyOf<'settle'> | BodyOf<'advice'>;
      const who = entry.who ?? { name: 'person' in body ? body.person.psn_name : '', id: body.input.psn_no, place: 'person' in body ? body.person.insuplc_admdvs : '' };
      const offline = entry.kind === 'advice';
      const document = this.#receipt(offline ? entry.id : (entry.setlId as string), entry.setlTime ?? entry.time, offline, body, who, true);
      if ((await this.#printAndMark(entry.id, document)).ok) reprinted.push(entry.id);
    }
    return { reversed, reprinted };
  }
}

/** A settlement or advice that stands and whose receipt never came out whole. */
function unprinted(entry: Entry): boolean {
  if (entry.printed || entry.cancelledBy !== null || entry.kind === 'cancel') return false;
  return entry.kind === 'advice' ? entry.outcome !== 'refused' : entry.outcome === 'confirmed';
}

/** Pages of the pre-settlement on a layout (screens.ts lays them out). */
export function pageCount(visit: Visit, layout: Layout): number {
  const lines = visit.bill?.lines.length ?? 0;
  return Math.ceil(lines / layout.linesPerPage) + 1;
}
