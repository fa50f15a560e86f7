// Runs the line suite (test/suites/line.suite.ts) on the mock binding: two
// mock ports linked in this process.
import { suite } from 'uvu';
import { mockBackend } from '../../device/sim/harness';
import { lineSuite } from '../suites/line.suite';

const test = suite('line on the mock binding');
lineSuite(test, mockBackend);
test.run();
