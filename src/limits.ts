// The runtime's constants module: every loop, queue, buffer, retry and
// timeout of the terminal has its maximum (docs/conventions.md habit 3), here or in the
// limits module of the folder that owns it: the core, the wire and the
// drivers (which may import nothing of the runtime), the catalogue, the
// journal and the hub client (which may import only what docs/design.md allows
// them). How they all relate is asserted by test/unit/limits.test.ts, each
// relation with its sentence: they are constants, so a change that breaks one
// fails the tests before it can ship, and the firmware does not carry the
// checks (about 1.2 KB of its gzip budget; README, the terminal's budgets).
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
