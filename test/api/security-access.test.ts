import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { ApiInstance } from '../../src/http/app.js';
import { buildHttpApp } from '../../src/http/app.js';
import { actorOf, requirePermission } from '../../src/http/route-access.js';
import { globalPermissionSetId } from '../../src/modules/security/admin-bootstrap.js';
import { createAuthenticator } from '../../src/modules/security/authenticator.js';
import { permissionCatalog } from '../../src/modules/security/permission-catalog.js';
import type { Credentials, TestServer } from '../support/test-server.js';
import { basicAuthorization, describeEachDialect } from '../support/test-server.js';

type ErrorResponse = { Message: string };
type Role = { Id: number; Permissions: string[] };

const rolesPath = '/KeyfactorAPI/Security/Roles';
const probedProviders = [7, 8];

/**
 * A second HTTP app over the same database, with the real authentication and access hooks, and two probe
 * routes: one declared scoped (reachable with a grant for any one provider) and one declared global. They
 * answer which of providers 7 and 8 the caller may read, which is what a scoped route's service asks.
 */
async function startProbe(server: TestServer): Promise<ApiInstance> {
  const authenticator = createAuthenticator({
    db: server.server.storage.db,
    cacheKey: randomBytes(32),
    now: () => new Date(),
  });
  const app = await buildHttpApp({
    logger: false,
    bodyLimitBytes: 1024,
    version: 'probe',
    credentialVerifiers: {
      basic: (username, password) => authenticator.authenticateBasic(username, password),
      bearer: () => Promise.reject(new Error('the probe accepts no bearer tokens')),
    },
    registrars: [
      (probe) => {
        const readable = (request: Parameters<typeof actorOf>[0]) => ({
          readable: probedProviders.filter((id) => actorOf(request).permissions.has('/pam/read/', id)),
        });
        probe.get(
          '/probe/scoped',
          { config: { access: requirePermission('/pam/read/', { scoped: true }) } },
          async (request) => readable(request),
        );
        probe.get('/probe/global', { config: { access: requirePermission('/pam/read/') } }, async (request) =>
          readable(request),
        );
      },
    ],
  });
  await app.ready();
  return app;
}

function roleBody(name: string, permissions: string[], claims: Record<string, unknown>[]) {
  return {
    Name: name,
    Description: name,
    PermissionSetId: globalPermissionSetId,
    Permissions: permissions,
    Claims: claims,
  };
}

async function insertPamProvider(server: TestServer, name: string): Promise<number> {
  const db = server.server.storage.db;
  const now = new Date().toISOString();
  const typeId = randomBytes(16)
    .toString('hex')
    .replace(/^(.{8})(.{4})(.{4})(.{4})/, '$1-$2-$3-$4-');
  await db
    .insertInto('pam_provider_types')
    .values({ id: typeId, name: `type-${name}`, is_builtin: 0, created_at: now })
    .execute();
  const row = await db
    .insertInto('pam_providers')
    .values({
      name,
      type_id: typeId,
      area: 0,
      secured_area_id: null,
      remote: 0,
      created_at: now,
      updated_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

async function insertContainer(server: TestServer, name: string): Promise<number> {
  const row = await server.server.storage.db
    .insertInto('certificate_store_containers')
    .values({ name, cert_store_type: 0, overwrite_schedules: 0, schedule_json: null })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

describeEachDialect('security: roles, claims and permissions decide access', (server) => {
  let probe: ApiInstance | undefined;
  before(async () => {
    probe = await startProbe(server());
  });
  after(async () => {
    await probe?.close();
  });

  async function probeAs(path: string, credentials: Credentials) {
    if (probe === undefined) throw new Error('the probe has not started');
    const response = await probe.inject({
      method: 'GET',
      url: path,
      headers: { authorization: basicAuthorization(credentials) },
    });
    return { status: response.statusCode, body: response.json<unknown>() };
  }

  test('a User claim gives the user the role: reading roles works, changing them stays 403', async () => {
    const user = await server().createUser('uma', ['/security/read/']);
    assert.equal((await server().request('GET', rolesPath, { as: user })).status, 200);
    const change = await server().request('POST', rolesPath, {
      apiVersion: 2,
      as: user,
      body: roleBody('by-uma', [], []),
    });
    assert.equal(change.status, 403);
  });

  test('a Group claim gives the role to every member of that group, matched without regard to case', async () => {
    const password = `pw-${randomBytes(12).toString('hex')}`;
    const created = await server().request('POST', '/strongroom/users', {
      body: { Username: 'gus', Password: password, Groups: ['pki-auditors'] },
    });
    assert.equal(created.status, 200);
    const gus = { username: 'gus', password };
    assert.equal((await server().request('GET', rolesPath, { as: gus })).status, 403);

    const role = await server().request('POST', rolesPath, {
      apiVersion: 2,
      body: roleBody(
        'auditors-group',
        ['/security/read/'],
        [
          {
            ClaimType: 'Group',
            ClaimValue: 'PKI-Auditors',
            ProviderAuthenticationScheme: 'Basic',
            Description: '',
          },
        ],
      ),
    });
    assert.equal(role.status, 200, role.text);
    assert.equal((await server().request('GET', rolesPath, { as: gus })).status, 200);
    const my = await server().request('GET', '/KeyfactorAPI/Security/My', { as: gus });
    assert.deepEqual((my.body as { Roles: string[] }).Roles, ['auditors-group']);
  });

  test('modify implies read: /security/modify/ alone may read roles', async () => {
    const user = await server().createUser('mo', ['/security/modify/']);
    assert.equal((await server().request('GET', rolesPath, { as: user })).status, 200);
  });

  test('an object-scoped grant reaches a scoped route for that object only; a global-only route stays 403', async () => {
    const user = await server().createUser('pat', ['/pam/read/7/']);
    assert.deepEqual(await probeAs('/probe/scoped', user), { status: 200, body: { readable: [7] } });
    assert.equal((await probeAs('/probe/global', user)).status, 403);

    const modifier = await server().createUser('pam-modifier-7', ['/pam/modify/7/']);
    assert.deepEqual(await probeAs('/probe/scoped', modifier), { status: 200, body: { readable: [7] } });

    const global = await server().createUser('pam-reader', ['/pam/read/']);
    assert.deepEqual(await probeAs('/probe/global', global), { status: 200, body: { readable: [7, 8] } });
  });

  test('removing a role, or the claim that matched, removes access at once', async () => {
    const user = await server().createUser('temp', ['/security/read/']);
    assert.equal((await server().request('GET', rolesPath, { as: user })).status, 200);
    const roles = await server().request(
      'GET',
      `${rolesPath}?QueryString=${encodeURIComponent('Name -eq "role-for-temp"')}`,
      { apiVersion: 2 },
    );
    const [role] = roles.body as Role[];
    assert.ok(role !== undefined);

    const withoutClaim = await server().request('PUT', rolesPath, {
      apiVersion: 2,
      body: { ...roleBody('role-for-temp', ['/security/read/'], []), Id: role.Id },
    });
    assert.equal(withoutClaim.status, 200);
    assert.equal((await server().request('GET', rolesPath, { as: user })).status, 403);

    const user2 = await server().createUser('temp2', ['/pam/read/']);
    assert.equal((await probeAs('/probe/global', user2)).status, 200);
    const roles2 = await server().request(
      'GET',
      `${rolesPath}?QueryString=${encodeURIComponent('Name -eq "role-for-temp2"')}`,
      { apiVersion: 2 },
    );
    const [role2] = roles2.body as Role[];
    assert.equal((await server().request('DELETE', `${rolesPath}/${role2?.Id ?? 0}`)).status, 204);
    assert.equal((await probeAs('/probe/global', user2)).status, 403);
  });

  test('Security/My reports roles and v1 permissions; My/Permissions the access-control strings', async () => {
    const user = await server().createUser('myself', [
      '/pam/modify/7/',
      '/auditing/read/',
      '/strongroom/resolve/',
    ]);
    const my = await server().request('GET', '/KeyfactorAPI/Security/My', { as: user });
    assert.equal(my.status, 200);
    assert.deepEqual(my.body, {
      Roles: ['role-for-myself'],
      GlobalPermissions: [{ Area: 'Auditing', Permission: 'Read' }],
      GranularPermissions: [
        { Area: 'PrivilegedAccessManagement', Permission: 'Modify', SecurableId: 7 },
        { Area: 'PrivilegedAccessManagement', Permission: 'Read', SecurableId: 7 },
      ],
    });
    const strings = await server().request('GET', '/KeyfactorAPI/Security/My/Permissions', { as: user });
    assert.deepEqual(strings.body, {
      Permissions: ['/auditing/read/', '/pam/modify/7/', '/pam/read/7/', '/strongroom/resolve/'],
    });

    const nobody = await server().createUser('no-roles-at-all', []);
    const empty = await server().request('GET', '/KeyfactorAPI/Security/My', { as: nobody });
    assert.deepEqual(empty.body, {
      Roles: ['role-for-no-roles-at-all'],
      GlobalPermissions: [],
      GranularPermissions: [],
    });
    assert.equal((await server().request('GET', '/KeyfactorAPI/Security/My', { as: null })).status, 401);
  });

  test('Permissions lists the whole catalogue to any signed-in caller', async () => {
    const nobody = await server().createUser('catalogue-reader', []);
    const response = await server().request('GET', '/KeyfactorAPI/Permissions', { as: nobody });
    assert.equal(response.status, 200);
    assert.deepEqual(response.body, [...permissionCatalog]);
    assert.equal((await server().request('GET', '/KeyfactorAPI/Permissions', { as: null })).status, 401);
  });

  test('PermissionSets holds the Global set with every permission, readable with /security/read/', async () => {
    const list = await server().request('GET', '/KeyfactorAPI/PermissionSets');
    assert.equal(list.status, 200);
    assert.deepEqual(list.body, [
      { Id: globalPermissionSetId, Name: 'Global', Permissions: [...permissionCatalog] },
    ]);
    const one = await server().request(
      'GET',
      `/KeyfactorAPI/PermissionSets/${globalPermissionSetId.toUpperCase()}`,
    );
    assert.equal(one.status, 200);
    assert.deepEqual(one.body, (list.body as unknown[])[0]);

    const missing = await server().request(
      'GET',
      '/KeyfactorAPI/PermissionSets/0f0e0d0c-0b0a-4909-8807-060504030201',
    );
    assert.equal(missing.status, 404);
    assert.match((missing.body as ErrorResponse).Message, /0f0e0d0c-0b0a-4909-8807-060504030201/);
    const malformed = await server().request('GET', '/KeyfactorAPI/PermissionSets/global');
    assert.equal(malformed.status, 400);
    assert.match((malformed.body as ErrorResponse).Message, /'id'/);

    const outsider = await server().createUser('set-outsider', ['/pam/read/']);
    assert.equal(
      (await server().request('GET', '/KeyfactorAPI/PermissionSets', { as: outsider })).status,
      403,
    );
  });
});

describeEachDialect('security: per-provider and per-container role permissions', (server) => {
  const providerIds: number[] = [];
  const containerIds: number[] = [];
  let roleId = 0;

  before(async () => {
    providerIds.push(
      await insertPamProvider(server(), 'vault-east'),
      await insertPamProvider(server(), 'vault-west'),
    );
    containerIds.push(
      await insertContainer(server(), 'web-servers'),
      await insertContainer(server(), 'db-servers'),
    );
    const role = await server().request('POST', rolesPath, {
      apiVersion: 2,
      body: roleBody('object-grants', ['/auditing/read/', '/pam/read/'], []),
    });
    roleId = (role.body as Role).Id;
  });

  const pamPath = () => `${rolesPath}/${roleId}/Permissions/PamProviders`;
  const containerPath = () => `${rolesPath}/${roleId}/Permissions/Containers`;
  const storedPermissions = async () =>
    ((await server().request('GET', `${rolesPath}/${roleId}`, { apiVersion: 2 })).body as Role).Permissions;

  test('PUT PamProviders accepts Read/Modify in any case and access-control strings, and answers the new list', async () => {
    const [east, west] = providerIds as [number, number];
    const response = await server().request('PUT', pamPath(), {
      body: [
        { PamProviderId: east, Permissions: ['read', '/PAM/Modify/'] },
        { pamproviderid: west, permissions: ['Read'] },
      ],
    });
    assert.equal(response.status, 200, response.text);
    assert.deepEqual(response.body, [
      { PamProviderId: east, Name: 'vault-east', Permissions: ['Read', 'Modify'] },
      { PamProviderId: west, Name: 'vault-west', Permissions: ['Read'] },
    ]);
    assert.deepEqual((await server().request('GET', pamPath())).body, response.body);
    assert.deepEqual(
      await storedPermissions(),
      [
        '/auditing/read/',
        `/pam/modify/${east}/`,
        `/pam/read/`,
        `/pam/read/${east}/`,
        `/pam/read/${west}/`,
      ].sort(),
    );
  });

  test('PUT PamProviders replaces only the per-provider grants; the role keeps its other permissions', async () => {
    const [east] = providerIds as [number];
    const response = await server().request('PUT', pamPath(), {
      body: [{ PamProviderId: east, Permissions: ['Read'] }],
    });
    assert.equal(response.status, 200);
    assert.deepEqual(await storedPermissions(), ['/auditing/read/', '/pam/read/', `/pam/read/${east}/`]);
    assert.deepEqual((await server().request('PUT', pamPath(), { body: [] })).body, []);
    assert.deepEqual(await storedPermissions(), ['/auditing/read/', '/pam/read/']);
  });

  test('PUT PamProviders refuses an unknown provider or permission with a 400 naming it, and changes nothing', async () => {
    const [east] = providerIds as [number];
    await server().request('PUT', pamPath(), { body: [{ PamProviderId: east, Permissions: ['Read'] }] });
    const before = await storedPermissions();

    const unknown = await server().request('PUT', pamPath(), {
      body: [
        { PamProviderId: east, Permissions: ['Modify'] },
        { PamProviderId: 424242, Permissions: ['Read'] },
      ],
    });
    assert.equal(unknown.status, 400);
    assert.equal((unknown.body as ErrorResponse).Message, "PAM provider '424242' does not exist");

    const badPermission = await server().request('PUT', pamPath(), {
      body: [{ PamProviderId: east, Permissions: ['Delete'] }],
    });
    assert.equal(badPermission.status, 400);
    assert.match((badPermission.body as ErrorResponse).Message, /'Delete'.*must be Read or Modify/);

    const storeString = await server().request('PUT', pamPath(), {
      body: [{ PamProviderId: east, Permissions: ['/certificate_stores/read/'] }],
    });
    assert.equal(storeString.status, 400);

    const badId = await server().request('PUT', pamPath(), {
      body: [{ PamProviderId: 'east', Permissions: [] }],
    });
    assert.equal(badId.status, 400);
    assert.match((badId.body as ErrorResponse).Message, /'0\.PamProviderId'/);
    assert.deepEqual(await storedPermissions(), before);
  });

  test('Containers: POST adds, PUT replaces, both answer the full list with container names', async () => {
    const [web, db] = containerIds as [number, number];
    const added = await server().request('POST', containerPath(), {
      body: [{ ContainerId: web, Permission: 'schedule' }],
    });
    assert.equal(added.status, 200, added.text);
    assert.deepEqual(added.body, [{ ContainerId: web, Name: 'web-servers', Permission: 'Schedule' }]);

    const more = await server().request('POST', containerPath(), {
      body: [{ ContainerId: db, Permission: '/certificate_stores/modify/' }],
    });
    assert.deepEqual(more.body, [
      { ContainerId: web, Name: 'web-servers', Permission: 'Schedule' },
      { ContainerId: db, Name: 'db-servers', Permission: 'Modify' },
    ]);

    const replaced = await server().request('PUT', containerPath(), {
      body: [{ ContainerId: db, Permission: 'Read' }],
    });
    assert.deepEqual(replaced.body, [{ ContainerId: db, Name: 'db-servers', Permission: 'Read' }]);
    assert.deepEqual((await server().request('GET', containerPath())).body, replaced.body);
    assert.ok((await storedPermissions()).includes(`/certificate_stores/read/${db}/`));
    assert.ok((await storedPermissions()).includes('/pam/read/'));
  });

  test('Containers refuses an unknown container or permission with a 400 naming it, and changes nothing', async () => {
    const [web] = containerIds as [number];
    const before = await storedPermissions();
    const unknown = await server().request('POST', containerPath(), {
      body: [{ ContainerId: 515151, Permission: 'Read' }],
    });
    assert.equal(unknown.status, 400);
    assert.equal(
      (unknown.body as ErrorResponse).Message,
      "Certificate store container '515151' does not exist",
    );
    const revoke = await server().request('PUT', containerPath(), {
      body: [{ ContainerId: web, Permission: 'Revoke' }],
    });
    assert.equal(revoke.status, 400);
    assert.match((revoke.body as ErrorResponse).Message, /'Revoke'.*must be Read, Schedule or Modify/);
    const missing = await server().request('PUT', containerPath(), { body: [{ ContainerId: web }] });
    assert.equal(missing.status, 400);
    assert.match((missing.body as ErrorResponse).Message, /'0\.Permission' is required/);
    assert.deepEqual(await storedPermissions(), before);
  });

  test('per-object grants need /security/read/ to read and /security/modify/ to change', async () => {
    const reader = await server().createUser('grant-reader', ['/security/read/']);
    assert.equal((await server().request('GET', pamPath(), { as: reader })).status, 200);
    assert.equal((await server().request('GET', containerPath(), { as: reader })).status, 200);
    assert.equal((await server().request('PUT', pamPath(), { as: reader, body: [] })).status, 403);
    assert.equal((await server().request('POST', containerPath(), { as: reader, body: [] })).status, 403);
    const outsider = await server().createUser('grant-outsider', []);
    assert.equal((await server().request('GET', pamPath(), { as: outsider })).status, 403);
  });

  test('a per-provider grant made through the sub-resource gives its holder that provider', async () => {
    const [, west] = providerIds as [number, number];
    const user = await server().createUser('west-reader', []);
    const [role] = (
      await server().request(
        'GET',
        `${rolesPath}?QueryString=${encodeURIComponent('Name -eq "role-for-west-reader"')}`,
        { apiVersion: 2 },
      )
    ).body as Role[];
    const granted = await server().request('PUT', `${rolesPath}/${role?.Id ?? 0}/Permissions/PamProviders`, {
      body: [{ PamProviderId: west, Permissions: ['Read'] }],
    });
    assert.equal(granted.status, 200);
    const my = await server().request('GET', '/KeyfactorAPI/Security/My/Permissions', { as: user });
    assert.deepEqual(my.body, { Permissions: [`/pam/read/${west}/`] });
  });
});
