// The real serial binding (@serialport/bindings-cpp, a native addon loaded
// from node_modules), required only when a command opens a port: the commands
// that never touch a port neither pay for loading it nor depend on it. On
// Linux (every kiosk and handheld) only the package's Linux binding is
// required: its index would also evaluate the macOS and Windows bindings
// before choosing (about 7 ms of 50 at the first open: median of 10 fresh
// processes each, 42.5 against 49.5 ms).
import type { BindingInterface } from '@serialport/bindings-cpp';

export function realBinding(): BindingInterface {
  if (process.platform === 'linux') {
    return (require('@serialport/bindings-cpp/dist/linux') as typeof import('@serialport/bindings-cpp/dist/linux')).LinuxBinding as BindingInterface;
  }
  const native = require('@serialport/bindings-cpp') as typeof import('@serialport/bindings-cpp');
  return native.autoDetect() as BindingInterface;
}
