// The gateway assembled from its configuration (gateway/config.ts): one
// national client per configured institution (its own msgid series, resumed
// after the journal's last, and its own sign-in), the journal in its store,
// the forwarding handler (gateway/forward.ts) with the 2207s a previous run
// left unanswered resolved before anything is served, and the reference
// hub's `handler` that refuses, for an institution the configuration does
// not name, what would need the platform (`institution_not_networked`).
// `hub gateway` (device/sim/hub/cli.ts) and `npm start -- --gateway`
// (device/sim/demo-gateway.ts) both build it here.
import { randomBytes as nodeRandomBytes } from 'node:crypto';
import type { AnyMessage } from '../protocol/envelope';
import { errorReply, handle, type Handled, type HubContext } from '../device/sim/hub/handlers';
import type { TerminalRecord } from '../device/sim/hub/state';
import { envelopeOf, type GatewayConfig } from './config';
import { fixmedinsCodeLength } from './envelope';
import { NationalGateway } from './forward';
import { CallJournal } from './journal';
import { NationalClient } from './national/client';
import type { RandomBytes } from './sm';
import type { SqlStore } from './store';

/** The requests that need the platform, refused for an institution not configured (the rest the hub answers itself). */
const platformTypes: ReadonlySet<string> = new Set(['person_query', 'pre_settle', 'settle', 'cancel', 'reversal', 'advice', 'recon_totals', 'recon_detail']);

/** The gateway cannot start as configured: a stable code and what to do. */
export class GatewayStartError extends Error {
  override readonly name = 'GatewayStartError';
  constructor(
    readonly code: 'journal_institution_unknown',
    message: string,
  ) {
    super(message);
  }
}

export interface Gateway {
  readonly gateway: NationalGateway;
  readonly journal: CallJournal;
  /** The reference hub's handler (HubOptions.handler). */
  readonly handler: (ctx: HubContext, terminal: TerminalRecord, request: AnyMessage, digest: Uint8Array) => Promise<Handled>;
  /** 2207s found unanswered at the start and resolved (adopted or fenced). */
  readonly recovered: number;
  /** 2207s found unanswered at the start that the platform did not let us resolve yet. */
  readonly unresolved: number;
}

export async function startGateway(config: GatewayConfig, store: SqlStore, options: { nowMs: () => number; randomBytes?: RandomBytes }): Promise<Gateway> {
  const journal = await CallJournal.open(store);
  const randomBytes = options.randomBytes ?? ((length: number) => new Uint8Array(nodeRandomBytes(length)));
  const clients = new Map<string, NationalClient>();
  for (const institution of config.institutions.values()) {
    const client = new NationalClient({
      url: config.url,
      envelope: envelopeOf(config, institution),
      appAuth: config.appAuth,
      gatewayKey: config.gatewayKey,
      platformPublicKey: config.platformPublicKey,
      nowMs: options.nowMs,
      randomBytes,
      timeoutMs: config.timeoutMs,
      lastMsgid: await journal.lastMsgid(institution.fixmedinsCode),
    });
    clients.set(institution.fixmedinsCode, client);
  }
  // Only ever asked for a configured institution: the handler below refuses the others first,
  // and a journalled msgid starts with the code of the institution that sent it.
  const clientFor = (code: string): NationalClient => {
    const client = clients.get(code);
    if (client === undefined) throw new RangeError(`institution ${code} is not configured`);
    return client;
  };
  const gateway = new NationalGateway(clientFor, journal, config.identity, options.nowMs);
  // A journalled 2207 of an institution since removed from the configuration could never be resolved: refuse to start.
  for (const row of await journal.unresolved()) {
    const code = row.msgid.slice(0, fixmedinsCodeLength);
    if (!clients.has(code)) throw new GatewayStartError('journal_institution_unknown', `the journal holds 2207 ${row.msgid} unanswered, of ${code}, which the configuration does not name; name it again so it can be resolved`);
  }
  const recovered = await gateway.recover();
  const unresolved = (await journal.unresolved()).length;
  const handler = async (ctx: HubContext, terminal: TerminalRecord, request: AnyMessage, digest: Uint8Array): Promise<Handled> => {
    if (clients.has(terminal.fixmedins_code)) return gateway.handler(ctx, terminal, request, digest);
    if (!terminal.answers.has(request.seq) && platformTypes.has(request.type)) {
      return { reply: errorReply('institution_not_networked', `${terminal.fixmedins_code} is not an institution this gateway speaks for`) };
    }
    return handle(ctx, terminal, request, digest);
  };
  return { gateway, journal, handler, recovered, unresolved };
}
