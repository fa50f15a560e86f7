// The firmware's entry point (dist/terminal.js): the terminal and the field
// commands on the process's real I/O.
import { firmwareProgram } from './cli/cli';
import { commands } from './cli/commands';
import { runOnProcess } from './cli/process';

runOnProcess(commands, firmwareProgram);
