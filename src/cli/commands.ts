// The firmware's commands: the terminal itself (`run`) and what an installer
// or a service engineer needs on the device, all in dist/terminal.js. The
// simulation bundle (device/sim/commands.ts) offers these and its own.
import { catalogueCommand } from './catalogue';
import type { Command } from './command';
import { coseCommand } from './cose-run';
import { frameCommand } from './frame-run';
import { probeCommand } from './probe-run';
import { runCommand } from './run';
import { settleCommand } from './settle';
import { versionCommand } from './version';

export const commands: readonly Command[] = [runCommand, probeCommand, settleCommand, catalogueCommand, frameCommand, coseCommand, versionCommand];
