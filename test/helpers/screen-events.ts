// Reads the kiosk UI server's event stream (`GET /events`, Server-Sent
// Events) as a test's recorder: each `data:` event's screen model is pushed
// onto `models` as it arrives, in order. Used by the demo's --ui test and the
// browser tier, which check what the page was sent against what it shows.
import { request, type ClientRequest, type IncomingMessage } from 'node:http';
import type { ScreenModel } from '../../src/session/screens';

/** Opens the stream on hostname:port with the Host header the server accepts; `onResponse` sees the response first. */
export function recordScreens(hostname: string, port: number | string, models: ScreenModel[], onResponse?: (res: IncomingMessage) => void): ClientRequest {
  const events = request({ host: hostname, port, path: '/events', headers: { host: `${hostname}:${port}` } }, (res) => {
    onResponse?.(res);
    let buffer = '';
    res.setEncoding('utf8').on('data', (chunk: string) => {
      buffer += chunk;
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        models.push(JSON.parse(buffer.slice('data: '.length, end)) as ScreenModel);
        buffer = buffer.slice(end + 2);
      }
    });
  });
  events.on('error', () => undefined);
  events.end();
  return events;
}
