// Proves `settle-sim demo --ui` (`npm start -- --ui`) really serves the
// kiosk's page and that the page's touches drive the demo: the built
// `node dist/sim.js demo --ui` is started, its stdout is read for the
// address (the only line it ever writes there), the page and its script
// and style are fetched from it, the event stream is read, and Mr. Zhang at
// BJ-K01 is walked through by the touches the page sends (his PIN, OK page
// by page, confirm, OK on the settled screen; its cash is his to the fen,
// 6,773.39), then the unfiled patient is offered a temporary filing (issue
// 16: its cut on the model, not zero, the settlement core's difference
// against a long-term filing, and the amounts), keys his phone and files by
// touches, and settles as the core settles him with that filing; the run
// ends by itself with the day reconciled (exit 0), every
// stderr line is a log entry with its time and level, and the PIN is in
// neither stream. The flags of --ui are checked too.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import path from 'node:path';
import { defaultPin } from '../../device/sim/card-reader-emulator';
import type { ScreenModel } from '../../src/session/screens';
import { projectRoot, runSim, simBundle } from '../helpers/cli';
import { liFiled } from '../helpers/filing-cut';
import { recordScreens } from '../helpers/screen-events';

/** How long one step may take (the demo boots four terminals before its first screen). */
const stepMs = 60_000;

interface Reply {
  readonly status: number;
  readonly type: string;
  readonly body: string;
}

function call(address: string, method: string, url: string, headers: Record<string, string> = {}, body = ''): Promise<Reply> {
  const { hostname, port, host } = new URL(address);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, method, path: url, headers: { host, ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function until(done: () => boolean, what: () => string): Promise<void> {
  const end = Date.now() + stepMs;
  while (!done()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

test('the flags of --ui: --ui-port only with --ui and in range, --json not with it', () => {
  for (const [args, expected] of [
    [['--ui-port', '8080'], /bad_flag: --ui-port goes with --ui/],
    [['--ui', '--ui-port', '65536'], /invalid_ui_port: --ui-port must be a whole number from 0 to 65535/],
    [['--ui', '--ui-port', 'x'], /invalid_ui_port/],
    [['--ui', '--json'], /bad_flag: --json does not go with --ui/],
  ] as const) {
    const result = runSim(['demo', ...args]);
    assert.is(result.code, 2, args.join(' '));
    assert.is(result.stdout, '');
    assert.match(result.stderr, expected);
  }
});

test('demo --ui: the address alone on stdout, the page served, Mr. Zhang settled by touches to the fen, the log on stderr', async () => {
  const child = spawn(process.execPath, [simBundle, 'demo', '--ui'], { stdio: 'pipe' });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let events: ReturnType<typeof request> | null = null;
  try {
    await until(() => out.includes('\n'), () => `the address on stdout (stderr: ${err})`);
    const address = out.trimEnd();
    assert.match(address, /^http:\/\/127\.0\.0\.1:[0-9]{1,5}\/$/);

    // The page, its script and its style, as a browser fetches them; another Host is refused.
    const page = await call(address, 'GET', '/');
    assert.is(page.status, 200);
    assert.match(page.type, /^text\/html/);
    assert.ok(page.body.includes('<script src="/kiosk-page.js">') && page.body.includes('href="/kiosk-page.css"'), page.body);
    for (const [asset, type] of [['kiosk-page.js', /^text\/javascript/], ['kiosk-page.css', /^text\/css/]] as const) {
      const got = await call(address, 'GET', `/${asset}`);
      assert.is(got.status, 200, asset);
      assert.match(got.type, type);
      assert.is(got.body, readFileSync(path.join(projectRoot, 'dist', asset), 'utf8'), asset);
    }
    assert.is((await call(address, 'GET', '/', { host: 'evil.example:80' })).status, 403);

    // The event stream: every model the session shows.
    const models: ScreenModel[] = [];
    const { hostname, port } = new URL(address);
    events = recordScreens(hostname, port, models, (res) => assert.match(String(res.headers['content-type']), /^text\/event-stream/));
    const last = () => models.at(-1);
    const shown = (state: string) => until(() => last()?.state === state, () => `the ${state} screen (last ${JSON.stringify(last())})`);
    const touch = async (body: object) => {
      const reply = await call(address, 'POST', '/touch', { origin: address.slice(0, -1), 'content-type': 'application/json' }, JSON.stringify(body));
      assert.is(reply.status, 204, reply.body);
    };
    // The bill's pages by OK, up to and past the one with the totals.
    const pageThroughReview = async () => {
      await shown('review');
      for (;;) {
        const review = last() as Extract<ScreenModel, { state: 'review' }>;
        const count = models.length;
        await touch({ key: 'ok' });
        if (review.totals !== null) break;
        await until(() => models.length > count && last()?.state === 'review', () => 'the next page');
      }
    };

    // Mr. Zhang: his card is in; the page takes his PIN, turns the bill's pages, confirms, and leaves the settled screen.
    await shown('pin');
    await touch({ pin: defaultPin });
    await pageThroughReview();
    await shown('confirm');
    await touch({ key: 'ok' });
    await shown('done');
    const done = last() as Extract<ScreenModel, { state: 'done' }>;
    assert.is(done.cash, 677_339, 'the cash on the settled screen, fen');
    assert.ok(done.receipt !== null, 'the receipt as it prints');
    await touch({ key: 'ok' });
    // The kiosk's other patient: the unfiled one, offered a temporary filing; the page sends his phone, then OK, and he settles.
    await shown('filing');
    const offer = last() as Extract<ScreenModel, { state: 'filing' }>;
    assert.equal([offer.code, offer.cutBp, offer.filing.begndate, offer.filing.enddate, offer.tel], ['filing_required', 1_500, '2026-03-20', '2026-09-15', '']);
    // What he is told before he files: the cut in fen, not zero, the core's difference against a long-term filing, and the amounts.
    const core = liFiled(offer.filing);
    assert.ok(core.cutFen > 0, 'his bill is over the deductible');
    assert.equal([offer.cut, offer.total, offer.funds, offer.yours], [core.cutFen, core.temporary.setlinfo.medfee_sumamt, core.temporary.setlinfo.fund_pay_sumamt, core.temporary.setlinfo.psn_cash_pay]);
    await touch({ pin: '13900000000' });
    await until(() => last()?.state === 'filing' && (last() as typeof offer).tel === '13900000000', () => 'the phone on the offer');
    await touch({ key: 'ok' });
    await pageThroughReview();
    await shown('confirm');
    await touch({ key: 'ok' });
    await shown('done');
    assert.is((last() as Extract<ScreenModel, { state: 'done' }>).cash, core.temporary.setlinfo.psn_cash_pay, 'Mr. Li settled as the core settles him with the filing, fen');
    await touch({ key: 'ok' });

    assert.is(await exited, 0, err);
    assert.is(out, `${address}\n`, 'stdout carries the address and nothing else');
    const lines = err.trimEnd().split('\n');
    for (const line of lines) assert.match(line, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (info|warn|error) \S/, line);
    assert.ok(lines.some((line) => / info ui address=http:\/\/127\.0\.0\.1:[0-9]+\/ terminal=BJ-K01 patients=2$/.test(line)), 'the address logged');
    assert.ok(lines.some((line) => / info touch terminal=BJ-K01 key=pin$/.test(line)), 'the PIN touch logged without its digits');
    assert.ok(lines.some((line) => / info touch terminal=BJ-K01 key=tel$/.test(line)), 'the phone touch logged without its digits');
    assert.ok(lines.some((line) => / info BJ-K01 2026-06-30: agrees: 2 settlements/.test(line)), 'the day reconciled');
    assert.not.match(err, new RegExp(`(^|[^0-9])${defaultPin}([^0-9]|$)`), 'the PIN never logged');
  } finally {
    events?.destroy();
    if (child.exitCode === null) child.kill('SIGKILL');
    await exited;
  }
});

test.run();
