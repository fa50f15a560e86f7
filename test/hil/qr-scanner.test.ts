// Runs the qr scanner suite (test/suites/qr-scanner.suite.ts) on the real serial binding
// over socat pty pairs (skipped without socat).
import { ptyBackend } from '../../device/sim/harness';
import { hilSuite } from '../helpers/hil';
import { qrScannerSuite } from '../suites/qr-scanner.suite';

const test = hilSuite('qr scanner over ptys');
qrScannerSuite(test, ptyBackend);
test.run();
