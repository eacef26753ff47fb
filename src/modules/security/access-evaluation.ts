import { createPermissionChecker } from './permission-evaluator.js';

/**
 * "Who can reach this secret": which claims and local users may read, modify or resolve one object. The
 * answer is computed with the evaluator the server enforces with (`createPermissionChecker`), role by role,
 * because grants from several roles are pooled additively: a caller may do something exactly when one of
 * its roles alone allows it.
 */

export type AccessObject =
  | { kind: 'pam-provider'; providerId: number }
  | { kind: 'certificate-store'; storeId: string }
  | { kind: 'certificate-store-container'; containerId: number }
  | { kind: 'local-entry'; providerId: number; secretName: string };

export type AccessAction = 'Read' | 'Modify' | 'Resolve';

/** One thing a caller may do to the object and the check the server makes for it. */
export interface AccessRequirement {
  action: AccessAction;
  permission: string;
  objectId: number | undefined;
}

export interface RoleWithGrants {
  id: number;
  name: string;
  permissions: readonly string[];
  claims: readonly { claimType: string; claimValue: string; providerScheme: string }[];
}

export interface LocalIdentity {
  username: string;
  groups: readonly string[];
}

export interface AccessGrant {
  action: AccessAction;
  roleId: number;
  roleName: string;
  /** The role's own strings that allow the action on their own (e.g. `/pam/read/7/` or `/`). */
  permissions: string[];
}

export interface ClaimAccess {
  claimType: string;
  claimValue: string;
  providerScheme: string;
  grants: AccessGrant[];
}

export interface UserAccess {
  username: string;
  grants: (AccessGrant & { claim: string })[];
}

const secretNameMaxLength = 400;
const maxObjectId = 2_147_483_647;
const guidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const idPattern = /^[1-9][0-9]{0,9}$/;

export const accessObjectFormats =
  'pam-provider:{id}, certificate-store:{guid}, certificate-store-container:{id} or local-entry:{providerId}/{secretName}';

function parseId(text: string): number | undefined {
  if (!idPattern.test(text)) return undefined;
  const id = Number(text);
  return id <= maxObjectId ? id : undefined;
}

/** Reads an `object` parameter; undefined when it has none of the four forms. */
export function parseAccessObject(text: string): AccessObject | undefined {
  const separator = text.indexOf(':');
  if (separator === -1) return undefined;
  const kind = text.slice(0, separator).toLowerCase();
  const rest = text.slice(separator + 1);
  switch (kind) {
    case 'pam-provider': {
      const providerId = parseId(rest);
      return providerId === undefined ? undefined : { kind, providerId };
    }
    case 'certificate-store':
      return guidPattern.test(rest) ? { kind, storeId: rest.toLowerCase() } : undefined;
    case 'certificate-store-container': {
      const containerId = parseId(rest);
      return containerId === undefined ? undefined : { kind, containerId };
    }
    case 'local-entry': {
      const slash = rest.indexOf('/');
      const providerId = slash === -1 ? undefined : parseId(rest.slice(0, slash));
      const secretName = rest.slice(slash + 1);
      if (providerId === undefined || secretName.length === 0 || secretName.length > secretNameMaxLength) {
        return undefined;
      }
      return { kind, providerId, secretName };
    }
    default:
      return undefined;
  }
}

/**
 * The checks the server makes for each action, given where the object lives. A certificate store outside any
 * container is reached only through global grants (no container grant speaks for it). Resolution reads a
 * store's secrets with the global `/strongroom/resolve/`; a local entry's value is reached that way only
 * through a store that references it, so resolution is listed on stores and containers, not on entries.
 */
export function accessRequirements(
  object: AccessObject,
  storeContainerId: number | null,
): AccessRequirement[] {
  switch (object.kind) {
    case 'pam-provider':
    case 'local-entry':
      return [
        { action: 'Read', permission: '/pam/read/', objectId: object.providerId },
        { action: 'Modify', permission: '/pam/modify/', objectId: object.providerId },
      ];
    case 'certificate-store':
    case 'certificate-store-container': {
      const objectId =
        object.kind === 'certificate-store' ? (storeContainerId ?? undefined) : object.containerId;
      return [
        { action: 'Read', permission: '/certificate_stores/read/', objectId },
        { action: 'Modify', permission: '/certificate_stores/modify/', objectId },
        { action: 'Resolve', permission: '/strongroom/resolve/', objectId: undefined },
      ];
    }
  }
}

function roleGrants(role: RoleWithGrants, requirements: readonly AccessRequirement[]): AccessGrant[] {
  const checker = createPermissionChecker(role.permissions);
  return requirements.flatMap((requirement) => {
    if (!checker.has(requirement.permission, requirement.objectId)) return [];
    // Evaluation is additive per string, so the strings that allow it alone are exactly the reasons.
    const permissions = role.permissions.filter((permission) =>
      createPermissionChecker([permission]).has(requirement.permission, requirement.objectId),
    );
    return [{ action: requirement.action, roleId: role.id, roleName: role.name, permissions }];
  });
}

/** Whether a role's claim names this local user, exactly as the authenticator matches claims. */
export function claimNamesUser(
  claim: { claimType: string; claimValue: string },
  identity: LocalIdentity,
): boolean {
  const value = claim.claimValue.toLowerCase();
  if (claim.claimType === 'User') return value === identity.username.toLowerCase();
  if (claim.claimType === 'Group') return identity.groups.some((group) => group.toLowerCase() === value);
  return false;
}

export function whoCanReach(
  roles: readonly RoleWithGrants[],
  identities: readonly LocalIdentity[],
  requirements: readonly AccessRequirement[],
): { claims: ClaimAccess[]; users: UserAccess[] } {
  const grantsByRole = new Map(roles.map((role) => [role.id, roleGrants(role, requirements)]));
  const claims = new Map<string, ClaimAccess>();
  for (const role of roles) {
    const grants = grantsByRole.get(role.id) ?? [];
    if (grants.length === 0) continue;
    for (const claim of role.claims) {
      const key = `${claim.claimType}\0${claim.claimValue.toLowerCase()}\0${claim.providerScheme.toLowerCase()}`;
      let entry = claims.get(key);
      if (entry === undefined) claims.set(key, (entry = { ...claim, grants: [] }));
      entry.grants.push(...grants);
    }
  }
  const users = identities.flatMap((identity) => {
    const grants = roles.flatMap((role) => {
      const claim = role.claims.find((candidate) => claimNamesUser(candidate, identity));
      if (claim === undefined) return [];
      const label = `${claim.claimType}:${claim.claimValue}`;
      return (grantsByRole.get(role.id) ?? []).map((grant) => ({ ...grant, claim: label }));
    });
    return grants.length === 0 ? [] : [{ username: identity.username, grants }];
  });
  return { claims: [...claims.values()], users };
}
