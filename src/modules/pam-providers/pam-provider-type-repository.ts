import type { DatabaseExecutor } from '../../storage/storage.js';

export interface ProviderTypeParamRecord {
  id: number;
  name: string;
  displayName: string | null;
  dataType: 1 | 2;
  instanceLevel: boolean;
}

export interface ProviderTypeRecord {
  id: string;
  name: string;
  isBuiltin: boolean;
  parameters: ProviderTypeParamRecord[];
}

export interface NewProviderType {
  id: string;
  name: string;
  isBuiltin: boolean;
  createdAt: string;
  parameters: readonly Omit<ProviderTypeParamRecord, 'id'>[];
}

type TypeRow = { id: string; name: string; is_builtin: number };

async function withParameters(db: DatabaseExecutor, rows: readonly TypeRow[]): Promise<ProviderTypeRecord[]> {
  if (rows.length === 0) return [];
  const paramRows = await db
    .selectFrom('pam_provider_type_params')
    .select(['id', 'type_id', 'name', 'display_name', 'data_type', 'instance_level'])
    .where(
      'type_id',
      'in',
      rows.map((row) => row.id),
    )
    .orderBy('position')
    .orderBy('id')
    .execute();
  return rows.map((row) => ({
    id: row.id,
    name: row.name,
    isBuiltin: row.is_builtin === 1,
    parameters: paramRows
      .filter((param) => param.type_id === row.id)
      .map((param) => ({
        id: param.id,
        name: param.name,
        displayName: param.display_name,
        dataType: param.data_type === 2 ? 2 : 1,
        instanceLevel: param.instance_level === 1,
      })),
  }));
}

export async function listProviderTypes(db: DatabaseExecutor): Promise<ProviderTypeRecord[]> {
  const rows = await db
    .selectFrom('pam_provider_types')
    .select(['id', 'name', 'is_builtin'])
    .orderBy('name')
    .orderBy('id')
    .execute();
  return withParameters(db, rows);
}

export async function findProviderTypes(
  db: DatabaseExecutor,
  ids: readonly string[],
): Promise<Map<string, ProviderTypeRecord>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .selectFrom('pam_provider_types')
    .select(['id', 'name', 'is_builtin'])
    .where('id', 'in', [...new Set(ids)])
    .execute();
  const records = await withParameters(db, rows);
  return new Map(records.map((record) => [record.id, record]));
}

export async function findProviderType(
  db: DatabaseExecutor,
  id: string,
): Promise<ProviderTypeRecord | undefined> {
  return (await findProviderTypes(db, [id])).get(id);
}

/**
 * Adds a type and its parameters. With `skipIfPresent`, a type whose id or name already exists is left as it
 * is and false is returned; the parameters are only written by the call that wrote the type row.
 */
export async function insertProviderType(
  db: DatabaseExecutor,
  type: NewProviderType,
  options: { skipIfPresent?: boolean } = {},
): Promise<boolean> {
  const values = {
    id: type.id,
    name: type.name,
    is_builtin: type.isBuiltin ? 1 : 0,
    created_at: type.createdAt,
  };
  const inserted =
    options.skipIfPresent === true
      ? await db
          .insertInto('pam_provider_types')
          .values(values)
          .onConflict((conflict) => conflict.doNothing())
          .returning('id')
          .executeTakeFirst()
      : await db.insertInto('pam_provider_types').values(values).returning('id').executeTakeFirst();
  if (inserted === undefined) return false;
  if (type.parameters.length > 0) {
    await db
      .insertInto('pam_provider_type_params')
      .values(
        type.parameters.map((parameter, position) => ({
          type_id: type.id,
          name: parameter.name,
          display_name: parameter.displayName,
          data_type: parameter.dataType,
          instance_level: parameter.instanceLevel ? 1 : 0,
          position,
        })),
      )
      .execute();
  }
  return true;
}

export async function deleteProviderType(db: DatabaseExecutor, id: string): Promise<void> {
  await db.deleteFrom('pam_provider_types').where('id', '=', id).execute();
}

export async function countProvidersOfType(db: DatabaseExecutor, typeId: string): Promise<number> {
  const row = await db
    .selectFrom('pam_providers')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('type_id', '=', typeId)
    .executeTakeFirstOrThrow();
  return Number(row.count);
}
