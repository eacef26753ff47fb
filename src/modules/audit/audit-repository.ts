import type { DatabaseExecutor, DatabaseTransaction } from '../../storage/storage.js';
import type { ChainedAuditFields } from './audit-chain.js';

/**
 * Moves the chain head forward by one and returns the claimed sequence with the hash it must link to.
 * The UPDATE takes the head row's lock, so concurrent writers queue here until the holder commits.
 */
export async function claimNextSequence(
  tx: DatabaseTransaction,
): Promise<{ sequence: number; previousHash: string | undefined }> {
  const claimed = await tx
    .updateTable('audit_head')
    .set((eb) => ({ sequence: eb('sequence', '+', 1) }))
    .where('id', '=', 1)
    .returning(['sequence', 'entry_hash'])
    .executeTakeFirstOrThrow();
  return {
    sequence: claimed.sequence,
    previousHash: claimed.entry_hash === '' ? undefined : claimed.entry_hash,
  };
}

export async function appendAuditEntry(
  tx: DatabaseTransaction,
  fields: ChainedAuditFields,
  seal: { entryHash: string; mac: string },
): Promise<void> {
  await tx
    .insertInto('audit_log')
    .values({
      sequence: fields.sequence,
      timestamp: fields.timestamp,
      category: fields.category,
      operation: fields.operation,
      level: fields.level,
      user_name: fields.userName,
      entity_type: fields.entityType,
      audit_identifier: fields.auditIdentifier,
      immutable_identifier: fields.immutableIdentifier,
      outcome: fields.outcome,
      message: fields.message,
      previous_hash: fields.previousHash,
      entry_hash: seal.entryHash,
      mac: seal.mac,
    })
    .execute();
  await tx.updateTable('audit_head').set({ entry_hash: seal.entryHash }).where('id', '=', 1).execute();
}

export async function countAuditEntries(db: DatabaseExecutor): Promise<number> {
  const row = await db
    .selectFrom('audit_log')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .executeTakeFirstOrThrow();
  return Number(row.count);
}
