import { randomBytes } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';

export interface BenchDatabase {
  dialect: 'sqlite' | 'postgres';
  /** What the Strongroom process is told about where its data lives. */
  env: Record<string, string>;
  sizeBytes(): Promise<number>;
  /**
   * The PostgreSQL backends serving this run's database, when the server runs on this machine, so their
   * CPU time can be read too; empty for SQLite, which runs inside the Strongroom process.
   */
  backendPids(): Promise<number[]>;
  drop(): Promise<void>;
}

/**
 * SQLite lives in the run's temporary data directory. For PostgreSQL the given URL names a server (and a
 * database to connect to for administration); each run creates a database of its own there and drops it
 * afterwards, so a run never measures or disturbs data it did not create.
 */
export async function createBenchDatabase(
  dataDir: string,
  serverUrl: string | undefined,
): Promise<BenchDatabase> {
  if (serverUrl === undefined) {
    return {
      dialect: 'sqlite',
      env: { STRONGROOM_DATA_DIR: dataDir },
      sizeBytes: () => Promise.resolve(sqliteFilesSize(dataDir)),
      backendPids: () => Promise.resolve([]),
      drop: () => Promise.resolve(),
    };
  }
  const name = `strongroom_bench_${randomBytes(6).toString('hex')}`;
  await administer(serverUrl, `create database ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    dialect: 'postgres',
    env: { STRONGROOM_DATA_DIR: dataDir, STRONGROOM_DATABASE_URL: url.toString() },
    async sizeBytes() {
      const rows = await query<{ size: string }>(
        url.toString(),
        'select pg_database_size(current_database()) as size',
      );
      return Number(rows[0]?.size ?? 0);
    },
    async backendPids() {
      if (!localHosts.has(url.hostname)) return [];
      const rows = await query<{ pid: number }>(
        url.toString(),
        'select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()',
      );
      return rows.map((row) => row.pid);
    },
    drop: () => administer(serverUrl, `drop database if exists ${name} with (force)`),
  };
}

const localHosts = new Set(['127.0.0.1', 'localhost', '[::1]']);

async function administer(serverUrl: string, statement: string): Promise<void> {
  await query(serverUrl, statement);
}

async function query<Row extends object>(url: string, statement: string): Promise<Row[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<Row>(statement)).rows;
  } finally {
    await client.end();
  }
}

/** The database file with its write-ahead log and shared-memory index: everything SQLite keeps on disk. */
function sqliteFilesSize(dataDir: string): number {
  return readdirSync(dataDir)
    .filter((name) => name.startsWith('strongroom.db'))
    .reduce((total, name) => total + statSync(join(dataDir, name)).size, 0);
}
