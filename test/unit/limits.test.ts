// Proves how the limits relate, every relation the code relies on with its
// sentence (the wire's, the core's, the hub client's, the drivers' and the
// runtime's against all of them: the modules are constants and carry no
// checks of their own), and that the limits the spec fixes have the values
// docs/settlement.md §1 gives.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as core from '../../src/core/limits';
import * as wire from '../../protocol/limits';
import * as runtime from '../../src/limits';
import * as catalogue from '../../src/catalogue/limits';
import * as client from '../../src/hub/limits';
import * as journal from '../../src/journal/limits';
import * as device from '../../device/limits';

test('the core limits are those of docs/settlement.md §1', () => {
  assert.is(core.lineAmtFenMax, 1e10);
  assert.is(core.lineQtyMilliMax, 1e7);
  assert.is(core.visitLinesMax, 10_000);
  assert.is(core.visitAmtFenMax, 1e11);
  assert.is(core.itemCapFenMax, 1e8);
  assert.is(core.moneyFenMax, 1e11);
  assert.is(core.bpMax, 10_000);
});

test('wire and runtime limits relate as the runtime assumes', () => {
  assert.ok(wire.frameBytesMax >= wire.chunkBytesMax + wire.envelopeOverheadBytesMax);
  assert.ok(journal.journalRecordBytesMax >= wire.frameBytesMax);
  assert.ok(client.hubSettleTimeoutMs >= client.hubRequestTimeoutMs);
  assert.ok(client.hubAttemptsMax >= 1);
});

test('device limits are the runtime\'s: one value, owned by device/limits.ts', () => {
  assert.is(runtime.deviceExchangeTimeoutMs, device.deviceExchangeTimeoutMs);
  assert.is(runtime.scannerLineBytesMax, device.scannerLineBytesMax);
  assert.ok(device.cardAttemptTimeoutMs * 3 <= device.deviceExchangeTimeoutMs);
});

test('every limit is a positive safe integer', () => {
  for (const [name, value] of [...Object.entries(core), ...Object.entries(wire), ...Object.entries(runtime), ...Object.entries(catalogue), ...Object.entries(client), ...Object.entries(journal), ...Object.entries(device)]) {
    if (typeof value !== 'number') continue;
    assert.ok(Number.isSafeInteger(value) && value >= 0, name);
  }
});

test("the wire's limits relate as the codec and the replay window assume (protocol/limits.ts)", () => {
  assert.ok(wire.frameBytesMax >= wire.chunkBytesMax + wire.envelopeOverheadBytesMax + 64, 'a chunk and its envelope fit in one frame');
  assert.ok(wire.cborStringBytesMax <= wire.frameBytesMax, 'no string is longer than a frame');
  assert.ok(wire.cborStringBytesMax >= wire.chunkBytesMax, 'a chunk is a byte string the strict decoder accepts');
  assert.ok(wire.cborDepthMax >= 4 && wire.cborDepthMax <= 64, 'depth limit is sane');
  assert.ok(wire.cborItemsMax >= wire.feeLinesPerMessageMax && wire.cborItemsMax >= wire.reconEntriesPerMessageMax, 'a page of lines is one array the decoder accepts');
  assert.ok(wire.cborItemsMax >= wire.chunkCountMax, 'a manifest fits');
  assert.ok(wire.feeLinesPerMessageMax <= wire.visitLinesMax && wire.visitLinesMax <= wire.cborItemsMax * 4, 'a bill fits in a bounded number of pages');
  assert.ok(Number.isSafeInteger(wire.moneyFenMax) && wire.lineAmtFenMax <= wire.moneyFenMax && wire.moneyFenMax <= wire.totalFenMax, 'money bounds nest');
  assert.ok(wire.replayWindowMax > 0 && wire.replayWindowMax <= 65_536, 'replay window is bounded');
  assert.ok(wire.seqForwardJumpMax > wire.replayWindowMax && wire.seqForwardJumpMax * 1_024 < wire.seqMax, 'a forward jump is generous, and many of them still leave the numbers unexhausted');
  assert.ok(wire.replayStoredBytesMax >= wire.frameBytesMax * 4, 'a replay window can hold several of the largest replies');
  assert.ok(wire.frameBytesMin > wire.frameHeaderBytes + wire.frameCrcBytes, 'a frame has content between header and CRC');
  assert.ok(wire.timeSecondsMax <= Number.MAX_SAFE_INTEGER && wire.seqMax === Number.MAX_SAFE_INTEGER, 'times and seqs are safe integers');
  assert.ok(wire.clockSkewSecondsMax > 0 && wire.clockSkewSecondsMax <= 3_600, 'clock skew is bounded');
});

test("the core's limits keep every product exact (src/core/limits.ts, docs/settlement.md §1)", () => {
  // §1 promises that every intermediate product stays below 2^53 so doubles holding integers are exact: the three products the rules form.
  assert.ok(Number.isSafeInteger(core.visitAmtFenMax * core.bpMax + 5000), 'mulBp product of a visit total must be exact');
  assert.ok(Number.isSafeInteger(core.moneyFenMax * core.bpMax + 5000), 'mulBp product of any money amount must be exact');
  assert.ok(Number.isSafeInteger(core.lineQtyMilliMax * core.itemCapFenMax + 500), 'capAmount product must be exact');
  assert.ok(core.visitLinesMax * core.lineAmtFenMax >= core.visitAmtFenMax, 'the visit total bound is the binding one');
  assert.ok(core.visitAmtFenMax <= core.moneyFenMax, 'a visit total is a money amount');
});

test("the hub client's limits are ordered (src/hub/limits.ts)", () => {
  assert.ok(client.hubAttemptsMax >= 1 && client.hubAttemptsMax <= client.hubPatienceAttempts && client.hubPatienceAttempts <= 32, 'retries are bounded');
  assert.ok(client.hubSettleTimeoutMs >= client.hubRequestTimeoutMs, 'settling is never given less time than a query');
  assert.ok(client.forwardBackoffMsMin > 0 && client.forwardBackoffMsMin < client.forwardBackoffMsMax, 'backoff range is ordered');
  assert.ok(client.hubStopGraceMs > 0 && client.hubStopGraceMs <= client.hubSettleTimeoutMs, "a stop gives a settle in flight time to be answered, no more than one attempt's");
});

test("the drivers' limits fit their frames and commands (device/limits.ts)", () => {
  assert.ok(device.cardAttemptTimeoutMs * 3 <= device.deviceExchangeTimeoutMs, 'three silent attempts fit in one exchange');
  assert.ok(device.cardAttemptsMax >= 1 && device.cardAttemptsMax <= 8, 'attempts are bounded');
  assert.ok(device.cardFrameDataBytesMax >= 2 + 1 + 5 + 255 + 1, 'a frame carries SEQ, status and a full short APDU');
  assert.ok(device.cardFrameDataBytesMax + device.cardFrameOverheadBytes < 0x10000, 'LEN fits in two bytes');
  assert.ok(device.cardReadChunkBytes >= 1 && device.cardReadChunkBytes <= 256, 'Le of a short APDU');
  assert.ok(device.cardIdentityFileBytesMax <= 0x7fff, 'READ BINARY offsets are 15 bits');
  assert.ok(device.printerQrBytesMax + 3 < 0x0410, 'GS ( k pL pH never spells DLE EOT (0x10 0x04)');
  assert.ok(device.printerChunkBytes <= device.printerJobBytesMax, 'a job is written in chunks');
  assert.ok(device.scannerLineBytesMax <= device.portReceiveBytesMax, 'a scanner line fits in the receive buffer');
});

test("the runtime's limits relate to the core's, the wire's, the journal's, the catalogue's and the drivers' (src/limits.ts)", () => {
  assert.ok(journal.journalRecordBytesMax >= wire.frameBytesMax, 'a journal record can hold any message the wire carries');
  assert.ok(journal.journalBytesMax >= journal.journalRecordBytesMax * 16, 'the journal holds many records before rotation');
  assert.ok(journal.forwardQueueLengthMax * wire.frameBytesMax <= journal.journalBytesMax * 2, 'a full forward queue fits in the journal');
  assert.ok(runtime.scannerLineBytesMax < wire.frameBytesMax, 'a scanned token fits in a person query');
  assert.ok(core.visitLinesMax >= 1_000, 'an inpatient bill of 1,000 lines is settleable');
  assert.ok(runtime.caseBytesMax >= core.visitLinesMax * 256, 'a case file holds a maximal visit with room for its catalogue');
  assert.ok(runtime.cliWriteBatchBytes > 0 && runtime.cliWriteBatchBytes <= runtime.caseBytesMax, 'write batches are bounded');
  assert.ok(catalogue.catalogueItemsMax * (catalogue.itemCodeBytesMax + 32) <= catalogue.catalogueFileBytesMax, 'a full catalogue of longest codes fits the file limit');
  assert.ok(catalogue.itemListPriceFenMax < 2 ** 32 && core.itemCapFenMax < 0xffff_ffff, 'prices and ceilings fit 32-bit columns (0xffffffff marks a null ceiling)');
  assert.ok(core.ageMax < 255, 'ages fit a byte (255 marks null)');
  assert.ok(runtime.deviceExchangeTimeoutMs < client.hubRequestTimeoutMs, 'a device answers before the hub would time out');
  assert.ok(runtime.idlePollMs * 10 <= runtime.idleRefreshMs && runtime.idlePollMs >= 10, 'the idle loop looks at the slot many times between refreshes');
  assert.ok(runtime.cardReadTimeoutMs >= runtime.deviceExchangeTimeoutMs * 6, 'a card read has room for its exchanges');
  assert.ok(runtime.patientInputTimeoutMs > runtime.messageShownMs && runtime.pinAttemptsMax >= 1, 'patients get longer than a message stays');
  // The wire repeats the core's bounds (protocol/ may import nothing of ours): they must agree.
  assert.ok(wire.lineAmtFenMax === core.lineAmtFenMax, 'wire and core agree on a line amount');
  assert.ok(wire.lineQtyMilliMax === core.lineQtyMilliMax, 'wire and core agree on a line quantity');
  assert.ok(wire.moneyFenMax === core.moneyFenMax, 'wire and core agree on money amounts');
  assert.ok(wire.visitLinesMax === core.visitLinesMax, 'wire and core agree on lines per visit');
  assert.ok(wire.bpMax === core.bpMax, 'wire and core agree on basis points');
  assert.ok(client.hubPatienceAttempts * client.hubSettleTimeoutMs < wire.clockSkewSecondsMax * 1_000, 'a retried settle is still within the clock skew a receiver accepts');
  assert.ok(journal.journalSeqBlock >= 1 && journal.journalSeqBlock * 4 <= wire.replayWindowMax, 'a crash skips far fewer seqs than the hub remembers');
  assert.ok(client.syncBlobBytesMax <= catalogue.catalogueFileBytesMax, 'any update a manifest may announce is a catalogue the store may keep');
  assert.ok(runtime.reconDaysMax >= 1 && runtime.reconDaysMax <= 366, 'reconciliation periods are bounded');
  assert.ok(journal.forwardQueueLengthMax <= 0xffff, "the store-and-forward queue length fits the heartbeat's field");
  assert.ok(device.cardIdentityFileBytesMax + device.scannerLineBytesMax < wire.frameBytesMax, 'a credential, card or token, fits in one person query');
  assert.ok(device.printerJobBytesMax <= journal.journalRecordBytesMax, 'a receipt job can be journaled whole for a reprint');
});

test.run();
