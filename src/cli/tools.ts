// The bundles beside the firmware, outside the 128 KiB budget: `dist/tools.js`
// (emulators, the reference hub, generators) and `dist/site.js` (the emulated
// site's far ends, what `run --profile emulated|hil` needs before it is
// ready). Commands that need them load them at run time through a path
// esbuild cannot follow.
import { join } from 'node:path';
import type * as Site from '../../device/sim/site-bundle';
import type * as Tools from '../../device/sim/tools';
import { UsageError } from './command';

/** Loads a bundle (`NAME.js`) from beside the running one; the name is computed so esbuild leaves it out. */
function loadBundle<T>(name: 'tools' | 'site', directory: string): T {
  const file = join(directory, [name, 'js'].join('.'));
  try {
    return require(file) as T;
  } catch (error) {
    throw new UsageError(`tools_missing: cannot load the ${name} bundle from ${file} (run 'npm run build'): ${(error as Error).message.split('\n')[0]}`);
  }
}

/** The tools bundle, `tools.js`: emulators, the reference hub, generators, the engineers' commands. */
export function loadTools(directory: string = __dirname): typeof Tools {
  return loadBundle('tools', directory);
}

/** The site bundle, `site.js`: the emulated and hil profiles' far ends, without the reference hub (it comes from tools.js when first dialled). */
export function loadSite(directory: string = __dirname): typeof Site {
  return loadBundle('site', directory);
}
