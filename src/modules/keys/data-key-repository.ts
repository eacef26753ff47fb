import type { DatabaseExecutor, DatabaseTransaction } from '../../storage/storage.js';

export interface DataKeyRecord {
  keyVersion: number;
  wrappedKey: Buffer;
  createdAt: string;
}

export interface RewrapLeaseRecord {
  holder: string | null;
  leaseUntil: string | null;
  targetVersion: number | null;
  startedAt: string | null;
  rowsRewrapped: number;
  finishedAt: string | null;
}

const masterKeyCheckName = 'master_key_check';
/**
 * Keys derived from the first master key whose output is stored (audit MACs, OAuth client secret hashes), so
 * they must outlive a master-key rotation. Each is derived from the master key until the first rotation;
 * from then on it is kept in `strongroom_meta` under its name, wrapped under the current master key.
 */
export const persistentPurposeKeys = [
  { purpose: 'audit-mac', metaName: 'audit_mac_key_wrapped' },
  { purpose: 'oauth-client-secret', metaName: 'oauth_client_secret_key_wrapped' },
] as const;

export type PersistentPurpose = (typeof persistentPurposeKeys)[number]['purpose'];

export async function listDataKeys(db: DatabaseExecutor): Promise<DataKeyRecord[]> {
  const rows = await db.selectFrom('data_keys').selectAll().orderBy('key_version').execute();
  return rows.map((row) => ({
    keyVersion: Number(row.key_version),
    wrappedKey: Buffer.from(row.wrapped_key),
    createdAt: row.created_at,
  }));
}

export async function insertDataKey(tx: DatabaseTransaction, record: DataKeyRecord): Promise<void> {
  await tx
    .insertInto('data_keys')
    .values({ key_version: record.keyVersion, wrapped_key: record.wrappedKey, created_at: record.createdAt })
    .execute();
}

export async function replaceWrappedKey(
  tx: DatabaseTransaction,
  keyVersion: number,
  wrappedKey: Buffer,
): Promise<void> {
  await tx
    .updateTable('data_keys')
    .set({ wrapped_key: wrappedKey })
    .where('key_version', '=', keyVersion)
    .execute();
}

export async function deleteDataKey(tx: DatabaseTransaction, keyVersion: number): Promise<void> {
  await tx.deleteFrom('data_keys').where('key_version', '=', keyVersion).execute();
}

export async function readMeta(db: DatabaseExecutor, key: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('strongroom_meta')
    .select('value')
    .where('key', '=', key)
    .executeTakeFirst();
  return row?.value;
}

export async function writeMeta(tx: DatabaseTransaction, key: string, value: string): Promise<void> {
  await tx
    .insertInto('strongroom_meta')
    .values({ key, value })
    .onConflict((conflict) => conflict.column('key').doUpdateSet({ value }))
    .execute();
}

export function readMasterKeyCheck(db: DatabaseExecutor): Promise<string | undefined> {
  return readMeta(db, masterKeyCheckName);
}

export function writeMasterKeyCheck(tx: DatabaseTransaction, value: string): Promise<void> {
  return writeMeta(tx, masterKeyCheckName, value);
}

export async function readRewrapLease(db: DatabaseExecutor): Promise<RewrapLeaseRecord> {
  const row = await db
    .selectFrom('key_rewrap_lease')
    .selectAll()
    .where('id', '=', 1)
    .executeTakeFirstOrThrow();
  return {
    holder: row.holder,
    leaseUntil: row.lease_until,
    targetVersion: row.target_version === null ? null : Number(row.target_version),
    startedAt: row.started_at,
    rowsRewrapped: Number(row.rows_rewrapped),
    finishedAt: row.finished_at,
  };
}

/**
 * Takes the lease if nobody holds it or the holder's lease ran out (a rewrap killed with kill -9 never
 * releases it). One conditional update, so two rewraps starting at once cannot both win.
 */
export async function acquireRewrapLease(
  db: DatabaseExecutor,
  lease: { holder: string; now: string; leaseUntil: string; targetVersion: number; resume: boolean },
): Promise<boolean> {
  const result = await db
    .updateTable('key_rewrap_lease')
    .set((eb) => ({
      holder: lease.holder,
      lease_until: lease.leaseUntil,
      target_version: lease.targetVersion,
      finished_at: null,
      // A run for the same target continues the count of the run it resumes.
      started_at: lease.resume ? eb.fn.coalesce('started_at', eb.val(lease.now)) : lease.now,
      rows_rewrapped: lease.resume ? eb.ref('rows_rewrapped') : eb.val(0),
    }))
    .where('id', '=', 1)
    .where((eb) => eb.or([eb('holder', 'is', null), eb('lease_until', '<', lease.now)]))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Extends the lease and adds to the count; false when the lease was lost (it ran out and another took it). */
export async function renewRewrapLease(
  tx: DatabaseTransaction,
  lease: { holder: string; leaseUntil: string; rowsAdded: number },
): Promise<boolean> {
  const result = await tx
    .updateTable('key_rewrap_lease')
    .set((eb) => ({
      lease_until: lease.leaseUntil,
      rows_rewrapped: eb('rows_rewrapped', '+', lease.rowsAdded),
    }))
    .where('id', '=', 1)
    .where('holder', '=', lease.holder)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function releaseRewrapLease(
  db: DatabaseExecutor,
  release: { holder: string; finishedAt: string | null },
): Promise<void> {
  await db
    .updateTable('key_rewrap_lease')
    .set({ holder: null, lease_until: null, finished_at: release.finishedAt })
    .where('id', '=', 1)
    .where('holder', '=', release.holder)
    .execute();
}
