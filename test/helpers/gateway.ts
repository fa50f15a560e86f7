// A gateway's configuration file (gateway/config.ts) for the test keys and
// identity of test/helpers/national.ts: what `hub gateway --config` reads.
import { sm2PublicKeyOf } from '../../gateway/sm';
import { gatewayKey, platformKey, testAppAuth, testEnvelope, testIdentity } from './national';

const names: Readonly<Record<string, string>> = {
  H11010600001: '北京市示范三甲医院',
  H31010100003: '上海市示范三甲医院',
  H21010200013: '沈阳市慢特病试点示范医院',
  P31010400021: '上海市示范联网药店',
};

/** The JSON of a gateway speaking for `institutions` to the platform at `url`. */
export function gatewayConfigJson(url: string, institutions: readonly string[]) {
  const envelope = testEnvelope('H11010600001');
  return {
    url,
    gateway_key: gatewayKey,
    platform_public_key: sm2PublicKeyOf(platformKey),
    app_auth: { app_id: testAppAuth.appId, app_secret: testAppAuth.appSecret, digest: testAppAuth.digest },
    envelope: { recer_sys_code: envelope.recerSysCode, dev_no: envelope.devNo, infver: envelope.infver, opter_type: envelope.opterType, opter: envelope.opter, opter_name: envelope.opterName },
    identity: {
      opter_no: testIdentity.opterNo,
      mac: testIdentity.mac,
      ip: testIdentity.ip,
      dept_code: testIdentity.deptCode,
      dept_name: testIdentity.deptName,
      dr_code: testIdentity.drCode,
      dr_name: testIdentity.drName,
      caty: testIdentity.caty,
      setl_optins: testIdentity.setlOptins,
    },
    institutions: Object.fromEntries(institutions.map((code) => [code, { name: names[code] ?? `定点机构${code}` }])),
  } as Record<string, any>;
}
