// The simulation bundle's entry point (dist/sim.js): `node dist/sim.js
// demo|hub|emulate|run|catalogue generate|…`. It is built from the
// firmware's sources as well as its own, so nothing is loaded at run time
// from another file; the firmware never imports anything under device/sim/.
import { runOnProcess } from '../../src/cli/process';
import { simCommands, simProgram } from './commands';

runOnProcess(simCommands, simProgram);
