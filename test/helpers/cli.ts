// Runs the built bundles as a user would: the firmware, `node dist/terminal.js ...`,
// and the simulation bundle, `node dist/sim.js ...` (runSim, startSim).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

/** The project root: the nearest folder above this (compiled) test holding package.json. */
export const projectRoot = findRoot(__dirname);

function findRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'build.mjs'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no project root above ${from}`);
  }
}
export const terminalBundle = path.join(projectRoot, 'dist', 'terminal.js');
/** The simulation bundle: the demo, the reference hub, the emulators, the emulated and hil profiles, generators. */
export const simBundle = path.join(projectRoot, 'dist', 'sim.js');

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  input?: string | Buffer;
  env?: Record<string, string>;
  timeoutMs?: number;
}

/** Runs the firmware to its end. */
export function runTerminal(args: readonly string[], options: RunOptions = {}): CliResult {
  return runBundle(terminalBundle, args, options);
}

/** Runs the simulation bundle to its end. */
export function runSim(args: readonly string[], options: RunOptions = {}): CliResult {
  return runBundle(simBundle, args, options);
}

function runBundle(bundle: string, args: readonly string[], options: RunOptions): CliResult {
  const result = spawnSync(process.execPath, [bundle, ...args], {
    cwd: projectRoot,
    input: options.input,
    env: { ...process.env, ...options.env },
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 60_000,
    maxBuffer: 256 * 1024 * 1024,
  });
  if (result.error) throw result.error;
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A bundle's process left running (a terminal, an emulator, a hub), read line by line, always ended by pid. */
export interface RunningTerminal {
  readonly pid: number;
  /** Everything it printed on stdout so far, by line. */
  readonly lines: string[];
  /** Everything it printed on stderr so far (a terminal's log, src/log.ts), by line. */
  readonly logs: string[];
  /** Resolves with the first stdout line (already printed or to come) matching `pattern`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves with the first stderr line (already printed or to come) matching `pattern`. */
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Types a line on its stdin. */
  send(line: string): void;
  /** Sends `signal` and resolves with the exit code; kills it if it lingers. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** Its exit code once it has ended by itself (null when a signal ended it), sending nothing. */
  exited(): Promise<number | null>;
  stderr(): string;
}

/** Starts the firmware. */
export function startTerminal(args: readonly string[]): RunningTerminal {
  return startBundle(terminalBundle, args);
}

/** Starts the simulation bundle. */
export function startSim(args: readonly string[]): RunningTerminal {
  return startBundle(simBundle, args);
}

function startBundle(bundle: string, args: readonly string[]): RunningTerminal {
  const child = spawn(process.execPath, [bundle, ...args], { cwd: projectRoot, stdio: ['pipe', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const logs: string[] = [];
  let stderr = '';
  const waiters = new Set<() => void>();
  /** Splits a stream into `into`'s lines as it comes, waking the waiters. */
  const byLine = (stream: NodeJS.ReadableStream, into: string[]) => {
    let partial = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop() ?? '';
      into.push(...parts);
      for (const waiter of waiters) waiter();
    });
  };
  byLine(child.stdout, lines);
  byLine(child.stderr, logs);
  child.stderr.on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const kill = () => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL');
  process.once('exit', kill);
  const waitIn = (where: string[], pattern: RegExp, timeoutMs: number) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const found = where.find((line) => pattern.test(line));
        if (found === undefined) return;
        waiters.delete(check);
        clearTimeout(timer);
        resolve(found);
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`no line matching ${pattern} in ${timeoutMs} ms; stdout:\n${lines.join('\n')}\nstderr:\n${stderr}`));
      }, timeoutMs);
      waiters.add(check);
      check();
    });
  return {
    pid: child.pid ?? -1,
    lines,
    logs,
    stderr: () => stderr,
    waitFor: (pattern, timeoutMs = 5_000) => waitIn(lines, pattern, timeoutMs),
    waitForLog: (pattern, timeoutMs = 5_000) => waitIn(logs, pattern, timeoutMs),
    send(line) {
      child.stdin.write(`${line}\n`);
    },
    exited: () => exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const force = setTimeout(kill, 3_000);
      const code = await exited;
      clearTimeout(force);
      process.off('exit', kill);
      return code;
    },
  };
}
