// Proves the constants modules load (src/limits.ts and the catalogue's, the
// journal's and the hub client's; their load-time assertions of how the
// limits relate all hold) and that the limits the spec fixes have the values
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

test.run();
