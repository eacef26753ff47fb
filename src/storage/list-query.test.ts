import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import { AppError } from '../errors/app-error.js';
import type { ListRequest, ListSpec } from './list-query.js';
import { applyListRequest } from './list-query.js';

interface Tables {
  items: { id: number; name: string; note: string | null };
}

const spec: ListSpec = {
  fields: {
    Name: { column: 'name', type: 'string' },
    Note: { column: 'note', type: 'string', nullable: true },
  },
  defaultSort: 'Name',
  tieBreaker: 'id',
};

const rows = [
  { id: 1, name: 'delta', note: 'b' },
  { id: 2, name: 'alpha', note: null },
  { id: 3, name: 'charlie', note: 'a' },
  { id: 4, name: 'bravo', note: null },
  { id: 5, name: 'echo', note: 'c' },
];

const databases: { name: string; open: () => Promise<{ db: Kysely<Tables>; close: () => Promise<void> }> }[] =
  [
    {
      name: 'sqlite',
      open: async () => {
        const db = new Kysely<Tables>({ dialect: new SqliteDialect({ database: new Database(':memory:') }) });
        return { db, close: () => db.destroy() };
      },
    },
  ];
const postgresUrl = process.env.STRONGROOM_TEST_DATABASE_URL;
if (postgresUrl !== undefined && postgresUrl !== '') {
  databases.push({
    name: 'postgres',
    open: async () => {
      const schema = `list_query_${randomBytes(4).toString('hex')}`;
      const admin = new Kysely<Tables>({
        dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: postgresUrl, max: 1 }) }),
      });
      await sql`create schema ${sql.id(schema)}`.execute(admin);
      await admin.destroy();
      const db = new Kysely<Tables>({
        dialect: new PostgresDialect({
          pool: new pg.Pool({ connectionString: postgresUrl, max: 2, options: `-c search_path=${schema}` }),
        }),
      });
      return {
        db,
        close: async () => {
          await sql`drop schema ${sql.id(schema)} cascade`.execute(db);
          await db.destroy();
        },
      };
    },
  });
}

for (const database of databases) {
  describe(`list requests [${database.name}]`, () => {
    let db: Kysely<Tables>;
    let close: () => Promise<void>;
    before(async () => {
      ({ db, close } = await database.open());
      await db.schema
        .createTable('items')
        .addColumn('id', 'integer', (column) => column.primaryKey())
        .addColumn('name', 'text', (column) => column.notNull())
        .addColumn('note', 'text')
        .execute();
      await db.insertInto('items').values(rows).execute();
    });
    after(async () => close());

    const ids = async (request: ListRequest) =>
      (await applyListRequest(db.selectFrom('items').select('id'), request, spec).execute()).map(
        (row) => row.id,
      );

    test('sorts by the default field when none is named', async () => {
      assert.deepEqual(await ids({}), [2, 4, 3, 1, 5]);
    });

    test('SortAscending 1 means descending, as in Keyfactor', async () => {
      assert.deepEqual(await ids({ sortAscending: 1 }), [5, 1, 3, 4, 2]);
    });

    test('NULLs come first ascending and last descending on every database', async () => {
      assert.deepEqual(await ids({ sortField: 'note' }), [2, 4, 3, 1, 5]);
      assert.deepEqual(await ids({ sortField: 'NOTE', sortAscending: 1 }), [5, 1, 3, 4, 2]);
    });

    test('pages do not overlap and together cover every row', async () => {
      const pages = await Promise.all([1, 2, 3].map((page) => ids({ returnLimit: 2, pageReturned: page })));
      assert.deepEqual(pages, [[2, 4], [3, 1], [5]]);
    });

    test('filters with the QueryString language before paging', async () => {
      assert.deepEqual(await ids({ queryString: 'Note -ne NULL', returnLimit: 2 }), [3, 1]);
    });

    test('a sort field outside the whitelist is a validation error naming the allowed fields', () => {
      assert.throws(
        () => applyListRequest(db.selectFrom('items').select('id'), { sortField: 'id' }, spec),
        (error: unknown) =>
          error instanceof AppError && error.code === 'validation' && /Name, Note/.test(error.message),
      );
    });
  });
}
