import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import type { StoreBody } from '../support/store-fixtures.js';
import {
  createLocalEntry,
  createLocalProvider,
  createRemoteVaultProvider,
  createStore,
  expectStatus,
  message,
  stores,
} from '../support/store-fixtures.js';
import type { Credentials } from '../support/test-server.js';
import { describeEachDialect } from '../support/test-server.js';

const unknownId = '3f1d2c4b-0000-4000-8000-000000000003';
const resolvePassword = (id: string) => `/strongroom/certificate-stores/${id}/password/resolve`;
const resolveProperty = (id: string, name: string) =>
  `/strongroom/certificate-stores/${id}/properties/${name}/resolve`;

describeEachDialect('secret resolution', (server) => {
  let localProvider: number;
  let resolver: Credentials;
  let administrator: Credentials;

  const resolve = (url: string, as: Credentials = resolver) => server().request('POST', url, { as });

  async function resolutionAudit(storeId: string) {
    return server()
      .server.storage.db.selectFrom('audit_log')
      .select(['operation', 'outcome', 'audit_identifier', 'user_name', 'message'])
      .where('category', '=', 2108)
      .where('immutable_identifier', '=', storeId)
      .orderBy('id')
      .execute();
  }

  before(async () => {
    localProvider = await createLocalProvider(server());
    await createLocalEntry(server(), localProvider, 'orchestrator-pw', 'value-from-local-entry');
    resolver = await server().createUser('orchestrator', ['/strongroom/resolve/']);
    administrator = await server().createUser('store-and-pam-admin', [
      '/certificate_stores/',
      '/pam/',
      '/security/',
      '/auditing/',
    ]);
  });

  test('returns a stored password and audits the release without the value', async () => {
    const store = await createStore(server(), { Password: { SecretValue: 'the-real-store-password' } });
    const response = await resolve(resolvePassword(store.Id));
    expectStatus(response, 200);
    assert.deepEqual(response.body, { Password: 'the-real-store-password' });
    const audit = await resolutionAudit(store.Id);
    assert.equal(audit.length, 1);
    assert.deepEqual(
      { ...audit[0], message: JSON.parse(audit[0]?.message ?? '{}') as unknown },
      {
        operation: 7,
        outcome: 'Success',
        audit_identifier: 'Password',
        user_name: 'orchestrator',
        message: { form: 'stored' },
      },
    );
  });

  test('resolves a local PAM reference through the provider, reading the entry as it is now', async () => {
    const store = await createStore(server(), {
      Password: { Provider: localProvider, Parameters: { SecretName: 'orchestrator-pw' } },
    });
    assert.deepEqual((await resolve(resolvePassword(store.Id))).body, { Password: 'value-from-local-entry' });
    const changed = await server().request(
      'PUT',
      `/KeyfactorAPI/PamProviders/Local/${localProvider}/Entries`,
      {
        body: { SecretName: 'orchestrator-pw', SecretValue: 'rotated-entry-value' },
      },
    );
    expectStatus(changed, 200);
    assert.deepEqual((await resolve(resolvePassword(store.Id))).body, { Password: 'rotated-entry-value' });
  });

  test('a store without a password resolves to null', async () => {
    const store = await createStore(server());
    const response = await resolve(resolvePassword(store.Id));
    expectStatus(response, 200);
    assert.deepEqual(response.body, { Password: null });
  });

  test('a remote provider cannot be resolved here: 409 saying so, audited as a failure', async () => {
    const vault = await createRemoteVaultProvider(server());
    const store = await createStore(server(), {
      Password: { Provider: vault, Parameters: { Secret: 'kv/app', Key: 'pw' } },
    });
    const response = await resolve(resolvePassword(store.Id));
    expectStatus(response, 409);
    assert.match(
      message(response),
      /is not a local provider; this server cannot resolve third-party or remote PAM references yet$/,
    );
    const [entry] = await resolutionAudit(store.Id);
    assert.equal(entry?.outcome, 'Failure');
    assert.equal(entry?.operation, 23);
  });

  test('a reference whose local entry was removed is a 409 naming the entry', async () => {
    // The API refuses to delete a referenced entry (test/api/referential-hygiene.test.ts); a row removed by
    // hand still reaches resolution, which must say so.
    await createLocalEntry(server(), localProvider, 'short-lived', 'soon-gone');
    const store = await createStore(server(), {
      Password: { Provider: localProvider, Parameters: { SecretName: 'short-lived' } },
    });
    await server()
      .server.storage.db.deleteFrom('local_entries')
      .where('provider_id', '=', localProvider)
      .where('secret_name', '=', 'short-lived')
      .execute();
    const response = await resolve(resolvePassword(store.Id));
    expectStatus(response, 409);
    assert.match(message(response), /references local PAM entry 'short-lived' .* which no longer exists$/);
  });

  test('resolves secret properties by name, stored or referenced; an undefined one is a 404', async () => {
    await createLocalEntry(server(), localProvider, 'server-login-name', 'svc-account');
    const store: StoreBody = await createStore(server(), {
      Properties: JSON.stringify({
        ServerUsername: {
          value: { Provider: localProvider, Parameters: { SecretName: 'server-login-name' } },
        },
        ServerPassword: { value: { SecretValue: 'server-login-password' } },
        ServerUseSsl: 'true',
      }),
    });
    assert.deepEqual((await resolve(resolveProperty(store.Id, 'serverpassword'))).body, {
      Name: 'ServerPassword',
      Value: 'server-login-password',
    });
    assert.deepEqual((await resolve(resolveProperty(store.Id, 'ServerUsername'))).body, {
      Name: 'ServerUsername',
      Value: 'svc-account',
    });

    const empty = await createStore(server());
    assert.deepEqual((await resolve(resolveProperty(empty.Id, 'ServerPassword'))).body, {
      Name: 'ServerPassword',
      Value: null,
    });
    const plain = await resolve(resolveProperty(store.Id, 'ServerUseSsl'));
    expectStatus(plain, 404);
    assert.equal(message(plain), `Certificate store '${store.Id}' has no secret property 'ServerUseSsl'`);
  });

  test('an unknown store is a 404 and a malformed id a 400; both attempts are audited', async () => {
    const missing = await resolve(resolvePassword(unknownId));
    expectStatus(missing, 404);
    assert.equal(message(missing), `Certificate store '${unknownId}' was not found`);
    const [entry] = await resolutionAudit(unknownId);
    assert.equal(entry?.outcome, 'Failure');
    expectStatus(await resolve(resolvePassword('not-a-guid')), 400);
  });

  test('only /strongroom/resolve/ may resolve: store and PAM administrators get 403, anonymous 401', async () => {
    const store = await createStore(server(), { Password: { SecretValue: 'admins-cannot-read-this' } });
    const denied = await resolve(resolvePassword(store.Id), administrator);
    expectStatus(denied, 403);
    assert.ok(!denied.text.includes('admins-cannot-read-this'));
    expectStatus(await resolve(resolveProperty(store.Id, 'ServerPassword'), administrator), 403);
    expectStatus(await server().request('POST', resolvePassword(store.Id), { as: null }), 401);
    const reader = await server().request('GET', `${stores}/${store.Id}`, { as: resolver });
    expectStatus(reader, 403);
    expectStatus(await server().request('POST', resolvePassword(store.Id)), 200);
  });
});
