// Pseudo-terminal pairs made by socat, for hardware-in-loop runs: the real
// serial binding opens one end, an emulator the other. Every socat started
// here is ended by pid: by close(), and on process exit or SIGINT/SIGTERM for
// any pair still open.
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface PtyPair {
  /** Stable symlink to the first pty (give it to one end). */
  readonly pathA: string;
  /** Stable symlink to the second pty. */
  readonly pathB: string;
  /** socat's pid, for logs. */
  readonly pid: number;
  /** Ends socat (SIGTERM, then SIGKILL) and removes the links; safe to call twice. */
  close(): Promise<void>;
}

export interface PtyPairOptions {
  /** Directory for the links; a fresh temporary one when absent. */
  readonly dir?: string;
  /** The socat executable. */
  readonly socatPath?: string;
  /** How long socat may take to create both ptys, ms. */
  readonly startTimeoutMs?: number;
}

const startTimeoutMsDefault = 5_000;
const stopTimeoutMs = 2_000;

// The registry of live socat children. It is process-wide on purpose: the
// exit hooks below must find every pair, whoever opened it.
const live = new Set<ChildProcess>();
let hooksInstalled = false;

function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', killAllLive);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      killAllLive();
      process.kill(process.pid, signal);
    });
  }
}

function killAllLive(): void {
  for (const child of live) {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // Already gone: nothing to end.
      }
    }
  }
  live.clear();
}

/** Starts `socat -d -d pty,raw,echo=0,link=A pty,raw,echo=0,link=B` and waits until both ptys exist. */
export async function openPtyPair(options: PtyPairOptions = {}): Promise<PtyPair> {
  installExitHooks();
  const ownDir = options.dir === undefined;
  const dir = options.dir ?? mkdtempSync(path.join(tmpdir(), 'pty-'));
  const pathA = path.join(dir, 'ptyA');
  const pathB = path.join(dir, 'ptyB');
  // node:child_process is loaded here, not with the simulation bundle: the
  // emulated profile's boot never starts socat and need not pay for loading it.
  const { spawn } = require('node:child_process') as typeof import('node:child_process');
  const child = spawn(
    options.socatPath ?? 'socat',
    ['-d', '-d', `pty,raw,echo=0,link=${pathA}`, `pty,raw,echo=0,link=${pathB}`],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  live.add(child);
  const removeDir = () => {
    if (ownDir) rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForTransferLoop(child, options.startTimeoutMs ?? startTimeoutMsDefault);
  } catch (error) {
    await stop(child);
    removeDir();
    throw error;
  }
  if (!existsSync(pathA) || !existsSync(pathB)) {
    await stop(child);
    removeDir();
    throw new Error(`socat started but the pty links ${pathA} and ${pathB} are missing`);
  }
  let closed: Promise<void> | undefined;
  return {
    pathA,
    pathB,
    pid: child.pid ?? -1,
    close() {
      closed ??= stop(child).then(removeDir);
      return closed;
    },
  };
}

/** socat -d -d logs "starting data transfer loop" once both ptys are open. */
function waitForTransferLoop(child: ChildProcess, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => finish(new Error(`socat did not open its ptys within ${timeoutMs} ms: ${log.trim()}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      log = (log + chunk.toString('utf8')).slice(-4_096);
      if (log.includes('starting data transfer loop')) finish();
    };
    const onExit = (code: number | null) => finish(new Error(`socat exited (${code}) before opening its ptys: ${log.trim()}`));
    const onError = (error: Error) => finish(new Error(`socat could not start: ${error.message}`));
    function finish(error?: Error) {
      clearTimeout(timer);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
      child.off('error', onError);
      // Keep draining socat's log so a chatty socat never blocks on a full pipe.
      child.stderr?.resume();
      if (error) reject(error);
      else resolve();
    }
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
    child.once('error', onError);
  });
}

function stop(child: ChildProcess): Promise<void> {
  live.delete(child);
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), stopTimeoutMs);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
