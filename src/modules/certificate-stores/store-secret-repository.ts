import type { RawBuilder } from 'kysely';
import { sql } from 'kysely';
import type { DatabaseExecutor } from '../../storage/storage.js';

/** The key of a store's own password among its secrets; property secrets are keyed apart so names never clash. */
export const passwordSecretKey = 'Password';
const propertyKeyPrefix = 'property:';

export const propertySecretKey = (name: string): string => `${propertyKeyPrefix}${name}`;

export function propertyNameOf(secretKey: string): string | undefined {
  return secretKey.startsWith(propertyKeyPrefix) ? secretKey.slice(propertyKeyPrefix.length) : undefined;
}

/** One instance-level parameter of a PAM reference, as it was defined when the reference was saved. */
export interface StoredParameter {
  parameterId: number;
  name: string;
  displayName: string | null;
  dataType: number;
  /** Plain value of an ordinary parameter; null for a secret-typed one, whose value is sealed instead. */
  value: string | null;
  sealedValue?: string;
}

/** A local (LocalDB) provider's reference names its entry through this instance-level parameter. */
export function localEntryNameOf(parameters: readonly StoredParameter[]): string {
  return parameters.find((parameter) => parameter.name.toLowerCase() === 'secretname')?.value ?? '';
}

export interface StoreSecretRecord {
  storeId: string;
  secretKey: string;
  instanceGuid: string;
  /** The sealed value of a secret Strongroom stores itself. */
  valueSealed: Buffer | null;
  /** The PAM provider a referenced secret comes from. */
  providerId: number | null;
  parameters: StoredParameter[];
}

type SecretRow = {
  store_id: string;
  secret_key: string;
  instance_guid: string;
  value_sealed: Buffer | null;
  provider_id: number | null;
  parameters_json: string | null;
};

function toRecord(row: SecretRow): StoreSecretRecord {
  return {
    storeId: row.store_id,
    secretKey: row.secret_key,
    instanceGuid: row.instance_guid,
    valueSealed: row.value_sealed === null ? null : Buffer.from(row.value_sealed),
    providerId: row.provider_id,
    parameters: row.parameters_json === null ? [] : (JSON.parse(row.parameters_json) as StoredParameter[]),
  };
}

export async function listStoreSecrets(
  db: DatabaseExecutor,
  storeIds: readonly string[],
): Promise<StoreSecretRecord[]> {
  if (storeIds.length === 0) return [];
  const rows = await db
    .selectFrom('certificate_store_secrets')
    .selectAll()
    .where('store_id', 'in', [...storeIds])
    .orderBy('store_id')
    .orderBy('secret_key')
    .execute();
  return rows.map(toRecord);
}

export async function findStoreSecret(
  db: DatabaseExecutor,
  storeId: string,
  secretKey: string,
): Promise<StoreSecretRecord | undefined> {
  const row = await db
    .selectFrom('certificate_store_secrets')
    .selectAll()
    .where('store_id', '=', storeId)
    .where('secret_key', '=', secretKey)
    .executeTakeFirst();
  return row === undefined ? undefined : toRecord(row);
}

function secretColumns(record: StoreSecretRecord) {
  return {
    instance_guid: record.instanceGuid,
    value_sealed: record.valueSealed,
    provider_id: record.providerId,
    parameters_json: record.parameters.length === 0 ? null : JSON.stringify(record.parameters),
  };
}

export async function putStoreSecret(db: DatabaseExecutor, record: StoreSecretRecord): Promise<void> {
  const values = secretColumns(record);
  await db
    .insertInto('certificate_store_secrets')
    .values({ store_id: record.storeId, secret_key: record.secretKey, ...values })
    .onConflict((conflict) => conflict.columns(['store_id', 'secret_key']).doUpdateSet(values))
    .execute();
}

/**
 * Writes a store's secret, marks the store changed at `now` and writes the audit entry, in one statement that
 * commits on its own (`Storage.combinesChanges`); true once written. A store deleted meanwhile fails it on
 * its foreign key.
 */
export async function putStoreSecretRecorded(
  db: DatabaseExecutor,
  record: StoreSecretRecord,
  now: string,
  recordedFrom: (source: string) => RawBuilder<unknown>,
): Promise<boolean> {
  const values = secretColumns(record);
  const { rows } = await sql`with put as (
      insert into certificate_store_secrets (store_id, secret_key, instance_guid, value_sealed, provider_id,
        parameters_json)
      values (${record.storeId}, ${record.secretKey}, ${values.instance_guid}, ${values.value_sealed},
        ${values.provider_id}, ${values.parameters_json})
      on conflict (store_id, secret_key) do update set instance_guid = excluded.instance_guid,
        value_sealed = excluded.value_sealed, provider_id = excluded.provider_id,
        parameters_json = excluded.parameters_json
      returning store_id
    ), touched as (
      update certificate_stores set updated_at = ${now} where id in (select store_id from put)
    ), recorded as (${recordedFrom('put')})
    select from put`.execute(db);
  return rows.length > 0;
}

export async function deleteStoreSecret(
  db: DatabaseExecutor,
  storeId: string,
  secretKey: string,
): Promise<void> {
  await db
    .deleteFrom('certificate_store_secrets')
    .where('store_id', '=', storeId)
    .where('secret_key', '=', secretKey)
    .execute();
}
