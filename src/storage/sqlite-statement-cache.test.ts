import assert from 'node:assert/strict';
import { test } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { withStatementCache } from './sqlite-statement-cache.js';

function countingConnection(): { connection: BetterSqlite3.Database; prepared: string[] } {
  const connection = new BetterSqlite3(':memory:');
  connection.exec('create table numbers (value integer); insert into numbers values (1), (2), (3);');
  const prepared: string[] = [];
  const prepare = connection.prepare.bind(connection);
  connection.prepare = (source: string) => {
    prepared.push(source);
    return prepare(source);
  };
  return { connection, prepared };
}

test('prepares each distinct statement once and reuses it', () => {
  const { connection, prepared } = countingConnection();
  const database = withStatementCache(connection);
  for (let round = 0; round < 3; round += 1) {
    assert.deepEqual(database.prepare('select value from numbers where value = ?').all([2]), [{ value: 2 }]);
    database.prepare('insert into numbers values (?)').run([round + 10]);
  }
  assert.deepEqual(prepared, ['select value from numbers where value = ?', 'insert into numbers values (?)']);
  database.close();
});

test('forgets the least recently used statement beyond its capacity', () => {
  const { connection, prepared } = countingConnection();
  const database = withStatementCache(connection, { capacity: 2 });
  database.prepare('select 1');
  database.prepare('select 2');
  database.prepare('select 1');
  database.prepare('select 3');
  database.prepare('select 1');
  database.prepare('select 2');
  assert.deepEqual(prepared, ['select 1', 'select 2', 'select 3', 'select 2']);
  database.close();
});

test('a statement that is still being iterated is not handed out again', () => {
  const { connection } = countingConnection();
  const database = withStatementCache(connection);
  const source = 'select value from numbers order by value';
  const iterator = database.prepare(source).iterate([]);
  assert.deepEqual(iterator.next().value, { value: 1 });
  assert.deepEqual(database.prepare(source).all([]), [{ value: 1 }, { value: 2 }, { value: 3 }]);
  assert.deepEqual([...iterator], [{ value: 2 }, { value: 3 }]);
  database.close();
});
