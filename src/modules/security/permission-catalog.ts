/**
 * The closed set of v2 access-control strings Strongroom accepts in roles and permission sets. The Keyfactor
 * strings are the complete list Keyfactor documented as of Command 25, so roles exported from Command import
 * unchanged; the `/strongroom/` strings are Strongroom's own.
 */
export const permissionCatalog: readonly string[] = Object.freeze([
  '/',
  '/agents/',
  '/agents/auto_registration/',
  '/agents/auto_registration/modify/',
  '/agents/auto_registration/read/',
  '/agents/management/',
  '/agents/management/mac/',
  '/agents/management/mac/auto-enrollment/',
  '/agents/management/mac/auto-enrollment/management/',
  '/agents/management/mac/auto-enrollment/management/modify/',
  '/agents/management/mac/auto-enrollment/management/read/',
  '/agents/management/modify/',
  '/agents/management/read/',
  '/application_settings/',
  '/application_settings/modify/',
  '/application_settings/read/',
  '/auditing/',
  '/auditing/read/',
  '/certificate_authorities/',
  '/certificate_authorities/modify/',
  '/certificate_authorities/read/',
  '/certificate_stores/',
  '/certificate_stores/modify/',
  '/certificate_stores/read/',
  '/certificate_stores/schedule/',
  '/certificate_templates/',
  '/certificate_templates/modify/',
  '/certificate_templates/read/',
  '/certificates/',
  '/certificates/collections/',
  '/certificates/collections/change_owner/',
  '/certificates/collections/delete/',
  '/certificates/collections/metadata/modify/',
  '/certificates/collections/modify/',
  '/certificates/collections/private_key/import/',
  '/certificates/collections/private_key/read/',
  '/certificates/collections/read/',
  '/certificates/collections/revoke/',
  '/certificates/enrollment/',
  '/certificates/enrollment/csr_generation/',
  '/certificates/enrollment/csr/',
  '/certificates/enrollment/pfx/',
  '/certificates/import/',
  '/certificates/requests/manage/',
  '/dashboard/',
  '/dashboard/read/',
  '/dashboard/risk_header/',
  '/dashboard/risk_header/read/',
  '/identity_providers/',
  '/identity_providers/modify/',
  '/identity_providers/read/',
  '/metadata/',
  '/metadata/types/',
  '/metadata/types/modify/',
  '/metadata/types/read/',
  '/monitoring/',
  '/monitoring/alerts/',
  '/monitoring/alerts/modify/',
  '/monitoring/alerts/read/',
  '/monitoring/alerts/schedule/',
  '/monitoring/alerts/schedule/revocation/',
  '/monitoring/alerts/test/',
  '/monitoring/handlers/',
  '/monitoring/handlers/registration/',
  '/monitoring/handlers/registration/modify/',
  '/monitoring/handlers/registration/read/',
  '/pam/',
  '/pam/modify/',
  '/pam/read/',
  '/portal/',
  '/portal/read/',
  '/reports/',
  '/reports/modify/',
  '/reports/read/',
  '/scripts/',
  '/scripts/modify/',
  '/scripts/read/',
  '/security/',
  '/security/modify/',
  '/security/read/',
  '/ssh/',
  '/ssh/enterprise_admin/',
  '/ssh/server_admin/',
  '/ssh/user/',
  '/ssl/',
  '/ssl/modify/',
  '/ssl/read/',
  '/system_settings/',
  '/system_settings/modify/',
  '/system_settings/read/',
  '/workflows/',
  '/workflows/definitions/',
  '/workflows/definitions/modify/',
  '/workflows/definitions/read/',
  '/workflows/instances/',
  '/workflows/instances/manage/',
  '/workflows/instances/read/',
  '/workflows/instances/read/mine/',
  '/workflows/instances/read/pending/',
  // Reading a secret's actual value is a data-plane right of its own: administering PAM providers or
  // certificate stores must not, by itself, let someone read the passwords they hold.
  '/strongroom/',
  // Rotating, rewrapping and retiring data keys: an operator's right that no area grant implies.
  '/strongroom/keys/',
  // Reading the Prometheus metrics: request counts and timings, not secrets, but still not for anyone.
  '/strongroom/metrics/',
  '/strongroom/resolve/',
]);

/**
 * Permissions that may be narrowed to one object by appending `<id>/`: a PAM provider id for `/pam/…`, a
 * certificate store container id for `/certificate_stores/…`, as Keyfactor documents them.
 */
export const scopedPermissionBases = Object.freeze([
  '/pam/read/',
  '/pam/modify/',
  '/certificate_stores/read/',
  '/certificate_stores/schedule/',
  '/certificate_stores/modify/',
] as const);

export type ScopedPermissionBase = (typeof scopedPermissionBases)[number];

export const permissionMaxLength = 256;

const maxObjectId = 2_147_483_647;

// A Set keeps validation constant-time; roles arrive with up to hundreds of strings each.
const catalogSet: ReadonlySet<string> = new Set(permissionCatalog);

// One canonical spelling per object id (no sign, no leading zeros) so equal grants compare equal as strings.
const objectIdPattern = /^[1-9][0-9]{0,9}$/;

export type PermissionNormalization = { ok: true; permission: string } | { ok: false; reason: string };

export function normalizePermission(text: string): PermissionNormalization {
  // Checked before anything else so an oversized input is never lower-cased or quoted back in full.
  if (text.length > permissionMaxLength) {
    return { ok: false, reason: `Permission must be at most ${permissionMaxLength} characters` };
  }
  if (!text.startsWith('/') || !text.endsWith('/')) {
    return { ok: false, reason: `Permission '${text}' must start and end with '/'` };
  }
  // Keyfactor matches access-control strings without regard to case, so stored grants are lower case.
  const permission = text.toLowerCase();
  if (catalogSet.has(permission)) return { ok: true, permission };

  const base = scopedPermissionBases.find((candidate) => permission.startsWith(candidate));
  if (base === undefined) return { ok: false, reason: `Permission '${text}' is not a known permission` };
  if (parseObjectId(permission.slice(base.length, -1)) === undefined) {
    return { ok: false, reason: `Permission '${text}' has an invalid object id` };
  }
  return { ok: true, permission };
}

/**
 * Splits a normalised scoped permission such as `/pam/read/7/` into its base and object id; undefined for a
 * catalogue (global) permission or anything malformed.
 */
export function parseScopedPermission(
  permission: string,
): { base: ScopedPermissionBase; objectId: number } | undefined {
  if (!permission.endsWith('/')) return undefined;
  const base = scopedPermissionBases.find((candidate) => permission.startsWith(candidate));
  if (base === undefined) return undefined;
  const objectId = parseObjectId(permission.slice(base.length, -1));
  return objectId === undefined ? undefined : { base, objectId };
}

function parseObjectId(segment: string): number | undefined {
  if (!objectIdPattern.test(segment)) return undefined;
  const objectId = Number(segment);
  return objectId <= maxObjectId ? objectId : undefined;
}
