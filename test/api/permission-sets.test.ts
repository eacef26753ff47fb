import assert from 'node:assert/strict';
import { test } from 'node:test';
import { auditCategories, auditOperations } from '../../src/modules/audit/audit-catalog.js';
import { globalPermissionSetId } from '../../src/modules/security/admin-bootstrap.js';
import { permissionCatalog } from '../../src/modules/security/permission-catalog.js';
import type { ApiResponse, TestServer } from '../support/test-server.js';
import { describeEachDialect } from '../support/test-server.js';

type PermissionSet = { Id: string; Name: string; Permissions: string[] };
type ErrorResponse = { ErrorCode: string; Message: string };

const setsPath = '/KeyfactorAPI/PermissionSets';
const rolesPath = '/KeyfactorAPI/Security/Roles';
const unknownId = '0f0e0d0c-0b0a-4909-8807-060504030201';

function messageOf(response: ApiResponse): string {
  return (response.body as ErrorResponse).Message;
}

async function createSet(server: TestServer, name: string, permissions: string[]): Promise<PermissionSet> {
  const response = await server.request('POST', setsPath, { body: { Name: name, Permissions: permissions } });
  assert.equal(response.status, 200, response.text);
  return response.body as PermissionSet;
}

async function createRole(
  server: TestServer,
  name: string,
  permissionSetId: string,
  permissions: string[],
): Promise<ApiResponse> {
  return server.request('POST', rolesPath, {
    apiVersion: 2,
    body: {
      Name: name,
      Description: '',
      PermissionSetId: permissionSetId,
      Permissions: permissions,
      Claims: [],
    },
  });
}

/** The sets and their stored permissions, and the set audit entries: what a refused request must not change. */
async function snapshot(server: TestServer): Promise<string> {
  const db = server.server.storage.db;
  const sets = await db.selectFrom('permission_sets').selectAll().orderBy('id').execute();
  const permissions = await db
    .selectFrom('permission_set_permissions')
    .selectAll()
    .orderBy('permission_set_id')
    .orderBy('permission')
    .execute();
  const roles = await db
    .selectFrom('role_permissions')
    .selectAll()
    .orderBy('role_id')
    .orderBy('permission')
    .execute();
  const audit = await db
    .selectFrom('audit_log')
    .select('id')
    .where('entity_type', '=', 'PermissionSet')
    .execute();
  return JSON.stringify([sets, permissions, roles, audit.length]);
}

async function assertRefused(
  server: TestServer,
  response: ApiResponse,
  before: string,
  status: number,
  message: RegExp,
): Promise<void> {
  assert.equal(response.status, status, response.text);
  assert.match(messageOf(response), message);
  assert.equal(await snapshot(server), before, 'a refused request changed something');
}

describeEachDialect('permission sets', (server) => {
  test('create, read, update and delete a set; each change audited with its permissions', async () => {
    const created = await createSet(server(), 'Operations', ['/PAM/', '/certificate_stores/read/', '/pam/']);
    assert.match(created.Id, /^[0-9a-f-]{36}$/);
    assert.deepEqual(created, {
      Id: created.Id,
      Name: 'Operations',
      Permissions: ['/certificate_stores/read/', '/pam/'],
    });
    assert.deepEqual(Object.keys(created).sort(), ['Id', 'Name', 'Permissions']);

    const read = await server().request('GET', `${setsPath}/${created.Id.toUpperCase()}`);
    assert.equal(read.status, 200);
    assert.deepEqual(read.body, created);
    const list = (await server().request('GET', setsPath)).body as PermissionSet[];
    assert.deepEqual(
      list.find((set) => set.Id === created.Id),
      created,
    );
    assert.deepEqual(list.find((set) => set.Id === globalPermissionSetId)?.Permissions, [
      ...permissionCatalog,
    ]);

    const renamed = await server().request('PUT', setsPath, {
      body: { Id: created.Id, Name: 'Ops', Permissions: ['/pam/read/'] },
    });
    assert.equal(renamed.status, 200, renamed.text);
    assert.deepEqual(renamed.body, { Id: created.Id, Name: 'Ops', Permissions: ['/pam/read/'] });
    const kept = await server().request('PUT', setsPath, {
      body: { Id: created.Id, Permissions: ['/pam/'] },
    });
    assert.equal(kept.status, 200, kept.text);
    assert.deepEqual(kept.body, { Id: created.Id, Name: 'Ops', Permissions: ['/pam/'] });

    const removed = await server().request('DELETE', `${setsPath}/${created.Id}`);
    assert.equal(removed.status, 204, removed.text);
    assert.equal((await server().request('GET', `${setsPath}/${created.Id}`)).status, 404);

    const entries = await server()
      .server.storage.db.selectFrom('audit_log')
      .select(['category', 'operation', 'audit_identifier', 'immutable_identifier', 'message'])
      .where('entity_type', '=', 'PermissionSet')
      .where('immutable_identifier', '=', created.Id)
      .orderBy('id')
      .execute();
    assert.deepEqual(
      entries.map((entry) => [entry.category, entry.operation, entry.audit_identifier]),
      [
        [auditCategories.SecurityRole, auditOperations.Created, 'Operations'],
        [auditCategories.SecurityRole, auditOperations.Updated, 'Ops'],
        [auditCategories.SecurityRole, auditOperations.Updated, 'Ops'],
        [auditCategories.SecurityRole, auditOperations.Deleted, 'Ops'],
      ],
    );
    assert.deepEqual(JSON.parse(entries[1]?.message ?? '{}'), {
      previousName: 'Operations',
      permissions: { added: ['/pam/read/'], removed: ['/certificate_stores/read/', '/pam/'] },
    });
  });

  test('bad input is a 400 naming the problem and changes nothing', async () => {
    const set = await createSet(server(), 'Validation', ['/pam/']);
    const before = await snapshot(server());
    const unknown = await server().request('POST', setsPath, {
      body: { Name: 'Unknown', Permissions: ['/pam/', '/no_such_area/'] },
    });
    await assertRefused(server(), unknown, before, 400, /'\/no_such_area\/' is not a known permission/);
    const scoped = await server().request('POST', setsPath, {
      body: { Name: 'Scoped', Permissions: ['/pam/read/7/'] },
    });
    await assertRefused(server(), scoped, before, 400, /'\/pam\/read\/7\/' names one object/);
    const missingName = await server().request('POST', setsPath, { body: { Permissions: [] } });
    await assertRefused(server(), missingName, before, 400, /Name/);
    const missingPermissions = await server().request('PUT', setsPath, { body: { Id: set.Id } });
    await assertRefused(server(), missingPermissions, before, 400, /Permissions/);
    const unknownOnUpdate = await server().request('PUT', setsPath, {
      body: { Id: set.Id, Permissions: ['/nope/'] },
    });
    await assertRefused(server(), unknownOnUpdate, before, 400, /'\/nope\/' is not a known permission/);
    const malformedId = await server().request('DELETE', `${setsPath}/not-a-guid`);
    await assertRefused(server(), malformedId, before, 400, /'id'/);
  });

  test('an unknown id is a 404 for PUT and DELETE', async () => {
    const before = await snapshot(server());
    const update = await server().request('PUT', setsPath, {
      body: { Id: unknownId, Permissions: ['/pam/'] },
    });
    await assertRefused(server(), update, before, 404, new RegExp(unknownId));
    const remove = await server().request('DELETE', `${setsPath}/${unknownId}`);
    await assertRefused(server(), remove, before, 404, new RegExp(unknownId));
  });

  test('names are unique ignoring case (409)', async () => {
    const first = await createSet(server(), 'Unique Name', ['/pam/']);
    const other = await createSet(server(), 'Other Name', ['/pam/']);
    const before = await snapshot(server());
    const duplicate = await server().request('POST', setsPath, {
      body: { Name: 'UNIQUE name', Permissions: [] },
    });
    await assertRefused(server(), duplicate, before, 409, /'UNIQUE name' already exists/);
    const global = await server().request('POST', setsPath, { body: { Name: 'global', Permissions: [] } });
    await assertRefused(server(), global, before, 409, /'global' already exists/);
    const rename = await server().request('PUT', setsPath, {
      body: { Id: other.Id, Name: 'unique NAME', Permissions: ['/pam/'] },
    });
    await assertRefused(server(), rename, before, 409, /'unique NAME' already exists/);
    const recase = await server().request('PUT', setsPath, {
      body: { Id: first.Id, Name: 'UNIQUE NAME', Permissions: ['/pam/'] },
    });
    assert.equal(recase.status, 200, recase.text);
  });

  test('the Global set cannot be changed or deleted (409 naming it)', async () => {
    const before = await snapshot(server());
    const update = await server().request('PUT', setsPath, {
      body: { Id: globalPermissionSetId, Permissions: ['/pam/'] },
    });
    await assertRefused(server(), update, before, 409, /'Global' is built in/);
    const remove = await server().request('DELETE', `${setsPath}/${globalPermissionSetId.toUpperCase()}`);
    await assertRefused(server(), remove, before, 409, /'Global' is built in/);
  });

  test("a role's permissions must lie within its set's (400 naming the permission)", async () => {
    const set = await createSet(server(), 'Bounded', ['/pam/modify/', '/certificate_stores/']);
    const inside = await createRole(server(), 'bounded-inside', set.Id, [
      '/pam/read/',
      '/pam/modify/3/',
      '/certificate_stores/schedule/',
    ]);
    assert.equal(inside.status, 200, inside.text);
    const roleId = (inside.body as { Id: number }).Id;

    const before = await snapshot(server());
    const outside = await createRole(server(), 'bounded-outside', set.Id, ['/pam/read/', '/security/read/']);
    await assertRefused(
      server(),
      outside,
      before,
      400,
      /'\/security\/read\/' is not in permission set 'Bounded'/,
    );
    const otherArea = await createRole(server(), 'bounded-other-area', set.Id, ['/auditing/read/']);
    await assertRefused(server(), otherArea, before, 400, /'\/auditing\/read\/'/);

    const update = await server().request('PUT', rolesPath, {
      apiVersion: 2,
      body: {
        Id: roleId,
        Name: 'bounded-inside',
        Description: '',
        PermissionSetId: set.Id,
        Permissions: ['/'],
        Claims: [],
      },
    });
    await assertRefused(server(), update, before, 400, /'\/' is not in permission set 'Bounded'/);

    const legacy = await server().request('POST', `${rolesPath}/${roleId}/Permissions/Global`, {
      apiVersion: 1,
      body: [{ Area: 'SecuritySettings', Permission: 'Read' }],
    });
    await assertRefused(server(), legacy, before, 400, /not in permission set 'Bounded'/);

    const moveToGlobal = await server().request('PUT', rolesPath, {
      apiVersion: 2,
      body: {
        Id: roleId,
        Name: 'bounded-inside',
        Description: '',
        PermissionSetId: globalPermissionSetId,
        Permissions: ['/security/read/'],
        Claims: [],
      },
    });
    assert.equal(moveToGlobal.status, 200, moveToGlobal.text);
  });

  test('narrowing a set below what its roles grant is a 409 naming the roles', async () => {
    const set = await createSet(server(), 'Narrowing', ['/pam/', '/certificate_stores/']);
    assert.equal((await createRole(server(), 'narrow-b', set.Id, ['/pam/read/'])).status, 200);
    assert.equal((await createRole(server(), 'narrow-a', set.Id, ['/pam/modify/7/'])).status, 200);
    assert.equal((await createRole(server(), 'narrow-c', set.Id, ['/certificate_stores/read/'])).status, 200);

    const before = await snapshot(server());
    const narrowed = await server().request('PUT', setsPath, {
      body: { Id: set.Id, Permissions: ['/certificate_stores/'] },
    });
    await assertRefused(
      server(),
      narrowed,
      before,
      409,
      /'Narrowing' cannot be narrowed: security roles 'narrow-a', 'narrow-b' grant/,
    );
    assert.doesNotMatch(messageOf(narrowed), /narrow-c/);

    const stillCovering = await server().request('PUT', setsPath, {
      body: { Id: set.Id, Permissions: ['/pam/modify/', '/certificate_stores/read/'] },
    });
    assert.equal(stillCovering.status, 200, stillCovering.text);
  });

  test('a set used by roles or identity providers cannot be deleted (409 naming them)', async () => {
    const set = await createSet(server(), 'In Use', ['/pam/']);
    const role = await createRole(server(), 'in-use-role', set.Id, []);
    assert.equal(role.status, 200, role.text);
    const before = await snapshot(server());
    const refused = await server().request('DELETE', `${setsPath}/${set.Id}`);
    await assertRefused(server(), refused, before, 409, /'In Use' is used by security roles 'in-use-role'/);

    assert.equal(
      (await server().request('DELETE', `${rolesPath}/${(role.body as { Id: number }).Id}`)).status,
      204,
    );
    await server()
      .server.storage.db.updateTable('identity_providers')
      .set({ permission_set_id: set.Id })
      .where('authentication_scheme', '=', 'Basic')
      .execute();
    try {
      const afterRoles = await snapshot(server());
      const byProvider = await server().request('DELETE', `${setsPath}/${set.Id}`);
      await assertRefused(server(), byProvider, afterRoles, 409, /'In Use' is used by identity providers/);
    } finally {
      await server()
        .server.storage.db.updateTable('identity_providers')
        .set({ permission_set_id: globalPermissionSetId })
        .where('authentication_scheme', '=', 'Basic')
        .execute();
    }
    assert.equal((await server().request('DELETE', `${setsPath}/${set.Id}`)).status, 204);
  });

  test('changes need /security/modify/, reads /security/read/', async () => {
    const set = await createSet(server(), 'Guarded', ['/pam/']);
    const reader = await server().createUser('set-reader', ['/security/read/']);
    const before = await snapshot(server());
    assert.equal((await server().request('GET', `${setsPath}/${set.Id}`, { as: reader })).status, 200);
    const post = await server().request('POST', setsPath, {
      as: reader,
      body: { Name: 'By Reader', Permissions: [] },
    });
    assert.equal(post.status, 403);
    const put = await server().request('PUT', setsPath, {
      as: reader,
      body: { Id: set.Id, Permissions: [] },
    });
    assert.equal(put.status, 403);
    const remove = await server().request('DELETE', `${setsPath}/${set.Id}`, { as: reader });
    assert.equal(remove.status, 403);
    assert.equal(await snapshot(server()), before);

    const outsider = await server().createUser('set-outsider', ['/pam/read/']);
    assert.equal((await server().request('GET', setsPath, { as: outsider })).status, 403);
  });
});
