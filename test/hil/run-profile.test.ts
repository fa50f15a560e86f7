// Proves `settle-terminal run --profile FILE` on real serial ports (skipped
// without socat): the kiosk profile on the firmware, whose ports are the host
// ends of socat pty pairs while this test holds the far ends (the card
// reader, QR scanner and printer emulators, and the reference hub serving the
// hub line), and the hil profile, which the simulation bundle's `run` sets up
// the same way itself (node dist/sim.js run). The firmware opens
// its ports with the real serial binding, fetches its catalogue and policy
// book over the hub line, settles a seed patient from the card (PIN typed on
// standard input) or the e-certificate, and prints the receipt. The kiosk
// profile sets a frame per port (two stop bits for the card reader, 7E1 for
// the scanner, RTS/CTS and odd parity for the printer), and the ptys' termios
// show what a pty keeps of them (stop bits, odd parity, RTS/CTS; a pty forces
// 8 data bits and no parity) while the terminal runs on them. The PIN the
// patient types (a card's own, unlike any number the run prints otherwise)
// appears neither on the screen's stdout nor in the log on stderr, whose
// every line is an entry with its time and level.
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bytesToHex } from '../../protocol/crypto';
import { nodeCryptoProvider } from '../../protocol/crypto-node';
import { CardReaderEmulator } from '../../device/sim/card-reader-emulator';
import { Gb18030Encoder } from '../../device/gb18030';
import { ReferenceHub } from '../../device/sim/hub/hub';
import { PrinterEmulator } from '../../device/sim/printer-emulator';
import { QrScannerEmulator } from '../../device/sim/qr-scanner-emulator';
import { seedCards } from '../../device/sim/site';
import { startSim, startTerminal } from '../helpers/cli';
import { hilSuite, ptyFarEnds } from '../helpers/hil';
import { isScreenLine, parseTextLog } from '../helpers/log';
import { tempDir } from '../helpers/hub-rig';
import { wang, zhang } from '../helpers/terminal-rig';

const test = hilSuite('run --profile on real serial ports');

test('the kiosk profile on pty ports: Mr. Zhang by card and PIN, settled and printed', async () => {
  const temp = tempDir('run-kiosk-');
  const ends = ptyFarEnds();
  const timeS = () => Math.floor(Date.now() / 1_000);
  const hub = ReferenceHub.open({ dir: path.join(temp.dir, 'hub'), timeS });
  const far = ends.far;
  try {
    const [card, scanner, printer, line] = [await far(), await far(), await far(), await far()];
    // Mr. Zhang's card with a PIN of its own: eight digits no other number of the run holds.
    const pin = '80462917';
    const cards = seedCards().map((seed) => (seed.id === zhang.psn_no.toLowerCase() ? { ...seed, pin } : seed));
    const reader = new CardReaderEmulator(card.port, { encoder: new Gb18030Encoder(), cards, inserted: null });
    reader.start();
    const qr = new QrScannerEmulator(scanner.port);
    qr.start();
    const paper = new PrinterEmulator(printer.port);
    paper.start();
    void hub.serve(line.port);
    const state = path.join(temp.dir, 'state');
    mkdirSync(state, { recursive: true });
    const seed = new Uint8Array(32).fill(9);
    writeFileSync(path.join(state, 'terminal.key'), `${bytesToHex(seed)}\n`, { mode: 0o600 });
    hub.enroll('BJ-K07', nodeCryptoProvider.signer(seed).publicKey, zhang.fixmedins_code);
    const profile = path.join(temp.dir, 'kiosk.json');
    const spec = (port: { path: string }, frame: Record<string, unknown> = {}) => ({ path: port.path, baud: 115_200, ...frame });
    const frames = { card_reader: spec(card, { stop_bits: 2 }), qr_scanner: spec(scanner, { data_bits: 7, parity: 'even' }), printer: spec(printer, { parity: 'odd', flow: 'rts_cts' }), hub: spec(line) };
    writeFileSync(profile, JSON.stringify({ profile: 'kiosk', terminal: 'BJ-K07', institution: zhang.fixmedins_code, state, hub_key: bytesToHex(hub.publicKey), ports: frames }));
    const terminal = startTerminal(['run', '--profile', profile]);
    try {
      await terminal.waitForLog(/ info ready ms=\d+ terminal=BJ-K07 profile=kiosk catalogue=beijing-2026\.03 /, 30_000);
      const termios = (port: { path: string }) => new Set(execFileSync('stty', ['-F', port.path, '-a'], { encoding: 'utf8' }).split(/\s+/));
      for (const [port, flags] of [
        [card, ['cstopb', '-parodd', '-crtscts']],
        [scanner, ['-cstopb', '-parodd', '-crtscts']],
        [printer, ['-cstopb', 'parodd', 'crtscts']],
        [line, ['-cstopb', '-parodd', '-crtscts']],
      ] as const) {
        const set = termios(port);
        for (const flag of flags) assert.ok(set.has(flag), `${port.path}: ${flag}`);
      }
      reader.insert(zhang.psn_no.toLowerCase());
      await terminal.waitFor(/请输入社保卡密码/, 10_000);
      terminal.send(pin);
      await terminal.waitFor(/费用明细 Bill/, 15_000);
      terminal.send('ok');
      terminal.send('ok');
      await terminal.waitFor(/确认结算 Confirm/, 10_000);
      terminal.send('ok');
      await terminal.waitFor(/结算完成 Settled/, 15_000);
      const settled = hub.state.ledger.find((settlement) => settlement.event.input.mdtrt_id === zhang.mdtrt_id);
      assert.ok(settled !== undefined && !settled.reversed && settled.cancelled === null, 'in force at the hub');
      for (let waited = 0; waited < 100 && !paper.transcript().includes(`[QR ${settled.event.setl_id}]`); waited += 1) await new Promise((resolve) => setTimeout(resolve, 50));
      assert.ok(paper.transcript().includes(`[QR ${settled.event.setl_id}]`), paper.transcript().join('\n'));
      assert.ok(paper.transcript().some((text) => text.includes('医疗救助基金')), 'three layers on the receipt');
      void qr;
    } finally {
      assert.is(await terminal.stop('SIGTERM'), 0, terminal.stderr());
    }
    assert.ok(terminal.logs.some((line) => / info stopped$/.test(line)), terminal.stderr());
    for (const line of terminal.lines) assert.ok(isScreenLine(line), `not a screen line on stdout: ${JSON.stringify(line)}`);
    for (const line of terminal.logs.filter((text) => text !== '')) assert.ok(parseTextLog(line) !== null, `not a log entry on stderr: ${JSON.stringify(line)}`);
    assert.not.ok(terminal.lines.join('\n').includes(pin), 'the PIN is not on the screen');
    assert.not.ok(terminal.stderr().includes(pin), 'the PIN is not in the log');
  } finally {
    await ends.close();
    await hub.close();
    temp.remove();
  }
});

test('the hil profile: the firmware makes its pty pairs, emulators and hub, and serves Aunt Wang by e-certificate', async () => {
  const temp = tempDir('run-hil-');
  try {
    const profile = path.join(temp.dir, 'hil.json');
    writeFileSync(profile, JSON.stringify({ profile: 'hil', terminal: 'SH-K08', institution: wang.fixmedins_code, state: 'state', line: { baud: 115_200 } }));
    const terminal = startSim(['run', '--profile', profile]);
    try {
      await terminal.waitForLog(/ info ready ms=\d+ terminal=SH-K08 profile=hil /, 30_000);
      terminal.send(`scan ${wang.ecert}`);
      await terminal.waitFor(/费用明细 Bill/, 15_000);
      terminal.send('ok');
      terminal.send('ok');
      await terminal.waitFor(/确认结算 Confirm/, 10_000);
      terminal.send('ok');
      await terminal.waitFor(/结算完成 Settled/, 15_000);
      await terminal.waitForLog(/ info printer line="\[QR M 6\] S\d+"$/, 10_000);
    } finally {
      assert.is(await terminal.stop('SIGTERM'), 0, terminal.stderr());
    }
  } finally {
    temp.remove();
  }
});

test.run();
