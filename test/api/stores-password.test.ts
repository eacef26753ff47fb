import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { assertKeyfactorShape } from '../support/keyfactor-openapi.js';
import type { KeyfactorSecretBody, StoreBody } from '../support/store-fixtures.js';
import {
  builtinTypes,
  createLocalEntry,
  createLocalProvider,
  createRemoteVaultProvider,
  createStore,
  expectStatus,
  getStore,
  mask,
  message,
  secretProperty,
  stores,
} from '../support/store-fixtures.js';
import type { Credentials } from '../support/test-server.js';
import { describeEachDialect } from '../support/test-server.js';

const passwordPath = `${stores}/Password`;
const unknownId = '3f1d2c4b-0000-4000-8000-000000000002';
const storePasswordTypeGuid = 'fe957956-4c32-4144-b896-6f85532a0da1';

describeEachDialect('PUT /CertificateStores/Password', (server) => {
  let localProvider: number;
  let vaultProvider: number;
  let store: StoreBody;
  let pamBlind: Credentials;
  let providerReader: Credentials;

  const setPassword = (body: unknown, as?: Credentials) =>
    server().request('PUT', passwordPath, { body, ...(as === undefined ? {} : { as }) });

  async function sealedPassword(storeId: string): Promise<string | undefined> {
    const row = await server()
      .server.storage.db.selectFrom('certificate_store_secrets')
      .select(['value_sealed', 'provider_id', 'parameters_json'])
      .where('store_id', '=', storeId)
      .where('secret_key', '=', 'Password')
      .executeTakeFirst();
    if (row === undefined) return undefined;
    const sealed = row.value_sealed === null ? '-' : Buffer.from(row.value_sealed).toString('hex');
    return `${sealed}|${row.provider_id}|${row.parameters_json}`;
  }

  before(async () => {
    localProvider = await createLocalProvider(server());
    await createLocalEntry(server(), localProvider, 'jks-store-password', 'from-local-entry');
    vaultProvider = await createRemoteVaultProvider(server());
    store = await createStore(server());
    pamBlind = await server().createUser('pam-blind', ['/certificate_stores/modify/']);
    providerReader = await server().createUser('provider-reader', [
      '/certificate_stores/modify/',
      `/pam/read/${localProvider}/`,
    ]);
  });

  test('a stored value: 204 with no body, read back as HasValue without the value', async () => {
    const response = await setPassword({ CertStoreId: store.Id, NewPassword: { SecretValue: 'P@ssw0rd' } });
    expectStatus(response, 204);
    assert.equal(response.text, '');
    const read = await server().request('GET', `${stores}/${store.Id}`);
    // Checks every field, Password's included, against the KeyfactorSecret schema Keyfactor publishes.
    assertKeyfactorShape(1, 'GET', '/CertificateStores/{id}', read.body);
    const password = (read.body as StoreBody).Password;
    assert.deepEqual(password, {
      Value: null,
      SecretTypeGuid: storePasswordTypeGuid,
      InstanceId: null,
      InstanceGuid: store.Id,
      ProviderTypeParameterValues: [],
      ProviderId: null,
      IsManaged: false,
      RemoteProviderName: null,
      HasValue: true,
    });
    assert.ok(!read.text.includes('P@ssw0rd'));
  });

  test('a local PAM reference: read back as managed, with its provider and SecretName', async () => {
    const response = await setPassword({
      certStoreId: store.Id.toUpperCase(),
      newPassword: { provider: localProvider, parameters: { secretName: 'jks-store-password' } },
    });
    expectStatus(response, 204);
    const password = (await getStore(server(), store.Id)).Password;
    assert.equal(password.HasValue, true);
    assert.equal(password.IsManaged, true);
    assert.equal(password.ProviderId, localProvider);
    assert.equal(password.Value, null);
    assert.equal(password.InstanceGuid, store.Id);
    assert.deepEqual(
      password.ProviderTypeParameterValues.map((value) => [
        value.ProviderTypeParam.Name,
        value.Value,
        value.InstanceGuid,
        value.ProviderTypeParam.InstanceLevel,
      ]),
      [['SecretName', 'jks-store-password', store.Id, true]],
    );
  });

  test('a remote provider reference keeps its instance parameters', async () => {
    expectStatus(
      await setPassword({
        CertStoreId: store.Id,
        NewPassword: { Provider: vaultProvider, Parameters: { Secret: 'kv/jks', Key: 'password' } },
      }),
      204,
    );
    const password = (await getStore(server(), store.Id)).Password;
    assert.equal(password.ProviderId, vaultProvider);
    assert.deepEqual(
      Object.fromEntries(
        password.ProviderTypeParameterValues.map((value) => [value.ProviderTypeParam.Name, value.Value]),
      ),
      { Secret: 'kv/jks', Key: 'password' },
    );
  });

  test('no password: {} and {"SecretValue": null} both clear it', async () => {
    for (const newPassword of [{}, { SecretValue: null }]) {
      expectStatus(
        await setPassword({ CertStoreId: store.Id, NewPassword: { SecretValue: 'temporary' } }),
        204,
      );
      expectStatus(await setPassword({ CertStoreId: store.Id, NewPassword: newPassword }), 204);
      const password: KeyfactorSecretBody = (await getStore(server(), store.Id)).Password;
      assert.equal(password.HasValue, false);
      assert.equal(password.IsManaged, false);
      assert.equal(password.ProviderId, null);
      assert.deepEqual(password.ProviderTypeParameterValues, []);
      assert.equal(await sealedPassword(store.Id), undefined);
    }
  });

  test('the mask keeps the stored password', async () => {
    expectStatus(await setPassword({ CertStoreId: store.Id, NewPassword: { SecretValue: 'kept' } }), 204);
    const before = await sealedPassword(store.Id);
    expectStatus(await setPassword({ CertStoreId: store.Id, NewPassword: { SecretValue: mask } }), 204);
    assert.equal(await sealedPassword(store.Id), before);
  });

  test('every bad request is a 4xx with a precise message and leaves the password as it was', async () => {
    expectStatus(
      await setPassword({ CertStoreId: store.Id, NewPassword: { SecretValue: 'before-bad-input' } }),
      204,
    );
    const before = await sealedPassword(store.Id);
    const iisStore = await createStore(server(), { CertStoreType: builtinTypes.iis });
    const cases: [unknown, number, string | RegExp][] = [
      [
        { CertStoreId: 'not-a-guid', NewPassword: { SecretValue: 'x' } },
        400,
        "'CertStoreId' must be a valid GUID",
      ],
      [{ NewPassword: { SecretValue: 'x' } }, 400, "'CertStoreId' is required"],
      [
        { CertStoreId: unknownId, NewPassword: { SecretValue: 'x' } },
        404,
        `Certificate store '${unknownId}' was not found`,
      ],
      [{ CertStoreId: store.Id }, 400, "'NewPassword' is required"],
      [{ CertStoreId: store.Id, NewPassword: null }, 400, "'NewPassword' must be of type object"],
      [{ CertStoreId: store.Id, NewPassword: 'plain' }, 400, "'NewPassword' must be of type object"],
      [
        { CertStoreId: store.Id, NewPassword: { SecretValue: 'x', Provider: localProvider } },
        400,
        "'NewPassword' has both SecretValue and Provider; send a stored value or a PAM reference, not both",
      ],
      [
        { CertStoreId: store.Id, NewPassword: { Provider: 424242, Parameters: { SecretName: 'x' } } },
        400,
        "'NewPassword.Provider' names PAM provider '424242', which was not found",
      ],
      [
        {
          CertStoreId: store.Id,
          NewPassword: { Provider: localProvider, Parameters: { SecretName: 'x', Vault: 'y' } },
        },
        400,
        /^'NewPassword.Parameters' has 'Vault', which is not an instance-level parameter of PAM provider '.*' \(\d+\); expected: SecretName$/,
      ],
      [
        { CertStoreId: store.Id, NewPassword: { Provider: vaultProvider, Parameters: { Secret: 'kv/jks' } } },
        400,
        /^'NewPassword.Parameters.Key' is required by PAM provider '.*'/,
      ],
      [
        { CertStoreId: store.Id, NewPassword: { Provider: localProvider } },
        400,
        /^'NewPassword.Parameters.SecretName' is required/,
      ],
      [
        {
          CertStoreId: store.Id,
          NewPassword: { Provider: localProvider, Parameters: { SecretName: 'no-such-entry' } },
        },
        400,
        /^'NewPassword.Parameters.SecretName' names local PAM entry 'no-such-entry', which does not exist in PAM provider/,
      ],
      [
        { CertStoreId: store.Id, NewPassword: { SecretValue: 'x'.repeat(16385) } },
        400,
        /^'NewPassword.SecretValue' /,
      ],
      [
        { CertStoreId: store.Id, NewPassword: { Parameters: { SecretName: 'x' } } },
        400,
        "'NewPassword.Parameters' was sent without 'NewPassword.Provider'",
      ],
      [{ CertStoreId: store.Id, NewPassword: { Provider: 0 } }, 400, /^'NewPassword.Provider' /],
      [
        { CertStoreId: iisStore.Id, NewPassword: { SecretValue: 'x' } },
        400,
        `Certificate store '${iisStore.Id}' is of certificate store type 'IIS' (6), which does not support a store password`,
      ],
    ];
    for (const [body, status, expected] of cases) {
      const response = await setPassword(body);
      expectStatus(response, status);
      if (typeof expected === 'string') assert.equal(message(response), expected);
      else assert.match(message(response), expected);
      assert.equal(
        await sealedPassword(store.Id),
        before,
        `unchanged after ${JSON.stringify(body).slice(0, 120)}`,
      );
    }
    const bad = await server().request('PUT', passwordPath, { rawBody: '{"CertStoreId": ' });
    expectStatus(bad, 400);
    assert.equal(message(bad), 'The request body is not valid JSON');
  });

  test('referencing a provider needs read on it; an unreadable one answers like a missing one', async () => {
    const body = {
      CertStoreId: store.Id,
      NewPassword: { Provider: localProvider, Parameters: { SecretName: 'jks-store-password' } },
    };
    const blind = await setPassword(body, pamBlind);
    expectStatus(blind, 400);
    assert.equal(
      message(blind),
      `'NewPassword.Provider' names PAM provider '${localProvider}', which was not found`,
    );
    expectStatus(await setPassword(body, providerReader), 204);
    const other = await setPassword(
      {
        CertStoreId: store.Id,
        NewPassword: { Provider: vaultProvider, Parameters: { Secret: 's', Key: 'k' } },
      },
      providerReader,
    );
    expectStatus(other, 400);
  });

  test('store create and update take the same three forms, with the same checks', async () => {
    const referenced = await createStore(server(), {
      Password: { Provider: localProvider, Parameters: { SecretName: 'jks-store-password' } },
      Properties: JSON.stringify({
        ServerUsername: {
          value: { Provider: localProvider, Parameters: { SecretName: 'jks-store-password' } },
        },
      }),
    });
    assert.equal(referenced.Password.IsManaged, true);
    const username = secretProperty(referenced, 'ServerUsername');
    assert.equal(username.IsManaged, true);
    assert.equal(username.Value, null);
    assert.equal(username.ProviderId, localProvider);

    const missingEntry = await server().request('PUT', stores, {
      body: {
        Id: referenced.Id,
        Properties: JSON.stringify({
          ServerUsername: { value: { Provider: localProvider, Parameters: { SecretName: 'gone' } } },
        }),
      },
    });
    expectStatus(missingEntry, 400);
    assert.match(
      message(missingEntry),
      /^'Properties.ServerUsername.Parameters.SecretName' names local PAM entry 'gone'/,
    );
    assert.deepEqual(await getStore(server(), referenced.Id), referenced);
  });

  test('a secret-typed instance parameter is sealed like a value and masked when read', async () => {
    const type = await server().request('POST', '/KeyfactorAPI/PamProviders/Types', {
      body: {
        Name: 'Token-Per-Use',
        Parameters: [
          { Name: 'Url', DataType: 1, InstanceLevel: false },
          { Name: 'Path', DataType: 1, InstanceLevel: true },
          { Name: 'AccessToken', DataType: 2, InstanceLevel: true },
        ],
      },
    });
    expectStatus(type, 200);
    const provider = await server().request('POST', '/KeyfactorAPI/PamProviders', {
      body: { Name: 'token-per-use', Remote: true, ProviderType: { Id: (type.body as { Id: string }).Id } },
    });
    expectStatus(provider, 200);
    const providerId = (provider.body as { Id: number }).Id;
    const token = 'instance-token-should-be-sealed';
    expectStatus(
      await setPassword({
        CertStoreId: store.Id,
        NewPassword: { Provider: providerId, Parameters: { Path: 'apps/jks', AccessToken: token } },
      }),
      204,
    );
    const read = await server().request('GET', `${stores}/${store.Id}`);
    assert.ok(!read.text.includes(token));
    assert.deepEqual(
      (read.body as StoreBody).Password.ProviderTypeParameterValues.map((value) => [
        value.ProviderTypeParam.Name,
        value.Value,
        value.ProviderTypeParam.DataType,
      ]),
      [
        ['Path', 'apps/jks', 1],
        ['AccessToken', mask, 2],
      ],
    );
    assert.ok(!((await sealedPassword(store.Id)) ?? '').includes(token));
  });

  test('each change is audited as a store password change, never with the value', async () => {
    const audited = await createStore(server());
    expectStatus(
      await setPassword({ CertStoreId: audited.Id, NewPassword: { SecretValue: 'audit-me-not' } }),
      204,
    );
    expectStatus(await setPassword({ CertStoreId: audited.Id, NewPassword: {} }), 204);
    const rows = await server()
      .server.storage.db.selectFrom('audit_log')
      .selectAll()
      .where('immutable_identifier', '=', audited.Id)
      .where('category', '=', 2107)
      .orderBy('id')
      .execute();
    assert.deepEqual(
      rows.map((row) => JSON.parse(row.message) as unknown),
      [
        { secret: 'Password', form: 'stored' },
        { secret: 'Password', form: 'none' },
      ],
    );
    assert.ok(!JSON.stringify(rows).includes('audit-me-not'));
  });
});
