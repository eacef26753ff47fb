import assert from 'node:assert/strict';
import { test } from 'node:test';
import { auditCategories } from '../../src/modules/audit/audit-catalog.js';
import { globalPermissionSetId } from '../../src/modules/security/admin-bootstrap.js';
import { insertRole } from '../../src/modules/security/role-repository.js';
import type { Credentials, RequestOptions, TestServer } from '../support/test-server.js';
import { describeEachDialect } from '../support/test-server.js';

type ErrorResponse = { ErrorCode: string; Message: string };
type Claim = { Id: number; ClaimType: string; ClaimValue: string; Description: string };
type Role = {
  Id: number;
  Name: string;
  Description: string;
  EmailAddress: string | null;
  Immutable: boolean;
  PermissionSetId: string;
  Permissions: string[];
  Claims: Claim[];
};
type RoleSummary = { Id: number; Name: string; ClaimsCount: number };
type LegacyRole = {
  Id: number;
  Name: string;
  Permissions: string[];
  Identities: { AccountName: string; IdentityType: string }[];
};

const rolesPath = '/KeyfactorAPI/Security/Roles';
const v2: RequestOptions = { apiVersion: 2 };

function roleBody(name: string, more: Record<string, unknown> = {}) {
  return {
    Name: name,
    Description: `Role ${name}`,
    PermissionSetId: globalPermissionSetId,
    Permissions: [],
    Claims: [],
    ...more,
  };
}

function userClaim(value: string) {
  return { ClaimType: 'User', ClaimValue: value, ProviderAuthenticationScheme: 'Basic', Description: '' };
}

async function createRole(server: TestServer, body: Record<string, unknown>): Promise<Role> {
  const response = await server.request('POST', rolesPath, { ...v2, body });
  assert.equal(response.status, 200, response.text);
  return response.body as Role;
}

async function roleNamed(
  server: TestServer,
  name: string,
  as?: Credentials,
): Promise<RoleSummary | undefined> {
  const response = await server.request(
    'GET',
    `${rolesPath}?QueryString=${encodeURIComponent(`Name -eq "${name}"`)}`,
    { ...v2, ...(as === undefined ? {} : { as }) },
  );
  assert.equal(response.status, 200, response.text);
  return (response.body as RoleSummary[])[0];
}

async function securityAuditCount(server: TestServer): Promise<number> {
  const row = await server.server.storage.db
    .selectFrom('audit_log')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('category', '=', auditCategories.SecurityRole)
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

function messageOf(response: { body: unknown }): string {
  return (response.body as ErrorResponse).Message;
}

describeEachDialect('security roles (v2)', (server) => {
  test('creates a role with normalised permissions and claim types given by number or by name', async () => {
    const role = await createRole(
      server(),
      roleBody('pki-operators', {
        EmailAddress: 'pki@example.com',
        Permissions: ['/PAM/Read/', '/pam/modify/7/', '/pam/read/'],
        Claims: [
          { ClaimType: 0, ClaimValue: 'alice', ProviderAuthenticationScheme: 'Basic', Description: 'Alice' },
          {
            ClaimType: 'group',
            ClaimValue: 'pki-team',
            ProviderAuthenticationScheme: 'Basic',
            Description: '',
          },
        ],
      }),
    );
    assert.equal(role.Name, 'pki-operators');
    assert.equal(role.EmailAddress, 'pki@example.com');
    assert.equal(role.Immutable, false);
    assert.equal(role.PermissionSetId, globalPermissionSetId);
    assert.deepEqual(role.Permissions, ['/pam/modify/7/', '/pam/read/']);
    assert.deepEqual(
      role.Claims.map((claim) => [claim.ClaimType, claim.ClaimValue]),
      [
        ['User', 'alice'],
        ['Group', 'pki-team'],
      ],
    );
  });

  test('GET by id returns the full role and the list returns summaries with ClaimsCount', async () => {
    const created = await createRole(
      server(),
      roleBody('readers', {
        Permissions: ['/pam/read/'],
        Claims: [userClaim('reader-1'), userClaim('reader-2')],
      }),
    );
    const one = await server().request('GET', `${rolesPath}/${created.Id}`, v2);
    assert.equal(one.status, 200);
    assert.deepEqual(one.body, created);

    const summary = await roleNamed(server(), 'readers');
    assert.deepEqual(summary, {
      Id: created.Id,
      Name: 'readers',
      EmailAddress: null,
      Immutable: false,
      PermissionSetId: globalPermissionSetId,
      ClaimsCount: 2,
    });
  });

  test('PUT replaces the complete Permissions and Claims lists, and an absent list empties it', async () => {
    const created = await createRole(
      server(),
      roleBody('rotating', { Permissions: ['/pam/read/', '/auditing/read/'], Claims: [userClaim('one')] }),
    );
    const replaced = await server().request('PUT', rolesPath, {
      ...v2,
      body: roleBody('rotating-renamed', {
        Id: created.Id,
        Permissions: ['/certificate_stores/read/'],
        Claims: [userClaim('two')],
      }),
    });
    assert.equal(replaced.status, 200, replaced.text);
    const role = replaced.body as Role;
    assert.equal(role.Name, 'rotating-renamed');
    assert.deepEqual(role.Permissions, ['/certificate_stores/read/']);
    assert.deepEqual(
      role.Claims.map((claim) => claim.ClaimValue),
      ['two'],
    );

    const emptied = await server().request('PUT', rolesPath, {
      ...v2,
      body: {
        Id: created.Id,
        Name: 'rotating-renamed',
        Description: 'd',
        PermissionSetId: globalPermissionSetId,
      },
    });
    assert.equal(emptied.status, 200, emptied.text);
    assert.deepEqual((emptied.body as Role).Permissions, []);
    assert.deepEqual((emptied.body as Role).Claims, []);
  });

  test('DELETE answers 204, the role is gone, and deleting again is 404', async () => {
    const created = await createRole(server(), roleBody('short-lived', { Permissions: ['/pam/read/'] }));
    const deleted = await server().request('DELETE', `${rolesPath}/${created.Id}`);
    assert.equal(deleted.status, 204);
    assert.equal(deleted.text, '');
    assert.equal((await server().request('GET', `${rolesPath}/${created.Id}`, v2)).status, 404);
    assert.equal((await server().request('DELETE', `${rolesPath}/${created.Id}`)).status, 404);
  });

  test('the list pages, sorts and filters over Id and Name', async () => {
    for (const name of ['page-b', 'page-a', 'page-c']) await createRole(server(), roleBody(name));
    const query = (extra: string) =>
      server().request(
        'GET',
        `${rolesPath}?QueryString=${encodeURIComponent('Name -startswith "page-"')}&${extra}`,
        v2,
      );
    const names = (response: { body: unknown }) => (response.body as RoleSummary[]).map((role) => role.Name);

    assert.deepEqual(names(await query('SortField=Name')), ['page-a', 'page-b', 'page-c']);
    const firstPage = await query('SortField=Name&SortAscending=1&ReturnLimit=2&PageReturned=1');
    assert.deepEqual(names(firstPage), ['page-c', 'page-b']);
    const secondPage = await query('SortField=Name&SortAscending=1&ReturnLimit=2&PageReturned=2');
    assert.deepEqual(names(secondPage), ['page-a']);
    assert.deepEqual(names(await query('SortField=Id')), ['page-b', 'page-a', 'page-c']);
    assert.deepEqual(names(await query('pq.sortField=Name&pq.returnLimit=1')), ['page-a']);

    const badSort = await query('SortField=Description');
    assert.equal(badSort.status, 400);
    assert.match(messageOf(badSort), /SortField 'Description'/);
    const badField = await server().request(
      'GET',
      `${rolesPath}?QueryString=${encodeURIComponent('Secret -eq "x"')}`,
      v2,
    );
    assert.equal(badField.status, 400);
    assert.match(messageOf(badField), /Secret/);
  });

  test('a duplicate role name is a 409 that names it, whatever its case, on create and on rename', async () => {
    await createRole(server(), roleBody('Auditors'));
    const duplicate = await server().request('POST', rolesPath, { ...v2, body: roleBody('AUDITORS') });
    assert.equal(duplicate.status, 409);
    assert.match(messageOf(duplicate), /AUDITORS/);

    const other = await createRole(server(), roleBody('not-auditors'));
    const rename = await server().request('PUT', rolesPath, {
      ...v2,
      body: roleBody('auditors', { Id: other.Id }),
    });
    assert.equal(rename.status, 409);
    assert.equal((await server().request('GET', `${rolesPath}/${other.Id}`, v2)).status, 200);
    assert.equal((await roleNamed(server(), 'not-auditors'))?.Id, other.Id);
  });

  const badBodies: readonly { guarantee: string; body: Record<string, unknown>; message: RegExp }[] = [
    {
      guarantee: 'an unknown permission string, named in the message',
      body: roleBody('bad-1', { Permissions: ['/pam/read/', '/pam/destroy/'] }),
      message: /'\/pam\/destroy\/' is not a known permission/,
    },
    {
      guarantee: 'a permission without its slashes',
      body: roleBody('bad-2', { Permissions: ['pam/read'] }),
      message: /'pam\/read' must start and end with '\/'/,
    },
    {
      guarantee: 'a scoped permission with a bad object id',
      body: roleBody('bad-3', { Permissions: ['/pam/read/0x7/'] }),
      message: /invalid object id/,
    },
    {
      guarantee: 'an unknown ClaimType name',
      body: roleBody('bad-4', {
        Claims: [{ ...userClaim('x'), ClaimType: 'Robot' }],
      }),
      message: /'Claims\.0\.ClaimType'/,
    },
    {
      guarantee: 'a ClaimType number outside 0-6',
      body: roleBody('bad-5', { Claims: [{ ...userClaim('x'), ClaimType: 9 }] }),
      message: /'Claims\.0\.ClaimType'/,
    },
    {
      guarantee: 'a claim without its Description',
      body: roleBody('bad-6', {
        Claims: [{ ClaimType: 'User', ClaimValue: 'x', ProviderAuthenticationScheme: 'Basic' }],
      }),
      message: /'Claims\.0\.Description' is required/,
    },
    {
      guarantee: 'an empty ClaimValue',
      body: roleBody('bad-7', { Claims: [{ ...userClaim(''), ClaimValue: '' }] }),
      message: /'Claims\.0\.ClaimValue' must not be empty/,
    },
    {
      guarantee: 'a Name over 128 characters',
      body: roleBody('n'.repeat(129)),
      message: /'Name' must be at most 128 characters long/,
    },
    {
      guarantee: 'an empty Name',
      body: roleBody(''),
      message: /'Name' must not be empty/,
    },
    {
      guarantee: 'a missing Description',
      body: { Name: 'bad-8', PermissionSetId: globalPermissionSetId },
      message: /'Description' is required/,
    },
    {
      guarantee: 'a Description over 512 characters',
      body: roleBody('bad-9', { Description: 'd'.repeat(513) }),
      message: /'Description' must be at most 512 characters long/,
    },
    {
      guarantee: 'a missing PermissionSetId',
      body: { Name: 'bad-10', Description: 'd' },
      message: /'PermissionSetId' is required/,
    },
    {
      guarantee: 'a PermissionSetId that names no permission set',
      body: roleBody('bad-11', { PermissionSetId: '0f0e0d0c-0b0a-4909-8807-060504030201' }),
      message: /'PermissionSetId': permission set '0f0e0d0c-0b0a-4909-8807-060504030201' does not exist/,
    },
    {
      guarantee: 'a PermissionSetId that is not a GUID',
      body: roleBody('bad-12', { PermissionSetId: 'Global' }),
      message: /'PermissionSetId' must be a valid GUID/,
    },
    {
      guarantee: 'an over-long permission string',
      body: roleBody('bad-13', { Permissions: [`/${'a'.repeat(300)}/`] }),
      message: /'Permissions\.0' must be at most 256 characters long/,
    },
    {
      guarantee: 'more permissions than a role may hold',
      body: roleBody('bad-14', { Permissions: Array.from({ length: 1001 }, () => '/pam/read/') }),
      message: /'Permissions' must have at most 1000 items/,
    },
    {
      guarantee: 'Permissions that are not a list',
      body: roleBody('bad-15', { Permissions: '/pam/read/' }),
      message: /'Permissions'/,
    },
  ];

  for (const { guarantee, body, message } of badBodies) {
    test(`refuses ${guarantee} with a 400 that names the field, and creates nothing`, async () => {
      const auditBefore = await securityAuditCount(server());
      const response = await server().request('POST', rolesPath, { ...v2, body });
      assert.equal(response.status, 400, response.text);
      assert.match(messageOf(response), message);
      if (typeof body.Name === 'string' && body.Name.length <= 128) {
        assert.equal(await roleNamed(server(), body.Name), undefined);
      }
      assert.equal(await securityAuditCount(server()), auditBefore);
    });
  }

  test('a bad PUT changes nothing: the role keeps its permissions and claims', async () => {
    const created = await createRole(
      server(),
      roleBody('steady', { Permissions: ['/pam/read/'], Claims: [userClaim('steady-user')] }),
    );
    const response = await server().request('PUT', rolesPath, {
      ...v2,
      body: roleBody('steady', { Id: created.Id, Permissions: ['/auditing/read/', '/nope/'] }),
    });
    assert.equal(response.status, 400);
    const after = await server().request('GET', `${rolesPath}/${created.Id}`, v2);
    assert.deepEqual(after.body, created);
  });

  test('a role id that is not a positive integer is a 400 naming it; an unknown id is 404 everywhere', async () => {
    for (const id of ['abc', '1.5', '0', '-3', '99999999999']) {
      const response = await server().request('GET', `${rolesPath}/${id}`, v2);
      assert.equal(response.status, 400, `${id}: ${response.text}`);
      assert.match(messageOf(response), /'id'/);
    }
    const unknown = 987654;
    const expected = `Security role '${unknown}' was not found`;
    for (const [method, url, body] of [
      ['GET', `${rolesPath}/${unknown}`, undefined],
      ['DELETE', `${rolesPath}/${unknown}`, undefined],
      ['PUT', rolesPath, roleBody('ghost', { Id: unknown })],
      ['GET', `${rolesPath}/${unknown}/Permissions/PamProviders`, undefined],
      ['PUT', `${rolesPath}/${unknown}/Permissions/PamProviders`, []],
      ['GET', `${rolesPath}/${unknown}/Permissions/Containers`, undefined],
      ['POST', `${rolesPath}/${unknown}/Permissions/Containers`, []],
    ] as const) {
      const response = await server().request(method, url, {
        ...v2,
        ...(body === undefined ? {} : { body }),
      });
      assert.equal(response.status, 404, `${method} ${url}: ${response.text}`);
      assert.equal(messageOf(response), expected);
    }
  });

  test('an immutable role cannot be changed or deleted (409), but can be read', async () => {
    const id = await insertRole(server().server.storage.db, {
      name: 'built-in-auditor',
      description: 'Fixed',
      emailAddress: null,
      permissionSetId: globalPermissionSetId,
      permissions: ['/auditing/read/'],
      claims: [],
      immutable: true,
    });
    const read = await server().request('GET', `${rolesPath}/${id}`, v2);
    assert.equal(read.status, 200);
    assert.equal((read.body as Role).Immutable, true);

    const attempts = [
      await server().request('PUT', rolesPath, { ...v2, body: roleBody('built-in-auditor', { Id: id }) }),
      await server().request('DELETE', `${rolesPath}/${id}`),
      await server().request('PUT', `${rolesPath}/${id}/Permissions/PamProviders`, { body: [] }),
      await server().request('PUT', `${rolesPath}/${id}/Permissions/Containers`, { body: [] }),
    ];
    for (const attempt of attempts) {
      assert.equal(attempt.status, 409, attempt.text);
      assert.match(messageOf(attempt), /'built-in-auditor' is immutable/);
    }
    assert.deepEqual((await server().request('GET', `${rolesPath}/${id}`, v2)).body, read.body);
  });

  test('every role change is audited as SecurityRole in the same transaction, with the role named', async () => {
    const before = await securityAuditCount(server());
    const created = await createRole(server(), roleBody('audited', { Permissions: ['/pam/read/'] }));
    await server().request('PUT', rolesPath, {
      ...v2,
      body: roleBody('audited', { Id: created.Id, Permissions: ['/pam/modify/'] }),
    });
    await server().request('DELETE', `${rolesPath}/${created.Id}`);
    const entries = await server()
      .server.storage.db.selectFrom('audit_log')
      .select(['operation', 'audit_identifier', 'immutable_identifier', 'user_name', 'message'])
      .where('category', '=', auditCategories.SecurityRole)
      .orderBy('id')
      .execute();
    assert.equal(entries.length, before + 3);
    const mine = entries.slice(-3);
    assert.deepEqual(
      mine.map((entry) => [
        entry.operation,
        entry.audit_identifier,
        entry.immutable_identifier,
        entry.user_name,
      ]),
      [
        [1, 'audited', String(created.Id), 'admin'],
        [2, 'audited', String(created.Id), 'admin'],
        [3, 'audited', String(created.Id), 'admin'],
      ],
    );
    const details = JSON.parse(mine[1]?.message ?? '{}') as { permissions: unknown };
    assert.deepEqual(details.permissions, {
      added: ['/pam/modify/'],
      removed: ['/pam/read/'],
    });
  });

  test('a caller may only grant permissions it holds, and only change roles whose grants it holds', async () => {
    const securityAdmin = await server().createUser('sec-admin', ['/security/modify/', '/pam/read/']);
    const withinReach = await server().request('POST', rolesPath, {
      ...v2,
      as: securityAdmin,
      body: roleBody('delegated', { Permissions: ['/pam/read/', '/security/read/', '/pam/read/4/'] }),
    });
    assert.equal(withinReach.status, 200, withinReach.text);

    const escalation = await server().request('POST', rolesPath, {
      ...v2,
      as: securityAdmin,
      body: roleBody('escalation', { Permissions: ['/pam/modify/'] }),
    });
    assert.equal(escalation.status, 403);
    assert.match(messageOf(escalation), /'\/pam\/modify\/'/);
    assert.equal(await roleNamed(server(), 'escalation'), undefined);

    const administrator = await roleNamed(server(), 'Administrator');
    assert.ok(administrator !== undefined);
    const joinAdministrators = await server().request('PUT', rolesPath, {
      ...v2,
      as: securityAdmin,
      body: roleBody('Administrator', {
        Id: administrator.Id,
        Permissions: ['/'],
        Claims: [userClaim('admin'), userClaim('sec-admin')],
      }),
    });
    assert.equal(joinAdministrators.status, 403);
    assert.match(messageOf(joinAdministrators), /'\/'/);
    const removeAdministrators = await server().request('DELETE', `${rolesPath}/${administrator.Id}`, {
      as: securityAdmin,
    });
    assert.equal(removeAdministrators.status, 403);
  });

  test('reading roles needs /security/read/ and changing them /security/modify/', async () => {
    const reader = await server().createUser('role-reader', ['/security/read/']);
    assert.equal((await server().request('GET', rolesPath, { ...v2, as: reader })).status, 200);
    const attempt = await server().request('POST', rolesPath, { ...v2, as: reader, body: roleBody('nope') });
    assert.equal(attempt.status, 403);
    const outsider = await server().createUser('role-outsider', ['/pam/read/']);
    assert.equal((await server().request('GET', `${rolesPath}/1`, { ...v2, as: outsider })).status, 403);
    assert.equal((await server().request('GET', rolesPath, { ...v2, as: null })).status, 401);
  });
});

describeEachDialect('security roles (v1 legacy shapes)', (server) => {
  test('the default version serves roles with Area:Permission pairs and Identities', async () => {
    const response = await server().request('POST', rolesPath, {
      body: {
        Name: 'legacy-operators',
        Description: 'Created by a v1 client',
        Permissions: ['PrivilegedAccessManagement:Read', 'CertificateStoreManagement: Modify'],
        Identities: [{ AccountName: 'CORP\\victor', SID: 'S-1-5-21-1' }],
      },
    });
    assert.equal(response.status, 200, response.text);
    const role = response.body as LegacyRole & { Enabled: boolean; Valid: boolean; PermissionSetId: string };
    assert.deepEqual(role.Permissions, [
      'PrivilegedAccessManagement:Read',
      'CertificateStoreManagement:Read',
      'CertificateStoreManagement:Schedule',
      'CertificateStoreManagement:Modify',
    ]);
    assert.deepEqual(
      role.Identities.map((identity) => [identity.AccountName, identity.IdentityType]),
      [['victor', 'User']],
    );
    assert.equal(role.PermissionSetId, globalPermissionSetId);
    assert.equal(role.Enabled, true);

    const asV2 = (await server().request('GET', `${rolesPath}/${role.Id}`, v2)).body as Role;
    assert.deepEqual(asV2.Permissions, ['/certificate_stores/modify/', '/pam/read/']);
    assert.deepEqual(
      asV2.Claims.map((claim) => [claim.ClaimType, claim.ClaimValue]),
      [['User', 'victor']],
    );

    const list = await server().request('GET', `${rolesPath}?Validate=true`);
    assert.equal(list.status, 200);
    const listed = (list.body as LegacyRole[]).find((item) => item.Id === role.Id);
    assert.deepEqual(listed?.Permissions, role.Permissions);
  });

  test('the administrator role reads in v1 as every v1 permission', async () => {
    const response = await server().request('GET', rolesPath);
    const administrator = (response.body as LegacyRole[]).find((role) => role.Name === 'Administrator');
    assert.equal(administrator?.Permissions.length, 10);
  });

  test('an unknown Area:Permission pair is a 400 that names it', async () => {
    for (const pair of ['Reports:Read', 'PrivilegedAccessManagement:Delete', '/pam/read/']) {
      const response = await server().request('POST', rolesPath, {
        body: { Name: 'legacy-bad', Description: 'd', Permissions: [pair] },
      });
      assert.equal(response.status, 400, pair);
      assert.ok(messageOf(response).includes(`'${pair}'`), messageOf(response));
    }
    assert.equal(await roleNamed(server(), 'legacy-bad'), undefined);
  });

  test('a v1 update replaces what v1 can see and keeps scoped grants, other areas and OAuth claims', async () => {
    const created = await createRole(
      server(),
      roleBody('mixed', {
        Permissions: ['/pam/', '/strongroom/resolve/', '/pam/read/12/', '/certificates/collections/read/'],
        Claims: [
          userClaim('old-user'),
          { ClaimType: 'Group', ClaimValue: 'ops', ProviderAuthenticationScheme: 'Basic', Description: '' },
          {
            ClaimType: 'OAuthRole',
            ClaimValue: 'pki',
            ProviderAuthenticationScheme: 'Bearer',
            Description: '',
          },
        ],
      }),
    );
    const updated = await server().request('PUT', rolesPath, {
      body: {
        Id: created.Id,
        Name: 'mixed',
        Description: 'now legacy-managed',
        Permissions: ['Auditing:Read'],
        Identities: [{ AccountName: 'OPS' }, { AccountName: 'CORP\\new-user' }],
      },
    });
    assert.equal(updated.status, 200, updated.text);
    assert.deepEqual((updated.body as LegacyRole).Permissions, ['Auditing:Read']);

    const role = (await server().request('GET', `${rolesPath}/${created.Id}`, v2)).body as Role;
    assert.equal(role.Description, 'now legacy-managed');
    assert.deepEqual(role.Permissions, [
      '/auditing/read/',
      '/certificates/collections/read/',
      '/pam/read/12/',
      '/strongroom/resolve/',
    ]);
    assert.deepEqual(role.Claims.map((claim) => [claim.ClaimType, claim.ClaimValue]).sort(), [
      ['Group', 'ops'],
      ['OAuthRole', 'pki'],
      ['User', 'new-user'],
    ]);
  });

  test('a v1 update that leaves out Permissions and Identities, or sends back what it read, changes no grant', async () => {
    const created = await createRole(
      server(),
      roleBody('kept', { Permissions: ['/pam/', '/strongroom/'], Claims: [userClaim('keeper')] }),
    );
    const omitted = await server().request('PUT', rolesPath, {
      body: { Id: created.Id, Name: 'kept', Description: 'only the description' },
    });
    assert.equal(omitted.status, 200, omitted.text);
    const legacy = omitted.body as LegacyRole;
    const echoed = await server().request('PUT', rolesPath, {
      body: { ...legacy, Description: 'read, modified, written back' },
    });
    assert.equal(echoed.status, 200, echoed.text);

    const role = (await server().request('GET', `${rolesPath}/${created.Id}`, v2)).body as Role;
    assert.equal(role.Description, 'read, modified, written back');
    assert.deepEqual(role.Permissions, ['/pam/', '/strongroom/']);
    assert.deepEqual(
      role.Claims.map((claim) => claim.ClaimValue),
      ['keeper'],
    );
  });
});

describeEachDialect('security roles: nobody can be locked out', (server) => {
  const administratorId = async () => {
    const administrator = await roleNamed(server(), 'Administrator');
    assert.ok(administrator !== undefined);
    return administrator.Id;
  };

  test('refuses to delete the only role that gives any user /, and records nothing', async () => {
    const id = await administratorId();
    const auditBefore = await securityAuditCount(server());
    const response = await server().request('DELETE', `${rolesPath}/${id}`);
    assert.equal(response.status, 409);
    assert.match(messageOf(response), /would leave no user holding '\/'/);
    assert.equal((await server().request('GET', `${rolesPath}/${id}`, v2)).status, 200);
    assert.equal(await securityAuditCount(server()), auditBefore);
  });

  test('refuses updates that take / from the last administrator or move it to a user who does not exist', async () => {
    const id = await administratorId();
    const before = (await server().request('GET', `${rolesPath}/${id}`, v2)).body as Role;
    for (const change of [
      { Permissions: ['/pam/', '/security/'], Claims: [userClaim('admin')] },
      { Permissions: ['/'], Claims: [userClaim('nobody-by-this-name')] },
      { Permissions: ['/'], Claims: [] },
    ]) {
      const response = await server().request('PUT', rolesPath, {
        ...v2,
        body: roleBody('Administrator', { Id: id, ...change }),
      });
      assert.equal(response.status, 409, response.text);
    }
    const v1Flattening = await server().request('PUT', rolesPath, {
      body: { Id: id, Name: 'Administrator', Description: 'x', Permissions: ['SecuritySettings:Modify'] },
    });
    assert.equal(v1Flattening.status, 409);
    assert.deepEqual((await server().request('GET', `${rolesPath}/${id}`, v2)).body, before);
  });

  test('the administrator role stays changeable while someone keeps /', async () => {
    const id = await administratorId();
    const renamed = await server().request('PUT', rolesPath, {
      ...v2,
      body: roleBody('Administrator', {
        Id: id,
        Description: 'Full control',
        Permissions: ['/'],
        Claims: [userClaim('admin')],
      }),
    });
    assert.equal(renamed.status, 200, renamed.text);
    assert.equal((renamed.body as Role).Description, 'Full control');
  });

  test('a role with / that reaches no existing user may be deleted freely', async () => {
    const orphan = await createRole(
      server(),
      roleBody('orphan-root', { Permissions: ['/'], Claims: [userClaim('ghost')] }),
    );
    assert.equal((await server().request('DELETE', `${rolesPath}/${orphan.Id}`)).status, 204);
  });

  test('concurrent deletions of every role giving the administrator / leave exactly one standing', async () => {
    const ids = [await administratorId()];
    for (const index of [1, 2, 3, 4, 5]) {
      const role = await createRole(
        server(),
        roleBody(`root-copy-${index}`, { Permissions: ['/'], Claims: [userClaim('admin')] }),
      );
      ids.push(role.Id);
    }
    const statuses = (
      await Promise.all(ids.map((id) => server().request('DELETE', `${rolesPath}/${id}`)))
    ).map((response) => response.status);
    assert.deepEqual(
      [...statuses].sort(),
      [204, 204, 204, 204, 204, 409],
      `statuses: ${statuses.join(', ')}`,
    );
    assert.equal((await server().request('GET', rolesPath)).status, 200);
    const survivor = ids[statuses.indexOf(409)] ?? 0;
    const renamed = await server().request('PUT', rolesPath, {
      ...v2,
      body: roleBody('Administrator', { Id: survivor, Permissions: ['/'], Claims: [userClaim('admin')] }),
    });
    assert.equal(renamed.status, 200, renamed.text);
  });

  test('once another user holds /, the first administrator role may be deleted', async () => {
    const second = await server().createUser('second-root', ['/']);
    const id = await administratorId();
    assert.equal((await server().request('DELETE', `${rolesPath}/${id}`)).status, 204);
    assert.equal((await server().request('GET', rolesPath)).status, 403);
    assert.equal((await server().request('GET', rolesPath, { as: second })).status, 200);

    const lastRole = await roleNamed(server(), 'role-for-second-root', second);
    assert.ok(lastRole !== undefined);
    const response = await server().request('DELETE', `${rolesPath}/${lastRole.Id}`, { as: second });
    assert.equal(response.status, 409);
  });
});
