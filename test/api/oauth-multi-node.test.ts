import assert from 'node:assert/strict';
import { test } from 'node:test';
import { globalPermissionSetId } from '../../src/modules/security/admin-bootstrap.js';
import type { Server } from '../../src/startup/server.js';
import { createServer } from '../../src/startup/server.js';
import { adminCredentials, createTestDatabase, testConfig, testDialects } from '../support/test-server.js';

const admin = `Basic ${Buffer.from(`${adminCredentials.username}:${adminCredentials.password}`).toString('base64')}`;
const keyfactorHeaders = { 'x-keyfactor-requested-with': 'APIClient', 'x-keyfactor-api-version': '2' };

async function call(node: Server, method: string, url: string, authorization: string, body?: unknown) {
  const response = await node.app.inject({
    method: method as 'GET',
    url,
    headers: {
      ...keyfactorHeaders,
      authorization,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
  });
  return {
    status: response.statusCode,
    body: response.body === '' ? undefined : (JSON.parse(response.body) as unknown),
  };
}

async function token(node: Server, clientId: string, secret: string): Promise<string> {
  const response = await node.app.inject({
    method: 'POST',
    url: '/strongroom/oauth/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: secret,
    }).toString(),
  });
  assert.equal(response.statusCode, 200, response.body);
  return (JSON.parse(response.body) as { access_token: string }).access_token;
}

for (const dialect of testDialects()) {
  test(`[${dialect}] a token issued by one node works on another, and revoking it on the first ends it on the second`, async () => {
    const database = await createTestDatabase(dialect);
    const config = testConfig(database, { logLevel: 'silent', publicUrl: 'https://vault.test' });
    const first = await createServer({ config });
    const second = await createServer({ config });
    try {
      const created = await call(first, 'POST', '/strongroom/oauth/clients', admin, {
        ClientId: 'shared-client',
      });
      assert.equal(created.status, 200);
      const secret = (created.body as { ClientSecret: string }).ClientSecret;
      const role = await call(first, 'POST', '/KeyfactorAPI/Security/Roles', admin, {
        Name: 'shared-client-role',
        Description: '',
        PermissionSetId: globalPermissionSetId,
        Permissions: ['/pam/read/'],
        Claims: [
          {
            ClaimType: 'OAuthClientId',
            ClaimValue: 'shared-client',
            ProviderAuthenticationScheme: 'Strongroom',
            Description: '',
          },
        ],
      });
      assert.equal(role.status, 200);
      const issued = await token(first, 'shared-client', secret);
      const readOnSecond = (bearerToken: string) =>
        call(second, 'GET', '/KeyfactorAPI/PamProviders', `Bearer ${bearerToken}`);
      assert.equal((await readOnSecond(issued)).status, 200);

      // The second node learns of a key rotated on the first when a token names the new key.
      assert.equal((await call(first, 'POST', '/strongroom/oauth/signing-key/rotate', admin)).status, 200);
      const afterRotation = await token(first, 'shared-client', secret);
      assert.equal((await readOnSecond(afterRotation)).status, 200);
      assert.equal((await readOnSecond(issued)).status, 200, 'the retired key still verifies its tokens');

      const disabled = await call(first, 'PUT', '/strongroom/oauth/clients/shared-client', admin, {
        Enabled: false,
      });
      assert.equal(disabled.status, 200);
      assert.equal((await readOnSecond(issued)).status, 401);
      assert.equal((await readOnSecond(afterRotation)).status, 401);
    } finally {
      await first.close();
      await second.close();
      await database.drop();
    }
  });
}
