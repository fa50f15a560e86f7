// The lock of a stored file: one applier at a time (the terminal's own sync,
// an engineer's `catalogue apply`, the hub's provisioning), so that no update
// is lost and no applier reads a file another is replacing.
//
// Node.js 20 has no flock(2) and a native module for it would be the
// firmware's only one besides the serial binding, so the lock is made of
// files, each named by the process that made it. An owner is
// `BOOT.PID.START.N`: the kernel's boot id, the process id, the process's
// start time in clock ticks (/proc/PID/stat, field 22) and a counter of the
// process's own locks. Taking the lock:
//   1. create `NAME.lock.OWNER` (exclusive create: it is ours alone);
//   2. list every `NAME.lock.*`; delete each one whose owner is dead
//      (another boot, no such process, a process started at another time
//      (the pid was reused), a zombie, or this process when it no longer
//      holds that lock); the name says exactly whose it is, so a live
//      owner's file is never deleted by mistake;
//   3. if ours is the only one left, the lock is ours; otherwise delete ours,
//      wait a moment that differs between processes, and try again, until
//      the deadline (`update_busy`).
// Why it excludes: if two processes both held it, the one that listed second
// listed while the first one's file existed (the first made it before
// listing and deletes it only when done), so it would have seen it and given
// way. A crashed applier never blocks for long: its file names a dead
// process and the next applier deletes it. The staging files of an update
// carry the same owner (files.ts), so what a dead applier left is cleared
// exactly, and never what a live one is writing.
import { closeSync, existsSync, openSync, readdirSync, readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { UpdateError } from './update';

/** How long an applier waits for another to finish, ms (a snapshot of 1,000,000 items takes seconds). */
export const storeLockWaitMsMax = 30_000;
const retryMsMax = 25;

/** The locks this process holds now, by owner (a lock of ours not in here is a leftover of an exception). */
const heldHere = new Set<string>();
let taken = 0;

function readText(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/** The fields after the command name in /proc/PID/stat (field 3 onwards), or null. */
function procStat(pid: number): string[] | null {
  const text = readText(`/proc/${pid}/stat`);
  if (text === null) return null;
  return text.slice(text.lastIndexOf(')') + 2).split(' ');
}

/** The kernel's boot id and this process's start time in clock ticks ("0" where /proc is not mounted); read once, when first needed. */
let self: { readonly boot: string; readonly start: string } | null = null;

function whoAmI(): { readonly boot: string; readonly start: string } {
  self ??= {
    boot: (readText('/proc/sys/kernel/random/boot_id') ?? '').trim().replaceAll('-', '').slice(0, 32) || 'noboot',
    start: procStat(process.pid)?.[19] ?? '0',
  };
  return self;
}

function ownerPrefix(): string {
  return `${whoAmI().boot}.${process.pid}.${whoAmI().start}.`;
}

/** Whether the process that made an owner name is alive and still holds it. */
export function ownerAlive(owner: string): boolean {
  const [boot, pidText, start, counter] = owner.split('.');
  const { boot: bootId, start: ownStart } = whoAmI();
  if (boot !== bootId || pidText === undefined || start === undefined || counter === undefined || !/^[0-9]{1,10}$/.test(pidText)) return false;
  const pid = Number(pidText);
  if (pid === process.pid && start === ownStart) return heldHere.has(owner);
  const stat = procStat(pid);
  if (stat === null) {
    if (existsSync('/proc/self/stat')) return false;
    // No /proc (not Linux): whether the pid exists at all; a reused pid is then taken for the owner.
    try {
      process.kill(pid, 0);
      return true;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'EPERM';
    }
  }
  // Z: exited, not yet reaped; X: dead. Either holds nothing.
  return stat[19] === start && stat[0] !== 'Z' && stat[0] !== 'X';
}

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export interface StoreLock {
  /** The owner name, which the update's staging files carry too. */
  readonly owner: string;
  release(): void;
}

/**
 * Takes the lock of `name` in `dir`, waiting up to `waitMs` for another
 * applier; `update_busy` when it cannot. Synchronous, like the update it
 * guards.
 */
export function lockStore(dir: string, name: string, waitMs = storeLockWaitMsMax): StoreLock {
  taken += 1;
  const owner = `${ownerPrefix()}${taken}`;
  const prefix = `${name}.lock.`;
  const mine = join(dir, `${prefix}${owner}`);
  const deadline = Date.now() + waitMs;
  heldHere.add(owner);
  for (let attempt = 0; ; attempt += 1) {
    closeSync(openSync(mine, 'wx', 0o644));
    let others = 0;
    for (const entry of readdirSync(dir)) {
      if (!entry.startsWith(prefix) || entry === `${prefix}${owner}`) continue;
      if (ownerAlive(entry.slice(prefix.length))) others += 1;
      else unlinkQuietly(join(dir, entry));
    }
    if (others === 0) {
      return {
        owner,
        release() {
          heldHere.delete(owner);
          unlinkQuietly(mine);
        },
      };
    }
    unlinkSync(mine);
    if (Date.now() >= deadline) {
      heldHere.delete(owner);
      throw new UpdateError('update_busy', `another process is updating ${join(dir, name)}`);
    }
    // A pause that differs between processes and grows, so two appliers do not keep giving way to each other.
    sleepMs(1 + ((process.pid * 7 + attempt * 13) % Math.min(retryMsMax, 2 + attempt * 3)));
  }
}

function unlinkQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
