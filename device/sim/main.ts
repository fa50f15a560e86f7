// The simulation bundle's entry point (dist/sim.js): `node dist/sim.js
// demo|hub|emulate|run|catalogue generate|…`. It is built from the
// firmware's sources as well as its own; the reference hub and the demo are
// its second file, dist/sim-hub.js, required by that fixed name when needed
// (device/sim/sim-hub.ts). The firmware never imports anything under device/sim/.
import { runOnProcess } from '../../src/cli/process';
import { simCommands } from './commands';
import { simProgram } from './usage';

runOnProcess(simCommands, simProgram);
