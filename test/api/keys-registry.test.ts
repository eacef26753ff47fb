import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sql } from 'kysely';
import { backupTables } from '../../src/backup/backup-tables.js';
import { sealedColumns, unsealedBinaryColumns } from '../../src/modules/keys/sealed-column-registry.js';
import { describeEachDialect } from '../support/test-server.js';

/** Tables Kysely keeps for its own migration bookkeeping, and SQLite's own. */
const bookkeeping = /^(kysely_|sqlite_)/;

describeEachDialect('registries of tables and sealed columns', (server) => {
  async function tablesAndBinaryColumns(): Promise<{ tables: string[]; binary: string[] }> {
    const { db } = server().server.storage;
    if (server().dialect === 'postgres') {
      const tables = await sql<{ name: string }>`select table_name as name from information_schema.tables
        where table_schema = current_schema() and table_type = 'BASE TABLE'`.execute(db);
      const binary = await sql<{ name: string }>`select table_name || '.' || column_name as name
        from information_schema.columns where table_schema = current_schema() and data_type = 'bytea'`.execute(
        db,
      );
      return { tables: tables.rows.map((row) => row.name), binary: binary.rows.map((row) => row.name) };
    }
    const tables = await sql<{ name: string }>`select name from sqlite_master where type = 'table'`.execute(
      db,
    );
    const binary = await sql<{ name: string }>`select m.name || '.' || c.name as name
      from sqlite_master m join pragma_table_info(m.name) c
      where m.type = 'table' and lower(c.type) = 'blob'`.execute(db);
    return { tables: tables.rows.map((row) => row.name), binary: binary.rows.map((row) => row.name) };
  }

  test('every table in the database is in the backup list, and every listed table exists', async () => {
    const { tables } = await tablesAndBinaryColumns();
    const present = tables.filter((name) => !bookkeeping.test(name)).sort();
    const listed = backupTables.map((table) => table.name).sort();
    assert.deepEqual(
      present.filter((name) => !listed.includes(name)),
      [],
      'add these tables to src/backup/backup-tables.ts',
    );
    assert.deepEqual(
      listed.filter((name) => !present.includes(name)),
      [],
      'these listed tables do not exist',
    );
  });

  test('every binary column is a registered sealed column or declared as holding no sealed value', async () => {
    const { binary } = await tablesAndBinaryColumns();
    const known = new Set([
      ...sealedColumns
        .filter((column) => column.form === 'sealed')
        .map((column) => `${column.table}.${column.column}`),
      ...unsealedBinaryColumns.map((column) => `${column.table}.${column.column}`),
    ]);
    assert.deepEqual(
      binary.filter((name) => !known.has(name)).sort(),
      [],
      'add these columns to src/modules/keys/sealed-column-registry.ts so rotation rewraps them',
    );
    for (const name of known)
      assert.ok(binary.includes(name), `${name} is registered but is not a binary column`);
  });
});
