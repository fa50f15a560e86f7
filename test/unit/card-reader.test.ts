// Runs the card reader driver suite (test/suites/card-reader.suite.ts) on the
// mock binding: two mock ports linked in this process.
import { suite } from 'uvu';
import { mockBackend } from '../../device/sim/harness';
import { cardReaderSuite } from '../suites/card-reader.suite';

const test = suite('card reader driver on the mock binding');
cardReaderSuite(test, mockBackend);
test.run();
