// Runs the card reader driver suite (test/suites/card-reader.suite.ts) on the
// real serial binding over socat pty pairs (skipped without socat).
import { ptyBackend } from '../../device/sim/harness';
import { hilSuite } from '../helpers/hil';
import { cardReaderSuite } from '../suites/card-reader.suite';

const test = hilSuite('card reader driver over ptys');
cardReaderSuite(test, ptyBackend);
test.run();
