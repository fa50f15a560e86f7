// Runs the qr scanner suite (test/suites/qr-scanner.suite.ts) on the mock binding: two
// mock ports linked in this process.
import { suite } from 'uvu';
import { mockBackend } from '../../device/sim/harness';
import { qrScannerSuite } from '../suites/qr-scanner.suite';

const test = suite('qr scanner on the mock binding');
qrScannerSuite(test, mockBackend);
test.run();
