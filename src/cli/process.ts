// Runs a bundle's CLI on the process's real I/O (the firmware's entry,
// src/main.ts, and the simulation bundle's, device/sim/main.ts). Everything
// below takes its I/O, time and storage as arguments.
import { runCli, type Program } from './cli';
import type { Command } from './command';

export function runOnProcess(commands: readonly Command[], program: Program): void {
  // A reader that goes away (`| head`) ends the output, not the process with a trace.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
      process.exit(process.exitCode ?? 1);
    });
  }
  runCli(process.argv.slice(2), commands, { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env }, program).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`${program.name}: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 70;
    },
  );
}
