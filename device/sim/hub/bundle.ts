// The entry of dist/sim-hub.js, the simulation's second bundle (see
// device/sim/sim-hub.ts, which loads it): the reference hub, for a site's
// far end, and the commands that need it, the demo and `hub`, run here under
// this bundle's own CLI dispatcher so their usage errors are matched by this
// bundle's classes.
import { runCli } from '../../../src/cli/cli';
import type { CliIo } from '../../../src/cli/command';
import { hubBundleCommands } from '../hub-commands';
import { simProgram } from '../usage';
import { ReferenceHub } from './hub';

export { ReferenceHub };

/** Runs `demo …` or `hub …` (argv starts with the command's name); resolves to the exit code. */
export function runHubBundleCommand(argv: readonly string[], io: CliIo): Promise<number> {
  return runCli(argv, hubBundleCommands, io, simProgram);
}
