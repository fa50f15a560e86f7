// dist/sim.js, what `node dist/sim.js …` runs: the simulation (dist/sim-core.js,
// device/sim/main.ts) beside it, through a V8 code cache kept beside it as
// dist/sim-core.js.cache (src/boot.ts, as dist/boot.js runs the firmware on a
// kiosk): a run does not compile again what an earlier run compiled. The
// cache is used only for the sim-core.js on disk (its SHA-256) and when its
// data is whole (their SHA-256) and V8 takes it (the same Node.js and
// flags); otherwise sim-core.js is compiled from its source and a new cache
// written at exit (or 10 s on). Where dist/ cannot be written no cache is
// kept and every run compiles, as without this file.
import { join } from 'node:path';
import { runWithCodeCache } from '../../src/boot';

runWithCodeCache(join(__dirname, 'sim-core.js'), join(__dirname, 'sim-core.js.cache'));
