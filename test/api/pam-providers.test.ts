import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { sql } from 'kysely';
import { localProviderTypeId } from '../../src/modules/pam-providers/pam-provider-type-builtins.js';
import type { DatabaseExecutor } from '../../src/storage/storage.js';
import { assertKeyfactorShape } from '../support/keyfactor-openapi.js';
import type { Credentials } from '../support/test-server.js';
import { describeEachDialect } from '../support/test-server.js';

interface ParamValueBody {
  Id: number;
  Value: string | null;
  ProviderTypeParam: { Id: number; Name: string };
}

interface ProviderBody {
  Id: number;
  Name: string;
  Area?: number;
  SecuredAreaId?: number | null;
  Remote: boolean;
  ProviderType: { Id: string; Name: string; ProviderTypeParams: { Id: number; Name: string }[] };
  ProviderTypeParamValues: ParamValueBody[];
}

const providers = '/KeyfactorAPI/PamProviders';
const vaultTypeId = 'de8dd7b6-5987-4233-ac2f-60aea68c1b4e';
const mask = '********************';

const message = (body: unknown) => (body as { Message: string }).Message;
const valuesByName = (body: unknown) =>
  Object.fromEntries(
    (body as ProviderBody).ProviderTypeParamValues.map((value) => [
      value.ProviderTypeParam.Name,
      value.Value,
    ]),
  );

/** What kfutil sends to create a provider: camelCase, the whole parameter definition, Id -1 with a name. */
function vaultPayload(name: string, token: string | null, extra: Record<string, unknown> = {}) {
  return {
    name,
    remote: false,
    area: 1,
    providerType: { id: vaultTypeId, name: 'Hashicorp-Vault' },
    providerTypeParamValues: [
      {
        value: 'https://vault.example:8200',
        providerTypeParam: { id: -1, name: 'Host', instanceLevel: false },
      },
      { value: token, providerTypeParam: { id: -1, name: 'Token', instanceLevel: false } },
      { value: 'kv', instanceId: null, instanceGuid: null, providerTypeParam: { name: 'Path' } },
    ],
    securedAreaId: null,
    ...extra,
  };
}

describeEachDialect('PAM providers', (server) => {
  let vault: ProviderBody;
  let local: ProviderBody;
  let other: ProviderBody;
  let scopedEditor: Credentials;
  let scopedReader: Credentials;
  let nobody: Credentials;

  const storedValues = (providerId: number) =>
    server()
      .server.storage.db.selectFrom('pam_provider_param_values')
      .innerJoin(
        'pam_provider_type_params',
        'pam_provider_type_params.id',
        'pam_provider_param_values.param_id',
      )
      .select(['pam_provider_type_params.name', 'value_text', 'value_sealed'])
      .where('provider_id', '=', providerId)
      .execute();

  before(async () => {
    const created = await server().request('POST', providers, {
      body: vaultPayload('vault-a', 'root-token-1'),
    });
    assert.equal(created.status, 200, created.text);
    vault = created.body as ProviderBody;
    local = (
      await server().request('POST', providers, {
        body: { Name: 'local-a', ProviderType: { Id: localProviderTypeId } },
      })
    ).body as ProviderBody;
    other = (await server().request('POST', providers, { body: vaultPayload('vault-b', 'root-token-2') }))
      .body as ProviderBody;
    scopedEditor = await server().createUser('provider-editor', [
      `/pam/read/${vault.Id}/`,
      `/pam/modify/${vault.Id}/`,
    ]);
    scopedReader = await server().createUser('provider-reader', [
      `/pam/read/${vault.Id}/`,
      `/pam/modify/${other.Id}/`,
    ]);
    nobody = await server().createUser('provider-nobody', []);
  });

  test('creates a provider from a kfutil payload; a secret parameter is sealed and shown only as a mask', async () => {
    assert.equal(vault.Name, 'vault-a');
    assert.equal(vault.ProviderType.Name, 'Hashicorp-Vault');
    assert.deepEqual(valuesByName(vault), { Host: 'https://vault.example:8200', Token: mask, Path: 'kv' });
    const stored = await storedValues(vault.Id);
    const token = stored.find((row) => row.name === 'Token');
    assert.equal(token?.value_text, null);
    assert.ok(token?.value_sealed && !Buffer.from(token.value_sealed).includes('root-token-1'));
  });

  test('v1 responses are ProviderResponseLegacy and v2 responses ProviderResponse, as Keyfactor publishes them', async () => {
    for (const apiVersion of [1, 2] as const) {
      const one = await server().request('GET', `${providers}/${vault.Id}`, { apiVersion });
      assert.equal(one.status, 200);
      assertKeyfactorShape(apiVersion, 'GET', '/PamProviders/{id}', one.body);
      const list = await server().request('GET', providers, { apiVersion });
      assertKeyfactorShape(apiVersion, 'GET', '/PamProviders', list.body);
      const created = await server().request('POST', providers, {
        apiVersion,
        body: { Name: `shape-v${apiVersion}`, ProviderType: { Id: localProviderTypeId } },
      });
      assertKeyfactorShape(apiVersion, 'POST', '/PamProviders', created.body);
      const updated = await server().request('PUT', providers, {
        apiVersion,
        body: {
          Id: (created.body as ProviderBody).Id,
          Name: `shape-v${apiVersion}`,
          Remote: false,
          ProviderType: { Id: localProviderTypeId },
        },
      });
      assert.equal(updated.status, 200, updated.text);
      assertKeyfactorShape(apiVersion, 'PUT', '/PamProviders', updated.body);
      assert.equal(
        (
          await server().request('DELETE', `${providers}/${(created.body as ProviderBody).Id}`, {
            apiVersion,
          })
        ).status,
        204,
      );
    }
    const v1 = (await server().request('GET', `${providers}/${vault.Id}`, { apiVersion: 1 }))
      .body as ProviderBody;
    assert.deepEqual(Object.keys(v1), [
      'Id',
      'Name',
      'Area',
      'ProviderType',
      'ProviderTypeParamValues',
      'SecuredAreaId',
      'Remote',
    ]);
    const v2 = (await server().request('GET', `${providers}/${vault.Id}`, { apiVersion: 2 }))
      .body as ProviderBody;
    assert.deepEqual(Object.keys(v2), ['Id', 'Name', 'ProviderType', 'ProviderTypeParamValues', 'Remote']);
  });

  test('lists filter on Area, Name, ProviderType and SecuredAreaId, sort by Name by default, and page', async () => {
    const names = async (query: string) => {
      const response = await server().request('GET', `${providers}?${query}`);
      assert.equal(response.status, 200, response.text);
      return (response.body as ProviderBody[]).map((provider) => provider.Name);
    };
    assert.deepEqual(await names(''), ['local-a', 'vault-a', 'vault-b']);
    assert.deepEqual(await names('SortAscending=1'), ['vault-b', 'vault-a', 'local-a']);
    assert.deepEqual(await names(`QueryString=${encodeURIComponent('ProviderType -eq "hashicorp-vault"')}`), [
      'vault-a',
      'vault-b',
    ]);
    assert.deepEqual(await names(`QueryString=${encodeURIComponent("Name eq 'VAULT-A'")}`), ['vault-a']);
    assert.deepEqual(
      await names(`QueryString=${encodeURIComponent('Area -eq 1 AND SecuredAreaId -eq NULL')}`),
      ['local-a', 'vault-a', 'vault-b'],
    );
    assert.deepEqual(await names('ReturnLimit=2&PageReturned=2'), ['vault-b']);
    assert.deepEqual(await names('pq.returnLimit=1&sortField=Name'), ['local-a']);
  });

  test('a bad list request is a 400 that names the problem', async () => {
    const cases: [string, RegExp][] = [
      [
        'QueryString=Color%20-eq%20%22red%22',
        /unknown field 'Color'; allowed fields are Area, Name, ProviderType, SecuredAreaId/,
      ],
      ['ReturnLimit=0', /'ReturnLimit' must be >= 1/],
      ['ReturnLimit=100000', /'ReturnLimit' must be <= 5000/],
      ['SortField=Token', /SortField 'Token' is not a field of this list/],
    ];
    for (const [query, expected] of cases) {
      const response = await server().request('GET', `${providers}?${query}`);
      assert.equal(response.status, 400, query);
      assert.match(message(response.body), expected);
    }
  });

  test('PUT replaces the whole provider: a parameter left out is cleared, the mask keeps a secret, a value replaces it', async () => {
    const sealedBefore = (await storedValues(vault.Id)).find((row) => row.name === 'Token')?.value_sealed;
    const kept = await server().request('PUT', providers, {
      body: {
        Id: vault.Id,
        Name: 'vault-a',
        ProviderType: { Id: vaultTypeId },
        ProviderTypeParamValues: [
          { Value: 'https://vault2.example', ProviderTypeParam: { Name: 'Host' } },
          {
            Value: mask,
            ProviderTypeParam: {
              Id: vault.ProviderTypeParamValues.find((v) => v.ProviderTypeParam.Name === 'Token')
                ?.ProviderTypeParam.Id,
            },
          },
        ],
      },
    });
    assert.equal(kept.status, 200, kept.text);
    assert.deepEqual(valuesByName(kept.body), { Host: 'https://vault2.example', Token: mask });
    const sealedKept = (await storedValues(vault.Id)).find((row) => row.name === 'Token')?.value_sealed;
    assert.ok(sealedBefore && sealedKept && Buffer.compare(sealedBefore, sealedKept) === 0);

    const replaced = await server().request('PUT', providers, {
      body: { Id: vault.Id, ...vaultPayload('vault-a', 'root-token-3') },
    });
    assert.equal(replaced.status, 200, replaced.text);
    assert.deepEqual(valuesByName(replaced.body), {
      Host: 'https://vault.example:8200',
      Token: mask,
      Path: 'kv',
    });
    const sealedReplaced = (await storedValues(vault.Id)).find((row) => row.name === 'Token')?.value_sealed;
    assert.ok(sealedReplaced && Buffer.compare(sealedBefore, sealedReplaced) !== 0);

    const cleared = await server().request('PUT', providers, {
      body: { Id: vault.Id, ...vaultPayload('vault-a', null) },
    });
    assert.deepEqual(valuesByName(cleared.body), { Host: 'https://vault.example:8200', Path: 'kv' });
    const restored = await server().request('PUT', providers, {
      body: { Id: vault.Id, ...vaultPayload('vault-a', 'root-token-1') },
    });
    assert.equal(restored.status, 200);

    const audit = await server()
      .server.storage.db.selectFrom('audit_log')
      .select('message')
      .where('category', '=', 2102)
      .where('immutable_identifier', '=', String(vault.Id))
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    assert.deepEqual((JSON.parse(audit.message) as { changedFields: string[] }).changedFields, ['Token']);
  });

  test('v2 PUT needs Remote and keeps the legacy Area, which it cannot see', async () => {
    const created = (
      await server().request('POST', providers, {
        body: { Name: 'area-7', Area: 7, ProviderType: { Id: localProviderTypeId } },
      })
    ).body as ProviderBody;
    const missingRemote = await server().request('PUT', providers, {
      apiVersion: 2,
      body: { Id: created.Id, Name: 'area-7' },
    });
    assert.equal(missingRemote.status, 400);
    assert.equal(message(missingRemote.body), "'Remote' is required");
    const renamed = await server().request('PUT', providers, {
      apiVersion: 2,
      body: { Id: created.Id, Name: 'area-7b', Remote: false },
    });
    assert.equal(renamed.status, 200);
    const v1 = (await server().request('GET', `${providers}/${created.Id}`)).body as ProviderBody;
    assert.equal(v1.Name, 'area-7b');
    assert.equal(v1.Area, 7);
    const missingType = await server().request('PUT', providers, {
      apiVersion: 1,
      body: { Id: created.Id, Name: 'area-7b' },
    });
    assert.equal(missingType.status, 400);
    assert.equal(message(missingType.body), "'ProviderType' is required");
    assert.equal((await server().request('DELETE', `${providers}/${created.Id}`)).status, 204);
  });

  test('refuses bad providers with a 400 naming the problem, and changes nothing', async () => {
    const before = await server().request('GET', providers);
    const post = (body: unknown) => server().request('POST', providers, { body });
    const put = (body: unknown) => server().request('PUT', providers, { body });
    const cases: [Promise<{ status: number; body: unknown }>, RegExp][] = [
      [post({ ProviderType: { Id: localProviderTypeId } }), /'Name' is required/],
      [post({ Name: '', ProviderType: { Id: localProviderTypeId } }), /'Name' must not be empty/],
      [
        post({ Name: 'x'.repeat(401), ProviderType: { Id: localProviderTypeId } }),
        /'Name' must be at most 400 characters/,
      ],
      [post({ Name: 'no-type' }), /'ProviderType' is required/],
      [post({ Name: 'bad-type', ProviderType: { Id: 'nope' } }), /'ProviderType.Id' must be a valid GUID/],
      [
        post({ Name: 'unknown-type', ProviderType: { Id: '00000000-0000-4000-8000-000000000000' } }),
        /'ProviderType.Id' names no PAM provider type/,
      ],
      [
        post({ Name: 'no-values', ProviderType: { Id: vaultTypeId } }),
        /'ProviderTypeParamValues' is required when 'Remote' is false/,
      ],
      [
        post({ Name: 'remote-local', Remote: true, ProviderType: { Id: localProviderTypeId } }),
        /local type 'LocalDB' cannot be remote/,
      ],
      [post(vaultPayload('masked', mask)), /'Token' has no stored value to keep/],
      [
        post({
          ...vaultPayload('unknown-param', 't'),
          providerTypeParamValues: [{ value: 'x', providerTypeParam: { name: 'Colour' } }],
        }),
        /names 'Colour', which is not a parameter/,
      ],
      [
        post({
          ...vaultPayload('bad-value', 't'),
          providerTypeParamValues: [{ value: 5, providerTypeParam: { name: 'Host' } }],
        }),
        /'ProviderTypeParamValues.0.Value' must be of type string/,
      ],
      [post(vaultPayload('vault-B', 't')), /A PAM provider named 'vault-B' already exists/],
      [
        put({ Id: vault.Id, Name: 'vault-a', ProviderType: { Id: localProviderTypeId } }),
        /type of PAM provider '\d+' cannot be changed/,
      ],
      [
        put({ Id: vault.Id, ...vaultPayload('vault-b', 't') }),
        /A PAM provider named 'vault-b' already exists/,
      ],
      [put({ Name: 'no-id', ProviderType: { Id: localProviderTypeId } }), /'Id' is required/],
    ];
    for (const [pending, expected] of cases) {
      const response = await pending;
      assert.ok(response.status === 400 || response.status === 409, `${response.status} for ${expected}`);
      assert.match(message(response.body), expected);
    }
    assert.deepEqual((await server().request('GET', providers)).body, before.body);
    const missing = await put({ Id: 999999, Name: 'ghost', ProviderType: { Id: localProviderTypeId } });
    assert.equal(missing.status, 404);
    const badId = await server().request('GET', `${providers}/abc`);
    assert.equal(badId.status, 400);
    assert.match(message(badId.body), /'id' must be of type integer/);
  });

  test('per-provider grants: allowed on its provider, 404 on another, 403 when it may only read', async () => {
    const listed = await server().request('GET', providers, { as: scopedEditor });
    assert.deepEqual(
      (listed.body as ProviderBody[]).map((provider) => provider.Id),
      [vault.Id],
    );
    assert.equal(
      (await server().request('GET', `${providers}/${vault.Id}`, { as: scopedEditor })).status,
      200,
    );

    const hidden = await server().request('GET', `${providers}/${other.Id}`, { as: scopedEditor });
    const absent = await server().request('GET', `${providers}/999999`, { as: scopedEditor });
    assert.equal(hidden.status, 404);
    assert.equal(message(hidden.body), `PAM provider '${other.Id}' was not found`);
    assert.equal(absent.status, 404);
    assert.equal(message(absent.body), "PAM provider '999999' was not found");

    const update = (as: Credentials, id: number, name: string) =>
      server().request('PUT', providers, { as, body: { Id: id, ...vaultPayload(name, mask) } });
    assert.equal((await update(scopedEditor, vault.Id, 'vault-a')).status, 200);
    assert.equal((await update(scopedEditor, other.Id, 'vault-b')).status, 404);
    const readOnly = await update(scopedReader, vault.Id, 'vault-a');
    assert.equal(readOnly.status, 403);
    assert.equal(message(readOnly.body), `You may read PAM provider '${vault.Id}' but not change it`);
    assert.equal(
      (await server().request('DELETE', `${providers}/${vault.Id}`, { as: scopedReader })).status,
      403,
    );
    assert.equal(
      (await server().request('DELETE', `${providers}/${other.Id}`, { as: scopedEditor })).status,
      404,
    );

    const create = await server().request('POST', providers, {
      as: scopedEditor,
      body: { Name: 'scoped-create', ProviderType: { Id: localProviderTypeId } },
    });
    assert.equal(create.status, 403);
    assert.equal((await server().request('GET', providers, { as: nobody })).status, 403);
    assert.equal((await server().request('GET', providers, { as: null })).status, 401);
  });

  test('a provider still referenced by a local entry or a certificate store secret cannot be deleted', async () => {
    const entry = await server().request('POST', `${providers}/Local/${local.Id}/Entries`, {
      body: { SecretName: 'keep-me', SecretValue: 'v' },
    });
    assert.equal(entry.status, 200);
    const blocked = await server().request('DELETE', `${providers}/${local.Id}`);
    assert.equal(blocked.status, 409);
    assert.match(message(blocked.body), /still in use by 1 local entry and 0 certificate store secrets/);
    await server().request('DELETE', `${providers}/Local/${local.Id}/Entries?secretName=keep-me`);

    // The stores area owns certificate_store_secrets; a bare reference row is all this rule looks at.
    await withoutForeignKeys(async (db) => {
      await db
        .insertInto('certificate_store_secrets')
        .values({
          store_id: 'store-1',
          secret_key: 'Password',
          instance_guid: 'g',
          value_sealed: null,
          provider_id: local.Id,
          parameters_json: null,
        })
        .execute();
    });
    const referenced = await server().request('DELETE', `${providers}/${local.Id}`);
    assert.equal(referenced.status, 409);
    assert.match(message(referenced.body), /0 local entries and 1 certificate store secret\b/);
    await server()
      .server.storage.db.deleteFrom('certificate_store_secrets')
      .where('provider_id', '=', local.Id)
      .execute();

    assert.equal((await server().request('DELETE', `${providers}/${local.Id}`)).status, 204);
    assert.equal((await server().request('GET', `${providers}/${local.Id}`)).status, 404);
    assert.equal((await server().request('DELETE', `${providers}/${local.Id}`)).status, 404);
  });

  async function withoutForeignKeys(work: (db: DatabaseExecutor) => Promise<void>) {
    const { storage } = server().server;
    if (server().dialect === 'sqlite') {
      await sql`pragma foreign_keys = off`.execute(storage.db);
      try {
        await work(storage.db);
      } finally {
        await sql`pragma foreign_keys = on`.execute(storage.db);
      }
      return;
    }
    await storage.transaction(async (tx) => {
      await sql`set local session_replication_role = replica`.execute(tx);
      await work(tx);
    });
  }
});
