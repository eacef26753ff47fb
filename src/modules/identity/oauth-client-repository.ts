import { sql } from 'kysely';
import type { DatabaseExecutor } from '../../storage/storage.js';

export interface OAuthClientRecord {
  id: number;
  clientId: string;
  description: string;
  secretHash: string;
  enabled: boolean;
  createdAt: string;
  updatedAt: string;
}

type OAuthClientRow = {
  id: number;
  client_id: string;
  description: string;
  secret_hash: string;
  enabled: number;
  created_at: string;
  updated_at: string;
};

const toRecord = (row: OAuthClientRow): OAuthClientRecord => ({
  id: row.id,
  clientId: row.client_id,
  description: row.description,
  secretHash: row.secret_hash,
  enabled: row.enabled === 1,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

export async function listOAuthClients(db: DatabaseExecutor): Promise<OAuthClientRecord[]> {
  const rows = await db.selectFrom('oauth_clients').selectAll().orderBy('client_id').orderBy('id').execute();
  return rows.map(toRecord);
}

/** Client ids are matched without regard to case, as their unique index is. */
export async function findOAuthClient(
  db: DatabaseExecutor,
  clientId: string,
): Promise<OAuthClientRecord | undefined> {
  const row = await db
    .selectFrom('oauth_clients')
    .selectAll()
    .where(sql<string>`lower(client_id)`, '=', clientId.toLowerCase())
    .executeTakeFirst();
  return row === undefined ? undefined : toRecord(row);
}

export async function insertOAuthClient(
  db: DatabaseExecutor,
  input: { clientId: string; description: string; secretHash: string; now: string },
): Promise<void> {
  await db
    .insertInto('oauth_clients')
    .values({
      client_id: input.clientId,
      description: input.description,
      secret_hash: input.secretHash,
      enabled: 1,
      created_at: input.now,
      updated_at: input.now,
    })
    .execute();
}

export async function updateOAuthClient(
  db: DatabaseExecutor,
  id: number,
  changes: { description?: string; enabled?: boolean; secretHash?: string; now: string },
): Promise<void> {
  await db
    .updateTable('oauth_clients')
    .set({
      ...(changes.description === undefined ? {} : { description: changes.description }),
      ...(changes.enabled === undefined ? {} : { enabled: changes.enabled ? 1 : 0 }),
      ...(changes.secretHash === undefined ? {} : { secret_hash: changes.secretHash }),
      updated_at: changes.now,
    })
    .where('id', '=', id)
    .execute();
}

export async function deleteOAuthClient(db: DatabaseExecutor, id: number): Promise<void> {
  await db.deleteFrom('oauth_clients').where('id', '=', id).execute();
}
