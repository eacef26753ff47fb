import type { FastifyBaseLogger } from 'fastify';
import { AppError, notFoundError } from '../../errors/app-error.js';
import type { ListRequest } from '../../storage/list-query.js';
import type { Storage } from '../../storage/storage.js';
import type { Actor } from '../security/actor.js';
import { auditCsvHeader, auditCsvLine } from './audit-entry-format.js';
import {
  findAuditEntry,
  findAuditEntryBySequence,
  listAuditEntries,
  listRelatedAuditEntries,
  readAuditChain,
  streamAuditEntries,
} from './audit-repository.js';
import type { AuditSealer } from './audit-sealer.js';
import type { AuditEntryRecord, AuditVerificationReport } from './audit-verifier.js';
import { checkChainedEntry, verifyAuditChain } from './audit-verifier.js';
import type { AuditWriter } from './audit-writer.js';

export interface AuditService {
  list(request: ListRequest): Promise<AuditEntryRecord[]>;
  related(request: ListRequest): Promise<AuditEntryRecord[]>;
  get(id: number): Promise<AuditEntryRecord>;
  validate(id: number): Promise<boolean>;
  /** CSV text in chunks; a bad filter fails here, before anything is sent. */
  download(
    actor: Actor,
    request: Omit<ListRequest, 'pageReturned' | 'returnLimit'>,
  ): Promise<AsyncIterable<string>>;
  /** A full check of the chain; concurrent callers share one run. */
  verify(trigger: 'start' | 'request'): Promise<AuditVerificationReport>;
  /** Stops a running check at its next batch and waits for it. */
  close(): Promise<void>;
}

const batchSize = 250;
const loggedFindings = 10;

export function createAuditService(dependencies: {
  storage: Storage;
  macKey: Buffer;
  sealer: AuditSealer;
  writer: AuditWriter;
  log: Pick<FastifyBaseLogger, 'info' | 'error'>;
}): AuditService {
  const { storage, macKey, sealer, writer, log } = dependencies;
  let closing = false;
  let running: Promise<AuditVerificationReport> | undefined;

  async function requireEntry(id: number): Promise<AuditEntryRecord> {
    const entry = await findAuditEntry(storage.db, id);
    if (entry === undefined) throw notFoundError(`Audit log entry '${id}' was not found`);
    return entry;
  }

  async function runVerification(trigger: 'start' | 'request'): Promise<AuditVerificationReport> {
    await sealer.sealNow();
    const report = await verifyAuditChain(
      readAuditChain(storage.db, { batchSize, shouldStop: () => closing }),
      macKey,
    );
    if (closing)
      throw new AppError('unavailable', 'The server is shutting down; the audit check was stopped');
    const summary = {
      trigger,
      entries: report.entriesChecked,
      pending: report.pendingEntries,
      checkpoints: report.checkpointsChecked,
      lastSequence: report.lastEntry?.sequence ?? 0,
    };
    if (report.intact) {
      log.info({ auditVerification: summary }, 'audit chain verified: intact');
    } else {
      // The server keeps serving: refusing requests would not undo the tampering and would hide the log.
      log.error(
        {
          auditVerification: {
            ...summary,
            findingCount: report.findingCount,
            findings: report.findings.slice(0, loggedFindings),
          },
        },
        `audit chain verification found ${report.findingCount} problem(s); first: ${report.findings[0]?.message ?? ''}`,
      );
    }
    return report;
  }

  return {
    list: (request) => listAuditEntries(storage.db, request),
    related: (request) => listRelatedAuditEntries(storage.db, request),
    get: requireEntry,

    async validate(id) {
      let entry = await requireEntry(id);
      // A just-recorded entry is chained within milliseconds; chaining it now gives a definite answer.
      if (entry.chain === null) {
        await sealer.sealNow();
        entry = await requireEntry(id);
      }
      if (entry.chain === null) return false;
      const previous =
        entry.chain.sequence > 1
          ? await findAuditEntryBySequence(storage.db, entry.chain.sequence - 1)
          : undefined;
      return checkChainedEntry(entry, previous?.chain ?? undefined, macKey).length === 0;
    },

    async download(actor, request) {
      const batches = streamAuditEntries(storage.db, request, batchSize);
      const first = await batches.next();
      await storage.transaction((tx) =>
        writer.record(tx, {
          actor: actor.username,
          category: 'AuditLog',
          operation: 'Downloaded',
          entityType: 'AuditLog',
          auditIdentifier: 'Audit log',
          immutableIdentifier: 'audit-log',
          details: { filtered: request.queryString !== undefined && request.queryString.trim() !== '' },
        }),
      );
      return (async function* csv() {
        yield auditCsvHeader;
        if (first.done !== true) yield first.value.map(auditCsvLine).join('');
        for await (const batch of batches) yield batch.map(auditCsvLine).join('');
      })();
    },

    verify(trigger) {
      running ??= runVerification(trigger).finally(() => {
        running = undefined;
      });
      return running;
    },

    async close() {
      closing = true;
      await running?.catch(() => undefined);
    },
  };
}
