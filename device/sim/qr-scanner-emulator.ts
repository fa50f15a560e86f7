// An emulated QR scanner: types what it "reads" onto a port as an ASCII line
// and a terminator, as a serial scanner does; it can also type noise and
// half lines for error-path tests. Like a real scanner it takes whatever the
// host sends it (configuration bytes, noise) off the line once started, so a
// host's write never blocks on it. Ships in the simulation bundle.
import assert from 'node:assert';
import { PortError, type Port } from '../port';
import type { Random } from './prng';
import { ecertTokenPrefix } from '../qr-scanner';
import { ecertCheck } from '../../protocol/messages';

export type Terminator = 'cr' | 'lf' | 'crlf';
const terminators: Record<Terminator, string> = { cr: '\r', lf: '\n', crlf: '\r\n' };
const base64url = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** A well-formed e-certificate token with `bodyLength` base64url characters: random ones, then the 8 of its check (protocol/messages.ts `ecertCheck`). */
export function sampleToken(random: Random, bodyLength = 32): string {
  assert(Number.isInteger(bodyLength) && bodyLength >= 16 && bodyLength <= 400, 'token body is 16 to 400 characters');
  let body = '';
  for (let i = 0; i < bodyLength - 8; i += 1) body += base64url[random.below(64)];
  return ecertTokenPrefix + body + ecertCheck(ecertTokenPrefix + body);
}

export interface QrScannerEmulatorOptions {
  readonly terminator?: Terminator;
  readonly log?: (line: string) => void;
}

export class QrScannerEmulator {
  /** Bytes the host wrote to the scanner, read and dropped (`start`). */
  readonly stats = { drained: 0 };
  private readonly terminator: string;
  private readonly log: (line: string) => void;
  private running: Promise<void> | null = null;

  constructor(
    private readonly port: Port,
    options: QrScannerEmulatorOptions = {},
  ) {
    this.terminator = terminators[options.terminator ?? 'cr'];
    assert(this.terminator !== undefined, 'terminator is cr, lf or crlf');
    this.log = options.log ?? (() => {});
  }

  /** Reads the host's bytes off the line until the port closes, as a scanner does (they are dropped, counted). */
  start(): void {
    assert(this.running === null, 'an emulator starts once');
    this.running = (async () => {
      const into = new Uint8Array(4_096);
      for (;;) {
        try {
          this.stats.drained += await this.port.read(into);
        } catch (error) {
          if (error instanceof PortError) return;
          throw error;
        }
      }
    })();
  }

  /** Types a scanned code and the terminator. */
  async scan(code: string): Promise<void> {
    assert(/^[\x20-\x7e]*$/.test(code), 'a scanner types printable ASCII');
    this.log(`scanned: ${code}`);
    await this.port.write(Buffer.from(code + this.terminator, 'latin1'));
  }

  /** Types raw bytes, terminator or not: noise, half lines. */
  async typeRaw(bytes: Uint8Array): Promise<void> {
    await this.port.write(bytes);
  }

  async close(): Promise<void> {
    await this.port.close();
    await this.running;
  }
}
