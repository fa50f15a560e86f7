// Reading the CLI's input: a whole file or stream with a byte bound, or a
// stream split into lines with a bound per line. Memory stays bounded whatever
// arrives: an over-long input is reported, never buffered.
import { createReadStream } from 'node:fs';
import { UsageError } from './command';

export class InputTooLarge extends Error {
  override readonly name = 'InputTooLarge';
}

/** Reads a whole stream, refusing more than `bytesMax`. */
export async function readAll(stream: NodeJS.ReadableStream, bytesMax: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of stream as AsyncIterable<Buffer | string>) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    length += bytes.length;
    if (length > bytesMax) {
      (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
      throw new InputTooLarge(`input is larger than ${bytesMax} bytes`);
    }
    chunks.push(bytes);
  }
  return Buffer.concat(chunks, length);
}

/** Reads all input as bytes for a command whose input is not a case: over the bound is a usage error. */
export async function readAllBytes(stream: NodeJS.ReadableStream, bytesMax: number): Promise<Uint8Array> {
  try {
    return await readAll(stream, bytesMax);
  } catch (error) {
    if (error instanceof InputTooLarge) throw new UsageError(error.message);
    throw error;
  }
}

/** Parses a hex flag of exactly `bytes` bytes. */
export function parseHexFlag(value: string | undefined, bytes: number, flag: string): Uint8Array {
  if (value === undefined) throw new UsageError(`--${flag} is required`);
  if (value.length !== bytes * 2 || !/^[0-9a-fA-F]+$/.test(value)) throw new UsageError(`--${flag} must be ${bytes * 2} hex digits`);
  return new Uint8Array(Buffer.from(value, 'hex'));
}

/** Parses an optional hex flag of any even length up to `bytesMax`. */
export function parseOptionalHex(value: string | undefined, bytesMax: number, flag: string): Uint8Array {
  if (value === undefined) return new Uint8Array(0);
  if (value.length % 2 !== 0 || value.length > bytesMax * 2 || !/^[0-9a-fA-F]*$/.test(value)) throw new UsageError(`--${flag} must be hex, at most ${bytesMax} bytes`);
  return new Uint8Array(Buffer.from(value, 'hex'));
}

/** The speeds a --baud flag may name, and the one it means when absent. */
const baudMin = 300;
const baudMax = 4_000_000;
const baudDefault = 115_200;

/** A serial line's speed flag: 300 to 4,000,000 baud, 115,200 when absent. */
export function parseBaud(text: string | undefined): number {
  if (text === undefined) return baudDefault;
  if (!/^[0-9]{3,7}$/.test(text) || Number(text) < baudMin || Number(text) > baudMax) throw new UsageError(`--baud must be ${baudMin} to ${baudMax}, got '${text}'`);
  return Number(text);
}

/** A file, or stdin when `file` is undefined or "-". */
export function openInput(file: string | undefined, stdin: NodeJS.ReadableStream): NodeJS.ReadableStream {
  return file === undefined || file === '-' ? stdin : createReadStream(file);
}

/** One line of a stream: its bytes without the newline (and without a trailing CR), or `null` when it was over the bound. */
export type Line = Buffer | null;

/**
 * Splits a stream on LF. A line longer than `bytesMax` is dropped as it
 * streams in and yielded as `null`, so memory never exceeds the bound. A last
 * line without a newline is yielded; an empty last segment is not.
 */
export async function* readLines(stream: NodeJS.ReadableStream, bytesMax: number): AsyncGenerator<Line> {
  let pieces: Buffer[] = [];
  let length = 0;
  let oversize = false;
  const finish = (): Line => {
    if (oversize) return null;
    let line = pieces.length === 1 ? (pieces[0] as Buffer) : Buffer.concat(pieces, length);
    if (line.length > 0 && line[line.length - 1] === 0x0d) line = line.subarray(0, line.length - 1);
    return line;
  };
  for await (const chunk of stream as AsyncIterable<Buffer | string>) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    let start = 0;
    for (let newline = bytes.indexOf(0x0a, start); newline >= 0; newline = bytes.indexOf(0x0a, start)) {
      append(bytes.subarray(start, newline));
      yield finish();
      pieces = [];
      length = 0;
      oversize = false;
      start = newline + 1;
    }
    append(bytes.subarray(start));
  }
  if (length > 0 || oversize) yield finish();

  function append(part: Buffer): void {
    if (part.length === 0 || oversize) return;
    if (length + part.length > bytesMax) {
      oversize = true;
      pieces = [];
      return;
    }
    pieces.push(part);
    length += part.length;
  }
}
