import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { auditCategories } from '../../src/modules/audit/audit-catalog.js';
import { globalPermissionSetId } from '../../src/modules/security/admin-bootstrap.js';
import { createContainer, expectStatus, message } from '../support/store-fixtures.js';
import { assertKeyfactorShape } from '../support/keyfactor-openapi.js';
import type { ApiResponse, Credentials, TestServer } from '../support/test-server.js';
import { describeEachDialect } from '../support/test-server.js';

type Claim = {
  Id: number;
  ClaimType: string;
  ClaimValue: string;
  Description: string;
  Provider: { AuthenticationScheme: string };
};
type Identity = { Id: number; AccountName: string; IdentityType: string; Roles: { Name: string }[] };
type RoleV2 = { Id: number; Name: string; Permissions: string[]; Claims: Claim[] };
type LegacyRole = { Id: number; Name: string; Permissions: string[]; Identities: { AccountName: string }[] };

const claimsPath = '/KeyfactorAPI/Security/Claims';
const identitiesPath = '/KeyfactorAPI/Security/Identities';
const rolesPath = '/KeyfactorAPI/Security/Roles';

/** Every row of the security tables, so a refused request can be shown to have changed nothing. */
async function securitySnapshot(server: TestServer): Promise<string> {
  const db = server.server.storage.db;
  const [roles, permissions, claims, links] = await Promise.all([
    db.selectFrom('roles').selectAll().orderBy('id').execute(),
    db.selectFrom('role_permissions').selectAll().orderBy('role_id').orderBy('permission').execute(),
    db.selectFrom('security_claims').selectAll().orderBy('id').execute(),
    db.selectFrom('role_claim_links').selectAll().orderBy('role_id').orderBy('claim_id').execute(),
  ]);
  return JSON.stringify({ roles, permissions, claims, links });
}

async function securityAuditCount(server: TestServer): Promise<number> {
  const row = await server.server.storage.db
    .selectFrom('audit_log')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('category', '=', auditCategories.SecurityRole)
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

/** Runs a request that must be refused with this status and Message, and proves it changed nothing. */
async function expectRefused(
  server: TestServer,
  send: () => Promise<ApiResponse>,
  status: number,
  expectedMessage: string | RegExp,
): Promise<void> {
  const snapshot = await securitySnapshot(server);
  const audits = await securityAuditCount(server);
  const response = await send();
  expectStatus(response, status);
  if (typeof expectedMessage === 'string') assert.equal(message(response), expectedMessage);
  else assert.match(message(response), expectedMessage);
  assert.equal(await securitySnapshot(server), snapshot, 'nothing changed');
  assert.equal(await securityAuditCount(server), audits, 'nothing was audited as a change');
}

async function createRoleV2(
  server: TestServer,
  name: string,
  permissions: string[],
  claims: Record<string, unknown>[] = [],
  as?: Credentials,
): Promise<RoleV2> {
  const response = await server.request('POST', rolesPath, {
    apiVersion: 2,
    ...(as === undefined ? {} : { as }),
    body: {
      Name: name,
      Description: name,
      PermissionSetId: globalPermissionSetId,
      Permissions: permissions,
      Claims: claims,
    },
  });
  expectStatus(response, 200);
  return response.body as RoleV2;
}

async function getRoleV2(server: TestServer, id: number): Promise<RoleV2> {
  const response = await server.request('GET', `${rolesPath}/${id}`, { apiVersion: 2 });
  expectStatus(response, 200);
  return response.body as RoleV2;
}

describeEachDialect('legacy security API: claims', (server) => {
  test('creates, lists, reads, describes and deletes a claim, in the published shapes', async () => {
    const created = await server().request('POST', claimsPath, {
      body: {
        ClaimType: 'OAuthRole',
        ClaimValue: 'pki-admins',
        ProviderAuthenticationScheme: 'Bearer',
        Description: 'PKI admins',
      },
    });
    expectStatus(created, 200);
    assertKeyfactorShape(1, 'POST', '/Security/Claims', created.body);
    const claim = created.body as Claim;
    assert.equal(claim.ClaimType, 'OAuthRole');
    assert.equal(claim.Provider.AuthenticationScheme, 'Bearer');

    const byNumber = await server().request('POST', claimsPath, {
      body: { ClaimType: 1, ClaimValue: 'auditors', ProviderAuthenticationScheme: 'Basic', Description: '' },
    });
    expectStatus(byNumber, 200);
    assert.equal((byNumber.body as Claim).ClaimType, 'Group');

    const list = await server().request(
      'GET',
      `${claimsPath}?QueryString=${encodeURIComponent('ClaimValue -contains "pki"')}&ReturnLimit=10&SortField=Id`,
    );
    expectStatus(list, 200);
    assertKeyfactorShape(1, 'GET', '/Security/Claims', list.body);
    assert.deepEqual(
      (list.body as Claim[]).map((item) => item.Id),
      [claim.Id],
    );
    const all = await server().request('GET', `${claimsPath}?SortField=Id`);
    const paged = await server().request('GET', `${claimsPath}?ReturnLimit=1&PageReturned=2&SortField=Id`);
    assert.deepEqual(paged.body, (all.body as Claim[]).slice(1, 2));
    assert.ok((all.body as Claim[]).length >= 3);

    const one = await server().request('GET', `${claimsPath}/${claim.Id}`);
    expectStatus(one, 200);
    assertKeyfactorShape(1, 'GET', '/Security/Claims/{id}', one.body);

    const updated = await server().request('PUT', claimsPath, {
      body: { Id: claim.Id, Description: 'renamed' },
    });
    expectStatus(updated, 200);
    assertKeyfactorShape(1, 'PUT', '/Security/Claims', updated.body);
    assert.equal((updated.body as Claim).Description, 'renamed');
    assert.equal((updated.body as Claim).ClaimValue, 'pki-admins');

    const audits = await securityAuditCount(server());
    expectStatus(await server().request('DELETE', `${claimsPath}/${claim.Id}`), 204);
    assert.equal(await securityAuditCount(server()), audits + 1);
    expectStatus(await server().request('GET', `${claimsPath}/${claim.Id}`), 404);
  });

  test('a claim made through /Security/Claims is the one a role holds, and its roles are listed at once', async () => {
    const created = await server().request('POST', claimsPath, {
      body: {
        ClaimType: 'Group',
        ClaimValue: 'shared-group',
        ProviderAuthenticationScheme: 'Basic',
        Description: 'shared',
      },
    });
    const claim = created.body as Claim;
    const role = await createRoleV2(
      server(),
      'Shared group role',
      ['/pam/read/'],
      [
        {
          ClaimType: 'Group',
          ClaimValue: 'SHARED-GROUP',
          ProviderAuthenticationScheme: 'basic',
          Description: '',
        },
      ],
    );
    assert.deepEqual(
      role.Claims.map((item) => item.Id),
      [claim.Id],
      'one claim, matched without regard to case',
    );

    const roles = await server().request(
      'GET',
      `${claimsPath}/Roles?ClaimType=Group&ClaimValue=shared-group&ProviderAuthenticationScheme=Basic`,
    );
    expectStatus(roles, 200);
    assertKeyfactorShape(1, 'GET', '/Security/Claims/Roles', roles.body);
    assert.deepEqual(
      (roles.body as { Name: string }[]).map((item) => item.Name),
      ['Shared group role'],
    );

    expectStatus(await server().request('DELETE', `${claimsPath}/${claim.Id}`), 204);
    assert.deepEqual(
      (await getRoleV2(server(), role.Id)).Claims,
      [],
      'deleting the claim takes it from the role',
    );
  });

  test('deleting a claim takes away what it granted on the next request', async () => {
    const user = await server().createUser('claim-user', [], ['claim-readers']);
    await createRoleV2(
      server(),
      'Claim readers',
      ['/security/read/'],
      [
        {
          ClaimType: 'Group',
          ClaimValue: 'claim-readers',
          ProviderAuthenticationScheme: 'Basic',
          Description: '',
        },
      ],
    );
    expectStatus(await server().request('GET', claimsPath, { as: user }), 200);
    const list = await server().request(
      'GET',
      `${claimsPath}?QueryString=${encodeURIComponent('ClaimValue -eq "claim-readers"')}`,
    );
    const [claim] = list.body as Claim[];
    assert.ok(claim !== undefined);
    expectStatus(await server().request('DELETE', `${claimsPath}/${claim.Id}`), 204);
    expectStatus(await server().request('GET', claimsPath, { as: user }), 403);
  });

  test('bad claim requests are refused precisely and change nothing', async () => {
    const existing = await server().request('POST', claimsPath, {
      body: {
        ClaimType: 'User',
        ClaimValue: 'dup-user',
        ProviderAuthenticationScheme: 'Basic',
        Description: '',
      },
    });
    expectStatus(existing, 200);
    await expectRefused(
      server(),
      () =>
        server().request('POST', claimsPath, {
          body: {
            ClaimType: 'User',
            ClaimValue: 'DUP-USER',
            ProviderAuthenticationScheme: 'BASIC',
            Description: '',
          },
        }),
      409,
      "A security claim User 'DUP-USER' for scheme 'BASIC' already exists",
    );
    for (const claimType of [9, 'Robot', -1]) {
      await expectRefused(
        server(),
        () =>
          server().request('POST', claimsPath, {
            body: {
              ClaimType: claimType,
              ClaimValue: 'x',
              ProviderAuthenticationScheme: 'Basic',
              Description: '',
            },
          }),
        400,
        /ClaimType/,
      );
    }
    await expectRefused(
      server(),
      () => server().request('GET', `${claimsPath}/999999`),
      404,
      "Security claim '999999' was not found",
    );
    await expectRefused(
      server(),
      () => server().request('PUT', claimsPath, { body: { Id: 999999, Description: 'x' } }),
      404,
      "Security claim '999999' was not found",
    );
    await expectRefused(
      server(),
      () => server().request('DELETE', `${claimsPath}/999999`),
      404,
      "Security claim '999999' was not found",
    );
    await expectRefused(
      server(),
      () =>
        server().request(
          'GET',
          `${claimsPath}/Roles?ClaimType=User&ClaimValue=nobody&ProviderAuthenticationScheme=Basic`,
        ),
      404,
      "Security claim User 'nobody' for scheme 'Basic' was not found",
    );
  });

  test('deleting a claim is a change to its roles: refused for a caller who does not hold their grants, and for the last administrator', async () => {
    const manager = await server().createUser('claim-manager', ['/security/modify/', '/security/read/']);
    const adminClaims = await server().request(
      'GET',
      `${claimsPath}?QueryString=${encodeURIComponent('ClaimValue -eq "admin"')}`,
    );
    const [adminClaim] = adminClaims.body as Claim[];
    assert.ok(adminClaim !== undefined);
    await expectRefused(
      server(),
      () => server().request('DELETE', `${claimsPath}/${adminClaim.Id}`, { as: manager }),
      403,
      /because it grants '\/'/,
    );
    await expectRefused(
      server(),
      () => server().request('DELETE', `${claimsPath}/${adminClaim.Id}`),
      409,
      /would leave no user holding '\/'/,
    );
  });
});

describeEachDialect('legacy security API: identities', (server) => {
  let role: RoleV2;

  before(async () => {
    role = await createRoleV2(server(), 'Identity role', ['/pam/read/', '/certificate_stores/read/7/']);
    await server().createUser('ida', [], ['ops-team']);
  });

  test('an identity is a User claim (or a Group claim for a local group), shown through every view', async () => {
    const created = await server().request('POST', identitiesPath, { body: { AccountName: 'CORP\\ivan' } });
    expectStatus(created, 200);
    assertKeyfactorShape(1, 'POST', '/Security/Identities', created.body);
    const identity = created.body as Identity;
    assert.equal(identity.AccountName, 'ivan');
    assert.equal(identity.IdentityType, 'User');

    const group = await server().request('POST', identitiesPath, { body: { AccountName: 'ops-team' } });
    expectStatus(group, 200);
    assert.equal((group.body as Identity).IdentityType, 'Group');

    const claim = await server().request('GET', `${claimsPath}/${identity.Id}`);
    expectStatus(claim, 200);
    assert.equal((claim.body as Claim).ClaimType, 'User');

    const put = await server().request('PUT', `${rolesPath}/${role.Id}/Identities`, {
      body: { Ids: [identity.Id, (group.body as Identity).Id] },
    });
    expectStatus(put, 200);
    assertKeyfactorShape(1, 'PUT', '/Security/Roles/{id}/Identities', put.body);
    assert.deepEqual((put.body as { Name: string }[]).map((item) => item.Name).sort(), ['ivan', 'ops-team']);
    const get = await server().request('GET', `${rolesPath}/${role.Id}/Identities`);
    assertKeyfactorShape(1, 'GET', '/Security/Roles/{id}/Identities', get.body);
    assert.deepEqual(get.body, put.body);
    assert.deepEqual((await getRoleV2(server(), role.Id)).Claims.map((item) => item.ClaimValue).sort(), [
      'ivan',
      'ops-team',
    ]);

    const list = await server().request(
      'GET',
      `${identitiesPath}?QueryString=${encodeURIComponent('AccountName -eq "ivan"')}&Validate=true`,
    );
    expectStatus(list, 200);
    assertKeyfactorShape(1, 'GET', '/Security/Identities', list.body);
    const [listed] = list.body as Identity[];
    assert.deepEqual(
      listed?.Roles.map((item) => item.Name),
      ['Identity role'],
    );

    const permissions = await server().request('GET', `${identitiesPath}/${identity.Id}`);
    expectStatus(permissions, 200);
    assertKeyfactorShape(1, 'GET', '/Security/Identities/{id}', permissions.body);
    const body = permissions.body as {
      Identity: string;
      SecuredAreaPermissions: { Permission: string; GrantedByRoles: string[] }[];
      ContainerPermissions: { Permission: string }[];
    };
    assert.equal(body.Identity, 'ivan');
    assert.deepEqual(body.SecuredAreaPermissions, [
      { Permission: 'PrivilegedAccessManagement:Read', GrantedByRoles: ['Identity role'] },
    ]);
    assert.deepEqual(
      body.ContainerPermissions.map((item) => item.Permission),
      ['/certificate_stores/read/7/'],
    );

    // The v1 role view shows the same identities.
    const legacy = await server().request('GET', `${rolesPath}/${role.Id}`);
    assert.deepEqual((legacy.body as LegacyRole).Identities.map((item) => item.AccountName).sort(), [
      'ivan',
      'ops-team',
    ]);

    expectStatus(await server().request('DELETE', `${identitiesPath}/${identity.Id}`), 204);
    assert.deepEqual(
      (await getRoleV2(server(), role.Id)).Claims.map((item) => item.ClaimValue),
      ['ops-team'],
    );
  });

  test('Lookup says whether a name is a local user or group', async () => {
    const known = await server().request(
      'GET',
      `${identitiesPath}/Lookup?accountName=${encodeURIComponent('CORP\\IDA')}`,
    );
    expectStatus(known, 200);
    assertKeyfactorShape(1, 'GET', '/Security/Identities/Lookup', known.body);
    assert.deepEqual(known.body, { Valid: true });
    const group = await server().request('GET', `${identitiesPath}/Lookup?accountName=ops-team`);
    assert.deepEqual(group.body, { Valid: true });
    const unknown = await server().request('GET', `${identitiesPath}/Lookup?accountName=nobody`);
    assert.deepEqual(unknown.body, { Valid: false });
  });

  test('bad identity requests are refused precisely and change nothing', async () => {
    expectStatus(await server().request('POST', identitiesPath, { body: { AccountName: 'twice' } }), 200);
    await expectRefused(
      server(),
      () => server().request('POST', identitiesPath, { body: { AccountName: 'DOMAIN\\TWICE' } }),
      409,
      "Security identity 'TWICE' already exists",
    );
    await expectRefused(
      server(),
      () => server().request('POST', identitiesPath, { body: { AccountName: '' } }),
      400,
      /AccountName/,
    );
    for (const [method, path] of [
      ['GET', `${identitiesPath}/999999`],
      ['DELETE', `${identitiesPath}/999999`],
    ] as const) {
      await expectRefused(
        server(),
        () => server().request(method, path),
        404,
        "Security identity '999999' was not found",
      );
    }
    // A claim that is not a User or Group claim is no identity.
    const oauth = await server().request('POST', claimsPath, {
      body: {
        ClaimType: 'OAuthSubject',
        ClaimValue: 'sub-1',
        ProviderAuthenticationScheme: 'Bearer',
        Description: '',
      },
    });
    const oauthId = (oauth.body as Claim).Id;
    await expectRefused(
      server(),
      () => server().request('GET', `${identitiesPath}/${oauthId}`),
      404,
      `Security identity '${oauthId}' was not found`,
    );
    await expectRefused(
      server(),
      () => server().request('PUT', `${rolesPath}/${role.Id}/Identities`, { body: { Ids: [oauthId] } }),
      404,
      `Security identity '${oauthId}' was not found`,
    );
    await expectRefused(
      server(),
      () => server().request('PUT', `${rolesPath}/${role.Id}/Identities`, { body: { Ids: [999999] } }),
      404,
      "Security identity '999999' was not found",
    );
    await expectRefused(
      server(),
      () => server().request('PUT', `${rolesPath}/999999/Identities`, { body: { Ids: [] } }),
      404,
      "Security role '999999' was not found",
    );
  });
});

describeEachDialect('legacy security API: role permissions, copy and container roles', (server) => {
  test('Permissions/Global reads, adds and replaces v1 pairs; the v2 view changes at once', async () => {
    const role = await createRoleV2(server(), 'Global pairs', ['/pam/read/', '/pam/modify/9/']);
    const read = await server().request('GET', `${rolesPath}/${role.Id}/Permissions/Global`);
    expectStatus(read, 200);
    assertKeyfactorShape(1, 'GET', '/Security/Roles/{id}/Permissions/Global', read.body);
    assert.deepEqual(read.body, [{ Area: 'PrivilegedAccessManagement', Permission: 'Read' }]);

    const added = await server().request('POST', `${rolesPath}/${role.Id}/Permissions/Global`, {
      body: [{ Area: 'Auditing', Permission: 'read' }],
    });
    expectStatus(added, 200);
    assertKeyfactorShape(1, 'POST', '/Security/Roles/{id}/Permissions/Global', added.body);
    assert.deepEqual((await getRoleV2(server(), role.Id)).Permissions, [
      '/auditing/read/',
      '/pam/modify/9/',
      '/pam/read/',
    ]);

    const replaced = await server().request('PUT', `${rolesPath}/${role.Id}/Permissions/Global`, {
      body: [{ Area: 'CertificateStoreManagement', Permission: 'Modify' }],
    });
    expectStatus(replaced, 200);
    assertKeyfactorShape(1, 'PUT', '/Security/Roles/{id}/Permissions/Global', replaced.body);
    // The scoped grant v1 cannot see stays.
    assert.deepEqual((await getRoleV2(server(), role.Id)).Permissions, [
      '/certificate_stores/modify/',
      '/pam/modify/9/',
    ]);

    const all = await server().request('GET', `${rolesPath}/${role.Id}/Permissions`);
    expectStatus(all, 200);
    assertKeyfactorShape(1, 'GET', '/Security/Roles/{id}/Permissions', all.body);
    assert.deepEqual(all.body, [
      { Type: 'Global', Area: 'CertificateStoreManagement', Permission: 'Read' },
      { Type: 'Global', Area: 'CertificateStoreManagement', Permission: 'Schedule' },
      { Type: 'Global', Area: 'CertificateStoreManagement', Permission: 'Modify' },
      { Type: 'PamProvider', Area: '9', Permission: 'Modify' },
    ]);

    await expectRefused(
      server(),
      () =>
        server().request('PUT', `${rolesPath}/${role.Id}/Permissions/Global`, {
          body: [{ Area: 'Reports', Permission: 'Read' }],
        }),
      400,
      /Permission 'Reports:Read' is not a v1 permission this server knows/,
    );
    await expectRefused(
      server(),
      () => server().request('GET', `${rolesPath}/999999/Permissions/Global`),
      404,
      "Security role '999999' was not found",
    );
  });

  test('Permissions/Global cannot take / from the last administrator, nor grant what the caller lacks', async () => {
    const administrators = await server().request(
      'GET',
      `${rolesPath}?QueryString=${encodeURIComponent('Name -eq "Administrator"')}`,
      { apiVersion: 2 },
    );
    const [administrator] = administrators.body as { Id: number }[];
    assert.ok(administrator !== undefined);
    await expectRefused(
      server(),
      () =>
        server().request('PUT', `${rolesPath}/${administrator.Id}/Permissions/Global`, {
          body: [{ Area: 'Auditing', Permission: 'Read' }],
        }),
      409,
      /would leave no user holding '\/'/,
    );
    const manager = await server().createUser('global-manager', ['/security/modify/']);
    const role = await createRoleV2(server(), 'Managed pairs', []);
    await expectRefused(
      server(),
      () =>
        server().request('POST', `${rolesPath}/${role.Id}/Permissions/Global`, {
          as: manager,
          body: [{ Area: 'PrivilegedAccessManagement', Permission: 'Modify' }],
        }),
      403,
      "You cannot grant '/pam/modify/' because you do not hold it yourself",
    );
  });

  test('Copy makes a new role with the same grants and claims; a taken name is a 409', async () => {
    const source = await createRoleV2(
      server(),
      'Copy source',
      ['/pam/read/', '/pam/modify/3/'],
      [
        {
          ClaimType: 'Group',
          ClaimValue: 'copy-group',
          ProviderAuthenticationScheme: 'Basic',
          Description: '',
        },
      ],
    );
    const copied = await server().request('POST', `${rolesPath}/${source.Id}/Copy`, {
      body: { Name: 'Copy target', Description: 'copied' },
    });
    expectStatus(copied, 200);
    assertKeyfactorShape(1, 'POST', '/Security/Roles/{id}/Copy', copied.body);
    const copy = await getRoleV2(server(), (copied.body as LegacyRole).Id);
    assert.deepEqual(copy.Permissions, source.Permissions);
    assert.deepEqual(
      copy.Claims.map((claim) => claim.Id),
      source.Claims.map((claim) => claim.Id),
    );

    await expectRefused(
      server(),
      () =>
        server().request('POST', `${rolesPath}/${source.Id}/Copy`, {
          body: { Name: 'COPY TARGET', Description: '' },
        }),
      409,
      "A security role named 'COPY TARGET' already exists",
    );
    await expectRefused(
      server(),
      () =>
        server().request('POST', `${rolesPath}/999999/Copy`, { body: { Name: 'Anything', Description: '' } }),
      404,
      "Security role '999999' was not found",
    );
  });

  test('Containers/{id}/Roles lists the roles with grants on the container', async () => {
    const container = await createContainer(server());
    const role = await createRoleV2(server(), 'Container role', [
      `/certificate_stores/read/${container}/`,
      `/certificate_stores/modify/${container}/`,
    ]);
    await createRoleV2(server(), 'Global store role', ['/certificate_stores/read/']);
    const roles = await server().request('GET', `/KeyfactorAPI/Security/Containers/${container}/Roles`);
    expectStatus(roles, 200);
    assertKeyfactorShape(1, 'GET', '/Security/Containers/{id}/Roles', roles.body);
    assert.deepEqual(roles.body, [
      { SecurityRoleId: role.Id, Name: 'Container role', Permissions: ['Read', 'Modify'] },
    ]);
    await expectRefused(
      server(),
      () => server().request('GET', '/KeyfactorAPI/Security/Containers/999999/Roles'),
      404,
      "Certificate store container '999999' was not found",
    );
  });

  test('every legacy route needs its permission', async () => {
    const reader = await server().createUser('legacy-reader', ['/security/read/']);
    expectStatus(await server().request('GET', claimsPath, { as: null }), 401);
    expectStatus(await server().request('GET', identitiesPath, { as: null }), 401);
    for (const [method, path, body] of [
      [
        'POST',
        claimsPath,
        { ClaimType: 0, ClaimValue: 'x', ProviderAuthenticationScheme: 'Basic', Description: '' },
      ],
      ['POST', identitiesPath, { AccountName: 'x' }],
      ['POST', `${rolesPath}/1/Copy`, { Name: 'x', Description: '' }],
      ['PUT', `${rolesPath}/1/Permissions/Global`, []],
      ['PUT', `${rolesPath}/1/Identities`, { Ids: [] }],
    ] as const) {
      await expectRefused(
        server(),
        () => server().request(method, path, { as: reader, body }),
        403,
        /permission/,
      );
    }
  });
});
