import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import { AppError } from '../errors/app-error.js';
import { parseQueryString } from '../query/query-string-parser.js';
import { compileQueryFilter } from './query-filter.js';
import type { QueryFieldMap } from './query-filter.js';

interface ItemTable {
  id: number;
  name: string;
  description: string | null;
  size: number | null;
  is_enabled: number | null;
  created_at: string | null;
  guid: string | null;
}

interface TestDatabase {
  items: ItemTable;
}

const fields: QueryFieldMap = {
  Name: { column: 'items.name', type: 'string' },
  Description: { column: 'description', type: 'string' },
  Size: { column: 'size', type: 'integer' },
  Enabled: { column: 'is_enabled', type: 'boolean' },
  Created: { column: 'created_at', type: 'date' },
  Guid: { column: 'guid', type: 'guid' },
};

const rows: readonly ItemTable[] = [
  {
    id: 1,
    name: 'Alpha',
    description: 'first 50% off',
    size: 10,
    is_enabled: 1,
    created_at: '2024-01-01T00:00:00.000Z',
    guid: 'aaaaaaaa-0000-0000-0000-000000000001',
  },
  {
    id: 2,
    name: 'alpha_beta',
    description: 'under_score',
    size: 20,
    is_enabled: 0,
    created_at: '2024-01-01T23:59:59.999Z',
    guid: 'AAAAAAAA-0000-0000-0000-000000000002',
  },
  {
    id: 3,
    name: 'alphaXbeta',
    description: '50 percent',
    size: 30,
    is_enabled: 1,
    created_at: '2024-01-02T00:00:00.000Z',
    guid: null,
  },
  { id: 4, name: 'Gamma', description: null, size: null, is_enabled: null, created_at: null, guid: null },
  {
    id: 5,
    name: 'back\\slash',
    description: 'path C:\\Temp',
    size: -5,
    is_enabled: 0,
    created_at: '2023-12-31T23:59:59.999Z',
    guid: 'bbbbbbbb-0000-0000-0000-000000000005',
  },
  {
    id: 6,
    name: `O'Brien "Quoted"`,
    description: 'plain',
    size: 0,
    is_enabled: 1,
    created_at: '2025-06-15T12:30:00.000Z',
    guid: null,
  },
];

/** [query, ids the filter must select, the guarantee the case checks] */
const rowCases: ReadonlyArray<[string, number[], string]> = [
  ['Name -eq "alpha"', [1], 'string equality ignores case'],
  ["name EQ 'ALPHA'", [1], 'field names and operators ignore case'],
  ['Name -ne "alpha"', [2, 3, 4, 5, 6], 'string inequality excludes only the matching row'],
  ['Description -ne "under_score"', [1, 3, 4, 5, 6], '-ne also matches rows whose column is NULL'],
  ['Name -contains "ALPHA"', [1, 2, 3], '-contains ignores case'],
  ['Name -contains "_"', [2], 'an underscore in a value is literal, not a LIKE wildcard'],
  ['Name -startswith "alpha_"', [2], '-startswith treats an underscore literally'],
  ['Description -contains "50%"', [1], 'a percent sign in a value is literal, not a LIKE wildcard'],
  ['Name -contains "k\\s"', [5], 'a backslash in a value is literal, not a LIKE escape'],
  ['Name -endswith \\slash', [5], 'a bare value keeps its backslashes'],
  ['Description -contains "c:\\temp"', [5], 'a value with a backslash still matches case-insensitively'],
  ['Name -endswith "BETA"', [2, 3], '-endswith ignores case'],
  ['Description -notcontains "50"', [2, 4, 5, 6], '-notcontains also matches rows whose column is NULL'],
  [`Name -eq 'o''brien "quoted"'`, [6], 'escaped quotes reach the database as literal quotes'],
  ['Name -eq "%"', [], 'a percent sign is not a wildcard for -eq'],
  ['Description -eq NULL', [4], '-eq NULL selects rows with no value'],
  ['Description -ne null', [1, 2, 3, 5, 6], '-ne NULL selects rows with a value'],
  ['Description -eq "NULL"', [], 'a quoted "NULL" is text, not a null test'],
  ['Size -gt 10', [2, 3], 'integer -gt compares numerically'],
  ['Size -le 10', [1, 5, 6], 'integer -le includes the bound and negative values'],
  ['Size -lt -1', [5], 'negative integer literals are accepted'],
  ['Size -eq "20"', [2], 'a quoted integer is accepted'],
  ['Size -ne 20', [1, 3, 4, 5, 6], 'integer -ne also matches NULL'],
  ['Size -ge 0', [1, 2, 3, 6], 'integer comparisons never match NULL'],
  ['Size -lt 2147483647', [1, 2, 3, 5, 6], 'the largest int32 is accepted'],
  ['Size -gt -2147483648', [1, 2, 3, 5, 6], 'the smallest int32 is accepted'],
  ['Size -eq +20', [2], 'an explicit plus sign is accepted'],
  ['Size -eq 000000000020', [2], 'leading zeros are accepted'],
  ['Enabled -eq true', [1, 3, 6], 'boolean true matches stored 1'],
  ['Enabled -eq FALSE', [2, 5], 'boolean keywords ignore case'],
  ['Enabled -eq "0"', [2, 5], 'boolean 0 means false'],
  ['Enabled -ne true', [2, 4, 5], 'boolean -ne also matches NULL'],
  ['Enabled -eq NULL', [4], 'boolean -eq NULL selects rows with no value'],
  ['Created -eq 2024-01-01', [1, 2], 'a date-only -eq covers the whole UTC day'],
  ['Created -ne 2024-01-01', [3, 4, 5, 6], 'a date-only -ne excludes the whole day and keeps NULL'],
  ['Created -lt 2024-01-01', [5], 'a date-only -lt is before the day starts'],
  ['Created -le 2024-01-01', [1, 2, 5], 'a date-only -le includes the last millisecond of the day'],
  ['Created -gt 2024-01-01', [3, 6], 'a date-only -gt is after the day ends'],
  ['Created -ge 2024-01-02', [3, 6], 'a date-only -ge includes the start of the day'],
  ['Created -eq 2024-01-01T00:00:00Z', [1], 'a date-time -eq matches one instant'],
  ['Created -eq "2024-01-01T01:00:00+01:00"', [1], 'a date-time offset is converted to UTC'],
  ['Created -eq 2024-01-01T00:00', [1], 'a date-time without an offset is read as UTC'],
  ['Created -lt 2024-01-01T23:59:59.999Z', [1, 5], 'a date-time -lt excludes the instant itself'],
  ['Created -gt 9999-12-31', [], 'the last representable day compares correctly'],
  ['Created -le 9999-12-31', [1, 2, 3, 5, 6], 'the last representable day includes every stored date'],
  ['Guid -eq "AAAAAAAA-0000-0000-0000-000000000001"', [1], 'GUIDs compare without regard to case'],
  [
    'Guid -eq aaaaaaaa000000000000000000000002',
    [2],
    'a GUID without dashes matches a stored upper-case GUID',
  ],
  ['Guid -eq {bbbbbbbb-0000-0000-0000-000000000005}', [5], 'a braced GUID is accepted'],
  ['Guid -ne aaaaaaaa-0000-0000-0000-000000000001', [2, 3, 4, 5, 6], 'GUID -ne also matches NULL'],
  ['Name -eq "Gamma" OR Size -gt 10 AND Enabled -eq true', [3, 4], 'AND binds tighter than OR'],
  ['(Name -eq "Gamma" OR Size -gt 10) AND Enabled -eq true', [3], 'parentheses override precedence'],
  ['Size -gt 10 AND Size -lt 30 OR Name -eq "gamma"', [2, 4], 'AND groups before a following OR'],
  [
    'Name -contains "alpha" AND (Enabled -eq false OR (Created -ge 2024-01-02 AND Size -ge 30))',
    [2, 3],
    'nested parentheses group correctly',
  ],
  [`Name -eq "x' OR '1'='1"`, [], 'quote characters in a value cannot change the SQL'],
  [`Name -eq "'; DROP TABLE items; --"`, [], 'a value shaped like SQL is only a value'],
];

/** [query, message part] for filters that must be rejected before reaching the database. */
const rejectedCases: ReadonlyArray<[string, string]> = [
  ['Foo -eq 1', "unknown field 'Foo'; allowed fields are Created, Description, Enabled, Guid, Name, Size"],
  ['Name -lt "b"', "field 'Name' does not support -lt; use one of -eq, -ne, -contains"],
  ['Name -ge "b"', "field 'Name' does not support -ge"],
  ['Size -contains 1', "field 'Size' does not support -contains; use one of -eq, -ne, -lt, -le, -gt, -ge"],
  ['Size -eq 1.5', "field 'Size' expects an integer between -2147483648 and 2147483647, found '1.5'"],
  ['Size -lt 2147483648', "found '2147483648'"],
  ['Size -gt -2147483649', "found '-2147483649'"],
  ['Size -eq 99999999999999999999999', "found '99999999999999999999999'"],
  ['Size -eq abc', "field 'Size' expects an integer"],
  ['Size -eq ""', "field 'Size' expects an integer"],
  ['Enabled -eq yes', "field 'Enabled' expects true or false, found 'yes'"],
  ['Enabled -gt 0', "field 'Enabled' does not support -gt; use one of -eq, -ne"],
  ['Created -eq 2024-02-30', "field 'Created' expects an ISO-8601 date or date-time"],
  ['Created -eq 2023-02-29', "field 'Created' expects an ISO-8601 date"],
  ['Created -eq 2024-01-01T24:00:00Z', "field 'Created' expects an ISO-8601 date"],
  ['Created -eq yesterday', "found 'yesterday'"],
  ['Created -eq 1', "found '1'"],
  ['Created -gt 9999-12-31T23:00:00-02:00', "field 'Created' expects an ISO-8601 date"],
  ['Created -contains 2024', "field 'Created' does not support -contains"],
  ['Guid -eq not-a-guid', "field 'Guid' expects a GUID, found 'not-a-guid'"],
  ['Guid -eq {aaaaaaaa-0000-0000-0000-000000000001', "field 'Guid' expects a GUID"],
  ['Guid -contains "a"', "field 'Guid' does not support -contains"],
  ['Description -contains NULL', 'NULL can only be compared with -eq or -ne, not -contains'],
  ['Size -gt NULL', 'NULL can only be compared with -eq or -ne, not -gt'],
  ['Name -eq "x" OR Bar -eq 1', "unknown field 'Bar'"],
];

interface DialectCase {
  name: string;
  placeholder: string;
  open: () => Promise<{ db: Kysely<TestDatabase>; close: () => Promise<void> }>;
}

const postgresUrl = process.env['STRONGROOM_TEST_DATABASE_URL'];

const sqliteCase: DialectCase = {
  name: 'SQLite',
  placeholder: '?',
  open: () => {
    const db = new Kysely<TestDatabase>({
      dialect: new SqliteDialect({ database: new Database(':memory:') }),
    });
    return Promise.resolve({ db, close: () => db.destroy() });
  },
};

function postgresCase(connectionString: string): DialectCase {
  return {
    name: 'PostgreSQL',
    placeholder: '$1',
    open: async () => {
      const schema = `query_filter_test_${process.pid}_${Date.now()}`;
      // The schema is created before any connection needs it, and search_path routes unqualified tables there.
      const db = new Kysely<TestDatabase>({
        dialect: new PostgresDialect({
          pool: new pg.Pool({ connectionString, max: 2, options: `-c search_path=${schema}` }),
        }),
      });
      await sql`create schema ${sql.id(schema)}`.execute(db);
      return {
        db,
        close: async () => {
          await sql`drop schema ${sql.id(schema)} cascade`.execute(db);
          await db.destroy();
        },
      };
    },
  };
}

async function createItems(db: Kysely<TestDatabase>): Promise<void> {
  await db.schema
    .createTable('items')
    .addColumn('id', 'integer', (column) => column.primaryKey())
    .addColumn('name', 'text', (column) => column.notNull())
    .addColumn('description', 'text')
    .addColumn('size', 'integer')
    .addColumn('is_enabled', 'integer')
    .addColumn('created_at', 'text')
    .addColumn('guid', 'text')
    .execute();
  await db.insertInto('items').values(rows).execute();
}

function selectIds(db: Kysely<TestDatabase>, query: string) {
  const expression = parseQueryString(query);
  assert.ok(expression !== undefined);
  return db.selectFrom('items').select('id').where(compileQueryFilter(expression, fields)).orderBy('id');
}

const dialectCases: ReadonlyArray<{ dialect: DialectCase; skip: string | false }> = [
  { dialect: sqliteCase, skip: false },
  postgresUrl === undefined || postgresUrl === ''
    ? { dialect: postgresCase(''), skip: 'STRONGROOM_TEST_DATABASE_URL is not set' }
    : { dialect: postgresCase(postgresUrl), skip: false },
];

for (const { dialect, skip } of dialectCases) {
  describe(`compileQueryFilter on ${dialect.name}`, { skip }, () => {
    let db: Kysely<TestDatabase>;
    let close: () => Promise<void>;

    before(async () => {
      ({ db, close } = await dialect.open());
      await createItems(db);
    });

    after(async () => {
      await close();
    });

    for (const [query, expectedIds, guarantee] of rowCases) {
      test(`${guarantee}: ${query}`, async () => {
        const selected = await selectIds(db, query).execute();
        assert.deepEqual(
          selected.map((row) => row.id),
          expectedIds,
        );
      });
    }

    test('binds every value as a parameter and never writes it into the SQL text', () => {
      const compiled = selectIds(
        db,
        `Name -contains "probe%value" AND Size -gt 41 AND Created -ge 2024-03-04 AND Guid -eq ` +
          `"CCCCCCCC-0000-0000-0000-000000000009" AND Enabled -eq true`,
      ).compile();
      assert.ok(compiled.sql.includes(dialect.placeholder), compiled.sql);
      for (const raw of ['probe', '41', '2024-03-04', 'cccccccc', 'CCCCCCCC']) {
        assert.ok(!compiled.sql.includes(raw), `${raw} appears in ${compiled.sql}`);
      }
      assert.deepEqual(compiled.parameters, [
        '%probe\\%value%',
        41,
        '2024-03-04T00:00:00.000Z',
        'cccccccc-0000-0000-0000-000000000009',
        1,
      ]);
    });

    test('leaves the table intact after a value shaped like SQL', async () => {
      await selectIds(db, `Name -eq "x'; DELETE FROM items; --"`).execute();
      const { count } = await db
        .selectFrom('items')
        .select((eb) => eb.fn.countAll<number | string>().as('count'))
        .executeTakeFirstOrThrow();
      assert.equal(Number(count), rows.length);
    });
  });
}

describe('compileQueryFilter validation', () => {
  for (const [query, messagePart] of rejectedCases) {
    test(`rejects ${query} with a validation error naming the problem`, () => {
      const expression = parseQueryString(query);
      assert.ok(expression !== undefined);
      assert.throws(
        () => compileQueryFilter(expression, fields),
        (err: unknown) => {
          assert.ok(err instanceof AppError, `expected an AppError, got ${String(err)}`);
          assert.equal(err.code, 'validation');
          assert.ok(err.message.startsWith('QueryString: '), err.message);
          assert.ok(err.message.includes(messagePart), `'${err.message}' should include '${messagePart}'`);
          return true;
        },
      );
    });
  }

  test('matches field names without regard to case but reports them as the caller wrote them', () => {
    const expression = parseQueryString('sIzE -contains 1');
    assert.ok(expression !== undefined);
    assert.throws(() => compileQueryFilter(expression, fields), /field 'sIzE' does not support -contains/);
  });

  test('resolves fields only through the whitelist, so a column name is not a field', () => {
    const expression = parseQueryString('is_enabled -eq 1');
    assert.ok(expression !== undefined);
    assert.throws(() => compileQueryFilter(expression, fields), /unknown field 'is_enabled'/);
  });
});
