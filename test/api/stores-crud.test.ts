import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { assertKeyfactorShape } from '../support/keyfactor-openapi.js';
import type { StoreBody } from '../support/store-fixtures.js';
import {
  builtinTypes,
  createContainer,
  createStore,
  expectStatus,
  getStore,
  mask,
  message,
  secretProperty,
  stores,
  uniqueName,
} from '../support/store-fixtures.js';
import type { Credentials } from '../support/test-server.js';
import { describeEachDialect } from '../support/test-server.js';

const unknownId = '3f1d2c4b-0000-4000-8000-000000000001';

describeEachDialect('certificate stores', (server) => {
  let nobody: Credentials;

  /** The sealed bytes of every secret a store holds, to prove a request left them untouched. */
  async function sealedSecrets(storeId: string): Promise<Record<string, string>> {
    const rows = await server()
      .server.storage.db.selectFrom('certificate_store_secrets')
      .select(['secret_key', 'value_sealed', 'provider_id', 'parameters_json'])
      .where('store_id', '=', storeId)
      .orderBy('secret_key')
      .execute();
    return Object.fromEntries(
      rows.map((row) => [
        row.secret_key,
        `${row.value_sealed === null ? '-' : Buffer.from(row.value_sealed).toString('hex')}|${row.provider_id}|${row.parameters_json}`,
      ]),
    );
  }

  before(async () => {
    nobody = await server().createUser('stores-nobody', ['/pam/read/']);
  });

  test('creates, reads, replaces and deletes a store in the published shapes', async () => {
    const container = await createContainer(server());
    const created = await server().request('POST', stores, {
      body: {
        containerId: container,
        clientMachine: 'app01.example.com',
        StorePath: '/opt/app/keystore.jks',
        certStoreType: builtinTypes.jks,
        createIfMissing: true,
        properties: JSON.stringify({
          ServerUseSsl: 'True',
          ServerUsername: { value: { SecretValue: 'svc-user' } },
          ServerPassword: { Value: { SecretValue: 'svc-password' } },
        }),
        agentId: '9F2C1E8A-1B2C-4D3E-8F90-A1B2C3D4E5F6',
        inventorySchedule: { interval: { minutes: 30 } },
        password: { secretValue: 'store-password' },
      },
    });
    expectStatus(created, 200);
    assertKeyfactorShape(1, 'POST', '/CertificateStores', created.body);
    const store = created.body as StoreBody;
    assert.match(store.Id, /^[0-9a-f-]{36}$/);
    assert.equal(store.DisplayName, 'app01.example.com - /opt/app/keystore.jks');
    assert.equal(store.Storepath, '/opt/app/keystore.jks');
    assert.equal(store.Approved, true);
    assert.equal(store.AgentId, '9f2c1e8a-1b2c-4d3e-8f90-a1b2c3d4e5f6');
    assert.equal(store.AgentAssigned, true);
    assert.equal(store.SetNewPasswordAllowed, true);
    assert.deepEqual(store.InventorySchedule, { Interval: { Minutes: 30 } });
    assert.ok(!created.text.includes('svc-password') && !created.text.includes('store-password'));
    const properties = JSON.parse(store.Properties) as Record<string, unknown>;
    assert.equal(properties.ServerUseSsl, 'true');
    const password = secretProperty(store, 'ServerPassword');
    assert.equal(password.Value, mask);
    assert.equal(password.SecretTypeGuid, '84372609-f5af-4a3f-8bc0-a4d4b9013b7b');
    assert.equal(password.HasValue, true);
    assert.notEqual(password.InstanceGuid, secretProperty(store, 'ServerUsername').InstanceGuid);

    const read = await server().request('GET', `${stores}/${store.Id.toUpperCase()}`);
    expectStatus(read, 200);
    assertKeyfactorShape(1, 'GET', '/CertificateStores/{id}', read.body);
    assert.deepEqual(read.body, store);

    const replaced = await server().request('PUT', stores, {
      body: { Id: store.Id, CreateIfMissing: false, Properties: JSON.stringify({ ServerUseSsl: false }) },
    });
    expectStatus(replaced, 200);
    assertKeyfactorShape(1, 'PUT', '/CertificateStores', replaced.body);
    const after = replaced.body as StoreBody;
    assert.equal(after.ContainerId, container, 'an absent ContainerId keeps the container');
    assert.equal(after.Password.HasValue, true, 'an absent Password keeps the password');
    assert.equal(after.AgentId, null);
    assert.equal(after.InventorySchedule, null);
    assert.equal(after.Properties, '{"ServerUseSsl":"false"}', 'secret properties left out are removed');
    assert.deepEqual(Object.keys(await sealedSecrets(store.Id)), ['Password']);

    expectStatus(await server().request('DELETE', `${stores}/${store.Id}`), 204);
    expectStatus(await server().request('GET', `${stores}/${store.Id}`), 404);
    assert.deepEqual(await sealedSecrets(store.Id), {});
    expectStatus(await server().request('DELETE', `${stores}/${store.Id}`), 404);
  });

  test('sending back what a read returned changes no secret (kfutil migrate does exactly this)', async () => {
    const store = await createStore(server(), {
      Properties: JSON.stringify({ ServerPassword: { value: { SecretValue: 'round-trip-pw' } } }),
      Password: { SecretValue: 'round-trip-store-pw' },
    });
    const before = await sealedSecrets(store.Id);
    const echoed = await server().request('PUT', stores, { body: await getStore(server(), store.Id) });
    expectStatus(echoed, 200);
    assert.deepEqual(await sealedSecrets(store.Id), before);

    const masked = await server().request('PUT', stores, {
      body: {
        Id: store.Id,
        Properties: JSON.stringify({ ServerPassword: { Value: { SecretValue: mask } } }),
        Password: { SecretValue: mask },
      },
    });
    expectStatus(masked, 200);
    assert.deepEqual(await sealedSecrets(store.Id), before);
  });

  test('a null Password keeps it; an empty object or a null SecretValue clears it', async () => {
    const store = await createStore(server(), { Password: { SecretValue: 'to-be-cleared' } });
    const put = (password: unknown) =>
      server().request('PUT', stores, { body: { Id: store.Id, Password: password } });
    expectStatus(await put(null), 200);
    assert.equal((await getStore(server(), store.Id)).Password.HasValue, true);
    expectStatus(await put({}), 200);
    assert.equal((await getStore(server(), store.Id)).Password.HasValue, false);
    expectStatus(await put({ SecretValue: 'again' }), 200);
    expectStatus(await put({ SecretValue: null }), 200);
    assert.equal((await getStore(server(), store.Id)).Password.HasValue, false);
  });

  test('a secret property sent with no value keeps its place without a value', async () => {
    const store = await createStore(server(), {
      Properties: JSON.stringify({ ServerUsername: { value: { SecretValue: null } } }),
    });
    const username = secretProperty(store, 'ServerUsername');
    assert.equal(username.HasValue, false);
    assert.equal(username.Value, null);
  });

  test('refuses bad stores with a precise 4xx and creates nothing', async () => {
    const base = { ClientMachine: 'bad-input-host', Storepath: '/bad', CertStoreType: 0 };
    const cases: [Record<string, unknown>, number, RegExp][] = [
      [{ Storepath: '/x', CertStoreType: 0 }, 400, /^'ClientMachine' is required$/],
      [{ ...base, Storepath: '' }, 400, /^'Storepath' must not be empty$/],
      [{ ...base, Storepath: 'p'.repeat(723) }, 400, /^'Storepath' must be at most 722 characters long$/],
      [
        { ...base, CertStoreType: 555 },
        400,
        /^'CertStoreType' names certificate store type '555', which does not exist$/,
      ],
      [
        { ...base, ContainerId: 99999 },
        400,
        /^'ContainerId' names certificate store container '99999', which was not found$/,
      ],
      [{ ...base, AgentId: 'agent-7' }, 400, /^'AgentId' /],
      [{ ...base, Properties: '{"ServerUseSsl": tru' }, 400, /^'Properties' is not valid JSON/],
      [{ ...base, Properties: '["a"]' }, 400, /^'Properties' must be a JSON object serialized as a string$/],
      [
        { ...base, Properties: '{"Colour":"blue"}' },
        400,
        /^Property 'Colour' is not defined by certificate store type 'JKS' \(0\)$/,
      ],
      [{ ...base, Properties: { ServerUseSsl: true } }, 400, /^'Properties' /],
      [
        {
          ...base,
          Properties: JSON.stringify({ ServerPassword: { value: { SecretValue: 'a', Provider: 1 } } }),
        },
        400,
        /^'Properties.ServerPassword.value' has both SecretValue and Provider/,
      ],
      [
        { ...base, CertStoreType: builtinTypes.iis, Password: { SecretValue: 'iis-pw' } },
        400,
        /^certificate store type 'IIS' \(6\) does not support a store password/,
      ],
      [{ ...base, Password: { SecretValue: 'x'.repeat(16385) } }, 400, /^'Password.SecretValue' /],
    ];
    for (const [body, status, expected] of cases) {
      const response = await server().request('POST', stores, { body });
      expectStatus(response, status);
      assert.match(message(response), expected);
    }
    const listed = await server().request('GET', `${stores}?QueryString=ClientMachine -eq "bad-input-host"`);
    assert.deepEqual(listed.body, []);
  });

  test('one store per machine, path and type: a duplicate is a 409', async () => {
    const store = await createStore(server());
    const duplicate = await server().request('POST', stores, {
      body: {
        ClientMachine: store.ClientMachine.toUpperCase(),
        Storepath: store.Storepath,
        CertStoreType: 0,
      },
    });
    expectStatus(duplicate, 409);
    assert.match(message(duplicate), /already exists/);
    const otherType = await server().request('POST', stores, {
      body: {
        ClientMachine: store.ClientMachine,
        Storepath: store.Storepath,
        CertStoreType: builtinTypes.pkcs12,
      },
    });
    expectStatus(otherType, 200);
  });

  test('refuses bad updates, including an invalid Properties string, and changes nothing', async () => {
    const store = await createStore(server(), {
      Properties: JSON.stringify({
        ServerUseSsl: 'true',
        ServerPassword: { value: { SecretValue: 'keep-me' } },
      }),
      Password: { SecretValue: 'keep-me-too' },
    });
    const before = await sealedSecrets(store.Id);
    const cases: [Record<string, unknown>, number, RegExp][] = [
      [{ Id: unknownId }, 404, new RegExp(`^Certificate store '${unknownId}' was not found$`)],
      [{ Id: 'not-a-guid' }, 400, /^'Id' must be a valid GUID$/],
      [{ Id: store.Id, Properties: '{"ServerUseSsl":' }, 400, /^'Properties' is not valid JSON/],
      [{ Id: store.Id, ClientMachine: 'elsewhere' }, 400, /^'ClientMachine' cannot be changed/],
      [{ Id: store.Id, Storepath: '/elsewhere' }, 400, /^'Storepath' cannot be changed/],
      [{ Id: store.Id, CertStoreType: 1 }, 400, /^'CertStoreType' cannot be changed/],
      [
        { Id: store.Id, Password: { Provider: 99999, Parameters: { SecretName: 'x' } } },
        400,
        /'Password.Provider' names PAM provider '99999'/,
      ],
    ];
    for (const [body, status, expected] of cases) {
      const response = await server().request('PUT', stores, { body });
      expectStatus(response, status);
      assert.match(message(response), expected);
    }
    assert.deepEqual(await getStore(server(), store.Id), store);
    assert.deepEqual(await sealedSecrets(store.Id), before);
    const sameValues = await server().request('PUT', stores, {
      body: { ...store, ClientMachine: store.ClientMachine.toUpperCase(), Password: null },
    });
    expectStatus(sameValues, 200);
  });

  test('a store id that is not a GUID is a 400; an unknown one a 404', async () => {
    const invalid = await server().request('GET', `${stores}/42`);
    expectStatus(invalid, 400);
    assert.equal(message(invalid), "'id' must be a valid GUID");
    const missing = await server().request('GET', `${stores}/${unknownId}`);
    expectStatus(missing, 404);
    assert.equal(message(missing), `Certificate store '${unknownId}' was not found`);
  });

  test('lists sort by ClientMachine by default, page, and filter on the documented fields', async () => {
    const prefix = uniqueName('list');
    const container = await createContainer(server(), uniqueName('listed'), builtinTypes.pem);
    const c = await createStore(server(), {
      ClientMachine: `${prefix}-c`,
      CertStoreType: builtinTypes.pem,
      ContainerId: container,
    });
    const a = await createStore(server(), {
      ClientMachine: `${prefix}-a`,
      Storepath: '/etc/ssl/a.p12',
      CertStoreType: 1,
    });
    const b = await createStore(server(), { ClientMachine: `${prefix}-b`, CertStoreType: builtinTypes.iis });
    const ids = async (query: string) => {
      const response = await server().request('GET', `${stores}?${query}`);
      expectStatus(response, 200);
      return (response.body as StoreBody[]).map((store) => store.Id);
    };
    const mine = `QueryString=ClientMachine -startswith "${prefix}"`;
    const listed = await server().request('GET', `${stores}?${mine}`);
    assertKeyfactorShape(1, 'GET', '/CertificateStores', listed.body);
    assert.deepEqual(await ids(mine), [a.Id, b.Id, c.Id]);
    assert.deepEqual(await ids(`${mine}&SortAscending=1`), [c.Id, b.Id, a.Id]);
    assert.deepEqual(await ids(`${mine}&ReturnLimit=1&PageReturned=2`), [b.Id]);
    assert.deepEqual(await ids(`pq.queryString=ClientMachine -startswith "${prefix}"&pq.returnLimit=1`), [
      a.Id,
    ]);
    assert.deepEqual(await ids(`${mine} AND Category -eq 1`), [a.Id]);
    assert.deepEqual(await ids(`${mine} AND StorePath -endswith ".p12"`), [a.Id]);
    assert.deepEqual(await ids(`${mine} AND ContainerId -eq ${container}`), [c.Id]);
    assert.deepEqual(
      await ids(`${mine} AND Container -eq "${(await getStore(server(), c.Id)).ContainerName}"`),
      [c.Id],
    );
    assert.deepEqual(await ids(`${mine} AND PrivateKeyAllowed -eq 2`), [b.Id]);
    assert.deepEqual(await ids(`${mine} AND AddSupported -eq true AND Approved -eq true`), [
      a.Id,
      b.Id,
      c.Id,
    ]);
    const badField = await server().request('GET', `${stores}?QueryString=Password -eq "x"`);
    expectStatus(badField, 400);
    assert.match(message(badField), /unknown field 'Password'/);
  });

  test('bulk delete removes the stores it can and skips unknown ones', async () => {
    const first = await createStore(server());
    const second = await createStore(server());
    const response = await server().request('DELETE', stores, { body: [first.Id, unknownId, second.Id] });
    expectStatus(response, 204);
    assert.equal(response.text, '');
    expectStatus(await server().request('GET', `${stores}/${first.Id}`), 404);
    expectStatus(await server().request('GET', `${stores}/${second.Id}`), 404);
    const invalid = await server().request('DELETE', stores, { body: ['nope'] });
    expectStatus(invalid, 400);
    assert.equal(message(invalid), "'0' must be a valid GUID");
  });

  test('store routes need a store permission and credentials', async () => {
    expectStatus(await server().request('GET', stores, { as: nobody }), 403);
    expectStatus(await server().request('GET', stores, { as: null }), 401);
    const store = await createStore(server());
    expectStatus(await server().request('DELETE', `${stores}/${store.Id}`, { as: nobody }), 403);
    expectStatus(
      await server().request('GET', `${stores}/${store.Id}`, {
        headers: { 'x-keyfactor-requested-with': '' },
      }),
      400,
    );
  });

  test('creating, changing and deleting a store is audited without any secret', async () => {
    const store = await createStore(server(), {
      Properties: JSON.stringify({ ServerPassword: { value: { SecretValue: 'audit-canary-1' } } }),
      Password: { SecretValue: 'audit-canary-2' },
    });
    await server().request('PUT', stores, {
      body: { Id: store.Id, Password: { SecretValue: 'audit-canary-3' } },
    });
    await server().request('DELETE', `${stores}/${store.Id}`);
    const rows = await server()
      .server.storage.db.selectFrom('audit_log')
      .selectAll()
      .where('immutable_identifier', '=', store.Id)
      .orderBy('id')
      .execute();
    assert.deepEqual(
      rows.map((row) => [row.category, row.operation, row.user_name]),
      [
        [2106, 1, 'admin'],
        [2106, 2, 'admin'],
        [2106, 3, 'admin'],
      ],
    );
    assert.ok(!JSON.stringify(rows).includes('audit-canary'));
    assert.match(rows[0]?.message ?? '', /"form":"stored"/);
  });
});
