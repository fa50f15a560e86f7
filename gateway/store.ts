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
