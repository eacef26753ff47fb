import { sql } from 'kysely';
import type { RawBuilder } from 'kysely';
import { maxKeyVersion } from '../../crypto/data-key-wrap.js';
import { sealedFormatVersion } from '../../crypto/secret-cipher.js';
import type { DatabaseExecutor, DatabaseTransaction } from '../../storage/storage.js';
import type { SealedColumn } from './sealed-column-registry.js';

export type RowKey = readonly unknown[];

export interface SealedRow {
  key: RowKey;
  /** The column's value as stored: a sealed value, or the parameters JSON text. */
  value: Buffer | string;
  fields: Readonly<Record<string, unknown>>;
}

/**
 * The sealed header of a version: format byte 0x01 and the 4-byte big-endian version. Sealed values sort
 * bytewise in both databases, so `value < headerOf(v)` selects exactly the values sealed before version v
 * without decoding anything, and `headerOf(v) <= value < headerOf(v + 1)` those sealed with v.
 */
export function headerOf(keyVersion: number): Buffer {
  const header = Buffer.alloc(5);
  header.writeUInt8(sealedFormatVersion, 0);
  header.writeUInt32BE(keyVersion, 1);
  return header;
}

/** The smallest value above every value sealed with this version; the last version has no successor. */
function upperBoundOf(keyVersion: number): Buffer {
  return keyVersion === maxKeyVersion ? Buffer.from([0x02]) : headerOf(keyVersion + 1);
}

function keyTuple(column: SealedColumn): RawBuilder<unknown> {
  const refs = column.keyColumns.map((name) => sql.ref(`t.${name}`));
  return refs.length === 1 ? (refs[0] as RawBuilder<unknown>) : sql`(${sql.join(refs)})`;
}

function valueTuple(values: RowKey): RawBuilder<unknown> {
  const parts = values.map((value) => sql`${value}`);
  return parts.length === 1 ? (parts[0] as RawBuilder<unknown>) : sql`(${sql.join(parts)})`;
}

/**
 * One page of rows after `after` in key order. For sealed columns only values sealed before `below` are
 * read; parameters JSON cannot be filtered in SQL, so every row that has some is read.
 */
export async function readSealedPage(
  db: DatabaseExecutor,
  column: SealedColumn,
  options: { after: RowKey | undefined; below: number | undefined; limit: number },
): Promise<SealedRow[]> {
  const value = sql.ref(`t.${column.column}`);
  const conditions: RawBuilder<unknown>[] = [sql`${value} is not null`];
  if (options.after !== undefined) conditions.push(sql`${keyTuple(column)} > ${valueTuple(options.after)}`);
  if (column.form === 'sealed' && options.below !== undefined) {
    conditions.push(sql`${value} < ${headerOf(options.below)}`);
  }
  const extra = column.locationSelect === undefined ? sql`` : sql`, ${column.locationSelect}`;
  const order = sql.join(column.keyColumns.map((name) => sql.ref(`t.${name}`)));
  const { rows } = await sql<Record<string, unknown>>`select t.*${extra} from ${column.from}
    where ${sql.join(conditions, sql` and `)} order by ${order} limit ${options.limit}`.execute(db);
  return rows.map((row) => {
    const stored = row[column.column];
    return {
      key: column.keyColumns.map((name) => row[name]),
      value: typeof stored === 'string' ? stored : Buffer.from(stored as Uint8Array),
      fields: row,
    };
  });
}

/**
 * Writes a resealed value only if the row still holds the value it was read with. A request that changed
 * the secret in between wins: its value is newer, and was sealed with a current key.
 */
export async function replaceSealedValue(
  tx: DatabaseTransaction,
  column: SealedColumn,
  row: { key: RowKey; previous: Buffer | string; next: Buffer | string },
): Promise<boolean> {
  const conditions = column.keyColumns.map((name, index) => sql`${sql.ref(name)} = ${row.key[index]}`);
  conditions.push(sql`${sql.ref(column.column)} = ${row.previous}`);
  const result = await sql`update ${sql.table(column.table)} set ${sql.ref(column.column)} = ${row.next}
    where ${sql.join(conditions, sql` and `)}`.execute(tx);
  return Number(result.numAffectedRows ?? 0) === 1;
}

/** How many values of a sealed column each key version seals (parameters JSON is counted by the caller). */
export async function countSealedWithVersion(
  db: DatabaseExecutor,
  column: SealedColumn,
  keyVersion: number,
): Promise<number> {
  const value = sql.ref(column.column);
  const { rows } = await sql<{
    count: number | string;
  }>`select count(*) as count from ${sql.table(column.table)}
    where ${value} >= ${headerOf(keyVersion)} and ${value} < ${upperBoundOf(keyVersion)}`.execute(db);
  return Number(rows[0]?.count ?? 0);
}
