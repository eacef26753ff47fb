import type { DatabaseExecutor } from '../../storage/storage.js';

export interface PermissionSetInput {
  id: string;
  name: string;
  permissions: readonly string[];
}

/** The stored permissions of each given set; the Global set has none stored (it holds the catalogue). */
export async function permissionSetPermissions(
  db: DatabaseExecutor,
  ids: readonly string[],
): Promise<Map<string, string[]>> {
  const byId = new Map<string, string[]>(ids.map((id) => [id, []]));
  if (ids.length === 0) return byId;
  const rows = await db
    .selectFrom('permission_set_permissions')
    .select(['permission_set_id', 'permission'])
    .where('permission_set_id', 'in', [...new Set(ids)])
    .orderBy('permission')
    .execute();
  for (const row of rows) byId.get(row.permission_set_id)?.push(row.permission);
  return byId;
}

export async function insertPermissionSet(db: DatabaseExecutor, input: PermissionSetInput): Promise<void> {
  await db.insertInto('permission_sets').values({ id: input.id, name: input.name }).execute();
  await replacePermissionSetPermissions(db, input.id, input.permissions);
}

export async function updatePermissionSet(db: DatabaseExecutor, input: PermissionSetInput): Promise<void> {
  await db.updateTable('permission_sets').set({ name: input.name }).where('id', '=', input.id).execute();
  await replacePermissionSetPermissions(db, input.id, input.permissions);
}

async function replacePermissionSetPermissions(
  db: DatabaseExecutor,
  id: string,
  permissions: readonly string[],
): Promise<void> {
  await db.deleteFrom('permission_set_permissions').where('permission_set_id', '=', id).execute();
  if (permissions.length === 0) return;
  await db
    .insertInto('permission_set_permissions')
    .values(permissions.map((permission) => ({ permission_set_id: id, permission })))
    .execute();
}

export async function deletePermissionSet(db: DatabaseExecutor, id: string): Promise<void> {
  await db.deleteFrom('permission_sets').where('id', '=', id).execute();
}

/** Ids and names of the roles in a set, by name. */
export async function rolesInPermissionSet(
  db: DatabaseExecutor,
  id: string,
): Promise<{ id: number; name: string }[]> {
  return db
    .selectFrom('roles')
    .select(['id', 'name'])
    .where('permission_set_id', '=', id)
    .orderBy('name')
    .execute();
}

/** Display names of the identity providers that give their callers this set. */
export async function identityProvidersUsingPermissionSet(
  db: DatabaseExecutor,
  id: string,
): Promise<string[]> {
  const rows = await db
    .selectFrom('identity_providers')
    .select('display_name')
    .where('permission_set_id', '=', id)
    .orderBy('display_name')
    .execute();
  return rows.map((row) => row.display_name);
}
