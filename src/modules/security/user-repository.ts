import { sql } from 'kysely';
import type { DatabaseExecutor } from '../../storage/storage.js';

export interface UserRecord {
  id: number;
  username: string;
  passwordHash: string;
  groups: string[];
  failedAttempts: number;
  lockedUntil: string | null;
  createdAt: string;
  updatedAt: string;
}

type UserRow = {
  id: number;
  username: string;
  password_hash: string;
  groups_json: string;
  failed_attempts: number;
  locked_until: string | null;
  created_at: string;
  updated_at: string;
};

function toRecord(row: UserRow): UserRecord {
  return {
    id: row.id,
    username: row.username,
    passwordHash: row.password_hash,
    groups: JSON.parse(row.groups_json) as string[],
    failedAttempts: row.failed_attempts,
    lockedUntil: row.locked_until,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export async function findUserByName(
  db: DatabaseExecutor,
  username: string,
): Promise<UserRecord | undefined> {
  const row = await db
    .selectFrom('users')
    .selectAll()
    .where(sql<string>`lower(username)`, '=', username.toLowerCase())
    .executeTakeFirst();
  return row === undefined ? undefined : toRecord(row);
}

export async function listUsers(db: DatabaseExecutor): Promise<UserRecord[]> {
  const rows = await db.selectFrom('users').selectAll().orderBy('username').execute();
  return rows.map(toRecord);
}

export async function countUsers(db: DatabaseExecutor): Promise<number> {
  const row = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

export async function insertUser(
  db: DatabaseExecutor,
  user: { username: string; passwordHash: string; groups: string[]; now: string },
): Promise<UserRecord> {
  const row = await db
    .insertInto('users')
    .values({
      username: user.username,
      password_hash: user.passwordHash,
      groups_json: JSON.stringify(user.groups),
      failed_attempts: 0,
      locked_until: null,
      created_at: user.now,
      updated_at: user.now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toRecord(row);
}

export async function updateUser(
  db: DatabaseExecutor,
  id: number,
  changes: { passwordHash?: string; groups: string[]; now: string },
): Promise<void> {
  await db
    .updateTable('users')
    .set({
      ...(changes.passwordHash === undefined ? {} : { password_hash: changes.passwordHash }),
      groups_json: JSON.stringify(changes.groups),
      updated_at: changes.now,
    })
    .where('id', '=', id)
    .execute();
}

export async function deleteUser(db: DatabaseExecutor, id: number): Promise<void> {
  await db.deleteFrom('users').where('id', '=', id).execute();
}

export async function recordLoginFailure(
  db: DatabaseExecutor,
  id: number,
  failedAttempts: number,
  lockedUntil: string | null,
): Promise<void> {
  await db
    .updateTable('users')
    .set({ failed_attempts: failedAttempts, locked_until: lockedUntil })
    .where('id', '=', id)
    .execute();
}

export async function clearLoginFailures(db: DatabaseExecutor, id: number): Promise<void> {
  await db
    .updateTable('users')
    .set({ failed_attempts: 0, locked_until: null })
    .where('id', '=', id)
    .execute();
}
