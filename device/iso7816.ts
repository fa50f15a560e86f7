// The social-security card as the card reader driver sees it: ISO/IEC 7816-4
// commands (SELECT by file identifier, READ BINARY, VERIFY), status words, and
// the identity file's layout. Shared by the driver and the emulator; the
// layout and the encoding choices are in device/card-reader-protocol.md §5–6.

/** Instruction bytes (ISO 7816-4 §11). CLA is 0x00 throughout. */
export const enum Ins { select = 0xa4, readBinary = 0xb0, verify = 0x20 }

/** Status words the driver tells apart (ISO 7816-4 §5.6). */
export const enum Sw {
  ok = 0x9000,
  endOfFile = 0x6282, // fewer bytes than Le: the end of the file was reached
  wrongLength = 0x6700,
  securityNotSatisfied = 0x6982,
  pinBlocked = 0x6983, // authentication method blocked
  fileNotFound = 0x6a82,
  wrongOffset = 0x6b00,
  insNotSupported = 0x6d00,
  claNotSupported = 0x6e00,
}

/** 63Cx: verification failed, x tries left (ISO 7816-4 §5.6, table 6). */
export const swRetriesMask = 0xfff0;
export const swRetries = 0x63c0;

/** File identifiers of the card (protocol doc §5). */
export const enum FileId { application = 0xdf01, identity = 0xef05 }

/** Tags of the identity file's BER-TLV fields (protocol doc §5); context-specific, primitive. */
export const enum IdentityTag {
  template = 0x70,
  cardNumber = 0x80,
  idNumber = 0x81,
  name = 0x82,
  areaCode = 0x83,
  cardSerial = 0x84,
}

/** What the card yields to the session: the patient's social-security credential. */
export interface SocialSecurityCredential {
  readonly kind: 'social_security_card';
  /** Social-security card number (社会保障卡卡号). */
  readonly cardNumber: string;
  /** Resident ID number, 18 characters, check digit verified (公民身份号码). */
  readonly idNumber: string;
  /** Cardholder's name, decoded from GB18030. */
  readonly name: string;
  /** Issuing area: six-digit administrative division code (发卡地区行政区划代码). */
  readonly areaCode: string;
  /** Card identification code (卡识别码). */
  readonly cardSerial: string;
}

/** The patterns each ASCII field must match, and the name's bounds in bytes (protocol doc §5). */
export const identityFields = Object.freeze({
  cardNumber: /^[0-9A-Z]{6,20}$/,
  idNumber: /^[0-9]{17}[0-9X]$/,
  areaCode: /^[0-9]{6}$/,
  cardSerial: /^[0-9A-Z]{1,32}$/,
});
export const nameBytesMax = 60;

/** The check character of an 18-character resident ID number (GB 11643, ISO 7064 MOD 11-2). */
export function idCheckCharacter(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i += 1) sum += Number(first17[i]) * ((2 ** (17 - i)) % 11);
  return '10X98765432'[sum % 11] as string;
}

export function idNumberValid(id: string): boolean {
  return identityFields.idNumber.test(id) && idCheckCharacter(id.slice(0, 17)) === id[17];
}

/** PIN digits packed two to a byte, padded with 0xF (protocol doc §6). */
export function packPin(pin: string, out: Uint8Array, at: number): number {
  const bytes = (pin.length + 1) >> 1;
  for (let i = 0; i < bytes; i += 1) {
    const high = pin.charCodeAt(2 * i) - 0x30;
    const low = 2 * i + 1 < pin.length ? pin.charCodeAt(2 * i + 1) - 0x30 : 0xf;
    out[at + i] = (high << 4) | low;
  }
  return bytes;
}

export const pinPattern = /^[0-9]{4,12}$/;
