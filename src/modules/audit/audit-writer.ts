import type { DatabaseTransaction } from '../../storage/storage.js';
import type { AuditCategoryName, AuditLevelName, AuditOperationName } from './audit-catalog.js';
import { auditCategories, auditLevels, auditOperations } from './audit-catalog.js';
import { recordMac } from './audit-chain.js';
import { insertAuditEntry, setRecordMac } from './audit-repository.js';

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

/** Bounds for what an entry stores, so one oversized name or detail cannot bloat every later read. */
const maxTextLength = 1000;
const maxMessageLength = 16_000;

function bounded(text: string, limit: number): string {
  return text.length > limit ? `${text.slice(0, limit - 1)}…` : text;
}

/**
 * Records entries inside the caller's transaction, so an entry exists exactly when its change does. It
 * touches only the new row: no shared row is locked, so concurrent changes commit in parallel (and share
 * commits) instead of queueing behind each other. The sealer chains the entry once it is committed;
 * `onRecorded` tells it that work is coming.
 */
export function createAuditWriter(options: {
  macKey: Buffer;
  now: () => Date;
  onRecorded?: () => void;
}): AuditWriter {
  return {
    async record(tx, event) {
      const outcome = event.outcome ?? 'Success';
      const fields = {
        timestamp: options.now().toISOString(),
        category: auditCategories[event.category],
        operation: auditOperations[event.operation],
        level: auditLevels[event.level ?? (outcome === 'Failure' ? 'Warning' : 'Information')],
        userName: bounded(event.actor, maxTextLength),
        entityType: bounded(event.entityType, maxTextLength),
        auditIdentifier: bounded(event.auditIdentifier, maxTextLength),
        immutableIdentifier: bounded(event.immutableIdentifier, maxTextLength),
        outcome,
        message: bounded(JSON.stringify(event.details ?? {}), maxMessageLength),
      };
      const id = await insertAuditEntry(tx, fields);
      await setRecordMac(tx, id, recordMac({ id, ...fields }, options.macKey));
      options.onRecorded?.();
    },
  };
}
