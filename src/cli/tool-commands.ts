// Commands for engineers and integrators, not the kiosk's runtime: their work,
// and the full usage `COMMAND --help` prints, are in the tools bundle
// (dist/tools.js, loaded when one runs, outside the firmware budget); the
// firmware keeps their names and one line each.
import type { Command } from './command';
import { loadTools } from './tools';

const tool = (name: string, summary: string): Command => ({
  name,
  summary,
  get usage() {
    try {
      return loadTools().toolUsage(name);
    } catch (error) {
      return `settle-terminal ${name} ... (${(error as Error).message})`;
    }
  },
  run: (args, io) => loadTools().runTool(name, args, io),
});

export const toolCommands: readonly Command[] = [
  tool('settle', 'settle cases of SETTLEMENT.md (a file, stdin, or --jsonl)'),
  tool('catalogue', 'inspect, look up, update, generate or diff catalogue files'),
  tool('cose', 'sign or verify a COSE_Sign1 (Ed25519)'),
  tool('frame', 'decode a line capture, one JSON line per frame'),
  tool('emulate', 'an emulated card reader, QR scanner or printer on a port'),
  tool('hub', 'the reference hub: serve, generate, enroll, clearing, audit, show'),
  tool('probe', 'check a card reader, QR scanner or printer with the drivers'),
];
