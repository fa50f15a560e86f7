// The gateway's SQL store: PGlite (PostgreSQL compiled to WebAssembly,
// embedded, its files in a directory) by default, or a PostgreSQL server for
// a hospital group (`--db postgres://...`, through `pg`). Both take the same
// SQL and schema (gateway/journal.ts); parameters are always bound, never
// spliced into the text.
import { PGlite } from '@electric-sql/pglite';
import type pg from 'pg';

export type SqlValue = string | number | null;
export type SqlRow = Record<string, unknown>;

export interface SqlStore {
  /** Runs statements without parameters (the schema). */
  exec(sql: string): Promise<void>;
  /** One statement with bound parameters; its rows. */
  query(sql: string, params: readonly SqlValue[]): Promise<SqlRow[]>;
  close(): Promise<void>;
}

/** An embedded PGlite database in `dir` (created when missing), or in memory when `dir` is null. */
export async function openPglite(dir: string | null): Promise<SqlStore> {
  const db = dir === null ? await PGlite.create() : await PGlite.create(dir);
  return {
    exec: async (sql) => {
      await db.exec(sql);
    },
    query: async (sql, params) => (await db.query<SqlRow>(sql, [...params])).rows,
    close: () => db.close(),
  };
}

/** The database cannot be opened: `db_unavailable`, with the reason. */
export class StoreError extends Error {
  override readonly name = 'StoreError';
  readonly code = 'db_unavailable';
}

/** Whether `--db` names a PostgreSQL server (else a PGlite directory). */
export const isServerUrl = (location: string): boolean => /^postgres(ql)?:\/\//.test(location);

/** `--db` for a log line: a server's URL without its password, or the directory. */
export function describeStore(location: string): string {
  if (!isServerUrl(location)) return `PGlite ${location}`;
  try {
    const url = new URL(location);
    url.password = '';
    return `PostgreSQL ${url.href}`;
  } catch {
    return 'PostgreSQL';
  }
}

/** How long opening a PostgreSQL server's connection may take, ms. */
export const serverConnectMsMax = 10_000;
/** Connections to a PostgreSQL server at once (the gateway awaits one call at a time per terminal). */
export const serverConnectionsMax = 4;

/**
 * A PostgreSQL server at `url` (`postgres://USER[:PASSWORD]@HOST:PORT/DB`,
 * through `pg`'s pool): the connection is tried before this resolves. A
 * connection the server drops while idle is logged and replaced, never fatal;
 * a query on a lost connection rejects (its caller answers `busy` or stops).
 */
export async function openServer(url: string, log: (line: string) => void = () => undefined): Promise<SqlStore> {
  let pool: pg.Pool;
  try {
    // Loaded only for a server: every other command of the bundle starts without it.
    const { default: client } = await import('pg');
    pool = new client.Pool({ connectionString: url, max: serverConnectionsMax, connectionTimeoutMillis: serverConnectMsMax, application_name: 'settle-gateway' });
  } catch (error) {
    throw new StoreError(`${describeStore(url)}: ${(error as Error).message}`);
  }
  // An idle connection that fails (the server restarted, the network dropped) is an event, not an exception.
  pool.on('error', (error) => log(`gateway: database connection lost: ${error.message}`));
  try {
    await pool.query('SELECT 1');
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw new StoreError(`${describeStore(url)}: ${(error as Error).message}`);
  }
  return {
    exec: async (sql) => {
      await pool.query(sql);
    },
    query: async (sql, params) => (await pool.query<SqlRow>(sql, [...params])).rows,
    close: () => pool.end(),
  };
}

/** The store `--db` names: a PostgreSQL server by `postgres://` URL, else a PGlite directory (created when missing). */
export async function openStore(location: string, log?: (line: string) => void): Promise<SqlStore> {
  if (location === '' || location.includes('\0')) throw new StoreError('--db must name a directory or a postgres:// URL');
  if (isServerUrl(location)) return openServer(location, log);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(location)) throw new StoreError(`--db takes a directory or a postgres:// URL, not ${location.slice(0, location.indexOf(':'))}://`);
  try {
    return await openPglite(location);
  } catch (error) {
    throw new StoreError(`${location}: ${(error as Error).message}`);
  }
}
