// An emulated card reader with virtual social-security cards (docs/design.md,
// devices). It speaks the framed protocol of device/card-reader-protocol.md
// on a port, byte for byte as a reader would, and behind it each card answers
// ISO 7816-4 as a card would: valid, PIN blocked, wrong PIN (a card whose PIN
// the tester does not type), pulled out mid-read, unreadable. Ships in the
// simulation bundle (`settle-sim emulate card-reader`), not in the firmware.
import assert from 'node:assert';
import {
  CardCommand,
  Presence,
  ReaderStatus,
  cardFrameBytesMax,
  consume,
  damagedFrameIn,
  findFrame,
  frameDataAt,
  frameMayFollow,
  resyncCount,
  sealFrame,
} from '../card-frame';
import type { Gb18030Encoder } from '../gb18030';
import { FileId, IdentityTag, Ins, Sw, identityFields, idNumberValid, nameBytesMax, packPin, pinPattern, swRetries } from '../iso7816';
import { PortError, type Port } from '../port';

export type CardFault = 'none' | 'pulled_mid_read' | 'unreadable';

export interface VirtualCard {
  /** How the tester names the card: `insert ID`. */
  readonly id: string;
  readonly cardNumber: string;
  readonly idNumber: string;
  readonly name: string;
  readonly areaCode: string;
  readonly cardSerial: string;
  readonly pin: string;
  /** Tries left before the PIN blocks; 0 is blocked. */
  readonly pinTriesLeft: number;
  readonly fault: CardFault;
  /** For `pulled_mid_read`: bytes of the identity file read before the card leaves the reader. */
  readonly pullAfterBytes: number;
}

/** PIN tries a card restores after a right PIN. */
export const pinTriesMax = 3;
const cardIdPattern = /^[a-z0-9][a-z0-9_-]{0,31}$/;
const cardsMax = 64;

/** The answer-to-reset of every virtual card: direct convention, T=0, historical bytes "SSSE" 01 01 00 00. */
export const virtualAtr = Object.freeze([0x3b, 0x68, 0x00, 0x00, 0x53, 0x53, 0x53, 0x45, 0x01, 0x01, 0x00, 0x00]);

/** PIN of every default card but `wrong-pin`. */
export const defaultPin = '123456';

function card(fields: Partial<VirtualCard> & Pick<VirtualCard, 'id' | 'cardNumber' | 'idNumber' | 'name' | 'areaCode'>): VirtualCard {
  return Object.freeze({ cardSerial: '110000D15600000500A1B2C3D4E5F6A7', pin: defaultPin, pinTriesLeft: pinTriesMax, fault: 'none', pullAfterBytes: 64, ...fields });
}

/** The cards an emulator holds when none are given (README.md, Devices). */
export const defaultCards: readonly VirtualCard[] = Object.freeze([
  card({ id: 'valid', cardNumber: 'A12345678', idNumber: '11010519491231002X', name: '陈䶮', areaCode: '110000' }),
  card({ id: 'blocked', cardNumber: 'B23456789', idNumber: '440306198508151233', name: '李四', areaCode: '440300', pinTriesLeft: 0 }),
  card({ id: 'wrong-pin', cardNumber: 'C34567890', idNumber: '310101197003075013', name: '王五', areaCode: '310000', pin: '654321' }),
  card({ id: 'pulled', cardNumber: 'D45678901', idNumber: '510107198812120048', name: '赵六', areaCode: '510100', fault: 'pulled_mid_read' }),
  card({ id: 'unreadable', cardNumber: 'E56789012', idNumber: '210102196001012017', name: '孙七', areaCode: '210100', fault: 'unreadable' }),
]);

export type CardsFileErrorCode = 'cards_not_json' | 'cards_invalid';

/** Reads a cards file (JSON: `{ "cards": [VirtualCard…] }`, optional fields defaulted) strictly. */
export function parseCards(
  text: string,
  encoder: Gb18030Encoder,
): { ok: true; cards: readonly VirtualCard[] } | { ok: false; code: CardsFileErrorCode; message: string } {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    return { ok: false, code: 'cards_not_json', message: `not JSON: ${(error as Error).message}` };
  }
  const invalid = (message: string) => ({ ok: false as const, code: 'cards_invalid' as const, message });
  if (typeof document !== 'object' || document === null || Array.isArray(document)) return invalid('the document must be an object with a "cards" array');
  const extra = Object.keys(document).filter((key) => key !== 'cards');
  if (extra.length > 0) return invalid(`unknown field "${extra[0]}"`);
  const list = (document as { cards?: unknown }).cards;
  if (!Array.isArray(list) || list.length === 0 || list.length > cardsMax) return invalid(`"cards" must be an array of 1 to ${cardsMax} cards`);
  const cards: VirtualCard[] = [];
  for (let i = 0; i < list.length; i += 1) {
    const checked = checkCard(list[i], encoder);
    if (typeof checked === 'string') return invalid(`cards[${i}]${checked}`);
    if (cards.some((other) => other.id === checked.id)) return invalid(`cards[${i}].id "${checked.id}" is used twice`);
    cards.push(checked);
  }
  return { ok: true, cards: Object.freeze(cards) };
}

const cardKeys = ['id', 'cardNumber', 'idNumber', 'name', 'areaCode', 'cardSerial', 'pin', 'pinTriesLeft', 'fault', 'pullAfterBytes'];

/** A checked card, or where and why it is wrong. */
function checkCard(value: unknown, encoder: Gb18030Encoder): VirtualCard | string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return ' must be an object';
  const raw = value as Record<string, unknown>;
  const unknown = Object.keys(raw).find((key) => !cardKeys.includes(key));
  if (unknown !== undefined) return `: unknown field "${unknown}"`;
  for (const key of ['id', 'cardNumber', 'idNumber', 'name', 'areaCode'] as const) {
    if (typeof raw[key] !== 'string') return `.${key} must be a string`;
  }
  const merged = { ...card(raw as unknown as VirtualCard), ...raw } as VirtualCard;
  if (!cardIdPattern.test(merged.id)) return '.id must be 1 to 32 of a-z, 0-9, _ and -, starting with a letter or digit';
  if (typeof merged.cardNumber !== 'string' || !identityFields.cardNumber.test(merged.cardNumber)) return '.cardNumber must be 6 to 20 of 0-9 and A-Z';
  if (!idNumberValid(merged.idNumber)) return '.idNumber must be 17 digits and a valid check character (GB 11643)';
  if (!identityFields.areaCode.test(merged.areaCode)) return '.areaCode must be 6 digits';
  if (typeof merged.cardSerial !== 'string' || !identityFields.cardSerial.test(merged.cardSerial)) return '.cardSerial must be 1 to 32 of 0-9 and A-Z';
  const nameBytes = encoder.encode(merged.name).length;
  if (merged.name.length === 0 || nameBytes > nameBytesMax || /[\p{Cc}\p{Cs}]/u.test(merged.name)) return `.name must be 1 to ${nameBytesMax} bytes in GB18030, no control characters`;
  if (typeof merged.pin !== 'string' || !pinPattern.test(merged.pin)) return '.pin must be 4 to 12 digits';
  if (!Number.isInteger(merged.pinTriesLeft) || merged.pinTriesLeft < 0 || merged.pinTriesLeft > pinTriesMax) return `.pinTriesLeft must be 0 to ${pinTriesMax}`;
  if (!['none', 'pulled_mid_read', 'unreadable'].includes(merged.fault)) return '.fault must be none, pulled_mid_read or unreadable';
  if (!Number.isInteger(merged.pullAfterBytes) || merged.pullAfterBytes < 0 || merged.pullAfterBytes > 512) return '.pullAfterBytes must be 0 to 512';
  return Object.freeze(merged);
}

/** The identity file: BER-TLV template 70 holding tags 80–84 (protocol doc §5). */
export function identityFile(card: VirtualCard, encoder: Gb18030Encoder): Uint8Array {
  const ascii = (text: string) => Uint8Array.from(text, (char) => char.charCodeAt(0));
  const fields: [number, Uint8Array][] = [
    [IdentityTag.cardNumber, ascii(card.cardNumber)],
    [IdentityTag.idNumber, ascii(card.idNumber)],
    [IdentityTag.name, encoder.encode(card.name)],
    [IdentityTag.areaCode, ascii(card.areaCode)],
    [IdentityTag.cardSerial, ascii(card.cardSerial)],
  ];
  const tlv = (tag: number, value: Uint8Array) => [tag, ...(value.length < 0x80 ? [value.length] : [0x81, value.length]), ...value];
  return Uint8Array.from(tlv(IdentityTag.template, Uint8Array.from(fields.flatMap(([tag, value]) => tlv(tag, value)))));
}

interface CardState {
  readonly spec: VirtualCard;
  /** The identity file, encoded when first read (the GB18030 table is not built at a site's boot). */
  file: Uint8Array | null;
  triesLeft: number;
  powered: boolean;
  verified: boolean;
  appSelected: boolean;
  identitySelected: boolean;
}

type Apdu = { sw: number; data?: Uint8Array } | 'removed';

export interface CardReaderEmulatorOptions {
  readonly encoder: Gb18030Encoder;
  readonly cards?: readonly VirtualCard[];
  /** The card in the reader at start, by id; none when null. */
  readonly inserted?: string | null;
  /** One line per event, for a tester watching. */
  readonly log?: (line: string) => void;
}

export class CardReaderEmulator {
  readonly stats = { requests: 0, repeats: 0, naks: 0 };
  private readonly states = new Map<string, CardState>();
  private readonly rx = new Uint8Array(2 * cardFrameBytesMax);
  private readonly tx = new Uint8Array(cardFrameBytesMax);
  private readonly last = new Uint8Array(cardFrameBytesMax);
  private readonly nak = new Uint8Array(8);
  private readonly nakLength: number;
  private lastLength = 0;
  private lastSeq = -1;
  private lastCmd = -1;
  private current: CardState | null = null;
  private running: Promise<void> | null = null;
  private readonly log: (line: string) => void;
  private readonly encoder: Gb18030Encoder;

  constructor(
    private readonly port: Port,
    options: CardReaderEmulatorOptions,
  ) {
    const cards = options.cards ?? defaultCards;
    assert(cards.length > 0, 'an emulator holds at least one card');
    for (const spec of cards) {
      this.states.set(spec.id, {
        spec,
        file: null,
        triesLeft: spec.pinTriesLeft,
        powered: false,
        verified: false,
        appSelected: false,
        identitySelected: false,
      });
    }
    this.encoder = options.encoder;
    this.log = options.log ?? (() => {});
    this.nak[frameDataAt] = 0;
    this.nakLength = sealFrame(this.nak, CardCommand.nak, 1);
    const first = options.inserted === undefined ? (cards[0] as VirtualCard).id : options.inserted;
    if (first !== null) this.insert(first);
  }

  get cardIds(): readonly string[] {
    return [...this.states.keys()];
  }

  get insertedId(): string | null {
    return this.current?.spec.id ?? null;
  }

  /** Puts a card in the reader (taking out any other), unpowered. */
  insert(id: string): void {
    const state = this.states.get(id);
    if (state === undefined) throw new RangeError(`no card '${id}' (cards: ${this.cardIds.join(', ')})`);
    this.current = state;
    this.resetCard(state);
    this.log(`card inserted: ${id}`);
  }

  remove(): void {
    if (this.current === null) return;
    this.log(`card removed: ${this.current.spec.id}`);
    this.resetCard(this.current);
    this.current = null;
  }

  /** Serves requests until the port closes. */
  start(): void {
    assert(this.running === null, 'an emulator starts once');
    this.running = this.serve();
  }

  /** Closes the port and waits for the serving loop to end; safe twice. */
  async close(): Promise<void> {
    await this.port.close();
    await this.running;
  }

  private resetCard(state: CardState): void {
    state.powered = false;
    state.verified = false;
    state.appSelected = false;
    state.identitySelected = false;
  }

  private async serve(): Promise<void> {
    const rx = this.rx;
    let length = 0;
    for (;;) {
      try {
        length += await this.port.read(rx.subarray(length));
      } catch (error) {
        if (error instanceof PortError) return;
        throw error;
      }
      for (let frame = findFrame(rx, length); frame !== null; frame = findFrame(rx, length)) {
        const ok = await this.handle(frame.start, frame.end);
        if (!ok) return;
        length = consume(rx, length, frame.end);
      }
      if (!frameMayFollow(rx, length)) {
        if (damagedFrameIn(rx, length)) {
          this.stats.naks += 1;
          if (!(await this.send(this.nak, this.nakLength))) return;
        }
        length = 0;
      } else if (length === rx.length) {
        length = consume(rx, length, resyncCount(rx, length));
      }
    }
  }

  /** Answers one request; false once the port is gone. */
  private async handle(start: number, end: number): Promise<boolean> {
    const rx = this.rx;
    const cmd = rx[start + 3] as number;
    const seq = rx[start + frameDataAt] as number;
    this.stats.requests += 1;
    if (seq !== 0 && seq === this.lastSeq && cmd === this.lastCmd) {
      // A repeat: the host lost our answer. Answer from memory, never run a command twice (protocol doc §4).
      this.stats.repeats += 1;
      return this.send(this.last, this.lastLength);
    }
    const request = rx.subarray(start + frameDataAt + 1, end - 2);
    const tx = this.tx;
    tx[frameDataAt] = seq;
    const payloadLength = this.execute(cmd, request, tx.subarray(frameDataAt + 2));
    const frameLength = sealFrame(tx, cmd, 2 + payloadLength);
    this.last.set(tx.subarray(0, frameLength));
    this.lastLength = frameLength;
    this.lastSeq = seq === 0 ? -1 : seq;
    this.lastCmd = cmd;
    return this.send(tx, frameLength);
  }

  private async send(frame: Uint8Array, length: number): Promise<boolean> {
    try {
      await this.port.write(frame.subarray(0, length));
      return true;
    } catch (error) {
      if (error instanceof PortError) return false;
      throw error;
    }
  }

  /** Runs a command; writes the status at tx[frameDataAt + 1] and the payload into `out`; returns the payload's length. */
  private execute(cmd: number, request: Uint8Array, out: Uint8Array): number {
    const card = this.current;
    const status = (value: number) => (this.tx[frameDataAt + 1] = value);
    status(ReaderStatus.ok);
    if (cmd === CardCommand.presence) {
      out[0] = card === null ? Presence.absent : card.powered ? Presence.powered : Presence.present;
      return 1;
    }
    if (cmd !== CardCommand.powerOn && cmd !== CardCommand.powerOff && cmd !== CardCommand.transmit) {
      status(ReaderStatus.unknownCommand);
      return 0;
    }
    if (card === null) {
      status(ReaderStatus.noCard);
      return 0;
    }
    if (cmd === CardCommand.powerOn) {
      if (card.spec.fault === 'unreadable') {
        status(ReaderStatus.cardMute);
        return 0;
      }
      this.resetCard(card);
      card.powered = true;
      out.set(virtualAtr);
      return virtualAtr.length;
    }
    if (cmd === CardCommand.powerOff) {
      this.resetCard(card);
      return 0;
    }
    if (!card.powered) {
      status(ReaderStatus.notPowered);
      return 0;
    }
    if (request.length < 4) {
      status(ReaderStatus.badLength);
      return 0;
    }
    const answer = this.apdu(card, request);
    if (answer === 'removed') {
      this.remove();
      status(ReaderStatus.cardRemoved);
      return 0;
    }
    const data = answer.data ?? new Uint8Array(0);
    out.set(data);
    out[data.length] = answer.sw >> 8;
    out[data.length + 1] = answer.sw & 0xff;
    this.log(`APDU ${Buffer.from(request).toString('hex')} -> ${answer.sw.toString(16)}`);
    return data.length + 2;
  }

  /** The card itself (ISO 7816-4 §11). */
  private apdu(card: CardState, apdu: Uint8Array): Apdu {
    const [cla, ins, p1, p2] = apdu as unknown as [number, number, number, number];
    const body = apdu.subarray(4);
    if (cla !== 0x00) return { sw: Sw.claNotSupported };
    if (ins === Ins.select) {
      if (body.length !== 3 || body[0] !== 2 || p1 !== 0x00 || p2 !== 0x0c) return { sw: Sw.wrongLength };
      const fileId = ((body[1] as number) << 8) | (body[2] as number);
      if (fileId === FileId.application) {
        card.appSelected = true;
        card.identitySelected = false;
        return { sw: Sw.ok };
      }
      if (fileId === FileId.identity && card.appSelected) {
        card.identitySelected = true;
        return { sw: Sw.ok };
      }
      return { sw: Sw.fileNotFound };
    }
    if (ins === Ins.verify) return this.verify(card, body);
    if (ins === Ins.readBinary) {
      if (body.length !== 1) return { sw: Sw.wrongLength };
      if (!card.identitySelected) return { sw: 0x6986 }; // command not allowed: no current EF
      if (!card.verified) return { sw: Sw.securityNotSatisfied };
      const offset = ((p1 & 0x7f) << 8) | p2;
      const file = (card.file ??= identityFile(card.spec, this.encoder));
      if (offset > file.length) return { sw: Sw.wrongOffset };
      const want = body[0] === 0 ? 256 : (body[0] as number);
      const end = Math.min(file.length, offset + want);
      if (card.spec.fault === 'pulled_mid_read' && end > card.spec.pullAfterBytes) return 'removed';
      return { sw: end - offset < want ? Sw.endOfFile : Sw.ok, data: file.subarray(offset, end) };
    }
    return { sw: Sw.insNotSupported };
  }

  /** VERIFY (ISO 7816-4 §11.5.6): no data asks for the tries left; a wrong PIN spends one. */
  private verify(card: CardState, body: Uint8Array): Apdu {
    if (card.triesLeft === 0) return { sw: Sw.pinBlocked };
    if (body.length === 0) return { sw: card.verified ? Sw.ok : swRetries | card.triesLeft };
    const expected = new Uint8Array(6);
    const length = packPin(card.spec.pin, expected, 0);
    const lc = body[0] as number;
    const given = body.subarray(1);
    if (lc !== given.length) return { sw: Sw.wrongLength };
    const right = given.length === length && given.every((byte, i) => byte === expected[i]);
    if (right) {
      card.triesLeft = pinTriesMax;
      card.verified = true;
      return { sw: Sw.ok };
    }
    card.triesLeft -= 1;
    card.verified = false;
    return { sw: swRetries | card.triesLeft };
  }
}
