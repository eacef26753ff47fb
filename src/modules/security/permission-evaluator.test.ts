import assert from 'node:assert/strict';
import { test } from 'node:test';

import { permissionCatalog } from './permission-catalog.js';
import { createPermissionChecker } from './permission-evaluator.js';

interface HasCase {
  name: string;
  grants: readonly string[];
  required: string;
  objectId?: number;
  expected: boolean;
}

const hasCases: readonly HasCase[] = [
  // `/` administrators
  { name: '/ allows a PAM modify', grants: ['/'], required: '/pam/modify/', expected: true },
  {
    name: '/ allows a scoped store schedule',
    grants: ['/'],
    required: '/certificate_stores/schedule/',
    objectId: 9,
    expected: true,
  },
  {
    name: '/ allows resolving secret values',
    grants: ['/'],
    required: '/strongroom/resolve/',
    expected: true,
  },
  {
    name: '/ allows the deepest workflow permission',
    grants: ['/'],
    required: '/workflows/instances/read/pending/',
    expected: true,
  },

  // prefix inheritance
  { name: '/pam/ allows PAM read', grants: ['/pam/'], required: '/pam/read/', expected: true },
  {
    name: '/pam/ allows PAM modify on any provider',
    grants: ['/pam/'],
    required: '/pam/modify/',
    objectId: 7,
    expected: true,
  },
  {
    name: '/certificates/ allows collection revoke',
    grants: ['/certificates/'],
    required: '/certificates/collections/revoke/',
    expected: true,
  },
  {
    name: '/workflows/instances/read/ allows reading pending instances',
    grants: ['/workflows/instances/read/'],
    required: '/workflows/instances/read/pending/',
    expected: true,
  },
  { name: 'a grant does not cover its parent', grants: ['/pam/read/'], required: '/pam/', expected: false },
  {
    name: 'a grant does not cover a sibling area',
    grants: ['/pam/'],
    required: '/security/read/',
    expected: false,
  },
  {
    name: 'a grant does not cover a different area that shares a name prefix',
    grants: ['/certificates/'],
    required: '/certificate_stores/read/',
    expected: false,
  },
  { name: 'nothing is allowed without grants', grants: [], required: '/pam/read/', expected: false },

  // modify implies read
  { name: '/pam/modify/ implies PAM read', grants: ['/pam/modify/'], required: '/pam/read/', expected: true },
  {
    name: '/security/modify/ implies security read',
    grants: ['/security/modify/'],
    required: '/security/read/',
    expected: true,
  },
  {
    name: '/system_settings/modify/ implies system settings read',
    grants: ['/system_settings/modify/'],
    required: '/system_settings/read/',
    expected: true,
  },
  {
    name: '/certificates/collections/modify/ implies collection read',
    grants: ['/certificates/collections/modify/'],
    required: '/certificates/collections/read/',
    expected: true,
  },
  {
    name: 'a nested modify implies its nested read',
    grants: ['/agents/management/mac/auto-enrollment/management/modify/'],
    required: '/agents/management/mac/auto-enrollment/management/read/',
    expected: true,
  },
  {
    name: 'an implied read covers what that read covers',
    grants: ['/workflows/definitions/modify/'],
    required: '/workflows/definitions/read/',
    expected: true,
  },

  // read never implies modify
  {
    name: '/pam/read/ does not allow PAM modify',
    grants: ['/pam/read/'],
    required: '/pam/modify/',
    expected: false,
  },
  {
    name: '/security/read/ does not allow security modify',
    grants: ['/security/read/'],
    required: '/security/modify/',
    expected: false,
  },
  {
    name: 'scoped PAM read does not allow modify on that provider',
    grants: ['/pam/read/7/'],
    required: '/pam/modify/',
    objectId: 7,
    expected: false,
  },
  {
    name: 'store schedule does not allow store modify',
    grants: ['/certificate_stores/schedule/'],
    required: '/certificate_stores/modify/',
    expected: false,
  },
  {
    name: 'store read does not allow store schedule',
    grants: ['/certificate_stores/read/'],
    required: '/certificate_stores/schedule/',
    expected: false,
  },
  {
    name: 'alert modify does not allow scheduling alerts',
    grants: ['/monitoring/alerts/modify/'],
    required: '/monitoring/alerts/schedule/',
    expected: false,
  },

  // certificate stores: modify ⇒ schedule ⇒ read
  {
    name: 'store modify implies store schedule',
    grants: ['/certificate_stores/modify/'],
    required: '/certificate_stores/schedule/',
    expected: true,
  },
  {
    name: 'store modify implies store read through schedule',
    grants: ['/certificate_stores/modify/'],
    required: '/certificate_stores/read/',
    expected: true,
  },
  {
    name: 'store schedule implies store read',
    grants: ['/certificate_stores/schedule/'],
    required: '/certificate_stores/read/',
    expected: true,
  },
  {
    name: 'scoped store modify implies schedule on that container',
    grants: ['/certificate_stores/modify/3/'],
    required: '/certificate_stores/schedule/',
    objectId: 3,
    expected: true,
  },
  {
    name: 'scoped store modify implies read on that container',
    grants: ['/certificate_stores/modify/3/'],
    required: '/certificate_stores/read/',
    objectId: 3,
    expected: true,
  },
  {
    name: 'scoped store schedule implies read on that container',
    grants: ['/certificate_stores/schedule/3/'],
    required: '/certificate_stores/read/',
    objectId: 3,
    expected: true,
  },
  {
    name: 'scoped PAM modify implies read on that provider',
    grants: ['/pam/modify/7/'],
    required: '/pam/read/',
    objectId: 7,
    expected: true,
  },

  // scoped grants apply to their object only
  {
    name: 'scoped PAM read allows its own provider',
    grants: ['/pam/read/7/'],
    required: '/pam/read/',
    objectId: 7,
    expected: true,
  },
  {
    name: 'scoped PAM read refuses another provider',
    grants: ['/pam/read/7/'],
    required: '/pam/read/',
    objectId: 8,
    expected: false,
  },
  {
    name: 'scoped store modify refuses another container',
    grants: ['/certificate_stores/modify/3/'],
    required: '/certificate_stores/read/',
    objectId: 4,
    expected: false,
  },
  {
    name: 'scoped PAM ids do not leak into store checks',
    grants: ['/pam/modify/3/'],
    required: '/certificate_stores/read/',
    objectId: 3,
    expected: false,
  },

  // scoped grants never satisfy an unscoped check
  {
    name: 'scoped PAM modify does not allow creating a provider type',
    grants: ['/pam/modify/7/'],
    required: '/pam/modify/',
    expected: false,
  },
  {
    name: 'scoped PAM read does not allow an unscoped read',
    grants: ['/pam/read/7/'],
    required: '/pam/read/',
    expected: false,
  },
  {
    name: 'scoped store modify does not allow managing store types',
    grants: ['/certificate_stores/modify/3/'],
    required: '/certificate_stores/modify/',
    expected: false,
  },

  // resolving secret values is granted only explicitly
  {
    name: '/pam/ does not allow resolving secret values',
    grants: ['/pam/'],
    required: '/strongroom/resolve/',
    expected: false,
  },
  {
    name: '/pam/modify/ does not allow resolving secret values',
    grants: ['/pam/modify/'],
    required: '/strongroom/resolve/',
    expected: false,
  },
  {
    name: '/certificate_stores/ does not allow resolving secret values',
    grants: ['/certificate_stores/'],
    required: '/strongroom/resolve/',
    expected: false,
  },
  {
    name: 'every PAM and store grant together does not allow resolving',
    grants: ['/pam/', '/certificate_stores/', '/security/', '/system_settings/'],
    required: '/strongroom/resolve/',
    expected: false,
  },
  {
    name: '/strongroom/ allows resolving secret values',
    grants: ['/strongroom/'],
    required: '/strongroom/resolve/',
    expected: true,
  },
  {
    name: '/strongroom/resolve/ allows resolving secret values',
    grants: ['/strongroom/resolve/'],
    required: '/strongroom/resolve/',
    expected: true,
  },
  {
    name: '/strongroom/resolve/ grants no PAM administration',
    grants: ['/strongroom/resolve/'],
    required: '/pam/read/',
    expected: false,
  },

  // key operations are granted only explicitly
  {
    name: 'every area grant together does not allow key operations',
    grants: ['/pam/', '/certificate_stores/', '/security/', '/system_settings/', '/auditing/'],
    required: '/strongroom/keys/',
    expected: false,
  },
  {
    name: '/strongroom/resolve/ does not allow key operations',
    grants: ['/strongroom/resolve/'],
    required: '/strongroom/keys/',
    expected: false,
  },
  {
    name: '/strongroom/ allows key operations',
    grants: ['/strongroom/'],
    required: '/strongroom/keys/',
    expected: true,
  },
  {
    name: '/ allows key operations',
    grants: ['/'],
    required: '/strongroom/keys/',
    expected: true,
  },
  {
    name: '/strongroom/keys/ does not allow resolving secret values',
    grants: ['/strongroom/keys/'],
    required: '/strongroom/resolve/',
    expected: false,
  },

  // grants from several roles add up
  {
    name: 'a global grant still applies beside a narrower scoped one',
    grants: ['/pam/read/7/', '/pam/read/'],
    required: '/pam/read/',
    objectId: 8,
    expected: true,
  },
  {
    name: 'a scoped modify beside a global read allows modify on its provider',
    grants: ['/pam/read/', '/pam/modify/7/'],
    required: '/pam/modify/',
    objectId: 7,
    expected: true,
  },
  {
    name: 'a scoped modify beside a global read still refuses modify elsewhere',
    grants: ['/pam/read/', '/pam/modify/7/'],
    required: '/pam/modify/',
    objectId: 8,
    expected: false,
  },
  {
    name: 'grants in unrelated areas combine',
    grants: ['/auditing/read/', '/security/modify/'],
    required: '/auditing/read/',
    expected: true,
  },
  {
    name: 'scoped grants on two providers allow both',
    grants: ['/pam/read/7/', '/pam/read/9/'],
    required: '/pam/read/',
    objectId: 9,
    expected: true,
  },

  // input hygiene
  {
    name: 'grants are matched regardless of case',
    grants: ['/PAM/Modify/'],
    required: '/pam/read/',
    expected: true,
  },
  {
    name: 'an invalid grant grants nothing',
    grants: ['/pam/reed/', 'pam', '/pam/read/0/'],
    required: '/pam/read/',
    objectId: 0,
    expected: false,
  },
  {
    name: 'an invalid grant does not spoil a valid one beside it',
    grants: ['/bogus/', '/pam/read/'],
    required: '/pam/read/',
    expected: true,
  },
];

for (const { name, grants, required, objectId, expected } of hasCases) {
  const on = objectId === undefined ? '' : ` on ${objectId}`;
  test(`has: ${name} (${required}${on} → ${expected})`, () => {
    assert.equal(createPermissionChecker(grants).has(required, objectId), expected);
  });
}

interface ScopeCase {
  name: string;
  grants: readonly string[];
  required: string;
  expected: { all: true } | { all: false; objectIds: readonly number[] };
}

const scopeCases: readonly ScopeCase[] = [
  {
    name: 'a global grant shows every object',
    grants: ['/pam/read/'],
    required: '/pam/read/',
    expected: { all: true },
  },
  {
    name: '/ shows every object',
    grants: ['/'],
    required: '/certificate_stores/read/',
    expected: { all: true },
  },
  {
    name: 'an implied global read shows every object',
    grants: ['/certificate_stores/modify/'],
    required: '/certificate_stores/read/',
    expected: { all: true },
  },
  {
    name: 'scoped grants show only their objects',
    grants: ['/pam/read/7/', '/pam/read/9/'],
    required: '/pam/read/',
    expected: { all: false, objectIds: [7, 9] },
  },
  {
    name: 'scoped modify grants show their objects in a read list',
    grants: ['/pam/modify/7/', '/pam/read/2/'],
    required: '/pam/read/',
    expected: { all: false, objectIds: [2, 7] },
  },
  {
    name: 'scoped store modify shows its container in a read list',
    grants: ['/certificate_stores/modify/3/'],
    required: '/certificate_stores/read/',
    expected: { all: false, objectIds: [3] },
  },
  {
    name: 'scoped read grants add nothing to a modify list',
    grants: ['/pam/read/7/'],
    required: '/pam/modify/',
    expected: { all: false, objectIds: [] },
  },
  {
    name: 'a global grant wins over scoped ones',
    grants: ['/pam/read/7/', '/pam/'],
    required: '/pam/read/',
    expected: { all: true },
  },
  {
    name: 'no grant shows nothing',
    grants: [],
    required: '/pam/read/',
    expected: { all: false, objectIds: [] },
  },
  {
    name: 'an unscopable permission not held shows nothing',
    grants: ['/pam/'],
    required: '/security/read/',
    expected: { all: false, objectIds: [] },
  },
];

for (const { name, grants, required, expected } of scopeCases) {
  test(`scope: ${name}`, () => {
    const scope = createPermissionChecker(grants).scope(required);
    const actual = scope.all
      ? { all: true }
      : { all: false, objectIds: [...scope.objectIds].sort((a, b) => a - b) };
    assert.deepEqual(actual, expected);
  });
}

test('grants lists the normalised grants with everything they imply, once each and sorted', () => {
  const checker = createPermissionChecker([
    '/Certificate_Stores/Modify/',
    '/pam/modify/7/',
    '/pam/modify/7/',
    '/pam/reed/',
  ]);
  assert.deepEqual(checker.grants, [
    '/certificate_stores/modify/',
    '/certificate_stores/read/',
    '/certificate_stores/schedule/',
    '/pam/modify/7/',
    '/pam/read/7/',
  ]);
  assert.ok(Object.isFrozen(checker.grants));
});

test('every catalogue permission can be asked about', () => {
  const admin = createPermissionChecker(['/']);
  const nobody = createPermissionChecker([]);
  for (const permission of permissionCatalog) {
    assert.equal(admin.has(permission), true, permission);
    assert.equal(nobody.has(permission), false, permission);
  }
});

test('asking about a string outside the catalogue is a programming error, even for /', () => {
  const admin = createPermissionChecker(['/']);
  assert.throws(() => admin.has('/pam/reed/'), /not a permission in the catalogue/);
  assert.throws(() => admin.has('/pam/read/7/'), /not a permission in the catalogue/);
  assert.throws(() => admin.scope('/PAM/READ/'), /not a permission in the catalogue/);
});

test('only /strongroom/ and / grant resolving, whatever else is held', () => {
  const everythingElse = permissionCatalog.filter(
    (permission) => permission !== '/' && !permission.startsWith('/strongroom/'),
  );
  assert.equal(createPermissionChecker(everythingElse).has('/strongroom/resolve/'), false);
});
