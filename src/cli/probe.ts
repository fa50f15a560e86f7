// `settle-terminal probe card-reader|qr-scanner|printer --port PATH …`: a field
// engineer's check of one peripheral with the drivers (README.md, Devices).
// A bench tool, not the kiosk's runtime: its work (probe-run.ts) ships in the
// tools bundle, loaded when the command runs.
import type { CliIo, Command } from './command';
import { loadTools } from './tools';

export const probeCommand: Command = {
  name: 'probe',
  summary: 'check a card reader, QR scanner or printer with the drivers (tools bundle)',
  usage:
    'settle-terminal probe card-reader|qr-scanner|printer --port PATH [--baud N]\n' +
    '  card-reader: [--pin PIN] reads the credential with the PIN, else shows presence and ATR\n' +
    '  qr-scanner:  [--wait-ms N] waits for one e-certificate token (default 10000 ms)\n' +
    '  printer:     [--test-print] prints a test receipt after the status',
  run(args: readonly string[], io: CliIo): Promise<number> {
    return loadTools().runProbe(args, io);
  },
};
