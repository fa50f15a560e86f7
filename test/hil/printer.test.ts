// Runs the printer suite (test/suites/printer.suite.ts) on the real serial binding
// over socat pty pairs (skipped without socat).
import { ptyBackend } from '../../device/sim/harness';
import { hilSuite } from '../helpers/hil';
import { printerSuite } from '../suites/printer.suite';

const test = hilSuite('printer over ptys');
printerSuite(test, ptyBackend);
test.run();
