// The receipt printer driver suite, written once and run on every backend
// (test/unit/printer.test.ts, test/hil/printer.test.ts): a Chinese receipt
// with alignment, emphasis, double size, a QR code and a cut, read back by
// the emulator; status; paper out and cover open before printing; paper out
// during a receipt; near-end; garbage on the line; DLE EOT answered in real
// time in the middle of an incomplete GS ( k; a silent printer
// (timeout); close while pending; and a simulated 115,200-baud line.
import * as assert from 'uvu/assert';
import type { Test } from 'uvu';
import { ReceiptBuilder } from '../../device/escpos';
import { Gb18030Encoder } from '../../device/gb18030';
import type { Backend, Link, LinkOptions } from '../../device/sim/harness';
import { systemClock } from '../../device/port';
import { ReceiptPrinter } from '../../device/printer';
import { PrinterEmulator } from '../../device/sim/printer-emulator';
import { runSeed, withSeed } from './seed';

const encoder = new Gb18030Encoder();

interface Rig {
  readonly printer: ReceiptPrinter;
  readonly emulator: PrinterEmulator;
  readonly link: Link;
}

async function withRig(
  backend: Backend,
  options: { link?: LinkOptions; serve?: boolean; chunkBytes?: number; exchangeTimeoutMs?: number },
  body: (rig: Rig) => Promise<void>,
): Promise<void> {
  const link = await backend.link(options.link);
  const emulator = new PrinterEmulator(link.device);
  if (options.serve !== false) emulator.start();
  const printer = new ReceiptPrinter(link.host, { clock: systemClock, chunkBytes: options.chunkBytes, exchangeTimeoutMs: options.exchangeTimeoutMs ?? 1_000 });
  try {
    await body({ printer, emulator, link });
  } finally {
    await printer.close();
    await emulator.close();
    await link.close();
  }
}

/** A settlement receipt as the session will print it. */
export function sampleReceipt(extraLines = 0): Uint8Array {
  const builder = new ReceiptBuilder(encoder)
    .init()
    .align('center')
    .bold(true)
    .size(2, 2)
    .line('异地就医结算单')
    .size(1, 1)
    .bold(false)
    .align('left')
    .line('姓名: 陈䶮')
    .line('参保地: 110000 北京市')
    .line('就医地: 440300 深圳市');
  for (let i = 0; i < extraLines; i += 1) builder.line(`第${i + 1}项 阿莫西林胶囊 0.25g×24 ¥12.50`);
  builder.align('right').line('统筹基金支付: ¥1,234.56').line('个人自付: ¥78.90').align('center').qr('ECT1:SETTLEMENT-2207-000123456789').cut();
  const job = builder.finish();
  assert.ok(job.ok);
  return job.value;
}

export function printerSuite(test: Test, backend: Backend): void {
  test(`${backend.name}: prints a Chinese receipt that reads back line by line, with its QR code and cut`, () =>
    withRig(backend, {}, async ({ printer, emulator }) => {
      const result = await printer.print(sampleReceipt());
      assert.equal(result, { ok: true, value: { bytes: sampleReceipt().length, paperNearEnd: false } });
      assert.equal(emulator.transcript(), [
        '异地就医结算单',
        '姓名: 陈䶮',
        '参保地: 110000 北京市',
        '就医地: 440300 深圳市',
        '统筹基金支付: ¥1,234.56',
        '个人自付: ¥78.90',
        '[QR ECT1:SETTLEMENT-2207-000123456789]',
        '--- cut ---',
      ]);
      const title = emulator.events[0];
      assert.equal(title, { kind: 'line', line: { text: '异地就医结算单', align: 'center', bold: true, width: 2, height: 2 } });
      assert.equal(emulator.events[4], { kind: 'line', line: { text: '统筹基金支付: ¥1,234.56', align: 'right', bold: false, width: 1, height: 1 } });
      assert.equal(emulator.events[6], { kind: 'qr', payload: 'ECT1:SETTLEMENT-2207-000123456789', moduleDots: 6, level: 'M' });
      assert.equal(emulator.events[7], { kind: 'cut', partial: true });
      assert.not.ok(emulator.events.some((event) => event.kind === 'unknown'));
    }));

  test(`${backend.name}: status reads paper and cover; near-end is reported with a good print`, () =>
    withRig(backend, {}, async ({ printer, emulator }) => {
      assert.equal(await printer.status(), { ok: true, value: { coverOpen: false, paperOut: false, paperNearEnd: false, error: false } });
      emulator.paperNearEnd = true;
      const result = await printer.print(sampleReceipt());
      assert.ok(result.ok && result.value.paperNearEnd);
      emulator.coverOpen = true;
      emulator.paperOut = true;
      assert.equal(await printer.status(), { ok: true, value: { coverOpen: true, paperOut: true, paperNearEnd: true, error: false } });
    }));

  test(`${backend.name}: paper out or cover open before printing: a typed error, nothing printed`, () =>
    withRig(backend, {}, async ({ printer, emulator }) => {
      emulator.paperOut = true;
      const out = await printer.print(sampleReceipt());
      assert.ok(!out.ok && out.error.code === 'paper_out' && out.error.bytesSent === 0, JSON.stringify(out));
      emulator.paperOut = false;
      emulator.coverOpen = true;
      const cover = await printer.print(sampleReceipt());
      assert.ok(!cover.ok && cover.error.code === 'cover_open');
      assert.equal(emulator.transcript(), []);
    }));

  test(`${backend.name}: paper running out during a receipt is paper_out, with the bytes the printer took`, () =>
    withRig(backend, { chunkBytes: 256 }, async ({ printer, emulator }) => {
      emulator.paperOutAfterLines = 5;
      const job = sampleReceipt(60);
      const result = await printer.print(job);
      assert.ok(!result.ok && result.error.code === 'paper_out', JSON.stringify(result));
      const sent = result.ok ? 0 : (result.error.bytesSent as number);
      assert.ok(sent > 0 && sent < job.length, `${sent} of ${job.length} bytes`);
      assert.is(emulator.events.filter((event) => event.kind === 'line').length, 5);
      assert.ok(emulator.events.some((event) => event.kind === 'lost'));
      // Fresh paper: the session reprints the whole receipt.
      emulator.paperOut = false;
      assert.ok((await printer.print(sampleReceipt())).ok);
    }));

  test(`${backend.name}: garbage on the line is not taken for status`, () =>
    withRig(backend, {}, async ({ printer, link, emulator }) => {
      // Bytes that cannot be DLE EOT answers (bit 1 or 4 clear, or bit 0 or 7 set).
      const noise = Uint8Array.of(0x00, 0xff, 0x41, 0x80, 0x13, 0x92, 0x02, 0x10);
      const timer = setInterval(() => void link.device.write(noise).catch(() => {}), 2);
      try {
        for (let i = 0; i < 3; i += 1) assert.ok((await printer.print(sampleReceipt())).ok);
      } finally {
        clearInterval(timer);
      }
      assert.is(emulator.transcript().length, 3 * 8);
    }));

  test(`${backend.name}: DLE EOT is answered in real time while a GS ( k that declared 7,000 bytes is still coming in`, () =>
    withRig(backend, {}, async ({ printer, link, emulator }) => {
      // GS ( k pL pH with 7,000 bytes declared (QR store: cn 49, fn 80, m 48, then the payload), and only its first 100 sent.
      const declared = 7_000;
      const command = new Uint8Array(5 + declared).fill(0x41);
      command.set([0x1d, 0x28, 0x6b, declared & 0xff, declared >> 8, 0x31, 0x50, 0x30]);
      await link.host.write(command.subarray(0, 5 + 100));
      await link.host.drain();
      const during = await printer.status();
      assert.equal(during, { ok: true, value: { coverOpen: false, paperOut: false, paperNearEnd: false, error: false } }, 'answered while the command is incomplete');
      assert.is(emulator.stats.statusQueries, 2);
      // The status query's 6 bytes went into the command's data, as on a real printer; the rest completes it.
      await link.host.write(command.subarray(5 + 100 + 6));
      await link.host.drain();
      assert.ok((await printer.status()).ok, 'after the command: answered once each, the parser in step');
      assert.is(emulator.stats.statusQueries, 4);
      assert.ok((await printer.print(sampleReceipt())).ok);
      assert.ok(emulator.transcript().includes('--- cut ---'));
    }));

  test(`${backend.name}: a silent printer is a timeout at its deadline`, () =>
    withRig(backend, { serve: false, exchangeTimeoutMs: 200 }, async ({ printer }) => {
      const started = performance.now();
      const result = await printer.print(sampleReceipt());
      const elapsedMs = performance.now() - started;
      assert.ok(!result.ok && result.error.code === 'timeout');
      assert.ok(elapsedMs >= 190 && elapsedMs < 800, `${elapsedMs} ms`);
    }));

  test(`${backend.name}: close while a status query is pending ends it as cancelled; twice is safe`, () =>
    withRig(backend, { serve: false, exchangeTimeoutMs: 5_000 }, async ({ printer }) => {
      const pending = printer.status();
      await new Promise((resolve) => setTimeout(resolve, 20));
      await printer.close();
      await printer.close();
      const result = await pending;
      assert.ok(!result.ok && result.error.code === 'cancelled');
    }));

  test(`${backend.name}: a long receipt crosses a simulated 115,200-baud line`, async () => {
    const seed = runSeed();
    await withSeed(seed, () =>
      withRig(backend, { link: { line: { baud: 115_200, latencyMs: 3, seed } } }, async ({ printer, emulator }) => {
        const result = await printer.print(sampleReceipt(100));
        assert.ok(result.ok, JSON.stringify(result));
        assert.is(emulator.events.filter((event) => event.kind === 'line').length, 106);
      }),
    );
  });
}
