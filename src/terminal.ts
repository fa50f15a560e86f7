// Boot and wiring of one terminal (docs/design.md, one settlement end to end, step
// 1): the journal replayed, the catalogue and policy book opened under the
// pinned hub key, the hub client, the drivers given their ports, the session
// on top; then whatever a power cut left is resolved (reversals queued,
// receipts reprinted) before the first patient. What the terminal runs on is
// passed in: ports, the link to the hub, time, storage, keys (docs/conventions.md habit
// 6), so `run` (real ports, src/cli/run.ts), the emulated profile and the
// tests boot the same way.
import assert from 'node:assert';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Signer, Verifier } from '../protocol/crypto';
import { CardReader } from '../device/card-reader';
import { ReceiptBuilder } from '../device/escpos';
import { Gb18030Encoder } from '../device/gb18030';
import type { Clock, Port } from '../device/port';
import { ReceiptPrinter } from '../device/printer';
import { QrScanner } from '../device/qr-scanner';
import { printerChunkBytes } from '../device/limits';
import { CatalogueFormatError, type Catalogue } from './catalogue/layout';
import { PolicyBookError, type PolicyBook } from './catalogue/policy-book';
import { catalogueKind, catalogueLine, policyBookKind, policyBookLine, SignedStore } from './catalogue/store';
import { terminalVersion } from './cli/version';
import type { Log } from './log';
import { HubClient, type HubLink } from './hub/client';
import { hubFrameBytesTypical } from './hub/limits';
import { TerminalJournal } from './journal/journal';
import { chinaDate } from './journal/recon';
import { reconDaysMax, storeRepairRetryMs } from './limits';
import { nodeJournalStorage, type JournalStorage } from './journal/storage';
import type { State } from './session/machine';
import type { ReceiptDocument } from './session/receipt';
import type { Layout } from './session/screens';
import { Session, type DeviceResult, type Display, type Keypad } from './session/session';

export interface TerminalParts {
  readonly id: string;
  readonly fixmedinsCode: string;
  readonly institutionName: string;
  /** The state directory: journal, catalogue, policy book. */
  readonly dir: string;
  readonly storage?: JournalStorage;
  readonly signer: Signer;
  /** The hub's keys by kid, pinned in the profile. */
  hubKeys(kid: Uint8Array | null): Verifier | null;
  /** Opens (again, after a failure) the link to the hub. */
  connect(): Promise<HubLink>;
  readonly ports: { readonly card: Port | null; readonly scanner: Port | null; readonly printer: Port };
  readonly display: Display;
  readonly keypad: Keypad;
  readonly timers: Clock;
  /** Wall-clock seconds; the hub's time at sign-in corrects it. */
  timeS(): number;
  random(): number;
  readonly layout: Layout;
  readonly offlineFloorFen: number;
  readonly receiptCells?: number;
  readonly hubTimeoutsMs?: { readonly request?: number; readonly settle?: number; readonly attempts?: number };
  /** The hub line's speed, bits per second (a serial or simulated line): the client's deadlines and the session's hub states follow it. */
  readonly hubBaud?: number;
  readonly timeoutsMs?: Partial<Record<State, number>>;
  /**
   * Where the terminal's log entries go (src/log.ts: `run` writes them on
   * stderr; the demo's console, a test's list). One sink, not an event: every
   * entry has exactly one place to go. Who wants to watch the terminal
   * listens to its parts: `terminal.session.on('state', …)`,
   * `terminal.client.on('heartbeat', …)`, `terminal.catalogue.on('fault', …)`.
   */
  readonly log?: Log;
  /** Aborted, the boot stops waiting for the hub (its client closes): a stop asked for while the terminal boots. */
  readonly signal?: AbortSignal;
}

export interface Terminal {
  readonly session: Session;
  readonly client: HubClient;
  readonly journal: TerminalJournal;
  readonly catalogue: SignedStore<Catalogue>;
  readonly policyBook: SignedStore<PolicyBook>;
  /** What boot found left by a power cut: reversals queued, receipts printed again. */
  readonly recovered: { readonly reversed: readonly string[]; readonly reprinted: readonly string[] };
  /** Serves patients until `close()`. */
  run(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Prints a receipt document as ESC/POS (GB18030 text, a QR code of the
 * settlement id, a cut), in jobs of whole lines under the driver's chunk
 * size: the driver checks the status between chunks, and a status query must
 * never land inside a command or a two-byte character (a printer would read
 * it as their bytes).
 */
async function printReceipt(printer: ReceiptPrinter, encoder: Gb18030Encoder, document: ReceiptDocument): Promise<DeviceResult<unknown>> {
  let job = new ReceiptBuilder(encoder).init();
  let out: DeviceResult<unknown> = { ok: true, value: null };
  for (let index = 0; index < document.lines.length && out.ok; index += 1) {
    const line = document.lines[index] as ReceiptDocument['lines'][number];
    if (line.kind === 'text') job.align(line.align).bold(line.bold).size(line.double ? 2 : 1, line.double ? 2 : 1).line(line.text);
    else if (line.kind === 'qr') job.align('center').qr(line.data);
    else if (line.kind === 'feed') job.feed(line.lines);
    else job.cut();
    const bytes = job.finish();
    if (!bytes.ok) return bytes;
    if (bytes.value.length > printerChunkBytes / 2 || index === document.lines.length - 1) {
      out = await printer.print(bytes.value);
      job = job.reset();
    }
  }
  return out;
}

/** Boots a terminal: everything up to the point where it can take a patient. */
export async function bootTerminal(parts: TerminalParts): Promise<Terminal> {
  const { dir, timers, ports, hubKeys } = parts;
  const log: Log = parts.log ?? (() => {});
  mkdirSync(dir, { recursive: true });
  const journal = TerminalJournal.open({ storage: parts.storage ?? nodeJournalStorage(), file: join(dir, 'journal') });
  if (journal.tornBytes > 0) log('warn', 'journal torn tail cut', { bytes: journal.tornBytes });
  const line = catalogueLine(parts.fixmedinsCode);
  assert(line !== null, 'the institution is a national fixmedins code (the profile checks it)');
  const catalogue = SignedStore.open(catalogueKind, { dir, hubKeys, line });
  const policyBook = SignedStore.open(policyBookKind, { dir, hubKeys, line: policyBookLine });
  const stores = { catalogue, policy_book: policyBook };
  // A store that cannot serve its current file tells the hub and fetches a snapshot by itself, at the next idle moment.
  const repairs = new Set<'catalogue' | 'policy_book'>();
  let repairAfterMs = 0;
  for (const store of [catalogue, policyBook]) {
    if (store.bootProblem !== null) log('warn', 'store cannot serve', { kind: store.type.kind, why: store.bootProblem });
    if (store.fault !== null) repairs.add(store.type.kind);
    store.on('fault', (fault) => {
      log('warn', 'store fault, fetching a snapshot', { kind: fault.kind, why: fault.why });
      repairs.add(fault.kind);
    });
  }
  let behind = false;
  let verified = false;
  let reconciled = '';
  const client = await HubClient.open({
    terminal: parts.id,
    fixmedinsCode: parts.fixmedinsCode,
    firmware: terminalVersion,
    connect: parts.connect,
    signer: parts.signer,
    hubKeys,
    journal,
    timers,
    timeS: parts.timeS,
    random: parts.random,
    stores,
    requestTimeoutMs: parts.hubTimeoutsMs?.request,
    settleTimeoutMs: parts.hubTimeoutsMs?.settle,
    attemptsMax: parts.hubTimeoutsMs?.attempts,
    baud: parts.hubBaud,
  });
  const halt = () => void client.close();
  if (parts.signal?.aborted) halt();
  parts.signal?.addEventListener('abort', halt);
  // On a line, a hub state waits as long as its requests may: a sign-in and a query, or a bill's first pages.
  const hubPatienceMs = client.patienceMs(hubFrameBytesTypical);
  client.on('heartbeat', (reply) => (behind ||= reply.catalogue_version !== catalogue.version || reply.policy_version !== policyBook.version));
  // Journaled by the client; the idle screen counts the refused advices for staff.
  client.on('refused', (item, code) => log('warn', 'refused by the hub', { kind: item.kind, id: item.id, code }));
  const encoder = new Gb18030Encoder();
  const printer = new ReceiptPrinter(ports.printer, { clock: timers });
  const syncOne = async (kind: 'catalogue' | 'policy_book') => {
    // A store with a fault asks for a snapshot and says why: the hub records it (the manifest's `fault`).
    const fault = stores[kind].fault !== null;
    const out = await client.sync(kind, { fault });
    log(out.ok ? 'info' : 'warn', 'sync', { kind, repair: fault, ...(out.ok ? { version: out.value.version } : { code: out.error.code }) });
    if (out.ok && stores[kind].fault === null) repairs.delete(kind);
    else if (fault) repairAfterMs = timers.nowMs() + storeRepairRetryMs;
  };
  const sync = async () => {
    for (const kind of ['catalogue', 'policy_book'] as const) await syncOne(kind);
  };
  const session = new Session({
    client,
    journal,
    catalogue,
    policyBook,
    card: ports.card && new CardReader(ports.card, { clock: timers }),
    scanner: ports.scanner && new QrScanner(ports.scanner, { clock: timers }),
    printer: { print: (document) => printReceipt(printer, encoder, document) },
    display: parts.display,
    keypad: parts.keypad,
    timers,
    layout: parts.layout,
    terminal: parts.id,
    institutionName: parts.institutionName,
    offlineFloorFen: parts.offlineFloorFen,
    receiptCells: parts.receiptCells,
    timeoutsMs: { ...(parts.hubBaud && { person: 2 * hubPatienceMs, bill: 4 * hubPatienceMs }), ...parts.timeoutsMs },
    // A damaged page has told its store already; anything else a visit met in a store is told here.
    onStoreFault: (error) => {
      if (error instanceof PolicyBookError) policyBook.reportFault(error.message);
      else if (error instanceof CatalogueFormatError) catalogue.reportFault(error.message);
    },
    // While nobody waits: every page of the stored files checked once (a damaged one is a fault), a repair
    // of a store with a fault, a newer catalogue or policy book (a heartbeat said so), and, once a day is
    // over, its reconciliation, which lets the journal rotate.
    idleWork: async () => {
      if (!verified) for (const store of [catalogue, policyBook]) store.verifyAll();
      verified = true;
      if (timers.nowMs() >= repairAfterMs) for (const kind of [...repairs]) await syncOne(kind);
      if (behind) {
        behind = false;
        await sync();
      }
      const yesterday = chinaDate(client.nowS() - 86_400);
      const first = journal.entries()[0];
      if (reconciled < yesterday && first !== undefined && chinaDate(first.setlTime ?? first.time) <= yesterday) {
        const out = await client.reconcile(chinaDate(Math.max(first.setlTime ?? first.time, client.nowS() - reconDaysMax * 86_400)), yesterday);
        log(out.ok && out.value.agree ? 'info' : 'warn', 'reconciliation', { through: yesterday, ...(out.ok ? { differences: out.value.mismatches.length } : { code: out.error.code }) });
        if (out.ok && out.value.agree) reconciled = yesterday;
      }
    },
  });
  const recovered = await session.recover();
  if (recovered.reversed.length + recovered.reprinted.length > 0) log('warn', 'recovered', { reversed: recovered.reversed.join(' '), reprinted: recovered.reprinted.join(' ') });
  // A terminal that never had a catalogue or policy book fetches them before its first patient.
  if (catalogue.version === null || policyBook.version === null) await sync();
  let running: Promise<void> | null = null;
  return {
    session,
    client,
    journal,
    catalogue,
    policyBook,
    recovered,
    run() {
      // Signing in, sending what is queued and preparing the printer's code table happen while the idle screen shows.
      client.start();
      void client.signIn().then((out) => log(out.ok ? 'info' : 'warn', 'hub sign-in', out.ok ? { session: out.value.session } : { code: out.error.code }));
      timers.setTimeout(() => encoder.prepare(), 0);
      running = session.run();
      return running;
    },
    async close() {
      // The client first: a request in flight (a settle included) ends now, not after its every attempt.
      session.stop();
      await client.close();
      await running;
      await Promise.all([ports.card?.close(), ports.scanner?.close(), ports.printer.close()]);
    },
  };
}
