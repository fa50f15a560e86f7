// `settle-terminal frame decode`: read a line capture, one JSON line per frame.
// A bench tool, not the kiosk's runtime: its work (frame-run.ts) ships in the
// tools bundle, loaded when the command runs.
import type { CliIo, Command } from './command';
import { loadTools } from './tools';

export const frameCommand: Command = {
  name: 'frame',
  summary: 'decode a line capture: frame decode [--pub HEX64]... [FILE]',
  usage: [
    'settle-terminal frame decode [--pub HEX64]... [--crypto auto|node|tweetnacl] [FILE]',
    '       prints one JSON line per frame (and per run of garbage) of FILE or stdin;',
    '       with --pub, exits 1 when some frame does not verify',
  ].join('\n'),
  run(args: readonly string[], io: CliIo): Promise<number> {
    return loadTools().runFrame(args, io);
  },
};
