// Proves the profile file is read strictly (src/profile.ts): the four
// example profiles (device/profiles/, device/sim/profiles/) parse into what run needs, with the
// defaults written down in README.md; a relative state directory is placed
// against the file's folder; and a table of bad profiles is refused, each with
// its stable code and the path of the field at fault, never guessed; and the
// CLI turns a refusal into one line and exit 2. The firmware runs the kiosk
// and handheld profiles; the emulated and hil ones it refuses, naming the
// simulation bundle that runs them. A port's frame (data_bits,
// parity, stop_bits, flow) is 8N1 without flow control unless given, and a
// frame that would corrupt what the device sends is refused: 7 data bits
// where bytes use all eight, XON/XOFF where the data holds 0x11 and 0x13.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { frame8N1 } from '../../device/port';
import { parseProfile, ProfileError } from '../../src/profile';
import { projectRoot, runTerminal } from '../helpers/cli';

const examples = (name: string) => path.join(projectRoot, 'device', ...(name === 'emulated' || name === 'hil' ? ['sim'] : []), 'profiles');
const read = (name: string) => readFileSync(path.join(examples(name), `${name}.json`), 'utf8');
const resolve = (state: string) => path.resolve('/profiles', state);

test('the example profiles parse, with their defaults', () => {
  const emulated = parseProfile(read('emulated'), resolve);
  assert.equal([emulated.profile, emulated.layout, emulated.ports, emulated.hub_key, emulated.line], ['emulated', 'kiosk', null, null, { baud: 115_200, loss: 0, seed: 1 }]);
  const hil = parseProfile(read('hil'), resolve);
  assert.equal([hil.profile, hil.receipt_cells, hil.timeouts_ms], ['hil', 32, { patient: 60_000, hub_request: 3_000, hub_settle: 8_000 }]);
  const kiosk = parseProfile(read('kiosk'), resolve);
  assert.equal(
    [kiosk.layout, kiosk.ports?.card_reader, kiosk.ports?.hub, kiosk.offline_floor_fen],
    ['kiosk', { path: '/dev/ttyUSB0', baud: 115_200, frame: frame8N1 }, { path: '/dev/ttyS0', baud: 115_200, frame: frame8N1 }, 20_000],
  );
  assert.equal(kiosk.ports?.qr_scanner?.frame, { dataBits: 7, parity: 'even', stopBits: 1, flow: 'none' }, 'the scanner is 7E1');
  assert.equal(kiosk.ports?.printer?.frame, { dataBits: 8, parity: 'none', stopBits: 1, flow: 'rts_cts' }, 'the printer paces by RTS/CTS');
  const handheld = parseProfile(read('handheld'), resolve);
  assert.equal([handheld.layout, handheld.ports?.card_reader, handheld.state], ['handheld', null, '/var/lib/settle-terminal']);
  assert.is(parseProfile(JSON.stringify({ ...JSON.parse(read('emulated')), state: 'state-here' }), resolve).state, '/profiles/state-here');
});

const kiosk = JSON.parse(read('kiosk')) as Record<string, unknown>;
const ports = kiosk.ports as Record<string, unknown>;
const bad: readonly [string, unknown, RegExp][] = [
  ['not JSON', '{', /^profile_not_json/],
  ['an array', [], /profile_invalid: profile must be an object/],
  ['an unknown field', { ...kiosk, colour: 'red' }, /profile\.colour must be absent/],
  ['an unknown kind', { ...kiosk, profile: 'tablet' }, /profile must be emulated, hil, kiosk or handheld/],
  ['no terminal', { ...kiosk, terminal: undefined }, /terminal must be 1 to 32/],
  ['a terminal id with spaces', { ...kiosk, terminal: 'K 01' }, /terminal must be/],
  ['a lowercase institution', { ...kiosk, institution: 'h1101' }, /institution must be a national fixmedins code/],
  ['an institution code without its area (no catalogue line)', { ...kiosk, institution: 'HOSPITAL0001' }, /institution must be a national fixmedins code/],
  ['no hub key', { ...kiosk, hub_key: undefined }, /hub_key must be the hub public key/],
  ['a short hub key', { ...kiosk, hub_key: 'ab' }, /hub_key must be/],
  ['no ports', { ...kiosk, ports: undefined }, /ports must be an object/],
  ['no printer', { ...kiosk, ports: { ...ports, printer: undefined } }, /ports must be given a printer and a hub/],
  ['neither reader', { ...kiosk, ports: { ...ports, card_reader: undefined, qr_scanner: null } }, /a card_reader, a qr_scanner or both/],
  ['a relative port path', { ...kiosk, ports: { ...ports, printer: { path: 'ttyS1' } } }, /ports\.printer\.path must be an absolute device path/],
  ['a baud out of range', { ...kiosk, ports: { ...ports, hub: { path: '/dev/ttyS0', baud: 12 } } }, /ports\.hub\.baud must be a whole number from 1200 to 4000000/],
  ['an unknown port', { ...kiosk, ports: { ...ports, display: { path: '/dev/ttyS5' } } }, /ports\.display must be absent/],
  ['an unknown port field', { ...kiosk, ports: { ...ports, hub: { path: '/dev/ttyS0', handshake: 'rts' } } }, /ports\.hub\.handshake must be absent/],
  ['data bits 5', { ...kiosk, ports: { ...ports, printer: { path: '/dev/ttyS1', data_bits: 5 } } }, /ports\.printer\.data_bits must be 7 or 8$/],
  ['data bits as text', { ...kiosk, ports: { ...ports, qr_scanner: { path: '/dev/ttyS2', data_bits: '7' } } }, /ports\.qr_scanner\.data_bits must be 7 or 8$/],
  ['parity mark', { ...kiosk, ports: { ...ports, hub: { path: '/dev/ttyS0', parity: 'mark' } } }, /ports\.hub\.parity must be none, even or odd$/],
  ['stop bits 1.5', { ...kiosk, ports: { ...ports, hub: { path: '/dev/ttyS0', stop_bits: 1.5 } } }, /ports\.hub\.stop_bits must be 1 or 2$/],
  ['flow dtr', { ...kiosk, ports: { ...ports, printer: { path: '/dev/ttyS1', flow: 'dtr_dsr' } } }, /ports\.printer\.flow must be none, rts_cts or xon_xoff$/],
  ['7 data bits for the card reader', { ...kiosk, ports: { ...ports, card_reader: { path: '/dev/ttyUSB0', data_bits: 7 } } }, /ports\.card_reader\.data_bits must be 8: the card reader's frames use all eight bits/],
  ['7 data bits for the printer', { ...kiosk, ports: { ...ports, printer: { path: '/dev/ttyS1', data_bits: 7 } } }, /ports\.printer\.data_bits must be 8: ESC\/POS/],
  ['7 data bits for the hub', { ...kiosk, ports: { ...ports, hub: { path: '/dev/ttyS0', data_bits: 7 } } }, /ports\.hub\.data_bits must be 8/],
  ['XON/XOFF for the card reader', { ...kiosk, ports: { ...ports, card_reader: { path: '/dev/ttyUSB0', flow: 'xon_xoff' } } }, /ports\.card_reader\.flow must be none or rts_cts: .*0x11 and 0x13/],
  ['XON/XOFF for the hub', { ...kiosk, ports: { ...ports, hub: { path: '/dev/ttyS0', flow: 'xon_xoff' } } }, /ports\.hub\.flow must be none or rts_cts/],
  ['a negative floor', { ...kiosk, offline_floor_fen: -1 }, /offline_floor_fen must be a whole number/],
  ['a fractional floor', { ...kiosk, offline_floor_fen: 1.5 }, /offline_floor_fen must be a whole number/],
  ['receipt cells 40', { ...kiosk, receipt_cells: 40 }, /receipt_cells must be 32/],
  ['an unknown layout', { ...kiosk, layout: 'wall' }, /layout must be kiosk or handheld/],
  ['a line on real ports', { ...kiosk, line: { baud: 9600 } }, /line must be absent in the kiosk profile/],
  ['ports on the emulated profile', { ...JSON.parse(read('emulated')), ports }, /ports must be absent in the emulated profile/],
  ['a hub key on the hil profile', { ...JSON.parse(read('hil')), hub_key: kiosk.hub_key }, /hub_key must be absent in the hil profile/],
  ['a loss of one', { ...JSON.parse(read('emulated')), line: { loss: 1 } }, /line\.loss must be a number from 0 to 0\.3/],
  ['a timeout of zero', { ...kiosk, timeouts_ms: { patient: 0 } }, /timeouts_ms\.patient must be a whole number from 1000/],
  ['an unknown timeout', { ...kiosk, timeouts_ms: { card: 5 } }, /timeouts_ms\.card must be absent/],
  ['a control character in the name', { ...kiosk, institution_name: 'a\nb' }, /institution_name must be/],
  ['too large', { ...kiosk, institution_name: 'x'.repeat(70_000) }, /at most 65536 bytes/],
];

test('a port takes the frame its device can carry: the fields, read into the frame the port opens with', () => {
  const frameOf = (port: string, fields: Record<string, unknown>) => {
    const parsed = parseProfile(JSON.stringify({ ...kiosk, ports: { ...ports, [port]: { path: '/dev/ttyS9', ...fields } } }), resolve);
    return parsed.ports?.[port as 'hub']?.frame;
  };
  for (const [port, fields, frame] of [
    ['hub', {}, frame8N1],
    ['hub', { parity: 'even', stop_bits: 2, flow: 'rts_cts' }, { dataBits: 8, parity: 'even', stopBits: 2, flow: 'rts_cts' }],
    ['card_reader', { parity: 'odd' }, { dataBits: 8, parity: 'odd', stopBits: 1, flow: 'none' }],
    ['printer', { flow: 'xon_xoff' }, { dataBits: 8, parity: 'none', stopBits: 1, flow: 'xon_xoff' }],
    ['qr_scanner', { data_bits: 7, parity: 'odd', stop_bits: 2, flow: 'xon_xoff' }, { dataBits: 7, parity: 'odd', stopBits: 2, flow: 'xon_xoff' }],
  ] as const) {
    assert.equal(frameOf(port, fields), frame, `${port} ${JSON.stringify(fields)}`);
  }
});

test('bad profiles are refused with their code and the field at fault', () => {
  for (const [what, value, expected] of bad) {
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    try {
      parseProfile(text, resolve);
      assert.unreachable(what);
    } catch (error) {
      assert.ok(error instanceof ProfileError, `${what}: ${String(error)}`);
      assert.match((error as Error).message, expected, what);
    }
  }
});

test('run refuses a bad profile in one line, exit 2; a missing one is profile_unreadable', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'profile-'));
  try {
    const file = path.join(dir, 'p.json');
    writeFileSync(file, JSON.stringify({ ...kiosk, ports: { ...ports, hub: { path: '/dev/ttyS0', baud: 7 } } }));
    const refused = runTerminal(['run', '--profile', file]);
    assert.is(refused.code, 2);
    assert.is(refused.stderr.trimEnd().split('\n').length, 1);
    assert.match(refused.stderr, /^settle-terminal run: profile_invalid: ports\.hub\.baud must be/);
    const missing = runTerminal(['run', '--profile', path.join(dir, 'none.json')]);
    assert.is(missing.code, 2);
    assert.match(missing.stderr, /profile_unreadable: .*ENOENT/);
    assert.match(runTerminal(['run']).stderr, /--profile FILE is required/);
    assert.match(runTerminal(['run', '--profile', file, '--crypto', 'rot13']).stderr, /--crypto must be one of auto, node, tweetnacl/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the firmware refuses the simulated profiles in one line, exit 2, naming the simulation bundle; it makes no key for them', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'profile-'));
  try {
    for (const kind of ['emulated', 'hil']) {
      const file = path.join(dir, `${kind}.json`);
      writeFileSync(file, JSON.stringify({ ...JSON.parse(read(kind)), state: 'state' }));
      const refused = runTerminal(['run', '--profile', file]);
      assert.is(refused.code, 2, kind);
      assert.is(refused.stdout, '', kind);
      assert.is(refused.stderr.trimEnd().split('\n').length, 1, kind);
      assert.match(refused.stderr, new RegExp(`^settle-terminal run: profile_simulated: the ${kind} profile runs the device emulators and the reference hub, which are not in the firmware: run it with 'node dist/sim\\.js run --profile `), kind);
      assert.not.ok(existsSync(path.join(dir, 'state')), 'no state made');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
