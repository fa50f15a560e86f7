// Properties of the device layer, with fast-check (seeds are printed by
// fast-check on failure and replay with its `seed` option): the frame scanner
// only ever returns well-checked frames and finds a good frame behind noise;
// GB18030 encoding round-trips any string; an ESC/POS job reads back the same
// however the line splits it; a scanner finds a token behind any noise; and
// the card reader emulator answers any well-framed request with a well-framed
// response, never crashing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { CardCommand, findFrame, frameDataAt, sealFrame, stx } from '../../device/card-frame';
import { CardReaderEmulator } from '../../device/sim/card-reader-emulator';
import { Gb18030Encoder } from '../../device/gb18030';
import { mockBackend } from '../../device/sim/harness';
import { systemClock } from '../../device/port';
import { PrinterEmulator } from '../../device/sim/printer-emulator';
import { QrScanner } from '../../device/qr-scanner';
import { sampleReceipt } from '../suites/printer.suite';

const encoder = new Gb18030Encoder();
const decoder = new TextDecoder('gb18030');

function wellChecked(bytes: Uint8Array, start: number, end: number): boolean {
  const len = ((bytes[start + 1] as number) << 8) | (bytes[start + 2] as number);
  let bcc = 0;
  for (let i = start + 1; i < end - 2; i += 1) bcc ^= bytes[i] as number;
  return bytes[start] === 0x02 && bytes[end - 1] === 0x03 && end - start === len + 5 && bcc === bytes[end - 2] && len >= 2 && len <= 301;
}

test('findFrame returns only well-checked frames, whatever the bytes', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 700 }), (noise) => {
      const found = findFrame(noise, noise.length);
      return found === null || wellChecked(noise, found.start, found.end);
    }),
    { numRuns: 2_000 },
  );
});

test('a sealed frame behind noise without STX is found whole, its DATA intact', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 300 }).map((bytes) => bytes.map((byte) => (byte === stx ? 0 : byte))),
      fc.integer({ min: 0, max: 255 }),
      fc.uint8Array({ minLength: 1, maxLength: 300 }),
      (noise, cmd, data) => {
        const frame = new Uint8Array(320);
        frame.set(data, frameDataAt);
        const length = sealFrame(frame, cmd, data.length);
        const stream = new Uint8Array([...noise, ...frame.subarray(0, length)]);
        const found = findFrame(stream, stream.length);
        return found !== null && found.start === noise.length && found.end === stream.length && Buffer.compare(stream.subarray(found.start + frameDataAt, found.end - 2), data) === 0;
      },
    ),
    { numRuns: 1_000 },
  );
});

test('GB18030: decode(encode(s)) is s for any string of well-formed code points (bar the private-use holes)', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 64 }), (text) => {
      const back = decoder.decode(encoder.encode(text));
      if (back === text) return true;
      // Only a code point with no code of its own may come back as '?'.
      return [...text].every((char, i) => [...back][i] === char || ([...back][i] === '?' && /[\ue000-\uf8ff\ufffd]/u.test(char)));
    }),
    { numRuns: 2_000 },
  );
});

test('an ESC/POS job reads back the same however the line splits it', async () => {
  const job = sampleReceipt(3);
  const whole = await printOver([job.length], job);
  assert.is(whole.length, 11);
  await fc.assert(
    fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 97 }), { minLength: 1, maxLength: 40 }), async (cuts) => {
      assert.equal(await printOver(cuts, job), whole);
    }),
    { numRuns: 20 },
  );
});

async function printOver(cuts: number[], job: Uint8Array): Promise<string[]> {
  const link = await mockBackend.link();
  const printer = new PrinterEmulator(link.device);
  printer.start();
  try {
    let at = 0;
    for (let i = 0; at < job.length; i += 1) {
      const end = Math.min(job.length, at + (cuts[i % cuts.length] as number));
      await link.host.write(job.slice(at, end));
      at = end;
    }
    for (let wait = 0; wait < 100 && printer.stats.bytes < job.length; wait += 1) await new Promise((resolve) => setTimeout(resolve, 2));
    return printer.transcript();
  } finally {
    await printer.close();
    await link.close();
  }
}

test('the scanner finds a token behind any noise line', async () => {
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ maxLength: 600 }), fc.stringMatching(/^[A-Za-z0-9_-]{16,64}$/), async (noise, body) => {
      const link = await mockBackend.link();
      const scanner = new QrScanner(link.host, { clock: systemClock });
      try {
        const token = `ECT1:${body}`;
        const next = scanner.next(2_000);
        await link.device.write(new Uint8Array([...noise, 0x0d, ...Buffer.from(`${token}\r`)]));
        const result = await next;
        return result.ok && result.value.token === token;
      } finally {
        await scanner.close();
        await link.close();
      }
    }),
    { numRuns: 25 },
  );
});

test('the card reader emulator answers any well-framed request with a well-framed response', async () => {
  const link = await mockBackend.link();
  const emulator = new CardReaderEmulator(link.device, { encoder });
  emulator.start();
  const rx = new Uint8Array(1_024);
  try {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(CardCommand.presence, CardCommand.powerOn, CardCommand.powerOff, CardCommand.transmit, 0x00, 0x7f, 0xff),
        fc.uint8Array({ maxLength: 280 }),
        async (cmd, payload) => {
          const frame = new Uint8Array(320);
          frame[frameDataAt] = 0; // SEQ 0: always run, never a repeat
          frame.set(payload, frameDataAt + 1);
          await link.host.write(frame.slice(0, sealFrame(frame, cmd, payload.length + 1)));
          let length = 0;
          for (let tries = 0; tries < 50; tries += 1) {
            length += await link.host.read(rx.subarray(length));
            const found = findFrame(rx, length);
            if (found !== null) return rx[found.start + 3] === cmd && wellChecked(rx, found.start, found.end) && found.end === length;
          }
          return false;
        },
      ),
      { numRuns: 150 },
    );
  } finally {
    await emulator.close();
    await link.close();
  }
});

test.run();
