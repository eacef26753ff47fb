import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import pg from 'pg';
import { AppError } from '../errors/app-error.js';
import { isDatabaseUnavailable } from './database-availability.js';

/** A loopback port nothing listens on, so connecting to it is refused. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolveListen) => probe.listen(0, '127.0.0.1', resolveListen));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolveClose) => probe.close(() => resolveClose()));
  return port;
}

test('a refused connection, as node-postgres reports it, means the database is unavailable', async () => {
  const client = new pg.Client({ host: '127.0.0.1', port: await closedPort(), user: 'nobody' });
  const failure: unknown = await client.connect().then(
    () => undefined,
    (error: unknown) => error,
  );
  assert.ok(failure instanceof Error);
  assert.equal(isDatabaseUnavailable(failure), true);
});

test('server shutdown, recovery, standby and connection-class SQLSTATEs mean unavailable', () => {
  for (const code of ['57P01', '57P02', '57P03', '53300', '25006', '08006', '08001', '08P01']) {
    assert.equal(isDatabaseUnavailable(Object.assign(new Error('server said no'), { code })), true, code);
  }
});

test("node-postgres's code-less messages for a lost connection mean unavailable", () => {
  for (const message of [
    'Connection terminated unexpectedly',
    'Connection terminated due to connection timeout',
    'timeout exceeded when trying to connect',
    'Client has encountered a connection error and is not queryable',
  ]) {
    assert.equal(isDatabaseUnavailable(new Error(message)), true, message);
  }
});

test('a failure wrapped as a cause or inside an AggregateError is still recognised', () => {
  const refused = Object.assign(new Error('connect ECONNREFUSED ::1:5432'), { code: 'ECONNREFUSED' });
  assert.equal(isDatabaseUnavailable(new AggregateError([refused], 'all addresses failed')), true);
  assert.equal(isDatabaseUnavailable(new Error('query failed', { cause: refused })), true);
});

test('failures of the request itself are not mistaken for an unavailable database', () => {
  const notUnavailable: unknown[] = [
    Object.assign(new Error('duplicate key value'), { code: '23505' }),
    Object.assign(new Error('syntax error'), { code: '42601' }),
    Object.assign(new Error('could not serialize access'), { code: '40001' }),
    Object.assign(new Error('UNIQUE constraint failed'), { code: 'SQLITE_CONSTRAINT_UNIQUE' }),
    new AppError('internal', 'A stored secret could not be decrypted'),
    new TypeError('cannot read properties of undefined'),
    'Connection terminated unexpectedly',
    undefined,
    null,
  ];
  for (const error of notUnavailable) assert.equal(isDatabaseUnavailable(error), false, String(error));
});

test('a cycle of causes ends the search instead of recursing forever', () => {
  const first = new Error('first');
  const second = new Error('second', { cause: first });
  (first as { cause?: unknown }).cause = second;
  assert.equal(isDatabaseUnavailable(first), false);
});
