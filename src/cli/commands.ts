// The table of CLI commands. Each command lives in its own module; adding one
// is one import and one entry here.
import type { Command } from './command';
import { catalogueCommand } from './catalogue';
import { coseCommand } from './cose';
import { emulateCommand } from './emulate';
import { frameCommand } from './frame';
import { hubCommand } from './hub';
import { probeCommand } from './probe';
import { settleCommand } from './settle';
import { versionCommand } from './version';

export const commands: readonly Command[] = [settleCommand, catalogueCommand, coseCommand, frameCommand, emulateCommand, hubCommand, probeCommand, versionCommand];
