import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { assertKeyfactorShape } from '../support/keyfactor-openapi.js';
import {
  builtinTypes,
  createContainer,
  createStore,
  expectStatus,
  message,
  storeTypes,
  uniqueName,
} from '../support/store-fixtures.js';
import type { Credentials } from '../support/test-server.js';
import { describeEachDialect } from '../support/test-server.js';

interface StoreTypeBody {
  Name: string;
  ShortName: string;
  StoreType: number;
  ImportType: number;
  Properties: { Id: number; StoreTypeId: number; Name: string; Type: number; Required: boolean | null }[];
  EntryParameters: { Id: number; Name: string; Type: number }[];
  PasswordOptions: { EntrySupported: boolean; StoreRequired: boolean; Style: number };
  SupportedOperations: Record<string, boolean>;
  PrivateKeyAllowed: number;
  CustomAliasAllowed: number;
  CertificateFormat: number;
  JobProperties: string[];
  InventoryJobType: string;
  ManagementJobType: string | null;
  DiscoveryJobType: string | null;
}

/** A store type as kfutil's store_types.json spells it: enum names, camelCase keys, extra read-only fields. */
function kfutilStoreType(name: string, shortName = name.slice(0, 20)) {
  return {
    name,
    shortName,
    capability: shortName,
    supportedOperations: { add: true, create: false, discovery: false, enrollment: false, remove: true },
    properties: [
      {
        name: 'ServerUsername',
        displayName: 'Server Username',
        type: 'Secret',
        dependsOn: '',
        defaultValue: null,
        required: false,
      },
      {
        name: 'ServerPassword',
        displayName: 'Server Password',
        type: 'Secret',
        dependsOn: '',
        defaultValue: null,
        required: false,
      },
      {
        name: 'Region',
        displayName: 'Region',
        type: 'MultipleChoice',
        dependsOn: '',
        defaultValue: 'eu,us',
        required: true,
      },
    ],
    entryParameters: [{ name: 'Alias Suffix', displayName: 'Alias Suffix', type: 'String', options: '' }],
    passwordOptions: { entrySupported: false, storeRequired: true, style: 'Default' },
    storePathType: '',
    storePathValue: '',
    privateKeyAllowed: 'Optional',
    jobProperties: [],
    serverRequired: true,
    powerShell: false,
    blueprintAllowed: false,
    customAliasAllowed: 'Required',
  };
}

describeEachDialect('certificate store types', (server) => {
  let containerReader: Credentials;
  let containerEditor: Credentials;
  let globalReader: Credentials;
  let nobody: Credentials;

  before(async () => {
    const container = await createContainer(server());
    containerReader = await server().createUser('types-container-reader', [
      `/certificate_stores/read/${container}/`,
    ]);
    containerEditor = await server().createUser('types-container-editor', [
      `/certificate_stores/modify/${container}/`,
    ]);
    globalReader = await server().createUser('types-global-reader', ['/certificate_stores/read/']);
    nobody = await server().createUser('types-nobody', ['/pam/read/']);
  });

  test('ships JKS (0), PKCS#12 (1), PEM (2) and IIS (6) with secret server credentials, in the published shape', async () => {
    const response = await server().request('GET', `${storeTypes}?SortField=StoreType`);
    expectStatus(response, 200);
    assertKeyfactorShape(1, 'GET', '/CertificateStoreTypes', response.body);
    const types = response.body as StoreTypeBody[];
    const byId = new Map(types.map((type) => [type.StoreType, type]));
    for (const id of Object.values(builtinTypes)) assert.ok(byId.has(id), `built-in type ${id} exists`);
    const jks = byId.get(builtinTypes.jks) as StoreTypeBody;
    assert.equal(jks.ShortName, 'JKS');
    assert.deepEqual(jks.PasswordOptions, { EntrySupported: false, StoreRequired: true, Style: 0 });
    const secretNames = jks.Properties.filter((property) => property.Type === 3).map(
      (property) => property.Name,
    );
    assert.deepEqual(secretNames, ['ServerUsername', 'ServerPassword']);
    assert.equal(byId.get(builtinTypes.pkcs12)?.ShortName, 'PKCS12');
    assert.equal(byId.get(builtinTypes.pem)?.PasswordOptions.StoreRequired, true);
    assert.deepEqual(byId.get(builtinTypes.iis)?.PasswordOptions, {
      EntrySupported: false,
      StoreRequired: false,
      Style: 0,
    });
  });

  test('reads one type by number and the types of a short name as an array, without regard to case', async () => {
    const one = await server().request('GET', `${storeTypes}/${builtinTypes.pem}`);
    expectStatus(one, 200);
    assertKeyfactorShape(1, 'GET', '/CertificateStoreTypes/{id}', one.body);
    assert.equal((one.body as StoreTypeBody).ShortName, 'PEM');

    const byName = await server().request('GET', `${storeTypes}/Name/iis`);
    expectStatus(byName, 200);
    assertKeyfactorShape(1, 'GET', '/CertificateStoreTypes/Name/{name}', byName.body);
    assert.deepEqual(
      (byName.body as StoreTypeBody[]).map((type) => type.StoreType),
      [builtinTypes.iis],
    );
  });

  test('an unknown type is a 404 that names it; a non-number is a 400', async () => {
    const missing = await server().request('GET', `${storeTypes}/4242`);
    expectStatus(missing, 404);
    assert.equal(message(missing), "Certificate store type '4242' was not found");
    const byName = await server().request('GET', `${storeTypes}/Name/NoSuchType`);
    expectStatus(byName, 404);
    assert.equal(message(byName), "No certificate store type has the short name 'NoSuchType'");
    const invalid = await server().request('GET', `${storeTypes}/abc`);
    expectStatus(invalid, 400);
    assert.match(message(invalid), /'id'/);
  });

  test('lists page, sort and filter like every Keyfactor list', async () => {
    const page = await server().request(
      'GET',
      `${storeTypes}?SortField=StoreType&ReturnLimit=2&PageReturned=2`,
    );
    expectStatus(page, 200);
    assert.deepEqual(
      (page.body as StoreTypeBody[]).map((type) => type.StoreType),
      [builtinTypes.pem, builtinTypes.iis],
    );
    const filtered = await server().request('GET', `${storeTypes}?QueryString=ShortName -eq "pkcs12"`);
    assert.deepEqual(
      (filtered.body as StoreTypeBody[]).map((type) => type.StoreType),
      [builtinTypes.pkcs12],
    );
    const badSort = await server().request('GET', `${storeTypes}?SortField=Colour`);
    expectStatus(badSort, 400);
    assert.match(message(badSort), /SortField 'Colour'/);
  });

  test('creates a custom type from enum names and camelCase, numbered from 102, with job types', async () => {
    const created = await server().request('POST', storeTypes, {
      body: kfutilStoreType(uniqueName('RemoteFile')),
    });
    expectStatus(created, 200);
    assertKeyfactorShape(1, 'POST', '/CertificateStoreTypes', created.body);
    const type = created.body as StoreTypeBody;
    assert.ok(type.StoreType >= 102);
    assert.equal(type.ImportType, type.StoreType);
    assert.deepEqual(
      type.Properties.map((property) => [property.Id, property.StoreTypeId, property.Name, property.Type]),
      [
        [1, type.StoreType, 'ServerUsername', 3],
        [2, type.StoreType, 'ServerPassword', 3],
        [3, type.StoreType, 'Region', 2],
      ],
    );
    assert.deepEqual(
      type.EntryParameters.map((parameter) => parameter.Name),
      ['Alias Suffix'],
    );
    assert.deepEqual(type.JobProperties, ['Alias Suffix']);
    assert.equal(type.PrivateKeyAllowed, 1);
    assert.equal(type.CustomAliasAllowed, 2);
    assert.match(type.InventoryJobType, /^[0-9a-f-]{36}$/);
    assert.notEqual(type.ManagementJobType, null);
    assert.equal(type.DiscoveryJobType, null);

    const again = await server().request('GET', `${storeTypes}/${type.StoreType}`);
    assert.deepEqual(again.body, type);
  });

  test('refuses bad type definitions with a 400 naming the field, and a taken name with 409', async () => {
    const name = uniqueName('Dup');
    expectStatus(await server().request('POST', storeTypes, { body: kfutilStoreType(name) }), 200);
    const duplicate = await server().request('POST', storeTypes, {
      body: kfutilStoreType(name.toUpperCase(), 'Other'),
    });
    expectStatus(duplicate, 409);
    assert.match(message(duplicate), /already exists/);

    const cases: [Record<string, unknown>, RegExp][] = [
      [{ ShortName: 'x' }, /^'Name' is required$/],
      [{ Name: 'n' }, /^'ShortName' is required$/],
      [{ Name: 'n', ShortName: 's'.repeat(65) }, /^'ShortName' must be at most 64 characters long$/],
      [{ Name: 'n', ShortName: 's', Properties: [{ Name: 'p', Type: 'Secretive' }] }, /^'Properties.0.Type'/],
      [
        { Name: 'n', ShortName: 's', Properties: [{ Name: 'p' }, { Name: 'P' }] },
        /^Property 'P' is defined more than once$/,
      ],
      [
        { Name: 'n', ShortName: 's', PrivateKeyAllowed: 7 },
        /^'PrivateKeyAllowed' has a value that is not allowed; use one of Forbidden \(0\), Optional \(1\), Required \(2\)$/,
      ],
      [
        { Name: 'n', ShortName: 's', Properties: Array.from({ length: 101 }, (_, i) => ({ Name: `p${i}` })) },
        /^'Properties' /,
      ],
    ];
    for (const [body, expected] of cases) {
      const response = await server().request('POST', storeTypes, { body });
      expectStatus(response, 400);
      assert.match(message(response), expected);
    }
  });

  test('replaces a type, keeping property ids by name, and refuses an unknown or taken one', async () => {
    const type = (await server().request('POST', storeTypes, { body: kfutilStoreType(uniqueName('Edit')) }))
      .body as StoreTypeBody;
    const replaced = await server().request('PUT', storeTypes, {
      body: {
        ...kfutilStoreType(type.Name, 'Edited'),
        StoreType: type.StoreType,
        properties: [
          { name: 'Region', type: 'String' },
          { name: 'Timeout', type: 'String' },
        ],
      },
    });
    expectStatus(replaced, 200);
    assertKeyfactorShape(1, 'PUT', '/CertificateStoreTypes', replaced.body);
    const body = replaced.body as StoreTypeBody;
    assert.equal(body.ShortName, 'Edited');
    assert.deepEqual(
      body.Properties.map((property) => [property.Id, property.Name, property.Type]),
      [
        [3, 'Region', 0],
        [4, 'Timeout', 0],
      ],
    );

    const unknown = await server().request('PUT', storeTypes, {
      body: { StoreType: 9999, Name: 'x', ShortName: 'x' },
    });
    expectStatus(unknown, 404);
    assert.equal(message(unknown), "Certificate store type '9999' was not found");
    const taken = await server().request('PUT', storeTypes, {
      body: { StoreType: type.StoreType, Name: 'Java Keystore', ShortName: 'x' },
    });
    expectStatus(taken, 409);
    assert.match(message(taken), /named 'Java Keystore' already exists \(0\)/);
  });

  test('while stores use a type its secret properties stay secret and its password support stays on', async () => {
    const type = (await server().request('POST', storeTypes, { body: kfutilStoreType(uniqueName('InUse')) }))
      .body as StoreTypeBody;
    await createStore(server(), {
      CertStoreType: type.StoreType,
      Properties: JSON.stringify({ Region: 'eu', ServerPassword: { value: { SecretValue: 'kept-secret' } } }),
    });
    const demote = await server().request('PUT', storeTypes, {
      body: {
        ...kfutilStoreType(type.Name, type.ShortName),
        StoreType: type.StoreType,
        serverRequired: false,
        properties: [{ name: 'ServerPassword', type: 'String' }, { name: 'Region' }],
      },
    });
    expectStatus(demote, 409);
    assert.match(message(demote), /Property 'ServerUsername' .* is secret and 1 store\(s\) use the type/);
    const noPassword = await server().request('PUT', storeTypes, {
      body: {
        ...kfutilStoreType(type.Name, type.ShortName),
        StoreType: type.StoreType,
        passwordOptions: { storeRequired: false, entrySupported: false },
      },
    });
    expectStatus(noPassword, 409);
    assert.match(message(noPassword), /password support cannot be turned off/);
    const after = (await server().request('GET', `${storeTypes}/${type.StoreType}`)).body as StoreTypeBody;
    assert.equal(after.Properties.find((property) => property.Name === 'ServerPassword')?.Type, 3);
  });

  test('deletes an unused custom type; refuses a built-in one and one in use with 409', async () => {
    const unused = (await server().request('POST', storeTypes, { body: kfutilStoreType(uniqueName('Gone')) }))
      .body as StoreTypeBody;
    expectStatus(await server().request('DELETE', `${storeTypes}/${unused.StoreType}`), 204);
    expectStatus(await server().request('GET', `${storeTypes}/${unused.StoreType}`), 404);
    expectStatus(await server().request('DELETE', `${storeTypes}/${unused.StoreType}`), 404);

    const builtin = await server().request('DELETE', `${storeTypes}/${builtinTypes.jks}`);
    expectStatus(builtin, 409);
    assert.equal(message(builtin), "certificate store type 'JKS' (0) is built in and cannot be deleted");

    const used = (await server().request('POST', storeTypes, { body: kfutilStoreType(uniqueName('Used')) }))
      .body as StoreTypeBody;
    await createStore(server(), { CertStoreType: used.StoreType, Properties: '{"Region":"us"}' });
    const inUse = await server().request('DELETE', `${storeTypes}/${used.StoreType}`);
    expectStatus(inUse, 409);
    assert.match(message(inUse), /is used by 1 certificate store\(s\)/);

    const containerOnly = (
      await server().request('POST', storeTypes, { body: kfutilStoreType(uniqueName('Boxed')) })
    ).body as StoreTypeBody;
    await createContainer(server(), uniqueName('boxed'), containerOnly.StoreType);
    const boxed = await server().request('DELETE', `${storeTypes}/${containerOnly.StoreType}`);
    expectStatus(boxed, 409);
    assert.match(message(boxed), /is used by 1 certificate store container\(s\)/);
  });

  test('bulk delete removes what it can and skips the rest', async () => {
    const first = (await server().request('POST', storeTypes, { body: kfutilStoreType(uniqueName('BulkA')) }))
      .body as StoreTypeBody;
    const second = (
      await server().request('POST', storeTypes, { body: kfutilStoreType(uniqueName('BulkB')) })
    ).body as StoreTypeBody;
    const response = await server().request('DELETE', storeTypes, {
      body: [first.StoreType, builtinTypes.jks, 987654, second.StoreType],
    });
    expectStatus(response, 204);
    assert.equal(response.text, '');
    expectStatus(await server().request('GET', `${storeTypes}/${first.StoreType}`), 404);
    expectStatus(await server().request('GET', `${storeTypes}/${second.StoreType}`), 404);
    expectStatus(await server().request('GET', `${storeTypes}/${builtinTypes.jks}`), 200);
  });

  test('reading needs a store read grant (any container will do); changing needs the global modify grant', async () => {
    expectStatus(await server().request('GET', storeTypes, { as: containerReader }), 200);
    expectStatus(await server().request('GET', `${storeTypes}/0`, { as: globalReader }), 200);
    expectStatus(await server().request('GET', storeTypes, { as: nobody }), 403);
    expectStatus(await server().request('GET', storeTypes, { as: null }), 401);
    const body = kfutilStoreType(uniqueName('Denied'));
    expectStatus(await server().request('POST', storeTypes, { as: globalReader, body }), 403);
    expectStatus(await server().request('POST', storeTypes, { as: containerEditor, body }), 403);
    expectStatus(await server().request('DELETE', `${storeTypes}/0`, { as: containerEditor }), 403);
  });

  test('every change is audited; seeding on restart adds nothing and keeps an administrator edit', async () => {
    const edited = await server().request('PUT', storeTypes, {
      body: {
        StoreType: builtinTypes.pkcs12,
        Name: 'PKCS#12 (edited)',
        ShortName: 'PKCS12',
        PasswordOptions: { StoreRequired: true },
      },
    });
    expectStatus(edited, 200);
    const db = server().server.storage.db;
    const auditRows = await db
      .selectFrom('audit_log')
      .select(['operation', 'immutable_identifier', 'message'])
      .where('entity_type', '=', 'CertificateStoreType')
      .execute();
    assert.ok(
      auditRows.some(
        (row) => row.immutable_identifier === String(builtinTypes.pkcs12) && row.operation === 2,
      ),
    );
    const before = (await server().request('GET', storeTypes, { body: undefined })).body as StoreTypeBody[];

    await server().restart();
    const after = (await server().request('GET', storeTypes)).body as StoreTypeBody[];
    assert.deepEqual(after, before);
    assert.equal(after.find((type) => type.StoreType === builtinTypes.pkcs12)?.Name, 'PKCS#12 (edited)');
    const auditAfter = await server()
      .server.storage.db.selectFrom('audit_log')
      .select('id')
      .where('entity_type', '=', 'CertificateStoreType')
      .execute();
    assert.equal(auditAfter.length, auditRows.length);
  });
});
