// The simulation bundle's commands (dist/sim.js, `settle-sim`): what
// simulates the far end of a wire or serves engineers off the device. `run`
// here also takes the emulated and hil profiles (their far ends are
// device/sim/site.ts's), `catalogue` also generates and diffs; the firmware's
// other commands are offered as they are, built into this bundle from the
// same source. The reference hub and the demo are in dist/sim-hub.js
// (device/sim/sim-hub.ts says why); what only some commands need here (the
// emulators, the line simulator, the generators) is imported when they run,
// so a `run --profile emulated` evaluates its far ends while it reads its
// catalogue ahead.
import type { Command, Syntax } from '../../src/cli/command';
import { coseCommand } from '../../src/cli/cose-run';
import { frameCommand } from '../../src/cli/frame-run';
import { probeCommand } from '../../src/cli/probe-run';
import { runCommandWith } from '../../src/cli/run';
import { settleCommand } from '../../src/cli/settle';
import { versionCommand } from '../../src/cli/version';
import { simCatalogueCommand } from './catalogue-cli';
import { simHub } from './sim-hub';
import { demoSummary, demoSyntax, emulateSyntax, hubMore, hubSummary, hubSyntax } from './usage';

/** A command whose work runs in dist/sim-hub.js (device/sim/hub-commands.ts). */
const inSimHub = (name: string, summary: string, syntax: readonly Syntax[], more?: () => string): Command => ({ name, summary, syntax, ...(more === undefined ? {} : { more }), run: (args, io) => simHub().runHubBundleCommand([name, ...args], io) });

const emulateCommand: Command = {
  name: 'emulate',
  summary: 'an emulated card reader, QR scanner or printer on a port',
  syntax: [emulateSyntax],
  run: async (args, io) => (await import('./emulate')).runEmulate(args, io),
};


export const simCommands: readonly Command[] = [
  // The far ends' code (emulators, line simulator, seeds) is evaluated once run has started reading its catalogue ahead.
  runCommandWith(async (profile, parts) => (await import('./run-ends')).simulatedEnds(profile, parts), 'run the terminal on the ports of a profile (emulated, hil, kiosk, handheld)'),
  inSimHub('demo', demoSummary, [demoSyntax]),
  inSimHub('hub', hubSummary, Object.values(hubSyntax), () => hubMore),
  emulateCommand,
  simCatalogueCommand,
  probeCommand,
  settleCommand,
  frameCommand,
  coseCommand,
  versionCommand,
];
