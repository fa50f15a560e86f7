// Proves the ESC/POS builder (device/escpos.ts) emits the commands of the
// ESC/POS reference byte for byte, keeps text from injecting commands, fails
// an oversize job as a value, and names the argument of every range error;
// and that the status bytes of DLE EOT decode as the printer driver reads them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ReceiptBuilder } from '../../device/escpos';
import { Gb18030Encoder } from '../../device/gb18030';
import { decodeStatus, isStatusByte } from '../../device/printer';

const encoder = new Gb18030Encoder();
const hex = (builder: ReceiptBuilder) => {
  const job = builder.finish();
  assert.ok(job.ok);
  return Buffer.from(job.value).toString('hex');
};

test('each command, byte for byte', () => {
  const b = () => new ReceiptBuilder(encoder, 256);
  assert.is(hex(b().init()), '1b401c26'); // ESC @, FS &
  assert.is(hex(b().align('left').align('center').align('right')), '1b61001b61011b6102');
  assert.is(hex(b().bold(true).bold(false)), '1b45011b4500');
  assert.is(hex(b().size(2, 2).size(1, 3).size(8, 8)), '1d21111d21021d2177');
  assert.is(hex(b().line('中A')), 'd6d0410a');
  assert.is(hex(b().feed(4)), '1b6404');
  assert.is(hex(b().cut()), '1d564203');
  assert.is(hex(b().cut(false, 0)), '1d564100');
  assert.is(
    hex(b().qr('ECT1:ab')),
    '1d286b040031413200' + '1d286b0300314306' + '1d286b0300314531' + '1d286b0a00315030' + Buffer.from('ECT1:ab').toString('hex') + '1d286b0300315130',
  );
});

test('control characters in text become spaces: text cannot carry a command', () => {
  assert.is(hex(new ReceiptBuilder(encoder, 64).text('a\x1b@\x10\x04\x02b\x7f')), '6120402020206220');
});

test('a job that outgrows its buffer is receipt_too_long, never a bigger buffer', () => {
  const builder = new ReceiptBuilder(encoder, 64);
  for (let i = 0; i < 20; i += 1) builder.line('一二三四');
  const job = builder.finish();
  assert.ok(!job.ok && job.error.code === 'receipt_too_long');
  assert.ok(builder.reset().line('ok').finish().ok, 'reset empties the job');
});

test('range errors name their argument', () => {
  const builder = new ReceiptBuilder(encoder, 256);
  assert.throws(() => builder.size(0, 1), /width must be 1 to 8, got 0/);
  assert.throws(() => builder.size(1, 9), /height must be 1 to 8, got 9/);
  assert.throws(() => builder.feed(256), /lines must be 0 to 255/);
  assert.throws(() => builder.cut(true, -1), /feedLines must be 0 to 255/);
  assert.throws(() => builder.qr('中文'), /QR payload must be 1 to 512 printable ASCII/);
  assert.throws(() => builder.qr('x'.repeat(513)), /QR payload must be 1 to 512/);
  assert.throws(() => builder.align('middle' as 'left'), /align must be left, center or right/);
  assert.throws(() => new ReceiptBuilder(encoder, 10), /capacityBytes must be 64 to 65536/);
  assert.throws(() => builder.size('2' as unknown as number, 1), TypeError);
});

test('DLE EOT status bytes: fixed bits, cover, paper end, near end, error', () => {
  assert.ok(isStatusByte(0x12) && isStatusByte(0x7e) && !isStatusByte(0x13) && !isStatusByte(0x92) && !isStatusByte(0x02));
  assert.equal(decodeStatus(0x12, 0x12), { coverOpen: false, paperOut: false, paperNearEnd: false, error: false });
  assert.equal(decodeStatus(0x16, 0x12), { coverOpen: true, paperOut: false, paperNearEnd: false, error: false });
  assert.equal(decodeStatus(0x32, 0x12), { coverOpen: false, paperOut: true, paperNearEnd: false, error: false });
  assert.equal(decodeStatus(0x12, 0x72), { coverOpen: false, paperOut: true, paperNearEnd: false, error: false });
  assert.equal(decodeStatus(0x52, 0x1e), { coverOpen: false, paperOut: false, paperNearEnd: true, error: true });
});

test.run();
