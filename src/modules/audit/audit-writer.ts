import type { DatabaseTransaction } from '../../storage/storage.js';
import type { AuditCategoryName, AuditLevelName, AuditOperationName } from './audit-catalog.js';
import { auditCategories, auditLevels, auditOperations } from './audit-catalog.js';
import { genesisHash, sealAuditEntry } from './audit-chain.js';
import { appendAuditEntry, claimNextSequence } from './audit-repository.js';

export interface AuditEvent {
  actor: string;
  category: AuditCategoryName;
  operation: AuditOperationName;
  /** What kind of object, e.g. 'LocalPamEntry'. */
  entityType: string;
  /** A readable name of the object (its name), never a secret. */
  auditIdentifier: string;
  /** The object's fixed id. */
  immutableIdentifier: string;
  level?: AuditLevelName;
  outcome?: 'Success' | 'Failure';
  /** Structured detail (e.g. which fields changed). Must never carry a secret value. */
  details?: Record<string, unknown>;
}

export interface AuditWriter {
  record(tx: DatabaseTransaction, event: AuditEvent): Promise<void>;
}

/**
 * Appends entries to the chain inside the caller's transaction, so an entry exists exactly when its change
 * does. Claiming the next sequence locks the single head row until commit, which keeps one chain even
 * when several server processes write to one PostgreSQL database.
 */
export function createAuditWriter(options: { macKey: Buffer; now: () => Date }): AuditWriter {
  return {
    async record(tx, event) {
      const head = await claimNextSequence(tx);
      const fields = {
        sequence: head.sequence,
        timestamp: options.now().toISOString(),
        category: auditCategories[event.category],
        operation: auditOperations[event.operation],
        level: auditLevels[event.level ?? (event.outcome === 'Failure' ? 'Warning' : 'Information')],
        userName: event.actor,
        entityType: event.entityType,
        auditIdentifier: event.auditIdentifier,
        immutableIdentifier: event.immutableIdentifier,
        outcome: event.outcome ?? 'Success',
        message: JSON.stringify(event.details ?? {}),
        previousHash: head.previousHash ?? genesisHash,
      };
      const seal = sealAuditEntry(fields, options.macKey);
      await appendAuditEntry(tx, fields, seal);
    },
  };
}
