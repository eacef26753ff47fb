import { sql } from 'kysely';
import type { ExpressionBuilder } from 'kysely';
import type { Database } from '../../storage/database-schema.js';
import type { ListRequest, ListSpec } from '../../storage/list-query.js';
import { applyListRequest } from '../../storage/list-query.js';
import type { DatabaseExecutor } from '../../storage/storage.js';

export interface RoleClaim {
  id: number;
  /** The claim type by name (`User`, `Group`, ...), as role matching reads it. */
  claimType: string;
  claimValue: string;
  providerScheme: string;
  description: string;
}

export interface RoleRecord {
  id: number;
  name: string;
  description: string;
  emailAddress: string | null;
  immutable: boolean;
  permissionSetId: string;
  permissions: string[];
  claims: RoleClaim[];
}

export interface RoleInput {
  name: string;
  description: string;
  emailAddress: string | null;
  permissionSetId: string;
  permissions: readonly string[];
  claims: readonly Omit<RoleClaim, 'id'>[];
  immutable?: boolean;
}

export const roleListSpec: ListSpec = {
  fields: {
    Id: { column: 'roles.id', type: 'integer' },
    Name: { column: 'roles.name', type: 'string' },
  },
  defaultSort: 'Name',
  tieBreaker: 'roles.id',
};

type RoleRow = {
  id: number;
  name: string;
  description: string;
  email_address: string | null;
  immutable: number;
  permission_set_id: string;
};

/** Loads the permissions and claims of the given roles in two queries, whatever the number of roles. */
async function withGrants(db: DatabaseExecutor, roles: readonly RoleRow[]): Promise<RoleRecord[]> {
  if (roles.length === 0) return [];
  const ids = roles.map((role) => role.id);
  const [permissions, claims] = await Promise.all([
    db.selectFrom('role_permissions').selectAll().where('role_id', 'in', ids).orderBy('permission').execute(),
    db.selectFrom('role_claims').selectAll().where('role_id', 'in', ids).orderBy('id').execute(),
  ]);
  return roles.map((role) => ({
    id: role.id,
    name: role.name,
    description: role.description,
    emailAddress: role.email_address,
    immutable: role.immutable === 1,
    permissionSetId: role.permission_set_id,
    permissions: permissions.filter((row) => row.role_id === role.id).map((row) => row.permission),
    claims: claims
      .filter((row) => row.role_id === role.id)
      .map((row) => ({
        id: row.id,
        claimType: row.claim_type,
        claimValue: row.claim_value,
        providerScheme: row.provider_scheme,
        description: row.description,
      })),
  }));
}

export async function listRoles(db: DatabaseExecutor, request: ListRequest): Promise<RoleRecord[]> {
  const roles = await applyListRequest(
    db.selectFrom('roles').selectAll('roles'),
    request,
    roleListSpec,
  ).execute();
  return withGrants(db, roles);
}

export async function findRole(db: DatabaseExecutor, id: number): Promise<RoleRecord | undefined> {
  const role = await db.selectFrom('roles').selectAll().where('id', '=', id).executeTakeFirst();
  if (role === undefined) return undefined;
  const [record] = await withGrants(db, [role]);
  return record;
}

export async function insertRole(db: DatabaseExecutor, input: RoleInput): Promise<number> {
  const { id } = await db
    .insertInto('roles')
    .values({
      name: input.name,
      description: input.description,
      email_address: input.emailAddress,
      immutable: input.immutable === true ? 1 : 0,
      permission_set_id: input.permissionSetId,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await replaceRolePermissions(db, id, input.permissions);
  await replaceRoleClaims(db, id, input.claims);
  return id;
}

export async function updateRole(db: DatabaseExecutor, id: number, input: RoleInput): Promise<void> {
  await db
    .updateTable('roles')
    .set({
      name: input.name,
      description: input.description,
      email_address: input.emailAddress,
      permission_set_id: input.permissionSetId,
    })
    .where('id', '=', id)
    .execute();
  await replaceRolePermissions(db, id, input.permissions);
  await replaceRoleClaims(db, id, input.claims);
}

async function replaceRoleClaims(
  db: DatabaseExecutor,
  id: number,
  claims: readonly Omit<RoleClaim, 'id'>[],
): Promise<void> {
  await db.deleteFrom('role_claims').where('role_id', '=', id).execute();
  if (claims.length === 0) return;
  await db
    .insertInto('role_claims')
    .values(
      claims.map((claim) => ({
        role_id: id,
        claim_type: claim.claimType,
        claim_value: claim.claimValue,
        provider_scheme: claim.providerScheme,
        description: claim.description,
      })),
    )
    .execute();
}

export async function replaceRolePermissions(
  db: DatabaseExecutor,
  id: number,
  permissions: readonly string[],
): Promise<void> {
  await db.deleteFrom('role_permissions').where('role_id', '=', id).execute();
  const unique = [...new Set(permissions)];
  if (unique.length === 0) return;
  await db
    .insertInto('role_permissions')
    .values(unique.map((permission) => ({ role_id: id, permission })))
    .execute();
}

export async function deleteRole(db: DatabaseExecutor, id: number): Promise<void> {
  await db.deleteFrom('roles').where('id', '=', id).execute();
}

/** Every permission granted to an identity through the roles whose claims match it. */
export async function permissionsForIdentity(
  db: DatabaseExecutor,
  username: string,
  groups: readonly string[],
): Promise<string[]> {
  const rows = await db
    .selectFrom('role_claims')
    .innerJoin('role_permissions', 'role_permissions.role_id', 'role_claims.role_id')
    .select('role_permissions.permission')
    .distinct()
    .where((eb) => claimMatches(eb, username, groups))
    .execute();
  return rows.map((row) => row.permission);
}

export async function rolesForIdentity(
  db: DatabaseExecutor,
  username: string,
  groups: readonly string[],
): Promise<string[]> {
  const rows = await db
    .selectFrom('role_claims')
    .innerJoin('roles', 'roles.id', 'role_claims.role_id')
    .select('roles.name')
    .distinct()
    .where((eb) => claimMatches(eb, username, groups))
    .orderBy('roles.name')
    .execute();
  return rows.map((row) => row.name);
}

// A `User` claim names the user and a `Group` claim one of the user's groups, both without regard to case.
function claimMatches(
  eb: ExpressionBuilder<Database, 'role_claims'>,
  username: string,
  groups: readonly string[],
) {
  const loweredGroups = groups.map((group) => group.toLowerCase());
  return eb.or([
    eb.and([
      eb('role_claims.claim_type', '=', 'User'),
      eb(sql<string>`lower(role_claims.claim_value)`, '=', username.toLowerCase()),
    ]),
    ...(loweredGroups.length === 0
      ? []
      : [
          eb.and([
            eb('role_claims.claim_type', '=', 'Group'),
            eb(sql<string>`lower(role_claims.claim_value)`, 'in', loweredGroups),
          ]),
        ]),
  ]);
}

/** A claim a caller presents, as role claims are matched against it. */
export interface PresentedClaim {
  claimType: string;
  claimValue: string;
  providerScheme: string;
}

/** Every permission granted through the roles holding one of these claims (type, value and scheme). */
export async function permissionsForClaims(
  db: DatabaseExecutor,
  claims: readonly PresentedClaim[],
): Promise<string[]> {
  if (claims.length === 0) return [];
  const rows = await db
    .selectFrom('role_claims')
    .innerJoin('role_permissions', 'role_permissions.role_id', 'role_claims.role_id')
    .select('role_permissions.permission')
    .distinct()
    .where((eb) => anyClaimMatches(eb, claims))
    .execute();
  return rows.map((row) => row.permission);
}

/** The names of the roles holding one of these claims, sorted. */
export async function rolesForClaims(
  db: DatabaseExecutor,
  claims: readonly PresentedClaim[],
): Promise<string[]> {
  if (claims.length === 0) return [];
  const rows = await db
    .selectFrom('role_claims')
    .innerJoin('roles', 'roles.id', 'role_claims.role_id')
    .select('roles.name')
    .distinct()
    .where((eb) => anyClaimMatches(eb, claims))
    .orderBy('roles.name')
    .execute();
  return rows.map((row) => row.name);
}

// Type, value and provider scheme must all match, each without regard to case.
function anyClaimMatches(eb: ExpressionBuilder<Database, 'role_claims'>, claims: readonly PresentedClaim[]) {
  return eb.or(
    claims.map((claim) =>
      eb.and([
        eb(sql<string>`lower(role_claims.claim_type)`, '=', claim.claimType.toLowerCase()),
        eb(sql<string>`lower(role_claims.claim_value)`, '=', claim.claimValue.toLowerCase()),
        eb(sql<string>`lower(role_claims.provider_scheme)`, '=', claim.providerScheme.toLowerCase()),
      ]),
    ),
  );
}

export async function ensurePermissionSet(db: DatabaseExecutor, id: string, name: string): Promise<void> {
  const existing = await db
    .selectFrom('permission_sets')
    .select('id')
    .where('id', '=', id)
    .executeTakeFirst();
  if (existing === undefined) await db.insertInto('permission_sets').values({ id, name }).execute();
}

export async function listPermissionSets(db: DatabaseExecutor): Promise<{ id: string; name: string }[]> {
  return db.selectFrom('permission_sets').selectAll().orderBy('name').execute();
}

export async function findPermissionSet(
  db: DatabaseExecutor,
  id: string,
): Promise<{ id: string; name: string } | undefined> {
  return db
    .selectFrom('permission_sets')
    .selectAll()
    .where(sql<string>`lower(id)`, '=', id.toLowerCase())
    .executeTakeFirst();
}

/** Names of the given PAM providers; ids with no provider are absent from the map. */
export async function pamProviderNames(
  db: DatabaseExecutor,
  ids: readonly number[],
): Promise<Map<number, string>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .selectFrom('pam_providers')
    .select(['id', 'name'])
    .where('id', 'in', [...new Set(ids)])
    .execute();
  return new Map(rows.map((row) => [row.id, row.name]));
}

/** Names of the given certificate store containers; ids with no container are absent from the map. */
export async function containerNames(
  db: DatabaseExecutor,
  ids: readonly number[],
): Promise<Map<number, string>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .selectFrom('certificate_store_containers')
    .select(['id', 'name'])
    .where('id', 'in', [...new Set(ids)])
    .execute();
  return new Map(rows.map((row) => [row.id, row.name]));
}

/**
 * Locks one permission set's row until the transaction ends. Role changes that could take `/` from its last
 * holder all take this lock first, so they run one at a time and each sees what the previous one committed.
 * A no-op UPDATE is used because it is the row lock both databases accept.
 */
export async function lockPermissionSet(db: DatabaseExecutor, id: string): Promise<void> {
  await db
    .updateTable('permission_sets')
    .set((eb) => ({ name: eb.ref('name') }))
    .where('id', '=', id)
    .execute();
}

/**
 * Whether at least one existing user holds `/` through a role's claim. Users are few, so matching their
 * groups (stored as JSON) is done here rather than in dialect-specific SQL.
 */
export async function someUserHoldsRoot(db: DatabaseExecutor): Promise<boolean> {
  const claims = await db
    .selectFrom('role_claims')
    .innerJoin('role_permissions', 'role_permissions.role_id', 'role_claims.role_id')
    .select(['role_claims.claim_type', 'role_claims.claim_value'])
    .where('role_permissions.permission', '=', '/')
    .where('role_claims.claim_type', 'in', ['User', 'Group'])
    .execute();
  if (claims.length === 0) return false;
  const users = await db.selectFrom('users').select(['username', 'groups_json']).execute();
  return users.some((user) => {
    const groups = (JSON.parse(user.groups_json) as string[]).map((group) => group.toLowerCase());
    return claims.some((claim) =>
      claim.claim_type === 'User'
        ? claim.claim_value.toLowerCase() === user.username.toLowerCase()
        : groups.includes(claim.claim_value.toLowerCase()),
    );
  });
}
