// `settle-sim hub national-sim --state DIR --listen HOST:PORT --config FILE`:
// the national platform simulator over the hub state in DIR, on loopback
// only (it is a test double of the platform, never a service), with the
// platform's key, the institution's public key and the application
// credentials from FILE (gateway/config.ts). Runs until the signal aborts.
import { randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { configBytesMax, parseNationalSimConfig } from '../../../gateway/config';
import { sm2PublicKeyOf } from '../../../gateway/sm';
import type { ReferenceHub } from '../hub/hub';
import { NationalSimulator, serveNationalSim } from './simulator';

/** A bad flag of `hub national-sim`: its code and message (exit 2). */
export class NationalSimUsage extends Error {
  override readonly name = 'NationalSimUsage';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const loopbackHosts = new Set(['127.0.0.1', 'localhost', '::1']);

/** Reads a small text file (a configuration), refusing one over `configBytesMax`. */
export function readConfigFile(file: string): string {
  let size: number;
  try {
    size = statSync(file).size;
  } catch (error) {
    throw new NationalSimUsage('config_unreadable', (error as Error).message);
  }
  if (size > configBytesMax) throw new NationalSimUsage('config_invalid', `${file} is over ${configBytesMax} bytes`);
  return readFileSync(file, 'utf8');
}

export async function nationalSimCommand(
  hub: ReferenceHub,
  values: { listen?: string; config?: string },
  io: { signal: AbortSignal; timeS(): number },
  say: (line: string) => void,
): Promise<number> {
  try {
    const match = /^(127\.0\.0\.1|localhost|\[::1\]):([0-9]{1,5})$/.exec(values.listen ?? '');
    if (match === null || Number(match[2]) > 65_535 || !loopbackHosts.has((match[1] as string).replace(/^\[|\]$/g, ''))) {
      throw new NationalSimUsage('usage', `--listen must be a loopback HOST:PORT (127.0.0.1, localhost, [::1]), got '${values.listen ?? ''}'`);
    }
    if (values.config === undefined) throw new NationalSimUsage('usage', '--config is required');
    const config = parseNationalSimConfig(readConfigFile(values.config));
    const nowMs = () => io.timeS() * 1_000 + (Date.now() % 1_000);
    const sim = new NationalSimulator({ hub, ...config, nowMs, randomBytes: (length) => new Uint8Array(randomBytes(length)) });
    const served = await serveNationalSim(sim, (match[1] as string).replace(/^\[|\]$/g, ''), Number(match[2]));
    say(`national-sim: listening on ${served.url}; platform key ${sm2PublicKeyOf(config.platformKey)}`);
    await new Promise<void>((resolve) => (io.signal.aborted ? resolve() : io.signal.addEventListener('abort', () => resolve(), { once: true })));
    await served.close();
    say(`national-sim: stopped; ${JSON.stringify(sim.stats)}`);
    return 0;
  } finally {
    await hub.close();
  }
}
