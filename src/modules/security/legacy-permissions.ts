import { createPermissionChecker } from './permission-evaluator.js';
import { parseScopedPermission, scopedPermissionBases } from './permission-catalog.js';
import type { ScopedPermissionBase } from './permission-catalog.js';

/**
 * Keyfactor's v1 (pre-11) permission model names a permission as `Area:Permission`. Strongroom stores only
 * v2 access-control strings, so the v1 endpoints translate through this table. It covers the areas that
 * matter to a secrets server; other v1 areas have no meaning here and are refused rather than guessed.
 */
const legacyPermissionTable = [
  { area: 'PrivilegedAccessManagement', permission: 'Read', accessControl: '/pam/read/' },
  { area: 'PrivilegedAccessManagement', permission: 'Modify', accessControl: '/pam/modify/' },
  { area: 'CertificateStoreManagement', permission: 'Read', accessControl: '/certificate_stores/read/' },
  {
    area: 'CertificateStoreManagement',
    permission: 'Schedule',
    accessControl: '/certificate_stores/schedule/',
  },
  { area: 'CertificateStoreManagement', permission: 'Modify', accessControl: '/certificate_stores/modify/' },
  { area: 'SecuritySettings', permission: 'Read', accessControl: '/security/read/' },
  { area: 'SecuritySettings', permission: 'Modify', accessControl: '/security/modify/' },
  { area: 'Auditing', permission: 'Read', accessControl: '/auditing/read/' },
  { area: 'SystemSettings', permission: 'Read', accessControl: '/system_settings/read/' },
  { area: 'SystemSettings', permission: 'Modify', accessControl: '/system_settings/modify/' },
] as const;

export interface LegacyPermission {
  area: string;
  permission: string;
}

export interface LegacyGranularPermission extends LegacyPermission {
  securableId: number;
}

const byLowerName = new Map(
  legacyPermissionTable.map((entry) => [`${entry.area}:${entry.permission}`.toLowerCase(), entry]),
);
const legacyAccessControl: readonly string[] = legacyPermissionTable.map((entry) => entry.accessControl);

export type LegacyParse = { ok: true; accessControl: string; name: string } | { ok: false; reason: string };

/** Reads `Area:Permission` without regard to case or to spaces around the colon, as Keyfactor's docs print it. */
export function parseLegacyPermission(text: string): LegacyParse {
  const separator = text.indexOf(':');
  const key =
    separator === -1 ? '' : `${text.slice(0, separator).trim()}:${text.slice(separator + 1).trim()}`;
  const entry = byLowerName.get(key.toLowerCase());
  if (entry === undefined) {
    return {
      ok: false,
      reason: `Permission '${text}' is not a v1 permission this server knows (Area:Permission, e.g. PrivilegedAccessManagement:Read)`,
    };
  }
  return { ok: true, accessControl: entry.accessControl, name: `${entry.area}:${entry.permission}` };
}

/** The v1 permissions a set of access-control strings grants across the board, in table order. */
export function legacyPermissionsGranted(permissions: readonly string[]): LegacyPermission[] {
  const checker = createPermissionChecker(permissions);
  return legacyPermissionTable
    .filter((entry) => checker.has(entry.accessControl))
    .map((entry) => ({ area: entry.area, permission: entry.permission }));
}

/** Object-scoped grants in v1 terms (Keyfactor's `GranularPermissions`); those with no v1 name are left out. */
export function legacyGranularPermissions(permissions: readonly string[]): LegacyGranularPermission[] {
  return permissions.flatMap((text) => {
    const scoped = parseScopedPermission(text);
    const entry =
      scoped === undefined
        ? undefined
        : legacyPermissionTable.find((candidate) => candidate.accessControl === scoped.base);
    return scoped === undefined || entry === undefined
      ? []
      : [{ area: entry.area, permission: entry.permission, securableId: scoped.objectId }];
  });
}

export const formatLegacyPermission = (entry: LegacyPermission): string =>
  `${entry.area}:${entry.permission}`;

/**
 * What a v1 update's `Permissions` list does to a role's stored strings. A v1 client can only see the grants
 * in the table above, so it replaces exactly those: strings that cover a v1 permission (`/`, `/pam/`,
 * `/pam/read/`) give way to the list it sends, while grants invisible to v1 (object-scoped ones, which v1
 * manages through its own sub-resources, and areas outside the table) are kept. A client that sends back
 * unchanged what it read changes nothing, so a v1 read-modify-write of the description never flattens `/`.
 */
export function applyLegacyPermissions(
  current: readonly string[],
  accessControl: readonly string[],
): string[] {
  const shown = new Set(legacyPermissionsGranted(current).map(formatLegacyPermission));
  const sent = new Set(legacyPermissionsGranted(accessControl).map(formatLegacyPermission));
  if (shown.size === sent.size && [...sent].every((name) => shown.has(name))) return [...current];
  const invisible = current.filter(
    (permission) =>
      parseScopedPermission(permission) !== undefined ||
      !legacyAccessControl.some((legacy) => legacy.startsWith(permission)),
  );
  return [...new Set([...invisible, ...accessControl])];
}

/** Names v1's per-object sub-resources use for a scoped base: `Read`, `Schedule`, `Modify`. */
export function objectPermissionName(base: ScopedPermissionBase): string {
  const action = base.split('/')[2] ?? '';
  return action.charAt(0).toUpperCase() + action.slice(1);
}

/**
 * Reads a per-object permission as v1 sends it (`Read`, any case) or as an access-control string
 * (`/pam/read/`), limited to the bases of one area.
 */
export function parseObjectPermission(
  text: string,
  area: '/pam/' | '/certificate_stores/',
): ScopedPermissionBase | undefined {
  const lowered = text.trim().toLowerCase();
  return scopedPermissionBases.find(
    (base) => base.startsWith(area) && (lowered === base || lowered === base.split('/')[2]),
  );
}
