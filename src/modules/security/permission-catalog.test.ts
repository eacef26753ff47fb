import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  normalizePermission,
  parseScopedPermission,
  permissionCatalog,
  scopedPermissionBases,
} from './permission-catalog.js';

test('the catalogue holds every documented Keyfactor string plus the Strongroom ones, once each', () => {
  assert.equal(new Set(permissionCatalog).size, permissionCatalog.length);
  assert.equal(permissionCatalog.length, 103);
  for (const permission of [
    '/',
    '/agents/management/mac/auto-enrollment/management/modify/',
    '/certificate_stores/schedule/',
    '/pam/read/',
    '/workflows/instances/read/pending/',
    '/strongroom/',
    '/strongroom/metrics/',
    '/strongroom/resolve/',
    '/strongroom/keys/',
  ]) {
    assert.ok(permissionCatalog.includes(permission), permission);
  }
});

test('every catalogue string is lower case and already in normal form', () => {
  for (const permission of permissionCatalog) {
    assert.deepEqual(normalizePermission(permission), { ok: true, permission });
  }
});

test('every scoped base is itself a catalogue permission', () => {
  for (const base of scopedPermissionBases) assert.ok(permissionCatalog.includes(base), base);
});

const accepted: readonly { name: string; text: string; permission: string }[] = [
  { name: 'accepts the root permission', text: '/', permission: '/' },
  { name: 'accepts a catalogue permission as is', text: '/pam/read/', permission: '/pam/read/' },
  { name: 'lower-cases a permission written in any case', text: '/PAM/Modify/', permission: '/pam/modify/' },
  {
    name: 'lower-cases a Strongroom permission',
    text: '/StrongRoom/RESOLVE/',
    permission: '/strongroom/resolve/',
  },
  { name: 'accepts a PAM provider scoped read', text: '/pam/read/7/', permission: '/pam/read/7/' },
  { name: 'accepts a PAM provider scoped modify', text: '/pam/modify/42/', permission: '/pam/modify/42/' },
  {
    name: 'accepts a container scoped store schedule',
    text: '/Certificate_Stores/Schedule/3/',
    permission: '/certificate_stores/schedule/3/',
  },
  {
    name: 'accepts the largest int32 object id',
    text: '/certificate_stores/modify/2147483647/',
    permission: '/certificate_stores/modify/2147483647/',
  },
];

for (const { name, text, permission } of accepted) {
  test(name, () => {
    assert.deepEqual(normalizePermission(text), { ok: true, permission });
  });
}

const rejected: readonly { name: string; text: string; reason: string }[] = [
  {
    name: 'rejects a misspelt permission by name',
    text: '/pam/reed/',
    reason: "Permission '/pam/reed/' is not a known permission",
  },
  {
    name: 'rejects a v1 Area:Permission pair',
    text: '/PrivilegedAccessManagement:Read/',
    reason: "Permission '/PrivilegedAccessManagement:Read/' is not a known permission",
  },
  {
    name: 'rejects an object id on a permission that cannot be scoped',
    text: '/security/read/7/',
    reason: "Permission '/security/read/7/' is not a known permission",
  },
  {
    name: 'rejects an object id on a scoped area root',
    text: '/pam/7/',
    reason: "Permission '/pam/7/' is not a known permission",
  },
  {
    name: 'rejects a permission with neither slash',
    text: 'pam/read',
    reason: "Permission 'pam/read' must start and end with '/'",
  },
  {
    name: 'rejects a permission without its leading slash',
    text: 'pam/read/',
    reason: "Permission 'pam/read/' must start and end with '/'",
  },
  {
    name: 'rejects a permission without its trailing slash',
    text: '/pam/read',
    reason: "Permission '/pam/read' must start and end with '/'",
  },
  {
    name: 'rejects a scoped permission without its trailing slash',
    text: '/pam/read/7',
    reason: "Permission '/pam/read/7' must start and end with '/'",
  },
  { name: 'rejects the empty string', text: '', reason: "Permission '' must start and end with '/'" },
  {
    name: 'rejects surrounding whitespace rather than trimming it',
    text: ' /pam/read/ ',
    reason: "Permission ' /pam/read/ ' must start and end with '/'",
  },
  {
    name: 'rejects object id 0',
    text: '/pam/read/0/',
    reason: "Permission '/pam/read/0/' has an invalid object id",
  },
  {
    name: 'rejects a negative object id',
    text: '/pam/read/-1/',
    reason: "Permission '/pam/read/-1/' has an invalid object id",
  },
  {
    name: 'rejects an object id beyond int32',
    text: '/certificate_stores/read/2147483648/',
    reason: "Permission '/certificate_stores/read/2147483648/' has an invalid object id",
  },
  {
    name: 'rejects a non-numeric object id',
    text: '/pam/modify/abc/',
    reason: "Permission '/pam/modify/abc/' has an invalid object id",
  },
  {
    name: 'rejects an object id with leading zeros so each grant has one spelling',
    text: '/pam/read/07/',
    reason: "Permission '/pam/read/07/' has an invalid object id",
  },
  {
    name: 'rejects a fractional object id',
    text: '/pam/read/1.5/',
    reason: "Permission '/pam/read/1.5/' has an invalid object id",
  },
  {
    name: 'rejects an empty object id segment',
    text: '/pam/read//',
    reason: "Permission '/pam/read//' has an invalid object id",
  },
  {
    name: 'rejects more than one object id segment',
    text: '/pam/read/7/8/',
    reason: "Permission '/pam/read/7/8/' has an invalid object id",
  },
];

for (const { name, text, reason } of rejected) {
  test(name, () => {
    assert.deepEqual(normalizePermission(text), { ok: false, reason });
  });
}

test('accepts a permission of exactly 256 characters as far as length goes', () => {
  const text = `/${'a'.repeat(254)}/`;
  assert.deepEqual(normalizePermission(text), {
    ok: false,
    reason: `Permission '${text}' is not a known permission`,
  });
});

test('rejects a permission over 256 characters without quoting it back', () => {
  const result = normalizePermission(`/${'a'.repeat(255)}/`);
  assert.deepEqual(result, { ok: false, reason: 'Permission must be at most 256 characters' });
});

test('parses a scoped permission into its base and object id', () => {
  assert.deepEqual(parseScopedPermission('/certificate_stores/schedule/3/'), {
    base: '/certificate_stores/schedule/',
    objectId: 3,
  });
});

test('does not treat a catalogue permission as scoped', () => {
  assert.equal(parseScopedPermission('/pam/read/'), undefined);
  assert.equal(parseScopedPermission('/pam/'), undefined);
});
