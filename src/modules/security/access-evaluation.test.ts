import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { AccessObject, LocalIdentity, RoleWithGrants } from './access-evaluation.js';
import { accessRequirements, claimNamesUser, parseAccessObject, whoCanReach } from './access-evaluation.js';
import { createPermissionChecker } from './permission-evaluator.js';

const storeId = '0b6f1c9e-2d3a-4e5f-8a7b-1c2d3e4f5a6b';

test('parses the four object forms and refuses everything else', () => {
  assert.deepEqual(parseAccessObject('pam-provider:7'), { kind: 'pam-provider', providerId: 7 });
  assert.deepEqual(parseAccessObject(`certificate-store:${storeId.toUpperCase()}`), {
    kind: 'certificate-store',
    storeId,
  });
  assert.deepEqual(parseAccessObject('certificate-store-container:3'), {
    kind: 'certificate-store-container',
    containerId: 3,
  });
  assert.deepEqual(parseAccessObject('local-entry:7/db/password'), {
    kind: 'local-entry',
    providerId: 7,
    secretName: 'db/password',
  });
  for (const malformed of [
    '',
    'pam-provider',
    'pam-provider:',
    'pam-provider:0',
    'pam-provider:07',
    'pam-provider:-1',
    'pam-provider:2147483648',
    'pam-provider:7x',
    'certificate-store:not-a-guid',
    'certificate-store-container:abc',
    'local-entry:7',
    'local-entry:7/',
    'local-entry:x/name',
    `local-entry:7/${'a'.repeat(401)}`,
    'role:1',
  ]) {
    assert.equal(parseAccessObject(malformed), undefined, malformed);
  }
});

test('a store outside every container is reached only through global grants', () => {
  const requirements = accessRequirements({ kind: 'certificate-store', storeId }, null);
  assert.ok(requirements.every((requirement) => requirement.objectId === undefined));
  const inContainer = accessRequirements({ kind: 'certificate-store', storeId }, 4);
  assert.deepEqual(
    inContainer.map((requirement) => requirement.objectId),
    [4, 4, undefined],
  );
});

test('names the role and the exact strings that allow each action', () => {
  const roles: RoleWithGrants[] = [
    {
      id: 1,
      name: 'operators',
      permissions: ['/pam/read/7/', '/pam/modify/7/', '/security/read/'],
      claims: [{ claimType: 'Group', claimValue: 'Ops', providerScheme: 'Basic' }],
    },
    {
      id: 2,
      name: 'other provider',
      permissions: ['/pam/read/8/'],
      claims: [{ claimType: 'User', claimValue: 'carol', providerScheme: 'Basic' }],
    },
  ];
  const report = whoCanReach(
    roles,
    [
      { username: 'alice', groups: ['ops'] },
      { username: 'carol', groups: [] },
    ],
    accessRequirements({ kind: 'pam-provider', providerId: 7 }, null),
  );
  assert.deepEqual(report.users, [
    {
      username: 'alice',
      grants: [
        // Modify implies read, so both of the role's PAM strings allow reading provider 7.
        {
          action: 'Read',
          roleId: 1,
          roleName: 'operators',
          permissions: ['/pam/read/7/', '/pam/modify/7/'],
          claim: 'Group:Ops',
        },
        {
          action: 'Modify',
          roleId: 1,
          roleName: 'operators',
          permissions: ['/pam/modify/7/'],
          claim: 'Group:Ops',
        },
      ],
    },
  ]);
  assert.deepEqual(
    report.claims.map((claim) => `${claim.claimType}:${claim.claimValue}`),
    ['Group:Ops'],
  );
});

const permissionPool = [
  '/',
  '/pam/',
  '/pam/read/',
  '/pam/modify/',
  '/pam/read/7/',
  '/pam/modify/7/',
  '/pam/read/8/',
  '/certificate_stores/',
  '/certificate_stores/read/',
  '/certificate_stores/schedule/',
  '/certificate_stores/modify/3/',
  '/certificate_stores/read/4/',
  '/strongroom/',
  '/strongroom/resolve/',
  '/security/read/',
];
const claimPool = [
  { claimType: 'User', claimValue: 'alice', providerScheme: 'Basic' },
  { claimType: 'User', claimValue: 'BOB', providerScheme: 'Basic' },
  { claimType: 'Group', claimValue: 'ops', providerScheme: 'Basic' },
  { claimType: 'Group', claimValue: 'PKI', providerScheme: 'Basic' },
  { claimType: 'OAuthRole', claimValue: 'ops', providerScheme: 'Bearer' },
];
const identities: LocalIdentity[] = [
  { username: 'alice', groups: [] },
  { username: 'bob', groups: ['Ops'] },
  { username: 'carol', groups: ['pki', 'ops'] },
  { username: 'dave', groups: [] },
];
const objects: { object: AccessObject; containerId: number | null }[] = [
  { object: { kind: 'pam-provider', providerId: 7 }, containerId: null },
  { object: { kind: 'pam-provider', providerId: 8 }, containerId: null },
  { object: { kind: 'local-entry', providerId: 7, secretName: 'db' }, containerId: null },
  { object: { kind: 'certificate-store-container', containerId: 3 }, containerId: null },
  { object: { kind: 'certificate-store', storeId }, containerId: 4 },
  { object: { kind: 'certificate-store', storeId }, containerId: null },
];

const rolesArbitrary = fc.array(
  fc.record({
    permissions: fc.subarray(permissionPool),
    claims: fc.subarray(claimPool),
  }),
  { maxLength: 5 },
);

test('lists a user for an action if and only if the pooled grants of its roles allow it', () => {
  fc.assert(
    fc.property(rolesArbitrary, fc.constantFrom(...objects), (drafts, { object, containerId }) => {
      const roles = drafts.map((draft, index) => ({ id: index + 1, name: `role-${index + 1}`, ...draft }));
      const requirements = accessRequirements(object, containerId);
      const report = whoCanReach(roles, identities, requirements);
      for (const identity of identities) {
        // What the authenticator gives this caller: every permission of every role a claim of which names it.
        const pooled = roles
          .filter((role) => role.claims.some((claim) => claimNamesUser(claim, identity)))
          .flatMap((role) => role.permissions);
        const checker = createPermissionChecker(pooled);
        const listed = report.users.find((user) => user.username === identity.username);
        for (const requirement of requirements) {
          const allowed = checker.has(requirement.permission, requirement.objectId);
          const grants = listed?.grants.filter((grant) => grant.action === requirement.action) ?? [];
          assert.equal(grants.length > 0, allowed, `${identity.username} ${requirement.action}`);
          for (const grant of grants) {
            assert.ok(grant.permissions.length > 0, 'every grant names the strings behind it');
            assert.ok(
              createPermissionChecker(grant.permissions).has(requirement.permission, requirement.objectId),
            );
          }
        }
      }
      for (const claim of claimPool) {
        const allowedBy = roles.filter(
          (role) =>
            role.claims.includes(claim) &&
            requirements.some((requirement) =>
              createPermissionChecker(role.permissions).has(requirement.permission, requirement.objectId),
            ),
        );
        const listed = report.claims.find(
          (entry) => entry.claimType === claim.claimType && entry.claimValue === claim.claimValue,
        );
        assert.equal(listed !== undefined, allowedBy.length > 0, `${claim.claimType}:${claim.claimValue}`);
      }
    }),
    { numRuns: 300 },
  );
});
