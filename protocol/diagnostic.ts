// CBOR diagnostic notation (RFC 8949 §8) of a strictly decoded value, for
// people reading a line capture (`settle-terminal frame decode`). Output is
// bounded: past `charsMax` characters it ends with an ellipsis.
import { Tagged, type CborValue } from './cbor-decode';
import { bytesToHex } from './crypto';

export const diagnosticCharsMax = 65_536;

export function diagnostic(value: CborValue, charsMax: number = diagnosticCharsMax): string {
  const out: string[] = [];
  let length = 0;
  const emit = (text: string): boolean => {
    out.push(text);
    length += text.length;
    return length <= charsMax;
  };
  write(value, emit);
  const text = out.join('');
  return text.length <= charsMax ? text : `${text.slice(0, charsMax)}…`;
}

/** Writes `value`; returns false once the output is long enough, so huge values stop early. */
function write(value: CborValue, emit: (text: string) => boolean): boolean {
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return emit(String(value));
  if (typeof value === 'string') return emit(JSON.stringify(value));
  if (value instanceof Uint8Array) return emit(`h'${bytesToHex(value)}'`);
  if (value instanceof Tagged) return emit(`${value.tag}(`) && write(value.value, emit) && emit(')');
  if (Array.isArray(value)) {
    if (!emit('[')) return false;
    for (let i = 0; i < value.length; i += 1) if ((i > 0 && !emit(', ')) || !write(value[i] as CborValue, emit)) return false;
    return emit(']');
  }
  if (!emit('{')) return false;
  let first = true;
  for (const [key, entry] of value) {
    if ((!first && !emit(', ')) || !write(key, emit) || !emit(': ') || !write(entry, emit)) return false;
    first = false;
  }
  return emit('}');
}
