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
/** Sequence numbers reserved by one journal record: a crash skips at most this many, and only every this-many seqs costs an fsync. */
export const journalSeqBlock = 64;
/** A catalogue or policy-book update fetched in chunks, bytes (what one manifest may announce). */
export const syncBlobBytesMax = wire.chunkCountMax * wire.chunkBytesMax;
/** Days one reconciliation may cover. */
export const reconDaysMax = 31;
/** Card reader and printer exchange timeouts, ms (owned by device/limits.ts: drivers may not import src/). */
export const deviceExchangeTimeoutMs = device.deviceExchangeTimeoutMs;
/** Longest QR scanner line, bytes (owned by device/limits.ts). */
export const scannerLineBytesMax = device.scannerLineBytesMax;
/** Items a catalogue may hold. */
export const catalogueItemsMax = 1_000_000;
/** A catalogue item code: printable ASCII, bytes (national codes are 15 to 23). */
export const itemCodeBytesMax = 64;
/** An item's name on the receipt, UTF-8 bytes. */
export const itemNameBytesMax = 256;
/** A unit of quantity, UTF-8 bytes, and how many distinct units a catalogue may use. */
export const itemUnitBytesMax = 32;
export const catalogueUnitsMax = 255;
/** An item's list price per unit, fen (fits the catalogue's 32-bit column). */
export const itemListPriceFenMax = 4_000_000_000;
/** A catalogue file, bytes (a 200,000-item catalogue is about 10 MiB). */
export const catalogueFileBytesMax = 256 * 1_048_576;
/** One settlement case read by the CLI (a file, stdin, or one --jsonl line), bytes. */
export const caseBytesMax = 64 * 1_048_576;
/** Output the CLI gathers before it writes, bytes. */
export const cliWriteBatchBytes = 65_536;
/** Insured-place policies a policy book may hold. */
export const policyBookAreasMax = 4_096;
/** One policy's JSON text in the policy book, UTF-8 bytes. */
export const policyTextBytesMax = 65_536;
/** After a failed repair of a damaged store (hub unreachable), the wait before the next attempt, ms: an idle terminal does not keep its line busy. */
export const storeRepairRetryMs = 60_000;

/** How long the session waits for the patient (PIN, reading the bill, confirming) before it gives up: nothing is charged, ms. */
export const patientInputTimeoutMs = 60_000;
/** How long a message (a refusal, a cancellation) and the closing screen stay before the terminal is idle again, ms. */
export const messageShownMs = 8_000;
export const doneShownMs = 15_000;
/** The idle screen is redrawn (online state, queue) this often, ms. */
export const idleRefreshMs = 30_000;
/** Between two looks at the card slot while idle (the QR scanner is read meanwhile), ms. */
export const idlePollMs = 150;
/** Reading a card with its PIN: power on, select, verify, read the identity file, ms. */
export const cardReadTimeoutMs = 20_000;
/** Printing one receipt (status checks between chunks included), ms. */
export const printTimeoutMs = 30_000;
/** Wrong PINs a session takes before it ends (the card blocks after its own count). */
export const pinAttemptsMax = 3;
/** States one patient's session may pass through: a loop that never ends is a bug. */
export const sessionStepsMax = 256;
/** Receipts left unprinted (a crash mid-receipt) reprinted at boot, at most. */
export const reprintsAtBootMax = 16;
/** A profile file, bytes. */
export const profileBytesMax = 65_536;

assert(hubAttemptsMax >= 1 && hubAttemptsMax <= 16, 'retries are bounded');
assert(hubSettleTimeoutMs >= hubRequestTimeoutMs, 'settling is never given less time than a query');
assert(forwardBackoffMsMin > 0 && forwardBackoffMsMin < forwardBackoffMsMax, 'backoff range is ordered');
assert(journalRecordBytesMax >= wire.frameBytesMax, 'a journal record can hold any message the wire carries');
assert(journalBytesMax >= journalRecordBytesMax * 16, 'the journal holds many records before rotation');
assert(forwardQueueLengthMax * wire.frameBytesMax <= journalBytesMax * 2, 'a full forward queue fits in the journal');
assert(scannerLineBytesMax < wire.frameBytesMax, 'a scanned token fits in a person query');
assert(core.visitLinesMax >= 1_000, 'an inpatient bill of 1,000 lines is settleable');
assert(caseBytesMax >= core.visitLinesMax * 256, 'a case file holds a maximal visit with room for its catalogue');
assert(cliWriteBatchBytes > 0 && cliWriteBatchBytes <= caseBytesMax, 'write batches are bounded');
assert(catalogueItemsMax * (itemCodeBytesMax + 32) <= catalogueFileBytesMax, 'a full catalogue of longest codes fits the file limit');
assert(itemListPriceFenMax < 2 ** 32 && core.itemCapFenMax < 0xffff_ffff, 'prices and ceilings fit 32-bit columns (0xffffffff marks a null ceiling)');
assert(core.ageMax < 255, 'ages fit a byte (255 marks null)');
assert(deviceExchangeTimeoutMs < hubRequestTimeoutMs, 'a device answers before the hub would time out');
assert(idlePollMs * 10 <= idleRefreshMs && idlePollMs >= 10, 'the idle loop looks at the slot many times between refreshes');
assert(cardReadTimeoutMs >= deviceExchangeTimeoutMs * 6, 'a card read has room for its exchanges');
assert(patientInputTimeoutMs > messageShownMs && pinAttemptsMax >= 1, 'patients get longer than a message stays');
// The wire repeats the core's bounds (protocol/ may import nothing of ours): they must agree.
assert(wire.lineAmtFenMax === core.lineAmtFenMax, 'wire and core agree on a line amount');
assert(wire.lineQtyMilliMax === core.lineQtyMilliMax, 'wire and core agree on a line quantity');
assert(wire.moneyFenMax === core.moneyFenMax, 'wire and core agree on money amounts');
assert(wire.visitLinesMax === core.visitLinesMax, 'wire and core agree on lines per visit');
assert(wire.bpMax === core.bpMax, 'wire and core agree on basis points');
assert(hubAttemptsMax * hubSettleTimeoutMs < wire.clockSkewSecondsMax * 1_000, 'a retried settle is still within the clock skew a receiver accepts');
assert(journalSeqBlock >= 1 && journalSeqBlock * 4 <= wire.replayWindowMax, 'a crash skips far fewer seqs than the hub remembers');
assert(syncBlobBytesMax <= catalogueFileBytesMax, 'any update a manifest may announce is a catalogue the store may keep');
assert(reconDaysMax >= 1 && reconDaysMax <= 366, 'reconciliation periods are bounded');
assert(forwardQueueLengthMax <= 0xffff, "the store-and-forward queue length fits the heartbeat's field");
assert(device.cardIdentityFileBytesMax + device.scannerLineBytesMax < wire.frameBytesMax, 'a credential, card or token, fits in one person query');
assert(device.printerJobBytesMax <= journalRecordBytesMax, 'a receipt job can be journaled whole for a reprint');
