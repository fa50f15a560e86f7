// `settle-terminal cose sign|verify`: sign or verify one COSE_Sign1 (Ed25519)
// for integrators. A bench tool, not the kiosk's runtime: its work
// (cose-run.ts) ships in the tools bundle, loaded when the command runs.
import type { CliIo, Command } from './command';
import { loadTools } from './tools';

export const coseCommand: Command = {
  name: 'cose',
  summary: 'sign or verify a COSE_Sign1 (Ed25519): cose sign --seed HEX64 | cose verify --pub HEX64',
  usage: [
    'settle-terminal cose sign --seed HEX64 [--aad HEX] [--crypto auto|node|tweetnacl] < payload > cose',
    '       settle-terminal cose verify --pub HEX64 [--aad HEX] [--crypto auto|node|tweetnacl] < cose > payload',
    '       verify exits 0 when the signature verifies, 1 when it does not, 2 on malformed input',
  ].join('\n'),
  run(args: readonly string[], io: CliIo): Promise<number> {
    return loadTools().runCose(args, io);
  },
};
