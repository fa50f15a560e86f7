// The firmware's entry point: wires the process's real I/O to the CLI.
// Everything below takes its I/O, time and storage as arguments.
import { runCli } from './cli/cli';
import { commands } from './cli/commands';

// A reader that goes away (`| head`) ends the output, not the process with a trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(process.exitCode ?? 1);
  });
}

runCli(process.argv.slice(2), commands, {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
}).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`settle-terminal: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 70;
  },
);
