// Proves the byte tables of device/card-reader-protocol.md are what the code
// does: the example frames of §7 byte for byte, the identity file of §5, PIN
// packing of §6, the status word table, and a frame found whole or fed in
// pieces behind noise.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CardCommand, findFrame, sealFrame } from '../../device/card-frame';
import { statusWordFailure } from '../../device/card-reader';
import { defaultCards, identityFile } from '../../device/sim/card-reader-emulator';
import { Gb18030Encoder } from '../../device/gb18030';
import { idCheckCharacter, packPin } from '../../device/iso7816';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const bytes = (text: string) => Uint8Array.from(Buffer.from(text.replace(/\s+/g, ''), 'hex'));

function frame(cmd: number, data: number[]): Uint8Array {
  const out = new Uint8Array(64);
  out.set(data, 4);
  return out.slice(0, sealFrame(out, cmd, data.length));
}

test('§7: the example frames, byte for byte', () => {
  assert.is(hex(frame(CardCommand.presence, [0x00])), hex(bytes('02 00 02 31 00 33 03')));
  assert.is(hex(frame(CardCommand.presence, [0x00, 0x00, 0x01])), hex(bytes('02 00 04 31 00 00 01 34 03')));
  assert.is(hex(frame(CardCommand.transmit, [0x03, 0x00, 0x20, 0x00, 0x00, 0x03, 0x12, 0x34, 0x56])), hex(bytes('02 00 0A 34 03 00 20 00 00 03 12 34 56 6E 03')));
  assert.is(hex(frame(CardCommand.transmit, [0x03, 0x00, 0x63, 0xc2])), hex(bytes('02 00 05 34 03 00 63 C2 93 03')));
});

test('§5: the valid card\'s identity file', () => {
  const file = identityFile(defaultCards[0]!, new Gb18030Encoder());
  const expected = bytes(`70 4F
    80 09 41 31 32 33 34 35 36 37 38
    81 12 31 31 30 31 30 35 31 39 34 39 31 32 33 31 30 30 32 58
    82 04 B3 C2 FE 9F
    83 06 31 31 30 30 30 30
    84 20 ${Buffer.from('110000D15600000500A1B2C3D4E5F6A7').toString('hex')}`);
  assert.is(hex(file), hex(expected));
  assert.is(file.length, 81);
});

test('§6: PINs pack two digits a byte, padded with F', () => {
  const out = new Uint8Array(8);
  assert.is(packPin('123456', out, 0), 3);
  assert.is(hex(out.subarray(0, 3)), '123456');
  assert.is(packPin('12345', out, 0), 3);
  assert.is(hex(out.subarray(0, 3)), '12345f');
  assert.is(packPin('000000000000', out, 0), 6);
});

test('§5: resident ID check characters (GB 11643)', () => {
  for (const id of ['11010519491231002X', '440306198508151233', '310101197003075013', '510107198812120048']) {
    assert.is(idCheckCharacter(id.slice(0, 17)), id[17], id);
  }
});

test('§6: status words map to stable codes', () => {
  const table: [number, string, number | undefined][] = [
    [0x63c2, 'pin_wrong', 2],
    [0x63c1, 'pin_wrong', 1],
    [0x63c0, 'pin_blocked', 0],
    [0x6983, 'pin_blocked', 0],
    [0x6982, 'security_not_satisfied', undefined],
    [0x6a82, 'file_not_found', undefined],
    [0x6d00, 'card_error', undefined],
  ];
  for (const [sw, code, retriesLeft] of table) {
    const result = statusWordFailure(sw, 'test');
    assert.ok(!result.ok);
    assert.is(result.error.code, code, sw.toString(16));
    assert.is(result.error.retriesLeft, retriesLeft);
    assert.is(result.error.sw, sw);
  }
});

test('§1: a frame is found behind noise, and only once all of it has come', () => {
  const good = frame(CardCommand.transmit, [0x07, 0x00, 0x90, 0x00]);
  const noise = bytes('02 FF FF 02 00 05 34 07 00 90 00 00 03 55 02 01');
  const stream = new Uint8Array([...noise, ...good]);
  const found = findFrame(stream, stream.length);
  assert.equal(found, { start: noise.length, end: stream.length });
  for (let cut = noise.length; cut < stream.length; cut += 1) assert.is(findFrame(stream, cut), null, `cut at ${cut}`);
});

test.run();
