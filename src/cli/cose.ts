// `settle-terminal cose sign|verify`: sign or verify one COSE_Sign1 (Ed25519)
// for integrators. The work is in cose-run.ts, loaded when the command runs,
// so the firmware's other commands do not pay for the codec at start-up.
import type { CliIo, Command } from './command';

export const coseCommand: Command = {
  name: 'cose',
  summary: 'sign or verify a COSE_Sign1 (Ed25519): cose sign --seed HEX64 | cose verify --pub HEX64',
  usage: [
    'settle-terminal cose sign --seed HEX64 [--aad HEX] [--crypto auto|node|tweetnacl] < payload > cose',
    '       settle-terminal cose verify --pub HEX64 [--aad HEX] [--crypto auto|node|tweetnacl] < cose > payload',
    '       verify exits 0 when the signature verifies, 1 when it does not, 2 on malformed input',
  ].join('\n'),
  async run(args: readonly string[], io: CliIo): Promise<number> {
    const { runCose } = await import('./cose-run');
    return runCose(args, io);
  },
};
