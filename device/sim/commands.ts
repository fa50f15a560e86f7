// The simulation bundle's commands (dist/sim.js, `settle-sim`): what
// simulates the far end of a wire or serves engineers off the device. `run`
// here also takes the emulated and hil profiles (their far ends are
// device/sim/site.ts's), `catalogue` also generates and diffs; the firmware's
// other commands are offered as they are, built into this bundle from the
// same source. The demo's and the hub's code (the reference hub, its seeds
// and cbor-x) is imported when they run, so esbuild leaves it unevaluated in
// a `run --profile emulated` until the terminal first dials its hub: the
// boot does not wait for it.
import type { Program } from '../../src/cli/cli';
import type { Command } from '../../src/cli/command';
import { coseCommand } from '../../src/cli/cose-run';
import { frameCommand } from '../../src/cli/frame-run';
import { probeCommand } from '../../src/cli/probe-run';
import { runCommandWith } from '../../src/cli/run';
import { settleCommand } from '../../src/cli/settle';
import { versionCommand } from '../../src/cli/version';
import { simCatalogueCommand } from './catalogue-cli';
import { emulateCommand } from './emulate';
import { simulatedEnds } from './site';
import { demoUsage, hubUsageLines } from './usage';

export const simProgram: Program = {
  name: 'settle-sim',
  about: 'The settlement terminal off the device: the demo, the reference hub, device emulators, the emulated and hil profiles, generators.',
};

const demoCommand: Command = {
  name: 'demo',
  summary: 'the kiosk demo on the emulated profile with the seed patients (npm start)',
  usage: demoUsage,
  run: async (args, io) => (await import('./demo')).runDemo(args, io),
};

const hubCommand: Command = {
  name: 'hub',
  summary: 'the reference hub: init, serve, generate, enroll, clearing, audit, show',
  usage: hubUsageLines.map((line) => `settle-sim ${line}`).join('\n       '),
  run: async (args, io) => (await import('./hub/cli')).runHubOnProcess(args, io),
};

export const simCommands: readonly Command[] = [
  runCommandWith(simulatedEnds, simProgram.name),
  demoCommand,
  hubCommand,
  emulateCommand,
  simCatalogueCommand,
  probeCommand,
  settleCommand,
  frameCommand,
  coseCommand,
  versionCommand,
];
