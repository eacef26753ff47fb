import type { ListRequest, ListSpec } from '../../storage/list-query.js';
import { applyListRequest } from '../../storage/list-query.js';
import type { DatabaseExecutor } from '../../storage/storage.js';
import type { PermissionScope } from '../security/permission-evaluator.js';

/** A stored provider-level value. A sealed value is only ever reported as present, never read here. */
export interface ProviderParamValueRecord {
  id: number;
  paramId: number;
  valueText: string | null;
  hasSealedValue: boolean;
}

export interface ProviderRecord {
  id: number;
  name: string;
  typeId: string;
  area: number;
  securedAreaId: number | null;
  remote: boolean;
  createdAt: string;
  updatedAt: string;
  values: ProviderParamValueRecord[];
}

export interface ProviderFields {
  name: string;
  typeId: string;
  area: number;
  securedAreaId: number | null;
  remote: boolean;
}

/** A value to store for one parameter: text for string parameters, a ciphertext for secret ones. */
export interface ProviderParamValueWrite {
  paramId: number;
  valueText: string | null;
  valueSealed: Buffer | null;
}

const providerListSpec: ListSpec = {
  fields: {
    Area: { column: 'pam_providers.area', type: 'integer' },
    Name: { column: 'pam_providers.name', type: 'string' },
    ProviderType: { column: 'pam_provider_types.name', type: 'string' },
    SecuredAreaId: { column: 'pam_providers.secured_area_id', type: 'integer', nullable: true },
  },
  defaultSort: 'Name',
  tieBreaker: 'pam_providers.id',
};

type ProviderRow = {
  id: number;
  name: string;
  type_id: string;
  area: number;
  secured_area_id: number | null;
  remote: number;
  created_at: string;
  updated_at: string;
};

async function withValues(db: DatabaseExecutor, rows: readonly ProviderRow[]): Promise<ProviderRecord[]> {
  if (rows.length === 0) return [];
  const valueRows = await db
    .selectFrom('pam_provider_param_values')
    .select((eb) => [
      'id',
      'provider_id',
      'param_id',
      'value_text',
      eb.case().when('value_sealed', 'is', null).then(0).else(1).end().as('has_sealed'),
    ])
    .where(
      'provider_id',
      'in',
      rows.map((row) => row.id),
    )
    .orderBy('param_id')
    .execute();
  return rows.map((row) => ({
    id: row.id,
    name: row.name,
    typeId: row.type_id,
    area: row.area,
    securedAreaId: row.secured_area_id,
    remote: row.remote === 1,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    values: valueRows
      .filter((value) => value.provider_id === row.id)
      .map((value) => ({
        id: value.id,
        paramId: value.param_id,
        valueText: value.value_text,
        hasSealedValue: Number(value.has_sealed) === 1,
      })),
  }));
}

const providerColumns = [
  'pam_providers.id',
  'pam_providers.name',
  'pam_providers.type_id',
  'pam_providers.area',
  'pam_providers.secured_area_id',
  'pam_providers.remote',
  'pam_providers.created_at',
  'pam_providers.updated_at',
] as const;

export async function findProvider(db: DatabaseExecutor, id: number): Promise<ProviderRecord | undefined> {
  const row = await db
    .selectFrom('pam_providers')
    .select(providerColumns)
    .where('pam_providers.id', '=', id)
    .executeTakeFirst();
  return row === undefined ? undefined : (await withValues(db, [row]))[0];
}

/** Only what an entry request needs to know about its provider: whether it exists, and its type. */
export async function findProviderTypeId(db: DatabaseExecutor, id: number): Promise<string | undefined> {
  const row = await db.selectFrom('pam_providers').select('type_id').where('id', '=', id).executeTakeFirst();
  return row?.type_id;
}

/** One page of the providers the scope allows, filtered and sorted as the caller asked. */
export async function listProviders(
  db: DatabaseExecutor,
  request: ListRequest,
  scope: PermissionScope,
): Promise<ProviderRecord[]> {
  // SQL has no empty IN list, and an empty scope can see nothing anyway.
  if (!scope.all && scope.objectIds.size === 0) return [];
  let query = db
    .selectFrom('pam_providers')
    .innerJoin('pam_provider_types', 'pam_provider_types.id', 'pam_providers.type_id')
    .select(providerColumns);
  if (!scope.all) query = query.where('pam_providers.id', 'in', [...scope.objectIds]);
  const rows = await applyListRequest(query, request, providerListSpec).execute();
  return withValues(db, rows);
}

export async function insertProvider(
  db: DatabaseExecutor,
  fields: ProviderFields,
  now: string,
): Promise<number> {
  const row = await db
    .insertInto('pam_providers')
    .values({
      name: fields.name,
      type_id: fields.typeId,
      area: fields.area,
      secured_area_id: fields.securedAreaId,
      remote: fields.remote ? 1 : 0,
      created_at: now,
      updated_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export async function updateProvider(
  db: DatabaseExecutor,
  id: number,
  fields: Omit<ProviderFields, 'typeId'>,
  now: string,
): Promise<void> {
  await db
    .updateTable('pam_providers')
    .set({
      name: fields.name,
      area: fields.area,
      secured_area_id: fields.securedAreaId,
      remote: fields.remote ? 1 : 0,
      updated_at: now,
    })
    .where('id', '=', id)
    .execute();
}

/**
 * Makes the provider's stored values exactly `writes` plus the untouched `keptParamIds`; every other value
 * is removed, which is what Keyfactor's full-replace PUT means.
 */
export async function replaceProviderValues(
  db: DatabaseExecutor,
  providerId: number,
  writes: readonly ProviderParamValueWrite[],
  keptParamIds: readonly number[],
): Promise<void> {
  const retained = [...writes.map((write) => write.paramId), ...keptParamIds];
  let removal = db.deleteFrom('pam_provider_param_values').where('provider_id', '=', providerId);
  if (retained.length > 0) removal = removal.where('param_id', 'not in', retained);
  await removal.execute();
  for (const write of writes) {
    await db
      .insertInto('pam_provider_param_values')
      .values({
        provider_id: providerId,
        param_id: write.paramId,
        value_text: write.valueText,
        value_sealed: write.valueSealed,
      })
      .onConflict((conflict) =>
        conflict.columns(['provider_id', 'param_id']).doUpdateSet({
          value_text: write.valueText,
          value_sealed: write.valueSealed,
        }),
      )
      .execute();
  }
}

export async function deleteProvider(db: DatabaseExecutor, id: number): Promise<void> {
  await db.deleteFrom('pam_providers').where('id', '=', id).execute();
}

/** What still points at a provider: its local entries and the certificate-store secrets that use it. */
export async function countProviderReferences(
  db: DatabaseExecutor,
  id: number,
): Promise<{ localEntries: number; storeSecrets: number }> {
  const entries = await db
    .selectFrom('local_entries')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('provider_id', '=', id)
    .executeTakeFirstOrThrow();
  const secrets = await db
    .selectFrom('certificate_store_secrets')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('provider_id', '=', id)
    .executeTakeFirstOrThrow();
  return { localEntries: Number(entries.count), storeSecrets: Number(secrets.count) };
}
