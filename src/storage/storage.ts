import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, sql } from 'kysely';
import type { Transaction } from 'kysely';
import type pg from 'pg';
import type { MetricsRecorder } from '../http/metrics-recorder.js';
import { noMetrics } from '../http/metrics-recorder.js';
import type { Database } from './database-schema.js';
import type { GroupCommitter } from './group-commit.js';
import { createGroupCommitter } from './group-commit.js';
import { createMigrations } from './migrations.js';
import { prepareRepeatedStatements } from './postgres-prepared-statements.js';
import { createSqliteDialect, openSqliteReader } from './sqlite-dialect.js';
import { sqliteRowLocks } from './sqlite-row-locks.js';

export type DialectName = 'sqlite' | 'postgres';

const analysisSampleRows = 1000;
// Checking is nearly free when nothing has changed much, so a young, fast-growing database is not left
// planning without statistics for long.
const statisticsRefreshMs = 60_000;
const connectTimeoutMs = 5000;
export type DatabaseTransaction = Transaction<Database>;
export type DatabaseExecutor = Kysely<Database>;

/**
 * The one handle the rest of the server has on the database. Services run their changes through
 * `transaction`, repositories build queries on the executor they are given, and nothing outside this
 * folder knows which database is underneath.
 */
export interface Storage {
  readonly db: Kysely<Database>;
  readonly location: string;
  transaction<T>(work: (tx: DatabaseTransaction) => Promise<T>): Promise<T>;
  migrate(): Promise<void>;
  /** How many of this build's migrations the database has not applied (another node may be behind or ahead). */
  pendingMigrations(): Promise<number>;
  ping(): Promise<void>;
  /** Connection pool use; undefined for SQLite, whose one writer queues in the group committer. */
  poolUse(): { open: number; idle: number; waiting: number } | undefined;
  /**
   * Ids for future rows of `table`, drawn ahead from its id sequence through `executor` (a transaction may
   * draw: a sequence never gives an id twice, even when the transaction rolls back). A row that must know
   * its id before it is written (the audit log signs it) then takes one statement instead of an insert and
   * an update. Undefined on SQLite, whose ids come only from inserting and whose statements cost no round trip.
   */
  drawIds(executor: Kysely<Database>, table: SequencedTable, count: number): Promise<number[] | undefined>;
  /**
   * Whether one statement may make several changes (PostgreSQL's data-modifying `with`), so a write and its
   * audit entry cost one round trip and commit on their own. SQLite has no such statements and needs none:
   * its statements cost no round trip.
   */
  readonly combinesChanges: boolean;
  close(): Promise<void>;
}

/** Tables whose ids are drawn ahead of inserting. */
export type SequencedTable = 'audit_log' | 'local_entries';

export interface StorageOptions {
  databaseUrl: string | undefined;
  dataDir: string;
  metrics?: Pick<MetricsRecorder, 'groupCommitBatch' | 'databaseStatement'>;
}

export async function createStorage(options: StorageOptions): Promise<Storage> {
  const metrics = options.metrics ?? noMetrics;
  if (options.databaseUrl !== undefined) return createPostgresStorage(options.databaseUrl, metrics);
  return createSqliteStorage(options.dataDir, metrics);
}

type StorageMetrics = NonNullable<StorageOptions['metrics']>;

function createSqliteStorage(dataDir: string, metrics: StorageMetrics): Storage {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = join(dataDir, 'strongroom.db');
  const connection = new BetterSqlite3(file);
  // WAL lets readers run beside the writer; FULL makes every commit durable before we answer 2xx.
  connection.pragma('journal_mode = WAL');
  connection.pragma('synchronous = FULL');
  connection.pragma('foreign_keys = ON');
  connection.pragma('busy_timeout = 5000');
  // SQLite keeps no table statistics unless asked, and without them it reads a name lookup through the
  // index that matches the list's sort order, scanning every entry of the provider. A bounded sample keeps
  // gathering them to tens of milliseconds on a million rows; later runs redo only what has changed a lot.
  connection.pragma(`analysis_limit = ${analysisSampleRows}`);
  connection.pragma('optimize = 0x10002');
  const db = new Kysely<Database>({
    dialect: createSqliteDialect({
      writer: connection,
      reader: openSqliteReader(connection),
      onStatement: () => metrics.databaseStatement(),
    }),
    plugins: [sqliteRowLocks],
  });
  // Each commit waits for an fsync; sharing commits between concurrent requests lifts that ceiling.
  const storage = buildStorage(db, 'sqlite', file, {
    poolUse: () => undefined,
    drawIds: () => Promise.resolve(undefined),
    committer: createGroupCommitter(db, metrics),
  });
  // A database that grows after start-up (an import, a busy first day) gets its statistics here.
  const maintenance = setInterval(() => {
    // Statistics only guide the planner; a refresh that fails is simply tried again next time.
    sql`pragma optimize`.execute(db).catch(() => undefined);
  }, statisticsRefreshMs);
  maintenance.unref();
  return {
    ...storage,
    async close() {
      clearInterval(maintenance);
      await storage.close();
    },
  };
}

/**
 * The driver is loaded only here: importing it costs a SQLite server 30-40 ms of its start-up (it probes its
 * runtime by building a fetch Response, which loads Node's fetch implementation).
 */
async function createPostgresStorage(databaseUrl: string, metrics: StorageMetrics): Promise<Storage> {
  const { default: pg } = await import('pg');
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: 10,
    types: postgresTypes(pg),
    // A server that does not answer (a partition, a host that is gone) fails the request with a 503 after
    // this long instead of holding it open; a refused connection fails at once.
    connectionTimeoutMillis: connectTimeoutMs,
    keepAlive: true,
  });
  // When the server goes away (a restart, a failover), node-postgres reports it on the pool for an idle
  // connection and on the client for one in use, and an unheard 'error' event ends the process. The query
  // that was running fails by itself and is answered 503; the pool drops the broken connection and opens
  // new ones once the server is back, so there is nothing more to do here.
  pool.on('error', ignoreLostConnection);
  pool.on('connect', (client) => client.on('error', ignoreLostConnection));
  prepareRepeatedStatements(pool, { onStatement: () => metrics.databaseStatement() });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return buildStorage(db, 'postgres', redactUrl(databaseUrl), {
    poolUse: () => ({ open: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    async drawIds(executor, table, count) {
      const { rows } = await sql<{ id: number }>`select nextval(pg_get_serial_sequence(${table}, 'id')) as id
        from generate_series(1, ${count})`.execute(executor);
      return rows.map((row) => Number(row.id));
    },
  });
}

function ignoreLostConnection(): void {}

/** count(*) and bigint columns come back as strings by default; every number we store fits a double. */
function postgresTypes(driver: typeof pg): pg.TypeOverrides {
  const types = new driver.TypeOverrides();
  types.setTypeParser(driver.types.builtins.INT8, 'text', Number);
  return types;
}

/** Without a group committer every transaction commits on its own, as PostgreSQL's concurrent commits allow. */
function buildStorage(
  db: Kysely<Database>,
  dialect: DialectName,
  location: string,
  parts: Pick<Storage, 'poolUse' | 'drawIds'> & { committer?: GroupCommitter<Database> },
): Storage {
  const { committer } = parts;
  const migrator = () => {
    const migrations = createMigrations(dialect);
    return new Migrator({ db, provider: { getMigrations: () => Promise.resolve(migrations) } });
  };
  return {
    db,
    location,
    transaction: (work) => (committer === undefined ? db.transaction().execute(work) : committer.run(work)),
    async migrate() {
      const { error } = await migrator().migrateToLatest();
      if (error !== undefined) throw error instanceof Error ? error : new Error('Database migration failed');
    },
    async pendingMigrations() {
      const migrations = await migrator().getMigrations();
      return migrations.filter((migration) => migration.executedAt === undefined).length;
    },
    async ping() {
      await sql`select 1`.execute(db);
    },
    poolUse: parts.poolUse,
    drawIds: parts.drawIds,
    combinesChanges: dialect === 'postgres',
    async close() {
      await committer?.settled();
      await db.destroy();
    },
  };
}

/** Connection URLs can carry a password; only the host and database are ever shown. */
function redactUrl(databaseUrl: string): string {
  try {
    const url = new URL(databaseUrl);
    return `postgres://${url.host}${url.pathname}`;
  } catch {
    return 'postgres://(unparseable url)';
  }
}

/** Drivers report constraint failures differently; repositories ask these instead of reading codes. */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

export function isForeignKeyViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '23503' || code === 'SQLITE_CONSTRAINT_FOREIGNKEY';
}
