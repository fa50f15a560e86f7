// The kiosk's touch-screen UI server (issue 15): its own bundle,
// dist/kiosk-ui.js, beside the firmware, which requires it by that fixed
// name only when the profile has a `ui_port` (src/cli/run.ts). It serves the
// page (dist/kiosk-page.js and .css, read from beside this bundle) on
// loopback, pushes every screen model the session shows as a Server-Sent
// Event, and turns the page's touches into the keypad's tokens. The session
// stays the single source of truth: the server holds only the last model.
//
// Security: it binds 127.0.0.1 only; a request whose Host is not its own
// address, or that carries an Origin (or a Sec-Fetch-Site) of another site,
// is refused with 403; a touch is one small JSON object, validated; a PIN is
// taken only while the PIN screen shows and goes to the keypad (the card
// reader's PIN path) and nowhere else, and is never logged; the same digits
// path takes the contact phone on the filing offer's screen (issue 16). The server
// reaches neither the hub nor the journal: it is handed a display and a
// function that pushes a key, nothing more.
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Log } from '../log';
import type { ScreenModel } from '../session/screens';
import type { Display } from '../session/session';

/** The only address the server binds: loopback, never a network interface. */
export const uiHost = '127.0.0.1';
/** A touch is one small JSON object: a larger body is refused unread. */
export const touchBodyMaxBytes = 256;
/** Pages listening at once (a kiosk has one screen; a reload reconnects). */
export const listenersMax = 4;
/** Keys the page may send, as the session's keypad takes them (src/session/session.ts, Keypad). */
export const touchKeys: readonly string[] = ['ok', 'cancel', 'back', '1', '2'];
const pinPattern = /^[0-9]{4,12}$/;

export interface KioskUiOptions {
  /** The TCP port on 127.0.0.1; 0 picks a free one (tests). */
  readonly port: number;
  /** Pushes a token to the session's keypad. */
  readonly push: (token: string) => void;
  readonly log: Log;
  /** Where kiosk-page.js and kiosk-page.css are; default beside this bundle. */
  readonly pageDir?: string;
}

export interface KioskUi {
  /** The display the session shows its screens on. */
  readonly display: Display;
  /** http://127.0.0.1:PORT/ */
  readonly address: string;
  close(): Promise<void>;
}

/** A refusal the server answers with: an HTTP status and a stable code. */
class UiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
  ) {
    super(code);
  }
}

const page = (port: number) => `<!doctype html>
<html lang="zh"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>医保结算 Settlement</title><link rel="stylesheet" href="/kiosk-page.css"></head>
<body data-port="${port}"><main id="screen"></main><script src="/kiosk-page.js"></script></body></html>
`;

export async function startKioskUi(options: KioskUiOptions): Promise<KioskUi> {
  const dir = options.pageDir ?? __dirname;
  const assets = new Map<string, { readonly type: string; readonly body: Buffer }>([
    ['/kiosk-page.js', { type: 'text/javascript; charset=utf-8', body: readFileSync(path.join(dir, 'kiosk-page.js')) }],
    ['/kiosk-page.css', { type: 'text/css; charset=utf-8', body: readFileSync(path.join(dir, 'kiosk-page.css')) }],
  ]);
  const listeners = new Set<ServerResponse>();
  let last: ScreenModel | null = null;
  let own: readonly string[] = [];

  const send = (response: ServerResponse, status: number, type: string, body: string | Buffer) => {
    response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'content-security-policy': "default-src 'self'; img-src 'self' data:" });
    response.end(body);
  };

  /** Refuses what is not from the page this server served. */
  const check = (request: IncomingMessage) => {
    if (!own.includes(request.headers.host ?? '')) throw new UiError(403, 'forbidden_host');
    const origin = request.headers.origin;
    if (origin !== undefined && !own.some((host) => origin === `http://${host}`)) throw new UiError(403, 'forbidden_origin');
    const site = request.headers['sec-fetch-site'];
    if (site !== undefined && site !== 'same-origin' && site !== 'none') throw new UiError(403, 'forbidden_origin');
    // A touch must say where it comes from: a form or script of another page cannot forge this.
    if (request.method === 'POST' && origin === undefined) throw new UiError(403, 'forbidden_origin');
  };

  const touch = async (request: IncomingMessage) => {
    if (!/^application\/json\b/.test(request.headers['content-type'] ?? '')) throw new UiError(415, 'unsupported_media_type');
    const chunks: Buffer[] = [];
    let bytes = 0;
    for await (const chunk of request) {
      bytes += (chunk as Buffer).length;
      if (bytes > touchBodyMaxBytes) throw new UiError(413, 'body_too_large');
      chunks.push(chunk as Buffer);
    }
    let body: unknown;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      throw new UiError(400, 'invalid_json');
    }
    const fields = body !== null && typeof body === 'object' && !Array.isArray(body) ? Object.keys(body) : [];
    const { key, pin } = body as { key?: unknown; pin?: unknown };
    if (fields.length === 1 && typeof key === 'string' && touchKeys.includes(key)) {
      options.log('info', 'touch', { key });
      options.push(key);
      return;
    }
    if (fields.length === 1 && typeof pin === 'string' && pinPattern.test(pin)) {
      // The digits are a PIN on the PIN screen, a contact phone on the filing offer's (issue 16); nowhere else.
      if (last?.state !== 'pin' && last?.state !== 'filing') throw new UiError(409, 'not_pin_screen');
      // The digits go to the keypad (a PIN on to the card reader); the log says only that they came.
      options.log('info', 'touch', { key: last.state === 'pin' ? 'pin' : 'tel' });
      options.push(pin);
      return;
    }
    throw new UiError(400, 'invalid_touch');
  };

  const server = createServer((request, response) => {
    const url = (request.url ?? '/').split('?')[0] as string;
    const answer = async () => {
      check(request);
      if (request.method === 'GET' && url === '/') return send(response, 200, 'text/html; charset=utf-8', page(port));
      const asset = assets.get(url);
      if (request.method === 'GET' && asset !== undefined) return send(response, 200, asset.type, asset.body);
      if (request.method === 'GET' && url === '/events') {
        if (listeners.size >= listenersMax) throw new UiError(503, 'too_many_listeners');
        response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
        listeners.add(response);
        request.on('close', () => listeners.delete(response));
        if (last !== null) response.write(`data: ${JSON.stringify(last)}\n\n`);
        return;
      }
      if (request.method === 'POST' && url === '/touch') {
        await touch(request);
        return send(response, 204, 'text/plain', '');
      }
      throw new UiError(404, 'not_found');
    };
    answer().catch((error: unknown) => {
      const refusal = error instanceof UiError ? error : new UiError(500, 'internal');
      if (refusal.status === 500) options.log('error', 'ui_failed', { error: (error as Error).message });
      else options.log('warn', 'ui_refused', { code: refusal.code, method: request.method ?? '', path: url.slice(0, 64) });
      if (!response.headersSent) send(response, refusal.status, 'application/json', JSON.stringify({ error: { code: refusal.code } }));
      else response.end();
      // A refused body is not read: the connection goes rather than carry it.
      request.resume();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, uiHost, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  own = [`${uiHost}:${port}`, `localhost:${port}`];
  return {
    address: `http://${uiHost}:${port}/`,
    display: {
      show(_frame, model) {
        last = model;
        const event = `data: ${JSON.stringify(model)}\n\n`;
        for (const listener of listeners) listener.write(event);
      },
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const listener of listeners) listener.end();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
