// The simulation's program name, and the summary and usage of its commands
// whose code is loaded only when they run (device/sim/commands.ts): `--help`
// and the commands' own messages read them here, so listing them loads
// nothing else.
import type { Program } from '../../src/cli/cli';

export const simProgram: Program = {
  name: 'settle-sim',
  about: 'The settlement terminal off the device: the demo, the reference hub, device emulators, the emulated and hil profiles, generators.',
};

export const emulateUsage = 'settle-sim emulate card-reader|qr-scanner|printer --port PATH [--cards FILE] [--baud N]';

export const demoSummary = 'the kiosk demo on the emulated profile with the seed patients (npm start)';
export const demoUsage = 'settle-sim demo [--seed N] [--baud N] [--loss P] [--patients N] [--state DIR] [--json]';

export const hubUsageLines: readonly string[] = [
  'hub init --state DIR',
  'hub serve --state DIR (--port PATH [--baud N] | --listen HOST:PORT) [--offline-floor FEN] [--session-hours H] [--connections-max N] [--connections-per-address N] [--sign-in-seconds S]',
  'hub generate --state DIR --persons N --seed S [--bills-per-person K] [--terminals M] [--date YYYY-MM-DD]',
  'hub enroll --state DIR --terminal ID --institution CODE --pub HEX64 [--role kiosk|counter]',
  'hub clearing --state DIR --month YYYY-MM',
  'hub audit --state DIR',
  'hub show --state DIR [--person PSN_NO]',
];

export const hubSummary = 'the reference hub: init, serve, generate, enroll, clearing, audit, show';
export const hubUsage = hubUsageLines.map((line) => `settle-sim ${line}`).join('\n       ');
