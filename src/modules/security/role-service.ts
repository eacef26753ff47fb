import { conflictError, forbiddenError, notFoundError, validationError } from '../../errors/app-error.js';
import type { ListRequest } from '../../storage/list-query.js';
import type { DatabaseTransaction, Storage } from '../../storage/storage.js';
import { isForeignKeyViolation, isUniqueViolation } from '../../storage/storage.js';
import type { AuditWriter } from '../audit/audit-writer.js';
import type { Actor } from './actor.js';
import { globalPermissionSetId } from './admin-bootstrap.js';
import { findClaims } from './claim-repository.js';
import type { LegacyPermission } from './legacy-permissions.js';
import {
  applyLegacyPermissions,
  legacyGranularPermissions,
  legacyPermissionsGranted,
  parseLegacyPermission,
  parseObjectPermission,
} from './legacy-permissions.js';
import type { ScopedPermissionBase } from './permission-catalog.js';
import { normalizePermission, parseScopedPermission, scopedPermissionBases } from './permission-catalog.js';
import type { RoleClaim, RoleInput, RoleRecord } from './role-repository.js';
import {
  containerNames,
  deleteRole,
  findPermissionSet,
  findRole,
  findRoles,
  insertRole,
  listRoles,
  lockPermissionSet,
  pamProviderNames,
  replaceRoleClaimLinks,
  replaceRolePermissions,
  roleIdsHolding,
  rolesForClaims,
  rolesForIdentity,
  someUserHoldsRoot,
  updateRole,
} from './role-repository.js';
import { requireWithinPermissionSet } from './permission-set-service.js';
import type { ClaimTypeName } from './role-schemas.js';

/** A role's permissions as a request states them: v2 access-control strings or v1 `Area:Permission` pairs. */
export type PermissionList =
  { model: 'access-control'; values: readonly string[] } | { model: 'legacy'; values: readonly string[] };

export interface ClaimInput {
  claimType: ClaimTypeName;
  claimValue: string;
  providerScheme: string;
  description: string;
}

/** A role's claims as a request states them: v2 claims, or v1 identities given only by account name. */
export type ClaimList =
  | { model: 'claims'; values: readonly ClaimInput[] }
  | { model: 'legacy-identities'; accountNames: readonly string[] };

/**
 * A role as a create or update request describes it. On update an undefined field keeps its current value
 * (v1 clients may leave lists out); on create it takes the default: no e-mail, the Global set, nothing granted.
 */
export interface RoleDraft {
  name: string;
  description: string;
  emailAddress?: string | null;
  permissionSetId?: string;
  permissions?: PermissionList;
  claims?: ClaimList;
}

export interface ObjectGrant {
  objectId: number;
  /** Null when the object no longer exists; its grant stays until the role is changed. */
  name: string | null;
  bases: ScopedPermissionBase[];
}

export interface RoleService {
  list(request: ListRequest): Promise<RoleRecord[]>;
  get(id: number): Promise<RoleRecord>;
  create(actor: Actor, draft: RoleDraft): Promise<RoleRecord>;
  update(actor: Actor, id: number, draft: RoleDraft): Promise<RoleRecord>;
  remove(actor: Actor, id: number): Promise<void>;
  pamProviderGrants(id: number): Promise<ObjectGrant[]>;
  replacePamProviderGrants(
    actor: Actor,
    id: number,
    grants: readonly { providerId: number; permissions: readonly string[] }[],
  ): Promise<ObjectGrant[]>;
  containerGrants(id: number): Promise<ObjectGrant[]>;
  changeContainerGrants(
    actor: Actor,
    id: number,
    grants: readonly { containerId: number; permission: string }[],
    mode: 'replace' | 'add',
  ): Promise<ObjectGrant[]>;
  rolesOf(actor: Actor): Promise<string[]>;
  copy(
    actor: Actor,
    id: number,
    draft: { name: string; description: string; emailAddress: string | null | undefined },
  ): Promise<RoleRecord>;
  globalPermissions(id: number): Promise<LegacyPermission[]>;
  changeGlobalPermissions(
    actor: Actor,
    id: number,
    pairs: readonly LegacyPermission[],
    mode: 'replace' | 'add',
  ): Promise<LegacyPermission[]>;
  permissionSummary(id: number): Promise<RolePermissionView[]>;
  identities(id: number): Promise<RoleClaim[]>;
  replaceIdentities(actor: Actor, id: number, claimIds: readonly number[]): Promise<RoleClaim[]>;
  containerRoles(containerId: number): Promise<{ role: RoleRecord; bases: ScopedPermissionBase[] }[]>;
}

/** One line of `GET /Security/Roles/{id}/Permissions`: a v1 global pair, or a per-object grant. */
export interface RolePermissionView {
  type: 'Global' | 'Container' | 'PamProvider';
  area: string;
  permission: string;
  objectId: number | undefined;
}

/** The provider scheme of identities Strongroom authenticates itself (HTTP Basic against local users). */
export const localProviderScheme = 'Basic';

const pamArea = '/pam/';
const containerArea = '/certificate_stores/';

export function createRoleService(dependencies: { storage: Storage; audit: AuditWriter }): RoleService {
  const { storage, audit } = dependencies;

  async function requireRole(id: number): Promise<RoleRecord> {
    const role = await findRole(storage.db, id);
    if (role === undefined) throw notFoundError(`Security role '${id}' was not found`);
    return role;
  }

  async function requireChangeableRole(id: number): Promise<RoleRecord> {
    const role = await requireRole(id);
    if (role.immutable)
      throw conflictError(`Security role '${role.name}' is immutable and cannot be changed`);
    return role;
  }

  async function requirePermissionSet(id: string): Promise<string> {
    const set = await findPermissionSet(storage.db, id);
    if (set === undefined) throw validationError(`'PermissionSetId': permission set '${id}' does not exist`);
    return set.id;
  }

  async function writeRole(
    actor: Actor,
    input: RoleInput,
    existing: RoleRecord | undefined,
  ): Promise<RoleRecord> {
    requireHeld(actor, input.permissions, undefined);
    if (existing !== undefined) requireHeld(actor, existing.permissions, existing.name);
    try {
      const id = await storage.transaction(async (tx) => {
        await requireWithinPermissionSet(tx, input.permissionSetId, input.permissions);
        if (existing === undefined) {
          const roleId = await insertRole(tx, input);
          const details = roleChangeDetails(undefined, input);
          await recordRoleChange(tx, actor, 'Created', { id: roleId, name: input.name }, details);
          return roleId;
        }
        return keepingAdministrator(tx, existing.name, async () => {
          await updateRole(tx, existing.id, input);
          const details = roleChangeDetails(existing, input);
          await recordRoleChange(tx, actor, 'Updated', { id: existing.id, name: input.name }, details);
          return existing.id;
        });
      });
      return await requireRole(id);
    } catch (error) {
      if (isUniqueViolation(error))
        throw conflictError(`A security role named '${input.name}' already exists`);
      if (isForeignKeyViolation(error)) {
        throw validationError(`'PermissionSetId': permission set '${input.permissionSetId}' does not exist`);
      }
      throw error;
    }
  }

  async function writePermissions(actor: Actor, role: RoleRecord, permissions: string[]): Promise<void> {
    requireHeld(actor, permissions, undefined);
    requireHeld(actor, role.permissions, role.name);
    await storage.transaction(async (tx) => {
      // The set's lock before the Global one, in the order writeRole takes them, so the two cannot deadlock.
      await requireWithinPermissionSet(tx, role.permissionSetId, permissions);
      await keepingAdministrator(tx, role.name, async () => {
        await replaceRolePermissions(tx, role.id, permissions);
        await recordRoleChange(tx, actor, 'Updated', role, {
          permissions: difference(role.permissions, permissions),
        });
      });
    });
  }

  async function recordRoleChange(
    tx: DatabaseTransaction,
    actor: Actor,
    operation: 'Created' | 'Updated' | 'Deleted',
    role: { id: number; name: string },
    details: Record<string, unknown>,
  ): Promise<void> {
    await audit.record(tx, {
      actor: actor.username,
      category: 'SecurityRole',
      operation,
      entityType: 'SecurityRole',
      auditIdentifier: role.name,
      immutableIdentifier: String(role.id),
      details,
    });
  }

  async function objectGrants(
    id: number,
    area: typeof pamArea | typeof containerArea,
  ): Promise<ObjectGrant[]> {
    const role = await requireRole(id);
    const basesById = scopedGrants(role.permissions, area);
    const ids = [...basesById.keys()].sort((left, right) => left - right);
    const names =
      area === pamArea ? await pamProviderNames(storage.db, ids) : await containerNames(storage.db, ids);
    return ids.map((objectId) => ({
      objectId,
      name: names.get(objectId) ?? null,
      bases: [...(basesById.get(objectId) ?? [])].sort(byScopedBaseOrder),
    }));
  }

  return {
    list: (request) => listRoles(storage.db, request),
    get: requireRole,

    async create(actor, draft) {
      const permissionSetId = await requirePermissionSet(draft.permissionSetId ?? globalPermissionSetId);
      return writeRole(
        actor,
        {
          name: draft.name,
          description: draft.description,
          emailAddress: draft.emailAddress ?? null,
          permissionSetId,
          permissions: resolvePermissions(draft.permissions, []),
          claims: resolveClaims(draft.claims, []),
        },
        undefined,
      );
    },

    async update(actor, id, draft) {
      const existing = await requireChangeableRole(id);
      const permissionSetId =
        draft.permissionSetId === undefined
          ? existing.permissionSetId
          : await requirePermissionSet(draft.permissionSetId);
      return writeRole(
        actor,
        {
          name: draft.name,
          description: draft.description,
          emailAddress: draft.emailAddress === undefined ? existing.emailAddress : draft.emailAddress,
          permissionSetId,
          permissions:
            draft.permissions === undefined
              ? existing.permissions
              : resolvePermissions(draft.permissions, existing.permissions),
          claims: draft.claims === undefined ? existing.claims : resolveClaims(draft.claims, existing.claims),
        },
        existing,
      );
    },

    async remove(actor, id) {
      const existing = await requireChangeableRole(id);
      requireHeld(actor, existing.permissions, existing.name);
      await storage.transaction((tx) =>
        keepingAdministrator(tx, existing.name, async () => {
          await deleteRole(tx, existing.id);
          await recordRoleChange(tx, actor, 'Deleted', existing, {
            permissions: existing.permissions,
            claims: existing.claims.map(describeClaim),
          });
        }),
      );
    },

    pamProviderGrants: (id) => objectGrants(id, pamArea),

    async replacePamProviderGrants(actor, id, grants) {
      const role = await requireChangeableRole(id);
      const requested = grants.flatMap((grant) =>
        grant.permissions.map((text) => {
          const base = parseObjectPermission(text, pamArea);
          if (base === undefined) {
            throw validationError(
              `'Permissions' value '${text}' for PAM provider '${grant.providerId}' must be Read or Modify`,
            );
          }
          return { objectId: grant.providerId, base };
        }),
      );
      const providerIds = grants.map((grant) => grant.providerId);
      const names = await pamProviderNames(storage.db, providerIds);
      const missing = providerIds.find((providerId) => !names.has(providerId));
      if (missing !== undefined) throw validationError(`PAM provider '${missing}' does not exist`);
      const kept = role.permissions.filter((permission) => !isScopedIn(permission, pamArea));
      await writePermissions(actor, role, [
        ...new Set([...kept, ...requested.map(({ objectId, base }) => `${base}${objectId}/`)]),
      ]);
      return objectGrants(id, pamArea);
    },

    containerGrants: (id) => objectGrants(id, containerArea),

    async changeContainerGrants(actor, id, grants, mode) {
      const role = await requireChangeableRole(id);
      const requested = grants.map((grant) => {
        const base = parseObjectPermission(grant.permission, containerArea);
        if (base === undefined) {
          throw validationError(
            `'Permission' value '${grant.permission}' for container '${grant.containerId}' must be Read, Schedule or Modify`,
          );
        }
        return `${base}${grant.containerId}/`;
      });
      const containerIds = grants.map((grant) => grant.containerId);
      const names = await containerNames(storage.db, containerIds);
      const missing = containerIds.find((containerId) => !names.has(containerId));
      if (missing !== undefined)
        throw validationError(`Certificate store container '${missing}' does not exist`);
      const kept =
        mode === 'add'
          ? role.permissions
          : role.permissions.filter((permission) => !isScopedIn(permission, containerArea));
      await writePermissions(actor, role, [...new Set([...kept, ...requested])]);
      return objectGrants(id, containerArea);
    },

    rolesOf: (actor) =>
      actor.claims === undefined
        ? rolesForIdentity(storage.db, actor.username, actor.groups)
        : rolesForClaims(storage.db, actor.claims),

    async copy(actor, id, draft) {
      const source = await requireRole(id);
      return writeRole(
        actor,
        {
          name: draft.name,
          description: draft.description,
          emailAddress: draft.emailAddress ?? null,
          permissionSetId: source.permissionSetId,
          permissions: source.permissions,
          claims: source.claims,
        },
        undefined,
      );
    },

    globalPermissions: async (id) => legacyPermissionsGranted((await requireRole(id)).permissions),

    async changeGlobalPermissions(actor, id, pairs, mode) {
      const role = await requireChangeableRole(id);
      const accessControl = dedupe(
        pairs.map((pair) => {
          const parsed = parseLegacyPermission(`${pair.area}:${pair.permission}`);
          if (!parsed.ok) throw validationError(`Invalid 'Permissions': ${parsed.reason}`);
          return parsed.accessControl;
        }),
      );
      const permissions =
        mode === 'add'
          ? dedupe([...role.permissions, ...accessControl])
          : applyLegacyPermissions(role.permissions, accessControl);
      await writePermissions(actor, role, permissions);
      return legacyPermissionsGranted(permissions);
    },

    async permissionSummary(id) {
      const role = await requireRole(id);
      const global = legacyPermissionsGranted(role.permissions).map((pair) => ({
        type: 'Global' as const,
        ...pair,
        objectId: undefined,
      }));
      const scoped = legacyGranularPermissions(role.permissions).map((grant) => ({
        type: grant.area === 'PrivilegedAccessManagement' ? ('PamProvider' as const) : ('Container' as const),
        area: grant.area,
        permission: grant.permission,
        objectId: grant.securableId,
      }));
      return [...global, ...scoped];
    },

    identities: async (id) => (await requireRole(id)).claims.filter(isIdentityClaim),

    async replaceIdentities(actor, id, claimIds) {
      const role = await requireChangeableRole(id);
      const found = await findClaims(storage.db, claimIds);
      const missing = claimIds.find(
        (claimId) => !found.some((claim) => claim.id === claimId && isIdentityClaim(claim)),
      );
      if (missing !== undefined) throw notFoundError(`Security identity '${missing}' was not found`);
      requireHeld(actor, role.permissions, role.name);
      const claims = [...role.claims.filter((claim) => !isIdentityClaim(claim)), ...found];
      await storage.transaction((tx) =>
        keepingAdministrator(tx, role.name, async () => {
          await replaceRoleClaimLinks(
            tx,
            role.id,
            claims.map((claim) => claim.id),
          );
          await recordRoleChange(tx, actor, 'Updated', role, {
            claims: difference(role.claims.map(describeClaim), claims.map(describeClaim)),
          });
        }),
      );
      return (await requireRole(id)).claims.filter(isIdentityClaim);
    },

    async containerRoles(containerId) {
      const names = await containerNames(storage.db, [containerId]);
      if (!names.has(containerId)) {
        throw notFoundError(`Certificate store container '${containerId}' was not found`);
      }
      const bases = scopedPermissionBases.filter((base) => base.startsWith(containerArea));
      const roleIds = await roleIdsHolding(
        storage.db,
        bases.map((base) => `${base}${containerId}/`),
      );
      const roles = await findRoles(storage.db, roleIds);
      return roles.map((role) => ({
        role,
        bases: [...(scopedGrants(role.permissions, containerArea).get(containerId) ?? [])].sort(
          byScopedBaseOrder,
        ),
      }));
    },
  };
}

function resolvePermissions(list: PermissionList | undefined, current: readonly string[]): string[] {
  if (list === undefined) return [];
  if (list.model === 'access-control') {
    return dedupe(
      list.values.map((text) => {
        const normalized = normalizePermission(text);
        if (!normalized.ok) throw validationError(`Invalid 'Permissions': ${normalized.reason}`);
        return normalized.permission;
      }),
    );
  }
  const accessControl = list.values.map((text) => {
    const parsed = parseLegacyPermission(text);
    if (!parsed.ok) throw validationError(`Invalid 'Permissions': ${parsed.reason}`);
    return parsed.accessControl;
  });
  return applyLegacyPermissions(current, dedupe(accessControl));
}

function resolveClaims(list: ClaimList | undefined, current: readonly RoleClaim[]): Omit<RoleClaim, 'id'>[] {
  if (list === undefined) return [];
  const claims: Omit<RoleClaim, 'id'>[] =
    list.model === 'claims'
      ? list.values.map((claim) => ({ ...claim }))
      : identitiesToClaims(list.accountNames, current);
  const seen = new Set<string>();
  return claims.filter((claim) => {
    const key = `${claim.claimType}\0${claim.claimValue.toLowerCase()}\0${claim.providerScheme.toLowerCase()}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Runs a change to existing roles or claims so that it can never take `/` from the last user holding it, or
 * nobody could manage security again. Every such change takes one shared lock first, so concurrent changes
 * run one after another and each judges the state the previous one left; a refusal throws inside the
 * transaction and so undoes the change.
 */
export async function keepingAdministrator<T>(
  tx: DatabaseTransaction,
  roleName: string,
  change: () => Promise<T>,
): Promise<T> {
  await lockPermissionSet(tx, globalPermissionSetId);
  const hadAdministrator = await someUserHoldsRoot(tx);
  const result = await change();
  if (hadAdministrator && !(await someUserHoldsRoot(tx))) {
    throw conflictError(
      `This change to security role '${roleName}' would leave no user holding '/' (full administration); grant '/' to another user first`,
    );
  }
  return result;
}

/**
 * v1 identities are bare account names (`DOMAIN\name`). They replace the role's User and Group claims; a name
 * that is already one of its Group claims stays a group, any other becomes a User claim. Claims v1 cannot show
 * (OAuth and Computer) are kept. The domain is dropped because Strongroom's users have none.
 */
function identitiesToClaims(
  accountNames: readonly string[],
  current: readonly RoleClaim[],
): Omit<RoleClaim, 'id'>[] {
  const groupClaims = new Map(
    current
      .filter((claim) => claim.claimType === 'Group')
      .map((claim) => [claim.claimValue.toLowerCase(), claim]),
  );
  const kept = current.filter((claim) => claim.claimType !== 'User' && claim.claimType !== 'Group');
  const fromIdentities = accountNames.map((accountName) => {
    const name = accountName.slice(accountName.lastIndexOf('\\') + 1);
    const group = groupClaims.get(name.toLowerCase());
    return group === undefined
      ? { claimType: 'User', claimValue: name, providerScheme: localProviderScheme, description: '' }
      : { ...group };
  });
  return [...kept, ...fromIdentities];
}

/**
 * Managing a role is managing what it grants, so a caller may only grant, and only change or remove roles
 * holding, permissions they hold themselves. Without this, `/security/modify/` alone would be a way to `/`.
 */
export function requireHeld(
  actor: Actor,
  permissions: readonly string[],
  roleName: string | undefined,
): void {
  const missing = permissions.find((permission) => {
    const scoped = parseScopedPermission(permission);
    if (scoped !== undefined) return !actor.permissions.has(scoped.base, scoped.objectId);
    // Stored grants were validated on write; anything unrecognised grants nothing, so holding it is moot.
    return normalizePermission(permission).ok && !actor.permissions.has(permission);
  });
  if (missing === undefined) return;
  throw forbiddenError(
    roleName === undefined
      ? `You cannot grant '${missing}' because you do not hold it yourself`
      : `You cannot change security role '${roleName}' because it grants '${missing}', which you do not hold yourself`,
    missing,
  );
}

function scopedGrants(permissions: readonly string[], area: string): Map<number, Set<ScopedPermissionBase>> {
  const basesById = new Map<number, Set<ScopedPermissionBase>>();
  for (const permission of permissions) {
    const scoped = parseScopedPermission(permission);
    if (scoped === undefined || !scoped.base.startsWith(area)) continue;
    let bases = basesById.get(scoped.objectId);
    if (bases === undefined) basesById.set(scoped.objectId, (bases = new Set()));
    bases.add(scoped.base);
  }
  return basesById;
}

export function isIdentityClaim(claim: { claimType: string }): boolean {
  return claim.claimType === 'User' || claim.claimType === 'Group';
}

function isScopedIn(permission: string, area: string): boolean {
  return parseScopedPermission(permission)?.base.startsWith(area) === true;
}

const scopedBaseOrder = ['read/', 'schedule/', 'modify/'];
function byScopedBaseOrder(left: ScopedPermissionBase, right: ScopedPermissionBase): number {
  const rank = (base: string) => scopedBaseOrder.findIndex((suffix) => base.endsWith(suffix));
  return rank(left) - rank(right);
}

export function describeClaim(claim: Omit<RoleClaim, 'id'>): string {
  return `${claim.claimType}:${claim.claimValue} (${claim.providerScheme})`;
}

function roleChangeDetails(existing: RoleRecord | undefined, input: RoleInput): Record<string, unknown> {
  const claims = input.claims.map(describeClaim);
  if (existing === undefined) {
    return { permissions: input.permissions, claims, permissionSetId: input.permissionSetId };
  }
  return {
    ...(existing.name === input.name ? {} : { previousName: existing.name }),
    permissions: difference(existing.permissions, input.permissions),
    claims: difference(existing.claims.map(describeClaim), claims),
    permissionSetId: input.permissionSetId,
  };
}

function difference(before: readonly string[], after: readonly string[]) {
  return {
    added: after.filter((item) => !before.includes(item)),
    removed: before.filter((item) => !after.includes(item)),
  };
}

function dedupe(values: readonly string[]): string[] {
  return [...new Set(values)];
}
