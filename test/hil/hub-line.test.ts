// Runs the hub line suite (test/suites/hub-line.suite.ts) on the real serial
// binding over socat pty pairs (skipped without socat).
import { ptyBackend } from '../../device/sim/harness';
import { hilSuite } from '../helpers/hil';
import { hubLineSuite } from '../suites/hub-line.suite';

const test = hilSuite('hub over ptys');
hubLineSuite(test, ptyBackend);
test.run();
