// The emulated site's bundle, `dist/site.js` beside the firmware: the line
// simulator and the card reader, QR scanner and printer emulators that
// `run --profile` (emulated, hil) puts at the far ends of the terminal's
// lines. It is what such a boot loads before the terminal is ready; the
// reference hub and everything else of the tools bundle (`dist/tools.js`)
// is loaded only when the terminal first dials the hub (or provisioning a
// new terminal needs it), so a boot does not wait for it.
import type * as Tools from './tools';
import { siteEnds, type SiteEnds, type SiteOptions, type SiteTerminalSpec } from './site';
import type { Port } from '../port';

/** The far ends of a terminal on the emulated or hil profile; `loadTools` is asked for the reference hub when it is first needed. */
export function simulatedEnds(options: Omit<SiteOptions, 'openHub'> & { readonly terminal: SiteTerminalSpec; openSerial(path: string, baud: number): Promise<Port>; loadTools(): typeof Tools }): Promise<SiteEnds> {
  return siteEnds({ ...options, openHub: (dir) => options.loadTools().ReferenceHub.open({ dir, timeS: options.timeS, log: options.log }) });
}
