import type { DatabaseExecutor } from '../../storage/storage.js';
import type { ActorClaim } from '../security/actor.js';

export interface SignInAttempt {
  stateHash: string;
  providerId: string;
  nonce: string;
  codeChallenge: string;
  expiresAt: string;
}

export async function insertSignInAttempt(db: DatabaseExecutor, attempt: SignInAttempt): Promise<void> {
  await db
    .insertInto('portal_sign_in_attempts')
    .values({
      state_hash: attempt.stateHash,
      provider_id: attempt.providerId,
      nonce: attempt.nonce,
      code_challenge: attempt.codeChallenge,
      expires_at: attempt.expiresAt,
    })
    .execute();
}

/** Deletes and returns the attempt in one statement, so two callbacks with one state cannot both use it. */
export async function takeSignInAttempt(
  db: DatabaseExecutor,
  stateHash: string,
): Promise<SignInAttempt | undefined> {
  const row = await db
    .deleteFrom('portal_sign_in_attempts')
    .where('state_hash', '=', stateHash)
    .returningAll()
    .executeTakeFirst();
  if (row === undefined) return undefined;
  return {
    stateHash: row.state_hash,
    providerId: row.provider_id,
    nonce: row.nonce,
    codeChallenge: row.code_challenge,
    expiresAt: row.expires_at,
  };
}

/** Attempts nobody came back from: swept at each new start so the table stays small. */
export async function deleteExpiredSignInAttempts(db: DatabaseExecutor, now: string): Promise<void> {
  await db.deleteFrom('portal_sign_in_attempts').where('expires_at', '<', now).execute();
}

export interface ExternalSessionRecord {
  idHash: string;
  providerId: string;
  subject: string;
  displayName: string;
  claims: ActorClaim[];
  createdAt: string;
  lastSeenAt: string;
}

export async function insertExternalSession(
  db: DatabaseExecutor,
  session: Omit<ExternalSessionRecord, 'lastSeenAt'>,
): Promise<void> {
  await db
    .insertInto('portal_external_sessions')
    .values({
      id_hash: session.idHash,
      provider_id: session.providerId,
      subject: session.subject,
      display_name: session.displayName,
      claims_json: JSON.stringify(session.claims),
      created_at: session.createdAt,
      last_seen_at: session.createdAt,
    })
    .execute();
}

export async function findExternalSession(
  db: DatabaseExecutor,
  idHash: string,
): Promise<ExternalSessionRecord | undefined> {
  const row = await db
    .selectFrom('portal_external_sessions')
    .selectAll()
    .where('id_hash', '=', idHash)
    .executeTakeFirst();
  if (row === undefined) return undefined;
  return {
    idHash: row.id_hash,
    providerId: row.provider_id,
    subject: row.subject,
    displayName: row.display_name,
    claims: JSON.parse(row.claims_json) as ActorClaim[],
    createdAt: row.created_at,
    lastSeenAt: row.last_seen_at,
  };
}

export async function touchExternalSession(db: DatabaseExecutor, idHash: string, now: string): Promise<void> {
  await db
    .updateTable('portal_external_sessions')
    .set({ last_seen_at: now })
    .where('id_hash', '=', idHash)
    .execute();
}

export async function deleteExternalSession(db: DatabaseExecutor, idHash: string): Promise<boolean> {
  const result = await db
    .deleteFrom('portal_external_sessions')
    .where('id_hash', '=', idHash)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}
