// `settle-terminal frame decode`: read a line capture, one JSON line per frame.
// The work is in frame-run.ts, loaded when the command runs.
import type { CliIo, Command } from './command';

export const frameCommand: Command = {
  name: 'frame',
  summary: 'decode a line capture: frame decode [--pub HEX64]... [FILE]',
  usage: [
    'settle-terminal frame decode [--pub HEX64]... [--crypto auto|node|tweetnacl] [FILE]',
    '       prints one JSON line per frame (and per run of garbage) of FILE or stdin;',
    '       with --pub, exits 1 when some frame does not verify',
  ].join('\n'),
  async run(args: readonly string[], io: CliIo): Promise<number> {
    const { runFrame } = await import('./frame-run');
    return runFrame(args, io);
  },
};
