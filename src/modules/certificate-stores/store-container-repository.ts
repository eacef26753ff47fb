import { sql } from 'kysely';
import type { ListRequest, ListSpec } from '../../storage/list-query.js';
import { applyListRequest } from '../../storage/list-query.js';
import type { DatabaseExecutor } from '../../storage/storage.js';
import type { PermissionScope } from '../security/permission-evaluator.js';

export interface ContainerRecord {
  id: number;
  name: string;
  /** Null until the first store placed in the container gives it that store's type. */
  certStoreType: number | null;
  overwriteSchedules: boolean;
  schedule: unknown;
  storeCount: number;
}

export type ContainerFields = Omit<ContainerRecord, 'id' | 'storeCount'>;

const storeCount = sql<number>`(select count(*) from certificate_stores where certificate_stores.container_id = certificate_store_containers.id)`;

/** The query fields Keyfactor documents for containers. */
const containerListSpec: ListSpec = {
  fields: {
    Id: { column: 'certificate_store_containers.id', type: 'integer' },
    Name: { column: 'certificate_store_containers.name', type: 'string' },
    CertStoreType: { column: 'certificate_store_containers.cert_store_type', type: 'integer' },
    HasSchedule: { column: 'certificate_store_containers.has_schedule', type: 'boolean' },
  },
  defaultSort: 'Name',
  tieBreaker: 'certificate_store_containers.id',
};

function baseQuery(db: DatabaseExecutor) {
  return db
    .selectFrom('certificate_store_containers')
    .select([
      'id',
      'name',
      'cert_store_type',
      'overwrite_schedules',
      'schedule_json',
      storeCount.as('store_count'),
    ]);
}

type ContainerRow = Awaited<ReturnType<ReturnType<typeof baseQuery>['executeTakeFirstOrThrow']>>;

function toRecord(row: ContainerRow): ContainerRecord {
  return {
    id: row.id,
    name: row.name,
    certStoreType: row.cert_store_type,
    overwriteSchedules: row.overwrite_schedules === 1,
    schedule: row.schedule_json === null ? null : (JSON.parse(row.schedule_json) as unknown),
    storeCount: Number(row.store_count),
  };
}

function toRow(fields: ContainerFields) {
  return {
    name: fields.name,
    cert_store_type: fields.certStoreType,
    overwrite_schedules: fields.overwriteSchedules ? 1 : 0,
    schedule_json: fields.schedule === null ? null : JSON.stringify(fields.schedule),
    has_schedule: fields.schedule === null ? 0 : 1,
  };
}

export async function listContainers(
  db: DatabaseExecutor,
  request: ListRequest,
  scope: PermissionScope,
): Promise<ContainerRecord[]> {
  let query = baseQuery(db);
  if (!scope.all) {
    const ids = [...scope.objectIds];
    if (ids.length === 0) return [];
    query = query.where('id', 'in', ids);
  }
  const rows = await applyListRequest(query, request, containerListSpec).execute();
  return rows.map(toRecord);
}

export async function findContainer(db: DatabaseExecutor, id: number): Promise<ContainerRecord | undefined> {
  const row = await baseQuery(db).where('id', '=', id).executeTakeFirst();
  return row === undefined ? undefined : toRecord(row);
}

export async function findContainerIdByName(db: DatabaseExecutor, name: string): Promise<number | undefined> {
  const row = await db
    .selectFrom('certificate_store_containers')
    .select('id')
    .where(sql<string>`lower(name)`, '=', name.toLowerCase())
    .executeTakeFirst();
  return row?.id;
}

export async function insertContainer(db: DatabaseExecutor, fields: ContainerFields): Promise<number> {
  const row = await db
    .insertInto('certificate_store_containers')
    .values(toRow(fields))
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export async function updateContainer(
  db: DatabaseExecutor,
  id: number,
  fields: ContainerFields,
): Promise<void> {
  await db.updateTable('certificate_store_containers').set(toRow(fields)).where('id', '=', id).execute();
}

export async function deleteContainer(db: DatabaseExecutor, id: number): Promise<boolean> {
  const result = await db.deleteFrom('certificate_store_containers').where('id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

export async function countStoresOfOtherTypes(
  db: DatabaseExecutor,
  containerId: number,
  certStoreType: number,
): Promise<number> {
  const row = await db
    .selectFrom('certificate_stores')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('container_id', '=', containerId)
    .where('cert_store_type', '<>', certStoreType)
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

/**
 * Gives an untyped container the type of the store being placed in it, inside the placing transaction. The
 * update waits for any concurrent placement; reading the type back afterwards tells whether this store's
 * type is the one the container now holds.
 */
export async function claimContainerType(
  db: DatabaseExecutor,
  containerId: number,
  certStoreType: number,
): Promise<boolean> {
  await db
    .updateTable('certificate_store_containers')
    .set({ cert_store_type: certStoreType })
    .where('id', '=', containerId)
    .where('cert_store_type', 'is', null)
    .execute();
  const row = await db
    .selectFrom('certificate_store_containers')
    .select('cert_store_type')
    .where('id', '=', containerId)
    .executeTakeFirst();
  return row?.cert_store_type === certStoreType;
}
