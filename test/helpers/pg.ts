// A PostgreSQL server for the gateway's store tests (gateway/store.ts,
// `--db postgres://...`): the one .ci/run started (GATEWAY_TEST_PG, a URL),
// else, outside CI, a throwaway cluster this helper starts with the same
// script (.ci/pg-cluster) when the distribution's server is installed. Under
// CI=true a missing server is a failure, never a skip. Each caller gets a
// database of its own, created here and dropped by `drop()`.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import { projectRoot } from './cli';

export interface PgDatabase {
  /** A URL to a fresh, empty database. */
  readonly url: string;
  /** Drops the database (and stops the cluster when this helper started it). */
  drop(): Promise<void>;
}

const script = path.join(projectRoot, '.ci', 'pg-cluster');

/** A fresh database on a PostgreSQL server, or null (outside CI only) when no server can be had. */
export async function pgDatabase(): Promise<PgDatabase | null> {
  let server = process.env.GATEWAY_TEST_PG;
  let clusterDir: string | null = null;
  if (server === undefined || server === '') {
    if (process.env.CI === 'true') throw new Error('GATEWAY_TEST_PG is not set: .ci/run starts a PostgreSQL server for the gateway store tests (CI=true: a missing server fails)');
    const started = spawnSync(script, ['start'], { encoding: 'utf8', timeout: 120_000 });
    if (started.status === 3) {
      console.log(`# no PostgreSQL server installed (${started.stderr.trim()}): the PostgreSQL half of this file is skipped outside CI`);
      return null;
    }
    if (started.status !== 0) throw new Error(`.ci/pg-cluster start failed: ${started.stderr}`);
    [server, clusterDir] = started.stdout.trim().split(' ') as [string, string];
  }
  const name = `gateway_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: server });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(server);
  url.pathname = `/${name}`;
  return {
    url: url.href,
    async drop() {
      const client = new pg.Client({ connectionString: server });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
      if (clusterDir !== null) spawnSync(script, ['stop', clusterDir], { timeout: 60_000 });
    },
  };
}
