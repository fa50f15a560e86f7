// `settle-terminal demo` (`npm start`): the kiosk on the emulated profile
// against the reference hub, playing the seed patients (README.md). The
// patients, the emulators and the hub are in the tools bundle; the terminal
// they meet is this firmware's own: its boot, session, drivers, display and
// keypad are handed over here.
import { TextDisplay } from '../../device/display';
import { KeyQueue } from '../../device/keypad';
import { layouts } from '../session/screens';
import { bootTerminal } from '../terminal';
import type { CliIo, Command } from './command';
import { loadTools } from './tools';

export const demoCommand: Command = {
  name: 'demo',
  summary: 'the kiosk demo on the emulated profile with the seed patients (npm start)',
  usage: 'settle-terminal demo [--seed N] [--baud N] [--loss P] [--patients N] [--state DIR] [--json]',
  run(args: readonly string[], io: CliIo): Promise<number> {
    return loadTools().runDemo(args, io, { bootTerminal, layouts, TextDisplay, KeyQueue });
  },
};
