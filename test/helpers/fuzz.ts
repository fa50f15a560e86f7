// A seeded mutation fuzzer of the wire's four decoders of untrusted bytes:
// the frame decoder (fed in random chunks), the strict CBOR decoder, the
// COSE_Sign1 parser (both header profiles) and the payload decoder. Each
// answers any input with a value or a typed error; none may throw. The
// corpus is every message type sealed as a frame (test/helpers/messages.ts),
// their COSE_Sign1 and payload bytes; inputs are corpus entries mutated
// (bit flips, interesting bytes, CBOR heads, insertions, deletions, splices,
// truncations, repeats) or random bytes. The same seed gives the same inputs,
// so a failure replays from its seed and iteration.
import { decodeStrict } from '../../protocol/cbor-decode';
import { genericHeaders, parseSign1, wireHeaders } from '../../protocol/cose';
import { nodeCryptoProvider } from '../../protocol/crypto-node';
import { createSealer, decodePayload } from '../../protocol/envelope';
import { FrameDecoder } from '../../protocol/framing';
import { messageTypes } from '../../protocol/messages';
import { sampleMessage } from './messages';
import { Random } from './seed';

export const fuzzTargets = ['frame', 'cbor', 'cose', 'payload'] as const;
export type FuzzTarget = (typeof fuzzTargets)[number];

export interface FuzzThrow {
  readonly target: FuzzTarget;
  readonly iteration: number;
  readonly input: string;
  readonly error: string;
}

export interface FuzzReport {
  readonly seed: number;
  readonly iterations: number;
  readonly byTarget: Record<FuzzTarget, number>;
  /** Every throw (capped), each with its input in hex: a decoder must answer, never throw. */
  readonly throws: FuzzThrow[];
}

/** Throws kept in a report; the count goes on. */
const throwsKept = 20;
/** Longest input tried, bytes. */
const inputBytesMax = 4_096;

/** Frames, COSE_Sign1s and payloads of every message type, sealed by a fixed key. */
function corpus(): { frames: Uint8Array[]; coses: Uint8Array[]; payloads: Uint8Array[] } {
  const signer = nodeCryptoProvider.signer(new Uint8Array(32).fill(3));
  const frames: Uint8Array[] = [];
  const coses: Uint8Array[] = [];
  const payloads: Uint8Array[] = [];
  for (const type of messageTypes) {
    const message = sampleMessage(type.name, 7);
    const sealer = createSealer(signer, type.id % 2 === 1 ? 'up' : 'down');
    const frame = sealer.seal(message, type.beforeSignIn ? 0 : 42);
    frames.push(frame);
    payloads.push(sealer.encodePayload(message));
    const events = new FrameDecoder().push(frame);
    for (const event of events) if (event.kind === 'frame') coses.push(event.cose);
  }
  return { frames, coses, payloads };
}

const interesting = [0x00, 0x01, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1f, 0x20, 0x38, 0x40, 0x58, 0x5b, 0x5f, 0x60, 0x78, 0x7f, 0x80, 0x98, 0x9b, 0x9f, 0xa0, 0xbb, 0xbf, 0xc0, 0xd2, 0xd8, 0xdb, 0xf4, 0xf5, 0xf6, 0xf7, 0xf9, 0xfa, 0xfb, 0xff];

/** One mutation of `base` (or fresh random bytes). */
function mutate(random: Random, base: Uint8Array, pool: readonly Uint8Array[]): Uint8Array {
  let bytes = Array.from(base);
  const rounds = 1 + random.int(random.chance(0.2) ? 16 : 4);
  for (let round = 0; round < rounds; round += 1) {
    const at = random.int(bytes.length + 1);
    switch (random.int(9)) {
      case 0:
        if (bytes.length > 0) bytes[at % bytes.length] = (bytes[at % bytes.length] as number) ^ (1 << random.int(8));
        break;
      case 1:
        if (bytes.length > 0) bytes[at % bytes.length] = interesting[random.int(interesting.length)] as number;
        break;
      case 2:
        bytes.splice(at, 0, ...random.bytes(1 + random.int(8)));
        break;
      case 3:
        bytes.splice(at, 1 + random.int(Math.min(16, bytes.length + 1)));
        break;
      case 4:
        bytes = bytes.slice(0, at);
        break;
      case 5: {
        const other = pool[random.int(pool.length)] as Uint8Array;
        const from = random.int(other.length + 1);
        bytes.splice(at, 0, ...other.subarray(from, from + random.int(64)));
        break;
      }
      case 6: {
        const from = random.int(bytes.length + 1);
        const chunk = bytes.slice(from, from + 1 + random.int(32));
        for (let copy = random.int(8); copy > 0; copy -= 1) bytes.splice(at, 0, ...chunk);
        break;
      }
      case 7:
        // A CBOR head with a large argument where anything was.
        bytes.splice(at, 0, interesting[random.int(interesting.length)] as number, ...random.bytes(random.int(9)));
        break;
      default:
        if (random.chance(0.1)) bytes = Array.from(random.bytes(random.int(256)));
    }
    if (bytes.length > inputBytesMax) bytes = bytes.slice(0, inputBytesMax);
  }
  return Uint8Array.from(bytes);
}

function feedFrames(random: Random, input: Uint8Array): number {
  const decoder = new FrameDecoder();
  let events = 0;
  for (let at = 0; at < input.length; ) {
    const size = 1 + random.int(random.chance(0.5) ? 8 : 512);
    events += decoder.push(input.subarray(at, at + size)).length;
    at += size;
  }
  return events + decoder.end().length;
}

/** Runs the fuzzer until `stop(iteration)` says so; `onThrow` hears each throw as it happens. */
export function fuzz(seed: number, stop: (iteration: number) => boolean, onThrow?: (thrown: FuzzThrow) => void): FuzzReport {
  const random = new Random(seed);
  const { frames, coses, payloads } = corpus();
  const all = [...frames, ...coses, ...payloads];
  const byTarget: Record<FuzzTarget, number> = { frame: 0, cbor: 0, cose: 0, payload: 0 };
  const throws: FuzzThrow[] = [];
  let iteration = 0;
  for (; !stop(iteration); iteration += 1) {
    const target = fuzzTargets[iteration % fuzzTargets.length] as FuzzTarget;
    const pool = target === 'frame' ? frames : target === 'cose' ? coses : target === 'payload' ? payloads : all;
    const input = mutate(random, pool[random.int(pool.length)] as Uint8Array, all);
    byTarget[target] += 1;
    try {
      switch (target) {
        case 'frame':
          feedFrames(random, input);
          break;
        case 'cbor':
          decodeStrict(input, random.chance(0.5) ? {} : { topLevelTags: [18], itemsMax: 1 + random.int(64) });
          break;
        case 'cose':
          parseSign1(input, { profile: wireHeaders, requireTag: true });
          parseSign1(input, { profile: genericHeaders, requireTag: false });
          break;
        case 'payload':
          decodePayload(input);
          break;
      }
    } catch (error) {
      const thrown = { target, iteration, input: Buffer.from(input).toString('hex'), error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
      onThrow?.(thrown);
      if (throws.length < throwsKept) throws.push(thrown);
    }
  }
  return { seed, iterations: iteration, byTarget, throws };
}
