// Proves the profile file is read strictly (src/profile.ts): the four
// example profiles (device/profiles/, device/sim/profiles/) parse into what run needs, with the
// defaults written down in README.md; a relative state directory is placed
// against the file's folder; and a table of bad profiles is refused, each with
// its stable code and the path of the field at fault, never guessed; and the
// CLI turns a refusal into one line and exit 2. The firmware runs the kiosk
// and handheld profiles; the emulated and hil ones it refuses, naming the
// simulation bundle that runs them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
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
  assert.equal([kiosk.layout, kiosk.ports?.card_reader, kiosk.ports?.hub, kiosk.offline_floor_fen], ['kiosk', { path: '/dev/ttyUSB0', baud: 115_200 }, { path: '/dev/ttyS0', baud: 115_200 }, 20_000]);
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
  ['an unknown kind', { ...kiosk, profile: 'tablet' }, /profile must be emulated, hil, kiosk, handheld/],
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
  ['a baud out of range', { ...kiosk, ports: { ...ports, hub: { path: '/dev/ttyS0', baud: 12 } } }, /ports\.hub\.baud must be a whole number from 300 to 4000000/],
  ['an unknown port', { ...kiosk, ports: { ...ports, display: { path: '/dev/ttyS5' } } }, /ports\.display must be absent/],
  ['a negative floor', { ...kiosk, offline_floor_fen: -1 }, /offline_floor_fen must be a whole number/],
  ['a fractional floor', { ...kiosk, offline_floor_fen: 1.5 }, /offline_floor_fen must be a whole number/],
  ['receipt cells 40', { ...kiosk, receipt_cells: 40 }, /receipt_cells must be 32/],
  ['an unknown layout', { ...kiosk, layout: 'wall' }, /layout must be kiosk or handheld/],
  ['a line on real ports', { ...kiosk, line: { baud: 9600 } }, /line must be absent in the kiosk profile/],
  ['ports on the emulated profile', { ...JSON.parse(read('emulated')), ports }, /ports must be absent in the emulated profile/],
  ['a hub key on the hil profile', { ...JSON.parse(read('hil')), hub_key: kiosk.hub_key }, /hub_key must be absent in the hil profile/],
  ['a loss of one', { ...JSON.parse(read('emulated')), line: { loss: 1 } }, /line\.loss must be a number from 0 to 0\.5/],
  ['a timeout of zero', { ...kiosk, timeouts_ms: { patient: 0 } }, /timeouts_ms\.patient must be a whole number from 1000/],
  ['an unknown timeout', { ...kiosk, timeouts_ms: { card: 5 } }, /timeouts_ms\.card must be absent/],
  ['a control character in the name', { ...kiosk, institution_name: 'a\nb' }, /institution_name must be/],
  ['too large', { ...kiosk, institution_name: 'x'.repeat(70_000) }, /at most 65536 bytes/],
];

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
