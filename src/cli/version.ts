// `settle-terminal version`: what this firmware is, for a field engineer's log.
import { exitOk, parseCommandArgs, writeOut, type CliIo, type Command, type Syntax } from './command';

declare const __TERMINAL_VERSION__: string;

/** The version esbuild writes into the bundle; "dev" when run from source. */
export const terminalVersion: string = typeof __TERMINAL_VERSION__ === 'string' ? __TERMINAL_VERSION__ : 'dev';

const versionSyntax: Syntax = { synopsis: 'version', flags: {}, positionalsMax: 0 };

export const versionCommand: Command = {
  name: 'version',
  summary: 'print the firmware version and the Node.js it runs on',
  syntax: [versionSyntax],
  async run(args: readonly string[], io: CliIo): Promise<number> {
    parseCommandArgs(args, versionSyntax);
    await writeOut(io.stdout, `settle-terminal ${terminalVersion} (node ${process.versions.node})\n`);
    return exitOk;
  },
};
