import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createServer } from '../../src/startup/server.js';
import { adminCredentials, createTestDatabase, testConfig, testDialects } from '../support/test-server.js';

const authorization = `Basic ${Buffer.from(`${adminCredentials.username}:${adminCredentials.password}`).toString('base64')}`;

test(
  'two nodes starting at once on one empty PostgreSQL database agree on keys, schema and administrator',
  { skip: !testDialects().includes('postgres') && 'STRONGROOM_TEST_DATABASE_URL is not set' },
  async () => {
    const database = await createTestDatabase('postgres');
    const config = testConfig(database, { logLevel: 'silent' });
    const nodes = await Promise.all([createServer({ config }), createServer({ config })]);
    try {
      const bootstrapped = nodes.filter((node) => node.bootstrap !== undefined);
      assert.ok(bootstrapped.length <= 1, 'only one node may create the administrator');
      const { db } = nodes[0].storage;
      const users = await db.selectFrom('users').select('username').execute();
      assert.deepEqual(
        users.map((user) => user.username),
        [adminCredentials.username],
      );
      const dataKeys = await db.selectFrom('data_keys').select('key_version').execute();
      assert.equal(dataKeys.length, 1);

      // A user created through one node signs in through the other straight away.
      const created = await nodes[0].app.inject({
        method: 'POST',
        url: '/strongroom/users',
        headers: { authorization, 'content-type': 'application/json' },
        payload: JSON.stringify({ Username: 'shared', Password: 'long-enough-password' }),
      });
      assert.equal(created.statusCode, 200);
      const healthCheckOnOtherNode = () =>
        nodes[1].app.inject({
          method: 'GET',
          url: '/KeyfactorAPI/Status/HealthCheck',
          headers: {
            'x-keyfactor-requested-with': 'APIClient',
            authorization: `Basic ${Buffer.from('shared:long-enough-password').toString('base64')}`,
          },
        });
      const viaOther = await healthCheckOnOtherNode();
      assert.equal(viaOther.statusCode, 204);

      // The other node now remembers that caller; removing the user through the first ends that at once.
      const removed = await nodes[0].app.inject({
        method: 'DELETE',
        url: '/strongroom/users/shared',
        headers: { authorization },
      });
      assert.equal(removed.statusCode, 204);
      const afterRemoval = await healthCheckOnOtherNode();
      assert.equal(afterRemoval.statusCode, 401);
    } finally {
      await Promise.all(nodes.map((node) => node.close()));
      await database.drop();
    }
  },
);
