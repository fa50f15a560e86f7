// Proves the `hub national-sim` command (device/sim/national/cli.ts) as a
// user runs it: started on a loopback port with a configuration file it
// prints its URL and the platform's public key, answers the gateway's client
// over real HTTP on the wall clock (9001 sign-in, then 1101 finds Mr. Zhang
// by his social-security card) and stops on SIGTERM with its figures; it
// refuses to listen on any address but loopback, a configuration with an
// unknown key, a bad key or a missing file, each with its code and exit 2.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { NationalClient } from '../../gateway/national/client';
import * as map from '../../gateway/national/map';
import { sm2PublicKeyOf } from '../../gateway/sm';
import { runSim, startSim } from '../helpers/cli';
import { gatewayKey, platformKey, seedNational, testAppAuth, testEnvelope, testIdentity } from '../helpers/national';

const dir = mkdtempSync(path.join(tmpdir(), 'national-sim-cli-'));
const state = path.join(dir, 'state');
const configFile = path.join(dir, 'national.json');
const config = { platform_key: platformKey, gateway_public_key: sm2PublicKeyOf(gatewayKey), app_auth: { app_id: testAppAuth.appId, app_secret: testAppAuth.appSecret, digest: testAppAuth.digest } };
writeFileSync(configFile, JSON.stringify(config));

test('national-sim listens on loopback, answers the gateway client over HTTP and stops on SIGTERM', async () => {
  const sim = startSim(['hub', 'national-sim', '--state', state, '--listen', '127.0.0.1:0', '--config', configFile]);
  try {
    const line = await sim.waitFor(/listening on/, 10_000);
    const match = /listening on (http:\/\/127\.0\.0\.1:[0-9]+\/); platform key (04[0-9a-f]{128})/.exec(line);
    assert.ok(match !== null, line);
    if (match === null) return;
    assert.is(match[2], sm2PublicKeyOf(platformKey));
    const client = new NationalClient({ url: match[1] as string, envelope: testEnvelope('H11010600001'), appAuth: testAppAuth, gatewayKey, platformPublicKey: match[2] as string, nowMs: () => Date.now(), randomBytes: (length) => new Uint8Array(randomBytes(length)), timeoutMs: 5_000 });
    const signedIn = await client.call('9001', map.signInInput(testIdentity));
    assert.is(signedIn.kind, 'done', JSON.stringify(signedIn));
    const zhang = seedNational()[0] as ReturnType<typeof seedNational>[number];
    const found = await client.call('1101', map.personQueryInput(zhang.credential, '2026-03-14 10:00:00'));
    assert.is(found.kind, 'done', JSON.stringify(found));
    if (found.kind === 'done') assert.is(map.personOf(found.output).psn_no, zhang.person.psn_no);
    assert.is(await sim.stop('SIGTERM'), 0);
    assert.match(sim.lines.join('\n'), /national-sim: stopped; \{"calls":2,"refused":0/);
  } finally {
    await sim.stop('SIGKILL');
  }
});

test('national-sim refuses a non-loopback address, an unknown key, a bad key and a missing file, exit 2', () => {
  const wide = runSim(['hub', 'national-sim', '--state', state, '--listen', '0.0.0.0:0', '--config', configFile]);
  assert.is(wide.code, 2);
  assert.match(wide.stderr, /hub: usage: --listen must be a loopback/);
  const unknownKey = path.join(dir, 'unknown.json');
  writeFileSync(unknownKey, JSON.stringify({ ...config, extra: 1 }));
  const unknown = runSim(['hub', 'national-sim', '--state', state, '--listen', '127.0.0.1:0', '--config', unknownKey]);
  assert.is(unknown.code, 2);
  assert.match(unknown.stderr, /hub: config_invalid: config\.extra is not a known key/);
  const badKeyFile = path.join(dir, 'bad-key.json');
  writeFileSync(badKeyFile, JSON.stringify({ ...config, gateway_public_key: `04${'1'.repeat(128)}` }));
  const badKey = runSim(['hub', 'national-sim', '--state', state, '--listen', '127.0.0.1:0', '--config', badKeyFile]);
  assert.is(badKey.code, 2);
  assert.match(badKey.stderr, /hub: config_invalid: config\.gateway_public_key is not a point of the SM2 curve/);
  const missing = runSim(['hub', 'national-sim', '--state', state, '--listen', '127.0.0.1:0', '--config', path.join(dir, 'none.json')]);
  assert.is(missing.code, 2);
  assert.match(missing.stderr, /hub: config_unreadable: /);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
