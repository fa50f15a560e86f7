// Proves where the real serial binding loads (src/cli/binding.ts): nothing of
// @serialport/bindings-cpp is loaded before a command asks for a port, and on
// Linux asking loads the package's Linux binding alone (its dist/linux.js and
// what that requires), never the package's index with the macOS and Windows
// bindings; the native addon (a .node file) is loaded with it, and the
// binding returned has the interface's open and list. Elsewhere it is the
// package's autoDetect() choice.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { realBinding } from '../../src/cli/binding';

const loaded = (file: string): boolean => Object.keys(require.cache).some((key) => key.includes(`${'@serialport'}/bindings-cpp/dist/${file}`));

test('nothing of the native binding is loaded until a port is asked for', () => {
  assert.not.ok(Object.keys(require.cache).some((key) => key.includes('bindings-cpp')), 'loaded before realBinding()');
});

test('asking for the binding loads the platform binding alone, with its native addon', () => {
  const binding = realBinding();
  if (process.platform === 'linux') {
    assert.ok(loaded('linux.js') && loaded('load-bindings.js'), 'the Linux binding and its addon');
    for (const other of ['index.js', 'darwin.js', 'win32.js']) assert.not.ok(loaded(other), `${other} loaded`);
  } else {
    assert.ok(loaded('index.js'));
  }
  assert.ok(Object.keys(require.cache).some((key) => key.endsWith('.node')), 'the native addon');
  assert.type(binding.open, 'function');
  assert.type(binding.list, 'function');
});

test.run();
