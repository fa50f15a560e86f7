// The table of CLI commands: the terminal's own, then the engineers' and
// integrators' tools whose work is in the tools bundle (tool-commands.ts).
import type { Command } from './command';
import { demoCommand } from './demo';
import { runCommand } from './run';
import { toolCommands } from './tool-commands';
import { versionCommand } from './version';

export const commands: readonly Command[] = [runCommand, demoCommand, ...toolCommands, versionCommand];
