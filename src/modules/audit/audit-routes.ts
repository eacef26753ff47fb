import { Readable } from 'node:stream';
import Type from 'typebox';
import type { RouteRegistrar } from '../../http/app.js';
import { listRequestFromQuery } from '../../http/paging.js';
import { actorOf, requirePermission } from '../../http/route-access.js';
import { auditXmlMessage } from './audit-entry-format.js';
import type { AuditLogEntry, AuditVerificationResponse } from './audit-schemas.js';
import {
  AuditDownloadQuery,
  AuditIdParams,
  AuditListQuery,
  AuditLogEntry as AuditLogEntrySchema,
  AuditVerificationResponse as AuditVerificationSchema,
} from './audit-schemas.js';
import type { AuditService } from './audit-service.js';
import type { AuditEntryRecord, AuditVerificationReport } from './audit-verifier.js';

const tags = ['Audit'];
const access = requirePermission('/auditing/read/');

function toAuditLogEntry(entry: AuditEntryRecord): AuditLogEntry {
  return {
    Id: entry.id,
    Timestamp: entry.timestamp,
    Message: auditXmlMessage(entry),
    Signature: entry.chain?.mac ?? null,
    Category: entry.category,
    Operation: entry.operation,
    Level: entry.level,
    User: entry.userName,
    EntityType: entry.entityType,
    AuditIdentifier: entry.auditIdentifier,
    ImmutableIdentifier: entry.immutableIdentifier,
  };
}

function toVerificationResponse(report: AuditVerificationReport): AuditVerificationResponse {
  return {
    Intact: report.intact,
    MacsChecked: report.macsChecked,
    EntriesChecked: report.entriesChecked,
    PendingEntries: report.pendingEntries,
    CheckpointsChecked: report.checkpointsChecked,
    LastEntry:
      report.lastEntry === null
        ? null
        : {
            Id: report.lastEntry.id,
            Sequence: report.lastEntry.sequence,
            EntryHash: report.lastEntry.entryHash,
          },
    LatestCheckpoint:
      report.latestCheckpoint === null
        ? null
        : {
            Sequence: report.latestCheckpoint.sequence,
            EntryHash: report.latestCheckpoint.entryHash,
            CreatedAt: report.latestCheckpoint.createdAt,
          },
    FindingCount: report.findingCount,
    Findings: report.findings.map((finding) => ({
      Kind: finding.kind,
      EntryId: finding.entryId,
      Sequence: finding.sequence,
      Message: finding.message,
    })),
  };
}

export function auditRoutes(service: AuditService): RouteRegistrar {
  return (app) => {
    app.get(
      '/KeyfactorAPI/Audit',
      {
        schema: {
          tags,
          summary: 'Lists audit log entries matching the filter, sorted and paged',
          description:
            'QueryString fields: Id, Timestamp, Category, Operation, Level (by name), User, EntityType, ' +
            'AuditIdentifier (or Name), ImmutableIdentifier, Message.',
          querystring: AuditListQuery,
          response: { 200: Type.Array(AuditLogEntrySchema) },
        },
        config: { access },
      },
      async (request) => (await service.list(listRequestFromQuery(request.query))).map(toAuditLogEntry),
    );

    app.get(
      '/KeyfactorAPI/Audit/Download',
      {
        schema: {
          tags,
          summary: 'Downloads every entry matching the filter as CSV, streamed',
          querystring: AuditDownloadQuery,
          response: { 200: { content: { 'text/csv': { schema: Type.String() } } } },
        },
        config: { access },
      },
      async (request, reply) => {
        const csv = await service.download(actorOf(request), listRequestFromQuery(request.query));
        // Fastify streams a Readable body as it is read; the schema above documents the text it carries.
        const body = Readable.from(csv) as unknown as string;
        return reply
          .header('content-type', 'text/csv; charset=utf-8')
          .header('content-disposition', 'attachment; filename="audit-log.csv"')
          .send(body);
      },
    );

    app.get(
      '/KeyfactorAPI/Audit/RelatedEntities',
      {
        schema: {
          tags,
          summary: 'Lists every entry about the objects the entries matching the filter are about',
          description:
            'Finds the entries QueryString matches, takes the objects they concern (EntityType and ' +
            'ImmutableIdentifier) and returns all entries about those objects, sorted and paged.',
          querystring: AuditListQuery,
          response: { 200: Type.Array(AuditLogEntrySchema) },
        },
        config: { access },
      },
      async (request) => (await service.related(listRequestFromQuery(request.query))).map(toAuditLogEntry),
    );

    app.get(
      '/KeyfactorAPI/Audit/:id',
      {
        schema: {
          tags,
          summary: 'Gets one audit log entry',
          params: AuditIdParams,
          response: { 200: AuditLogEntrySchema },
        },
        config: { access },
      },
      async (request) => toAuditLogEntry(await service.get(request.params.id)),
    );

    app.get(
      '/KeyfactorAPI/Audit/:id/Validate',
      {
        schema: {
          tags,
          summary: 'Checks one entry: its hash, its signature and its link to the entry before it',
          params: AuditIdParams,
          response: { 200: Type.Boolean() },
        },
        config: { access },
      },
      async (request) => service.validate(request.params.id),
    );

    app.get(
      '/strongroom/audit/verify',
      {
        schema: {
          tags,
          summary: 'Checks the whole audit chain now (edits, deletions, insertions, reordering, truncation)',
          response: { 200: AuditVerificationSchema },
        },
        config: { access },
      },
      async () => toVerificationResponse(await service.verify('request')),
    );
  };
}
