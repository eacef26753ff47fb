import { sql } from 'kysely';
import type { DatabaseExecutor } from '../../storage/storage.js';
import type { LocalIdentity, RoleWithGrants } from './access-evaluation.js';

/**
 * What the access report reads: whether the named object exists (and, for a store, where it lives), every
 * role with its grants and claims, and every local user. Roles and users are few, so reading them whole is
 * cheaper than mirroring the evaluator in SQL, and keeps one evaluator.
 */
export async function pamProviderExists(db: DatabaseExecutor, id: number): Promise<boolean> {
  const row = await db.selectFrom('pam_providers').select('id').where('id', '=', id).executeTakeFirst();
  return row !== undefined;
}

export async function localEntryExists(
  db: DatabaseExecutor,
  providerId: number,
  secretName: string,
): Promise<boolean> {
  const row = await db
    .selectFrom('local_entries')
    .select('id')
    .where('provider_id', '=', providerId)
    .where('secret_name', '=', secretName)
    .executeTakeFirst();
  return row !== undefined;
}

export async function containerExists(db: DatabaseExecutor, id: number): Promise<boolean> {
  const row = await db
    .selectFrom('certificate_store_containers')
    .select('id')
    .where('id', '=', id)
    .executeTakeFirst();
  return row !== undefined;
}

/** The store's container (null outside any container), or undefined when there is no such store. */
export async function storeContainer(db: DatabaseExecutor, id: string): Promise<number | null | undefined> {
  const row = await db
    .selectFrom('certificate_stores')
    .select('container_id')
    .where(sql<string>`lower(id)`, '=', id.toLowerCase())
    .executeTakeFirst();
  return row === undefined ? undefined : row.container_id;
}

export async function allRolesWithGrants(db: DatabaseExecutor): Promise<RoleWithGrants[]> {
  const [roles, permissions, claims] = await Promise.all([
    db.selectFrom('roles').select(['id', 'name']).orderBy('name').orderBy('id').execute(),
    db.selectFrom('role_permissions').select(['role_id', 'permission']).orderBy('permission').execute(),
    db
      .selectFrom('role_claim_links')
      .innerJoin('security_claims', 'security_claims.id', 'role_claim_links.claim_id')
      .select(['role_id', 'claim_type', 'claim_value', 'provider_scheme'])
      .orderBy('security_claims.id')
      .execute(),
  ]);
  return roles.map((role) => ({
    id: role.id,
    name: role.name,
    permissions: permissions.filter((row) => row.role_id === role.id).map((row) => row.permission),
    claims: claims
      .filter((row) => row.role_id === role.id)
      .map((row) => ({
        claimType: row.claim_type,
        claimValue: row.claim_value,
        providerScheme: row.provider_scheme,
      })),
  }));
}

export async function allLocalIdentities(db: DatabaseExecutor): Promise<LocalIdentity[]> {
  const rows = await db.selectFrom('users').select(['username', 'groups_json']).orderBy('username').execute();
  return rows.map((row) => ({ username: row.username, groups: JSON.parse(row.groups_json) as string[] }));
}
