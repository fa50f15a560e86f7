// Limits of the wire protocol. protocol/ imports nothing of ours (docs/design.md,
// layout), so the wire owns its limits; how they relate to each other, to the
// core's and to the runtime's is asserted by test/unit/limits.test.ts. test/unit/protocol-schema.test.ts checks
// that the worst-case encoding of every message the schema allows fits in
// one frame, so the numbers below and the schema can never disagree silently.

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
/**
 * How far above the highest sequence number a receiver accepted from a peer
 * the next may be. A frame further ahead is refused, never recorded, so no
 * one frame (a terminal's bug, or its key in the wrong hands) can push the
 * window to the end of the numbers and shut the terminal out. Generous: a
 * terminal offline for months burns a few hundred thousand numbers (sign-in
 * attempts, heartbeats, advices, a block of 64 at each boot).
 */
export const seqForwardJumpMax = 2 ** 32;
/** Bytes of a sign-in's nonce: the hub echoes it, so a re-synchronisation answers this sign-in and no other. */
export const signInNonceBytes = 16;
/** Bytes of stored replies a replay window keeps; older replies are dropped first (their seq stays known). */
export const replayStoredBytesMax = 4 * 1_048_576;
/** Accepted skew between a message's time and the receiver's clock, seconds. */
export const clockSkewSecondsMax = 300;

/** Frame header: version, direction, hub session (u32, big-endian), bytes. */
export const frameHeaderBytes = 6;
/** CRC-32 trailer, bytes. */
export const frameCrcBytes = 4;
/** Smallest frame content that can hold a header, a minimal COSE_Sign1 and the CRC, bytes. */
export const frameBytesMin = frameHeaderBytes + 8 + frameCrcBytes;
/** The frame format version this code writes and accepts. */
export const frameVersion = 1;
/** Key id: the first bytes of the signer's Ed25519 public key. */
export const kidBytes = 8;

/** Largest sequence number: sequence numbers are safe integers, never floats. */
export const seqMax = Number.MAX_SAFE_INTEGER;
/** Largest hub session number (u32, it travels in the frame header); 0 means "not signed in". */
export const sessionMax = 0xffff_ffff;
/** Latest message time, integer seconds since 1970 (u32: the year 2106). */
export const timeSecondsMax = 0xffff_ffff;

// docs/settlement.md §1 bounds as the wire carries them. protocol/ imports
// nothing of ours outside itself, so they are repeated here; test/unit/limits.test.ts
// asserts that they equal the core's (src/core/limits.ts).
/** A line's `amt` and a line's parts, fen. */
export const lineAmtFenMax = 10_000_000_000;
/** A line's `qty_milli`. */
export const lineQtyMilliMax = 10_000_000;
/** Any other money amount of a visit, person or policy, fen. */
export const moneyFenMax = 100_000_000_000;
/** Lines of one visit. */
export const visitLinesMax = 10_000;
/** Basis points: 10000 bp = 100 %. */
export const bpMax = 10_000;
/** Reconciliation totals add many visits: any safe integer, fen. */
export const totalFenMax = Number.MAX_SAFE_INTEGER;

/**
 * Fee lines carried in one message: one bill-query page, or the lines (and
 * line results) a settle or advice carries inline. Chosen so that the worst
 * case (every string at its bound, every amount at its maximum) still fits in
 * one frame; a larger bill is settled by reference (its digest), see hub.cddl.
 */
export const feeLinesPerMessageMax = 300;
/** Entries of one reconciliation-detail page. */
export const reconEntriesPerMessageMax = 200;
/** Chunks one manifest may announce: a 64 MiB snapshot at most. */
export const chunkCountMax = 2_048;
/** Accumulator keys carried in one person record or one `acc_delta`. */
export const accKeysMax = 32;
/** Longest accumulator key, bytes (docs/settlement.md §1 gives the pattern, the wire the bound). */
export const accKeyBytesMax = 32;
/** Filings one filing_query_reply lists (the person's own, newest first, cancelled ones included). */
export const filingsPerPersonMax = 16;
