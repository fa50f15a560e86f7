// Driver round-trip overhead over ptys (docs/design.md, devices): each driver
// request, on the real serial binding, against its emulator on the other end
// of a socat pty pair, compared with a raw pty echo measured in the same run
// (same adapter, same ptys, the far end writes back what it reads with no
// parsing). The difference is what the drivers' framing, checks, timers and
// the emulators' parsing cost per exchange. Every socat started is ended in
// teardown, by pid.
import assert from 'node:assert';
import { CardReader } from '../device/card-reader';
import { CardReaderEmulator } from '../device/sim/card-reader-emulator';
import { Gb18030Encoder } from '../device/gb18030';
import { ptyBackend, type Link } from '../device/sim/harness';
import { systemClock } from '../device/port';
import { ReceiptPrinter } from '../device/printer';
import { PrinterEmulator } from '../device/sim/printer-emulator';
import type { Benchmark } from './harness';

/** The size of a card reader request and its answer (PRESENCE: 7 and 9 bytes). */
const echoBytes = 8;

let echoLink: Link | null = null;
let cardLink: Link | null = null;
let printerLink: Link | null = null;
let reader: CardReader | null = null;
let printer: ReceiptPrinter | null = null;
let echoStop: (() => void) | null = null;
const echoOut = new Uint8Array(echoBytes).fill(0x5a);
const echoIn = new Uint8Array(64);

async function setUp(): Promise<void> {
  if (echoLink !== null) return;
  const encoder = new Gb18030Encoder();
  echoLink = await ptyBackend.link();
  const device = echoLink.device;
  let running = true;
  echoStop = () => (running = false);
  const buffer = new Uint8Array(64);
  void (async () => {
    while (running) {
      try {
        const count = await device.read(buffer);
        await device.write(buffer.subarray(0, count));
      } catch {
        return;
      }
    }
  })();
  cardLink = await ptyBackend.link();
  new CardReaderEmulator(cardLink.device, { encoder }).start();
  reader = new CardReader(cardLink.host, { clock: systemClock });
  printerLink = await ptyBackend.link();
  new PrinterEmulator(printerLink.device).start();
  printer = new ReceiptPrinter(printerLink.host, { clock: systemClock });
}

/** One raw round trip: write 8 bytes, read until 8 come back. */
async function rawEcho(): Promise<void> {
  const host = (echoLink as Link).host;
  await host.write(echoOut);
  let got = 0;
  while (got < echoBytes) got += await host.read(echoIn.subarray(got));
}

const benchmark: Benchmark = {
  name: 'devices',
  title: 'driver round trips over socat ptys vs a raw pty echo (real binding both ends)',
  baseline: { name: 'raw pty echo, 8 bytes', run: rawEcho },
  contenders: [
    {
      name: 'card reader presence()',
      run: async () => assert.equal((await (reader as CardReader).presence()).ok, true),
    },
    {
      name: 'printer status() (DLE EOT 2 and 4)',
      run: async () => assert.equal((await (printer as ReceiptPrinter).status()).ok, true),
    },
    {
      name: 'card reader readCredential() (8 exchanges)',
      run: async () => assert.equal((await (reader as CardReader).readCredential('123456')).ok, true),
    },
  ],
  async check() {
    await setUp();
    await rawEcho();
    assert.deepEqual([...echoIn.subarray(0, echoBytes)], [...echoOut]);
    assert.deepEqual(await (reader as CardReader).presence(), { ok: true, value: 'present' });
    const credential = await (reader as CardReader).readCredential('123456');
    assert.ok(credential.ok && credential.value.name === '陈䶮');
    assert.deepEqual(await (printer as ReceiptPrinter).status(), { ok: true, value: { coverOpen: false, paperOut: false, paperNearEnd: false, error: false } });
  },
  targets: [
    { contender: 'card reader presence()', ratioMax: 2, note: 'a card reader exchange costs at most 2 × a raw pty round trip' },
    { contender: 'printer status() (DLE EOT 2 and 4)', ratioMax: 2, note: 'a printer status query costs at most 2 × a raw pty round trip' },
  ],
  async teardown() {
    echoStop?.();
    await reader?.close();
    await printer?.close();
    for (const link of [echoLink, cardLink, printerLink]) await link?.close();
    echoLink = cardLink = printerLink = null;
  },
};

export default benchmark;
