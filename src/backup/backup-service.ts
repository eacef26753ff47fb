import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { unwrapDataKey } from '../crypto/data-key-wrap.js';
import { keyCheckValue } from '../crypto/master-key.js';
import { readAuditChain } from '../modules/audit/audit-repository.js';
import type { AuditVerificationReport } from '../modules/audit/audit-verifier.js';
import { verifyAuditChain } from '../modules/audit/audit-verifier.js';
import { loadAuditMacKey } from '../startup/key-setup.js';
import type { Database } from '../storage/database-schema.js';
import { createMigrations } from '../storage/migrations.js';
import type { DatabaseExecutor, DialectName, Storage } from '../storage/storage.js';
import type { ArchiveHeader } from './backup-archive.js';
import {
  ArchiveError,
  archiveFormat,
  archiveFormatVersion,
  archiveNotice,
  createArchiveWriter,
  readArchive,
} from './backup-archive.js';
import type { BackupTable } from './backup-tables.js';
import { backupTables } from './backup-tables.js';

export interface BackupProgress {
  done: number;
  total: number;
}

const pageSize = 1000;
const insertBatchSize = 100;

function keyTuple(table: BackupTable) {
  const refs = table.keyColumns.map((name) => sql.ref(name));
  return refs.length === 1 ? refs[0] : sql`(${sql.join(refs)})`;
}

async function* readTable(db: DatabaseExecutor, table: BackupTable): AsyncGenerator<Record<string, unknown>> {
  let after: unknown[] | undefined;
  const order = sql.join(table.keyColumns.map((name) => sql.ref(name)));
  for (;;) {
    const values = after?.map((value) => sql`${value}`) ?? [];
    const where =
      after === undefined
        ? sql``
        : sql`where ${keyTuple(table)} > ${values.length === 1 ? values[0] : sql`(${sql.join(values)})`}`;
    const { rows } = await sql<Record<string, unknown>>`select * from ${sql.table(table.name)} ${where}
      order by ${order} limit ${pageSize}`.execute(db);
    if (rows.length === 0) return;
    for (const row of rows) yield row;
    const last = rows.at(-1) as Record<string, unknown>;
    after = table.keyColumns.map((name) => last[name]);
    if (rows.length < pageSize) return;
  }
}

async function countRows(db: DatabaseExecutor, table: string): Promise<number> {
  const { rows } = await sql<{
    count: number | string;
  }>`select count(*) as count from ${sql.table(table)}`.execute(db);
  return Number(rows[0]?.count ?? 0);
}

async function appliedMigrations(db: DatabaseExecutor): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(db);
  return rows.map((row) => row.name);
}

/** Writes the whole snapshot `db` sees to the archive. */
async function writeSnapshot(
  db: DatabaseExecutor,
  dialect: DialectName,
  destination: Writable,
  now: () => Date,
  onProgress: ((progress: BackupProgress) => void) | undefined,
): Promise<{ rows: number; header: ArchiveHeader }> {
  const check = await db
    .selectFrom('strongroom_meta')
    .select('value')
    .where('key', '=', 'master_key_check')
    .executeTakeFirst();
  if (check === undefined)
    throw new ArchiveError('The database has never been started: there is nothing to back up');
  const tables: { name: string; rows: number }[] = [];
  for (const table of backupTables) tables.push({ name: table.name, rows: await countRows(db, table.name) });
  const header: ArchiveHeader = {
    format: archiveFormat,
    formatVersion: archiveFormatVersion,
    notice: archiveNotice,
    createdAt: now().toISOString(),
    sourceDialect: dialect,
    masterKeyCheck: check.value,
    migrations: await appliedMigrations(db),
    tables,
  };
  const total = tables.reduce((sum, table) => sum + table.rows, 0);
  const writer = createArchiveWriter(destination, header);
  let done = 0;
  onProgress?.({ done, total });
  for (const table of backupTables) {
    for await (const row of readTable(db, table)) {
      await writer.writeRow(table.name, row);
      done += 1;
      if (done % pageSize === 0) onProgress?.({ done, total: Math.max(total, done) });
    }
  }
  onProgress?.({ done, total: done });
  const { rows } = await writer.finish();
  return { rows, header };
}

/**
 * A consistent snapshot while the server keeps serving. SQLite: the online backup API copies the database
 * to a temporary file page by page (writers are not blocked for the whole copy), and the copy is read.
 * PostgreSQL: every table is read in one repeatable-read transaction, so all reads see one moment.
 */
export async function createBackup(options: {
  storage: Storage;
  dialect: DialectName;
  destination: Writable;
  now?: () => Date;
  onProgress?: (progress: BackupProgress) => void;
}): Promise<{ rows: number; header: ArchiveHeader }> {
  const now = options.now ?? (() => new Date());
  if (options.dialect === 'postgres') {
    return options.storage.db
      .transaction()
      .setIsolationLevel('repeatable read')
      .execute((tx) => writeSnapshot(tx, 'postgres', options.destination, now, options.onProgress));
  }
  const copyPath = join(tmpdir(), `strongroom-backup-${randomBytes(8).toString('hex')}.db`);
  const live = new BetterSqlite3(options.storage.location, { readonly: true, fileMustExist: true });
  try {
    await live.backup(copyPath);
  } finally {
    live.close();
  }
  const copy = new Kysely<Database>({
    dialect: new SqliteDialect({ database: new BetterSqlite3(copyPath, { readonly: true }) }),
  });
  try {
    return await writeSnapshot(copy, 'sqlite', options.destination, now, options.onProgress);
  } finally {
    await copy.destroy();
    rmSync(copyPath, { force: true });
  }
}

export interface RestoreReport {
  rows: number;
  header: ArchiveHeader;
  audit: AuditVerificationReport;
}

/**
 * Restores an archive into an empty database. Nothing is written until the archive has been read once in
 * full and its checksum, format, migrations and key check value all match; the rows then go in one
 * transaction, so a failure leaves the target as empty as it was.
 */
export async function restoreBackup(options: {
  storage: Storage;
  dialect: DialectName;
  masterKey: Buffer;
  /** Opened twice: once to check the archive, once to restore it. */
  openArchive: () => Readable;
  onProgress?: (progress: BackupProgress & { phase: 'checking' | 'restoring' }) => void;
}): Promise<RestoreReport> {
  const { storage, dialect, masterKey } = options;
  let checked = 0;
  const { header, rows } = await readArchive(options.openArchive(), {
    onRow: () => {
      checked += 1;
      if (checked % pageSize === 0)
        options.onProgress?.({ phase: 'checking', done: checked, total: checked });
    },
  });
  if (header.masterKeyCheck !== keyCheckValue(masterKey)) {
    throw new ArchiveError(
      'The archive was made with another master key: set STRONGROOM_MASTER_KEY (or the key file) to the key of the database it was taken from. Nothing was written',
    );
  }
  const known = Object.keys(createMigrations(dialect)).sort();
  if (JSON.stringify([...header.migrations].sort()) !== JSON.stringify(known)) {
    throw new ArchiveError(
      `The archive was taken at schema migrations [${header.migrations.join(', ')}] but this Strongroom has [${known.join(', ')}]; restore it with the version that wrote it. Nothing was written`,
    );
  }
  const expectedTables = backupTables.map((table) => table.name);
  const archivedTables = header.tables.map((table) => table.name);
  if (JSON.stringify(archivedTables) !== JSON.stringify(expectedTables)) {
    throw new ArchiveError(
      'The archive lists other tables than this Strongroom restores. Nothing was written',
    );
  }

  await storage.migrate();
  for (const table of backupTables) {
    if (table.seededByMigrations === true) continue;
    const count = await countRows(storage.db, table.name);
    if (count > 0) {
      throw new ArchiveError(
        `The target database ${storage.location} is not empty (${table.name} has ${count} rows); restore only into an empty database. Nothing was written`,
      );
    }
  }

  const byName = new Map(backupTables.map((table) => [table.name, table]));
  let done = 0;
  await storage.db.transaction().execute(async (tx) => {
    for (const table of backupTables) {
      if (table.seededByMigrations === true) await sql`delete from ${sql.table(table.name)}`.execute(tx);
    }
    let batch: { table: string; rows: Record<string, unknown>[] } = { table: '', rows: [] };
    const flush = async () => {
      if (batch.rows.length === 0) return;
      await tx
        .insertInto(batch.table as keyof Database)
        .values(batch.rows)
        .execute();
      done += batch.rows.length;
      options.onProgress?.({ phase: 'restoring', done, total: rows });
      batch = { table: '', rows: [] };
    };
    await readArchive(options.openArchive(), {
      onRow: async ({ table, row }) => {
        if (!byName.has(table))
          throw new ArchiveError(`The archive holds rows of an unknown table '${table}'`);
        if (batch.table !== table || batch.rows.length >= insertBatchSize) await flush();
        batch.table = table;
        batch.rows.push(row);
      },
    });
    await flush();
    if (dialect === 'postgres') {
      for (const table of backupTables) {
        if (table.identityColumn === undefined) continue;
        // The sequence must continue after the highest restored id, or the next insert collides with it.
        await sql`select setval(pg_get_serial_sequence(${table.name}, ${table.identityColumn}),
          coalesce((select max(${sql.ref(table.identityColumn)}) from ${sql.table(table.name)}), 0) + 1, false)`.execute(
          tx,
        );
      }
    }
  });

  // The data keys must open with this master key, and the audit chain must verify, or the restore is reported
  // as failed (the rows stay, so the operator can inspect them).
  const keys = await storage.db.selectFrom('data_keys').selectAll().execute();
  for (const key of keys) unwrapDataKey(masterKey, Buffer.from(key.wrapped_key), Number(key.key_version));
  const audit = await verifyAuditChain(
    readAuditChain(storage.db, { batchSize: 5000 }),
    await loadAuditMacKey(storage.db, masterKey),
  );
  return { rows, header, audit };
}
