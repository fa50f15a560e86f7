// Runs the line suite (test/suites/line.suite.ts) on the real serial binding
// over socat pty pairs (skipped without socat).
import { ptyBackend } from '../../device/sim/harness';
import { hilSuite } from '../helpers/hil';
import { lineSuite } from '../suites/line.suite';

const test = hilSuite('line over ptys');
lineSuite(test, ptyBackend);
test.run();
