// The simulation's commands whose work needs the reference hub, `demo` and
// `hub`: they run in dist/sim-hub.js (device/sim/hub/bundle.ts); dist/sim.js
// lists them with the same names and syntax (device/sim/commands.ts) and
// hands their arguments over.
import type { Command } from '../../src/cli/command';
import { runDemo } from './demo';
import { runHubOnProcess } from './hub/cli';
import { demoSummary, demoSyntax, hubMore, hubSummary, hubSyntax } from './usage';

export const hubBundleCommands: readonly Command[] = [
  { name: 'demo', summary: demoSummary, syntax: [demoSyntax], run: runDemo },
  { name: 'hub', summary: hubSummary, syntax: Object.values(hubSyntax), more: () => hubMore, run: runHubOnProcess },
];
