// The far ends of `run --profile` on the emulated or hil profile: what the
// simulation bundle gives the firmware's run command (src/cli/run.ts,
// SimulatedEnds). The terminal's ports (hil: the pty ends, opened with the
// firmware's own `openSerial` on the real binding), its link to the hub, the
// hub's key. The reference hub comes from dist/sim-hub.js (./sim-hub.ts),
// loaded when the site first needs it: on the emulated profile of an enrolled
// terminal that is its first dial, after the terminal is ready.
import { realBinding } from '../../src/cli/binding';
import type { RunEnds, SimulatedEnds } from '../../src/cli/run';
import { systemClock, type Port } from '../port';
import { simHub } from './sim-hub';
import { Site, type SiteTerminal } from './site';

export const simulatedEnds: SimulatedEnds = async (profile, parts) => {
  // The far ends' lines join the terminal's log, each as a field (one line whatever it holds): the reference hub's, and each line the printer emulator prints.
  const log = (line: string) => parts.log('info', 'reference hub', { line });
  const site = new Site({
    kind: profile.profile as 'emulated' | 'hil',
    dir: profile.state,
    line: profile.line,
    clock: systemClock,
    timeS: parts.timeS,
    binding: realBinding,
    log,
    openHub: (dir) => simHub().ReferenceHub.open({ dir, timeS: parts.timeS, log }),
  });
  try {
    const far = await site.terminal({ id: profile.terminal, fixmedinsCode: profile.institution, dir: profile.state, publicKey: parts.publicKey, printerLog: (line) => parts.log('info', 'printer', { line }) });
    const baud = profile.line.baud;
    const paths = far.paths;
    const ports: RunEnds['ports'] =
      paths === null ? (far.ports as NonNullable<SiteTerminal['ports']>) : { card: await parts.openSerial(paths.card, baud), scanner: await parts.openSerial(paths.scanner, baud), printer: await parts.openSerial(paths.printer, baud) };
    const connect = paths === null ? (far.connect as () => Promise<Port>) : () => parts.openSerial(paths.hub, baud);
    return { ports, connect, hubPublicKey: far.hubPublicKey, command: far.command, close: () => site.close() };
  } catch (error) {
    await site.close();
    throw error;
  }
};
