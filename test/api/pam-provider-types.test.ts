import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import {
  builtinProviderTypes,
  localProviderTypeId,
  seedBuiltinProviderTypes,
} from '../../src/modules/pam-providers/pam-provider-type-builtins.js';
import type { Storage } from '../../src/storage/storage.js';
import { createStorage } from '../../src/storage/storage.js';
import { assertKeyfactorShape } from '../support/keyfactor-openapi.js';
import type { Credentials } from '../support/test-server.js';
import { createTestDatabase, describeEachDialect } from '../support/test-server.js';

interface TypeBody {
  Id: string;
  Name: string;
  Parameters: {
    Id: number;
    Name: string;
    DisplayName: string | null;
    DataType: number;
    InstanceLevel: boolean;
  }[];
}

const types = '/KeyfactorAPI/PamProviders/Types';
const vaultTypeId = 'de8dd7b6-5987-4233-ac2f-60aea68c1b4e';

describeEachDialect('PAM provider types', (server) => {
  let reader: Credentials;
  let scopedModifier: Credentials;

  before(async () => {
    reader = await server().createUser('type-reader', ['/pam/read/']);
    scopedModifier = await server().createUser('type-scoped', ['/pam/modify/1/']);
  });

  const message = (body: unknown) => (body as { Message: string }).Message;

  test('the built-in types exist from the first start, in v1 and v2, exactly as published', async () => {
    for (const apiVersion of [1, 2] as const) {
      const response = await server().request('GET', types, { apiVersion });
      assert.equal(response.status, 200);
      assertKeyfactorShape(apiVersion, 'GET', '/PamProviders/Types', response.body);
      const listed = response.body as TypeBody[];
      for (const builtin of builtinProviderTypes) {
        const found = listed.find((type) => type.Id === builtin.id);
        assert.ok(found, `${builtin.name} is listed`);
        assert.equal(found.Name, builtin.name);
        assert.deepEqual(
          found.Parameters.map(({ Name, DisplayName, DataType, InstanceLevel }) => ({
            name: Name,
            displayName: DisplayName,
            dataType: DataType,
            instanceLevel: InstanceLevel,
          })),
          builtin.parameters,
        );
      }
    }
    const local = builtinProviderTypes.find((type) => type.id === localProviderTypeId);
    assert.equal(local?.name, 'LocalDB');
    assert.deepEqual(local?.parameters, [
      { name: 'SecretName', displayName: 'Secret Name', dataType: 1, instanceLevel: true },
    ]);
  });

  test('nodes seeding one empty database at once leave each built-in type once, with its parameters once', async () => {
    const database = await createTestDatabase(server().dialect);
    const nodes = await Promise.all(
      [1, 2, 3].map(() => createStorage({ databaseUrl: database.databaseUrl, dataDir: database.dataDir })),
    );
    try {
      await nodes[0]?.migrate();
      const seed = (node: Storage) => seedBuiltinProviderTypes(node, () => new Date());
      // Several nodes share PostgreSQL; SQLite is one node's embedded database, so its starts are sequential.
      if (database.dialect === 'postgres') await Promise.all(nodes.map(seed));
      else for (const node of nodes) await seed(node);
      const rows = await nodes[0]!.db
        .selectFrom('pam_provider_types')
        .innerJoin('pam_provider_type_params', 'pam_provider_type_params.type_id', 'pam_provider_types.id')
        .select(['pam_provider_types.id', 'pam_provider_type_params.name'])
        .execute();
      const expected = builtinProviderTypes.flatMap((type) =>
        type.parameters.map((parameter) => `${type.id}/${parameter.name}`),
      );
      assert.deepEqual(rows.map((row) => `${row.id}/${row.name}`).sort(), expected.sort());
    } finally {
      await Promise.all(nodes.map((node) => node.close()));
      await database.drop();
    }
  });

  test('creates a custom type from an extension manifest: camelCase, enum names and Description tolerated', async () => {
    const response = await server().request('POST', types, {
      body: {
        name: 'Akeyless',
        parameters: [
          {
            name: 'Url',
            displayName: 'Akeyless URL',
            dataType: 1,
            instanceLevel: false,
            description: 'ignored',
          },
          { name: 'AccessKey', displayName: 'Access Key', dataType: 'Secret', instanceLevel: false },
          { name: 'SecretName', displayName: 'Secret Name', dataType: 1, instanceLevel: true },
        ],
      },
    });
    assert.equal(response.status, 200);
    assertKeyfactorShape(1, 'POST', '/PamProviders/Types', response.body);
    const created = response.body as TypeBody;
    assert.match(created.Id, /^[0-9a-f-]{36}$/);
    assert.deepEqual(
      created.Parameters.map((param) => [param.Name, param.DataType, param.InstanceLevel]),
      [
        ['Url', 1, false],
        ['AccessKey', 2, false],
        ['SecretName', 1, true],
      ],
    );

    const byGuid = await server().request('GET', `${types}/${created.Id.toUpperCase()}`, { apiVersion: 1 });
    assert.equal(byGuid.status, 200);
    assert.deepEqual(byGuid.body, created);

    const audit = await server()
      .server.storage.db.selectFrom('audit_log')
      .select(['operation', 'audit_identifier', 'message'])
      .where('category', '=', 2101)
      .where('immutable_identifier', '=', created.Id)
      .execute();
    assert.deepEqual(
      audit.map((row) => [row.operation, row.audit_identifier]),
      [[1, 'Akeyless']],
    );
    assert.match(audit[0]?.message ?? '', /AccessKey/);
  });

  test('a type name already taken, in any case, is a 409 and nothing is created', async () => {
    const count = ((await server().request('GET', types)).body as TypeBody[]).length;
    for (const name of ['LocalDB', 'hashicorp-vault']) {
      const response = await server().request('POST', types, { body: { Name: name, Parameters: [] } });
      assert.equal(response.status, 409);
      assert.match(message(response.body), new RegExp(`'${name}' already exists`));
    }
    assert.equal(((await server().request('GET', types)).body as TypeBody[]).length, count);
  });

  test('refuses a bad type with a 400 that names the field', async () => {
    const cases: [unknown, RegExp][] = [
      [{ Parameters: [] }, /'Name' is required/],
      [{ Name: '' }, /'Name' must not be empty/],
      [{ Name: '   ' }, /'Name' must not be blank/],
      [{ Name: 'x'.repeat(257) }, /'Name' must be at most 256 characters/],
      [{ Name: 'BadType', Parameters: [{ Name: 'A', DataType: 3 }] }, /'Parameters\.0\.DataType'/],
      [{ Name: 'BadType', Parameters: [{ DataType: 1 }] }, /'Parameters\.0\.Name' is required/],
      [{ Name: 'BadType', Parameters: [{ Name: 'A' }, { Name: 'a' }] }, /names 'a' more than once/],
      [
        { Name: 'BadType', Parameters: Array.from({ length: 101 }, (_, i) => ({ Name: `p${i}` })) },
        /at most 100 items/,
      ],
    ];
    for (const [body, expected] of cases) {
      const response = await server().request('POST', types, { body });
      assert.equal(response.status, 400, JSON.stringify(body).slice(0, 80));
      assert.match(message(response.body), expected);
    }
    const names = ((await server().request('GET', types)).body as TypeBody[]).map((type) => type.Name);
    assert.ok(!names.includes('BadType'));
  });

  test('v2 GET /Types/{id} takes a provider id and returns that provider type in an array', async () => {
    const provider = await server().request('POST', '/KeyfactorAPI/PamProviders', {
      body: { Name: 'types-local', ProviderType: { Id: localProviderTypeId } },
    });
    const providerId = (provider.body as { Id: number }).Id;
    const response = await server().request('GET', `${types}/${providerId}`, { apiVersion: 2 });
    assert.equal(response.status, 200);
    assertKeyfactorShape(2, 'GET', '/PamProviders/Types/{id}', response.body);
    assert.deepEqual(
      (response.body as TypeBody[]).map((type) => type.Name),
      ['LocalDB'],
    );

    const missing = await server().request('GET', `${types}/999999`, { apiVersion: 2 });
    assert.equal(missing.status, 404);
    assert.equal(message(missing.body), "PAM provider '999999' was not found");
    const notAnId = await server().request('GET', `${types}/${localProviderTypeId}`, { apiVersion: 2 });
    assert.equal(notAnId.status, 400);
    assert.match(message(notAnId.body), /'id' must be a PAM provider id/);
  });

  test("v1 GET /Types/{id} takes a type GUID, as Keyfactor's Go client sends it", async () => {
    const found = await server().request('GET', `${types}/${vaultTypeId}`, { apiVersion: 1 });
    assert.equal(found.status, 200);
    assert.equal((found.body as TypeBody).Name, 'Hashicorp-Vault');
    const missing = await server().request('GET', `${types}/00000000-0000-4000-8000-000000000000`);
    assert.equal(missing.status, 404);
    assert.equal(
      message(missing.body),
      "PAM provider type '00000000-0000-4000-8000-000000000000' was not found",
    );
    const notAGuid = await server().request('GET', `${types}/42`);
    assert.equal(notAGuid.status, 400);
    assert.match(message(notAGuid.body), /'id' must be a provider type GUID/);
  });

  test('deletes an unused custom type; a type in use, a built-in type or an unknown one is refused', async () => {
    const custom = await server().request('POST', types, {
      body: { Name: 'Disposable', Parameters: [{ Name: 'Url', DataType: 1, InstanceLevel: false }] },
    });
    const customId = (custom.body as TypeBody).Id;
    const provider = await server().request('POST', '/KeyfactorAPI/PamProviders', {
      body: { Name: 'uses-disposable', Remote: true, ProviderType: { Id: customId } },
    });
    assert.equal(provider.status, 200);

    const inUse = await server().request('DELETE', `${types}/${customId}`);
    assert.equal(inUse.status, 409);
    assert.match(message(inUse.body), /'Disposable' is used by a PAM provider/);

    const builtin = await server().request('DELETE', `${types}/${localProviderTypeId}`);
    assert.equal(builtin.status, 409);
    assert.match(message(builtin.body), /'LocalDB' is built in/);

    const providerId = (provider.body as { Id: number }).Id;
    assert.equal((await server().request('DELETE', `/KeyfactorAPI/PamProviders/${providerId}`)).status, 204);
    assert.equal((await server().request('DELETE', `${types}/${customId}`)).status, 204);
    assert.equal((await server().request('GET', `${types}/${customId}`)).status, 404);
    assert.equal((await server().request('DELETE', `${types}/${customId}`)).status, 404);

    const notAGuid = await server().request('DELETE', `${types}/not-a-guid`);
    assert.equal(notAGuid.status, 400);
    assert.match(message(notAGuid.body), /'id' must be a valid GUID/);
  });

  test('reading types needs a PAM read grant; creating and deleting them needs the global /pam/modify/', async () => {
    assert.equal((await server().request('GET', types, { as: reader })).status, 200);
    assert.equal((await server().request('GET', types, { as: scopedModifier })).status, 200);
    for (const as of [reader, scopedModifier]) {
      const created = await server().request('POST', types, { as, body: { Name: 'NotAllowed' } });
      assert.equal(created.status, 403);
      const deleted = await server().request('DELETE', `${types}/${vaultTypeId}`, { as });
      assert.equal(deleted.status, 403);
    }
    assert.equal((await server().request('GET', types, { as: null })).status, 401);
  });
});
