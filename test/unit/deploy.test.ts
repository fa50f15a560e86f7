// Proves the kiosk's systemd unit (device/deploy/settle-kiosk.service) is one
// the firmware runs as it is written. The unit is read strictly (every line a
// section, a key=value or a comment) and holds what README.md's deployment
// section says: a user of its own in the dialout group, the install
// directory, restarts, the state directory 0700 under /var/lib, the screen on
// the kiosk's tty and the log (stderr) in journald. Its ExecStart is run: the
// shell on the built dist/boot.sh (the startup snapshot's wrapper,
// device/deploy/boot.sh), the same node flags and arguments on the built
// firmware's entry, dist/boot.js (by this test's node, not the unit's
// /usr/bin/node, with $STATE_DIRECTORY as systemd sets it, where boot.js
// leaves its code cache), the profile
// path replaced by a copy of device/profiles/kiosk.json and `--check` added,
// which reads the profile as run would and exits: the firmware takes that
// command line, and the example profile's state directory is the unit's.
// Without the profile at its path the same command line is refused as
// profile_unreadable naming that path, exit 2 (what a start on a kiosk
// without /etc/settle-terminal/kiosk.json would log). Where systemd-analyze
// is on PATH, `systemd-analyze verify` finds nothing to say about the unit.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { projectRoot, terminalBundle } from '../helpers/cli';

/** The unit's script: dist/boot.js, which runs dist/terminal.js beside it. */
const bootBundle = path.join(path.dirname(terminalBundle), 'boot.js');
/** The unit's command: dist/boot.sh, which runs node on boot.js from the startup snapshot when there is one. */
const bootWrapper = path.join(path.dirname(terminalBundle), 'boot.sh');

const unitFile = path.join(projectRoot, 'device', 'deploy', 'settle-kiosk.service');

/** A unit file's sections, each key with every value it is given, in order; throws on a line that is none of section, key=value, comment, blank. */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | null = null;
  for (const [index, line] of text.split('\n').entries()) {
    if (line.trim() === '' || /^[#;]/.test(line)) continue;
    const section = /^\[([A-Za-z]+)\]$/.exec(line);
    const entry = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (section !== null) {
      current = new Map();
      sections.set(section[1] as string, current);
    } else if (entry !== null && current !== null) {
      current.set(entry[1] as string, [...(current.get(entry[1] as string) ?? []), entry[2] as string]);
    } else {
      throw new Error(`line ${index + 1} is not a unit file line: ${line}`);
    }
  }
  return sections;
}

const unit = parseUnit(readFileSync(unitFile, 'utf8'));
const service = unit.get('Service') ?? new Map<string, string[]>();
/** The one value of a [Service] key. */
const one = (key: string): string => {
  const values = service.get(key) ?? [];
  assert.is(values.length, 1, `[Service] ${key} once`);
  return values[0] as string;
};

/** ExecStart as the shell, its script (boot.sh), node, its flags, the script, the script's arguments (no quoting is used in it). */
function execStart(): { shell: string; wrapper: string; node: string; nodeFlags: string[]; script: string; args: string[] } {
  const words = one('ExecStart').split(/ +/);
  const scriptAt = words.findIndex((word) => word.endsWith('.js'));
  assert.ok(scriptAt > 2, 'the shell runs boot.sh, which runs node on a script');
  return { shell: words[0] as string, wrapper: words[1] as string, node: words[2] as string, nodeFlags: words.slice(3, scriptAt), script: words[scriptAt] as string, args: words.slice(scriptAt + 1) };
}

/** ExecStart's command line on the built files: boot.sh and boot.js from dist/, this test's node, ARGS for the script's arguments. */
function localCommand(args: readonly string[]): [string, string[]] {
  const start = execStart();
  return [start.shell, [bootWrapper, process.execPath, ...start.nodeFlags, bootBundle, ...args]];
}

test('the unit holds what the deployment section says', () => {
  assert.equal([...unit.keys()], ['Unit', 'Service', 'Install']);
  assert.is(one('Type'), 'simple');
  assert.ok(/^[a-z][a-z0-9-]*$/.test(one('User')) && one('User') !== 'root', 'a user of its own, not root');
  assert.ok(one('SupplementaryGroups').split(' ').includes('dialout'), 'the serial ports');
  assert.is(one('WorkingDirectory'), '/opt/settle-terminal');
  assert.is(one('Restart'), 'always');
  assert.match(one('RestartSec'), /^[1-9][0-9]*$/);
  assert.is(one('StateDirectory'), 'settle-terminal');
  assert.is(one('StateDirectoryMode'), '0700');
  assert.is(one('StandardError'), 'journal', 'the log to journald');
  assert.is(one('StandardOutput'), 'tty', 'the screen to the kiosk tty, never the journal');
  assert.is(one('StandardInput'), 'tty', "the patient's keys from it");
  assert.match(one('TTYPath'), /^\/dev\/tty[0-9]+$/);
  assert.is(one('KillSignal'), 'SIGTERM');
  assert.equal(unit.get('Install')?.get('WantedBy'), ['multi-user.target']);
  const start = execStart();
  assert.ok(path.isAbsolute(start.shell) && path.isAbsolute(start.node), 'the shell and node by their absolute paths');
  assert.is(start.wrapper, path.posix.join(one('WorkingDirectory'), 'boot.sh'), "the startup snapshot's wrapper (device/deploy/boot.sh) in the install directory");
  assert.is(start.script, path.posix.join(one('WorkingDirectory'), 'boot.js'), "the firmware's code-cache entry (src/boot.ts) in the install directory");
  assert.equal(start.args.slice(0, 3), ['run', '--profile', '/etc/settle-terminal/kiosk.json']);
  assert.ok(unit.get('Unit')?.get('ConditionPathExists')?.includes('/etc/settle-terminal/kiosk.json'), 'no start without the profile');
});

test("ExecStart's command line is one the firmware takes: with the example kiosk profile at its path, --check reads it and names the unit's state directory", () => {
  const start = execStart();
  const dir = mkdtempSync(path.join(tmpdir(), 'deploy-'));
  try {
    const profile = path.join(dir, 'kiosk.json');
    copyFileSync(path.join(projectRoot, 'device', 'profiles', 'kiosk.json'), profile);
    const args = start.args.map((word) => (word === '/etc/settle-terminal/kiosk.json' ? profile : word));
    const checked = spawnSync(...localCommand([...args, '--check']), { cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', STATE_DIRECTORY: dir } });
    assert.is(checked.status, 0, checked.stderr);
    assert.is(checked.stderr, '');
    const read = JSON.parse(checked.stdout) as { profile: string; state: string; ports: Record<string, { path: string } | null> };
    assert.is(read.profile, 'kiosk');
    assert.is(read.state, path.posix.join('/var/lib', one('StateDirectory')), "the profile's state is the unit's StateDirectory");
    assert.ok(Object.values(read.ports).every((port) => port === null || port.path.startsWith('/dev/')));
    assert.ok(existsSync(path.join(dir, 'terminal.js.cache')), 'boot.js left a code cache in $STATE_DIRECTORY');
    const absent = spawnSync(...localCommand(start.args), { cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH ?? '', STATE_DIRECTORY: dir } });
    assert.is(absent.status, 2);
    assert.match(absent.stderr, /^settle-terminal run: profile_unreadable: \/etc\/settle-terminal\/kiosk\.json: ENOENT/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('systemd-analyze verify (where it is installed) has nothing to say about the unit', () => {
  const found = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
  if (found.error !== undefined) return;
  const verified = spawnSync('systemd-analyze', ['verify', unitFile], { encoding: 'utf8' });
  assert.is(verified.status, 0, verified.stderr);
  assert.is(verified.stderr.trim(), '', verified.stderr);
});

test.run();
