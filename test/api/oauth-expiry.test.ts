import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createServer } from '../../src/startup/server.js';
import { adminCredentials, createTestDatabase, testConfig, testDialects } from '../support/test-server.js';

const admin = `Basic ${Buffer.from(`${adminCredentials.username}:${adminCredentials.password}`).toString('base64')}`;

for (const dialect of testDialects()) {
  test(`[${dialect}] a remembered token stops working when it expires, after the allowed clock skew`, async () => {
    const database = await createTestDatabase(dialect);
    let clock = Date.now();
    const server = await createServer({
      config: testConfig(database, { logLevel: 'silent', tokenTtlSeconds: 300 }),
      now: () => new Date(clock),
    });
    try {
      const created = await server.app.inject({
        method: 'POST',
        url: '/strongroom/oauth/clients',
        headers: { authorization: admin, 'content-type': 'application/json' },
        payload: JSON.stringify({ ClientId: 'short-lived' }),
      });
      const secret = (JSON.parse(created.body) as { ClientSecret: string }).ClientSecret;
      const issued = await server.app.inject({
        method: 'POST',
        url: '/strongroom/oauth/token',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: `grant_type=client_credentials&client_id=short-lived&client_secret=${encodeURIComponent(secret)}`,
      });
      const { access_token: token, expires_in: expiresIn } = JSON.parse(issued.body) as {
        access_token: string;
        expires_in: number;
      };
      assert.equal(expiresIn, 300);
      const call = () =>
        server.app.inject({
          method: 'GET',
          url: '/KeyfactorAPI/Security/My/Permissions',
          headers: { authorization: `Bearer ${token}`, 'x-keyfactor-requested-with': 'APIClient' },
        });
      assert.equal((await call()).statusCode, 200);
      clock += 299_000;
      assert.equal((await call()).statusCode, 200, 'still valid just before exp');
      clock += 2_000;
      assert.equal((await call()).statusCode, 200, 'within the 60 s of allowed skew, verified again');
      clock += 60_000;
      const expired = await call();
      assert.equal(expired.statusCode, 401);
      assert.equal(expired.headers['www-authenticate'], 'Bearer error="invalid_token"');
    } finally {
      await server.close();
      await database.drop();
    }
  });
}
