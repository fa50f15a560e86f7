// The table of CLI commands. Each command lives in its own module; adding one
// is one import and one entry here.
import type { Command } from './command';
import { coseCommand } from './cose';
import { frameCommand } from './frame';
import { settleCommand } from './settle';
import { versionCommand } from './version';

export const commands: readonly Command[] = [settleCommand, coseCommand, frameCommand, versionCommand];
