import Type from 'typebox';
import type { Static } from 'typebox';
import { Int32, Nullable, PagingQuery } from '../../http/schema-helpers.js';
import { auditFindingKinds } from './audit-verifier.js';

/** Keyfactor.Auditing.Querying.AuditLogEntry, field for field. */
export const AuditLogEntry = Type.Object({
  Id: Int32(),
  Timestamp: Type.String({ format: 'date-time' }),
  Message: Nullable(Type.String({ description: 'XML describing the event; never a secret value' })),
  Signature: Nullable(
    Type.String({
      description: 'HMAC-SHA256 of the chained entry (hex); null for a moment until it is chained',
    }),
  ),
  Category: Int32(),
  Operation: Int32(),
  Level: Type.Integer({ minimum: 0, maximum: 2, description: '0 Information, 1 Warning, 2 Failure' }),
  User: Nullable(Type.String()),
  EntityType: Nullable(Type.String()),
  AuditIdentifier: Nullable(Type.String()),
  ImmutableIdentifier: Nullable(Type.String()),
});
export type AuditLogEntry = Static<typeof AuditLogEntry>;

export const AuditIdParams = Type.Object({
  id: Int32({ minimum: 0, description: 'Id of the audit log entry' }),
});

export const AuditListQuery = Type.Object(PagingQuery);

/** Keyfactor's download takes the filter and sort but no paging: it returns every match. */
export const AuditDownloadQuery = Type.Object({
  QueryString: PagingQuery.QueryString,
  SortField: PagingQuery.SortField,
  SortAscending: PagingQuery.SortAscending,
});

const Checkpoint = Type.Object({
  Sequence: Type.Integer(),
  EntryHash: Type.String(),
  CreatedAt: Type.String({ format: 'date-time' }),
});

export const AuditVerificationResponse = Type.Object({
  Intact: Type.Boolean(),
  MacsChecked: Type.Boolean(),
  EntriesChecked: Type.Integer(),
  PendingEntries: Type.Integer({ description: 'Recorded entries not chained yet' }),
  CheckpointsChecked: Type.Integer(),
  LastEntry: Nullable(
    Type.Object({ Id: Type.Integer(), Sequence: Type.Integer(), EntryHash: Type.String() }),
  ),
  LatestCheckpoint: Nullable(Checkpoint),
  FindingCount: Type.Integer(),
  Findings: Type.Array(
    Type.Object({
      Kind: Type.Enum(auditFindingKinds),
      EntryId: Nullable(Type.Integer()),
      Sequence: Nullable(Type.Integer()),
      Message: Type.String(),
    }),
  ),
});
export type AuditVerificationResponse = Static<typeof AuditVerificationResponse>;
