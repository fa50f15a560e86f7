// Proves the kiosk's UI server (src/ui/server.ts) lets only its own page in,
// and that a PIN goes to the keypad and nowhere else: it binds 127.0.0.1
// only (a machine's other addresses are refused); a wrong Host, a foreign
// Origin or Sec-Fetch-Site, and a touch without an Origin get 403 with a
// stable code; bad touches (not JSON, an unknown key, extra fields, a body
// over the limit, another content type) are refused and push nothing; a PIN
// is taken only while the PIN screen shows, reaches the real keypad queue
// whole and never the log; every model shown reaches the page over SSE,
// and no path reaches the hub or the journal.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { request } from 'node:http';
import { networkInterfaces } from 'node:os';
import path from 'node:path';
import { KeyQueue } from '../../device/keypad';
import type { LogFields } from '../../src/log';
import type { ScreenModel } from '../../src/session/screens';
import { startKioskUi, touchBodyMaxBytes, type KioskUi } from '../../src/ui/server';
import { projectRoot } from '../helpers/cli';

interface Reply {
  readonly status: number;
  readonly body: string;
}

function call(ui: KioskUi, method: string, url: string, headers: Record<string, string>, body = '', host = '127.0.0.1'): Promise<Reply> {
  const port = Number(new URL(ui.address).port);
  return new Promise((resolve, reject) => {
    const req = request({ host, port, method, path: url, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function rig() {
  const keys = new KeyQueue();
  const logged: string[] = [];
  const ui = await startKioskUi({ port: 0, push: (key) => keys.push(key), log: (level, msg, fields?: LogFields) => logged.push(`${level} ${msg} ${JSON.stringify(fields ?? {})}`), pageDir: path.join(projectRoot, 'dist') });
  const own = new URL(ui.address).host;
  const page = { host: own, origin: `http://${own}`, 'content-type': 'application/json' };
  /** The next key the keypad holds, or 'none' after a short wait (the wait is aborted, leaving no waiter behind). */
  const nextKey = () => keys.next(AbortSignal.timeout(keyWaitMs)).catch(() => 'none');
  return { keys, logged, ui, own, page, nextKey, close: () => ui.close() };
}

/** How long a test waits for a key that a refused touch must not have pushed. */
const keyWaitMs = 200;
const pinScreen: ScreenModel = { state: 'pin', code: null };
const idle: ScreenModel = { state: 'idle', status: { online: true, queued: 2, floorFen: 0, refused: 0 } };

test('it binds loopback only: its address is 127.0.0.1 and no other address of the machine answers', async () => {
  const r = await rig();
  try {
    assert.match(r.ui.address, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    const others = Object.values(networkInterfaces()).flat().filter((nic) => nic !== undefined && !nic.internal && nic.family === 'IPv4');
    for (const nic of others) {
      const refused = await call(r.ui, 'GET', '/', { host: r.own }, '', nic?.address).then(() => false, (error: NodeJS.ErrnoException) => error.code === 'ECONNREFUSED');
      assert.ok(refused, `${nic?.address} must not answer`);
    }
    assert.is((await call(r.ui, 'GET', '/', { host: r.own })).status, 200);
  } finally {
    await r.close();
  }
});

test('a wrong Host, a foreign Origin or fetch site, and a touch without an Origin are refused with 403 and push nothing', async () => {
  const r = await rig();
  try {
    const refusals: [string, string, Record<string, string>, string][] = [
      ['GET', '/', { host: 'evil.example' }, 'forbidden_host'],
      ['GET', '/events', { host: `attacker.example:${new URL(r.ui.address).port}` }, 'forbidden_host'],
      ['POST', '/touch', { ...r.page, host: 'evil.example' }, 'forbidden_host'],
      ['POST', '/touch', { ...r.page, origin: 'http://evil.example' }, 'forbidden_origin'],
      ['POST', '/touch', { ...r.page, origin: 'null' }, 'forbidden_origin'],
      ['GET', '/events', { host: r.own, origin: 'http://evil.example' }, 'forbidden_origin'],
      ['POST', '/touch', { host: r.own, 'content-type': 'application/json' }, 'forbidden_origin'],
      ['POST', '/touch', { ...r.page, 'sec-fetch-site': 'cross-site' }, 'forbidden_origin'],
    ];
    for (const [method, url, headers, code] of refusals) {
      const reply = await call(r.ui, method, url, headers, method === 'POST' ? '{"key":"ok"}' : '');
      assert.is(reply.status, 403, `${method} ${url} ${JSON.stringify(headers)}`);
      assert.equal(JSON.parse(reply.body), { error: { code } });
    }
    assert.is(await r.nextKey(), 'none', 'no refused touch reached the keypad');
    assert.is((await call(r.ui, 'POST', '/touch', { ...r.page, host: `localhost:${new URL(r.ui.address).port}`, origin: `http://localhost:${new URL(r.ui.address).port}` }, '{"key":"ok"}')).status, 204);
    assert.is(await r.nextKey(), 'ok');
  } finally {
    await r.close();
  }
});

test('bad touches are refused with their codes; the keys the session takes reach the keypad', async () => {
  const r = await rig();
  try {
    const bad: [string, Record<string, string>, number, string][] = [
      ['{"key":', r.page, 400, 'invalid_json'],
      ['{"key":"rm -rf"}', r.page, 400, 'invalid_touch'],
      ['{"key":"ok","extra":1}', r.page, 400, 'invalid_touch'],
      ['["ok"]', r.page, 400, 'invalid_touch'],
      ['{"pin":"12"}', r.page, 400, 'invalid_touch'],
      ['{"pin":"1234a"}', r.page, 400, 'invalid_touch'],
      [`{"key":"${'o'.repeat(touchBodyMaxBytes)}"}`, r.page, 413, 'body_too_large'],
      ['{"key":"ok"}', { ...r.page, 'content-type': 'text/plain' }, 415, 'unsupported_media_type'],
    ];
    for (const [body, headers, status, code] of bad) {
      const reply = await call(r.ui, 'POST', '/touch', headers, body);
      assert.is(reply.status, status, body.slice(0, 40));
      assert.equal(JSON.parse(reply.body), { error: { code } });
    }
    assert.is(await r.nextKey(), 'none');
    for (const key of ['ok', 'cancel', 'back', '1', '2']) {
      assert.is((await call(r.ui, 'POST', '/touch', r.page, JSON.stringify({ key }))).status, 204);
      assert.is(await r.nextKey(), key);
    }
  } finally {
    await r.close();
  }
});

test('a PIN is taken only on the PIN screen, reaches the keypad whole, and never the log; no path reaches the hub or the journal', async () => {
  const r = await rig();
  try {
    const pin = '860317';
    r.ui.display.show([], idle);
    const early = await call(r.ui, 'POST', '/touch', r.page, JSON.stringify({ pin }));
    assert.is(early.status, 409);
    assert.equal(JSON.parse(early.body), { error: { code: 'not_pin_screen' } });
    r.ui.display.show([], pinScreen);
    assert.is((await call(r.ui, 'POST', '/touch', r.page, JSON.stringify({ pin }))).status, 204);
    assert.is(await r.nextKey(), pin);
    for (const url of ['/journal', '/hub', '/../journal', '/events/../../state']) assert.is((await call(r.ui, 'GET', url, { host: r.own })).status, 404, url);
    assert.ok(r.logged.some((line) => line.includes('"key":"pin"')), r.logged.join('\n'));
    assert.not.ok(r.logged.join('\n').includes(pin), 'the PIN is never logged');
  } finally {
    await r.close();
  }
});

test('every model shown reaches the page over SSE, the last one first to a page that connects late', async () => {
  const r = await rig();
  try {
    r.ui.display.show([], idle);
    const port = Number(new URL(r.ui.address).port);
    const seen: ScreenModel[] = [];
    await new Promise<void>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/events', headers: { host: r.own } }, (res) => {
        assert.is(res.headers['content-type'], 'text/event-stream');
        let buffer = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffer += chunk;
          for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
            seen.push(JSON.parse(buffer.slice('data: '.length, end)) as ScreenModel);
            buffer = buffer.slice(end + 2);
            if (seen.length === 1) r.ui.display.show([], pinScreen);
            if (seen.length === 2) {
              req.destroy();
              resolve();
            }
          }
        });
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(seen, [idle, pinScreen]);
  } finally {
    await r.close();
  }
});

test.run();
