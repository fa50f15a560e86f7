// The table of CLI commands. Each command lives in its own module; adding one
// is one import and one entry here.
import type { Command } from './command';
import { emulateCommand } from './emulate';
import { probeCommand } from './probe';
import { versionCommand } from './version';

export const commands: readonly Command[] = [versionCommand, emulateCommand, probeCommand];
