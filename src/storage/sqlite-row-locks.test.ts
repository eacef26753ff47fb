import assert from 'node:assert/strict';
import { test } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { sqliteRowLocks } from './sqlite-row-locks.js';

interface RowDatabase {
  rows: { id: number; name: string };
}

test('SQLite runs a locking select without its lock clause, and leaves other modifiers alone', async () => {
  const connection = new BetterSqlite3(':memory:');
  connection.exec("create table rows (id integer primary key, name text); insert into rows values (1, 'a')");
  const db = new Kysely<RowDatabase>({
    dialect: new SqliteDialect({ database: connection }),
    plugins: [sqliteRowLocks],
  });
  const locking = db.selectFrom('rows').select('name').where('id', '=', 1).forNoKeyUpdate();
  assert.equal(locking.compile().sql, 'select "name" from "rows" where "id" = ?');
  assert.deepEqual(await locking.execute(), [{ name: 'a' }]);
  assert.equal(
    db.selectFrom('rows').select('name').forUpdate().skipLocked().compile().sql,
    'select "name" from "rows"',
  );
  assert.equal(
    db.selectFrom('rows').select('name').distinct().compile().sql,
    'select distinct "name" from "rows"',
  );
  await db.destroy();
});
