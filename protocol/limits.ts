// Limits of the wire protocol. protocol/ imports nothing of ours (DESIGN.md,
// layout), so the wire owns its limits; src/limits.ts asserts how they relate
// to the core's and the runtime's.
import assert from 'node:assert';

/** Largest frame on the wire before COBS, header, signature and CRC included, bytes. */
export const frameBytesMax = 65_536;
/** COBS adds at most one byte per 254 plus one, and the frame delimiter. */
export const cobsOverheadBytes = (size: number): number => Math.ceil(size / 254) + 1 + 1;
/** Frame header + COSE_Sign1 structure (tag, protected header, kid, signature) + CRC-32, bytes. */
export const envelopeOverheadBytesMax = 160;
/** Largest catalogue or policy chunk carried in one message body, bytes. */
export const chunkBytesMax = 32_768;
/** Deepest CBOR nesting a strict decode accepts. */
export const cborDepthMax = 16;
/** Longest text string or byte string a strict decode accepts, bytes. */
export const cborStringBytesMax = chunkBytesMax;
/** Most items in one CBOR array or map a strict decode accepts. */
export const cborItemsMax = 4_096;
/** Replay window a receiver keeps per terminal, in sequence numbers. */
export const replayWindowMax = 1_024;
/** Accepted skew between a message's time and the receiver's clock, seconds. */
export const clockSkewSecondsMax = 300;

assert(frameBytesMax >= chunkBytesMax + envelopeOverheadBytesMax + 64, 'a chunk and its envelope fit in one frame');
assert(cborStringBytesMax <= frameBytesMax, 'no string is longer than a frame');
assert(cborDepthMax >= 4 && cborDepthMax <= 64, 'depth limit is sane');
assert(replayWindowMax > 0 && replayWindowMax <= 65_536, 'replay window is bounded');
