import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import fc from 'fast-check';
import { globalPermissionSetId } from '../../src/modules/security/admin-bootstrap.js';
import {
  createContainer,
  createLocalEntry,
  createLocalProvider,
  createStore,
  expectStatus,
  message,
} from '../support/store-fixtures.js';
import type { Credentials } from '../support/test-server.js';
import { describeEachDialect } from '../support/test-server.js';

type Grant = { Action: string; RoleId: number; RoleName: string; Permissions: string[] };
type AccessBody = {
  Object: string;
  Claims: { ClaimType: string; ClaimValue: string; ProviderAuthenticationScheme: string; Access: Grant[] }[];
  Users: { Username: string; Access: (Grant & { Claim: string })[] }[];
};

const access = (object: string) => `/strongroom/access?object=${encodeURIComponent(object)}`;

describeEachDialect('GET /strongroom/access', (server) => {
  let providerA = 0;
  let providerB = 0;
  let container = 0;
  let storeInContainer = '';
  let storeOutside = '';
  let alice: Credentials;
  let bob: Credentials;
  let aliceRoleId = 0;
  let bobRoleId = 0;

  async function roleIdOf(username: string): Promise<number> {
    const roles = await server().request(
      'GET',
      '/KeyfactorAPI/Security/Roles?QueryString=Name%20-eq%20%22role-for-' + username + '%22',
      {
        apiVersion: 2,
      },
    );
    expectStatus(roles, 200);
    const [role] = roles.body as { Id: number }[];
    assert.ok(role !== undefined);
    return role.Id;
  }

  async function grant(roleId: number, username: string, permissions: readonly string[]): Promise<void> {
    const response = await server().request('PUT', '/KeyfactorAPI/Security/Roles', {
      apiVersion: 2,
      body: {
        Id: roleId,
        Name: `role-for-${username}`,
        Description: 'access report test',
        PermissionSetId: globalPermissionSetId,
        Permissions: permissions,
        Claims: [
          { ClaimType: 'User', ClaimValue: username, ProviderAuthenticationScheme: 'Basic', Description: '' },
        ],
      },
    });
    expectStatus(response, 200);
  }

  async function report(object: string): Promise<AccessBody> {
    const response = await server().request('GET', access(object));
    expectStatus(response, 200);
    return response.body as AccessBody;
  }

  before(async () => {
    providerA = await createLocalProvider(server());
    providerB = await createLocalProvider(server());
    await createLocalEntry(server(), providerA, 'db-password', 'access-report-canary-value');
    container = await createContainer(server());
    storeInContainer = (
      await createStore(server(), { ContainerId: container, Password: { Value: 'store-pw' } })
    ).Id;
    storeOutside = (await createStore(server())).Id;
    alice = await server().createUser('access-alice', []);
    bob = await server().createUser('access-bob', [], ['vault-team']);
    aliceRoleId = await roleIdOf('access-alice');
    bobRoleId = await roleIdOf('access-bob');
  });

  test('names the role, the claim and the permission string through which each user reaches a provider', async () => {
    await grant(aliceRoleId, 'access-alice', [`/pam/read/${providerA}/`]);
    await grant(bobRoleId, 'access-bob', ['/pam/modify/']);
    const body = await report(`pam-provider:${providerA}`);
    assert.equal(body.Object, `pam-provider:${providerA}`);
    const aliceEntry = body.Users.find((user) => user.Username === 'access-alice');
    assert.deepEqual(
      aliceEntry?.Access.map((item) => [item.Action, item.RoleName, item.Permissions, item.Claim]),
      [['Read', 'role-for-access-alice', [`/pam/read/${providerA}/`], 'User:access-alice']],
    );
    const bobEntry = body.Users.find((user) => user.Username === 'access-bob');
    assert.deepEqual(
      bobEntry?.Access.map((item) => [item.Action, item.Permissions]),
      [
        ['Read', ['/pam/modify/']],
        ['Modify', ['/pam/modify/']],
      ],
    );
    // The administrator reaches everything through '/'.
    const admin = body.Users.find((user) => user.Username === 'admin');
    assert.deepEqual(
      admin?.Access.map((item) => item.Permissions),
      [['/'], ['/']],
    );
    const claim = body.Claims.find((entry) => entry.ClaimValue === 'access-alice');
    assert.equal(claim?.ClaimType, 'User');
    assert.equal(claim?.ProviderAuthenticationScheme, 'Basic');

    const other = await report(`pam-provider:${providerB}`);
    assert.equal(
      other.Users.find((user) => user.Username === 'access-alice'),
      undefined,
    );
  });

  test('reports local entries, containers and stores, resolution included, and never a secret value', async () => {
    await grant(aliceRoleId, 'access-alice', [
      `/certificate_stores/read/${container}/`,
      '/strongroom/resolve/',
    ]);
    const entry = await server().request('GET', access(`local-entry:${providerA}/db-password`));
    expectStatus(entry, 200);
    assert.ok(!entry.text.includes('access-report-canary-value'));
    const inContainer = await report(`certificate-store:${storeInContainer}`);
    assert.deepEqual(
      inContainer.Users.find((user) => user.Username === 'access-alice')?.Access.map((item) => item.Action),
      ['Read', 'Resolve'],
    );
    const outside = await report(`certificate-store:${storeOutside}`);
    assert.deepEqual(
      outside.Users.find((user) => user.Username === 'access-alice')?.Access.map((item) => item.Action),
      ['Resolve'],
    );
    const containerReport = await report(`certificate-store-container:${container}`);
    assert.ok(containerReport.Users.some((user) => user.Username === 'access-alice'));
  });

  test('a malformed object is a 400 that names the forms; nothing is looked up', async () => {
    for (const object of [
      'pam-provider:abc',
      'pam-provider:0',
      'certificate-store:42',
      'local-entry:1',
      'role:1',
      '',
    ]) {
      const response = await server().request('GET', access(object));
      expectStatus(response, 400);
      assert.match(message(response), /object/);
    }
    const missing = await server().request('GET', '/strongroom/access');
    expectStatus(missing, 400);
  });

  test('an unknown object is a 404 that names it', async () => {
    const cases = [
      ['pam-provider:999999', "PAM provider '999999' was not found"],
      ['certificate-store-container:999999', "Certificate store container '999999' was not found"],
      [
        'certificate-store:00000000-0000-4000-8000-000000000000',
        "Certificate store '00000000-0000-4000-8000-000000000000' was not found",
      ],
      [
        `local-entry:${providerA}/nope`,
        `Local PAM entry 'nope' of PAM provider '${providerA}' was not found`,
      ],
    ] as const;
    for (const [object, expected] of cases) {
      const response = await server().request('GET', access(object));
      expectStatus(response, 404);
      assert.equal(message(response), expected);
    }
  });

  test('needs /security/read/: 401 without credentials, 403 without the permission', async () => {
    await grant(aliceRoleId, 'access-alice', [`/pam/read/${providerA}/`]);
    expectStatus(await server().request('GET', access(`pam-provider:${providerA}`), { as: null }), 401);
    const denied = await server().request('GET', access(`pam-provider:${providerA}`), { as: alice });
    expectStatus(denied, 403);
    assert.ok(!denied.text.includes('role-for'));
  });

  test('for random grants, a user is listed for an action exactly when its request is allowed', async () => {
    const pool = [
      '/',
      '/pam/read/',
      '/pam/modify/',
      `/pam/read/${providerA}/`,
      `/pam/modify/${providerB}/`,
      '/certificate_stores/read/',
      `/certificate_stores/modify/${container}/`,
      '/strongroom/resolve/',
      '/security/read/',
    ];
    const objects = [
      { object: `pam-provider:${providerA}`, read: `/KeyfactorAPI/PamProviders/${providerA}` },
      { object: `pam-provider:${providerB}`, read: `/KeyfactorAPI/PamProviders/${providerB}` },
      {
        object: `certificate-store:${storeInContainer}`,
        read: `/KeyfactorAPI/CertificateStores/${storeInContainer}`,
        resolve: `/strongroom/certificate-stores/${storeInContainer}/password/resolve`,
      },
      {
        object: `certificate-store:${storeOutside}`,
        read: `/KeyfactorAPI/CertificateStores/${storeOutside}`,
        resolve: `/strongroom/certificate-stores/${storeOutside}/password/resolve`,
      },
    ];
    await fc.assert(
      fc.asyncProperty(fc.subarray(pool), fc.subarray(pool), async (alicePermissions, bobPermissions) => {
        await grant(aliceRoleId, 'access-alice', alicePermissions);
        await grant(bobRoleId, 'access-bob', bobPermissions);
        for (const target of objects) {
          const body = await report(target.object);
          for (const caller of [alice, bob]) {
            const actions = new Set(
              body.Users.find((user) => user.Username === caller.username)?.Access.map((item) => item.Action),
            );
            const read = await server().request('GET', target.read, { as: caller });
            assert.ok([200, 403, 404].includes(read.status), read.text);
            assert.equal(
              actions.has('Read'),
              read.status === 200,
              `${caller.username} reads ${target.object}`,
            );
            if (target.resolve !== undefined) {
              const resolved = await server().request('POST', target.resolve, { as: caller });
              assert.equal(
                actions.has('Resolve'),
                resolved.status === 200,
                `${caller.username} resolves ${target.object}: ${resolved.status}`,
              );
            }
          }
        }
      }),
      { numRuns: 12 },
    );
  });
});
