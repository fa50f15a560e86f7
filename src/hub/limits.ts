// The hub client's limits (docs/conventions.md habit 3): attempts, timeouts, heartbeat,
// store-and-forward backoff, what one sync may fetch. src/limits.ts checks at
// load time how they relate to the rest.
import assert from 'node:assert';
import * as wire from '../../protocol/limits';

/** Attempts of one request to the hub, the first included; retries reuse the seq. */
export const hubAttemptsMax = 4;
/** Per-attempt timeout of an ordinary request, ms. */
export const hubRequestTimeoutMs = 3_000;
/** Per-attempt timeout of a settle request, ms: after the last attempt the terminal reverses. */
export const hubSettleTimeoutMs = 8_000;
/** Heartbeat interval while idle, ms. */
export const hubHeartbeatIntervalMs = 30_000;
/** Backoff between store-and-forward attempts, ms: the first wait. */
export const forwardBackoffMsMin = 500;
/** Backoff between store-and-forward attempts, ms: the longest wait. */
export const forwardBackoffMsMax = 60_000;
/** A catalogue or policy-book update fetched in chunks, bytes (what one manifest may announce). */
export const syncBlobBytesMax = wire.chunkCountMax * wire.chunkBytesMax;

assert(hubAttemptsMax >= 1 && hubAttemptsMax <= 16, 'retries are bounded');
assert(hubSettleTimeoutMs >= hubRequestTimeoutMs, 'settling is never given less time than a query');
assert(forwardBackoffMsMin > 0 && forwardBackoffMsMin < forwardBackoffMsMax, 'backoff range is ordered');
