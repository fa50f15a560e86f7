// One terminal of the firmware (src/terminal.ts: boot, session, drivers, hub
// client, journal) on the emulated site (device/sim/site.ts: emulators and the
// reference hub over simulated lines), in this process, for the session's
// suites: a patient that acts on the screens as a test scripts it, the
// states the session passed through, and what the hub holds at the end.
import { createHash } from 'node:crypto';
import path from 'node:path';
import { keyring } from '../../protocol/crypto';
import { nodeCryptoProvider } from '../../protocol/crypto-node';
import { ReferenceHub } from '../../device/sim/hub/hub';
import { seedIdentities, seedPersons } from '../../device/sim/hub/seed';
import { KeyQueue } from '../../device/keypad';
import { systemClock, type Port } from '../../device/port';
import { Site, type SiteTerminal } from '../../device/sim/site';
import { fillStores } from '../../device/sim/hub/provision';
import type { JournalStorage } from '../../src/journal/storage';
import type { State } from '../../src/session/machine';
import { layouts } from '../../src/session/screens';
import type { Session } from '../../src/session/session';
import { bootTerminal, type Terminal, type TerminalParts } from '../../src/terminal';
import { tempDir } from './hub-rig';

/** 2026-06-30 09:00 China time, the demo's day. */
export const rigDayS = Date.parse('2026-06-30T01:00:00Z') / 1_000;

export const identities = seedIdentities();
/** The seed patients by their story. */
export const zhang = identities[0] as (typeof identities)[number];
export const wang = identities[1] as (typeof identities)[number];
export const hegang = identities[2] as (typeof identities)[number];
export const unfiled = identities[4] as (typeof identities)[number];
export const pharmacyBuyer = identities[5] as (typeof identities)[number];

/** What the patient does on entering a state (keys to press, a card to take out), or nothing (they walk away). */
export type Script = Partial<Record<State, (rig: TerminalRig, session: Session) => void>>;

/** The ordinary patient: PIN, through the pages, pays as `account` says, takes the receipt and the card. */
export function compliant(account = true): Script {
  return {
    pin: (rig) => rig.keys.push('123456'),
    review: (rig) => rig.keys.push('ok'),
    confirm: (rig) => {
      rig.keys.push(account ? '1' : '2');
      rig.keys.push('ok');
    },
    done: (rig) => {
      rig.far.card.remove();
      rig.keys.push('ok');
    },
    message: (rig) => {
      rig.far.card.remove();
      rig.keys.push('ok');
    },
  };
}

export interface RigOptions {
  readonly fixmedins?: string;
  readonly id?: string;
  readonly baud?: number;
  readonly loss?: number;
  readonly storage?: JournalStorage;
  readonly timeoutsMs?: TerminalParts['timeoutsMs'];
  readonly hubTimeoutsMs?: TerminalParts['hubTimeoutsMs'];
  readonly offlineFloorFen?: number;
  readonly layout?: 'kiosk' | 'handheld';
  /** An existing rig's directory: the same hub and terminal state, booted again. */
  readonly dir?: string;
  /** Whether the hub fills empty stores before boot (the factory's provisioning; default yes): without it the terminal syncs over its line. */
  readonly provision?: boolean;
}

export class TerminalRig {
  readonly states: State[] = [];
  readonly frames: string[][] = [];
  readonly keys = new KeyQueue();
  script: Script = {};
  #idle: (() => void) | null = null;
  #visits = 0;

  private constructor(
    readonly dir: string,
    readonly site: Site,
    readonly far: SiteTerminal,
    public terminal: Terminal,
    readonly remove: () => void,
  ) {}

  static async open(options: RigOptions = {}): Promise<TerminalRig> {
    const temp = options.dir === undefined ? tempDir('terminal-rig-') : { dir: options.dir, remove: () => {} };
    const id = options.id ?? 'T-RIG';
    const fixmedins = options.fixmedins ?? zhang.fixmedins_code;
    const timeS = () => rigDayS + Math.floor(systemClock.nowMs() / 1_000);
    const site = new Site({ kind: 'emulated', dir: temp.dir, line: { baud: options.baud ?? 921_600, loss: options.loss ?? 0, seed: 7 }, clock: systemClock, timeS, openHub: (dir) => ReferenceHub.open({ dir, timeS }) });
    const signer = nodeCryptoProvider.signer(new Uint8Array(createHash('sha256').update(`rig ${id}`).digest()));
    const dir = path.join(temp.dir, id);
    const far = await site.terminal({ id, fixmedinsCode: fixmedins, dir, publicKey: signer.publicKey, ...(options.provision === false ? {} : { provision: fillStores }) });
    const ports = far.ports as NonNullable<SiteTerminal['ports']>;
    let rig: TerminalRig | null = null;
    const layout = layouts[options.layout ?? 'kiosk'];
    const terminal = await bootTerminal({
      id,
      fixmedinsCode: fixmedins,
      institutionName: '测试医院 Test hospital',
      dir,
      storage: options.storage,
      signer,
      hubKeys: keyring([nodeCryptoProvider.verifier(far.hubPublicKey)]),
      connect: far.connect as () => Promise<Port>,
      ports,
      display: { show: (frame) => rig?.frames.push([...frame]) },
      keypad: { next: (signal) => (rig as TerminalRig).keys.next(signal) },
      timers: systemClock,
      timeS,
      random: () => 0.5,
      layout,
      offlineFloorFen: options.offlineFloorFen ?? 50_000,
      receiptCells: 32,
      hubTimeoutsMs: { request: 400, settle: 600, attempts: 3, ...options.hubTimeoutsMs },
      timeoutsMs: { idle: 2_000, ...options.timeoutsMs },
    });
    terminal.session.on('state', (state) => rig?.onState(state, terminal.session));
    rig = new TerminalRig(temp.dir, site, far, terminal, temp.remove);
    void terminal.run();
    // Ready once signed in: the hub line is dialled (a test may cut it) and the clock set by the hub's.
    for (let waited = 0; terminal.client.signedIn === null && waited < 10_000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
    return rig;
  }

  get hub(): ReferenceHub {
    return this.site.hub;
  }

  get session(): Session {
    return this.terminal.session;
  }

  private onState(state: State, session: Session): void {
    this.states.push(state);
    // Idle again after the visit (not an idle redraw before the card or code was noticed).
    if (state === 'idle' && this.states.some((seen) => seen !== 'idle')) {
      const wake = this.#idle;
      this.#idle = null;
      wake?.();
      return;
    }
    this.script[state]?.(this, session);
  }

  /**
   * Presents a patient (their card, or their e-certificate) with a script,
   * and resolves once the terminal is idle again: the states it passed
   * through, and the code it ended with.
   */
  async visit(patient: Pick<(typeof identities)[number], 'psn_no' | 'ecert'>, how: 'card' | 'qr', script: Script, timeoutMs = 20_000): Promise<{ states: State[]; code: string | null; setl: Session['visit']['setl'] }> {
    this.script = script;
    this.states.length = 0;
    this.#visits += 1;
    let last: Session['visit'] | null = null;
    const onEnd = (state: State, session: Session) => {
      if (state === 'done' || state === 'message') last = { ...session.visit };
    };
    const wrapped: Script = { ...script };
    for (const state of ['done', 'message'] as const) {
      const inner = script[state];
      wrapped[state] = (rig, session) => {
        onEnd(state, session);
        inner?.(rig, session);
      };
    }
    this.script = wrapped;
    const idle = new Promise<void>((resolve) => (this.#idle = resolve));
    if (how === 'card') this.far.card.insert(patient.psn_no.toLowerCase());
    else await this.far.scanner.scan(patient.ecert);
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([idle, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`visit ${this.#visits} did not end: ${this.states.join(' ')}`)), timeoutMs)))]);
    clearTimeout(timer);
    await this.takeCard();
    const ended = last as Session['visit'] | null;
    const first = this.states.findIndex((state) => state !== 'idle');
    return { states: this.states.slice(first), code: ended?.code ?? null, setl: ended?.setl ?? null };
  }

  /** Takes the card out and waits until the terminal has looked at the empty slot (it starts no session with a card it saw before). */
  async takeCard(): Promise<void> {
    this.far.card.remove();
    const seen = this.far.card.stats.requests;
    for (let waited = 0; this.far.card.stats.requests < seen + 2 && waited < 10_000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
  }

  /** Settlements in force at the hub for a bill. */
  inForce(mdtrtId: string): number {
    return this.hub.state.ledger.filter((settlement) => settlement.event.input.mdtrt_id === mdtrtId && !settlement.reversed && settlement.cancelled === null).length;
  }

  /** Whether a seed patient's accumulators and account are as seeded (nothing charged). */
  untouched(psnNo: string): boolean {
    const start = seedPersons().find((held) => held.person.psn_no === psnNo)?.person;
    const now = this.hub.state.person(psnNo)?.person;
    const sorted = (acc: Record<string, number>) => JSON.stringify(Object.entries(acc).sort(([a], [b]) => (a < b ? -1 : 1)));
    return start !== undefined && now !== undefined && sorted(now.ytd.acc) === sorted(start.ytd.acc) && now.acct_balance === start.acct_balance;
  }

  /** Cuts the hub line (both ways) for `ms`: what is sent meanwhile is lost. */
  cutHub(ms: number): void {
    // The first three lines are the card reader's, the scanner's and the printer's; the hub's are dialled after.
    for (const line of this.far.lines.slice(3)) line.cut(ms);
  }

  /** Stops the terminal, its lines and the hub. */
  async close(options: { keep?: boolean } = {}): Promise<void> {
    await this.terminal.close();
    await this.site.close();
    if (!options.keep) this.remove();
  }
}
