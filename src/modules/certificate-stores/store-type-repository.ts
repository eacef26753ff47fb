import { sql } from 'kysely';
import type { ListRequest, ListSpec } from '../../storage/list-query.js';
import { applyListRequest } from '../../storage/list-query.js';
import type { DatabaseExecutor } from '../../storage/storage.js';
import type { StoreTypeDefinition, StoreTypeRecord } from './store-type-model.js';

/** Keyfactor numbers custom store types from 102 up; lower numbers belong to built-in types. */
const firstCustomStoreTypeId = 102;

const storeTypeListSpec: ListSpec = {
  fields: {
    StoreType: { column: 'store_type', type: 'integer' },
    Name: { column: 'name', type: 'string' },
    ShortName: { column: 'short_name', type: 'string' },
  },
  defaultSort: 'Name',
  tieBreaker: 'store_type',
};

type StoreTypeRow = {
  store_type: number;
  name: string;
  short_name: string;
  is_builtin: number;
  definition_json: string;
};

function toRecord(row: StoreTypeRow): StoreTypeRecord {
  return {
    storeType: row.store_type,
    name: row.name,
    shortName: row.short_name,
    isBuiltin: row.is_builtin === 1,
    definition: JSON.parse(row.definition_json) as StoreTypeDefinition,
  };
}

function toRow(record: StoreTypeRecord) {
  return {
    store_type: record.storeType,
    name: record.name,
    short_name: record.shortName,
    is_builtin: record.isBuiltin ? 1 : 0,
    private_key_allowed: record.definition.privateKeyAllowed,
    add_supported: record.definition.supportedOperations.add ? 1 : 0,
    remove_supported: record.definition.supportedOperations.remove ? 1 : 0,
    definition_json: JSON.stringify(record.definition),
  };
}

const columns = ['store_type', 'name', 'short_name', 'is_builtin', 'definition_json'] as const;

export async function listStoreTypes(db: DatabaseExecutor, request: ListRequest): Promise<StoreTypeRecord[]> {
  const query = db.selectFrom('certificate_store_types').select(columns);
  const rows = await applyListRequest(query, request, storeTypeListSpec).execute();
  return rows.map(toRecord);
}

export async function findStoreType(
  db: DatabaseExecutor,
  storeType: number,
): Promise<StoreTypeRecord | undefined> {
  const row = await db
    .selectFrom('certificate_store_types')
    .select(columns)
    .where('store_type', '=', storeType)
    .executeTakeFirst();
  return row === undefined ? undefined : toRecord(row);
}

export async function findStoreTypesByShortName(
  db: DatabaseExecutor,
  shortName: string,
): Promise<StoreTypeRecord[]> {
  const rows = await db
    .selectFrom('certificate_store_types')
    .select(columns)
    .where(sql<string>`lower(short_name)`, '=', shortName.toLowerCase())
    .orderBy('store_type')
    .execute();
  return rows.map(toRecord);
}

export async function findStoreTypeIdByName(db: DatabaseExecutor, name: string): Promise<number | undefined> {
  const row = await db
    .selectFrom('certificate_store_types')
    .select('store_type')
    .where(sql<string>`lower(name)`, '=', name.toLowerCase())
    .executeTakeFirst();
  return row?.store_type;
}

export async function nextCustomStoreTypeId(db: DatabaseExecutor): Promise<number> {
  const row = await db
    .selectFrom('certificate_store_types')
    .select((eb) => eb.fn.max('store_type').as('highest'))
    .executeTakeFirst();
  const highest = row?.highest ?? null;
  return highest === null ? firstCustomStoreTypeId : Math.max(firstCustomStoreTypeId, Number(highest) + 1);
}

/** Returns whether a row was written; with skipIfPresent an existing id or name leaves everything as it is. */
export async function insertStoreType(
  db: DatabaseExecutor,
  record: StoreTypeRecord,
  options: { skipIfPresent?: boolean } = {},
): Promise<boolean> {
  let insert = db.insertInto('certificate_store_types').values(toRow(record));
  if (options.skipIfPresent === true) insert = insert.onConflict((conflict) => conflict.doNothing());
  const result = await insert.executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
}

export async function updateStoreType(db: DatabaseExecutor, record: StoreTypeRecord): Promise<void> {
  const { store_type: storeType, ...changes } = toRow(record);
  await db.updateTable('certificate_store_types').set(changes).where('store_type', '=', storeType).execute();
}

export async function deleteStoreType(db: DatabaseExecutor, storeType: number): Promise<boolean> {
  const result = await db
    .deleteFrom('certificate_store_types')
    .where('store_type', '=', storeType)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

export async function countStoresOfType(db: DatabaseExecutor, storeType: number): Promise<number> {
  const row = await db
    .selectFrom('certificate_stores')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('cert_store_type', '=', storeType)
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

export async function countContainersOfType(db: DatabaseExecutor, storeType: number): Promise<number> {
  const row = await db
    .selectFrom('certificate_store_containers')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('cert_store_type', '=', storeType)
    .executeTakeFirstOrThrow();
  return Number(row.count);
}
