import { createHash } from 'node:crypto';
import type { Readable, Writable } from 'node:stream';
import { createGunzip, createGzip } from 'node:zlib';
import { createInterface } from 'node:readline';

/**
 * The Strongroom backup archive, format version 1.
 *
 * A gzip-compressed file of JSON lines (UTF-8, one JSON object per line, `\n` after each):
 *
 * 1. The header:
 *    `{"format":"strongroom-backup","formatVersion":1,"notice":"...","createdAt":"<ISO-8601>",
 *      "sourceDialect":"sqlite"|"postgres","masterKeyCheck":"<hex>","migrations":["001-foundation",...],
 *      "tables":[{"name":"users","rows":12},...]}`
 *    `masterKeyCheck` is the database's key check value (an HMAC under a key derived from the master key;
 *    it reveals nothing about the key). A restore compares it with the configured master key before it
 *    writes anything. `tables` lists every table in restore order with its row count.
 * 2. One line per row, tables in header order: `{"t":"<table>","r":{"<column>":<value>,...}}`. Values are
 *    JSON strings, numbers and null as stored (timestamps are ISO-8601 text and booleans 0/1 in both
 *    databases); binary values are `{"$base64":"..."}`. Sealed secrets are copied exactly as stored: they
 *    stay sealed, so the archive is useless without the master key and safe to store like any backup, and
 *    the master key must be backed up separately (never beside the archive).
 * 3. The end record: `{"end":true,"rows":<number of row lines>,"sha256":"<hex>"}`, where sha256 covers the
 *    bytes of every line before it, newlines included. A missing end record means the file was cut short;
 *    a different hash that it was changed.
 *
 * Nothing in the format depends on the database it came from, so an archive of SQLite restores into
 * PostgreSQL and back.
 */
export const archiveFormat = 'strongroom-backup';
export const archiveFormatVersion = 1;

export const archiveNotice =
  'Strongroom backup. Secret values in it are sealed (AES-256-GCM under data keys wrapped by the master key) ' +
  'and cannot be read without the master key of the database it was taken from; keep that key separately.';

export type ArchiveValue = string | number | null | { $base64: string };

export interface ArchiveHeader {
  format: typeof archiveFormat;
  formatVersion: number;
  notice: string;
  createdAt: string;
  sourceDialect: 'sqlite' | 'postgres';
  masterKeyCheck: string;
  migrations: string[];
  tables: { name: string; rows: number }[];
}

export interface ArchiveRow {
  table: string;
  row: Record<string, unknown>;
}

/** The archive cannot be used; the message names what is wrong with it. */
export class ArchiveError extends Error {
  override name = 'ArchiveError';
}

export function encodeValue(value: unknown): ArchiveValue {
  if (value === null || value === undefined) return null;
  if (Buffer.isBuffer(value) || value instanceof Uint8Array)
    return { $base64: Buffer.from(value).toString('base64') };
  if (typeof value === 'number' || typeof value === 'string') return value;
  if (typeof value === 'bigint') return Number(value);
  throw new Error(`A value of type ${typeof value} cannot be archived`);
}

export function decodeValue(value: unknown): unknown {
  if (value !== null && typeof value === 'object' && '$base64' in value) {
    return Buffer.from(String(value.$base64), 'base64');
  }
  return value;
}

export interface ArchiveWriter {
  writeRow(table: string, row: Readonly<Record<string, unknown>>): Promise<void>;
  /** Writes the end record and waits until everything is flushed to the destination. */
  finish(): Promise<{ rows: number; sha256: string }>;
}

export function createArchiveWriter(destination: Writable, header: ArchiveHeader): ArchiveWriter {
  const gzip = createGzip();
  gzip.pipe(destination);
  const hash = createHash('sha256');
  let rows = 0;
  const finished = new Promise<void>((resolve, reject) => {
    destination.once('finish', resolve);
    destination.once('close', resolve);
    destination.once('error', reject);
    gzip.once('error', reject);
  });

  async function writeLine(value: unknown, hashed: boolean): Promise<void> {
    const line = `${JSON.stringify(value)}\n`;
    if (hashed) hash.update(line, 'utf8');
    if (!gzip.write(line)) await new Promise((resolve) => gzip.once('drain', resolve));
  }

  const started = writeLine(header, true);
  return {
    async writeRow(table, row) {
      await started;
      const encoded: Record<string, ArchiveValue> = {};
      for (const [column, value] of Object.entries(row)) encoded[column] = encodeValue(value);
      rows += 1;
      await writeLine({ t: table, r: encoded }, true);
    },
    async finish() {
      await started;
      const sha256 = hash.digest('hex');
      await writeLine({ end: true, rows, sha256 }, false);
      gzip.end();
      await finished;
      return { rows, sha256 };
    },
  };
}

function parseLine(line: string, lineNumber: number): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(line);
    if (value !== null && typeof value === 'object' && !Array.isArray(value))
      return value as Record<string, unknown>;
  } catch {
    // Reported below with the line number.
  }
  throw new ArchiveError(`The archive is damaged: line ${lineNumber} is not a JSON object`);
}

function checkHeader(value: Record<string, unknown>): ArchiveHeader {
  if (value.format !== archiveFormat) {
    throw new ArchiveError('This file is not a Strongroom backup (its first line is not a backup header)');
  }
  if (value.formatVersion !== archiveFormatVersion) {
    throw new ArchiveError(
      `The archive has format version ${String(value.formatVersion)}; this Strongroom reads version ${archiveFormatVersion}`,
    );
  }
  if (
    typeof value.masterKeyCheck !== 'string' ||
    !Array.isArray(value.migrations) ||
    !Array.isArray(value.tables) ||
    (value.sourceDialect !== 'sqlite' && value.sourceDialect !== 'postgres')
  ) {
    throw new ArchiveError(
      'The archive header is incomplete (key check value, migrations or tables missing)',
    );
  }
  return value as unknown as ArchiveHeader;
}

/**
 * Reads an archive line by line. `onRow` sees each row as it is read; when it returns, the file has been
 * read to its end record and the checksum and row count have been checked. A first pass with no `onRow`
 * therefore validates an archive completely before a second pass writes anything.
 */
export async function readArchive(
  source: Readable,
  handlers: { onHeader?: (header: ArchiveHeader) => void; onRow?: (row: ArchiveRow) => Promise<void> | void },
): Promise<{ header: ArchiveHeader; rows: number }> {
  const gunzip = createGunzip();
  let streamError: Error | undefined;
  const fail = (error: Error) => {
    streamError ??= error;
    gunzip.destroy();
  };
  source.once('error', fail);
  gunzip.once('error', fail);
  const lines = createInterface({ input: source.pipe(gunzip), crlfDelay: Number.POSITIVE_INFINITY });
  const hash = createHash('sha256');
  let header: ArchiveHeader | undefined;
  let rows = 0;
  let lineNumber = 0;
  let end: Record<string, unknown> | undefined;
  try {
    for await (const line of lines) {
      lineNumber += 1;
      if (end !== undefined)
        throw new ArchiveError(`The archive is damaged: line ${lineNumber} follows its end record`);
      const value = parseLine(line, lineNumber);
      if (header === undefined) {
        header = checkHeader(value);
        handlers.onHeader?.(header);
        hash.update(`${line}\n`, 'utf8');
        continue;
      }
      if (value.end === true) {
        end = value;
        continue;
      }
      hash.update(`${line}\n`, 'utf8');
      if (typeof value.t !== 'string' || value.r === null || typeof value.r !== 'object') {
        throw new ArchiveError(
          `The archive is damaged: line ${lineNumber} is neither a row nor the end record`,
        );
      }
      rows += 1;
      if (handlers.onRow !== undefined) {
        const decoded: Record<string, unknown> = {};
        for (const [column, item] of Object.entries(value.r as Record<string, unknown>))
          decoded[column] = decodeValue(item);
        await handlers.onRow({ table: value.t, row: decoded });
      }
    }
  } catch (error) {
    if (error instanceof ArchiveError) throw error;
    if (streamError === undefined) throw error;
  }
  if (streamError !== undefined) {
    const code = (streamError as NodeJS.ErrnoException).code;
    throw new ArchiveError(
      code === 'Z_BUF_ERROR'
        ? 'The archive is truncated: the compressed data ends early'
        : `The archive is not a readable gzip file (${code ?? streamError.message})`,
    );
  }
  if (header === undefined) throw new ArchiveError('The archive is empty');
  if (end === undefined) throw new ArchiveError('The archive is truncated: it ends before its end record');
  if (end.rows !== rows) {
    throw new ArchiveError(
      `The archive is damaged: its end record counts ${String(end.rows)} rows but it holds ${rows}`,
    );
  }
  if (end.sha256 !== hash.digest('hex')) {
    throw new ArchiveError('The archive checksum does not match: it was changed after it was written');
  }
  return { header, rows };
}
