// Proves every deadline of the firmware is kept on the clock it is given
// (issue 19): outside the four places that are the wiring's or a wall-clock
// matter, no firmware source (src/ but the kiosk UI, protocol/, device/ but
// device/sim/) calls the process's timers or reads its clocks directly, so
// an emulated run on the simulation's virtual clock (device/sim/virtual-clock.ts)
// times every request, retry, driver timeout and session wait in virtual
// time. The four: device/port.ts defines `systemClock`, the process's clock
// the wiring passes in; src/cli/run.ts stamps log lines and the hub's
// wall-clock seconds for a real device; src/catalogue/lock.ts waits in wall
// time for another process holding a store's lock; src/boot.ts (dist/boot.js,
// outside the firmware, before it runs) writes its code cache 10 s of wall
// time after the process starts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../helpers/cli';

function sources(dir: string): string[] {
  const full = path.join(projectRoot, dir);
  return readdirSync(full).flatMap((name) => {
    const child = path.join(dir, name);
    if (statSync(path.join(projectRoot, child)).isDirectory()) return child === path.join('device', 'sim') || child === path.join('src', 'ui') ? [] : sources(child);
    return name.endsWith('.ts') ? [child] : [];
  });
}

/** The process's own timers and clocks, called directly (a method of an injected clock, `x.setTimeout(`, or a method's declaration, `setTimeout(callback: …)`, is not one). */
const direct = /(?<![.\w#])(?:setTimeout|setInterval|setImmediate)\s*\((?!\s*\w+\s*:)|\bDate\.now\s*\(|\bperformance\.now\s*\(|\bnew Date\(\s*\)|\bAbortSignal\.timeout\s*\(|\bprocess\.hrtime\b/g;

const allowed: Record<string, number> = {
  [path.join('device', 'port.ts')]: 2,
  [path.join('src', 'cli', 'run.ts')]: 2,
  [path.join('src', 'catalogue', 'lock.ts')]: 2,
  [path.join('src', 'boot.ts')]: 1,
};

/** The source without its comments (a comment may name a timer). */
const code = (text: string) => text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');

test('the firmware reads no clock and sets no timer but through the clock it is given', () => {
  const files = ['src', 'protocol', 'device'].flatMap(sources);
  assert.ok(files.length > 50 && files.includes(path.join('src', 'hub', 'client.ts')) && files.includes(path.join('device', 'card-reader.ts')), 'the firmware was walked');
  const found: string[] = [];
  for (const file of files) {
    const hits = [...code(readFileSync(path.join(projectRoot, file), 'utf8')).matchAll(direct)].map((match) => match[0]);
    if (hits.length !== (allowed[file] ?? 0)) found.push(`${file}: ${hits.join(', ') || 'none'} (allowed ${allowed[file] ?? 0})`);
  }
  assert.equal(found, []);
});

test('the check sees a direct timer or clock where one is written', () => {
  for (const line of ['setTimeout(resolve, 10);', 'const t = Date.now();', 'x = performance.now()', 'AbortSignal.timeout(5)', 'await new Promise((r) => setImmediate(r))']) assert.ok([...code(line).matchAll(direct)].length === 1, line);
  for (const line of ['this.#timers.setTimeout(resolve, 10);', 'clock.nowMs()', '// setTimeout(x, 1)', 'new Date(ms)', '  setTimeout(callback: () => void, delayMs: number): unknown;']) assert.ok([...code(line).matchAll(direct)].length === 0, line);
});

test.run();
