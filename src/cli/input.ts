// Reading a CLI's input as bytes: all of it, with a bound, so a stray
// multi-gigabyte pipe cannot exhaust memory.
import { UsageError } from './command';

export async function readAllBytes(stream: NodeJS.ReadableStream, bytesMax: number): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of stream as AsyncIterable<Buffer | string>) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    length += bytes.length;
    if (length > bytesMax) throw new UsageError(`input is over ${bytesMax} bytes`);
    chunks.push(bytes);
  }
  return new Uint8Array(Buffer.concat(chunks, length));
}

/** Parses a --crypto value. */
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
