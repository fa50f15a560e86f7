// Proves the national envelope (gateway/envelope.ts): msgids are the
// institution code, the China Standard Time second and a 4-digit sequence,
// 30 characters, never repeated (10,000 a second, then none until the next
// second; resumed after the last one sent); a request built for a seed
// patient's 2207 carries every header field, verifies under the gateway's
// public key and is refused when any byte of its input changes, when another
// key signed it, when a header is missing, too long or unknown, or when its
// signtype is not SM2; an answer verifies the same way; and the application
// headers check out under their configured names and digest (SM3 or
// SHA-256) and are refused when missing, for another application, out of
// time or with a wrong secret.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  answerHeaderFields,
  appAuthHeaders,
  buildAnswer,
  buildRequest,
  canonicalJson,
  checkAppAuth,
  checkEnvelope,
  defaultAppAuthHeaders,
  MsgIds,
  nationalTime,
  requestHeaderFields,
  type AppAuthConfig,
  type EnvelopeConfig,
  type Message,
} from '../../gateway/envelope';
import * as map from '../../gateway/national/map';
import { sm2PublicKeyOf } from '../../gateway/sm';
import { seedNational } from '../helpers/national';
import { Random, testSeed } from '../helpers/seed';

const seed = testSeed();
const random = new Random(seed);
const randomBytes = (length: number): Uint8Array => random.bytes(length);
const gatewayKey = '3945208f7b2144b13f36e38ac6d39f95889393692860b51a42fb81ef4df7c5b8';
const otherKey = '1649ab77a00637bd5e2efe283fbf353534aa7f7cb89463f208ddbc2920bb0da0';
const zhangMs = Date.parse('2026-03-14T02:00:00Z');

const config: EnvelopeConfig = {
  fixmedinsCode: 'H11010600001',
  fixmedinsName: '北京某三级医院',
  mdtrtareaAdmvs: '110106',
  recerSysCode: 'MBS_LOCAL',
  devNo: 'GW-01',
  devSafeInfo: '',
  infver: 'V1.0',
  opterType: '1',
  opter: 'OP0001',
  opterName: '收费员',
};

function zhangRequest(): Message {
  const zhang = seedNational()[0] as ReturnType<typeof seedNational>[number];
  const input = map.settleDataInput(zhang.input, zhang.person.insutype, zhang.credential, 'B1');
  const msgid = new MsgIds(config.fixmedinsCode).next(zhangMs) as string;
  return buildRequest(config, { infno: '2207', msgid, nowMs: zhangMs, insuplcAdmdvs: zhang.person.insuplc_admdvs, signNo: 'SN1', input }, gatewayKey, randomBytes);
}

test('times are China Standard Time', () => {
  assert.is(nationalTime(zhangMs), '2026-03-14 10:00:00');
  assert.is(nationalTime(Date.parse('2026-12-31T16:00:00Z')), '2027-01-01 00:00:00');
});

test('msgids: code, second, sequence; 10,000 a second, then none until the next; resumed after the last', () => {
  const ids = new MsgIds(config.fixmedinsCode);
  const first = ids.next(zhangMs);
  assert.is(first, 'H11010600001202603141000000000');
  assert.is(first?.length, 30);
  const seen = new Set([first]);
  for (let i = 1; i <= 9_999; i += 1) seen.add(ids.next(zhangMs + (i % 1_000)));
  assert.is(seen.size, 10_000);
  assert.is(ids.next(zhangMs + 999), null, 'the second is spent');
  assert.is(ids.next(zhangMs + 1_000), 'H11010600001202603141000010000');
  const resumed = new MsgIds(config.fixmedinsCode, 'H11010600001202603141000000041');
  assert.is(resumed.next(zhangMs + 500), 'H11010600001202603141000000042');
  assert.throws(() => new MsgIds('H1101'), /12-character/);
});

test('canonical JSON ignores key order', () => {
  assert.is(canonicalJson({ b: '1', a: { d: ['x', { f: '2', e: '3' }], c: '4' } }), canonicalJson({ a: { c: '4', d: ['x', { e: '3', f: '2' }] }, b: '1' }));
});

test('a signed 2207 request has every header field and verifies; every fault is refused with its code', () => {
  const request = zhangRequest();
  const publicKey = sm2PublicKeyOf(gatewayKey);
  assert.equal(checkEnvelope(request, requestHeaderFields, 'input', publicKey), { ok: true });
  for (const field of requestHeaderFields) if (field.required) assert.type(request[field.name], 'string', field.name);
  assert.is(request.signtype, 'SM2');

  const changed = JSON.parse(JSON.stringify(request));
  changed.input.data.medfee_sumamt = changed.input.data.medfee_sumamt.replace(/0$/, '1');
  const expectCode = (message: unknown, code: string) => {
    const checked = checkEnvelope(message, requestHeaderFields, 'input', publicKey);
    assert.ok(!checked.ok && checked.error.code === code, `${code}: ${JSON.stringify(checked)}`);
  };
  expectCode(changed, 'signature_invalid');
  const bySomeoneElse = buildRequest(config, { infno: '2207', msgid: request.msgid as string, nowMs: zhangMs, insuplcAdmdvs: null, signNo: null, input: request.input as map.Input }, otherKey, randomBytes);
  expectCode(bySomeoneElse, 'signature_invalid');
  const { msgid: _msgid, ...noMsgid } = request;
  expectCode(noMsgid, 'field_missing');
  expectCode({ ...request, msgid: `${request.msgid as string}0` }, 'field_length');
  expectCode({ ...request, extra: 'x' }, 'field_unknown');
  expectCode({ ...request, signtype: 'RSA' }, 'signtype_unsupported');
  expectCode({ ...request, inf_time: '2026-03-14T10:00:00' }, 'field_type');
  expectCode({ ...request, input: [] }, 'group_missing');
  expectCode({ ...request, cainfo: 'AAAA' }, 'signature_invalid');
  expectCode('{}', 'field_type');
});

test('an answer verifies under the platform key and not under another', () => {
  const platformKey = otherKey;
  const answer = buildAnswer({ refmsgid: 'H11010600001202603141000000000', receivedMs: zhangMs, nowMs: zhangMs + 35, errMsg: null, output: { setlinfo: { setl_id: 'S1' } } }, platformKey, randomBytes);
  assert.equal(checkEnvelope(answer, answerHeaderFields, 'output', sm2PublicKeyOf(platformKey)), { ok: true });
  assert.is(answer.infcode, '0');
  assert.is(answer.refmsg_time, '20260314100000000');
  assert.is(answer.respond_time, '20260314100000035');
  const refused = buildAnswer({ refmsgid: 'x', receivedMs: zhangMs, nowMs: zhangMs, errMsg: 'field_missing: input.data.psn_no', output: {} }, platformKey, randomBytes);
  assert.is(refused.infcode, '-1');
  assert.equal(checkEnvelope(refused, answerHeaderFields, 'output', sm2PublicKeyOf(platformKey)), { ok: true });
  const checked = checkEnvelope(answer, answerHeaderFields, 'output', sm2PublicKeyOf(gatewayKey));
  assert.ok(!checked.ok && checked.error.code === 'signature_invalid');
});

test('application headers check out under their configured names and digest; each fault has its code', () => {
  const sm3Auth: AppAuthConfig = { appId: 'hospital-01', appSecret: 's3cret', digest: 'sm3', headers: defaultAppAuthHeaders };
  const shaAuth: AppAuthConfig = { appId: 'hospital-01', appSecret: 's3cret', digest: 'sha256', headers: { appId: 'X-App-Id', timestamp: 'X-Ts', nonce: 'X-Nonce', signature: 'X-Sign' } };
  for (const auth of [sm3Auth, shaAuth]) {
    const sent = appAuthHeaders(auth, zhangMs, randomBytes);
    const received = Object.fromEntries(Object.entries(sent).map(([name, value]) => [name.toLowerCase(), value]));
    const checked = checkAppAuth(received, auth, zhangMs + 10_000);
    assert.ok(checked.ok, JSON.stringify(checked));
    assert.equal(checkAppAuth({}, auth, zhangMs), { ok: false, code: 'auth_missing' });
    assert.equal(checkAppAuth(received, { ...auth, appId: 'hospital-02' }, zhangMs), { ok: false, code: 'auth_app_unknown' });
    assert.equal(checkAppAuth(received, auth, zhangMs + 301_000), { ok: false, code: 'auth_time_skew' });
    assert.equal(checkAppAuth(received, { ...auth, appSecret: 'other' }, zhangMs), { ok: false, code: 'auth_signature' });
  }
  const sm3Headers = appAuthHeaders(sm3Auth, zhangMs, randomBytes);
  assert.equal(Object.keys(sm3Headers), ['x-tif-paasid', 'x-tif-timestamp', 'x-tif-nonce', 'x-tif-signature']);
  assert.not.equal(checkAppAuth(sm3Headers, { ...sm3Auth, digest: 'sha256' }, zhangMs), { ok: true, nonce: sm3Headers['x-tif-nonce'] });
});

test.run();
