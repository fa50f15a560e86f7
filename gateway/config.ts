// The configuration files of the gateway (`hub gateway --config`) and of the
// national simulator (`hub national-sim --config`), read strictly
// (docs/conventions.md habit 9): a JSON object of known keys only, each
// checked for its type and form, keys in hex as gateway/sm.ts wants them; a
// bad file is one ConfigError (code `config_invalid`) naming the field
// (`field`, a dotted path) and why (`reason`, one of ConfigReason).
// README.md, "Gateway to the national interface", lists the keys.
import { defaultAppAuthHeaders, fixmedinsCodeLength, requestHeaderFields, type AppAuthConfig, type EnvelopeConfig } from './envelope';
import { callTimeoutMsDefault } from './national/client';
import type { Identity } from './national/map';
import { isSm2PrivateKey, isSm2PublicKey } from './sm';

/** Bytes of a configuration file. */
export const configBytesMax = 64 * 1024;

/** Why a file was refused (stable: tests and operators match on it). */
export type ConfigReason = 'too_large' | 'not_json' | 'not_object' | 'unknown_key' | 'missing' | 'malformed' | 'out_of_range' | 'not_a_key' | 'empty';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'config_invalid';
  constructor(
    message: string,
    /** The offending key's dotted path (`config` for the file itself). */
    readonly field = 'config',
    readonly reason: ConfigReason = 'malformed',
  ) {
    super(message);
  }
}

type Json = Record<string, unknown>;

function object(value: unknown, path: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ConfigError(`${path} must be an object`, path, value === undefined ? 'missing' : 'not_object');
  return value as Json;
}
function known(value: Json, keys: readonly string[], path: string): void {
  for (const key of Object.keys(value)) if (!keys.includes(key)) throw new ConfigError(`${path}.${key} is not a known key (${keys.join(', ')})`, `${path}.${key}`, 'unknown_key');
}
function text(value: Json, key: string, pattern: RegExp, path: string, fallback?: string): string {
  const found = value[key] ?? fallback;
  if (found === undefined) throw new ConfigError(`${path}.${key} is required`, `${path}.${key}`, 'missing');
  if (typeof found !== 'string' || !pattern.test(found)) throw new ConfigError(`${path}.${key} must match ${pattern.source}`, `${path}.${key}`, 'malformed');
  return found;
}
const line = (max: number) => new RegExp(`^[^\\u0000-\\u001f]{1,${max}}$`);
const headerName = /^[A-Za-z0-9-]{1,64}$/;

/** The `app_auth` block: id, secret, digest and (optionally) header names. */
export function parseAppAuth(value: unknown, path = 'app_auth'): AppAuthConfig {
  const block = object(value, path);
  known(block, ['app_id', 'app_secret', 'digest', 'headers'], path);
  const digest = text(block, 'digest', /^(sm3|sha256)$/, path, 'sm3') as AppAuthConfig['digest'];
  let headers = defaultAppAuthHeaders;
  if (block.headers !== undefined) {
    const names = object(block.headers, `${path}.headers`);
    known(names, ['appId', 'timestamp', 'nonce', 'signature'], `${path}.headers`);
    headers = {
      appId: text(names, 'appId', headerName, `${path}.headers`, defaultAppAuthHeaders.appId),
      timestamp: text(names, 'timestamp', headerName, `${path}.headers`, defaultAppAuthHeaders.timestamp),
      nonce: text(names, 'nonce', headerName, `${path}.headers`, defaultAppAuthHeaders.nonce),
      signature: text(names, 'signature', headerName, `${path}.headers`, defaultAppAuthHeaders.signature),
    };
  }
  return { appId: text(block, 'app_id', line(64), path), appSecret: text(block, 'app_secret', line(128), path), digest, headers };
}

function privateKey(value: Json, key: string, path: string): string {
  const found = text(value, key, /^[0-9a-f]{64}$/, path);
  if (!isSm2PrivateKey(found)) throw new ConfigError(`${path}.${key} is not an SM2 private key`, `${path}.${key}`, 'not_a_key');
  return found;
}
function publicKey(value: Json, key: string, path: string): string {
  const found = text(value, key, /^04[0-9a-f]{128}$/, path);
  if (!isSm2PublicKey(found)) throw new ConfigError(`${path}.${key} is not a point of the SM2 curve`, `${path}.${key}`, 'not_a_key');
  return found;
}

function parse(textIn: string): Json {
  if (Buffer.byteLength(textIn) > configBytesMax) throw new ConfigError(`the file is over ${configBytesMax} bytes`, 'config', 'too_large');
  let parsed: unknown;
  try {
    parsed = JSON.parse(textIn);
  } catch (error) {
    throw new ConfigError(`the file is not JSON: ${(error as Error).message}`, 'config', 'not_json');
  }
  return object(parsed, 'config');
}

export interface NationalSimConfig {
  readonly platformKey: string;
  readonly gatewayPublicKey: string;
  readonly appAuth: AppAuthConfig;
}

/** `hub national-sim --config FILE`. */
export function parseNationalSimConfig(textIn: string): NationalSimConfig {
  const config = parse(textIn);
  known(config, ['platform_key', 'gateway_public_key', 'app_auth'], 'config');
  return { platformKey: privateKey(config, 'platform_key', 'config'), gatewayPublicKey: publicKey(config, 'gateway_public_key', 'config'), appAuth: parseAppAuth(config.app_auth) };
}

// ---- hub gateway --------------------------------------------------------------
/** Bounds of `timeout_ms`, the wait for one answer of the platform. */
export const gatewayTimeoutMsMin = 100;
export const gatewayTimeoutMsMax = 120_000;
/** Institutions one gateway speaks for. */
export const gatewayInstitutionsMax = 256;

/** One institution the gateway speaks for: its code, name on the envelope and medical area. */
export interface GatewayInstitution {
  readonly fixmedinsCode: string;
  readonly fixmedinsName: string;
  readonly mdtrtareaAdmvs: string;
}

export interface GatewayConfig {
  /** The platform's endpoint (http or https). */
  readonly url: string;
  readonly timeoutMs: number;
  /** The institutions' SM2 private key (hex), which signs every request. */
  readonly gatewayKey: string;
  /** The platform's SM2 public key (hex), which must have signed every answer. */
  readonly platformPublicKey: string;
  readonly appAuth: AppAuthConfig;
  /** The envelope header common to every institution. */
  readonly envelope: Omit<EnvelopeConfig, 'fixmedinsCode' | 'fixmedinsName' | 'mdtrtareaAdmvs'>;
  readonly identity: Identity;
  readonly institutions: ReadonlyMap<string, GatewayInstitution>;
}

/** The envelope of one institution. */
export function envelopeOf(config: GatewayConfig, institution: GatewayInstitution): EnvelopeConfig {
  return { ...config.envelope, fixmedinsCode: institution.fixmedinsCode, fixmedinsName: institution.fixmedinsName, mdtrtareaAdmvs: institution.mdtrtareaAdmvs };
}

const headerLength = (name: string): number => requestHeaderFields.find((field) => field.name === name)?.length ?? 0;
/** Text of the envelope's header `name`, 1 to its length (0 to it when it may be empty). */
const headerText = (name: string, empty = false) => new RegExp(`^[^\\u0000-\\u001f]{${empty ? 0 : 1},${headerLength(name)}}$`);
const areaPattern = /^(0[1-9]|[1-9][0-9])[0-9]{4}$/;
const institutionPattern = new RegExp(`^[A-Za-z0-9]{${fixmedinsCodeLength}}$`);

function url(value: Json, path: string): string {
  const found = text(value, 'url', line(2048), path);
  let parsed: URL;
  try {
    parsed = new URL(found);
  } catch {
    throw new ConfigError(`${path}.url is not a URL`, `${path}.url`, 'malformed');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new ConfigError(`${path}.url must be http or https, got ${parsed.protocol}`, `${path}.url`, 'malformed');
  if (parsed.username !== '' || parsed.password !== '') throw new ConfigError(`${path}.url must not carry credentials (the application headers authenticate)`, `${path}.url`, 'malformed');
  return parsed.href;
}

function whole(value: Json, key: string, min: number, max: number, path: string, fallback: number): number {
  const found = value[key] ?? fallback;
  if (typeof found !== 'number' || !Number.isSafeInteger(found)) throw new ConfigError(`${path}.${key} must be a whole number`, `${path}.${key}`, 'malformed');
  if (found < min || found > max) throw new ConfigError(`${path}.${key} must be from ${min} to ${max}, got ${found}`, `${path}.${key}`, 'out_of_range');
  return found;
}

const envelopeKeys = ['recer_sys_code', 'dev_no', 'dev_safe_info', 'infver', 'opter_type', 'opter', 'opter_name'] as const;
function envelopeHeader(value: unknown, path: string): GatewayConfig['envelope'] {
  const block = object(value, path);
  known(block, envelopeKeys, path);
  return {
    recerSysCode: text(block, 'recer_sys_code', headerText('recer_sys_code'), path),
    devNo: text(block, 'dev_no', headerText('dev_no', true), path, ''),
    devSafeInfo: text(block, 'dev_safe_info', headerText('dev_safe_info', true), path, ''),
    infver: text(block, 'infver', headerText('infver'), path),
    opterType: text(block, 'opter_type', headerText('opter_type'), path),
    opter: text(block, 'opter', headerText('opter'), path),
    opterName: text(block, 'opter_name', headerText('opter_name'), path),
  };
}

const identityKeys = ['opter_no', 'mac', 'ip', 'dept_code', 'dept_name', 'dr_code', 'dr_name', 'caty', 'setl_optins'] as const;
function identity(value: unknown, path: string): Identity {
  const block = object(value, path);
  known(block, identityKeys, path);
  // Lengths are those of the national fields each one fills (gateway/national/fields.ts: 9001, 2201, 2204, 3201).
  return {
    opterNo: text(block, 'opter_no', line(30), path),
    mac: text(block, 'mac', /^[0-9A-Fa-f]{2}([:-][0-9A-Fa-f]{2}){5}$/, path),
    ip: text(block, 'ip', /^[0-9A-Fa-f.:]{2,15}$/, path),
    deptCode: text(block, 'dept_code', line(30), path),
    deptName: text(block, 'dept_name', line(100), path),
    drCode: text(block, 'dr_code', line(30), path),
    drName: text(block, 'dr_name', line(50), path),
    caty: text(block, 'caty', line(10), path),
    setlOptins: text(block, 'setl_optins', areaPattern, path),
  };
}

function institutions(value: unknown, path: string): Map<string, GatewayInstitution> {
  const block = object(value, path);
  const codes = Object.keys(block);
  if (codes.length === 0) throw new ConfigError(`${path} must name at least one institution`, path, 'empty');
  if (codes.length > gatewayInstitutionsMax) throw new ConfigError(`${path} names ${codes.length} institutions, at most ${gatewayInstitutionsMax}`, path, 'out_of_range');
  const found = new Map<string, GatewayInstitution>();
  for (const code of codes) {
    const where = `${path}.${code}`;
    if (!institutionPattern.test(code)) throw new ConfigError(`${where}: an institution code is ${fixmedinsCodeLength} letters and digits`, where, 'malformed');
    const entry = object(block[code], where);
    known(entry, ['name', 'mdtrtarea_admvs'], where);
    // The area defaults to the six digits after the code's kind letter (the national code's form).
    const area = text(entry, 'mdtrtarea_admvs', areaPattern, where, code.slice(1, 7));
    found.set(code, { fixmedinsCode: code, fixmedinsName: text(entry, 'name', headerText('fixmedins_name'), where), mdtrtareaAdmvs: area });
  }
  return found;
}

/** `hub gateway --config FILE`. */
export function parseGatewayConfig(textIn: string): GatewayConfig {
  const config = parse(textIn);
  known(config, ['url', 'timeout_ms', 'gateway_key', 'platform_public_key', 'app_auth', 'envelope', 'identity', 'institutions'], 'config');
  return {
    url: url(config, 'config'),
    timeoutMs: whole(config, 'timeout_ms', gatewayTimeoutMsMin, gatewayTimeoutMsMax, 'config', callTimeoutMsDefault),
    gatewayKey: privateKey(config, 'gateway_key', 'config'),
    platformPublicKey: publicKey(config, 'platform_public_key', 'config'),
    appAuth: parseAppAuth(config.app_auth),
    envelope: envelopeHeader(config.envelope, 'config.envelope'),
    identity: identity(config.identity, 'config.identity'),
    institutions: institutions(config.institutions, 'config.institutions'),
  };
}
