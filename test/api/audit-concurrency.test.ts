import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { createServer } from '../../src/startup/server.js';
import type { Server } from '../../src/startup/server.js';
import {
  adminCredentials,
  basicAuthorization,
  describeEachDialect,
  testConfig,
} from '../support/test-server.js';
import type { TestServer } from '../support/test-server.js';

interface VerifyResponse {
  Intact: boolean;
  PendingEntries: number;
  EntriesChecked: number;
  Findings: unknown[];
}

const writers = 10;
const changes = 100;

async function createWriters(server: TestServer, prefix: string): Promise<string[]> {
  const names = Array.from({ length: writers }, (_, index) => `${prefix}-${index}`);
  for (const name of names) {
    const response = await server.request('POST', '/strongroom/users', {
      body: { Username: name, Password: 'long-enough-password' },
    });
    assert.equal(response.status, 200, response.text);
  }
  return names;
}

/** A change through one server's HTTP stack; the update is audited in the same transaction. */
async function change(server: Server, name: string, round: number): Promise<number> {
  const response = await server.app.inject({
    method: 'PUT',
    url: `/strongroom/users/${name}`,
    headers: { authorization: basicAuthorization(adminCredentials), 'content-type': 'application/json' },
    payload: JSON.stringify({ Groups: [`round-${round}`] }),
  });
  return response.statusCode;
}

async function verify(server: Server): Promise<VerifyResponse> {
  const response = await server.app.inject({
    method: 'GET',
    url: '/strongroom/audit/verify',
    headers: { authorization: basicAuthorization(adminCredentials) },
  });
  assert.equal(response.statusCode, 200, response.body);
  return JSON.parse(response.body) as VerifyResponse;
}

async function countUpdates(server: TestServer, prefix: string): Promise<number> {
  const row = await server.server.storage.db
    .selectFrom('audit_log')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('operation', '=', 2)
    .where('audit_identifier', 'like', `${prefix}-%`)
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

describeEachDialect('audit chain under concurrent writers', (server) => {
  test('a hundred concurrent changes on one server leave one chain that verifies, with every entry in it', async () => {
    const names = await createWriters(server(), 'busy');
    const statuses = await Promise.all(
      Array.from({ length: changes }, (_, round) =>
        change(server().server, names[round % writers] ?? '', round),
      ),
    );
    assert.deepEqual(new Set(statuses), new Set([200]));
    const report = await verify(server().server);
    assert.equal(report.Intact, true, JSON.stringify(report.Findings));
    assert.equal(report.PendingEntries, 0);
    assert.equal(await countUpdates(server(), 'busy'), changes);
  });

  test('two server processes on one PostgreSQL database append to one chain that verifies', async (context) => {
    if (server().dialect !== 'postgres') {
      context.skip('several server processes share a database only on PostgreSQL');
      return;
    }
    const second = await createServer({
      config: testConfig(server().database),
      logDestination: new Writable({ write: (_chunk, _encoding, callback) => callback() }),
      warn: () => undefined,
    });
    try {
      const names = await createWriters(server(), 'shared');
      const statuses = await Promise.all(
        Array.from({ length: changes }, (_, round) =>
          change(round % 2 === 0 ? server().server : second, names[round % writers] ?? '', round),
        ),
      );
      assert.deepEqual(new Set(statuses), new Set([200]));
      const [fromFirst, fromSecond] = await Promise.all([verify(server().server), verify(second)]);
      for (const report of [fromFirst, fromSecond]) {
        assert.equal(report.Intact, true, JSON.stringify(report.Findings));
        assert.equal(report.PendingEntries, 0);
      }
      assert.equal(fromFirst.EntriesChecked, fromSecond.EntriesChecked);
      assert.equal(await countUpdates(server(), 'shared'), changes);
    } finally {
      await second.close();
    }
  });
});
