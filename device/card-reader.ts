// Card reader driver (docs/design.md, devices): the framed serial protocol of
// device/card-reader-protocol.md to a contact reader, and ISO 7816-4 to the
// social-security card in it. It is given its port and clock (docs/conventions.md habit
// 7); one request is in flight at a time; every exchange ends by its deadline;
// every expected failure is a value with a stable code (docs/conventions.md habit 1).
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
import { fail, ok, portFailure, readBefore, timeoutReason, writeBefore, type Clock, type Port, type Result } from './port';

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
  const message = `${doing}: SW ${sw.toString(16)}`;
  if ((sw & swRetriesMask) === swRetries) {
    const retriesLeft = sw & 0x0f;
    return fail(retriesLeft === 0 ? 'pin_blocked' : 'pin_wrong', message, { sw, retriesLeft });
  }
  if (sw === Sw.pinBlocked) return fail('pin_blocked', message, { sw, retriesLeft: 0 });
  const code = sw === Sw.fileNotFound ? 'file_not_found' : sw === Sw.securityNotSatisfied ? 'security_not_satisfied' : 'card_error';
  return fail(code, message, { sw });
}

/** The identity file's ASCII fields and the credential keys they fill (protocol doc §5). */
const asciiFields = [
  [IdentityTag.cardNumber, 'cardNumber'],
  [IdentityTag.idNumber, 'idNumber'],
  [IdentityTag.areaCode, 'areaCode'],
  [IdentityTag.cardSerial, 'cardSerial'],
] as const;

function invalid<T = never>(what: string): Result<T> {
  return fail('card_data_invalid', `identity file: ${what}`);
}

const readerFailures: Record<number, Parameters<typeof fail>[0]> = {
  [ReaderStatus.noCard]: 'no_card',
  [ReaderStatus.cardRemoved]: 'card_removed',
  [ReaderStatus.cardMute]: 'card_unreadable',
};

export class CardReader {
  readonly #clock: Clock;
  readonly #exchangeTimeoutMs: number;
  readonly #attemptTimeoutMs: number;
  // Buffers allocated once (docs/conventions.md habit 7).
  readonly #tx = new Uint8Array(cardFrameBytesMax);
  readonly #rx = new Uint8Array(2 * cardFrameBytesMax);
  readonly #reply = new Uint8Array(cardFrameDataBytesMax);
  readonly #file = new Uint8Array(cardIdentityFileBytesMax);
  readonly #syncFrame = new Uint8Array(8);
  #rxLength = 0;
  /** SEQ of the last request: 1 to 255 after the SEQ 0 request that starts a session. */
  #seq = 0;
  #synced = false;
  #busy = false;
  #nameDecoder: InstanceType<typeof TextDecoder> | null = null;

  readonly #port: Port;
  constructor(
    port: Port,
    options: CardReaderOptions,
  ) {
    this.#port = port;
    this.#clock = options.clock;
    this.#exchangeTimeoutMs = options.exchangeTimeoutMs ?? deviceExchangeTimeoutMs;
    this.#attemptTimeoutMs = options.attemptTimeoutMs ?? cardAttemptTimeoutMs;
    if (!(this.#exchangeTimeoutMs > 0 && this.#attemptTimeoutMs > 0 && this.#attemptTimeoutMs <= this.#exchangeTimeoutMs)) {
      throw new RangeError('timeouts must be positive, attemptTimeoutMs ≤ exchangeTimeoutMs');
    }
  }

  /** Whether a card is in the reader, and powered. */
  presence(): Promise<Result<CardPresence>> {
    return this.#guard(async () => {
      const reply = await this.#exchange(CardCommand.presence, 0);
      if (!reply.ok) return reply;
      const name = reply.value.length === 1 ? presenceNames[reply.value[0] as number] : undefined;
      return name === undefined ? fail('protocol_error', 'bad presence answer') : ok(name);
    });
  }

  /**
   * Sends one reader command alone, the APDU (if any) as its payload, and
   * returns (a copy of) the response payload after the status byte. The
   * engineers' requests (power, raw APDUs) are built on it in
   * device/card-probe.ts.
   */
  protected request(cmd: number, apdu?: Uint8Array): Promise<Result<Uint8Array>> {
    return this.#guard(async () => {
      if (apdu) this.#tx.set(apdu, frameDataAt + 1);
      const reply = await this.#exchange(cmd, apdu?.length ?? 0);
      return reply.ok ? ok(reply.value.slice()) : reply;
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
    return this.#guard(async () => {
      const present = await this.#exchange(CardCommand.presence, 0);
      if (!present.ok) return present;
      if (present.value[0] === Presence.absent) return fail('no_card', 'no card');
      const atr = await this.#exchange(CardCommand.powerOn, 0);
      if (!atr.ok) return atr;
      const result = await this.#readPowered(pin);
      // Power off whatever happened; a card already gone makes that fail, which changes nothing.
      await this.#exchange(CardCommand.powerOff, 0);
      return result;
    });
  }

  /** Closes the port; a pending request ends as `cancelled`. Safe twice. */
  close(): Promise<void> {
    return this.#port.close();
  }

  async #readPowered(pin: string): Promise<Result<SocialSecurityCredential>> {
    const app = await this.#select(FileId.application);
    if (!app.ok) return app;
    const verified = await this.#verify(pin);
    if (!verified.ok) return verified;
    const identity = await this.#select(FileId.identity);
    if (!identity.ok) return identity;
    const length = await this.#readIdentityFile();
    if (!length.ok) return length;
    return this.#parseIdentity(length.value);
  }

  /** SELECT by file identifier, no response data: 00 A4 00 0C 02 FID (ISO 7816-4 §11.2.2). */
  #select(fileId: number): Promise<Result<void>> {
    this.#putApdu([0x00, Ins.select, 0x00, 0x0c, 0x02, fileId >> 8, fileId & 0xff]);
    return this.#expectOk(7, `select ${fileId.toString(16)}`);
  }

  /** VERIFY: 00 20 00 00 Lc PIN, digits packed in BCD (ISO 7816-4 §11.5.6; protocol doc §6). */
  #verify(pin: string): Promise<Result<void>> {
    const at = frameDataAt + 1;
    this.#putApdu([0x00, Ins.verify, 0x00, 0x00, 0x00]);
    const packed = packPin(pin, this.#tx, at + 5);
    this.#tx[at + 4] = packed;
    return this.#expectOk(5 + packed, 'verify');
  }

  /** Exchanges the APDU in tx: 9000 is success, any other status word a failure. */
  async #expectOk(length: number, doing: string): Promise<Result<void>> {
    const reply = await this.#apdu(length);
    if (!reply.ok) return reply;
    return reply.value.sw === Sw.ok ? ok(undefined) : statusWordFailure(reply.value.sw, doing);
  }

  /** READ BINARY in chunks until the BER-TLV template's own length is read (ISO 7816-4 §11.3.3). */
  async #readIdentityFile(): Promise<Result<number>> {
    let have = 0;
    let total = -1;
    const roundsMax = Math.ceil(cardIdentityFileBytesMax / cardReadChunkBytes) + 1;
    for (let round = 0; round < roundsMax && (total < 0 || have < total); round += 1) {
      const want = Math.min(cardReadChunkBytes, (total < 0 ? cardIdentityFileBytesMax : total) - have);
      this.#putApdu([0x00, Ins.readBinary, have >> 8, have & 0xff, want & 0xff]);
      const reply = await this.#apdu(5);
      if (!reply.ok) return reply;
      const { data, sw } = reply.value;
      if (sw !== Sw.ok && sw !== Sw.endOfFile) return statusWordFailure(sw, 'read binary');
      if (data.length === 0 || data.length > want) return invalid(`read ${data.length} of ${want} bytes at ${have}`);
      this.#file.set(data, have);
      have += data.length;
      if (total < 0 && have >= 4) {
        total = this.#templateLength(have);
        if (total < 0) return invalid('no template');
      }
      if (sw === Sw.endOfFile && (total < 0 || have < total)) return invalid('file ends early');
    }
    return total >= 0 && have >= total ? ok(total) : invalid('file too long');
  }

  /** Total bytes of the template `70 L ...` at the file's start, or -1. */
  #templateLength(have: number): number {
    const file = this.#file;
    if (file[0] !== IdentityTag.template) return -1;
    const header = berLength(file, 1, have);
    if (header === null) return -1;
    const total = header.at + header.length;
    return total <= cardIdentityFileBytesMax ? total : -1;
  }

  /** Checks the identity file field by field (protocol doc §5); every field exactly once. */
  #parseIdentity(total: number): Result<SocialSecurityCredential> {
    const file = this.#file;
    const header = berLength(file, 1, total) as { at: number; length: number };
    const fields = new Map<number, Uint8Array>();
    let at = header.at;
    while (at < total) {
      const tag = file[at] as number;
      const length = berLength(file, at + 1, total);
      if (length === null || length.at + length.length > total || fields.has(tag)) return invalid(`field ${tag}`);
      fields.set(tag, file.subarray(length.at, length.at + length.length));
      at = length.at + length.length;
    }
    if (fields.size !== 5) return invalid(`${fields.size} fields`);
    const credential: Record<string, string> = { kind: 'social_security_card' };
    for (const [tag, key] of asciiFields) {
      const bytes = fields.get(tag);
      const value = bytes === undefined || bytes.some((byte) => byte < 0x20 || byte > 0x7e) ? '' : String.fromCharCode(...bytes);
      if (!identityFields[key].test(value)) return invalid(key);
      credential[key] = value;
    }
    if (!idNumberValid(credential.idNumber as string)) return invalid('idNumber check character');
    const name = this.#decodeName(fields.get(IdentityTag.name));
    if (name === null) return invalid('name');
    credential.name = name;
    return ok(credential as unknown as SocialSecurityCredential);
  }

  /** The name field is GB18030 (protocol doc §5), decoded by the runtime's own decoder, strictly. */
  #decodeName(bytes: Uint8Array | undefined): string | null {
    if (bytes === undefined || bytes.length === 0 || bytes.length > nameBytesMax) return null;
    this.#nameDecoder ??= new TextDecoder('gb18030', { fatal: true });
    let name: string;
    try {
      name = this.#nameDecoder.decode(bytes);
    } catch {
      return null;
    }
    return /^[^\p{Cc}\p{Cs}]+$/u.test(name) ? name : null;
  }

  #putApdu(bytes: readonly number[]): void {
    this.#tx.set(bytes, frameDataAt + 1);
  }

  /** Exchanges the APDU at tx[frameDataAt + 1]; splits the status word off the response. */
  async #apdu(length: number): Promise<Result<CardResponse>> {
    const reply = await this.#exchange(CardCommand.transmit, length);
    return reply.ok ? splitStatusWord(reply.value) : reply;
  }

  async #guard<T>(run: () => Promise<Result<T>>): Promise<Result<T>> {
    assert(!this.#busy, 'one card reader request in flight');
    this.#busy = true;
    try {
      return await run();
    } finally {
      this.#busy = false;
    }
  }

  /**
   * Sends the request whose payload (`length` bytes) is at tx[frameDataAt + 1]
   * and returns the response payload after the status byte (a view valid until
   * the next exchange). A lost or garbled frame is sent again with the same
   * SEQ: the reader answers a repeat from memory, so even VERIFY is never run
   * twice (protocol doc §4).
   */
  async #exchange(cmd: number, length: number): Promise<Result<Uint8Array>> {
    if (!this.#synced) {
      // The first request of a session carries SEQ 0: the reader runs it and
      // forgets the answer it remembered for an earlier session, so no later
      // request can be mistaken for a repeat. A presence poll is harmless to
      // run twice; the caller's request keeps its payload in tx behind it.
      const sync = await this.#send(CardCommand.presence, 0, 0, this.#syncFrame);
      if (!sync.ok) return sync;
      this.#synced = true;
    }
    this.#seq = (this.#seq % 255) + 1;
    return this.#send(cmd, this.#seq, length, this.#tx);
  }

  async #send(cmd: number, seq: number, length: number, tx: Uint8Array): Promise<Result<Uint8Array>> {
    tx[frameDataAt] = seq;
    const frameLength = sealFrame(tx, cmd, length + 1);
    const startMs = this.#clock.nowMs();
    const deadlineMs = startMs + this.#exchangeTimeoutMs;
    let attempt = 0;
    for (; attempt < cardAttemptsMax && this.#clock.nowMs() < deadlineMs; attempt += 1) {
      try {
        await writeBefore(this.#port, tx.subarray(0, frameLength), this.#clock, deadlineMs);
      } catch (error) {
        // A write the exchange's deadline cut short is the same silence: reported below by command, time and tries.
        if (error === timeoutReason) break;
        return portFailure(error);
      }
      const attemptDeadlineMs = Math.min(deadlineMs, this.#clock.nowMs() + this.#attemptTimeoutMs);
      const answer = await this.#awaitResponse(cmd, seq, attemptDeadlineMs);
      if (answer === 'again') continue;
      return answer;
    }
    // The command by name, the time it really took and the tries (a NAK or noise can use them up before the exchange's timeout).
    return fail('timeout', `no answer to ${'PRESENCE POWER_ON POWER_OFF TRANSMIT'.split(' ')[cmd - CardCommand.presence]} (0x${cmd.toString(16)}) in ${(this.#clock.nowMs() - startMs) | 0} ms, ${attempt} tries`);
  }

  /** Reads until the response to (cmd, seq), a NAK, or the deadline. */
  async #awaitResponse(cmd: number, seq: number, deadlineMs: number): Promise<Result<Uint8Array> | 'again'> {
    const rx = this.#rx;
    for (;;) {
      const frame = findFrame(rx, this.#rxLength);
      if (frame !== null) {
        const frameCmd = rx[frame.start + 3];
        const frameSeq = rx[frame.start + frameDataAt];
        const dataEnd = frame.end - 2;
        const statusAt = frame.start + frameDataAt + 1;
        let answer: Result<Uint8Array> | 'again' | null = null;
        if (frameCmd === CardCommand.nak) answer = 'again';
        else if (frameCmd === cmd && frameSeq === seq && statusAt < dataEnd) {
          const status = rx[statusAt] as number;
          const payload = this.#reply.subarray(0, dataEnd - statusAt - 1);
          payload.set(rx.subarray(statusAt + 1, dataEnd));
          answer = status === ReaderStatus.ok ? ok(payload) : this.#readerFailure(status);
        }
        // A stale answer (an earlier SEQ) or noise shaped like a frame is dropped.
        this.#rxLength = consume(rx, this.#rxLength, frame.end);
        if (answer !== null) return answer;
        continue;
      }
      if (!frameMayFollow(rx, this.#rxLength)) this.#rxLength = 0;
      else if (this.#rxLength === rx.length) this.#rxLength = consume(rx, this.#rxLength, resyncCount(rx, this.#rxLength));
      try {
        this.#rxLength += await readBefore(this.#port, rx.subarray(this.#rxLength), this.#clock, deadlineMs);
      } catch (error) {
        if (error === timeoutReason) return 'again';
        return portFailure(error);
      }
    }
  }

  #readerFailure(status: number): Result<never> {
    const code = readerFailures[status];
    return fail(code ?? 'protocol_error', `reader status ${status}`);
  }
}

/** A response APDU split into its data (a view) and its status word. */
export function splitStatusWord(bytes: Uint8Array): Result<CardResponse> {
  if (bytes.length < 2) return fail('protocol_error', 'response APDU shorter than its status word');
  const sw = ((bytes[bytes.length - 2] as number) << 8) | (bytes[bytes.length - 1] as number);
  return ok({ data: bytes.subarray(0, bytes.length - 2), sw });
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
