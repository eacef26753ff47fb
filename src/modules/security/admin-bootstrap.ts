import { randomBytes } from 'node:crypto';
import type { AuditWriter } from '../audit/audit-writer.js';
import type { Storage } from '../../storage/storage.js';
import { isUniqueViolation } from '../../storage/storage.js';
import { hashPassword } from './authenticator.js';
import { ensurePermissionSet, insertRole } from './role-repository.js';
import { countUsers, insertUser } from './user-repository.js';

/** Keyfactor has a "Global" permission set by default; new roles name it by id. */
export const globalPermissionSetId = '9d3bd3b6-1c3b-4bd5-8b2a-0f7a3f4b1a01';
export const administratorRoleName = 'Administrator';

export interface BootstrapResult {
  username: string;
  generatedPassword: string | undefined;
}

/**
 * On the first start of an empty database, creates the administrator (from configuration, or with a
 * generated password shown once) and a role holding `/` for it. Returns undefined when users exist.
 */
export async function bootstrapAdministrator(options: {
  storage: Storage;
  audit: AuditWriter;
  admin: { username: string; password: string } | undefined;
  now: () => Date;
}): Promise<BootstrapResult | undefined> {
  const { storage } = options;
  await ensurePermissionSet(storage.db, globalPermissionSetId, 'Global').catch((error: unknown) => {
    if (!isUniqueViolation(error)) throw error;
  });
  if ((await countUsers(storage.db)) > 0) return undefined;

  const username = options.admin?.username ?? 'admin';
  const generatedPassword = options.admin === undefined ? randomBytes(18).toString('base64url') : undefined;
  const passwordHash = await hashPassword(options.admin?.password ?? generatedPassword ?? '');
  try {
    await storage.transaction(async (tx) => {
      const now = options.now().toISOString();
      const user = await insertUser(tx, { username, passwordHash, groups: [], now });
      const roleId = await insertRole(tx, {
        name: administratorRoleName,
        description: 'Holds every permission. Created on first start.',
        emailAddress: null,
        permissionSetId: globalPermissionSetId,
        permissions: ['/'],
        claims: [
          {
            claimType: 'User',
            claimValue: username,
            providerScheme: 'Basic',
            description: 'First administrator',
          },
        ],
        immutable: false,
      });
      await options.audit.record(tx, {
        actor: 'Strongroom',
        category: 'User',
        operation: 'Created',
        entityType: 'User',
        auditIdentifier: username,
        immutableIdentifier: String(user.id),
        details: { reason: 'first start', role: administratorRoleName, roleId },
      });
    });
  } catch (error) {
    // Another node bootstrapped the same empty database a moment earlier; its administrator stands.
    if (isUniqueViolation(error)) return undefined;
    throw error;
  }
  return { username, generatedPassword };
}
