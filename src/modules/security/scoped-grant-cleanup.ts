import type { DatabaseTransaction } from '../../storage/storage.js';
import type { AuditWriter } from '../audit/audit-writer.js';
import type { Actor } from './actor.js';
import { scopedPermissionBases } from './permission-catalog.js';
import { deleteGrantsOf } from './role-repository.js';

/**
 * Removes every grant scoped to a deleted PAM provider or container (`/pam/read/7/`,
 * `/certificate_stores/modify/7/`, ...) from every role, inside the deleting transaction, with one Security Role
 * entry per role that lost grants. Left behind, such a grant would silently apply to whatever object is later
 * created under the same id.
 */
export async function removeScopedGrants(
  tx: DatabaseTransaction,
  audit: AuditWriter,
  actor: Actor,
  object: { area: 'pam' | 'certificate_stores'; id: number; description: string },
): Promise<void> {
  const permissions = scopedPermissionBases
    .filter((base) => base.startsWith(`/${object.area}/`))
    .map((base) => `${base}${object.id}/`);
  const removed = await deleteGrantsOf(tx, permissions);
  for (const role of removed) {
    await audit.record(tx, {
      actor: actor.username,
      category: 'SecurityRole',
      operation: 'Updated',
      entityType: 'SecurityRole',
      auditIdentifier: role.roleName,
      immutableIdentifier: String(role.roleId),
      details: { removedPermissions: role.permissions, reason: `${object.description} was deleted` },
    });
  }
}
