import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { prepareRepeatedStatements } from './postgres-prepared-statements.js';

const databaseUrl = process.env.STRONGROOM_TEST_DATABASE_URL;
const skip = databaseUrl === undefined && 'STRONGROOM_TEST_DATABASE_URL is not set';

// One connection, so what it has prepared can be read back from pg_prepared_statements.
let pool: pg.Pool;
before(() => {
  if (databaseUrl === undefined) return;
  pool = new pg.Pool({ connectionString: databaseUrl, max: 1 });
  prepareRepeatedStatements(pool, { perConnection: 2 });
});
after(async () => {
  await pool?.end();
});

async function sum(text: string, value: number): Promise<number> {
  const { rows } = await pool.query<{ sum: number }>(text, [value]);
  return rows[0]?.sum ?? Number.NaN;
}

async function preparedTexts(): Promise<string[]> {
  const { rows } = await pool.query<{ statement: string }>(
    'select statement from pg_prepared_statements order by statement',
  );
  return rows.map((row) => row.statement);
}

test('a text is prepared the second time it runs, and answers the same every time', { skip }, async () => {
  const add = 'select $1::int + 1 as sum';
  assert.equal(await sum(add, 1), 2);
  assert.deepEqual(await preparedTexts(), []);
  assert.equal(await sum(add, 2), 3);
  assert.equal(await sum(add, 3), 4);
  assert.deepEqual(await preparedTexts(), [add]);
});

test('a connection prepares no more texts than its bound; the rest still run', { skip }, async () => {
  const texts = ['select $1::int + 2 as sum', 'select $1::int + 3 as sum'];
  for (const text of texts) {
    for (const value of [1, 1]) assert.ok(Number.isInteger(await sum(text, value)));
  }
  const prepared = await preparedTexts();
  assert.equal(prepared.length, 2);
  assert.ok(prepared.includes('select $1::int + 1 as sum'));
  assert.equal(await sum('select $1::int + 3 as sum', 5), 8);
});
