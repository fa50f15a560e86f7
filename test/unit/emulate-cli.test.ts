// Proves the `emulate` (simulation bundle) and `probe` (firmware) commands
// check their arguments on the built bundles before touching any port: the
// device kind, --port, --baud, and a --cards file read strictly, each failure
// one line with a stable code and exit 2 (no socat needed; the runs on ptys
// are in test/hil/emulate-cli.test.ts). probe's serial frame flags
// (--data-bits --parity --stop-bits --flow) are refused exactly as a profile
// refuses the same field of that device's port, the flag named in place of
// the field's path, and what a profile takes probe takes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseProfile, ProfileError } from '../../src/profile';
import { projectRoot, runSim, runTerminal, type CliResult } from '../helpers/cli';

const dir = mkdtempSync(path.join(tmpdir(), 'cards-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

function cardsFile(name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

const good = { id: 'mine', cardNumber: 'Z98765432', idNumber: '110101199001017778', name: '欧阳娜娜', areaCode: '440300' };

/** `emulate` runs in the simulation bundle, `probe` in the firmware. */
function run(args: string[]): CliResult {
  return args[0] === 'emulate' ? runSim(args) : runTerminal(args);
}

function oneLineExit2(args: string[], pattern: RegExp): void {
  const result = run(args);
  assert.is(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
  assert.is(result.stdout, '');
  assert.is(result.stderr.trimEnd().split('\n').length, 1, result.stderr);
  assert.match(result.stderr, pattern);
}

test('emulate: the kind, --port and --baud are required and checked', () => {
  oneLineExit2(['emulate'], /the device must be one of card-reader, qr-scanner, printer/);
  oneLineExit2(['emulate', 'toaster', '--port', '/x'], /got 'toaster'/);
  oneLineExit2(['emulate', 'printer'], /--port PATH is required/);
  oneLineExit2(['emulate', 'printer', '--port', '/x', '--baud', '12k'], /--baud must be 300 to 4000000/);
  oneLineExit2(['emulate', 'printer', '--port', '/x', '--cards', 'c.json'], /--cards is for the card-reader only/);
  oneLineExit2(['emulate', 'printer', '--port', '/x', 'extra'], /unexpected argument 'extra'/);
});

test('emulate --cards: unreadable, not JSON, and each kind of invalid card, with stable codes', () => {
  const base = ['emulate', 'card-reader', '--port', '/nonexistent/tty', '--cards'];
  oneLineExit2([...base, path.join(dir, 'missing.json')], /^settle-sim emulate: cards_unreadable: --cards .*missing\.json: cannot read it \(ENOENT\)\n$/);
  oneLineExit2([...base, cardsFile('truncated.json', '{"cards": [')], /cards_not_json: .*not JSON/);
  const table: [unknown, RegExp][] = [
    [[good], /cards_invalid: .*an object with a "cards" array/],
    [{ cards: [] }, /"cards" must be an array of 1 to 64 cards/],
    [{ cards: [good], extra: 1 }, /unknown field "extra"/],
    [{ cards: [{ ...good, colour: 'red' }] }, /cards\[0\]: unknown field "colour"/],
    [{ cards: [{ ...good, id: 'Has Space' }] }, /cards\[0\]\.id must be/],
    [{ cards: [{ ...good, idNumber: '110101199001017770' }] }, /cards\[0\]\.idNumber must be 17 digits and a valid check character/],
    [{ cards: [{ ...good, name: '' }] }, /cards\[0\]\.name must be 1 to 60 bytes/],
    [{ cards: [{ ...good, name: '名'.repeat(31) }] }, /cards\[0\]\.name must be 1 to 60 bytes/],
    [{ cards: [{ ...good, areaCode: '11000' }] }, /cards\[0\]\.areaCode must be 6 digits/],
    [{ cards: [{ ...good, pin: '12a4' }] }, /cards\[0\]\.pin must be 4 to 12 digits/],
    [{ cards: [{ ...good, pinTriesLeft: 4 }] }, /cards\[0\]\.pinTriesLeft must be 0 to 3/],
    [{ cards: [{ ...good, fault: 'on_fire' }] }, /cards\[0\]\.fault must be none, pulled_mid_read or unreadable/],
    [{ cards: [good, good] }, /cards\[1\]\.id "mine" is used twice/],
    [{ cards: [{ ...good, cardNumber: 7 }] }, /cards\[0\]\.cardNumber must be a string/],
  ];
  table.forEach(([document, pattern], i) => oneLineExit2([...base, cardsFile(`bad-${i}.json`, JSON.stringify(document))], pattern));
});

test('emulate --cards with a good file gets as far as the port', () => {
  const result = runSim(['emulate', 'card-reader', '--port', '/nonexistent/tty', '--cards', cardsFile('good.json', JSON.stringify({ cards: [good] }))]);
  assert.is(result.code, 2);
  assert.match(result.stderr, /port_unavailable/);
});

test('probe: arguments are checked per device', () => {
  oneLineExit2(['probe', 'printer'], /--port PATH is required/);
  oneLineExit2(['probe', 'printer', '--port', '/x', '--pin', '1234'], /--pin is 4 to 12 digits, for the card-reader/);
  oneLineExit2(['probe', 'card-reader', '--port', '/x', '--pin', '12'], /--pin is 4 to 12 digits/);
  oneLineExit2(['probe', 'card-reader', '--port', '/x', '--test-print'], /--test-print is for the printer/);
  oneLineExit2(['probe', 'printer', '--port', '/x', '--wait-ms', '5'], /--wait-ms is a whole number of ms, for the qr-scanner/);
  const missing = runTerminal(['probe', 'printer', '--port', '/nonexistent/tty']);
  assert.is(missing.code, 2);
  assert.match(missing.stderr, /^settle-terminal probe: port_unavailable: /);
});

/** A profile whose port `port` has `field` set to `value`, refused: the detail of the refusal, or null when the profile takes it. */
function profileRefusal(port: string, field: string, value: unknown): string | null {
  const kiosk = JSON.parse(readFileSync(path.join(projectRoot, 'device', 'profiles', 'kiosk.json'), 'utf8')) as { ports: Record<string, unknown> };
  try {
    parseProfile(JSON.stringify({ ...kiosk, ports: { ...kiosk.ports, [port]: { path: '/dev/ttyS9', [field]: value } } }), (state) => state);
    return null;
  } catch (error) {
    assert.ok(error instanceof ProfileError, String(error));
    return error.detail;
  }
}

test('probe: the frame flags are checked as the profile checks a port\'s frame, with the same refusals', () => {
  const cases: readonly [string, string, string, unknown][] = [
    // device, flag, its text on the command line, the profile's value
    ['printer', 'data_bits', '5', 5],
    ['printer', 'data_bits', 'seven', 'seven'],
    ['card-reader', 'data_bits', '7', 7],
    ['printer', 'data_bits', '7', 7],
    ['printer', 'parity', 'mark', 'mark'],
    ['printer', 'stop_bits', '1.5', 1.5],
    ['printer', 'stop_bits', '3', 3],
    ['qr-scanner', 'flow', 'dtr_dsr', 'dtr_dsr'],
    ['card-reader', 'flow', 'xon_xoff', 'xon_xoff'],
  ];
  for (const [device, field, text, value] of cases) {
    const flag = `--${field.replace('_', '-')}`;
    const detail = profileRefusal(device.replace('-', '_'), field, value);
    assert.ok(detail !== null, `the profile refuses ${field} ${text} for the ${device}`);
    const expected = `settle-terminal probe: ${detail.replace(`ports.${device.replace('-', '_')}.${field}`, flag)}`;
    oneLineExit2(['probe', device, '--port', '/nonexistent/tty', flag, text], new RegExp(`^${expected.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\n$`));
  }
  // What the profile takes, probe takes: these get as far as opening the port.
  for (const args of [
    ['qr-scanner', '--data-bits', '7', '--parity', 'even'],
    ['printer', '--flow', 'xon_xoff', '--stop-bits', '2', '--parity', 'odd'],
    ['card-reader', '--flow', 'rts_cts', '--data-bits', '8', '--stop-bits', '1', '--parity', 'none'],
  ]) {
    const opened = runTerminal(['probe', args[0] as string, '--port', '/nonexistent/tty', ...args.slice(1)]);
    assert.is(opened.code, 2, args.join(' '));
    assert.match(opened.stderr, /^settle-terminal probe: port_unavailable: /, args.join(' '));
  }
});

test.run();
