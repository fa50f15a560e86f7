// The national platform's side of each transaction, for the simulator
// (`hub national-sim`): every infno is answered from the reference hub's
// state and its settlement core, by asking the hub as a terminal would. Each
// institution that calls the platform has one channel, a counter terminal
// enrolled in the hub (`NAT-` + its code), whose requests carry the hub's
// sessions, sequence numbers and idempotence; 2206 is the hub's pre-settle,
// 2207 its settle with the hub's own result, 2208 its cancel, 2601 its
// reversal of the settle or cancel sent as that msgid, 5203 and 3201/3202 read
// its ledger. What the platform holds that the hub has no place for (the
// registrations of 2201/2203, the fee batches of 2204, the msgid of each
// settlement) lives here, in memory, for the simulator's lifetime.
import { createHash } from 'node:crypto';
import { createCborEncoder } from '../../../protocol/cbor-encode';
import { billDigest } from '../../../protocol/digests';
import type { AnyMessage } from '../../../protocol/envelope';
import { signInNonceBytes } from '../../../protocol/limits';
import type { BodyOf, Credential, FeeLine, MessageName, SettleInput } from '../../../protocol/messages';
import { linesTravelInline } from '../../../protocol/settle-request';
import { nodeCryptoProvider } from '../../../protocol/crypto-node';
import { periodEntries, periodTotals } from '../../../src/journal/recon';
import { parseDecimal, yuanToFen, fenToYuan } from '../../../gateway/money';
import { nationalTime } from '../../../gateway/envelope';
import { mdtrtCertTypes, personOutput, settleOutput, type Fields, type Input } from '../../../gateway/national/map';
import type { ReferenceHub } from '../hub/hub';
import type { Reply } from '../hub/handlers';

/** A refusal of the platform: a stable code and what it is about. */
export class PlatformRefusal extends Error {
  override readonly name = 'PlatformRefusal';
  constructor(
    readonly code: string,
    detail: string,
  ) {
    super(detail);
  }
}

/** Places of a 2204 quantity we can hold (qty_milli). */
const quantityPlaces = 3;
/** Settlement statuses of 5203: in force, cancelled, none (never settled, or reversed). */
const setlStas = { inForce: '1', cancelled: '2', none: '0' } as const;

interface Channel {
  readonly id: string;
  readonly publicKey: Uint8Array;
  readonly fixmedinsCode: string;
  signNo: string | null;
}

interface Registration {
  readonly psn_no: string;
  readonly insutype: string;
  med_type: string | null;
  opsp_dise: string | null;
  batch: { readonly chrg_bchno: string; readonly lines: FeeLine[] } | null;
}

/** What a platform call is given besides its input: who calls, as which msgid, when. */
export interface CallContext {
  readonly fixmedinsCode: string;
  readonly msgid: string;
  readonly signNo: string | null;
  readonly nowMs: number;
}

const certKinds = new Map<string, Credential['kind']>(Object.entries(mdtrtCertTypes).map(([kind, code]) => [code, kind as Credential['kind']]));

function one(input: Input, name: string): Fields {
  const value = input[name];
  if (value === undefined || Array.isArray(value)) throw new PlatformRefusal('field_missing', `input.${name}`);
  return value;
}
function many(input: Input, name: string): Fields[] {
  const value = input[name];
  if (!Array.isArray(value)) throw new PlatformRefusal('field_missing', `input.${name}`);
  return value;
}
/** A field the table made required (checked before any handler runs). */
function need(fields: Fields, name: string): string {
  const value = fields[name];
  if (value === undefined) throw new PlatformRefusal('field_missing', name);
  return value;
}

export class Platform {
  readonly #channels = new Map<string, Channel>();
  readonly #registrations = new Map<string, Registration>();
  /** msgid of each settle or cancel sent to the hub -> its channel and seq. */
  readonly #sent = new Map<string, { channel: string; seq: number; oinfno: 'settle' | 'cancel' }>();
  /** seq of each settle -> its msgid, by channel (for 5203). */
  readonly #settleMsgids = new Map<string, string>();
  /** msgids reversed before they arrived: they settle nothing afterwards. */
  readonly #reversedUnseen = new Set<string>();
  readonly #encoder = createCborEncoder();

  constructor(
    readonly hub: ReferenceHub,
    private readonly random: (length: number) => Uint8Array,
  ) {}

  /** The institution's channel, enrolled in the hub on first use. */
  #channel(fixmedinsCode: string): Channel {
    const known = this.#channels.get(fixmedinsCode);
    if (known !== undefined) return known;
    if (!this.hub.state.institutions.has(fixmedinsCode)) throw new PlatformRefusal('institution_unknown', fixmedinsCode);
    const id = `NAT-${fixmedinsCode}`.slice(0, 32);
    const seed = new Uint8Array(createHash('sha256').update(`national-channel:${fixmedinsCode}`).digest());
    const publicKey = nodeCryptoProvider.signer(seed).publicKey;
    if (!this.hub.state.terminals.has(id)) this.hub.enroll(id, publicKey, fixmedinsCode, 'counter');
    const channel = { id, publicKey, fixmedinsCode, signNo: null };
    this.#channels.set(fixmedinsCode, channel);
    return channel;
  }

  /** Asks the hub as the channel's terminal; an error reply is a refusal with its code. */
  async #ask<N extends MessageName>(channel: Channel, type: N, body: BodyOf<N>, nowMs: number): Promise<{ reply: Reply; seq: number }> {
    const terminal = this.hub.state.terminal(channel.id);
    const seq = terminal.window.nextSeq;
    const message = { type, terminal: channel.id, seq, time: Math.floor(nowMs / 1_000), body } as AnyMessage;
    const answered = await this.hub.dispatch(message, channel.publicKey, terminal.session);
    if (answered === null) throw new PlatformRefusal('busy', 'a request of this institution is in progress');
    if (answered.reply.type === 'error') {
      const error = answered.reply.body as BodyOf<'error'>;
      throw new PlatformRefusal(error.code, error.detail);
    }
    return { reply: answered.reply, seq };
  }

  /** A session of the channel in force (signing in again when the hub's expired). */
  async #session(channel: Channel, nowMs: number): Promise<number> {
    const terminal = this.hub.state.terminal(channel.id);
    if (terminal.session !== 0 && Math.floor(nowMs / 1_000) <= terminal.sessionExpires) return terminal.session;
    const body: BodyOf<'sign_in'> = { fixmedins_code: channel.fixmedinsCode, firmware: 'national-sim', catalogue_version: null, policy_version: null, nonce: this.random(signInNonceBytes), operator: 'national' };
    const { reply } = await this.#ask(channel, 'sign_in', body, nowMs);
    return (reply.body as BodyOf<'sign_in_reply'>).session;
  }

  /** Answers one checked transaction: the output, or a PlatformRefusal. */
  async answer(infno: string, input: Input, call: CallContext): Promise<Input> {
    const channel = this.#channel(call.fixmedinsCode);
    if (infno === '9001') {
      const session = await this.#session(channel, call.nowMs);
      channel.signNo = `${call.fixmedinsCode}${session}`.slice(0, 30);
      return { signinoutb: { sign_time: nationalTime(call.nowMs), sign_no: channel.signNo } };
    }
    if (channel.signNo === null || call.signNo !== channel.signNo) throw new PlatformRefusal('sign_no_invalid', 'sign in (9001) and send its sign_no');
    await this.#session(channel, call.nowMs);
    switch (infno) {
      case '1101':
        return this.#person(channel, one(input, 'data'), call.nowMs);
      case '2201':
        return this.#register(channel, one(input, 'data'));
      case '2203':
        return this.#visit(one(input, 'mdtrtinfo'));
      case '2204':
        return this.#fees(many(input, 'feedetail'));
      case '2205':
        return this.#revokeFees(one(input, 'data'));
      case '2206':
      case '2207':
        return this.#settle(channel, infno, one(input, 'data'), call);
      case '2208':
        return this.#cancel(channel, one(input, 'data'), call);
      case '2601':
        return this.#reverse(channel, one(input, 'data'), call);
      case '3201':
        return this.#totals(channel, one(input, 'data'));
      case '3202':
        return this.#detail(channel, one(input, 'data'), many(input, 'detail'));
      case '5203':
        return this.#query(channel, one(input, 'data'));
      default:
        throw new PlatformRefusal('infno_unknown', infno);
    }
  }

  async #person(channel: Channel, data: Fields, nowMs: number): Promise<Input> {
    const kind = certKinds.get(need(data, 'mdtrt_cert_type'));
    if (kind === undefined) throw new PlatformRefusal('field_type', 'mdtrt_cert_type');
    const credential = { kind, id: need(data, 'mdtrt_cert_no'), card_sn: data.card_sn ?? null };
    const { reply } = await this.#ask(channel, 'person_query', { credential }, nowMs);
    return personOutput((reply.body as BodyOf<'person_query_reply'>).person);
  }

  #register(channel: Channel, data: Fields): Input {
    const mdtrtId = need(data, 'ipt_otp_no');
    const psnNo = need(data, 'psn_no');
    const bill = this.hub.state.bill(mdtrtId);
    const person = this.hub.state.person(psnNo);
    if (person === undefined) throw new PlatformRefusal('person_not_found', psnNo);
    if (bill === undefined || bill.psn_no !== psnNo || bill.fixmedins_code !== channel.fixmedinsCode) throw new PlatformRefusal('bill_not_found', mdtrtId);
    if (need(data, 'insutype') !== person.person.insutype) throw new PlatformRefusal('insutype_mismatch', data.insutype ?? '');
    const known = this.#registrations.get(mdtrtId);
    if (known !== undefined && known.psn_no !== psnNo) throw new PlatformRefusal('bill_not_found', mdtrtId);
    if (known === undefined) this.#registrations.set(mdtrtId, { psn_no: psnNo, insutype: person.person.insutype, med_type: null, opsp_dise: null, batch: null });
    return { data: { mdtrt_id: mdtrtId, psn_no: psnNo, ipt_otp_no: mdtrtId } };
  }

  #registration(mdtrtId: string, psnNo: string): Registration {
    const registration = this.#registrations.get(mdtrtId);
    if (registration === undefined || registration.psn_no !== psnNo) throw new PlatformRefusal('visit_not_registered', mdtrtId);
    return registration;
  }

  #visit(info: Fields): Input {
    const registration = this.#registration(need(info, 'mdtrt_id'), need(info, 'psn_no'));
    registration.med_type = need(info, 'med_type');
    registration.opsp_dise = info.dise_codg ?? null;
    return {};
  }

  #fees(lines: Fields[]): Input {
    const first = lines[0];
    if (first === undefined) throw new PlatformRefusal('field_missing', 'input.feedetail');
    const mdtrtId = need(first, 'mdtrt_id');
    const registration = this.#registration(mdtrtId, need(first, 'psn_no'));
    const batch = need(first, 'chrg_bchno');
    if (registration.batch !== null && registration.batch.chrg_bchno !== batch) throw new PlatformRefusal('fee_batch_exists', `${registration.batch.chrg_bchno} is uploaded; revoke it (2205) first`);
    const held: FeeLine[] = lines.map((line) => {
      if (line.mdtrt_id !== mdtrtId || line.psn_no !== registration.psn_no || line.chrg_bchno !== batch) throw new PlatformRefusal('field_type', 'one batch, one visit');
      const qty = parseDecimal(need(line, 'cnt'), 4, 'cnt');
      if (qty % 10n !== 0n) throw new PlatformRefusal('field_type', `cnt ${line.cnt}: at most ${quantityPlaces} places here`);
      return { sn: need(line, 'feedetl_sn'), code: need(line, 'med_list_codg'), qty_milli: Number(qty / 10n), amt: yuanToFen(need(line, 'det_item_fee_sumamt')) };
    });
    registration.batch = { chrg_bchno: batch, lines: held };
    return { result: lines.map((line) => ({ feedetl_sn: need(line, 'feedetl_sn'), det_item_fee_sumamt: need(line, 'det_item_fee_sumamt'), cnt: need(line, 'cnt'), pric: need(line, 'pric') })) };
  }

  #revokeFees(data: Fields): Input {
    const mdtrtId = need(data, 'mdtrt_id');
    const registration = this.#registration(mdtrtId, need(data, 'psn_no'));
    if (registration.batch?.chrg_bchno !== need(data, 'chrg_bchno')) throw new PlatformRefusal('fee_batch_unknown', data.chrg_bchno ?? '');
    if (this.hub.state.billSettlement(mdtrtId) !== undefined) throw new PlatformRefusal('already_settled', mdtrtId);
    registration.batch = null;
    return {};
  }

  /** The hub's settle input of a registered visit's uploaded batch. */
  #input(data: Fields): SettleInput {
    const mdtrtId = need(data, 'mdtrt_id');
    const registration = this.#registration(mdtrtId, need(data, 'psn_no'));
    const batch = registration.batch;
    if (batch === null || batch.chrg_bchno !== need(data, 'chrg_bchno')) throw new PlatformRefusal('fee_batch_unknown', data.chrg_bchno ?? '');
    if (registration.med_type === null) throw new PlatformRefusal('visit_not_registered', `${mdtrtId}: upload the visit (2203)`);
    if (need(data, 'med_type') !== registration.med_type || (data.opsp_dise_code ?? null) !== registration.opsp_dise) throw new PlatformRefusal('visit_mismatch', 'med_type or disease differ from 2203');
    if (need(data, 'insutype') !== registration.insutype) throw new PlatformRefusal('insutype_mismatch', data.insutype ?? '');
    const medfee = batch.lines.reduce((sum, line) => sum + line.amt, 0);
    if (yuanToFen(need(data, 'medfee_sumamt')) !== medfee) throw new PlatformRefusal('medfee_mismatch', `the batch sums to ${fenToYuan(medfee)}`);
    return {
      mdtrt_id: mdtrtId,
      psn_no: registration.psn_no,
      date: need(data, 'setl_date'),
      med_type: registration.med_type as SettleInput['med_type'],
      opsp_dise: registration.opsp_dise as SettleInput['opsp_dise'],
      acct_used: need(data, 'acct_used_flag') === '1',
      catalogue_version: need(data, 'catalogue_version'),
      policy_version: need(data, 'policy_version'),
      bill: { line_count: batch.lines.length, medfee_sumamt: medfee, digest: billDigest(this.#encoder, batch.lines) },
      lines: linesTravelInline(batch.lines.length) ? batch.lines : [],
    };
  }

  async #settle(channel: Channel, infno: '2206' | '2207', data: Fields, call: CallContext): Promise<Input> {
    const input = this.#input(data);
    if (infno === '2207' && this.#reversedUnseen.has(call.msgid)) throw new PlatformRefusal('already_reversed', call.msgid);
    const computed = await this.#ask(channel, 'pre_settle', { input }, call.nowMs);
    const pre = computed.reply.body as BodyOf<'pre_settle_reply'>;
    const ids: Fields = { mdtrt_id: input.mdtrt_id, psn_no: input.psn_no };
    if (infno === '2206') return settleOutput(pre.result, ids);
    const { reply, seq } = await this.#ask(channel, 'settle', { input, result: pre.result, result_digest: pre.result_digest }, call.nowMs);
    const settled = reply.body as BodyOf<'settle_reply'>;
    this.#sent.set(call.msgid, { channel: channel.id, seq, oinfno: 'settle' });
    this.#settleMsgids.set(`${channel.id}:${seq}`, call.msgid);
    return settleOutput(pre.result, { setl_id: settled.setl_id, ...ids, setl_time: nationalTime(settled.setl_time * 1_000) });
  }

  async #cancel(channel: Channel, data: Fields, call: CallContext): Promise<Input> {
    if (this.#reversedUnseen.has(call.msgid)) throw new PlatformRefusal('already_reversed', call.msgid);
    const body = { setl_id: need(data, 'setl_id'), mdtrt_id: need(data, 'mdtrt_id'), psn_no: need(data, 'psn_no'), reason: '' };
    const { reply, seq } = await this.#ask(channel, 'cancel', body, call.nowMs);
    const cancelled = reply.body as BodyOf<'cancel_reply'>;
    this.#sent.set(call.msgid, { channel: channel.id, seq, oinfno: 'cancel' });
    return { setlinfo: { setl_id: cancelled.cancel_setl_id, mdtrt_id: body.mdtrt_id, psn_no: body.psn_no, setl_time: nationalTime(cancelled.cancel_time * 1_000) } };
  }

  async #reverse(channel: Channel, data: Fields, call: CallContext): Promise<Input> {
    const omsgid = need(data, 'omsgid');
    const psnNo = need(data, 'psn_no');
    const sent = this.#sent.get(omsgid);
    if (sent === undefined || sent.channel !== channel.id) {
      // Never arrived (or was refused): nothing to reverse, and it may settle nothing later.
      this.#reversedUnseen.add(omsgid);
      return { data: { reversed_flag: '0' } };
    }
    if ((sent.oinfno === 'settle' ? '2207' : '2208') !== need(data, 'oinfno')) throw new PlatformRefusal('not_reversible', `${omsgid} was not a ${data.oinfno}`);
    const settled = sent.oinfno === 'settle' ? this.hub.state.settlementBySeq(channel.id, sent.seq)?.event : this.hub.state.settlement(this.hub.state.cancellationBySeq(channel.id, sent.seq)?.event.setl_id ?? '')?.event;
    if (settled === undefined) throw new PlatformRefusal('not_reversible', omsgid);
    const { reply } = await this.#ask(channel, 'reversal', { psn_no: psnNo, omsgid: sent.seq, oinfno: sent.oinfno, mdtrt_id: settled.input.mdtrt_id }, call.nowMs);
    const reversal = reply.body as BodyOf<'reversal_reply'>;
    const out: Fields = { reversed_flag: reversal.reversed ? '1' : '0' };
    if (reversal.setl_id !== null) out.setl_id = reversal.setl_id;
    return { data: out };
  }

  #items(channel: Channel, insutype: string | null) {
    return [...this.hub.state.reconItems(channel.id)].filter((item) => insutype === null || this.hub.state.person(item.psn_no)?.person.insutype === insutype);
  }

  #totals(channel: Channel, data: Fields): Input {
    const totals = periodTotals(this.#items(channel, need(data, 'insutype')), need(data, 'stmt_begndate'), need(data, 'stmt_enddate'));
    const ours: Fields = { medfee_sumamt: fenToYuan(totals.medfee_sumamt), fund_pay_sumamt: fenToYuan(totals.fund_pay_sumamt), acct_pay: fenToYuan(totals.acct_pay), fixmedins_setl_cnt: String(totals.setl_cnt) };
    const differ = Object.keys(ours).filter((name) => ours[name] !== data[name]);
    const dscr = differ.length === 0 ? '' : differ.map((name) => `${name} ${ours[name]}`).join('; ');
    return { stmtinfo: { setl_optins: need(data, 'setl_optins'), stmt_rslt: differ.length === 0 ? '0' : '1', ...(dscr === '' ? {} : { stmt_rslt_dscr: dscr.slice(0, 200) }) } };
  }

  #detail(channel: Channel, data: Fields, detail: Fields[]): Input {
    const entries = new Map(periodEntries(this.#items(channel, null), need(data, 'stmt_begndate'), need(data, 'stmt_enddate')).filter((entry) => entry.kind !== 'cancel').map((entry) => [entry.setl_id, entry]));
    const mismatch: Fields[] = [];
    const listed = new Set<string>();
    for (const line of detail) {
      const setlId = need(line, 'setl_id');
      listed.add(setlId);
      const entry = entries.get(setlId);
      if (entry === undefined) mismatch.push({ setl_id: setlId, stmt_rslt: 'missing_at_platform' });
      else if (fenToYuan(entry.medfee_sumamt) !== line.medfee_sumamt || fenToYuan(entry.fund_pay_sumamt) !== line.fund_pay_sumamt || fenToYuan(entry.acct_pay) !== line.acct_pay) mismatch.push({ setl_id: setlId, stmt_rslt: 'amounts_differ' });
    }
    for (const setlId of entries.keys()) if (!listed.has(setlId)) mismatch.push({ setl_id: setlId, stmt_rslt: 'missing_at_institution' });
    return { mismatch };
  }

  #query(channel: Channel, data: Fields): Input {
    const mdtrtId = need(data, 'mdtrt_id');
    const psnNo = need(data, 'psn_no');
    const ledger = this.hub.state.ledger;
    let found = undefined;
    for (let index = ledger.length - 1; index >= 0 && found === undefined; index -= 1) {
      const settlement = ledger[index];
      if (settlement !== undefined && settlement.event.terminal === channel.id && settlement.event.input.mdtrt_id === mdtrtId && (data.setl_id === undefined || settlement.event.setl_id === data.setl_id)) found = settlement;
    }
    if (found === undefined || found.event.input.psn_no !== psnNo || found.reversed) return { setlinfo: { mdtrt_id: mdtrtId, psn_no: psnNo, setl_stas: setlStas.none } };
    const out: Fields = { setl_id: found.event.setl_id, mdtrt_id: mdtrtId, psn_no: psnNo, setl_stas: found.cancelled === null ? setlStas.inForce : setlStas.cancelled };
    const msgid = this.#settleMsgids.get(`${channel.id}:${found.event.seq}`);
    if (msgid !== undefined) out.omsgid = msgid;
    return { setlinfo: out };
  }
}
