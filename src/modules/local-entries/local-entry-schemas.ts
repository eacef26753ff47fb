import Type from 'typebox';
import type { Static } from 'typebox';
import {
  BoundedString,
  Nullable,
  PagingQuery,
  PositiveInt32,
  SecretString,
} from '../../http/schema-helpers.js';

const secretNameMaxLength = 400;
const descriptionMaxLength = 2000;
const secretValueMaxLength = 65536;

const SecretName = BoundedString(secretNameMaxLength, { minLength: 1 });
const Description = Type.Optional(Nullable(BoundedString(descriptionMaxLength)));

export const LocalEntryCreateRequest = Type.Object({
  SecretName,
  Description,
  SecretValue: SecretString(secretValueMaxLength, 1),
});

/** Absent, null or empty `SecretValue` keeps the stored secret; `Description` is always replaced. */
export const LocalEntryUpdateRequest = Type.Object({
  SecretName,
  Description,
  SecretValue: Type.Optional(Nullable(SecretString(secretValueMaxLength))),
});

/** The `…/Entries/{secretName}` form: the path names the entry, so the body may leave `SecretName` out. */
export const LocalEntryPathUpdateRequest = Type.Object({
  SecretName: Type.Optional(SecretName),
  Description,
  SecretValue: Type.Optional(Nullable(SecretString(secretValueMaxLength))),
});
export type LocalEntryPathUpdateBody = Static<typeof LocalEntryPathUpdateRequest>;

export const LocalEntryResponse = Type.Object({
  ProviderId: Type.Integer(),
  SecretName: Nullable(Type.String()),
  Description: Nullable(Type.String()),
});
export type LocalEntryResponse = Static<typeof LocalEntryResponse>;

export const ProviderParams = Type.Object({ providerId: PositiveInt32('The local PAM provider id') });
export const EntryParams = Type.Object({
  providerId: PositiveInt32('The local PAM provider id'),
  secretName: SecretName,
});
export const VersionParams = Type.Object({
  providerId: PositiveInt32('The local PAM provider id'),
  secretName: SecretName,
  version: PositiveInt32('A version listed by the versions endpoint'),
});

export const EntryListQuery = Type.Object(PagingQuery);
export const EntryDeleteQuery = Type.Object({ secretName: SecretName });

/** Strongroom's own view of an entry: the Keyfactor fields plus what optimistic concurrency needs. */
export const LocalEntryMetadataResponse = Type.Object({
  ProviderId: Type.Integer(),
  SecretName: Type.String(),
  Description: Nullable(Type.String()),
  Version: Type.Integer(),
  CreatedAt: Type.String({ format: 'date-time' }),
  UpdatedAt: Type.String({ format: 'date-time' }),
  UpdatedBy: Type.String(),
});
export type LocalEntryMetadataResponse = Static<typeof LocalEntryMetadataResponse>;

export const LocalEntryVersionResponse = Type.Object({
  Version: Type.Integer(),
  Description: Nullable(Type.String()),
  ChangedAt: Type.String({ format: 'date-time' }),
  ChangedBy: Type.String(),
  IsCurrent: Type.Boolean(),
});
