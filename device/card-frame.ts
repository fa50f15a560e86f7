// The card reader's framed serial protocol, shared by the driver and the
// emulator. Byte tables and the reasons behind them: device/card-reader-protocol.md.
//
//   STX | LEN (2, big-endian) | CMD | DATA (LEN - 1 bytes) | BCC | ETX
//
// DATA begins with SEQ; a response's DATA then has the reader's status byte.
// BCC is the XOR of LEN, CMD and DATA.
import assert from 'node:assert';
import { cardFrameDataBytesMax, cardFrameOverheadBytes } from './limits';

export const stx = 0x02;
export const etx = 0x03;

/** Commands (protocol doc §2). A response echoes its request's CMD and SEQ. */
export const enum CardCommand {
  presence = 0x31,
  powerOn = 0x32,
  powerOff = 0x33,
  transmit = 0x34,
  /** Sent by the reader for a frame it saw but could not check; carries SEQ 0. */
  nak = 0x15,
}

/** The reader's status byte, DATA[1] of every response (protocol doc §3). */
export const enum ReaderStatus {
  ok = 0x00,
  noCard = 0x01,
  cardRemoved = 0x02,
  cardMute = 0x03,
  notPowered = 0x04,
  unknownCommand = 0x05,
  badLength = 0x06,
}

/** The payload of a `presence` response (protocol doc §2). */
export const enum Presence { absent = 0x00, present = 0x01, powered = 0x02 }

/** Largest frame on the wire, bytes. */
export const cardFrameBytesMax = cardFrameDataBytesMax + cardFrameOverheadBytes;
/** Offset of DATA in a frame. */
export const frameDataAt = 4;

function bcc(bytes: Uint8Array, from: number, to: number): number {
  let check = 0;
  for (let i = from; i < to; i += 1) check ^= bytes[i] as number;
  return check;
}

/**
 * Completes a frame whose DATA (`dataLength` bytes) is already in place at
 * `out[frameDataAt]`: writes STX, LEN, CMD, BCC and ETX; returns the frame's length.
 */
export function sealFrame(out: Uint8Array, cmd: number, dataLength: number): number {
  assert(dataLength >= 1 && dataLength <= cardFrameDataBytesMax, 'DATA holds SEQ and fits a frame');
  assert(out.length >= dataLength + cardFrameOverheadBytes, 'the frame fits its buffer');
  const len = dataLength + 1;
  out[0] = stx;
  out[1] = len >> 8;
  out[2] = len & 0xff;
  out[3] = cmd;
  const end = frameDataAt + dataLength;
  out[end] = bcc(out, 1, end);
  out[end + 1] = etx;
  return end + 2;
}

export interface FrameAt {
  readonly start: number;
  readonly end: number;
}

/** Whether a complete, well-checked frame starts at `start`: its end, 0 when incomplete, -1 when not a frame. */
function frameEndAt(bytes: Uint8Array, start: number, length: number): number {
  if (length - start < 3) return 0;
  const len = ((bytes[start + 1] as number) << 8) | (bytes[start + 2] as number);
  if (len < 2 || len > cardFrameDataBytesMax + 1) return -1;
  const end = start + len + 5;
  if (end > length) return 0;
  if (bytes[end - 1] !== etx || bytes[end - 2] !== bcc(bytes, start + 1, end - 2)) return -1;
  return end;
}

/**
 * The first complete, well-checked frame in `bytes[0, length)`, or null.
 * Every STX is tried, so noise that looks like the start of a long frame
 * cannot hide a good frame behind it.
 */
export function findFrame(bytes: Uint8Array, length: number): FrameAt | null {
  for (let start = bytes.indexOf(stx); start >= 0 && start < length; start = bytes.indexOf(stx, start + 1)) {
    const end = frameEndAt(bytes, start, length);
    if (end > 0) return { start, end };
  }
  return null;
}

/** Whether `bytes[0, length)` may still become a frame: some STX with an incomplete candidate behind it. */
export function frameMayFollow(bytes: Uint8Array, length: number): boolean {
  for (let start = bytes.indexOf(stx); start >= 0 && start < length; start = bytes.indexOf(stx, start + 1)) {
    if (frameEndAt(bytes, start, length) === 0) return true;
  }
  return false;
}

/** Whether some STX starts a frame of a plausible length that is complete but fails its BCC or ETX: a damaged frame, worth a NAK. */
export function damagedFrameIn(bytes: Uint8Array, length: number): boolean {
  for (let start = bytes.indexOf(stx); start >= 0 && start < length; start = bytes.indexOf(stx, start + 1)) {
    if (length - start < 3) continue;
    const len = ((bytes[start + 1] as number) << 8) | (bytes[start + 2] as number);
    if (len >= 2 && len <= cardFrameDataBytesMax + 1 && start + len + 5 <= length && frameEndAt(bytes, start, length) < 0) return true;
  }
  return false;
}

/**
 * Drops the first `count` bytes of `bytes[0, length)`, keeping the rest in
 * place; returns the new length. Receive buffers are allocated once.
 */
export function consume(bytes: Uint8Array, length: number, count: number): number {
  assert(count >= 0 && count <= length, 'consume within the buffer');
  bytes.copyWithin(0, count, length);
  return length - count;
}

/** When a full buffer holds no frame: how many leading bytes to drop (up to the next STX after the first byte). */
export function resyncCount(bytes: Uint8Array, length: number): number {
  const next = bytes.indexOf(stx, 1);
  return next < 0 || next >= length ? length : next;
}
