// The browser tier's Chromium (issue 15): the distribution's package at
// /usr/bin/chromium, driven by playwright-core with its executablePath, with
// the flags of a locked-down headless kiosk and a fresh profile directory.
// `.ci/run` installs it; test/run.mjs fails the tier without it when CI=true
// and otherwise counts its tests skipped, as the hil tier does for socat.
import { mkdtempSync, rmSync } from 'node:fs';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { suite, type Test } from 'uvu';

/** Debian's Chromium (apt-get install chromium). */
export const chromiumPath = '/usr/bin/chromium';

const flags = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Whether the tier can run: the runner tells us, or we look for the binary when a file runs alone. */
export function chromiumAvailable(): boolean {
  return process.env.BROWSER_CHROMIUM !== 'absent' && existsSync(chromiumPath);
}

/** A suite whose every test is registered as skipped when Chromium is missing. */
export function browserSuite(name: string): Test {
  const real = suite(name);
  if (chromiumAvailable()) return real;
  return Object.assign(((testName: string, handler: Parameters<Test>[1]) => real.skip(testName, handler)) as Test, real);
}

/** Chromium with a fresh --user-data-dir; `close` ends it and removes the directory. */
export async function launchChromium(): Promise<{ readonly context: BrowserContext; close(): Promise<void> }> {
  const userDataDir = mkdtempSync(path.join(tmpdir(), 'kiosk-chromium-'));
  // launchPersistentContext passes --user-data-dir itself: the fresh directory above.
  const context = await chromium.launchPersistentContext(userDataDir, { executablePath: chromiumPath, headless: true, args: flags });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}
