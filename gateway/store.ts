// The gateway's SQL store: PGlite (PostgreSQL compiled to WebAssembly,
// embedded, its files in a directory) by default, or a PostgreSQL server for
// a hospital group (`--db postgres://...`, through `pg`). Both take the same
// SQL and schema (gateway/journal.ts); parameters are always bound, never
// spliced into the text.
import { PGlite } from '@electric-sql/pglite';

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

/** The store `--db` names: a PGlite directory (created when missing). */
export async function openStore(location: string): Promise<SqlStore> {
  if (location === '' || location.includes('\0')) throw new StoreError('--db must name a directory or a postgres:// URL');
  if (isServerUrl(location)) throw new StoreError('PostgreSQL servers are not supported yet');
  try {
    return await openPglite(location);
  } catch (error) {
    throw new StoreError(`${location}: ${(error as Error).message}`);
  }
}
