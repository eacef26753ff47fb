import { sql } from 'kysely';
import type { RawBuilder, Selectable, SqlBool } from 'kysely';
import type { AuditLogTable } from '../../storage/database-schema.js';
import type { ListRequest, ListSpec } from '../../storage/list-query.js';
import { applyListRequest } from '../../storage/list-query.js';
import { compileQueryFilter } from '../../storage/query-filter.js';
import { parseQueryString } from '../../query/query-string-parser.js';
import type { DatabaseExecutor, DatabaseTransaction } from '../../storage/storage.js';
import { categoryLabelsByCode, levelLabelsByCode, operationLabelsByCode } from './audit-catalog.js';
import type { ChainLink, ChainSeal, RecordedAuditFields } from './audit-chain.js';
import type {
  AuditChainItem,
  AuditCheckpointRecord,
  AuditEntryRecord,
  AuditHeadRecord,
} from './audit-verifier.js';

type AuditLogRow = Selectable<AuditLogTable>;

/**
 * SQLite answers synchronously, so a loop over batches is a chain of promises that never lets the event loop
 * turn: requests would wait for a whole walk of the log. Long walks yield after every batch.
 */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** The columns the sealer hashes and checks; the chain columns of a pending entry are empty. */
const recordedColumns = [
  'id',
  'timestamp',
  'category',
  'operation',
  'level',
  'user_name',
  'entity_type',
  'audit_identifier',
  'immutable_identifier',
  'outcome',
  'message',
  'record_mac',
] as const;

/** What the entry recorded, with its record MAC: the part the sealer hashes and the verifier checks. */
function toRecordedFields(
  row: Pick<AuditLogRow, (typeof recordedColumns)[number]>,
): RecordedAuditFields & { recordMac: string } {
  return {
    id: row.id,
    timestamp: row.timestamp,
    category: row.category,
    operation: row.operation,
    level: row.level,
    userName: row.user_name,
    entityType: row.entity_type,
    auditIdentifier: row.audit_identifier,
    immutableIdentifier: row.immutable_identifier,
    outcome: row.outcome,
    message: row.message,
    recordMac: row.record_mac,
  };
}

function toRecord(row: AuditLogRow): AuditEntryRecord {
  return {
    ...toRecordedFields(row),
    // A chained row whose chain columns were blanked in the database reads as empty digests, which then
    // fail verification instead of passing as "not chained yet".
    chain:
      row.sequence === null
        ? null
        : {
            sequence: row.sequence,
            previousHash: row.previous_hash ?? '',
            entryHash: row.entry_hash ?? '',
            mac: row.mac ?? '',
          },
  };
}

type UnsignedAuditFields = Omit<RecordedAuditFields, 'id'>;

function auditRow(fields: UnsignedAuditFields) {
  return {
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
  };
}

/** Inserts an entry that is not chained yet and returns its id; the record MAC needs the id, so it follows. */
export async function insertAuditEntry(
  tx: DatabaseTransaction,
  fields: UnsignedAuditFields,
): Promise<number> {
  const row = await tx
    .insertInto('audit_log')
    .values({ ...auditRow(fields), record_mac: '' })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export async function setRecordMac(tx: DatabaseTransaction, id: number, mac: string): Promise<void> {
  await tx.updateTable('audit_log').set({ record_mac: mac }).where('id', '=', id).execute();
}

export type SignedAuditEntry = RecordedAuditFields & { recordMac: string };

/** Inserts an entry under an id drawn ahead, with its record MAC, in one statement. */
export async function insertSignedAuditEntry(
  tx: DatabaseTransaction,
  fields: SignedAuditEntry,
): Promise<void> {
  await tx
    .insertInto('audit_log')
    .values({ id: fields.id, ...auditRow(fields), record_mac: fields.recordMac })
    .execute();
}

/**
 * The insert of a signed entry as a part of a larger statement (PostgreSQL's data-modifying `with`): one row
 * is written for each row `source` yields, so the entry exists exactly when the change it records happened.
 */
export function signedAuditInsertFrom(source: string, entry: SignedAuditEntry): RawBuilder<unknown> {
  const row = auditRow(entry);
  return sql`insert into audit_log (id, timestamp, category, operation, level, user_name, entity_type,
      audit_identifier, immutable_identifier, outcome, message, record_mac)
    select ${entry.id}, ${row.timestamp}, ${row.category}, ${row.operation}, ${row.level}, ${row.user_name},
      ${row.entity_type}, ${row.audit_identifier}, ${row.immutable_identifier}, ${row.outcome}, ${row.message},
      ${entry.recordMac}
    from ${sql.table(source)}`;
}

export async function hasPendingEntries(db: DatabaseExecutor): Promise<boolean> {
  const row = await db
    .selectFrom('audit_log')
    .select('id')
    .where('sequence', 'is', null)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/** How many recorded entries wait to be chained, and when the oldest of them was recorded. */
export async function unchainedEntryBacklog(
  db: DatabaseExecutor,
): Promise<{ count: number; oldestTimestamp: string | undefined }> {
  const row = await db
    .selectFrom('audit_log')
    .select((eb) => [eb.fn.countAll<number>().as('count'), eb.fn.min('timestamp').as('oldest')])
    .where('sequence', 'is', null)
    .executeTakeFirstOrThrow();
  return { count: Number(row.count), oldestTimestamp: row.oldest ?? undefined };
}

/**
 * Reads the head and takes its row lock until the transaction ends. Sealers on every node go through this
 * one row, so exactly one of them appends at a time and the chain stays a single line.
 */
export async function lockChainHead(tx: DatabaseTransaction): Promise<AuditHeadRecord> {
  const row = await tx
    .selectFrom('audit_head')
    .select(['sequence', 'entry_hash'])
    .where('id', '=', 1)
    .forUpdate()
    .executeTakeFirstOrThrow();
  return { sequence: row.sequence, entryHash: row.entry_hash };
}

export async function setChainHead(tx: DatabaseTransaction, head: AuditHeadRecord): Promise<void> {
  await tx
    .updateTable('audit_head')
    .set({ sequence: head.sequence, entry_hash: head.entryHash })
    .where('id', '=', 1)
    .execute();
}

export async function listPendingEntries(
  tx: DatabaseTransaction,
  limit: number,
): Promise<(RecordedAuditFields & { recordMac: string })[]> {
  const rows = await tx
    .selectFrom('audit_log')
    .select(recordedColumns)
    .where('sequence', 'is', null)
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map(toRecordedFields);
}

/**
 * Chains a batch in one statement: a round trip per entry would make the head lock, held meanwhile, the
 * ceiling. Both databases take a named VALUES list joined in an UPDATE ... FROM; parameters arrive as text
 * in PostgreSQL, hence the casts. The rows are the caller's pending ones, read under the head lock, so the
 * join on the primary key alone is enough (a condition on `sequence` would steer SQLite onto that index
 * and make the join quadratic).
 */
export async function chainEntries(
  tx: DatabaseTransaction,
  entries: readonly (ChainLink & ChainSeal & { id: number })[],
): Promise<void> {
  if (entries.length === 0) return;
  const rows = sql.join(
    entries.map(
      (entry) =>
        sql`(${entry.id}, ${entry.sequence}, ${entry.previousHash}, ${entry.entryHash}, ${entry.mac})`,
    ),
  );
  await sql`
    with chained (id, sequence, previous_hash, entry_hash, mac) as (values ${rows})
    update audit_log
    set sequence = cast(chained.sequence as integer),
        previous_hash = chained.previous_hash,
        entry_hash = chained.entry_hash,
        mac = chained.mac
    from chained
    where audit_log.id = cast(chained.id as integer)`.execute(tx);
}

export async function latestChainedEntry(db: DatabaseExecutor): Promise<AuditHeadRecord | undefined> {
  const row = await db
    .selectFrom('audit_log')
    .select(['sequence', 'entry_hash'])
    .where('sequence', 'is not', null)
    .orderBy('sequence', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row === undefined || row.sequence === null
    ? undefined
    : { sequence: row.sequence, entryHash: row.entry_hash ?? '' };
}

/** One checkpoint per head position; a second node checkpointing the same head adds nothing. */
export async function insertCheckpoint(
  db: DatabaseExecutor,
  checkpoint: AuditCheckpointRecord,
): Promise<void> {
  await db
    .insertInto('audit_checkpoints')
    .values({
      sequence: checkpoint.sequence,
      entry_hash: checkpoint.entryHash,
      created_at: checkpoint.createdAt,
      mac: checkpoint.mac,
    })
    .onConflict((conflict) => conflict.column('sequence').doNothing())
    .execute();
}

export async function hasCheckpointAt(db: DatabaseExecutor, sequence: number): Promise<boolean> {
  const row = await db
    .selectFrom('audit_checkpoints')
    .select('id')
    .where('sequence', '=', sequence)
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * Category, operation and level are stored as numbers but callers filter and sort on their names, so the
 * list queries run over this view, which adds the names from the catalog.
 */
function labelColumn(column: 'category' | 'operation' | 'level', labels: ReadonlyMap<number, string>) {
  const ref = sql.ref(`audit_log.${column}`);
  const branches = [...labels].map(([code, label]) => sql`when ${sql.lit(code)} then ${sql.lit(label)}`);
  return sql<string>`case ${ref} ${sql.join(branches, sql` `)} else cast(${ref} as text) end`;
}

function entriesView(db: DatabaseExecutor) {
  return db.selectFrom(
    db
      .selectFrom('audit_log')
      .selectAll('audit_log')
      .select([
        labelColumn('category', categoryLabelsByCode).as('category_name'),
        labelColumn('operation', operationLabelsByCode).as('operation_name'),
        labelColumn('level', levelLabelsByCode).as('level_name'),
      ])
      .as('entries'),
  );
}

/** The fields `QueryString` and `SortField` accept on the audit endpoints. */
const auditListSpec: ListSpec = {
  fields: {
    Id: { column: 'entries.id', type: 'integer' },
    Timestamp: { column: 'entries.timestamp', type: 'date' },
    Category: { column: 'entries.category_name', type: 'string' },
    Operation: { column: 'entries.operation_name', type: 'string' },
    Level: { column: 'entries.level_name', type: 'string' },
    User: { column: 'entries.user_name', type: 'string' },
    EntityType: { column: 'entries.entity_type', type: 'string' },
    AuditIdentifier: { column: 'entries.audit_identifier', type: 'string' },
    Name: { column: 'entries.audit_identifier', type: 'string' },
    ImmutableIdentifier: { column: 'entries.immutable_identifier', type: 'string' },
    Message: { column: 'entries.message', type: 'string' },
  },
  defaultSort: 'Id',
  tieBreaker: 'entries.id',
};

export async function listAuditEntries(
  db: DatabaseExecutor,
  request: ListRequest,
): Promise<AuditEntryRecord[]> {
  const rows = await applyListRequest(entriesView(db).selectAll(), request, auditListSpec).execute();
  return rows.map(toRecord);
}

/**
 * Entries about the same objects (entity type and immutable id) as the entries `QueryString` matches:
 * the whole history of whatever the filter finds, including entries recorded after a rename.
 */
export async function listRelatedAuditEntries(
  db: DatabaseExecutor,
  request: ListRequest,
): Promise<AuditEntryRecord[]> {
  const expression = request.queryString === undefined ? undefined : parseQueryString(request.queryString);
  let query = entriesView(db).selectAll();
  if (expression !== undefined) {
    // The inner view is also named `entries`, so the filter's column names resolve to the matched rows.
    const matched = entriesView(db)
      .select(['entries.entity_type', 'entries.immutable_identifier'])
      .where(compileQueryFilter(expression, auditListSpec.fields));
    query = query.where(
      sql<SqlBool>`(${sql.ref('entries.entity_type')}, ${sql.ref('entries.immutable_identifier')}) in (${matched})`,
    );
  }
  const rows = await applyListRequest(query, { ...request, queryString: undefined }, auditListSpec).execute();
  return rows.map(toRecord);
}

/**
 * Yields every entry the request matches, in its order, one batch at a time. Batches continue from the
 * last row's sort key (keyset paging), so each costs the same however deep into the log it starts and
 * only one batch is ever in memory.
 */
export async function* streamAuditEntries(
  db: DatabaseExecutor,
  request: Omit<ListRequest, 'pageReturned' | 'returnLimit'>,
  batchSize: number,
): AsyncGenerator<AuditEntryRecord[]> {
  const sortName =
    request.sortField === undefined || request.sortField === ''
      ? auditListSpec.defaultSort
      : request.sortField;
  const sortField = Object.entries(auditListSpec.fields).find(
    ([name]) => name.toLowerCase() === sortName.toLowerCase(),
  )?.[1];
  const comparison = sql.raw(request.sortAscending === 1 ? '<' : '>');
  let after: { sortValue: unknown; id: number } | undefined;
  for (;;) {
    let query = entriesView(db).selectAll();
    if (after !== undefined && sortField !== undefined) {
      const { sortValue, id } = after;
      query = query.where(
        sql<SqlBool>`(${sql.ref(sortField.column)}, ${sql.ref('entries.id')}) ${comparison} (${sortValue}, ${id})`,
      );
    }
    const rows = await applyListRequest(
      query,
      { ...request, pageReturned: 1, returnLimit: batchSize },
      auditListSpec,
    ).execute();
    if (rows.length > 0) yield rows.map(toRecord);
    const lastRow = rows.at(-1);
    if (rows.length < batchSize || lastRow === undefined || sortField === undefined) return;
    const sortColumn = sortField.column.slice('entries.'.length) as keyof typeof lastRow;
    after = { sortValue: lastRow[sortColumn], id: lastRow.id };
    await yieldToEventLoop();
  }
}

export async function findAuditEntry(
  db: DatabaseExecutor,
  id: number,
): Promise<AuditEntryRecord | undefined> {
  const row = await db.selectFrom('audit_log').selectAll().where('id', '=', id).executeTakeFirst();
  return row === undefined ? undefined : toRecord(row);
}

export async function findAuditEntryBySequence(
  db: DatabaseExecutor,
  sequence: number,
): Promise<AuditEntryRecord | undefined> {
  const row = await db
    .selectFrom('audit_log')
    .selectAll()
    .where('sequence', '=', sequence)
    .executeTakeFirst();
  return row === undefined ? undefined : toRecord(row);
}

async function* keysetRows<Row>(
  fetch: (after: number | undefined) => Promise<Row[]>,
  keyOf: (row: Row) => number,
  batchSize: number,
  shouldStop: () => boolean,
): AsyncGenerator<Row> {
  let after: number | undefined;
  for (;;) {
    if (shouldStop()) return;
    const rows = await fetch(after);
    yield* rows;
    const lastRow = rows.at(-1);
    if (rows.length < batchSize || lastRow === undefined) return;
    after = keyOf(lastRow);
    await yieldToEventLoop();
  }
}

/**
 * The chain in verification order (see AuditChainItem), read in batches. Checkpoints are bounded by the
 * highest one that existed before the head was read, so a checkpoint written while this runs cannot name
 * an entry the walk has not reached and look like a truncation.
 */
export async function* readAuditChain(
  db: DatabaseExecutor,
  options: { batchSize: number; shouldStop?: () => boolean },
): AsyncGenerator<AuditChainItem> {
  const { batchSize } = options;
  const shouldStop = options.shouldStop ?? (() => false);
  const checkpointLimit = await db
    .selectFrom('audit_checkpoints')
    .select((eb) => eb.fn.max('sequence').as('sequence'))
    .executeTakeFirst();
  const head = await db
    .selectFrom('audit_head')
    .select(['sequence', 'entry_hash'])
    .where('id', '=', 1)
    .executeTakeFirst();
  if (head !== undefined)
    yield { kind: 'head', head: { sequence: head.sequence, entryHash: head.entry_hash } };

  const checkpoints = keysetRows(
    (after) =>
      db
        .selectFrom('audit_checkpoints')
        .selectAll()
        .where('sequence', '<=', Number(checkpointLimit?.sequence ?? 0))
        .$if(after !== undefined, (query) => query.where('sequence', '>', after ?? 0))
        .orderBy('sequence')
        .limit(batchSize)
        .execute(),
    (row) => row.sequence,
    batchSize,
    shouldStop,
  );
  const toCheckpoint = (row: { sequence: number; entry_hash: string; created_at: string; mac: string }) =>
    ({
      kind: 'checkpoint',
      checkpoint: {
        sequence: row.sequence,
        entryHash: row.entry_hash,
        createdAt: row.created_at,
        mac: row.mac,
      },
    }) as const;
  let nextCheckpoint = await checkpoints.next();

  const chained = keysetRows(
    (after) =>
      db
        .selectFrom('audit_log')
        .selectAll()
        .where('sequence', 'is not', null)
        .$if(after !== undefined, (query) => query.where('sequence', '>', after ?? 0))
        .orderBy('sequence')
        .limit(batchSize)
        .execute(),
    (row) => row.sequence ?? 0,
    batchSize,
    shouldStop,
  );
  for await (const row of chained) {
    const sequence = row.sequence ?? 0;
    while (nextCheckpoint.done !== true && nextCheckpoint.value.sequence < sequence) {
      yield toCheckpoint(nextCheckpoint.value);
      nextCheckpoint = await checkpoints.next();
    }
    yield { kind: 'entry', entry: toRecord(row) };
    while (nextCheckpoint.done !== true && nextCheckpoint.value.sequence === sequence) {
      yield toCheckpoint(nextCheckpoint.value);
      nextCheckpoint = await checkpoints.next();
    }
  }
  while (nextCheckpoint.done !== true) {
    yield toCheckpoint(nextCheckpoint.value);
    nextCheckpoint = await checkpoints.next();
  }

  const pending = keysetRows(
    (after) =>
      db
        .selectFrom('audit_log')
        .selectAll()
        .where('sequence', 'is', null)
        .$if(after !== undefined, (query) => query.where('id', '>', after ?? 0))
        .orderBy('id')
        .limit(batchSize)
        .execute(),
    (row) => row.id,
    batchSize,
    shouldStop,
  );
  for await (const row of pending) yield { kind: 'entry', entry: toRecord(row) };
}
