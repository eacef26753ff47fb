import { randomUUID } from 'node:crypto';
import { conflictError, notFoundError, validationError } from '../../errors/app-error.js';
import type { DatabaseExecutor, DatabaseTransaction, Storage } from '../../storage/storage.js';
import { isUniqueViolation } from '../../storage/storage.js';
import type { AuditWriter } from '../audit/audit-writer.js';
import type { Actor } from './actor.js';
import { globalPermissionSetId } from './admin-bootstrap.js';
import { normalizePermission, parseScopedPermission, permissionCatalog } from './permission-catalog.js';
import { createPermissionChecker } from './permission-evaluator.js';
import {
  deletePermissionSet,
  identityProvidersUsingPermissionSet,
  insertPermissionSet,
  permissionSetPermissions,
  rolesInPermissionSet,
  updatePermissionSet,
} from './permission-set-repository.js';
import { findPermissionSet, findRoles, listPermissionSets, lockPermissionSet } from './role-repository.js';

export interface PermissionSet {
  id: string;
  name: string;
  permissions: readonly string[];
}

export interface PermissionSetDraft {
  name: string;
  permissions: readonly string[];
}

export interface PermissionSetService {
  list(): Promise<PermissionSet[]>;
  get(id: string): Promise<PermissionSet>;
  create(actor: Actor, draft: PermissionSetDraft): Promise<PermissionSet>;
  /** An undefined name keeps the current one: Keyfactor's PUT requires only Id and Permissions. */
  update(
    actor: Actor,
    id: string,
    draft: { name: string | undefined; permissions: readonly string[] },
  ): Promise<PermissionSet>;
  remove(actor: Actor, id: string): Promise<void>;
}

/** The permissions of `rolePermissions` that `setPermissions` (with everything they imply) does not cover. */
export function permissionsOutside(
  setPermissions: readonly string[],
  rolePermissions: readonly string[],
): string[] {
  const set = createPermissionChecker(setPermissions);
  return rolePermissions.filter((permission) => {
    const scoped = parseScopedPermission(permission);
    if (scoped !== undefined) return !set.has(scoped.base, scoped.objectId);
    // Stored grants were validated on write; anything unrecognised grants nothing, so it cannot exceed a set.
    return normalizePermission(permission).ok && !set.has(permission);
  });
}

/**
 * Refuses role grants outside the role's permission set. Called inside the role's write transaction after
 * locking the set's row, so a concurrent narrowing of the set either sees this role or is seen by it.
 */
export async function requireWithinPermissionSet(
  tx: DatabaseTransaction,
  permissionSetId: string,
  permissions: readonly string[],
): Promise<void> {
  if (permissionSetId === globalPermissionSetId) return;
  await lockPermissionSet(tx, permissionSetId);
  const set = await findPermissionSet(tx, permissionSetId);
  if (set === undefined) return;
  const stored = (await permissionSetPermissions(tx, [set.id])).get(set.id) ?? [];
  const outside = permissionsOutside(stored, permissions);
  if (outside.length > 0) {
    throw validationError(
      `Invalid 'Permissions': ${outside.map((permission) => `'${permission}'`).join(', ')} ${outside.length === 1 ? 'is' : 'are'} not in permission set '${set.name}'`,
    );
  }
}

const maxNamesInMessage = 20;

function quotedList(names: readonly string[]): string {
  const shown = names.slice(0, maxNamesInMessage).map((name) => `'${name}'`);
  const more = names.length - shown.length;
  return more > 0 ? `${shown.join(', ')} and ${more} more` : shown.join(', ');
}

function normalizeSetPermissions(values: readonly string[]): string[] {
  const normalized = values.map((text) => {
    const result = normalizePermission(text);
    if (!result.ok) throw validationError(`Invalid 'Permissions': ${result.reason}`);
    // A set bounds whole areas; one object's grant is a role's business, not a set's.
    if (parseScopedPermission(result.permission) !== undefined) {
      throw validationError(
        `Invalid 'Permissions': '${text}' names one object; a permission set holds catalogue permissions only`,
      );
    }
    return result.permission;
  });
  return [...new Set(normalized)].sort();
}

export function createPermissionSetService(dependencies: {
  storage: Storage;
  audit: AuditWriter;
}): PermissionSetService {
  const { storage, audit } = dependencies;

  async function withPermissions(
    db: DatabaseExecutor,
    sets: readonly { id: string; name: string }[],
  ): Promise<PermissionSet[]> {
    const stored = await permissionSetPermissions(
      db,
      sets.filter((set) => set.id !== globalPermissionSetId).map((set) => set.id),
    );
    return sets.map((set) => ({
      ...set,
      permissions: set.id === globalPermissionSetId ? permissionCatalog : (stored.get(set.id) ?? []),
    }));
  }

  async function requireSet(db: DatabaseExecutor, id: string): Promise<PermissionSet> {
    const set = await findPermissionSet(db, id);
    if (set === undefined) throw notFoundError(`Permission set '${id}' was not found`);
    const [withStored] = await withPermissions(db, [set]);
    return withStored ?? { ...set, permissions: [] };
  }

  async function requireChangeableSet(db: DatabaseExecutor, id: string): Promise<PermissionSet> {
    const set = await requireSet(db, id);
    if (set.id === globalPermissionSetId) {
      throw conflictError(`Permission set '${set.name}' is built in and cannot be changed or deleted`);
    }
    return set;
  }

  async function record(
    tx: DatabaseTransaction,
    actor: Actor,
    operation: 'Created' | 'Updated' | 'Deleted',
    set: { id: string; name: string },
    details: Record<string, unknown>,
  ): Promise<void> {
    await audit.record(tx, {
      actor: actor.username,
      category: 'SecurityRole',
      operation,
      entityType: 'PermissionSet',
      auditIdentifier: set.name,
      immutableIdentifier: set.id,
      details,
    });
  }

  function nameTaken(error: unknown, name: string): never {
    if (isUniqueViolation(error)) throw conflictError(`A permission set named '${name}' already exists`);
    throw error;
  }

  return {
    async list() {
      return withPermissions(storage.db, await listPermissionSets(storage.db));
    },

    get: (id) => requireSet(storage.db, id),

    async create(actor, draft) {
      const input = {
        id: randomUUID(),
        name: draft.name,
        permissions: normalizeSetPermissions(draft.permissions),
      };
      try {
        await storage.transaction(async (tx) => {
          await insertPermissionSet(tx, input);
          await record(tx, actor, 'Created', input, { permissions: input.permissions });
        });
      } catch (error) {
        nameTaken(error, input.name);
      }
      return requireSet(storage.db, input.id);
    },

    async update(actor, id, draft) {
      const permissions = normalizeSetPermissions(draft.permissions);
      const existing = await requireChangeableSet(storage.db, id);
      const name = draft.name ?? existing.name;
      try {
        await storage.transaction(async (tx) => {
          // Locks the set's row first, so roles being written into it wait and are judged against the new list.
          await lockPermissionSet(tx, existing.id);
          const before = await requireSet(tx, existing.id);
          const roles = await findRoles(
            tx,
            (await rolesInPermissionSet(tx, existing.id)).map((role) => role.id),
          );
          const offending = roles
            .filter((role) => permissionsOutside(permissions, role.permissions).length > 0)
            .map((role) => role.name)
            .sort();
          if (offending.length > 0) {
            throw conflictError(
              `Permission set '${before.name}' cannot be narrowed: security roles ${quotedList(offending)} grant permissions outside the new list`,
            );
          }
          await updatePermissionSet(tx, { id: existing.id, name, permissions });
          await record(
            tx,
            actor,
            'Updated',
            { id: existing.id, name },
            {
              ...(before.name === name ? {} : { previousName: before.name }),
              permissions: {
                added: permissions.filter((permission) => !before.permissions.includes(permission)),
                removed: before.permissions.filter((permission) => !permissions.includes(permission)),
              },
            },
          );
        });
      } catch (error) {
        nameTaken(error, name);
      }
      return requireSet(storage.db, existing.id);
    },

    async remove(actor, id) {
      const existing = await requireChangeableSet(storage.db, id);
      await storage.transaction(async (tx) => {
        await lockPermissionSet(tx, existing.id);
        const roles = (await rolesInPermissionSet(tx, existing.id)).map((role) => role.name);
        if (roles.length > 0) {
          throw conflictError(
            `Permission set '${existing.name}' is used by security roles ${quotedList(roles)} and cannot be deleted`,
          );
        }
        const providers = await identityProvidersUsingPermissionSet(tx, existing.id);
        if (providers.length > 0) {
          throw conflictError(
            `Permission set '${existing.name}' is used by identity providers ${quotedList(providers)} and cannot be deleted`,
          );
        }
        await deletePermissionSet(tx, existing.id);
        await record(tx, actor, 'Deleted', existing, { permissions: existing.permissions });
      });
    },
  };
}
