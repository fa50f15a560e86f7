// The append-only log under the terminal's journal and the reference hub's
// state. File:
//
//   "SJNL" | format u16 = 1 | reserved u16 | generation u32 |
//   records: length u32 | CRC-32 u32 | payload (length bytes)
//
// integers big-endian; the CRC-32 (IEEE, as the wire's) is the payload's. A commit is one append of whole records and one
// fdatasync: once `append` returns, the records survive a power cut.
//
// Opening scans the records. A power cut during an append leaves a torn
// tail: a record cut short, or bytes that never all reached the disk (bad
// CRC), within the last append. That tail is cut off (its records were
// never acknowledged). A bad record further from the end is not a tail:
// committed records would be lost, so opening refuses with `journal_corrupt`
// rather than guess. Rotation writes the live records to a fresh file and
// renames it over the old one, so a crash leaves one whole file or the other.
import assert from 'node:assert';
import { crc32 } from '../../protocol/framing';
import { journalRecordBytesMax } from './limits';
import type { JournalStorage } from './storage';

const headerBytes = 12;
const recordHeadBytes = 8;
const magic = [0x53, 0x4a, 0x4e, 0x4c]; // "SJNL"
/** One append (one write, then one fsync) is at most this many bytes: a power cut spoils no more. */
export const appendBytesMax = recordHeadBytes + journalRecordBytesMax;

export type LogErrorCode = 'journal_corrupt' | 'journal_full';

/** A journal that cannot be opened or written as asked: a value callers branch on, with a stable code. */
export class LogError extends Error {
  override readonly name = 'LogError';
  constructor(
    readonly code: LogErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

function header(generation: number): Uint8Array {
  const bytes = new Uint8Array(headerBytes);
  bytes.set(magic);
  const view = new DataView(bytes.buffer);
  view.setUint16(4, 1);
  view.setUint32(8, generation);
  return bytes;
}

/** Frames payloads as records, back to back. */
export function encodeRecords(payloads: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const payload of payloads) {
    assert(payload.length > 0 && payload.length <= journalRecordBytesMax, 'record size');
    size += recordHeadBytes + payload.length;
  }
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let at = 0;
  for (const payload of payloads) {
    view.setUint32(at, payload.length);
    view.setUint32(at + 4, crc32(payload));
    out.set(payload, at + recordHeadBytes);
    at += recordHeadBytes + payload.length;
  }
  return out;
}

/** The end of the record starting at `at`, or 0 when there is no whole, good one there. */
function recordAt(bytes: Uint8Array, at: number): number {
  if (bytes.length - at < recordHeadBytes) return 0;
  const view = new DataView(bytes.buffer, bytes.byteOffset + at);
  const length = view.getUint32(0);
  const end = at + recordHeadBytes + length;
  // A damaged length reads another span, whose CRC then fails: the length needs no CRC of its own.
  return length > 0 && length <= journalRecordBytesMax && end <= bytes.length && crc32(bytes, at + recordHeadBytes, end) === view.getUint32(4) ? end : 0;
}

export interface OpenedLog {
  readonly log: AppendLog;
  readonly payloads: readonly Uint8Array[];
  /** Bytes of torn tail cut off at open (0 when the file ended cleanly). */
  readonly tornBytes: number;
}

export class AppendLog {
  readonly #storage: JournalStorage;
  #size: number;
  #generation: number;

  private constructor(
    storage: JournalStorage,
    readonly file: string,
    size: number,
    generation: number,
    readonly bytesMax: number,
  ) {
    this.#storage = storage;
    this.#size = size;
    this.#generation = generation;
  }

  /** Opens (or creates) the log, cutting a torn tail; throws LogError `journal_corrupt` on damage that is not a tail. */
  static open(storage: JournalStorage, file: string, bytesMax: number): OpenedLog {
    assert(bytesMax >= headerBytes + appendBytesMax, 'a log holds the largest record');
    const staging = `${file}.tmp`;
    // A rotation that did not reach its rename: the old file is whole.
    if (storage.read(staging) !== null) {
      storage.remove(staging);
      storage.syncDir(file);
    }
    const bytes = storage.read(file);
    if (bytes === null || bytes.length < headerBytes) {
      // Never written, or its creation was cut short before anything was committed.
      storage.write(file, header(1));
      storage.sync(file);
      storage.syncDir(file);
      return { log: new AppendLog(storage, file, headerBytes, 1, bytesMax), payloads: [], tornBytes: bytes?.length ?? 0 };
    }
    if (magic.some((byte, index) => bytes[index] !== byte) || bytes[4] !== 0 || bytes[5] !== 1) throw new LogError('journal_corrupt', `${file}: not a journal`);
    const payloads: Uint8Array[] = [];
    let at = headerBytes;
    for (let end = recordAt(bytes, at); end > 0; end = recordAt(bytes, at)) {
      payloads.push(bytes.subarray(at + recordHeadBytes, end));
      at = end;
    }
    const tornBytes = bytes.length - at;
    // Each append is one write of at most appendBytesMax, then an fsync: a power cut spoils only
    // what lies that close to the end. More after a bad record is damage to committed records.
    if (tornBytes > appendBytesMax) throw new LogError('journal_corrupt', `${file}: a bad record at byte ${at}, ${tornBytes} bytes before the end`);
    if (tornBytes > 0) storage.truncate(file, at);
    return { log: new AppendLog(storage, file, at, new DataView(bytes.buffer, bytes.byteOffset).getUint32(8), bytesMax), payloads, tornBytes };
  }

  get size(): number {
    return this.#size;
  }

  /** Appends records as one write and makes them durable; refuses with `journal_full` past the bound. */
  append(payloads: readonly Uint8Array[]): void {
    const bytes = encodeRecords(payloads);
    assert(bytes.length <= appendBytesMax, 'one append, one record at most (split larger batches)');
    if (this.#size + bytes.length > this.bytesMax) throw new LogError('journal_full', this.file);
    this.#storage.append(this.file, bytes);
    this.#storage.sync(this.file);
    this.#size += bytes.length;
  }

  /** Replaces the whole log by `payloads` in a fresh file (the next generation), atomically. */
  rewrite(payloads: readonly Uint8Array[]): void {
    const records = encodeRecords(payloads);
    const bytes = new Uint8Array(headerBytes + records.length);
    bytes.set(header(this.#generation + 1));
    bytes.set(records, headerBytes);
    if (bytes.length > this.bytesMax) throw new LogError('journal_full', this.file);
    const staging = `${this.file}.tmp`;
    this.#storage.write(staging, bytes);
    this.#storage.sync(staging);
    this.#storage.rename(staging, this.file);
    this.#storage.syncDir(this.file);
    this.#size = bytes.length;
    this.#generation += 1;
  }
}
