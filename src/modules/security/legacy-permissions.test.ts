import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  applyLegacyPermissions,
  formatLegacyPermission,
  legacyGranularPermissions,
  legacyPermissionsGranted,
  objectPermissionName,
  parseLegacyPermission,
  parseObjectPermission,
} from './legacy-permissions.js';
import { normalizePermission } from './permission-catalog.js';

test('every v1 pair the contract names maps to its access-control string', () => {
  const expected: Record<string, string> = {
    'PrivilegedAccessManagement:Read': '/pam/read/',
    'PrivilegedAccessManagement:Modify': '/pam/modify/',
    'CertificateStoreManagement:Read': '/certificate_stores/read/',
    'CertificateStoreManagement:Schedule': '/certificate_stores/schedule/',
    'CertificateStoreManagement:Modify': '/certificate_stores/modify/',
    'SecuritySettings:Read': '/security/read/',
    'SecuritySettings:Modify': '/security/modify/',
    'Auditing:Read': '/auditing/read/',
    'SystemSettings:Read': '/system_settings/read/',
    'SystemSettings:Modify': '/system_settings/modify/',
  };
  for (const [pair, accessControl] of Object.entries(expected)) {
    assert.deepEqual(parseLegacyPermission(pair), { ok: true, accessControl, name: pair });
    assert.deepEqual(normalizePermission(accessControl), { ok: true, permission: accessControl });
  }
  assert.equal(legacyPermissionsGranted(['/']).length, Object.keys(expected).length);
});

test('v1 pairs are read without regard to case or to spaces around the colon', () => {
  for (const text of [
    'certificatestoremanagement:modify',
    'CertificateStoreManagement: Modify',
    ' Auditing : READ ',
  ]) {
    assert.equal(parseLegacyPermission(text).ok, true, text);
  }
  const parsed = parseLegacyPermission('CertificateStoreManagement: Modify');
  assert.ok(parsed.ok && parsed.name === 'CertificateStoreManagement:Modify');
});

test('unknown areas, unknown actions and v2 strings are not v1 pairs, and the reason quotes them', () => {
  for (const text of [
    'Reports:Read',
    'PrivilegedAccessManagement:Delete',
    '/pam/read/',
    'Auditing',
    ':',
    '',
  ]) {
    const parsed = parseLegacyPermission(text);
    assert.equal(parsed.ok, false, text);
    assert.ok(!parsed.ok && parsed.reason.includes(`'${text}'`));
  }
});

test('v1 permissions shown for a role follow prefix inheritance and the modify-implies-read rules', () => {
  const names = (permissions: string[]) => legacyPermissionsGranted(permissions).map(formatLegacyPermission);
  assert.deepEqual(names(['/pam/']), [
    'PrivilegedAccessManagement:Read',
    'PrivilegedAccessManagement:Modify',
  ]);
  assert.deepEqual(names(['/pam/modify/']), [
    'PrivilegedAccessManagement:Read',
    'PrivilegedAccessManagement:Modify',
  ]);
  assert.deepEqual(names(['/certificate_stores/schedule/']), [
    'CertificateStoreManagement:Read',
    'CertificateStoreManagement:Schedule',
  ]);
  assert.deepEqual(names(['/pam/read/7/', '/strongroom/resolve/', '/certificates/']), []);
});

test('granular v1 permissions come only from object-scoped grants with a v1 name', () => {
  assert.deepEqual(
    legacyGranularPermissions(['/pam/read/7/', '/certificate_stores/modify/3/', '/pam/read/']),
    [
      { area: 'PrivilegedAccessManagement', permission: 'Read', securableId: 7 },
      { area: 'CertificateStoreManagement', permission: 'Modify', securableId: 3 },
    ],
  );
});

const merges: readonly { guarantee: string; current: string[]; sent: string[]; expected: string[] }[] = [
  {
    guarantee: 'sending back what was shown keeps / as it is',
    current: ['/'],
    sent: legacyPermissionsGranted(['/']).map((entry) =>
      parseLegacyAccessControl(formatLegacyPermission(entry)),
    ),
    expected: ['/'],
  },
  {
    guarantee: 'sending Modify alone for a modify grant is what was shown, so nothing changes',
    current: ['/pam/modify/', '/strongroom/'],
    sent: ['/pam/modify/'],
    expected: ['/pam/modify/', '/strongroom/'],
  },
  {
    guarantee: 'a changed list replaces visible grants and keeps scoped and invisible ones',
    current: ['/pam/', '/pam/read/4/', '/strongroom/resolve/', '/certificates/collections/read/'],
    sent: ['/auditing/read/'],
    expected: ['/pam/read/4/', '/strongroom/resolve/', '/certificates/collections/read/', '/auditing/read/'],
  },
  {
    guarantee: 'a changed list replaces / because / covers v1 permissions',
    current: ['/'],
    sent: ['/security/modify/'],
    expected: ['/security/modify/'],
  },
  {
    guarantee: 'an empty list removes every visible grant',
    current: ['/pam/read/', '/auditing/read/', '/pam/modify/9/'],
    sent: [],
    expected: ['/pam/modify/9/'],
  },
];

function parseLegacyAccessControl(pair: string): string {
  const parsed = parseLegacyPermission(pair);
  assert.ok(parsed.ok);
  return parsed.accessControl;
}

for (const { guarantee, current, sent, expected } of merges) {
  test(`a v1 update: ${guarantee}`, () => {
    assert.deepEqual(applyLegacyPermissions(current, sent), expected);
  });
}

test('per-object permissions are read as Read/Schedule/Modify in any case or as access-control strings', () => {
  assert.equal(parseObjectPermission('read', '/pam/'), '/pam/read/');
  assert.equal(parseObjectPermission('MODIFY', '/pam/'), '/pam/modify/');
  assert.equal(parseObjectPermission('/PAM/Modify/', '/pam/'), '/pam/modify/');
  assert.equal(parseObjectPermission('Schedule', '/pam/'), undefined);
  assert.equal(parseObjectPermission('/certificate_stores/read/', '/pam/'), undefined);
  assert.equal(parseObjectPermission(' Schedule ', '/certificate_stores/'), '/certificate_stores/schedule/');
  assert.equal(
    parseObjectPermission('/certificate_stores/modify/', '/certificate_stores/'),
    '/certificate_stores/modify/',
  );
  assert.equal(parseObjectPermission('Revoke', '/certificate_stores/'), undefined);
  assert.equal(parseObjectPermission('/pam/read/7/', '/pam/'), undefined);
  assert.equal(objectPermissionName('/certificate_stores/schedule/'), 'Schedule');
  assert.equal(objectPermissionName('/pam/read/'), 'Read');
});
