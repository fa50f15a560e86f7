// Runs the hub line suite (test/suites/hub-line.suite.ts) on the mock
// binding: port adapters linked in this process, the line simulator between.
import { suite } from 'uvu';
import { mockBackend } from '../../device/sim/harness';
import { hubLineSuite } from '../suites/hub-line.suite';

const test = suite('hub over the mock binding');
hubLineSuite(test, mockBackend);
test.run();
