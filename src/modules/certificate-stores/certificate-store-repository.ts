import type { ListRequest, ListSpec } from '../../storage/list-query.js';
import { applyListRequest } from '../../storage/list-query.js';
import type { DatabaseExecutor } from '../../storage/storage.js';
import type { PermissionScope } from '../security/permission-evaluator.js';

export interface StoreRecord {
  id: string;
  containerId: number | null;
  containerName: string | null;
  clientMachine: string;
  storepath: string;
  certStoreType: number;
  approved: boolean;
  createIfMissing: boolean;
  /** Non-secret properties; secret ones live in certificate_store_secrets. */
  properties: Record<string, string>;
  agentId: string | null;
  agentAssigned: boolean;
  inventorySchedule: unknown;
  createdAt: string;
  updatedAt: string;
}

export type StoreFields = Omit<StoreRecord, 'containerName' | 'approved' | 'createdAt' | 'updatedAt'>;

/** The query fields Keyfactor documents for stores, plus CertStoreType and Id, mapped to columns. */
const storeListSpec: ListSpec = {
  fields: {
    Id: { column: 'certificate_stores.id', type: 'guid' },
    AddSupported: { column: 'certificate_store_types.add_supported', type: 'boolean' },
    // Strongroom runs no orchestrators; an assigned agent is the closest it has to an available one.
    AgentAvailable: { column: 'certificate_stores.agent_assigned', type: 'boolean' },
    AgentId: { column: 'certificate_stores.agent_id', type: 'guid', nullable: true },
    Approved: { column: 'certificate_stores.approved', type: 'boolean' },
    Category: { column: 'certificate_stores.cert_store_type', type: 'integer' },
    CertStoreType: { column: 'certificate_stores.cert_store_type', type: 'integer' },
    ClientMachine: { column: 'certificate_stores.client_machine', type: 'string' },
    // A store outside any container has no container row, so its name reads as NULL.
    Container: { column: 'certificate_store_containers.name', type: 'string', nullable: true },
    ContainerId: { column: 'certificate_stores.container_id', type: 'integer', nullable: true },
    HasInventoryScheduled: { column: 'certificate_stores.has_inventory_schedule', type: 'boolean' },
    PrivateKeyAllowed: { column: 'certificate_store_types.private_key_allowed', type: 'integer' },
    RemoveSupported: { column: 'certificate_store_types.remove_supported', type: 'boolean' },
    StorePath: { column: 'certificate_stores.storepath', type: 'string' },
  },
  defaultSort: 'ClientMachine',
  tieBreaker: 'certificate_stores.id',
};

function baseQuery(db: DatabaseExecutor) {
  return db
    .selectFrom('certificate_stores')
    .innerJoin(
      'certificate_store_types',
      'certificate_store_types.store_type',
      'certificate_stores.cert_store_type',
    )
    .leftJoin(
      'certificate_store_containers',
      'certificate_store_containers.id',
      'certificate_stores.container_id',
    )
    .select([
      'certificate_stores.id',
      'certificate_stores.container_id',
      'certificate_store_containers.name as container_name',
      'certificate_stores.client_machine',
      'certificate_stores.storepath',
      'certificate_stores.cert_store_type',
      'certificate_stores.approved',
      'certificate_stores.create_if_missing',
      'certificate_stores.properties_json',
      'certificate_stores.agent_id',
      'certificate_stores.agent_assigned',
      'certificate_stores.inventory_schedule_json',
      'certificate_stores.created_at',
      'certificate_stores.updated_at',
    ]);
}

type StoreRow = Awaited<ReturnType<ReturnType<typeof baseQuery>['executeTakeFirstOrThrow']>>;

function toRecord(row: StoreRow): StoreRecord {
  return {
    id: row.id,
    containerId: row.container_id,
    containerName: row.container_name,
    clientMachine: row.client_machine,
    storepath: row.storepath,
    certStoreType: row.cert_store_type,
    approved: row.approved === 1,
    createIfMissing: row.create_if_missing === 1,
    properties: JSON.parse(row.properties_json) as Record<string, string>,
    agentId: row.agent_id,
    agentAssigned: row.agent_assigned === 1,
    inventorySchedule:
      row.inventory_schedule_json === null ? null : (JSON.parse(row.inventory_schedule_json) as unknown),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** Lists the stores a caller may read: all of them with a global grant, else those in the granted containers. */
export async function listStores(
  db: DatabaseExecutor,
  request: ListRequest,
  scope: PermissionScope,
): Promise<StoreRecord[]> {
  let query = baseQuery(db);
  if (!scope.all) {
    const containerIds = [...scope.objectIds];
    if (containerIds.length === 0) return [];
    query = query.where('certificate_stores.container_id', 'in', containerIds);
  }
  const rows = await applyListRequest(query, request, storeListSpec).execute();
  return rows.map(toRecord);
}

export async function findStore(db: DatabaseExecutor, id: string): Promise<StoreRecord | undefined> {
  const row = await baseQuery(db).where('certificate_stores.id', '=', id).executeTakeFirst();
  return row === undefined ? undefined : toRecord(row);
}

export async function listStoresInContainer(
  db: DatabaseExecutor,
  containerId: number,
): Promise<StoreRecord[]> {
  const rows = await baseQuery(db)
    .where('certificate_stores.container_id', '=', containerId)
    .orderBy('certificate_stores.client_machine')
    .orderBy('certificate_stores.id')
    .execute();
  return rows.map(toRecord);
}

function toRow(fields: StoreFields) {
  return {
    container_id: fields.containerId,
    client_machine: fields.clientMachine,
    storepath: fields.storepath,
    cert_store_type: fields.certStoreType,
    create_if_missing: fields.createIfMissing ? 1 : 0,
    properties_json: JSON.stringify(fields.properties),
    agent_id: fields.agentId,
    agent_assigned: fields.agentAssigned ? 1 : 0,
    inventory_schedule_json:
      fields.inventorySchedule === null ? null : JSON.stringify(fields.inventorySchedule),
    has_inventory_schedule: fields.inventorySchedule === null ? 0 : 1,
  };
}

export async function insertStore(db: DatabaseExecutor, fields: StoreFields, now: string): Promise<void> {
  await db
    .insertInto('certificate_stores')
    .values({ id: fields.id, ...toRow(fields), approved: 1, created_at: now, updated_at: now })
    .execute();
}

export async function updateStore(db: DatabaseExecutor, fields: StoreFields, now: string): Promise<void> {
  await db
    .updateTable('certificate_stores')
    .set({ ...toRow(fields), updated_at: now })
    .where('id', '=', fields.id)
    .execute();
}

export async function touchStore(db: DatabaseExecutor, id: string, now: string): Promise<void> {
  await db.updateTable('certificate_stores').set({ updated_at: now }).where('id', '=', id).execute();
}

export async function moveStores(
  db: DatabaseExecutor,
  ids: readonly string[],
  containerId: number,
  now: string,
): Promise<void> {
  if (ids.length === 0) return;
  await db
    .updateTable('certificate_stores')
    .set({ container_id: containerId, updated_at: now })
    .where('id', 'in', [...ids])
    .execute();
}

export async function setContainerSchedules(
  db: DatabaseExecutor,
  containerId: number,
  schedule: unknown,
  now: string,
): Promise<number> {
  const result = await db
    .updateTable('certificate_stores')
    .set({
      inventory_schedule_json: schedule === null ? null : JSON.stringify(schedule),
      has_inventory_schedule: schedule === null ? 0 : 1,
      updated_at: now,
    })
    .where('container_id', '=', containerId)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export async function deleteStore(db: DatabaseExecutor, id: string): Promise<boolean> {
  const result = await db.deleteFrom('certificate_stores').where('id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}
