// The tools bundle, `dist/tools.js` beside the firmware: emulators, the
// reference hub and generators, outside the 128 KiB budget. Commands that need
// them load it at run time through a path esbuild cannot follow.
import path from 'node:path';
import type * as Tools from '../../device/tools';
import { UsageError } from './command';

/** Loads `tools.js` from beside the running bundle; the name is computed so esbuild leaves it out. */
export function loadTools(directory: string = __dirname): typeof Tools {
  const file = path.join(directory, ['tools', 'js'].join('.'));
  try {
    return require(file) as typeof Tools;
  } catch (error) {
    throw new UsageError(`tools_missing: cannot load the tools bundle from ${file} (run 'npm run build'): ${(error as Error).message.split('\n')[0]}`);
  }
}
