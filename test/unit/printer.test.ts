// Runs the printer suite (test/suites/printer.suite.ts) on the mock binding: two
// mock ports linked in this process.
import { suite } from 'uvu';
import { mockBackend } from '../../device/sim/harness';
import { printerSuite } from '../suites/printer.suite';

const test = suite('printer on the mock binding');
printerSuite(test, mockBackend);
test.run();
