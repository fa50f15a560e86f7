// The state directory's lock: one process serves (or reads) a hub's state at
// a time. Node 20 has no flock, and a pid written in a file is not a lock:
// the pid of a dead hub is reused by another process, and a hub killed while
// its parent does not reap it stays a zombie that `kill(pid, 0)` calls alive.
// Either kept the old pid-file lock held for good.
//
// So the lock is something the kernel holds for the process and lets go of
// when the process dies: a listening Unix socket in Linux's abstract
// namespace, named after the state directory's device and inode. Binding it
// is atomic (a second bind fails with EADDRINUSE, so two hubs starting at
// once cannot both win), it lives exactly as long as the open descriptor,
// and an exiting process closes its descriptors before it becomes a zombie,
// so neither a zombie nor a reused pid can hold it. It is not a file, so no
// stale lock is ever left to clean up. `hub.lock` in the directory only says
// which process holds the lock, for the `state_locked` message; nothing
// trusts it. Node binds a pipe synchronously and sets `listening` before
// `listen()` returns (the error, if any, is emitted on the next tick), which
// is what lets `ReferenceHub.open` stay synchronous.
//
// Limits: abstract sockets are Linux's and belong to a network namespace; two
// hubs in different network namespaces on one shared directory would not see
// each other's lock. Elsewhere (not Linux) the lock falls back to an
// exclusively created pid file, which a reused pid can fool.
import { readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import path from 'node:path';
import { HubStateLocked } from './hub-errors';

const lockFileName = 'hub.lock';

export class StateLock {
  private released = false;

  private constructor(
    private readonly dir: string,
    private readonly server: Server | null,
  ) {}

  /** Takes the lock of `dir` (which exists) or throws HubStateLocked naming the holder. */
  static take(dir: string): StateLock {
    const file = path.join(dir, lockFileName);
    if (process.platform !== 'linux') return StateLock.takeFile(dir, file);
    const directory = statSync(dir);
    const server = createServer((socket) => socket.destroy());
    // A failed bind is also emitted as an 'error' event on the next tick: heard here, never uncaught.
    server.on('error', () => undefined);
    server.listen({ path: `\0settle-terminal-hub:${directory.dev}:${directory.ino}`, exclusive: true });
    if (!server.listening) {
      server.close();
      throw new HubStateLocked(`${dir} is served by ${holderOf(file)}`);
    }
    server.unref();
    writeFileSync(file, `${process.pid}\n`);
    return new StateLock(dir, server);
  }

  /** Not Linux: an exclusively created pid file (a stale one of a dead process is taken over). */
  private static takeFile(dir: string, file: string): StateLock {
    try {
      writeFileSync(file, `${process.pid}\n`, { flag: 'wx' });
    } catch {
      const pid = Number(readFileSync(file, 'utf8').trim());
      let alive = false;
      try {
        alive = Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid && process.kill(pid, 0);
      } catch {
        alive = false;
      }
      if (alive) throw new HubStateLocked(`${dir} is served by process ${pid}`);
      writeFileSync(file, `${process.pid}\n`);
    }
    return new StateLock(dir, null);
  }

  /** Lets go of the lock. Safe twice. */
  release(): void {
    if (this.released) return;
    this.released = true;
    const file = path.join(this.dir, lockFileName);
    try {
      if (Number(readFileSync(file, 'utf8').trim()) === process.pid) unlinkSync(file);
    } catch {
      // Informational only: a file left behind names a process that no longer holds the lock.
    }
    this.server?.close();
  }
}

function holderOf(file: string): string {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    if (Number.isSafeInteger(pid) && pid > 0) return `process ${pid}`;
  } catch {
    // The holder has not written its pid yet, or removed it.
  }
  return 'another process';
}
