// The runtime's constants module: every loop, queue, buffer, retry and
// timeout of the terminal has its maximum here (STYLE.md habit 3). The core
// and the wire own their limits (they may import nothing of ours); this module
// imports them and asserts, at load time, how all of them relate.
import assert from 'node:assert';
import * as core from './core/limits';
import * as wire from '../protocol/limits';
import * as device from '../device/limits';

/** Attempts of one request to the hub, the first included; retries reuse the seq. */
export const hubAttemptsMax = 4;
/** Per-attempt timeout of an ordinary request, ms. */
export const hubRequestTimeoutMs = 3_000;
/** Per-attempt timeout of a settle request, ms: after the last attempt the terminal reverses. */
export const hubSettleTimeoutMs = 8_000;
/** Heartbeat interval while idle, ms. */
export const hubHeartbeatIntervalMs = 30_000;
/** Store-and-forward queue (reversals and offline advices) waiting for the hub. */
export const forwardQueueLengthMax = 1_024;
/** Backoff between store-and-forward attempts, ms. */
export const forwardBackoffMsMin = 500;
export const forwardBackoffMsMax = 60_000;
/** One journal record, bytes. */
export const journalRecordBytesMax = 1_048_576;
/** Journal file size that triggers rotation after reconciliation, bytes. */
export const journalBytesMax = 64 * 1_048_576;
/** Card reader and printer exchange timeouts, ms (owned by device/limits.ts: drivers may not import src/). */
export const deviceExchangeTimeoutMs = device.deviceExchangeTimeoutMs;
/** Longest QR scanner line, bytes (owned by device/limits.ts). */
export const scannerLineBytesMax = device.scannerLineBytesMax;
/** Items a catalogue may hold. */
export const catalogueItemsMax = 1_000_000;
/** Insured-place policies a policy book may hold. */
export const policyBookAreasMax = 4_096;

assert(hubAttemptsMax >= 1 && hubAttemptsMax <= 16, 'retries are bounded');
assert(hubSettleTimeoutMs >= hubRequestTimeoutMs, 'settling is never given less time than a query');
assert(forwardBackoffMsMin > 0 && forwardBackoffMsMin < forwardBackoffMsMax, 'backoff range is ordered');
assert(journalRecordBytesMax >= wire.frameBytesMax, 'a journal record can hold any message the wire carries');
assert(journalBytesMax >= journalRecordBytesMax * 16, 'the journal holds many records before rotation');
assert(forwardQueueLengthMax * wire.frameBytesMax <= journalBytesMax * 2, 'a full forward queue fits in the journal');
assert(scannerLineBytesMax < wire.frameBytesMax, 'a scanned token fits in a person query');
assert(core.visitLinesMax >= 1_000, 'an inpatient bill of 1,000 lines is settleable');
assert(deviceExchangeTimeoutMs < hubRequestTimeoutMs, 'a device answers before the hub would time out');
assert(device.cardIdentityFileBytesMax + device.scannerLineBytesMax < wire.frameBytesMax, 'a credential, card or token, fits in one person query');
assert(device.printerJobBytesMax <= journalRecordBytesMax, 'a receipt job can be journaled whole for a reprint');
