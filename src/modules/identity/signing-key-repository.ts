import type { DatabaseExecutor } from '../../storage/storage.js';

export interface SigningKeyRecord {
  kid: string;
  algorithm: string;
  publicJwk: string;
  privateJwkSealed: Buffer;
  createdAt: string;
  retiredAt: string | null;
}

type SigningKeyRow = {
  kid: string;
  algorithm: string;
  public_jwk: string;
  private_jwk_sealed: Buffer;
  created_at: string;
  retired_at: string | null;
};

const toRecord = (row: SigningKeyRow): SigningKeyRecord => ({
  kid: row.kid,
  algorithm: row.algorithm,
  publicJwk: row.public_jwk,
  privateJwkSealed: row.private_jwk_sealed,
  createdAt: row.created_at,
  retiredAt: row.retired_at,
});

/** The key new tokens are signed with: the newest one not retired. */
export async function findActiveSigningKey(db: DatabaseExecutor): Promise<SigningKeyRecord | undefined> {
  const row = await db
    .selectFrom('oauth_signing_keys')
    .selectAll()
    .where('retired_at', 'is', null)
    .orderBy('created_at', 'desc')
    .orderBy('kid', 'desc')
    .executeTakeFirst();
  return row === undefined ? undefined : toRecord(row);
}

/** Keys whose tokens may still be valid: every active key and those retired after `retiredAfter`. */
export async function listPublishedSigningKeys(
  db: DatabaseExecutor,
  retiredAfter: string,
): Promise<SigningKeyRecord[]> {
  const rows = await db
    .selectFrom('oauth_signing_keys')
    .selectAll()
    .where((eb) => eb.or([eb('retired_at', 'is', null), eb('retired_at', '>', retiredAfter)]))
    .orderBy('created_at', 'desc')
    .execute();
  return rows.map(toRecord);
}

export async function insertSigningKey(db: DatabaseExecutor, key: SigningKeyRecord): Promise<void> {
  await db
    .insertInto('oauth_signing_keys')
    .values({
      kid: key.kid,
      algorithm: key.algorithm,
      public_jwk: key.publicJwk,
      private_jwk_sealed: key.privateJwkSealed,
      created_at: key.createdAt,
      retired_at: key.retiredAt,
    })
    .execute();
}

export async function retireActiveSigningKeys(db: DatabaseExecutor, retiredAt: string): Promise<string[]> {
  const rows = await db
    .updateTable('oauth_signing_keys')
    .set({ retired_at: retiredAt })
    .where('retired_at', 'is', null)
    .returning('kid')
    .execute();
  return rows.map((row) => row.kid);
}
