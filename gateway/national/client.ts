// The gateway's calls to the national platform: one signed request over
// HTTP(S) POST with the application headers, one answer checked before
// anything acts on it (its signature by the platform's key, its header
// fields, that it answers this msgid, and the transaction's output fields).
// Three outcomes, never an exception for what the far end does: done (the
// output), refused (infcode -1: the platform did nothing; its code), or no
// answer (a timeout, a dropped connection, an answer that does not verify):
// the transaction may or may not have been done, which the journal resolves
// (5203, 2601) before anything else is sent for it.
import { answerHeaderFields, appAuthHeaders, buildRequest, checkEnvelope, infcodeDone, MsgIds, type AppAuthConfig, type EnvelopeConfig } from '../envelope';
import type { RandomBytes } from '../sm';
import { checkGroups, transactionOf } from './fields';
import type { Input } from './map';

/** Bytes of one answer the gateway reads. */
export const answerBytesMax = 1 << 20;
/** Fresh msgids tried for a call the platform refuses as a duplicate msgid. */
export const msgidRetriesMax = 100;
/** How long the gateway waits for an answer by default, ms. */
export const callTimeoutMsDefault = 10_000;

export interface NationalClientOptions {
  readonly url: string;
  readonly envelope: EnvelopeConfig;
  readonly appAuth: AppAuthConfig;
  /** The institution's SM2 private key (hex). */
  readonly gatewayKey: string;
  /** The platform's SM2 public key (hex). */
  readonly platformPublicKey: string;
  readonly nowMs: () => number;
  readonly randomBytes: RandomBytes;
  readonly timeoutMs?: number;
  /** The last msgid sent before a restart (the journal's), so none repeats. */
  readonly lastMsgid?: string | null;
}

export interface CallFigures {
  readonly sentBytes: number;
  readonly receivedBytes: number;
}

export type CallOutcome =
  | { readonly kind: 'done'; readonly msgid: string; readonly output: Input; readonly figures: CallFigures }
  | { readonly kind: 'refused'; readonly msgid: string; readonly code: string; readonly detail: string; readonly figures: CallFigures }
  | { readonly kind: 'no_answer'; readonly msgid: string; readonly detail: string; readonly figures: CallFigures };

/** Splits a platform err_msg, `code: detail`. */
function refusalOf(errMsg: unknown): { code: string; detail: string } {
  const text = typeof errMsg === 'string' ? errMsg : '';
  const at = text.indexOf(':');
  const code = at > 0 ? text.slice(0, at) : text;
  return { code: /^[a-z_]{1,40}$/.test(code) ? code : 'refused', detail: at > 0 ? text.slice(at + 1).trim() : text };
}

export class NationalClient {
  readonly #msgids: MsgIds;
  /** The session number of the last 9001 (sent with every other call). */
  signNo: string | null = null;

  constructor(private readonly options: NationalClientOptions) {
    this.#msgids = new MsgIds(options.envelope.fixmedinsCode, options.lastMsgid ?? null);
  }

  /** A msgid for the next call (the journal records it before the call goes out); null when this second's are spent. */
  nextMsgid(): string | null {
    return this.#msgids.next(this.options.nowMs());
  }

  /** Sends one transaction as `msgid` and reads its answer. */
  async send(infno: string, msgid: string, input: Input, insuplcAdmdvs: string | null): Promise<CallOutcome> {
    const spec = transactionOf(infno);
    if (spec === undefined) throw new RangeError(`infno ${infno} is not in the table`);
    const nowMs = this.options.nowMs();
    const request = buildRequest(this.options.envelope, { infno, msgid, nowMs, insuplcAdmdvs, signNo: infno === '9001' ? null : this.signNo, input }, this.options.gatewayKey, this.options.randomBytes);
    const body = JSON.stringify(request);
    const figures = { sentBytes: Buffer.byteLength(body), receivedBytes: 0 };
    let status: number;
    let text: string;
    try {
      const response = await fetch(this.options.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8', ...appAuthHeaders(this.options.appAuth, nowMs, this.options.randomBytes) },
        body,
        signal: AbortSignal.timeout(this.options.timeoutMs ?? callTimeoutMsDefault),
      });
      status = response.status;
      text = await response.text();
    } catch (error) {
      return { kind: 'no_answer', msgid, detail: (error as Error).message, figures };
    }
    const received = { ...figures, receivedBytes: Buffer.byteLength(text) };
    if (received.receivedBytes > answerBytesMax) return { kind: 'no_answer', msgid, detail: 'the answer is too long', figures: received };
    let answer: unknown;
    try {
      answer = JSON.parse(text);
    } catch {
      return { kind: 'no_answer', msgid, detail: `HTTP ${status}: not JSON`, figures: received };
    }
    // The platform's HTTP gateway refuses an unauthenticated call unsigned: nothing was read.
    if (status === 401) return { kind: 'refused', msgid, ...refusalOf((answer as { err_msg?: unknown })?.err_msg), figures: received };
    const checked = checkEnvelope(answer, answerHeaderFields, 'output', this.options.platformPublicKey);
    if (status !== 200 || !checked.ok) return { kind: 'no_answer', msgid, detail: checked.ok ? `HTTP ${status}` : `${checked.error.code}: ${checked.error.detail}`, figures: received };
    const message = answer as { infcode: string; inf_refmsgid: string; err_msg?: string; output: Input };
    if (message.inf_refmsgid !== msgid) return { kind: 'no_answer', msgid, detail: `the answer is to ${message.inf_refmsgid}`, figures: received };
    if (message.infcode !== infcodeDone) return { kind: 'refused', msgid, ...refusalOf(message.err_msg), figures: received };
    const output = checkGroups(spec.output, message.output, 'output');
    if (!output.ok) return { kind: 'no_answer', msgid, detail: `${output.error.code}: ${output.error.detail}`, figures: received };
    if (infno === '9001') this.signNo = (message.output.signinoutb as Record<string, string>).sign_no ?? null;
    return { kind: 'done', msgid, output: message.output, figures: received };
  }

  /**
   * Sends a transaction under a fresh msgid. A msgid the platform has seen
   * (one sent after the journal's last before a restart in the same second)
   * did nothing there: the call goes again under the next one.
   */
  async call(infno: string, input: Input, insuplcAdmdvs: string | null = null): Promise<CallOutcome> {
    for (let attempt = 0; ; attempt += 1) {
      const msgid = this.nextMsgid();
      if (msgid === null) return { kind: 'refused', msgid: '', code: 'msgid_exhausted', detail: 'this second\'s msgids are spent', figures: { sentBytes: 0, receivedBytes: 0 } };
      const outcome = await this.send(infno, msgid, input, insuplcAdmdvs);
      if (outcome.kind !== 'refused' || outcome.code !== 'msgid_duplicate' || attempt >= msgidRetriesMax) return outcome;
    }
  }
}
