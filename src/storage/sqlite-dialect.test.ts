import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, sql } from 'kysely';
import { createSqliteDialect, openSqliteReader } from './sqlite-dialect.js';

interface ItemDatabase {
  items: { name: string };
}

interface Opened {
  db: Kysely<ItemDatabase>;
  reader: BetterSqlite3.Database;
  file: string;
  statements: () => number;
}

function open(directory: string): Opened {
  const file = join(directory, 'items.db');
  const writer = new BetterSqlite3(file);
  writer.pragma('journal_mode = WAL');
  writer.exec('create table if not exists items (name text primary key)');
  const reader = openSqliteReader(writer);
  let statements = 0;
  const db = new Kysely<ItemDatabase>({
    dialect: createSqliteDialect({ writer, reader, onStatement: () => (statements += 1) }),
  });
  return { db, reader, file, statements: () => statements };
}

async function names(db: Kysely<ItemDatabase>): Promise<string[]> {
  const rows = await db.selectFrom('items').select('name').orderBy('name').execute();
  return rows.map((row) => row.name);
}

/** Resolves to whether the event loop turned while `work` ran. */
async function turnedDuring(work: () => Promise<void>): Promise<boolean> {
  let turned = false;
  const marker = setImmediate(() => (turned = true));
  await work();
  clearImmediate(marker);
  return turned;
}

describe('SQLite with a reader beside the writer', () => {
  let directory: string;
  let opened: Opened;

  beforeEach(() => {
    directory = mkdtempSync(join(tmpdir(), 'strongroom-sqlite-dialect-'));
    opened = open(directory);
  });

  afterEach(async () => {
    await opened.db.destroy();
    rmSync(directory, { recursive: true, force: true });
  });

  test('a read made while a transaction is open answers at once, from what was committed', async () => {
    const { db } = opened;
    await db.insertInto('items').values({ name: 'committed' }).execute();
    const transaction = await db.startTransaction().execute();
    await transaction.insertInto('items').values({ name: 'pending' }).execute();
    assert.deepEqual(await names(db), ['committed']);
    await transaction.commit().execute();
    assert.deepEqual(await names(db), ['committed', 'pending']);
  });

  test('a read right after a commit, in the same turn as an earlier read, sees the commit', async () => {
    const { db, reader } = opened;
    const turned = await turnedDuring(async () => {
      assert.deepEqual(await names(db), []);
      assert.equal(reader.inTransaction, true, 'the first read holds a snapshot for the turn');
      await db.transaction().execute((tx) => tx.insertInto('items').values({ name: 'first' }).execute());
      assert.equal(reader.inTransaction, false, 'the commit ended the snapshot');
      assert.deepEqual(await names(db), ['first']);
      await db.insertInto('items').values({ name: 'second' }).execute();
      assert.equal(reader.inTransaction, false, 'a change outside a transaction ended it too');
      assert.deepEqual(await names(db), ['first', 'second']);
    });
    assert.equal(turned, false, 'all of it ran in one turn, so only the commits could end the snapshots');
  });

  test('a snapshot taken while a transaction was open is not read again after it commits', async () => {
    const { db } = opened;
    const transaction = await db.startTransaction().execute();
    await transaction.insertInto('items').values({ name: 'late' }).execute();
    const turned = await turnedDuring(async () => {
      assert.deepEqual(await names(db), []);
      await transaction.commit().execute();
      assert.deepEqual(await names(db), ['late']);
    });
    assert.equal(turned, false);
  });

  test('the snapshot lasts one turn, so a commit by another process is seen from the next turn', async () => {
    const { db, reader, file } = opened;
    const other = new BetterSqlite3(file);
    try {
      assert.deepEqual(await names(db), []);
      other.prepare('insert into items (name) values (?)').run('from-elsewhere');
      assert.deepEqual(await names(db), [], 'within the turn the snapshot stands');
      await nextTurn();
      assert.equal(reader.inTransaction, false);
      assert.deepEqual(await names(db), ['from-elsewhere']);
    } finally {
      other.close();
    }
  });

  test('with no snapshot held at a commit, the checkpoint copies the whole WAL back', async () => {
    const { db, file } = opened;
    for (let index = 0; index < 20; index += 1) {
      await names(db);
      await db
        .insertInto('items')
        .values({ name: `item-${index}` })
        .execute();
    }
    await names(db);
    await db.insertInto('items').values({ name: 'last' }).execute();
    const checkpointer = new BetterSqlite3(file);
    try {
      const [result] = checkpointer.pragma('wal_checkpoint(PASSIVE)') as {
        log: number;
        checkpointed: number;
      }[];
      assert.ok(result !== undefined && result.log > 0);
      assert.equal(result.checkpointed, result.log);
    } finally {
      checkpointer.close();
    }
  });

  test('a transaction begun by hand holds the writer and reads its own changes until it ends', async () => {
    const { db } = opened;
    let outsideWrite: Promise<unknown> | undefined;
    await db.connection().execute(async (connection) => {
      await sql`begin`.execute(connection);
      await connection.insertInto('items').values({ name: 'by-hand' }).execute();
      assert.deepEqual(await names(connection), ['by-hand']);
      assert.deepEqual(await names(db), [], 'other reads see only what is committed');
      outsideWrite = db.insertInto('items').values({ name: 'waited' }).execute();
      await nextTurn();
      assert.deepEqual(await names(connection), ['by-hand'], 'a write from elsewhere waits for the writer');
      await sql`commit`.execute(connection);
    });
    await outsideWrite;
    assert.deepEqual(await names(db), ['by-hand', 'waited']);
  });

  test('a connection given back inside a transaction begun by hand rolls it back and frees the writer', async () => {
    const { db } = opened;
    await db.connection().execute(async (connection) => {
      await sql`begin`.execute(connection);
      await connection.insertInto('items').values({ name: 'abandoned' }).execute();
    });
    await db.insertInto('items').values({ name: 'after' }).execute();
    assert.deepEqual(await names(db), ['after']);
  });

  test('every statement is counted once, wherever it ran', async () => {
    const { db, statements } = opened;
    const before = statements();
    await names(db);
    await db.insertInto('items').values({ name: 'counted' }).returning('name').execute();
    await db.transaction().execute(async (tx) => {
      await tx.insertInto('items').values({ name: 'in-transaction' }).execute();
      await tx.selectFrom('items').selectAll().execute();
    });
    // select, insert, then begin, insert, select, commit.
    assert.equal(statements() - before, 6);
  });

  test('many callers each read their own commit at once while others read and write around them', async () => {
    const { db } = opened;
    const callers = Array.from({ length: 200 }, async (_, index) => {
      const name = `caller-${String(index).padStart(3, '0')}`;
      for (let wait = index % 4; wait > 0; wait -= 1) await nextTurn();
      if (index % 2 === 0) {
        await db.transaction().execute((tx) => tx.insertInto('items').values({ name }).execute());
      } else {
        await db.insertInto('items').values({ name }).execute();
      }
      const found = await db.selectFrom('items').select('name').where('name', '=', name).executeTakeFirst();
      assert.equal(found?.name, name, `${name} did not see its own commit`);
    });
    await Promise.all(callers);
    assert.equal((await names(db)).length, 200);
  });

  test('rows come back as plain objects, a `__proto__` column included, and follow schema changes', async () => {
    const { db, file } = opened;
    await db.insertInto('items').values({ name: 'shaped' }).execute();
    const odd = await sql<Record<string, unknown>>`select 1 as "__proto__", name from items`.execute(db);
    const [oddRow] = odd.rows;
    assert.equal(Object.getPrototypeOf(oddRow), Object.prototype);
    assert.deepEqual(Object.entries(oddRow ?? {}), [
      ['__proto__', 1],
      ['name', 'shaped'],
    ]);
    const everything = () =>
      db.selectFrom('items').selectAll().execute() as Promise<Record<string, unknown>[]>;
    assert.deepEqual(await everything(), [{ name: 'shaped' }]);
    await sql`alter table items add column colour text default 'red'`.execute(db);
    assert.deepEqual(await everything(), [{ name: 'shaped', colour: 'red' }]);
    await sql`alter table items rename column colour to hue`.execute(db);
    assert.deepEqual(await everything(), [{ name: 'shaped', hue: 'red' }]);
    const other = new BetterSqlite3(file);
    try {
      other.exec('alter table items add column size integer default 3');
    } finally {
      other.close();
    }
    await nextTurn();
    assert.deepEqual(await everything(), [{ name: 'shaped', hue: 'red', size: 3 }]);
  });

  test('a COMMIT that fails keeps the writer until its rollback, so a waiting write commits on its own', async () => {
    const { db } = opened;
    await sql`create table parents (id integer primary key)`.execute(db);
    await sql`create table children (parent_id integer references parents (id) deferrable initially deferred)`.execute(
      db,
    );
    await sql`pragma foreign_keys = on`.execute(db);
    const transaction = await db.startTransaction().execute();
    await sql`insert into children (parent_id) values (42)`.execute(transaction);
    const waiting = db.insertInto('items').values({ name: 'waited' }).execute();
    await assert.rejects(transaction.commit().execute(), /FOREIGN KEY/);
    await transaction.rollback().execute();
    await waiting;
    assert.deepEqual(await names(db), ['waited']);
    const children = await sql<{ count: number }>`select count(*) as count from children`.execute(db);
    assert.deepEqual(children.rows, [{ count: 0 }]);
  });
});
