import { AppError, conflictError, notFoundError } from '../../errors/app-error.js';
import type { DatabaseTransaction, Storage } from '../../storage/storage.js';
import { isUniqueViolation } from '../../storage/storage.js';
import type { AuditWriter } from '../audit/audit-writer.js';
import type { Actor } from './actor.js';
import { hashPassword } from './authenticator.js';
import { globalPermissionSetId } from './admin-bootstrap.js';
import { lockPermissionSet, someUserHoldsRoot } from './role-repository.js';
import type { UserRecord } from './user-repository.js';
import { deleteUser, findUserByName, insertUser, listUsers, updateUser } from './user-repository.js';

export interface UserService {
  list(): Promise<UserRecord[]>;
  get(username: string): Promise<UserRecord>;
  create(actor: Actor, input: { username: string; password: string; groups: string[] }): Promise<UserRecord>;
  update(
    actor: Actor,
    username: string,
    input: { username?: string; password?: string | null; groups?: string[] },
  ): Promise<UserRecord>;
  remove(actor: Actor, username: string): Promise<void>;
}

export function createUserService(dependencies: {
  storage: Storage;
  audit: AuditWriter;
  now: () => Date;
}): UserService {
  const { storage, audit, now } = dependencies;

  async function requireUser(username: string): Promise<UserRecord> {
    const user = await findUserByName(storage.db, username);
    if (user === undefined) throw notFoundError(`User '${username}' was not found`);
    return user;
  }

  return {
    list: () => listUsers(storage.db),
    get: requireUser,

    async create(actor, input) {
      // Hashing is slow, so it happens before the transaction opens.
      const passwordHash = await hashPassword(input.password);
      try {
        return await storage.transaction(async (tx) => {
          const user = await insertUser(tx, {
            username: input.username,
            passwordHash,
            groups: dedupe(input.groups),
            now: now().toISOString(),
          });
          await audit.record(tx, {
            actor: actor.username,
            category: 'User',
            operation: 'Created',
            entityType: 'User',
            auditIdentifier: user.username,
            immutableIdentifier: String(user.id),
            details: { groups: user.groups },
          });
          return user;
        });
      } catch (error) {
        if (isUniqueViolation(error)) throw conflictError(`A user named '${input.username}' already exists`);
        throw error;
      }
    },

    async update(actor, username, input) {
      if (input.username !== undefined && input.username.toLowerCase() !== username.toLowerCase()) {
        throw new AppError(
          'validation',
          `'Username' in the body ('${input.username}') does not match the path ('${username}')`,
        );
      }
      const existing = await requireUser(username);
      const passwordHash =
        input.password === undefined || input.password === null
          ? undefined
          : await hashPassword(input.password);
      const groups = input.groups === undefined ? existing.groups : dedupe(input.groups);
      await storage.transaction(async (tx) => {
        await lockPermissionSet(tx, globalPermissionSetId);
        await updateUser(tx, existing.id, { passwordHash, groups, now: now().toISOString() });
        await requireSomeAdministrator(tx);
        await audit.record(tx, {
          actor: actor.username,
          category: 'User',
          operation: 'Updated',
          entityType: 'User',
          auditIdentifier: existing.username,
          immutableIdentifier: String(existing.id),
          details: { passwordChanged: passwordHash !== undefined, groups },
        });
      });
      return requireUser(existing.username);
    },

    async remove(actor, username) {
      const existing = await requireUser(username);
      if (existing.username.toLowerCase() === actor.username.toLowerCase()) {
        throw conflictError('You cannot delete the account you are signed in with');
      }
      await storage.transaction(async (tx) => {
        await lockPermissionSet(tx, globalPermissionSetId);
        await deleteUser(tx, existing.id);
        await requireSomeAdministrator(tx);
        await audit.record(tx, {
          actor: actor.username,
          category: 'User',
          operation: 'Deleted',
          entityType: 'User',
          auditIdentifier: existing.username,
          immutableIdentifier: String(existing.id),
        });
      });
    },
  };
}

/**
 * Refuses a change that would leave no user holding `/`, which would lock every operator out. Callers take
 * the permission-set lock first so two concurrent changes cannot each remove one of the last two holders.
 */
async function requireSomeAdministrator(tx: DatabaseTransaction): Promise<void> {
  if (!(await someUserHoldsRoot(tx))) {
    throw conflictError(
      'This change would leave no user holding the permission /; grant it to another user first',
    );
  }
}

function dedupe(values: readonly string[]): string[] {
  return [...new Set(values)];
}
