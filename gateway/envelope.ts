// The national platform's envelope around every transaction, and its answer:
// the header fields (infno, msgid, the areas, the receiving system, the
// device, the operator, the time, the institution, the sign-in number), the
// signature (`signtype` "SM2", `cainfo` the base64 of r s over the canonical
// JSON of everything else) and the HTTP headers the platform's gateways use
// to authenticate the calling application (its id, a timestamp, a nonce and a
// digest of them with the application's secret; names and digest configurable).
//
// msgid is the institution code (12), the time (yyyyMMddHHmmss, 14) and a
// sequence within that second (4): 30 characters, unique while the gateway
// sends fewer than 10,000 a second and resumes after its last one (MsgIds).
// Times are China Standard Time (UTC+8), as the platform writes them.
import assert from 'node:assert';
import { createHash, timingSafeEqual } from 'node:crypto';
import { checkField, type FieldCheck, type FieldSpec } from './national/fields';
import type { Input } from './national/map';
import { sm2Sign, sm2Verify, sm3, type RandomBytes } from './sm';

/** Characters of an institution code in a msgid. */
export const fixmedinsCodeLength = 12;
/** Sequence numbers within one second of msgids. */
export const msgSequenceMax = 9_999;
const msgSequenceDigits = 4;
/** The only signature type the gateway sends and accepts. */
export const signtypeSm2 = 'SM2';
/** China Standard Time's offset from UTC, the platform's clock. */
const chinaOffsetMs = 8 * 3_600_000;
/** How far an application's timestamp may be from the platform's clock. */
export const appAuthSkewS = 300;
/** Bytes of an application-authentication nonce. */
export const appNonceBytes = 16;

/** What the gateway writes in every envelope's header (from its configuration). */
export interface EnvelopeConfig {
  readonly fixmedinsCode: string;
  readonly fixmedinsName: string;
  readonly mdtrtareaAdmvs: string;
  readonly recerSysCode: string;
  readonly devNo: string;
  readonly devSafeInfo: string;
  readonly infver: string;
  readonly opterType: string;
  readonly opter: string;
  readonly opterName: string;
}

/** The application authentication of the platform's HTTP gateway. */
export interface AppAuthConfig {
  readonly appId: string;
  readonly appSecret: string;
  readonly digest: 'sm3' | 'sha256';
  readonly headers: { readonly appId: string; readonly timestamp: string; readonly nonce: string; readonly signature: string };
}

export const defaultAppAuthHeaders: AppAuthConfig['headers'] = {
  appId: 'x-tif-paasid',
  timestamp: 'x-tif-timestamp',
  nonce: 'x-tif-nonce',
  signature: 'x-tif-signature',
};

/** A request or an answer: header text and one body (`input` or `output`). */
export interface Message {
  readonly [field: string]: string | Input;
}

const text = (name: string, length: number, required = true): FieldSpec => ({ name, type: 'text', length, places: 0, required, label: name });
/** The request's header fields, as the platform checks them. */
export const requestHeaderFields: readonly FieldSpec[] = [
  text('infno', 4),
  text('msgid', 30),
  text('mdtrtarea_admvs', 6),
  text('insuplc_admdvs', 6, false),
  text('recer_sys_code', 10),
  text('dev_no', 100, false),
  text('dev_safe_info', 2000, false),
  text('cainfo', 1024),
  text('signtype', 10),
  text('infver', 6),
  text('opter_type', 3),
  text('opter', 30),
  text('opter_name', 50),
  { name: 'inf_time', type: 'datetime', length: 19, places: 0, required: true, label: 'inf_time' },
  text('fixmedins_code', 30),
  text('fixmedins_name', 200),
  text('sign_no', 30, false),
];
/** The answer's header fields. */
export const answerHeaderFields: readonly FieldSpec[] = [
  text('infcode', 2),
  text('inf_refmsgid', 30),
  text('refmsg_time', 17),
  text('respond_time', 17),
  text('err_msg', 200, false),
  text('cainfo', 1024),
  text('signtype', 10),
];

const two = (value: number): string => String(value).padStart(2, '0');
function chinaParts(nowMs: number): { date: string; time: string; ms: string } {
  assert(Number.isSafeInteger(nowMs) && nowMs >= 0, 'a time in ms since the epoch');
  const at = new Date(nowMs + chinaOffsetMs);
  const date = `${at.getUTCFullYear()}-${two(at.getUTCMonth() + 1)}-${two(at.getUTCDate())}`;
  const time = `${two(at.getUTCHours())}:${two(at.getUTCMinutes())}:${two(at.getUTCSeconds())}`;
  return { date, time, ms: String(at.getUTCMilliseconds()).padStart(3, '0') };
}
/** `yyyy-MM-dd HH:mm:ss`, China Standard Time (inf_time, setl_time). */
export function nationalTime(nowMs: number): string {
  const parts = chinaParts(nowMs);
  return `${parts.date} ${parts.time}`;
}
/** `yyyyMMddHHmmssSSS` (refmsg_time, respond_time). */
export function compactTimeMs(nowMs: number): string {
  const parts = chinaParts(nowMs);
  return `${parts.date}${parts.time}${parts.ms}`.replace(/[-:]/g, '');
}

/** The msgids of one institution: 30 characters each, never one twice (within 10,000 a second). */
export class MsgIds {
  #second = '';
  #sequence = 0;
  constructor(readonly fixmedinsCode: string, last: string | null = null) {
    assert(/^[A-Za-z0-9]{12}$/.test(fixmedinsCode), `a msgid needs a ${fixmedinsCodeLength}-character institution code`);
    if (last !== null && last.startsWith(fixmedinsCode) && last.length === 30) {
      this.#second = last.slice(fixmedinsCodeLength, fixmedinsCodeLength + 14);
      this.#sequence = Number(last.slice(-msgSequenceDigits)) + 1;
    }
  }
  /** The next msgid at `nowMs`, or null when this second's 10,000 are spent (the caller waits for the next). */
  next(nowMs: number): string | null {
    const second = compactTimeMs(nowMs).slice(0, 14);
    if (second > this.#second) {
      this.#second = second;
      this.#sequence = 0;
    }
    if (this.#sequence > msgSequenceMax) return null;
    const msgid = `${this.fixmedinsCode}${this.#second}${String(this.#sequence).padStart(msgSequenceDigits, '0')}`;
    this.#sequence += 1;
    assert(msgid.length === 30, 'a msgid is 30 characters');
    return msgid;
  }
}

/** JSON with every object's keys sorted and no spaces: the bytes a signature covers. */
export function canonicalJson(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  assert(typeof value === 'object' && value !== null, 'an envelope holds only text, lists and objects');
  const keys = Object.keys(value).sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`).join(',')}}`;
}

function signedBytes(message: Record<string, unknown>): Uint8Array {
  const { cainfo: _signature, ...rest } = message;
  return new TextEncoder().encode(canonicalJson(rest));
}

/** Signs a request or answer in place of its `cainfo`. */
export function sealed<T extends Record<string, unknown>>(message: T, privateKeyHex: string, random: RandomBytes): T & { cainfo: string; signtype: string } {
  const unsigned = { ...message, signtype: signtypeSm2 };
  const signature = sm2Sign(signedBytes(unsigned), privateKeyHex, random);
  return { ...unsigned, cainfo: Buffer.from(signature, 'hex').toString('base64') };
}

/** Whether a message's `cainfo` is an SM2 signature of the rest by `publicKeyHex`. */
export function sealVerifies(message: Record<string, unknown>, publicKeyHex: string): boolean {
  const cainfo = message.cainfo;
  if (typeof cainfo !== 'string' || message.signtype !== signtypeSm2 || !/^[A-Za-z0-9+/]{86}==$/.test(cainfo)) return false;
  return sm2Verify(signedBytes(message), Buffer.from(cainfo, 'base64').toString('hex'), publicKeyHex);
}

/** A request to the platform: the header from the configuration, this call's fields, the input; signed. */
export function buildRequest(
  config: EnvelopeConfig,
  call: { infno: string; msgid: string; nowMs: number; insuplcAdmdvs: string | null; signNo: string | null; input: Input },
  privateKeyHex: string,
  random: RandomBytes,
): Message {
  const header: Record<string, string | Input> = {
    infno: call.infno,
    msgid: call.msgid,
    mdtrtarea_admvs: config.mdtrtareaAdmvs,
    recer_sys_code: config.recerSysCode,
    dev_no: config.devNo,
    dev_safe_info: config.devSafeInfo,
    infver: config.infver,
    opter_type: config.opterType,
    opter: config.opter,
    opter_name: config.opterName,
    inf_time: nationalTime(call.nowMs),
    fixmedins_code: config.fixmedinsCode,
    fixmedins_name: config.fixmedinsName,
    input: call.input,
  };
  if (call.insuplcAdmdvs !== null) header.insuplc_admdvs = call.insuplcAdmdvs;
  if (call.signNo !== null) header.sign_no = call.signNo;
  return sealed(header, privateKeyHex, random);
}

/** `infcode` of an answer: 0 done, -1 refused (err_msg says why). */
export const infcodeDone = '0';
export const infcodeRefused = '-1';

/** The platform's answer to the request of `refmsgid` received at `receivedMs`; signed. */
export function buildAnswer(
  call: { refmsgid: string; receivedMs: number; nowMs: number; errMsg: string | null; output: Input },
  privateKeyHex: string,
  random: RandomBytes,
): Message {
  const answer: Record<string, string | Input> = {
    infcode: call.errMsg === null ? infcodeDone : infcodeRefused,
    inf_refmsgid: call.refmsgid,
    refmsg_time: compactTimeMs(call.receivedMs),
    respond_time: compactTimeMs(call.nowMs),
    output: call.output,
  };
  if (call.errMsg !== null) answer.err_msg = call.errMsg.slice(0, 200);
  return sealed(answer, privateKeyHex, random);
}

export type EnvelopeCheck = FieldCheck | { readonly ok: false; readonly error: { readonly code: 'signature_invalid' | 'signtype_unsupported'; readonly field: string; readonly detail: string } };

/**
 * A request or answer as received: its header fields as `fields` says, no
 * other header, the body (`input` or `output`) an object, and the SM2 seal
 * by `publicKeyHex`. The body's own fields are the transaction's table's
 * to check (fields.ts, checkGroups).
 */
export function checkEnvelope(message: unknown, fields: readonly FieldSpec[], body: 'input' | 'output', publicKeyHex: string): EnvelopeCheck {
  if (typeof message !== 'object' || message === null || Array.isArray(message)) return { ok: false, error: { code: 'field_type', field: 'envelope', detail: 'the envelope must be an object' } };
  const record = message as Record<string, unknown>;
  const known = new Set([...fields.map((field) => field.name), body]);
  for (const key of Object.keys(record)) {
    if (!known.has(key)) return { ok: false, error: { code: 'field_unknown', field: key, detail: `${key} is not a field of the envelope` } };
  }
  for (const field of fields) {
    const checked = checkField(field, record[field.name], field.name);
    if (!checked.ok) return checked;
  }
  const content = record[body];
  if (typeof content !== 'object' || content === null || Array.isArray(content)) return { ok: false, error: { code: 'group_missing', field: body, detail: `${body} must be an object` } };
  if (record.signtype !== signtypeSm2) return { ok: false, error: { code: 'signtype_unsupported', field: 'signtype', detail: `signtype must be ${signtypeSm2}` } };
  if (!sealVerifies(record, publicKeyHex)) return { ok: false, error: { code: 'signature_invalid', field: 'cainfo', detail: 'cainfo is not an SM2 signature of the message by the expected key' } };
  return { ok: true };
}

// ---- application authentication -------------------------------------------
function appDigest(config: AppAuthConfig, timestamp: string, nonce: string): string {
  const material = `${timestamp}${config.appSecret}${nonce}${timestamp}`;
  return config.digest === 'sm3' ? Buffer.from(sm3(material)).toString('hex') : createHash('sha256').update(material).digest('hex');
}

/** The HTTP headers of one call: the application id, the time in seconds, a fresh nonce and their digest. */
export function appAuthHeaders(config: AppAuthConfig, nowMs: number, random: RandomBytes): Record<string, string> {
  const timestamp = String(Math.floor(nowMs / 1_000));
  const nonce = Buffer.from(random(appNonceBytes)).toString('hex');
  return {
    [config.headers.appId]: config.appId,
    [config.headers.timestamp]: timestamp,
    [config.headers.nonce]: nonce,
    [config.headers.signature]: appDigest(config, timestamp, nonce),
  };
}

export type AppAuthCode = 'auth_missing' | 'auth_app_unknown' | 'auth_time_skew' | 'auth_signature';

/**
 * A call's application headers (names lower-case, as node:http gives them)
 * checked at `nowMs`; the nonce is returned for the caller's replay window.
 */
export function checkAppAuth(headers: Readonly<Record<string, string | string[] | undefined>>, config: AppAuthConfig, nowMs: number): { ok: true; nonce: string } | { ok: false; code: AppAuthCode } {
  const read = (name: string): string | undefined => {
    const value = headers[name.toLowerCase()];
    return typeof value === 'string' && value.length > 0 && value.length <= 128 ? value : undefined;
  };
  const appId = read(config.headers.appId);
  const timestamp = read(config.headers.timestamp);
  const nonce = read(config.headers.nonce);
  const signature = read(config.headers.signature);
  if (appId === undefined || timestamp === undefined || nonce === undefined || signature === undefined) return { ok: false, code: 'auth_missing' };
  if (appId !== config.appId) return { ok: false, code: 'auth_app_unknown' };
  if (!/^[0-9]{1,12}$/.test(timestamp) || Math.abs(Number(timestamp) - Math.floor(nowMs / 1_000)) > appAuthSkewS) return { ok: false, code: 'auth_time_skew' };
  const expected = Buffer.from(appDigest(config, timestamp, nonce));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, code: 'auth_signature' };
  return { ok: true, nonce };
}
