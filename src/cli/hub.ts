// `settle-terminal hub …`: the reference hub (serve, generate, enroll,
// clearing, audit, show) lives in the tools bundle, dist/tools.js, loaded at
// run time like the emulators (emulate.ts), so it costs the firmware nothing
// but this shim.
import { realBinding } from './binding';
import type { CliIo, Command } from './command';
import { loadTools } from './tools';

export const hubCommand: Command = {
  name: 'hub',
  summary: 'run the reference hub: serve, generate, enroll, clearing, audit, show',
  usage: [
    'settle-terminal hub serve --state DIR (--port PATH [--baud N] | --listen HOST:PORT) [--offline-floor FEN] [--session-hours H]',
    '       settle-terminal hub generate --state DIR --persons N --seed S [--bills-per-person K] [--terminals M] [--date YYYY-MM-DD]',
    '       settle-terminal hub enroll --state DIR --terminal ID --institution CODE --pub HEX64',
    '       settle-terminal hub clearing --state DIR --month YYYY-MM',
    '       settle-terminal hub audit --state DIR',
    '       settle-terminal hub show --state DIR [--person PSN_NO]',
  ].join('\n'),
  async run(args: readonly string[], io: CliIo): Promise<number> {
    const tools = loadTools();
    const controller = new AbortController();
    const stop = () => controller.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    try {
      return await tools.runHub(args, {
        stdout: io.stdout,
        stderr: io.stderr,
        binding: realBinding,
        signal: controller.signal,
        timeS: () => Math.floor(Date.now() / 1_000),
      });
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
  },
};
