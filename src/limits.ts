// The runtime's constants module: every loop, queue, buffer, retry and
// timeout of the terminal has its maximum (docs/conventions.md habit 3), here or in the
// limits module of the folder that owns it: the core, the wire and the
// drivers (which may import nothing of the runtime), the catalogue, the
// journal and the hub client (which may import only what docs/design.md allows
// them). This module imports them all and asserts, at load time, how they
// relate.
import assert from 'node:assert';
import * as catalogue from './catalogue/limits';
import * as core from './core/limits';
import * as hub from './hub/limits';
import * as journal from './journal/limits';
import * as wire from '../protocol/limits';
import * as device from '../device/limits';

/** Days one reconciliation may cover. */
export const reconDaysMax = 31;
/** Card reader and printer exchange timeouts, ms (owned by device/limits.ts: drivers may not import src/). */
export const deviceExchangeTimeoutMs = device.deviceExchangeTimeoutMs;
/** Longest QR scanner line, bytes (owned by device/limits.ts). */
export const scannerLineBytesMax = device.scannerLineBytesMax;
/** One settlement case read by the CLI (a file, stdin, or one --jsonl line), bytes. */
export const caseBytesMax = 64 * 1_048_576;
/** Output the CLI gathers before it writes, bytes. */
export const cliWriteBatchBytes = 65_536;
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

assert(journal.journalRecordBytesMax >= wire.frameBytesMax, 'a journal record can hold any message the wire carries');
assert(journal.journalBytesMax >= journal.journalRecordBytesMax * 16, 'the journal holds many records before rotation');
assert(journal.forwardQueueLengthMax * wire.frameBytesMax <= journal.journalBytesMax * 2, 'a full forward queue fits in the journal');
assert(scannerLineBytesMax < wire.frameBytesMax, 'a scanned token fits in a person query');
assert(core.visitLinesMax >= 1_000, 'an inpatient bill of 1,000 lines is settleable');
assert(caseBytesMax >= core.visitLinesMax * 256, 'a case file holds a maximal visit with room for its catalogue');
assert(cliWriteBatchBytes > 0 && cliWriteBatchBytes <= caseBytesMax, 'write batches are bounded');
assert(catalogue.catalogueItemsMax * (catalogue.itemCodeBytesMax + 32) <= catalogue.catalogueFileBytesMax, 'a full catalogue of longest codes fits the file limit');
assert(catalogue.itemListPriceFenMax < 2 ** 32 && core.itemCapFenMax < 0xffff_ffff, 'prices and ceilings fit 32-bit columns (0xffffffff marks a null ceiling)');
assert(core.ageMax < 255, 'ages fit a byte (255 marks null)');
assert(deviceExchangeTimeoutMs < hub.hubRequestTimeoutMs, 'a device answers before the hub would time out');
assert(idlePollMs * 10 <= idleRefreshMs && idlePollMs >= 10, 'the idle loop looks at the slot many times between refreshes');
assert(cardReadTimeoutMs >= deviceExchangeTimeoutMs * 6, 'a card read has room for its exchanges');
assert(patientInputTimeoutMs > messageShownMs && pinAttemptsMax >= 1, 'patients get longer than a message stays');
// The wire repeats the core's bounds (protocol/ may import nothing of ours): they must agree.
assert(wire.lineAmtFenMax === core.lineAmtFenMax, 'wire and core agree on a line amount');
assert(wire.lineQtyMilliMax === core.lineQtyMilliMax, 'wire and core agree on a line quantity');
assert(wire.moneyFenMax === core.moneyFenMax, 'wire and core agree on money amounts');
assert(wire.visitLinesMax === core.visitLinesMax, 'wire and core agree on lines per visit');
assert(wire.bpMax === core.bpMax, 'wire and core agree on basis points');
assert(hub.hubPatienceAttempts * hub.hubSettleTimeoutMs < wire.clockSkewSecondsMax * 1_000, 'a retried settle is still within the clock skew a receiver accepts');
assert(journal.journalSeqBlock >= 1 && journal.journalSeqBlock * 4 <= wire.replayWindowMax, 'a crash skips far fewer seqs than the hub remembers');
assert(hub.syncBlobBytesMax <= catalogue.catalogueFileBytesMax, 'any update a manifest may announce is a catalogue the store may keep');
assert(reconDaysMax >= 1 && reconDaysMax <= 366, 'reconciliation periods are bounded');
assert(journal.forwardQueueLengthMax <= 0xffff, "the store-and-forward queue length fits the heartbeat's field");
assert(device.cardIdentityFileBytesMax + device.scannerLineBytesMax < wire.frameBytesMax, 'a credential, card or token, fits in one person query');
assert(device.printerJobBytesMax <= journal.journalRecordBytesMax, 'a receipt job can be journaled whole for a reprint');
