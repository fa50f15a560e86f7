// `hub national-sim`: the national medical security platform as the gateway
// meets it, an HTTP server on loopback answering the infnos of
// gateway/national/fields.ts from the reference hub's state and settlement
// core (platform.ts). It is as strict as the platform: the application
// headers (gateway/envelope.ts) and a nonce not seen before, the envelope's
// header fields and SM2 signature, the transaction's fields (type, length,
// required), an institution it knows with the msgid's prefix, a msgid never
// used before, and the sign_no of the institution's 9001; every refusal is a
// signed answer with infcode -1 and `code: detail` in err_msg (an
// application-header refusal is HTTP 401, unsigned: no transaction was
// read). Answers are signed with the platform's key. One call is answered at
// a time, in arrival order.
//
// For the gateway's fault tests a `fate` hook may drop a request unread,
// drop an answer after the work is done, or hold it until the caller gives up.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { appAuthSkewS, buildAnswer, checkAppAuth, checkEnvelope, requestHeaderFields, type AppAuthConfig } from '../../../gateway/envelope';
import { checkGroups, transactionOf } from '../../../gateway/national/fields';
import type { Input } from '../../../gateway/national/map';
import type { RandomBytes } from '../../../gateway/sm';
import type { ReferenceHub } from '../hub/hub';
import { Platform, PlatformRefusal } from './platform';

/** Bytes of one request body the platform reads. */
export const requestBytesMax = 1 << 20;
/** msgids remembered to refuse a second use (the oldest forgotten past this). */
export const msgidsRememberedMax = 1_000_000;
/** Application nonces remembered (for twice the allowed clock skew). */
export const noncesRememberedMax = 100_000;
/** The refmsgid of an answer to a request whose msgid could not be read. */
const unknownMsgid = '-';

export interface NationalSimOptions {
  readonly hub: ReferenceHub;
  /** The platform's SM2 private key (hex), which signs every answer. */
  readonly platformKey: string;
  /** The calling institution's SM2 public key (hex), which must sign every request. */
  readonly gatewayPublicKey: string;
  readonly appAuth: AppAuthConfig;
  readonly nowMs: () => number;
  readonly randomBytes: RandomBytes;
}

/** What becomes of a call: answered, dropped (request unread, or answer lost), or held unanswered. */
export type Fate = 'deliver' | 'drop' | 'hold';
export type FateHook = (infno: string, phase: 'request' | 'answer') => Fate;

export interface SimAnswer {
  readonly status: number;
  readonly body: string;
  readonly fate: Fate;
}

export interface NationalSimStats {
  calls: number;
  refused: number;
  requestBytes: number;
  answerBytes: number;
  readonly byInfno: Record<string, number>;
}

export class NationalSimulator {
  readonly platform: Platform;
  readonly stats: NationalSimStats = { calls: 0, refused: 0, requestBytes: 0, answerBytes: 0, byInfno: {} };
  readonly #msgids = new Set<string>();
  readonly #nonces = new Map<string, number>();
  #queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: NationalSimOptions) {
    this.platform = new Platform(options.hub, options.randomBytes);
  }

  /** Answers one HTTP call (its headers, lower-case, and its body), after every earlier one. */
  call(headers: Readonly<Record<string, string | string[] | undefined>>, text: string, fate: FateHook = () => 'deliver'): Promise<SimAnswer> {
    const next = this.#queue.then(() => this.#call(headers, text, fate));
    this.#queue = next.catch(() => undefined);
    return next;
  }

  async #call(headers: Readonly<Record<string, string | string[] | undefined>>, text: string, fate: FateHook): Promise<SimAnswer> {
    const nowMs = this.options.nowMs();
    this.stats.calls += 1;
    this.stats.requestBytes += Buffer.byteLength(text);
    const auth = checkAppAuth(headers, this.options.appAuth, nowMs);
    if (!auth.ok) return this.#unauthorised(auth.code);
    if (!this.#freshNonce(auth.nonce, nowMs)) return this.#unauthorised('auth_replay');
    let request: unknown;
    try {
      request = JSON.parse(text);
    } catch {
      return this.#refuse(unknownMsgid, nowMs, 'malformed', 'the body is not JSON');
    }
    const msgid = typeof (request as { msgid?: unknown })?.msgid === 'string' ? ((request as { msgid: string }).msgid.slice(0, 30)) : unknownMsgid;
    const envelope = checkEnvelope(request, requestHeaderFields, 'input', this.options.gatewayPublicKey);
    if (!envelope.ok) return this.#refuse(msgid, nowMs, envelope.error.code, envelope.error.detail);
    // checkEnvelope held every required header to its type: these are text.
    const message = request as { infno: string; msgid: string; fixmedins_code: string; sign_no?: string; input: Input };
    const spec = transactionOf(message.infno);
    if (spec === undefined) return this.#refuse(msgid, nowMs, 'infno_unknown', message.infno);
    const fields = checkGroups(spec.input, message.input, 'input');
    if (!fields.ok) return this.#refuse(msgid, nowMs, fields.error.code, fields.error.detail);
    if (message.msgid.length !== 30 || !message.msgid.startsWith(message.fixmedins_code)) return this.#refuse(msgid, nowMs, 'msgid_invalid', 'institution code + time + sequence, 30 characters');
    if (fate(spec.infno, 'request') === 'drop') return { status: 0, body: '', fate: 'drop' };
    if (this.#msgids.has(message.msgid)) return this.#refuse(msgid, nowMs, 'msgid_duplicate', message.msgid);
    this.#remember(message.msgid);
    this.stats.byInfno[spec.infno] = (this.stats.byInfno[spec.infno] ?? 0) + 1;
    let answer: SimAnswer;
    try {
      const output = await this.platform.answer(spec.infno, message.input, { fixmedinsCode: message.fixmedins_code, msgid: message.msgid, signNo: message.sign_no ?? null, nowMs });
      answer = this.#answer(msgid, nowMs, null, output);
    } catch (error) {
      if (!(error instanceof PlatformRefusal)) throw error;
      answer = this.#refuse(msgid, nowMs, error.code, error.message);
    }
    const later = fate(spec.infno, 'answer');
    return later === 'deliver' ? answer : { status: 0, body: '', fate: later };
  }

  #freshNonce(nonce: string, nowMs: number): boolean {
    for (const [seen, atMs] of this.#nonces) {
      if (nowMs - atMs <= 2 * appAuthSkewS * 1_000 && this.#nonces.size < noncesRememberedMax) break;
      this.#nonces.delete(seen);
    }
    if (this.#nonces.has(nonce)) return false;
    this.#nonces.set(nonce, nowMs);
    return true;
  }

  #remember(msgid: string): void {
    this.#msgids.add(msgid);
    if (this.#msgids.size <= msgidsRememberedMax) return;
    const oldest = this.#msgids.values().next().value;
    if (oldest !== undefined) this.#msgids.delete(oldest);
  }

  #unauthorised(code: string): SimAnswer {
    this.stats.refused += 1;
    const body = JSON.stringify({ infcode: '-1', err_msg: code });
    this.stats.answerBytes += Buffer.byteLength(body);
    return { status: 401, body, fate: 'deliver' };
  }

  #refuse(msgid: string, nowMs: number, code: string, detail: string): SimAnswer {
    this.stats.refused += 1;
    return this.#answer(msgid, nowMs, `${code}: ${detail}`, {});
  }

  #answer(msgid: string, receivedMs: number, errMsg: string | null, output: Input): SimAnswer {
    const answer = buildAnswer({ refmsgid: msgid, receivedMs, nowMs: this.options.nowMs(), errMsg, output }, this.options.platformKey, this.options.randomBytes);
    const body = JSON.stringify(answer);
    this.stats.answerBytes += Buffer.byteLength(body);
    return { status: 200, body, fate: 'deliver' };
  }
}

/** Reads a request body up to `requestBytesMax`; null when it is longer. */
function readBody(request: IncomingMessage): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > requestBytesMax) {
        resolve(null);
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

/** Serves the simulator over HTTP on `host:port` (port 0: any free one); resolves once listening. */
export async function serveNationalSim(sim: NationalSimulator, host: string, port: number, fate?: FateHook): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const held = new Set<ServerResponse>();
  const server = createServer((request, response) => {
    void (async () => {
      if (request.method !== 'POST') {
        response.writeHead(405).end();
        return;
      }
      const text = await readBody(request);
      if (text === null) {
        response.writeHead(413).end();
        return;
      }
      const answer = await sim.call(request.headers, text, fate);
      if (answer.fate === 'drop') {
        response.socket?.destroy();
        return;
      }
      if (answer.fate === 'hold') {
        held.add(response);
        response.on('close', () => held.delete(response));
        return;
      }
      response.writeHead(answer.status, { 'content-type': 'application/json; charset=utf-8' }).end(answer.body);
    })().catch(() => response.socket?.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    server,
    url: `http://${host}:${address.port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const response of held) response.socket?.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
