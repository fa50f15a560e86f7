// The journal's limits (docs/conventions.md habit 3): a record, the file before
// rotation, the seqs one record reserves, the store-and-forward queue it
// keeps. test/unit/limits.test.ts checks how they relate to the wire's.
/** One journal record, bytes. */
export const journalRecordBytesMax = 1_048_576;
/** Journal file size that triggers rotation after reconciliation, bytes. */
export const journalBytesMax = 64 * 1_048_576;
/** Sequence numbers reserved by one journal record: a crash skips at most this many, and only every this-many seqs costs an fsync. */
export const journalSeqBlock = 64;
/** Store-and-forward queue (reversals and offline advices) waiting for the hub. */
export const forwardQueueLengthMax = 1_024;
