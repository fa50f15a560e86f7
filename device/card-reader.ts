// Card reader driver (DESIGN.md, devices): the framed serial protocol of
// device/card-reader-protocol.md to a contact reader, and ISO 7816-4 to the
// social-security card in it. It is given its port and clock (STYLE.md habit
// 7); one request is in flight at a time; every exchange ends by its deadline;
// every expected failure is a value with a stable code (STYLE.md habit 1).
import assert from 'node:assert';
import {
  CardCommand,
  Presence,
  ReaderStatus,
  cardFrameBytesMax,
  consume,
  findFrame,
  frameDataAt,
  frameMayFollow,
  resyncCount,
  sealFrame,
} from './card-frame';
import {
  FileId,
  IdentityTag,
  Ins,
  Sw,
  identityFields,
  idNumberValid,
  nameBytesMax,
  packPin,
  pinPattern,
  swRetries,
  swRetriesMask,
  type SocialSecurityCredential,
} from './iso7816';
import {
  cardAttemptTimeoutMs,
  cardAttemptsMax,
  cardFrameDataBytesMax,
  cardIdentityFileBytesMax,
  cardReadChunkBytes,
  deviceExchangeTimeoutMs,
} from './limits';
import { fail, ok, portFailure, readBefore, timeoutReason, type Clock, type Port, type Result } from './port';

export interface CardReaderOptions {
  readonly clock: Clock;
  /** One exchange, retransmissions included, ms. */
  readonly exchangeTimeoutMs?: number;
  /** One attempt before the request is sent again, ms. */
  readonly attemptTimeoutMs?: number;
}

export type CardPresence = 'absent' | 'present' | 'powered';

export interface CardResponse {
  /** Response data, without the status word. */
  readonly data: Uint8Array;
  /** SW1SW2, e.g. 0x9000. */
  readonly sw: number;
}

const presenceNames: Record<number, CardPresence> = { [Presence.absent]: 'absent', [Presence.present]: 'present', [Presence.powered]: 'powered' };

/** Maps a status word other than 9000 to a failure (ISO 7816-4 §5.6). */
export function statusWordFailure<T = never>(sw: number, doing: string): Result<T> {
  const hex = sw.toString(16).padStart(4, '0');
  if ((sw & swRetriesMask) === swRetries) {
    const retriesLeft = sw & 0x0f;
    if (retriesLeft === 0) return fail('pin_blocked', `${doing}: wrong PIN, no tries left (SW ${hex})`, { sw, retriesLeft });
    return fail('pin_wrong', `${doing}: wrong PIN, ${retriesLeft} tries left (SW ${hex})`, { sw, retriesLeft });
  }
  if (sw === Sw.pinBlocked) return fail('pin_blocked', `${doing}: PIN blocked (SW ${hex})`, { sw, retriesLeft: 0 });
  if (sw === Sw.fileNotFound) return fail('file_not_found', `${doing}: file not found (SW ${hex})`, { sw });
  if (sw === Sw.securityNotSatisfied) return fail('security_not_satisfied', `${doing}: security status not satisfied (SW ${hex})`, { sw });
  return fail('card_error', `${doing}: card answered SW ${hex}`, { sw });
}

const readerFailures: Record<number, Parameters<typeof fail>[0]> = {
  [ReaderStatus.noCard]: 'no_card',
  [ReaderStatus.cardRemoved]: 'card_removed',
  [ReaderStatus.cardMute]: 'card_unreadable',
};

export class CardReader {
  private readonly clock: Clock;
  private readonly exchangeTimeoutMs: number;
  private readonly attemptTimeoutMs: number;
  // Buffers allocated once (STYLE.md habit 7).
  private readonly tx = new Uint8Array(cardFrameBytesMax);
  private readonly rx = new Uint8Array(2 * cardFrameBytesMax);
  private readonly reply = new Uint8Array(cardFrameDataBytesMax);
  private readonly file = new Uint8Array(cardIdentityFileBytesMax);
  private readonly syncFrame = new Uint8Array(8);
  private rxLength = 0;
  /** SEQ of the last request: 1 to 255 after the SEQ 0 request that starts a session. */
  private seq = 0;
  private synced = false;
  private busy = false;
  private nameDecoder: InstanceType<typeof TextDecoder> | null = null;

  constructor(
    private readonly port: Port,
    options: CardReaderOptions,
  ) {
    this.clock = options.clock;
    this.exchangeTimeoutMs = options.exchangeTimeoutMs ?? deviceExchangeTimeoutMs;
    this.attemptTimeoutMs = options.attemptTimeoutMs ?? cardAttemptTimeoutMs;
    if (!(this.exchangeTimeoutMs > 0 && this.attemptTimeoutMs > 0 && this.attemptTimeoutMs <= this.exchangeTimeoutMs)) {
      throw new RangeError('exchangeTimeoutMs and attemptTimeoutMs must be positive, an attempt no longer than the exchange');
    }
  }

  /** Whether a card is in the reader, and powered. */
  presence(): Promise<Result<CardPresence>> {
    return this.guard(async () => {
      const reply = await this.exchange(CardCommand.presence, 0);
      if (!reply.ok) return reply;
      const name = reply.value.length === 1 ? presenceNames[reply.value[0] as number] : undefined;
      return name === undefined ? fail('protocol_error', 'presence answer is not one known byte') : ok(name);
    });
  }

  /** Powers the card and returns its answer-to-reset (ATR). */
  powerOn(): Promise<Result<Uint8Array>> {
    return this.guard(async () => {
      const reply = await this.exchange(CardCommand.powerOn, 0);
      return reply.ok ? ok(reply.value.slice()) : reply;
    });
  }

  powerOff(): Promise<Result<void>> {
    return this.guard(async () => {
      const reply = await this.exchange(CardCommand.powerOff, 0);
      return reply.ok ? ok(undefined) : reply;
    });
  }

  /** Sends one command APDU to the powered card; any status word is a value here. */
  transmit(apdu: Uint8Array): Promise<Result<CardResponse>> {
    if (!(apdu instanceof Uint8Array)) throw new TypeError('apdu must be a Uint8Array');
    if (apdu.length < 4 || apdu.length > cardFrameDataBytesMax - 1) {
      throw new RangeError(`apdu must be 4 to ${cardFrameDataBytesMax - 1} bytes, got ${apdu.length}`);
    }
    return this.guard(async () => {
      this.tx.set(apdu, frameDataAt + 1);
      const reply = await this.apdu(apdu.length);
      return reply.ok ? ok({ data: reply.value.data.slice(), sw: reply.value.sw }) : reply;
    });
  }

  /**
   * Reads the cardholder's credential: card present, power on, SELECT the
   * application, VERIFY the PIN, SELECT and READ BINARY the identity file,
   * check it, power off.
   */
  readCredential(pin: string): Promise<Result<SocialSecurityCredential>> {
    if (typeof pin !== 'string') throw new TypeError('pin must be a string');
    if (!pinPattern.test(pin)) throw new RangeError('pin must be 4 to 12 digits');
    return this.guard(async () => {
      const present = await this.exchange(CardCommand.presence, 0);
      if (!present.ok) return present;
      if (present.value[0] === Presence.absent) return fail('no_card', 'no card in the reader');
      const atr = await this.exchange(CardCommand.powerOn, 0);
      if (!atr.ok) return atr;
      const result = await this.readPowered(pin);
      // Power off whatever happened; a card already gone makes that fail, which changes nothing.
      await this.exchange(CardCommand.powerOff, 0);
      return result;
    });
  }

  /** Closes the port; a pending request ends as `cancelled`. Safe twice. */
  close(): Promise<void> {
    return this.port.close();
  }

  private async readPowered(pin: string): Promise<Result<SocialSecurityCredential>> {
    const app = await this.select(FileId.application, 'select application');
    if (!app.ok) return app;
    const verified = await this.verify(pin);
    if (!verified.ok) return verified;
    const identity = await this.select(FileId.identity, 'select identity file');
    if (!identity.ok) return identity;
    const length = await this.readIdentityFile();
    if (!length.ok) return length;
    return this.parseIdentity(length.value);
  }

  /** SELECT by file identifier, no response data: 00 A4 00 0C 02 FID (ISO 7816-4 §11.2.2). */
  private async select(fileId: number, doing: string): Promise<Result<void>> {
    this.putApdu([0x00, Ins.select, 0x00, 0x0c, 0x02, fileId >> 8, fileId & 0xff]);
    const reply = await this.apdu(7);
    if (!reply.ok) return reply;
    return reply.value.sw === Sw.ok ? ok(undefined) : statusWordFailure(reply.value.sw, doing);
  }

  /** VERIFY: 00 20 00 00 Lc PIN, digits packed in BCD (ISO 7816-4 §11.5.6; protocol doc §6). */
  private async verify(pin: string): Promise<Result<void>> {
    const at = frameDataAt + 1;
    this.putApdu([0x00, Ins.verify, 0x00, 0x00, 0x00]);
    const packed = packPin(pin, this.tx, at + 5);
    this.tx[at + 4] = packed;
    const reply = await this.apdu(5 + packed);
    if (!reply.ok) return reply;
    return reply.value.sw === Sw.ok ? ok(undefined) : statusWordFailure(reply.value.sw, 'verify PIN');
  }

  /** READ BINARY in chunks until the BER-TLV template's own length is read (ISO 7816-4 §11.3.3). */
  private async readIdentityFile(): Promise<Result<number>> {
    let have = 0;
    let total = -1;
    const roundsMax = Math.ceil(cardIdentityFileBytesMax / cardReadChunkBytes) + 1;
    for (let round = 0; round < roundsMax && (total < 0 || have < total); round += 1) {
      const want = Math.min(cardReadChunkBytes, (total < 0 ? cardIdentityFileBytesMax : total) - have);
      this.putApdu([0x00, Ins.readBinary, have >> 8, have & 0xff, want & 0xff]);
      const reply = await this.apdu(5);
      if (!reply.ok) return reply;
      const { data, sw } = reply.value;
      if (sw !== Sw.ok && sw !== Sw.endOfFile) return statusWordFailure(sw, 'read identity file');
      if (data.length === 0 || data.length > want) return fail('card_data_invalid', `READ BINARY at ${have} returned ${data.length} bytes for Le ${want}`);
      this.file.set(data, have);
      have += data.length;
      if (total < 0 && have >= 4) {
        total = this.templateLength(have);
        if (total < 0) return fail('card_data_invalid', 'the identity file does not start with a template of a valid length');
      }
      if (sw === Sw.endOfFile && (total < 0 || have < total)) return fail('card_data_invalid', 'the identity file ends inside its template');
    }
    return total >= 0 && have >= total ? ok(total) : fail('card_data_invalid', 'the identity file was not read in full');
  }

  /** Total bytes of the template `70 L ...` at the file's start, or -1. */
  private templateLength(have: number): number {
    const file = this.file;
    if (file[0] !== IdentityTag.template) return -1;
    const header = berLength(file, 1, have);
    if (header === null) return -1;
    const total = header.at + header.length;
    return total <= cardIdentityFileBytesMax ? total : -1;
  }

  /** Checks the identity file field by field (protocol doc §5); every field exactly once. */
  private parseIdentity(total: number): Result<SocialSecurityCredential> {
    const file = this.file;
    const header = berLength(file, 1, total) as { at: number; length: number };
    const fields = new Map<number, Uint8Array>();
    let at = header.at;
    while (at < total) {
      const tag = file[at] as number;
      const length = berLength(file, at + 1, total);
      if (length === null || length.at + length.length > total) return fail('card_data_invalid', `field ${tag.toString(16)} overruns the file`);
      if (fields.has(tag)) return fail('card_data_invalid', `field ${tag.toString(16)} appears twice`);
      fields.set(tag, file.subarray(length.at, length.at + length.length));
      at = length.at + length.length;
    }
    const text = (tag: number): string | null => {
      const bytes = fields.get(tag);
      if (bytes === undefined) return null;
      for (const byte of bytes) if (byte < 0x20 || byte > 0x7e) return null;
      return String.fromCharCode(...bytes);
    };
    const cardNumber = text(IdentityTag.cardNumber);
    const idNumber = text(IdentityTag.idNumber);
    const areaCode = text(IdentityTag.areaCode);
    const cardSerial = text(IdentityTag.cardSerial);
    const name = this.decodeName(fields.get(IdentityTag.name));
    if (fields.size !== 5) return fail('card_data_invalid', `the identity file has ${fields.size} fields, not 5`);
    if (cardNumber === null || !identityFields.cardNumber.test(cardNumber)) return fail('card_data_invalid', 'card number is malformed');
    if (idNumber === null || !idNumberValid(idNumber)) return fail('card_data_invalid', 'ID number is malformed or fails its check character');
    if (areaCode === null || !identityFields.areaCode.test(areaCode)) return fail('card_data_invalid', 'area code is malformed');
    if (cardSerial === null || !identityFields.cardSerial.test(cardSerial)) return fail('card_data_invalid', 'card serial is malformed');
    if (name === null) return fail('card_data_invalid', 'name is not 1 to 60 bytes of printable GB18030');
    return ok({ kind: 'social_security_card', cardNumber, idNumber, name, areaCode, cardSerial });
  }

  /** The name field is GB18030 (protocol doc §5), decoded by the runtime's own decoder, strictly. */
  private decodeName(bytes: Uint8Array | undefined): string | null {
    if (bytes === undefined || bytes.length === 0 || bytes.length > nameBytesMax) return null;
    this.nameDecoder ??= new TextDecoder('gb18030', { fatal: true });
    let name: string;
    try {
      name = this.nameDecoder.decode(bytes);
    } catch {
      return null;
    }
    return /^[^\p{Cc}\p{Cs}]+$/u.test(name) ? name : null;
  }

  private putApdu(bytes: readonly number[]): void {
    this.tx.set(bytes, frameDataAt + 1);
  }

  /** Exchanges the APDU at tx[frameDataAt + 1]; splits the status word off the response. */
  private async apdu(length: number): Promise<Result<{ data: Uint8Array; sw: number }>> {
    const reply = await this.exchange(CardCommand.transmit, length);
    if (!reply.ok) return reply;
    const bytes = reply.value;
    if (bytes.length < 2) return fail('protocol_error', 'response APDU shorter than its status word');
    const sw = ((bytes[bytes.length - 2] as number) << 8) | (bytes[bytes.length - 1] as number);
    return ok({ data: bytes.subarray(0, bytes.length - 2), sw });
  }

  private async guard<T>(run: () => Promise<Result<T>>): Promise<Result<T>> {
    assert(!this.busy, 'one card reader request in flight');
    this.busy = true;
    try {
      return await run();
    } finally {
      this.busy = false;
    }
  }

  /**
   * Sends the request whose payload (`length` bytes) is at tx[frameDataAt + 1]
   * and returns the response payload after the status byte (a view valid until
   * the next exchange). A lost or garbled frame is sent again with the same
   * SEQ: the reader answers a repeat from memory, so even VERIFY is never run
   * twice (protocol doc §4).
   */
  private async exchange(cmd: number, length: number): Promise<Result<Uint8Array>> {
    if (!this.synced) {
      // The first request of a session carries SEQ 0: the reader runs it and
      // forgets the answer it remembered for an earlier session, so no later
      // request can be mistaken for a repeat. A presence poll is harmless to
      // run twice; the caller's request keeps its payload in tx behind it.
      const sync = await this.send(CardCommand.presence, 0, 0, this.syncFrame);
      if (!sync.ok) return sync;
      this.synced = true;
    }
    this.seq = (this.seq % 255) + 1;
    return this.send(cmd, this.seq, length, this.tx);
  }

  private async send(cmd: number, seq: number, length: number, tx: Uint8Array): Promise<Result<Uint8Array>> {
    tx[frameDataAt] = seq;
    const frameLength = sealFrame(tx, cmd, length + 1);
    const deadlineMs = this.clock.nowMs() + this.exchangeTimeoutMs;
    for (let attempt = 0; attempt < cardAttemptsMax && this.clock.nowMs() < deadlineMs; attempt += 1) {
      try {
        await this.port.write(tx.subarray(0, frameLength));
      } catch (error) {
        return portFailure(error);
      }
      const attemptDeadlineMs = Math.min(deadlineMs, this.clock.nowMs() + this.attemptTimeoutMs);
      const answer = await this.awaitResponse(cmd, seq, attemptDeadlineMs);
      if (answer === 'again') continue;
      return answer;
    }
    return fail('timeout', `card reader did not answer command ${cmd.toString(16)} within ${this.exchangeTimeoutMs} ms`);
  }

  /** Reads until the response to (cmd, seq), a NAK, or the deadline. */
  private async awaitResponse(cmd: number, seq: number, deadlineMs: number): Promise<Result<Uint8Array> | 'again'> {
    const rx = this.rx;
    for (;;) {
      const frame = findFrame(rx, this.rxLength);
      if (frame !== null) {
        const frameCmd = rx[frame.start + 3];
        const frameSeq = rx[frame.start + frameDataAt];
        const dataEnd = frame.end - 2;
        const statusAt = frame.start + frameDataAt + 1;
        let answer: Result<Uint8Array> | 'again' | null = null;
        if (frameCmd === CardCommand.nak) answer = 'again';
        else if (frameCmd === cmd && frameSeq === seq && statusAt < dataEnd) {
          const status = rx[statusAt] as number;
          const payload = this.reply.subarray(0, dataEnd - statusAt - 1);
          payload.set(rx.subarray(statusAt + 1, dataEnd));
          answer = status === ReaderStatus.ok ? ok(payload) : this.readerFailure(status);
        }
        // A stale answer (an earlier SEQ) or noise shaped like a frame is dropped.
        this.rxLength = consume(rx, this.rxLength, frame.end);
        if (answer !== null) return answer;
        continue;
      }
      if (!frameMayFollow(rx, this.rxLength)) this.rxLength = 0;
      else if (this.rxLength === rx.length) this.rxLength = consume(rx, this.rxLength, resyncCount(rx, this.rxLength));
      try {
        this.rxLength += await readBefore(this.port, rx.subarray(this.rxLength), this.clock, deadlineMs);
      } catch (error) {
        if (error === timeoutReason) return 'again';
        return portFailure(error);
      }
    }
  }

  private readerFailure(status: number): Result<never> {
    const code = readerFailures[status];
    if (code !== undefined) return fail(code, `card reader status ${status}: ${code.replace('_', ' ')}`);
    return fail('protocol_error', `card reader status ${status}`);
  }
}

/** A BER length at `at` (short form, or 0x81/0x82 long form): where the value starts and its length. */
function berLength(bytes: Uint8Array, at: number, end: number): { at: number; length: number } | null {
  if (at >= end) return null;
  const first = bytes[at] as number;
  if (first < 0x80) return { at: at + 1, length: first };
  if (first === 0x81 && at + 1 < end) return { at: at + 2, length: bytes[at + 1] as number };
  if (first === 0x82 && at + 2 < end) return { at: at + 3, length: ((bytes[at + 1] as number) << 8) | (bytes[at + 2] as number) };
  return null;
}
