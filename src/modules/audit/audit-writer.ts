import type { RawBuilder } from 'kysely';
import { createIdPool } from '../../storage/id-pool.js';
import type { DatabaseExecutor, DatabaseTransaction } from '../../storage/storage.js';
import type { AuditCategoryName, AuditLevelName, AuditOperationName } from './audit-catalog.js';
import { auditCategories, auditLevels, auditOperations } from './audit-catalog.js';
import type { RecordedAuditFields } from './audit-chain.js';
import { recordMac } from './audit-chain.js';
import type { SignedAuditEntry } from './audit-repository.js';
import {
  insertAuditEntry,
  insertSignedAuditEntry,
  setRecordMac,
  signedAuditInsertFrom,
} from './audit-repository.js';

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
  /**
   * Runs a change made by one statement that also writes its audit entry (PostgreSQL's data-modifying
   * `with`). The entry is signed first under an id drawn ahead; `write` puts `recordedFrom(source)` into its
   * statement, which inserts the entry once for each row `source` yields, and answers undefined when it
   * changed nothing. Undefined where ids cannot be drawn ahead (SQLite): the change then runs in a
   * transaction that calls `record`.
   */
  recordInStatement<T>(
    db: DatabaseExecutor,
    event: AuditEvent,
    write: (recordedFrom: (source: string) => RawBuilder<unknown>) => Promise<T | undefined>,
  ): Promise<T | undefined>;
}

/** Bounds for what an entry stores, so one oversized name or detail cannot bloat every later read. */
const maxTextLength = 1000;
const maxMessageLength = 16_000;
/** One draw of ids serves this many entries. */
const idsDrawnAtOnce = 64;

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
  /**
   * Draws ids ahead through the transaction (`Storage.drawIds`), so an entry is one insert that already
   * carries its MAC; where it gives none (SQLite, or left out) the entry is inserted and then signed.
   */
  drawIds?: (executor: DatabaseExecutor, count: number) => Promise<number[] | undefined>;
}): AuditWriter {
  const ids = createIdPool(options.drawIds, idsDrawnAtOnce);

  function fieldsOf(event: AuditEvent): Omit<RecordedAuditFields, 'id'> {
    const outcome = event.outcome ?? 'Success';
    return {
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
  }

  async function sign(db: DatabaseExecutor, event: AuditEvent): Promise<SignedAuditEntry | undefined> {
    const id = await ids.next(db);
    if (id === undefined) return undefined;
    const fields = { id, ...fieldsOf(event) };
    return { ...fields, recordMac: recordMac(fields, options.macKey) };
  }

  return {
    async record(tx, event) {
      const signed = await sign(tx, event);
      if (signed === undefined) {
        const fields = fieldsOf(event);
        const id = await insertAuditEntry(tx, fields);
        await setRecordMac(tx, id, recordMac({ id, ...fields }, options.macKey));
      } else {
        await insertSignedAuditEntry(tx, signed);
      }
      options.onRecorded?.();
    },
    async recordInStatement(db, event, write) {
      const signed = await sign(db, event);
      if (signed === undefined) return undefined;
      const outcome = await write((source) => signedAuditInsertFrom(source, signed));
      if (outcome !== undefined) options.onRecorded?.();
      return outcome;
    },
  };
}
