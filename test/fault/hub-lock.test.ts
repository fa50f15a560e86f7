// Proves the hub's state lock cannot be fooled by a pid (issue 12, attack 5:
// the lock was a pid in a file, so a dead hub whose pid another process
// reused, or a killed hub left a zombie by a parent that does not reap it,
// held the directory for good). The lock is now an abstract Unix socket the
// kernel closes when the process dies (device/sim/hub/lock.ts):
//   - while a hub serves, another command is refused `state_locked`;
//   - a hub SIGKILLed under a parent that does not reap it is a zombie (state
//     Z in /proc) whose pid `hub.lock` still names: the directory is free;
//   - a `hub.lock` naming a live process that is no hub (a reused pid) does
//     not hold the directory;
//   - two hubs opened at once on one directory: the second is refused, and
//     the directory is free again once the first closes.
// Replay the attack: npm test -- hub-lock
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { HubStateLocked, ReferenceHub } from '../../device/sim/hub/hub';
import { runSim, simBundle } from '../helpers/cli';
import { tempDir } from '../helpers/hub-rig';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const processState = (pid: number) => (existsSync(`/proc/${pid}/stat`) ? (readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1] ?? '').slice(0, 1) : 'gone');
const lockHolder = (dir: string) => (existsSync(path.join(dir, 'hub.lock')) ? Number(readFileSync(path.join(dir, 'hub.lock'), 'utf8').trim()) : 0);

test('a zombie hub, a reused pid and a dead holder never keep the lock; a live hub does', async () => {
  const temp = tempDir('hub-lock-');
  const state = path.join(temp.dir, 'hub');
  assert.is(runSim(['hub', 'init', '--state', state]).code, 0);
  // sh starts the hub and then blocks reading its stdin: dash reaps no child until `wait`, so a killed hub stays a zombie meanwhile.
  const quoted = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;
  const parent = spawn('sh', ['-c', `${quoted(process.execPath)} ${quoted(simBundle)} hub serve --state ${quoted(state)} --listen 127.0.0.1:0 >/dev/null 2>&1 & echo $!; read line; wait`], { stdio: ['pipe', 'pipe', 'inherit'] });
  try {
    const hubPid = await new Promise<number>((resolve) => parent.stdout.once('data', (chunk) => resolve(Number(String(chunk).trim()))));
    for (let waited = 0; lockHolder(state) !== hubPid && waited < 10_000; waited += 50) await sleep(50);
    assert.is(lockHolder(state), hubPid, 'the hub holds the lock');
    const locked = runSim(['hub', 'show', '--state', state]);
    assert.is(locked.code, 2);
    assert.match(locked.stderr, new RegExp(`hub: state_locked: .* is served by process ${hubPid}`));

    process.kill(hubPid, 'SIGKILL');
    for (let waited = 0; processState(hubPid) !== 'Z' && waited < 5_000; waited += 50) await sleep(50);
    assert.is(processState(hubPid), 'Z', 'the killed hub is a zombie');
    assert.is(lockHolder(state), hubPid, 'hub.lock still names it');
    const afterZombie = runSim(['hub', 'show', '--state', state]);
    assert.is(afterZombie.code, 0, `a zombie holds nothing: ${afterZombie.stderr}`);

    // A pid reused by a live process that is no hub.
    writeFileSync(path.join(state, 'hub.lock'), `${process.pid}\n`);
    const afterReuse = runSim(['hub', 'audit', '--state', state]);
    assert.is(afterReuse.code, 0, `a reused pid holds nothing: ${afterReuse.stderr}`);
  } finally {
    parent.stdin.end('done\n');
    await new Promise((resolve) => (parent.exitCode !== null ? resolve(null) : parent.once('exit', resolve)));
  }

  // Two at once in one process: the second is refused until the first lets go.
  const first = ReferenceHub.open({ dir: state, timeS: () => 1_773_453_600 });
  try {
    assert.throws(() => ReferenceHub.open({ dir: state, timeS: () => 1_773_453_600 }), (error: unknown) => error instanceof HubStateLocked);
    assert.throws(() => ReferenceHub.open({ dir: state, timeS: () => 1_773_453_600, readOnly: true }), (error: unknown) => error instanceof HubStateLocked);
  } finally {
    await first.close();
  }
  const second = ReferenceHub.open({ dir: state, timeS: () => 1_773_453_600, readOnly: true });
  await second.close();
  temp.remove();
});

test.run();
