import { conflictError, notFoundError } from '../../errors/app-error.js';
import type { ListRequest } from '../../storage/list-query.js';
import type { DatabaseTransaction, Storage } from '../../storage/storage.js';
import { isUniqueViolation } from '../../storage/storage.js';
import type { AuditWriter } from '../audit/audit-writer.js';
import type { Actor } from './actor.js';
import {
  claimListSpec,
  deleteClaim,
  findClaim,
  identityClaimTypes,
  identityListSpec,
  insertClaim,
  listClaims,
  roleIdsByClaim,
  updateClaimDescription,
} from './claim-repository.js';
import { formatLegacyPermission, legacyPermissionsGranted } from './legacy-permissions.js';
import { parseScopedPermission } from './permission-catalog.js';
import type { PresentedClaim, RoleClaim, RoleRecord } from './role-repository.js';
import { findClaimByKey, findRoles } from './role-repository.js';
import {
  describeClaim,
  isIdentityClaim,
  keepingAdministrator,
  localProviderScheme,
  requireHeld,
} from './role-service.js';
import { listUsers } from './user-repository.js';

/** A claim with the roles that hold it. */
export interface ClaimWithRoles {
  claim: RoleClaim;
  roles: RoleRecord[];
}

/**
 * The legacy API's two views of claims: `Claims` are every claim, `Identities` only the User and Group claims
 * (an identity is an account or group name). Both views read and change the same records roles link to.
 */
export type ClaimView = 'claim' | 'identity';

export interface ClaimService {
  list(view: ClaimView, request: ListRequest): Promise<ClaimWithRoles[]>;
  get(view: ClaimView, id: number): Promise<ClaimWithRoles>;
  create(actor: Actor, claim: Omit<RoleClaim, 'id'>): Promise<RoleClaim>;
  createIdentity(actor: Actor, accountName: string): Promise<ClaimWithRoles>;
  updateDescription(actor: Actor, id: number, description: string): Promise<RoleClaim>;
  remove(actor: Actor, view: ClaimView, id: number): Promise<void>;
  rolesFor(claim: PresentedClaim): Promise<RoleRecord[]>;
  /** Whether an account or group name names a local user or one of their groups. */
  lookup(accountName: string): Promise<boolean>;
}

const noun = { claim: 'Security claim', identity: 'Security identity' } as const;

/** A v1 account name may carry an Active Directory domain (`DOMAIN\name`); local names have none. */
function accountNameOf(text: string): string {
  return text.slice(text.lastIndexOf('\\') + 1);
}

export function createClaimService(dependencies: { storage: Storage; audit: AuditWriter }): ClaimService {
  const { storage, audit } = dependencies;

  async function withRoles(claims: readonly RoleClaim[]): Promise<ClaimWithRoles[]> {
    const roleIds = await roleIdsByClaim(
      storage.db,
      claims.map((claim) => claim.id),
    );
    const roles = await findRoles(storage.db, [...roleIds.values()].flat());
    return claims.map((claim) => ({
      claim,
      roles: roles.filter((role) => roleIds.get(claim.id)?.includes(role.id) === true),
    }));
  }

  async function requireClaim(view: ClaimView, id: number): Promise<RoleClaim> {
    const claim = await findClaim(storage.db, id);
    if (claim === undefined || (view === 'identity' && !isIdentityClaim(claim))) {
      throw notFoundError(`${noun[view]} '${id}' was not found`);
    }
    return claim;
  }

  async function record(
    tx: DatabaseTransaction,
    actor: Actor,
    operation: 'Created' | 'Updated' | 'Deleted',
    view: ClaimView,
    claim: RoleClaim,
    details: Record<string, unknown>,
  ): Promise<void> {
    await audit.record(tx, {
      actor: actor.username,
      category: 'SecurityRole',
      operation,
      entityType: view === 'identity' ? 'SecurityIdentity' : 'SecurityClaim',
      auditIdentifier: describeClaim(claim),
      immutableIdentifier: String(claim.id),
      details,
    });
  }

  async function insert(actor: Actor, view: ClaimView, claim: Omit<RoleClaim, 'id'>): Promise<RoleClaim> {
    const duplicate = () =>
      conflictError(
        view === 'identity'
          ? `Security identity '${claim.claimValue}' already exists`
          : `A security claim ${claim.claimType} '${claim.claimValue}' for scheme '${claim.providerScheme}' already exists`,
      );
    if ((await findClaimByKey(storage.db, claim)) !== undefined) throw duplicate();
    try {
      const id = await storage.transaction(async (tx) => {
        const claimId = await insertClaim(tx, claim);
        await record(
          tx,
          actor,
          'Created',
          view,
          { id: claimId, ...claim },
          { description: claim.description },
        );
        return claimId;
      });
      return await requireClaim(view, id);
    } catch (error) {
      // Two concurrent requests for the same claim: the unique index lets one win.
      if (isUniqueViolation(error)) throw duplicate();
      throw error;
    }
  }

  return {
    async list(view, request) {
      const claims =
        view === 'identity'
          ? await listClaims(storage.db, request, identityListSpec, identityClaimTypes)
          : await listClaims(storage.db, request, claimListSpec, undefined);
      return withRoles(claims);
    },

    async get(view, id) {
      const [found] = await withRoles([await requireClaim(view, id)]);
      if (found === undefined) throw notFoundError(`${noun[view]} '${id}' was not found`);
      return found;
    },

    create: (actor, claim) => insert(actor, 'claim', claim),

    async createIdentity(actor, accountName) {
      const name = accountNameOf(accountName);
      const users = await listUsers(storage.db);
      const lowered = name.toLowerCase();
      const isUser = users.some((user) => user.username.toLowerCase() === lowered);
      const isGroup = users.some((user) => user.groups.some((group) => group.toLowerCase() === lowered));
      // A name that is a local group and no local user is a group identity; any other name is an account.
      const claimType = !isUser && isGroup ? 'Group' : 'User';
      const other = claimType === 'User' ? 'Group' : 'User';
      const existingOther = await findClaimByKey(storage.db, {
        claimType: other,
        claimValue: name,
        providerScheme: localProviderScheme,
      });
      if (existingOther !== undefined) throw conflictError(`Security identity '${name}' already exists`);
      const claim = await insert(actor, 'identity', {
        claimType,
        claimValue: name,
        providerScheme: localProviderScheme,
        description: '',
      });
      return { claim, roles: [] };
    },

    async updateDescription(actor, id, description) {
      const claim = await requireClaim('claim', id);
      await storage.transaction(async (tx) => {
        await updateClaimDescription(tx, id, description);
        await record(tx, actor, 'Updated', 'claim', claim, {
          description: { from: claim.description, to: description },
        });
      });
      return requireClaim('claim', id);
    },

    async remove(actor, view, id) {
      const claim = await requireClaim(view, id);
      const [{ roles } = { roles: [] }] = await withRoles([claim]);
      // Taking a claim from a role changes the role, under the same rules as any other change to it.
      for (const role of roles) {
        if (role.immutable) {
          throw conflictError(`Security role '${role.name}' is immutable and cannot be changed`);
        }
        requireHeld(actor, role.permissions, role.name);
      }
      await storage.transaction((tx) =>
        keepingAdministrator(tx, roles[0]?.name ?? describeClaim(claim), async () => {
          await deleteClaim(tx, claim.id);
          await record(tx, actor, 'Deleted', view, claim, { roles: roles.map((role) => role.name) });
        }),
      );
    },

    async rolesFor(presented) {
      const claim = await findClaimByKey(storage.db, presented);
      if (claim === undefined) {
        throw notFoundError(
          `Security claim ${presented.claimType} '${presented.claimValue}' for scheme '${presented.providerScheme}' was not found`,
        );
      }
      const [found] = await withRoles([claim]);
      return found?.roles ?? [];
    },

    async lookup(accountName) {
      const lowered = accountNameOf(accountName).toLowerCase();
      const users = await listUsers(storage.db);
      return users.some(
        (user) =>
          user.username.toLowerCase() === lowered ||
          user.groups.some((group) => group.toLowerCase() === lowered),
      );
    },
  };
}

export interface IdentityPermissions {
  securedArea: { permission: string; roles: string[] }[];
  containers: { permission: string; roles: string[] }[];
  pamProviders: { permission: string; roles: string[] }[];
}

/**
 * What an identity's roles grant, each with the roles granting it: v1 `Area:Permission` pairs across the
 * board, and per-object grants as their access-control strings (`/certificate_stores/read/3/`).
 */
export function identityPermissions(roles: readonly RoleRecord[]): IdentityPermissions {
  const securedArea = new Map<string, string[]>();
  const containers = new Map<string, string[]>();
  const pamProviders = new Map<string, string[]>();
  const add = (into: Map<string, string[]>, permission: string, role: string) => {
    const holders = into.get(permission) ?? [];
    if (!holders.includes(role)) holders.push(role);
    into.set(permission, holders);
  };
  for (const role of roles) {
    for (const pair of legacyPermissionsGranted(role.permissions)) {
      add(securedArea, formatLegacyPermission(pair), role.name);
    }
    for (const permission of role.permissions) {
      const scoped = parseScopedPermission(permission);
      if (scoped === undefined) continue;
      add(scoped.base.startsWith('/pam/') ? pamProviders : containers, permission, role.name);
    }
  }
  const listed = (from: Map<string, string[]>) =>
    [...from].map(([permission, holders]) => ({ permission, roles: holders }));
  return {
    securedArea: listed(securedArea),
    containers: listed(containers),
    pamProviders: listed(pamProviders),
  };
}
