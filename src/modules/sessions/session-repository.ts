import type { DatabaseExecutor } from '../../storage/storage.js';

export interface SessionRecord {
  idHash: string;
  userId: number;
  credentialStamp: string;
  createdAt: string;
  lastSeenAt: string;
  /** The user the session belongs to, as stored now. */
  user: { username: string; groups: string[]; passwordHash: string };
}

/** The session and its user in one read: a removed user has no row to join, so the session is gone too. */
export async function findSession(db: DatabaseExecutor, idHash: string): Promise<SessionRecord | undefined> {
  const row = await db
    .selectFrom('portal_sessions')
    .innerJoin('users', 'users.id', 'portal_sessions.user_id')
    .select([
      'portal_sessions.id_hash',
      'portal_sessions.user_id',
      'portal_sessions.credential_stamp',
      'portal_sessions.created_at',
      'portal_sessions.last_seen_at',
      'users.username',
      'users.groups_json',
      'users.password_hash',
    ])
    .where('portal_sessions.id_hash', '=', idHash)
    .executeTakeFirst();
  if (row === undefined) return undefined;
  return {
    idHash: row.id_hash,
    userId: row.user_id,
    credentialStamp: row.credential_stamp,
    createdAt: row.created_at,
    lastSeenAt: row.last_seen_at,
    user: {
      username: row.username,
      groups: JSON.parse(row.groups_json) as string[],
      passwordHash: row.password_hash,
    },
  };
}

export async function insertSession(
  db: DatabaseExecutor,
  session: { idHash: string; userId: number; credentialStamp: string; now: string },
): Promise<void> {
  await db
    .insertInto('portal_sessions')
    .values({
      id_hash: session.idHash,
      user_id: session.userId,
      credential_stamp: session.credentialStamp,
      created_at: session.now,
      last_seen_at: session.now,
    })
    .execute();
}

export async function touchSession(db: DatabaseExecutor, idHash: string, now: string): Promise<void> {
  await db.updateTable('portal_sessions').set({ last_seen_at: now }).where('id_hash', '=', idHash).execute();
}

export async function deleteSession(db: DatabaseExecutor, idHash: string): Promise<boolean> {
  const result = await db.deleteFrom('portal_sessions').where('id_hash', '=', idHash).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** Sessions past either timeout, of one user: swept at that user's next sign-in so the table stays small. */
export async function deleteExpiredSessions(
  db: DatabaseExecutor,
  userId: number,
  limits: { lastSeenBefore: string; createdBefore: string },
): Promise<void> {
  await db
    .deleteFrom('portal_sessions')
    .where('user_id', '=', userId)
    .where((eb) =>
      eb.or([eb('last_seen_at', '<', limits.lastSeenBefore), eb('created_at', '<', limits.createdBefore)]),
    )
    .execute();
}
