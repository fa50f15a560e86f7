// Proves the gateway's configuration parser (gateway/config.ts,
// parseGatewayConfig): a complete file reads into the settings the gateway
// uses (defaults for the timeout, the header names, the device fields and
// each institution's area), and every way a file can be wrong is refused with
// ConfigError `config_invalid`, the dotted path of the offending key and a
// stable reason: too large, not JSON, not an object, an unknown key at any
// level, a required key missing, a value of the wrong form (URL scheme or
// credentials, hex, lengths of the envelope's header fields, MAC, area
// codes, institution codes), a timeout out of range, a key that is not an
// SM2 key or not a point of the curve, and no institution at all.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ConfigError, configBytesMax, envelopeOf, parseGatewayConfig, type ConfigReason } from '../../gateway/config';
import { callTimeoutMsDefault } from '../../gateway/national/client';
import { defaultAppAuthHeaders } from '../../gateway/envelope';
import { sm2PublicKeyOf } from '../../gateway/sm';
import { gatewayKey, platformKey, testAppAuth, testEnvelope } from '../helpers/national';
import { gatewayConfigJson } from '../helpers/gateway';

const good = gatewayConfigJson('http://127.0.0.1:8080/fsi/api', ['H11010600001', 'H31010100003']);

test('a complete file reads into the settings, with the defaults filled in', () => {
  const config = parseGatewayConfig(JSON.stringify(good));
  assert.is(config.url, 'http://127.0.0.1:8080/fsi/api');
  assert.is(config.timeoutMs, callTimeoutMsDefault);
  assert.is(config.gatewayKey, gatewayKey);
  assert.is(config.platformPublicKey, sm2PublicKeyOf(platformKey));
  assert.equal(config.appAuth, { ...testAppAuth, headers: defaultAppAuthHeaders });
  assert.equal([...config.institutions.keys()], ['H11010600001', 'H31010100003']);
  // The area defaults to the code's six digits; the envelope of each institution is the test envelope's.
  assert.equal(envelopeOf(config, config.institutions.get('H11010600001') as never), { ...testEnvelope('H11010600001'), fixmedinsName: '北京市示范三甲医院' });
  assert.is(config.institutions.get('H31010100003')?.mdtrtareaAdmvs, '310101');
  const renamed = parseGatewayConfig(JSON.stringify({ ...good, timeout_ms: 2_500, app_auth: { ...good.app_auth, digest: 'sha256', headers: { appId: 'x-app', nonce: 'x-once' } } }));
  assert.is(renamed.timeoutMs, 2_500);
  assert.equal(renamed.appAuth.headers, { ...defaultAppAuthHeaders, appId: 'x-app', nonce: 'x-once' });
  assert.is(renamed.appAuth.digest, 'sha256');
});

/** A deep copy of the good file with `change` applied. */
function variant(change: (config: Record<string, any>) => void): string {
  const copy = JSON.parse(JSON.stringify(good)) as Record<string, any>;
  change(copy);
  return JSON.stringify(copy);
}

const refusals: [string, string, string, ConfigReason][] = [
  ['too large', ' '.repeat(configBytesMax + 1), 'config', 'too_large'],
  ['not JSON', '{"url":', 'config', 'not_json'],
  ['an array', '[]', 'config', 'not_object'],
  ['an unknown key', variant((c) => (c.proxy = 'x')), 'config.proxy', 'unknown_key'],
  ['an unknown key in app_auth', variant((c) => (c.app_auth.secret = 'x')), 'app_auth.secret', 'unknown_key'],
  ['an unknown header name key', variant((c) => (c.app_auth.headers = { time: 'x-t' })), 'app_auth.headers.time', 'unknown_key'],
  ['an unknown key in envelope', variant((c) => (c.envelope.sign_no = '1')), 'config.envelope.sign_no', 'unknown_key'],
  ['an unknown key in identity', variant((c) => (c.identity.doctor = 'x')), 'config.identity.doctor', 'unknown_key'],
  ['an unknown key in an institution', variant((c) => (c.institutions.H11010600001.level = 3)), 'config.institutions.H11010600001.level', 'unknown_key'],
  ['no url', variant((c) => delete c.url), 'config.url', 'missing'],
  ['a url of another scheme', variant((c) => (c.url = 'ftp://platform/x')), 'config.url', 'malformed'],
  ['a url with credentials', variant((c) => (c.url = 'https://user:pw@platform/x')), 'config.url', 'malformed'],
  ['a url that is no URL', variant((c) => (c.url = 'platform')), 'config.url', 'malformed'],
  ['a timeout as text', variant((c) => (c.timeout_ms = '1000')), 'config.timeout_ms', 'malformed'],
  ['a fractional timeout', variant((c) => (c.timeout_ms = 1000.5)), 'config.timeout_ms', 'malformed'],
  ['a timeout too short', variant((c) => (c.timeout_ms = 99)), 'config.timeout_ms', 'out_of_range'],
  ['a timeout too long', variant((c) => (c.timeout_ms = 120_001)), 'config.timeout_ms', 'out_of_range'],
  ['no gateway key', variant((c) => delete c.gateway_key), 'config.gateway_key', 'missing'],
  ['a gateway key in capitals', variant((c) => (c.gateway_key = gatewayKey.toUpperCase())), 'config.gateway_key', 'malformed'],
  ['a gateway key of zero', variant((c) => (c.gateway_key = '0'.repeat(64))), 'config.gateway_key', 'not_a_key'],
  ['a gateway key past the order', variant((c) => (c.gateway_key = 'f'.repeat(64))), 'config.gateway_key', 'not_a_key'],
  ['a platform key off the curve', variant((c) => (c.platform_public_key = `04${'1'.repeat(128)}`)), 'config.platform_public_key', 'not_a_key'],
  ['a compressed platform key', variant((c) => (c.platform_public_key = `02${'1'.repeat(64)}`)), 'config.platform_public_key', 'malformed'],
  ['no app_auth', variant((c) => delete c.app_auth), 'app_auth', 'missing'],
  ['an app id too long', variant((c) => (c.app_auth.app_id = 'a'.repeat(65))), 'app_auth.app_id', 'malformed'],
  ['an unknown digest', variant((c) => (c.app_auth.digest = 'md5')), 'app_auth.digest', 'malformed'],
  ['a header name with a space', variant((c) => (c.app_auth.headers = { signature: 'x sig' })), 'app_auth.headers.signature', 'malformed'],
  ['no envelope', variant((c) => delete c.envelope), 'config.envelope', 'missing'],
  ['a recer_sys_code over its 10 characters', variant((c) => (c.envelope.recer_sys_code = 'R'.repeat(11))), 'config.envelope.recer_sys_code', 'malformed'],
  ['an empty opter', variant((c) => (c.envelope.opter = '')), 'config.envelope.opter', 'malformed'],
  ['an opter_name with a control character', variant((c) => (c.envelope.opter_name = 'a\nb')), 'config.envelope.opter_name', 'malformed'],
  ['no infver', variant((c) => delete c.envelope.infver), 'config.envelope.infver', 'missing'],
  ['a MAC that is not one', variant((c) => (c.identity.mac = '02:00:00:00:01')), 'config.identity.mac', 'malformed'],
  ['an ip too long', variant((c) => (c.identity.ip = '1111.2222.3333.4444')), 'config.identity.ip', 'malformed'],
  ['a settlement agency that is no area', variant((c) => (c.identity.setl_optins = '000000')), 'config.identity.setl_optins', 'malformed'],
  ['a doctor name over 50 characters', variant((c) => (c.identity.dr_name = '医'.repeat(51))), 'config.identity.dr_name', 'malformed'],
  ['no institutions', variant((c) => (c.institutions = {})), 'config.institutions', 'empty'],
  ['institutions as a list', variant((c) => (c.institutions = ['H11010600001'])), 'config.institutions', 'not_object'],
  ['an institution code of 11 characters', variant((c) => (c.institutions = { H1101060000: { name: 'x' } })), 'config.institutions.H1101060000', 'malformed'],
  ['an institution without a name', variant((c) => delete c.institutions.H11010600001.name), 'config.institutions.H11010600001.name', 'missing'],
  ['an institution name over 200 characters', variant((c) => (c.institutions.H11010600001.name = 'x'.repeat(201))), 'config.institutions.H11010600001.name', 'malformed'],
  ['an institution area of five digits', variant((c) => (c.institutions.H11010600001.mdtrtarea_admvs = '11010')), 'config.institutions.H11010600001.mdtrtarea_admvs', 'malformed'],
  ['an institution code whose digits are no area', variant((c) => (c.institutions = { H00000000001: { name: 'x' } })), 'config.institutions.H00000000001.mdtrtarea_admvs', 'malformed'],
];

for (const [name, text, field, reason] of refusals) {
  test(`refused: ${name} (${field}, ${reason})`, () => {
    let caught: unknown = null;
    try {
      parseGatewayConfig(text);
    } catch (error) {
      caught = error;
    }
    assert.instance(caught, ConfigError, name);
    const error = caught as ConfigError;
    assert.is(error.code, 'config_invalid');
    assert.is(error.field, field, `${name}: ${error.message}`);
    assert.is(error.reason, reason, `${name}: ${error.message}`);
    assert.ok(error.message.startsWith(field === 'config' ? '' : field) || field === 'config', error.message);
  });
}

test.run();
