// The national simulator's configuration file, read
// strictly (docs/conventions.md habit 9): a JSON object of known keys only,
// each checked for its type and form, keys in hex as gateway/sm.ts wants
// them; a bad file is one ConfigError (`config_invalid`) naming the field.
// README.md, "Gateway to the national interface", lists the keys.
import { defaultAppAuthHeaders, type AppAuthConfig } from './envelope';
import { isSm2PrivateKey, isSm2PublicKey } from './sm';

/** Bytes of a configuration file. */
export const configBytesMax = 64 * 1024;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'config_invalid';
}

type Json = Record<string, unknown>;

function object(value: unknown, path: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ConfigError(`${path} must be an object`);
  return value as Json;
}
function known(value: Json, keys: readonly string[], path: string): void {
  for (const key of Object.keys(value)) if (!keys.includes(key)) throw new ConfigError(`${path}.${key} is not a known key (${keys.join(', ')})`);
}
function text(value: Json, key: string, pattern: RegExp, path: string, fallback?: string): string {
  const found = value[key] ?? fallback;
  if (typeof found !== 'string' || !pattern.test(found)) throw new ConfigError(`${path}.${key} must match ${pattern.source}`);
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
  if (!isSm2PrivateKey(found)) throw new ConfigError(`${path}.${key} is not an SM2 private key`);
  return found;
}
function publicKey(value: Json, key: string, path: string): string {
  const found = text(value, key, /^04[0-9a-f]{128}$/, path);
  if (!isSm2PublicKey(found)) throw new ConfigError(`${path}.${key} is not a point of the SM2 curve`);
  return found;
}

function parse(textIn: string): Json {
  if (Buffer.byteLength(textIn) > configBytesMax) throw new ConfigError(`the file is over ${configBytesMax} bytes`);
  try {
    return object(JSON.parse(textIn), 'config');
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(`the file is not JSON: ${(error as Error).message}`);
  }
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
