import type { RawBuilder } from 'kysely';
import { sql } from 'kysely';
import type { ListRequest, ListSpec } from '../../storage/list-query.js';
import { applyListRequest } from '../../storage/list-query.js';
import type { DatabaseExecutor } from '../../storage/storage.js';

/** An entry's metadata: everything but its sealed value. */
export interface LocalEntryRecord {
  id: number;
  providerId: number;
  secretName: string;
  description: string | null;
  version: number;
  createdAt: string;
  updatedAt: string;
  updatedBy: string;
}

export interface LockedLocalEntry extends LocalEntryRecord {
  valueSealed: Buffer;
}

export interface LocalEntryVersionRecord {
  version: number;
  description: string | null;
  changedAt: string;
  changedBy: string;
}

const entryListSpec: ListSpec = {
  fields: {
    SecretName: { column: 'local_entries.secret_name', type: 'string' },
    Description: { column: 'local_entries.description', type: 'string', nullable: true },
  },
  defaultSort: 'SecretName',
  tieBreaker: 'local_entries.id',
};

const metadataColumns = [
  'id',
  'provider_id',
  'secret_name',
  'description',
  'version',
  'created_at',
  'updated_at',
  'updated_by',
] as const;

/** The metadata columns as a `returning` list of the statements written in SQL. */
const returnedMetadata = sql.join(metadataColumns.map((column) => sql.ref(column)));

type EntryRow = {
  id: number;
  provider_id: number;
  secret_name: string;
  description: string | null;
  version: number;
  created_at: string;
  updated_at: string;
  updated_by: string;
};

function toRecord(row: EntryRow): LocalEntryRecord {
  return {
    id: row.id,
    providerId: row.provider_id,
    secretName: row.secret_name,
    description: row.description,
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    updatedBy: row.updated_by,
  };
}

/** What a list shows of an entry. */
export type LocalEntrySummary = Pick<LocalEntryRecord, 'providerId' | 'secretName' | 'description'>;

/**
 * Only the listed fields are read: turning each row's columns into JavaScript values is most of what a page
 * costs SQLite (about 94 µs for 50 rows of eight columns, 45 µs for these three).
 */
export async function listEntries(
  db: DatabaseExecutor,
  providerId: number,
  request: ListRequest,
): Promise<LocalEntrySummary[]> {
  const query = db
    .selectFrom('local_entries')
    .select(['provider_id', 'secret_name', 'description'])
    .where('provider_id', '=', providerId);
  const rows = await applyListRequest(query, request, entryListSpec).execute();
  return rows.map((row) => ({
    providerId: row.provider_id,
    secretName: row.secret_name,
    description: row.description,
  }));
}

/** Names are matched exactly as stored; see docs/pam.md on case. */
export async function findEntry(
  db: DatabaseExecutor,
  providerId: number,
  secretName: string,
): Promise<LocalEntryRecord | undefined> {
  const row = await db
    .selectFrom('local_entries')
    .select(metadataColumns)
    .where('provider_id', '=', providerId)
    .where('secret_name', '=', secretName)
    .executeTakeFirst();
  return row === undefined ? undefined : toRecord(row);
}

/**
 * Reads an entry for a change, holding its row until the transaction ends: on PostgreSQL the row lock makes a
 * concurrent change wait and then read the row it committed; SQLite runs one writer at a time anyway. Two
 * concurrent changes therefore never both archive the same version. The lock is the one an update of the
 * row takes, so it does not hold up foreign-key checks on its versions.
 */
export function lockEntry(
  db: DatabaseExecutor,
  providerId: number,
  secretName: string,
): Promise<LockedLocalEntry | undefined> {
  return readEntryForChange(db, providerId, secretName, true);
}

/** Reads an entry for a change that will go ahead only if its version is still the one read. */
export function findEntryForChange(
  db: DatabaseExecutor,
  providerId: number,
  secretName: string,
): Promise<LockedLocalEntry | undefined> {
  return readEntryForChange(db, providerId, secretName, false);
}

async function readEntryForChange(
  db: DatabaseExecutor,
  providerId: number,
  secretName: string,
  isLocked: boolean,
): Promise<LockedLocalEntry | undefined> {
  const query = db
    .selectFrom('local_entries')
    .select([...metadataColumns, 'value_sealed'])
    .where('provider_id', '=', providerId)
    .where('secret_name', '=', secretName);
  const row = await (isLocked ? query.forNoKeyUpdate() : query).executeTakeFirst();
  return row === undefined ? undefined : { ...toRecord(row), valueSealed: row.value_sealed };
}

export interface NewEntry {
  providerId: number;
  secretName: string;
  description: string | null;
  valueSealed: Buffer;
  now: string;
  actor: string;
}

export async function insertEntry(db: DatabaseExecutor, entry: NewEntry): Promise<LocalEntryRecord> {
  const row = await db
    .insertInto('local_entries')
    .values({
      provider_id: entry.providerId,
      secret_name: entry.secretName,
      description: entry.description,
      value_sealed: entry.valueSealed,
      version: 1,
      created_at: entry.now,
      updated_at: entry.now,
      updated_by: entry.actor,
    })
    .returning(metadataColumns)
    .executeTakeFirstOrThrow();
  return toRecord(row);
}

export interface EntryChanges {
  description: string | null;
  valueSealed: Buffer;
  version: number;
  now: string;
  actor: string;
}

/**
 * Creates an entry under an id drawn ahead and writes its audit entry in one statement that commits on its own
 * (`Storage.combinesChanges`). The row is written only into a provider of type `localTypeId`; undefined means
 * there is no such provider.
 */
export async function insertEntryRecorded(
  db: DatabaseExecutor,
  entry: NewEntry & { id: number },
  localTypeId: string,
  recordedFrom: (source: string) => RawBuilder<unknown>,
): Promise<LocalEntryRecord | undefined> {
  const { rows } = await sql<EntryRow>`with created as (
      insert into local_entries (id, provider_id, secret_name, description, value_sealed, version, created_at,
        updated_at, updated_by)
      select ${entry.id}, ${entry.providerId}, ${entry.secretName}, ${entry.description}, ${entry.valueSealed},
        1, ${entry.now}, ${entry.now}, ${entry.actor}
      where exists (select from pam_providers where id = ${entry.providerId} and type_id = ${localTypeId})
      returning ${returnedMetadata}
    ), recorded as (${recordedFrom('created')})
    select * from created`.execute(db);
  const row = rows[0];
  return row === undefined ? undefined : toRecord(row);
}

/** A change of `version` makes the database archive the state it replaces (migration 005). */
export async function updateEntry(
  db: DatabaseExecutor,
  id: number,
  changes: EntryChanges,
): Promise<LocalEntryRecord> {
  const row = await db
    .updateTable('local_entries')
    .set(entryChangeColumns(changes))
    .where('id', '=', id)
    .returning(metadataColumns)
    .executeTakeFirstOrThrow();
  return toRecord(row);
}

function entryChangeColumns(changes: EntryChanges) {
  return {
    description: changes.description,
    value_sealed: changes.valueSealed,
    version: changes.version,
    updated_at: changes.now,
    updated_by: changes.actor,
  };
}

/**
 * Changes an entry, drops versions older than the newest `kept` and writes the change's audit entry, all in one
 * statement (`Storage.combinesChanges`), which commits on its own: a PostgreSQL write in one round trip. It
 * goes ahead only while the entry is still at `expected.version`; undefined means another change came first.
 * `recordedFrom` builds the audit insert from the name of the changed row's source.
 */
export async function updateEntryRecorded(
  db: DatabaseExecutor,
  expected: { id: number; version: number },
  changes: EntryChanges,
  kept: number,
  recordedFrom: (source: string) => RawBuilder<unknown>,
): Promise<LocalEntryRecord | undefined> {
  const columns = entryChangeColumns(changes);
  const newestDropped = newestDroppedVersion(expected.version, kept);
  const pruned =
    newestDropped === undefined
      ? sql``
      : sql`, pruned as (delete from local_entry_versions where entry_id = ${expected.id}
          and version <= ${newestDropped} and exists (select from changed))`;
  const { rows } = await sql<EntryRow>`with changed as (
      update local_entries set description = ${columns.description}, value_sealed = ${columns.value_sealed},
        version = ${columns.version}, updated_at = ${columns.updated_at}, updated_by = ${columns.updated_by}
      where id = ${expected.id} and version = ${expected.version}
      returning ${returnedMetadata}
    )${pruned}, recorded as (${recordedFrom('changed')})
    select * from changed`.execute(db);
  const row = rows[0];
  return row === undefined ? undefined : toRecord(row);
}

export async function deleteEntry(db: DatabaseExecutor, id: number): Promise<void> {
  await db.deleteFrom('local_entries').where('id', '=', id).execute();
}

/**
 * The newest version to drop once `changedVersion` is archived, keeping `kept`. Versions start at 1, so until
 * an entry has had more than `kept` of them there is nothing to drop and no statement is run.
 */
function newestDroppedVersion(changedVersion: number, kept: number): number | undefined {
  const newest = changedVersion - kept;
  return newest < 1 ? undefined : newest;
}

/**
 * Drops the versions of an entry older than the newest `kept`, after a change to `changed` (the state it
 * replaced, which the database archived: migration 005).
 */
export async function pruneEntryVersions(
  db: DatabaseExecutor,
  changed: { id: number; version: number },
  kept: number,
): Promise<void> {
  const newestDropped = newestDroppedVersion(changed.version, kept);
  if (newestDropped === undefined) return;
  await db
    .deleteFrom('local_entry_versions')
    .where('entry_id', '=', changed.id)
    .where('version', '<=', newestDropped)
    .execute();
}

/** Earlier versions, newest first, without their values. */
export async function listEntryVersions(
  db: DatabaseExecutor,
  entryId: number,
): Promise<LocalEntryVersionRecord[]> {
  const rows = await db
    .selectFrom('local_entry_versions')
    .select(['version', 'description', 'changed_at', 'changed_by'])
    .where('entry_id', '=', entryId)
    .orderBy('version', 'desc')
    .execute();
  return rows.map((row) => ({
    version: row.version,
    description: row.description,
    changedAt: row.changed_at,
    changedBy: row.changed_by,
  }));
}

export async function findEntryVersion(
  db: DatabaseExecutor,
  entryId: number,
  version: number,
): Promise<{ description: string | null; valueSealed: Buffer } | undefined> {
  const row = await db
    .selectFrom('local_entry_versions')
    .select(['description', 'value_sealed'])
    .where('entry_id', '=', entryId)
    .where('version', '=', version)
    .executeTakeFirst();
  return row === undefined ? undefined : { description: row.description, valueSealed: row.value_sealed };
}

export async function readEntryValue(
  db: DatabaseExecutor,
  providerId: number,
  secretName: string,
): Promise<Buffer | undefined> {
  const row = await db
    .selectFrom('local_entries')
    .select('value_sealed')
    .where('provider_id', '=', providerId)
    .where('secret_name', '=', secretName)
    .executeTakeFirst();
  return row?.value_sealed;
}

/**
 * Certificate stores whose password or a secret property names this entry. A reference keeps its provider
 * in a column and the entry's name in its saved parameters, so the name is matched here rather than in SQL.
 */
export async function findStoresReferencingEntry(
  db: DatabaseExecutor,
  providerId: number,
  secretName: string,
): Promise<{ storeId: string; clientMachine: string; storepath: string }[]> {
  const rows = await db
    .selectFrom('certificate_store_secrets')
    .innerJoin('certificate_stores', 'certificate_stores.id', 'certificate_store_secrets.store_id')
    .select([
      'certificate_stores.id as storeId',
      'certificate_stores.client_machine as clientMachine',
      'certificate_stores.storepath',
      'certificate_store_secrets.parameters_json',
    ])
    .where('certificate_store_secrets.provider_id', '=', providerId)
    .orderBy('certificate_stores.id')
    .execute();
  const stores = new Map<string, { storeId: string; clientMachine: string; storepath: string }>();
  for (const row of rows) {
    const parameters = JSON.parse(row.parameters_json ?? '[]') as { name: string; value: string | null }[];
    const named = parameters.find((parameter) => parameter.name.toLowerCase() === 'secretname')?.value;
    if (named === secretName) {
      stores.set(row.storeId, {
        storeId: row.storeId,
        clientMachine: row.clientMachine,
        storepath: row.storepath,
      });
    }
  }
  return [...stores.values()];
}
