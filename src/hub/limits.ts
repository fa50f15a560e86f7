// The hub client's limits (docs/conventions.md habit 3): attempts, timeouts, heartbeat,
// store-and-forward backoff, what one sync may fetch. test/unit/limits.test.ts
// checks how they relate to the rest.
import * as wire from '../../protocol/limits';

/** Attempts of one request to a hub that sends nothing back, the first included; retries reuse the seq. */
export const hubAttemptsMax = 8;
/**
 * Attempts that may fill the patient-facing deadline on a line that answers
 * (frames spoiled or lost, but the hub heard): that deadline is this many
 * attempts' time, each line-derived, so it scales with the baud.
 */
export const hubPatienceAttempts = 20;
/** An attempt's deadline is this factor times (the request's line time + the hub's allowance). */
export const hubLineFactor = 2;
/** The hub's allowance to answer an ordinary request (its work and the reply's first bytes), ms. */
export const hubAllowanceMs = 1_500;
/** The hub's allowance to answer a settle or cancel, ms. */
export const hubSettleAllowanceMs = 4_000;
/**
 * A settle or cancel on the line when the terminal stops is given this long
 * to be answered (the hub's allowance for it) before it is abandoned and
 * reversed, so a stop neither undoes a settlement a hub that answers has made
 * nor waits on a silent one, ms. Any other request is abandoned at once.
 */
export const hubStopGraceMs = hubSettleAllowanceMs;
/** Bit times a byte takes on the hub line at most (8E1, 8O1, 8N2: a start bit, 8 data bits and two more). */
export const lineBitsPerByteMax = 11;
/** A reply in progress is waited for while its bytes keep coming: at most this factor times the allowance between two reads. */
export const hubReplyGapFactor = 2;
/** A request frame as the session's hub states plan for (a bill page, a person query: far less), bytes. */
export const hubFrameBytesTypical = 4_096;
/** Per-attempt timeout of an ordinary request on a line without line time (a socket), ms. */
export const hubRequestTimeoutMs = hubLineFactor * hubAllowanceMs;
/** Per-attempt timeout of a settle request without line time, ms: after the last attempt the terminal reverses. */
export const hubSettleTimeoutMs = hubLineFactor * hubSettleAllowanceMs;
/** Heartbeat interval while idle, ms. */
export const hubHeartbeatIntervalMs = 30_000;
/** Backoff between store-and-forward attempts, ms: the first wait. */
export const forwardBackoffMsMin = 500;
/** Backoff between store-and-forward attempts, ms: the longest wait. */
export const forwardBackoffMsMax = 60_000;
/** A catalogue or policy-book update fetched in chunks, bytes (what one manifest may announce). */
export const syncBlobBytesMax = wire.chunkCountMax * wire.chunkBytesMax;
