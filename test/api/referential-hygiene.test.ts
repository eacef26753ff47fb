import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  containers,
  createContainer,
  createLocalEntry,
  createLocalProvider,
  createStore,
  expectStatus,
  message,
  stores,
} from '../support/store-fixtures.js';
import { describeEachDialect } from '../support/test-server.js';
import type { TestServer } from '../support/test-server.js';

interface RoleBody {
  Id: number;
  Name: string;
  Permissions: string[];
}

async function roleOf(server: TestServer, username: string): Promise<RoleBody> {
  const query = encodeURIComponent(`Name -eq "role-for-${username}"`);
  const response = await server.request('GET', `/KeyfactorAPI/Security/Roles?QueryString=${query}`, {
    apiVersion: 2,
  });
  expectStatus(response, 200);
  const [listed] = response.body as RoleBody[];
  assert.ok(listed, `role-for-${username} exists`);
  const role = await server.request('GET', `/KeyfactorAPI/Security/Roles/${listed.Id}`, { apiVersion: 2 });
  expectStatus(role, 200);
  return role.body as RoleBody;
}

async function roleAudit(
  server: TestServer,
  roleName: string,
): Promise<{ Operation: number; Message: string }[]> {
  const query = encodeURIComponent(`Category -eq "Security Role" AND Name -eq "${roleName}"`);
  const response = await server.request('GET', `/KeyfactorAPI/Audit?ReturnLimit=100&QueryString=${query}`);
  expectStatus(response, 200);
  return response.body as { Operation: number; Message: string }[];
}

describeEachDialect('referential hygiene', (server) => {
  const entryPath = (providerId: number, name: string) =>
    `/KeyfactorAPI/PamProviders/Local/${providerId}/Entries?secretName=${encodeURIComponent(name)}`;

  test('a local entry a store password references cannot be deleted; the 409 names the store', async () => {
    const providerId = await createLocalProvider(server());
    await createLocalEntry(server(), providerId, 'store-pw', 'referenced-value');
    await createLocalEntry(server(), providerId, 'unreferenced', 'free-value');
    const store = await createStore(server(), {
      Password: { Provider: providerId, Parameters: { SecretName: 'store-pw' } },
    });

    const refused = await server().request('DELETE', entryPath(providerId, 'store-pw'));
    expectStatus(refused, 409);
    assert.match(
      message(refused),
      new RegExp(`Secret 'store-pw' is referenced by certificate store\\(s\\) '${store.Id}'`),
    );
    assert.ok(!refused.text.includes('referenced-value'));
    const still = await server().request('GET', `/KeyfactorAPI/PamProviders/Local/${providerId}/Entries`);
    expectStatus(still, 200);
    assert.ok(JSON.stringify(still.body).includes('store-pw'), 'the entry is still there');

    expectStatus(await server().request('DELETE', entryPath(providerId, 'unreferenced')), 204);

    const repointed = await server().request('PUT', `${stores}/Password`, {
      body: { CertStoreId: store.Id, NewPassword: { SecretValue: 'stored-instead' } },
    });
    expectStatus(repointed, 204);
    expectStatus(await server().request('DELETE', entryPath(providerId, 'store-pw')), 204);
  });

  test('a local entry a secret property references cannot be deleted either', async () => {
    const providerId = await createLocalProvider(server());
    await createLocalEntry(server(), providerId, 'login-name', 'svc-account');
    const first = await createStore(server(), {
      Properties: JSON.stringify({
        ServerUsername: { value: { Provider: providerId, Parameters: { SecretName: 'login-name' } } },
      }),
    });
    const second = await createStore(server(), {
      Properties: JSON.stringify({
        ServerPassword: { value: { Provider: providerId, Parameters: { SecretName: 'login-name' } } },
      }),
    });
    const refused = await server().request('DELETE', entryPath(providerId, 'login-name'));
    expectStatus(refused, 409);
    assert.ok(message(refused).includes(first.Id) && message(refused).includes(second.Id), message(refused));
  });

  test('deleting a PAM provider removes its scoped grants from every role, audited', async () => {
    const providerId = await createLocalProvider(server());
    const other = await createLocalProvider(server());
    const user = await server().createUser('hygiene-pam', [
      `/pam/read/${providerId}/`,
      `/pam/modify/${providerId}/`,
      `/pam/read/${other}/`,
      '/certificate_stores/read/',
    ]);
    expectStatus(await server().request('DELETE', `/KeyfactorAPI/PamProviders/${providerId}`), 204);

    const role = await roleOf(server(), user.username);
    assert.deepEqual(
      [...role.Permissions].sort(),
      [`/certificate_stores/read/`, `/pam/read/${other}/`].sort(),
    );
    const updates = (await roleAudit(server(), role.Name)).filter((entry) => entry.Operation === 2);
    assert.equal(updates.length, 1);
    assert.match(updates[0]?.Message ?? '', new RegExp(`/pam/modify/${providerId}/`));
    assert.match(updates[0]?.Message ?? '', new RegExp(`/pam/read/${providerId}/`));

    // The grant does not come back to life for the next provider that happens to get the same id.
    expectStatus(
      await server().request('GET', `/KeyfactorAPI/PamProviders/${providerId}`, { as: user }),
      404,
    );
  });

  test('deleting a container removes its scoped grants from every role, audited', async () => {
    const containerId = await createContainer(server());
    const user = await server().createUser('hygiene-container', [
      `/certificate_stores/read/${containerId}/`,
      `/certificate_stores/schedule/${containerId}/`,
      `/certificate_stores/modify/${containerId}/`,
      '/pam/read/',
    ]);
    expectStatus(await server().request('DELETE', `${containers}/${containerId}`), 204);

    const role = await roleOf(server(), user.username);
    assert.deepEqual(role.Permissions, ['/pam/read/']);
    const updates = (await roleAudit(server(), role.Name)).filter((entry) => entry.Operation === 2);
    assert.equal(updates.length, 1);
    assert.match(updates[0]?.Message ?? '', new RegExp(`/certificate_stores/schedule/${containerId}/`));
  });

  test('a refused delete leaves the grants in place', async () => {
    const providerId = await createLocalProvider(server());
    await createLocalEntry(server(), providerId, 'keeps-provider', 'value');
    const user = await server().createUser('hygiene-refused', [`/pam/read/${providerId}/`]);
    expectStatus(await server().request('DELETE', `/KeyfactorAPI/PamProviders/${providerId}`), 409);
    assert.deepEqual((await roleOf(server(), user.username)).Permissions, [`/pam/read/${providerId}/`]);
  });
});
