// The real serial binding (@serialport/bindings-cpp, a native addon loaded
// from node_modules), required only when a command opens a port: the commands
// that never touch a port neither pay for loading it nor depend on it.
import type { BindingInterface } from '@serialport/bindings-cpp';

export function realBinding(): BindingInterface {
  const native = require('@serialport/bindings-cpp') as typeof import('@serialport/bindings-cpp');
  return native.autoDetect() as BindingInterface;
}
