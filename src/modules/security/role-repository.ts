import { sql } from 'kysely';
import type { DatabaseExecutor } from '../../storage/storage.js';

export interface RoleClaim {
  id: number;
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

export async function listRoles(db: DatabaseExecutor): Promise<RoleRecord[]> {
  const [roles, permissions, claims] = await Promise.all([
    db.selectFrom('roles').selectAll().orderBy('name').execute(),
    db.selectFrom('role_permissions').selectAll().orderBy('permission').execute(),
    db.selectFrom('role_claims').selectAll().orderBy('id').execute(),
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

export async function findRole(db: DatabaseExecutor, id: number): Promise<RoleRecord | undefined> {
  const role = await db.selectFrom('roles').selectAll().where('id', '=', id).executeTakeFirst();
  if (role === undefined) return undefined;
  const [permissions, claims] = await Promise.all([
    db
      .selectFrom('role_permissions')
      .select('permission')
      .where('role_id', '=', id)
      .orderBy('permission')
      .execute(),
    db.selectFrom('role_claims').selectAll().where('role_id', '=', id).orderBy('id').execute(),
  ]);
  return {
    id: role.id,
    name: role.name,
    description: role.description,
    emailAddress: role.email_address,
    immutable: role.immutable === 1,
    permissionSetId: role.permission_set_id,
    permissions: permissions.map((row) => row.permission),
    claims: claims.map((row) => ({
      id: row.id,
      claimType: row.claim_type,
      claimValue: row.claim_value,
      providerScheme: row.provider_scheme,
      description: row.description,
    })),
  };
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
  await replaceRoleGrants(db, id, input);
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
  await replaceRoleGrants(db, id, input);
}

async function replaceRoleGrants(db: DatabaseExecutor, id: number, input: RoleInput): Promise<void> {
  await replaceRolePermissions(db, id, input.permissions);
  await db.deleteFrom('role_claims').where('role_id', '=', id).execute();
  if (input.claims.length > 0) {
    await db
      .insertInto('role_claims')
      .values(
        input.claims.map((claim) => ({
          role_id: id,
          claim_type: claim.claimType,
          claim_value: claim.claimValue,
          provider_scheme: claim.providerScheme,
          description: claim.description,
        })),
      )
      .execute();
  }
}

export async function replaceRolePermissions(
  db: DatabaseExecutor,
  id: number,
  permissions: readonly string[],
): Promise<void> {
  await db.deleteFrom('role_permissions').where('role_id', '=', id).execute();
  const unique = [...new Set(permissions)];
  if (unique.length > 0) {
    await db
      .insertInto('role_permissions')
      .values(unique.map((permission) => ({ role_id: id, permission })))
      .execute();
  }
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
  const loweredGroups = groups.map((group) => group.toLowerCase());
  const rows = await db
    .selectFrom('role_claims')
    .innerJoin('role_permissions', 'role_permissions.role_id', 'role_claims.role_id')
    .select('role_permissions.permission')
    .distinct()
    .where((eb) =>
      eb.or([
        eb.and([
          eb('role_claims.claim_type', '=', 'User'),
          eb(sql<string>`lower(claim_value)`, '=', username.toLowerCase()),
        ]),
        ...(loweredGroups.length === 0
          ? []
          : [
              eb.and([
                eb('role_claims.claim_type', '=', 'Group'),
                eb(sql<string>`lower(claim_value)`, 'in', loweredGroups),
              ]),
            ]),
      ]),
    )
    .execute();
  return rows.map((row) => row.permission);
}

export async function rolesForIdentity(
  db: DatabaseExecutor,
  username: string,
  groups: readonly string[],
): Promise<string[]> {
  const loweredGroups = groups.map((group) => group.toLowerCase());
  const rows = await db
    .selectFrom('role_claims')
    .innerJoin('roles', 'roles.id', 'role_claims.role_id')
    .select('roles.name')
    .distinct()
    .where((eb) =>
      eb.or([
        eb.and([
          eb('role_claims.claim_type', '=', 'User'),
          eb(sql<string>`lower(claim_value)`, '=', username.toLowerCase()),
        ]),
        ...(loweredGroups.length === 0
          ? []
          : [
              eb.and([
                eb('role_claims.claim_type', '=', 'Group'),
                eb(sql<string>`lower(claim_value)`, 'in', loweredGroups),
              ]),
            ]),
      ]),
    )
    .orderBy('roles.name')
    .execute();
  return rows.map((row) => row.name);
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
