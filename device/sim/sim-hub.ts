// The simulation's second bundle, dist/sim-hub.js (device/sim/hub/bundle.ts):
// the reference hub and the demo. dist/sim.js requires it by that fixed name,
// beside itself, only when a command needs the hub (demo, hub) or an emulated
// terminal first opens it, so a `run --profile emulated` boot neither
// compiles nor evaluates the hub's code (about 150 KB with cbor-x: 8 to 10 ms
// of a 180 ms boot here). Only a hub object (its ports, maps and byte arrays)
// and exit codes cross between the two files: each bundle matches errors by
// its own classes only (the commands of sim-hub.js run under its own CLI
// dispatcher). build.mjs leaves this require as written (`besideTheBundle`).
import type * as HubBundle from './hub/bundle';

export function simHub(): typeof HubBundle {
  return require('./sim-hub.js') as typeof HubBundle;
}
