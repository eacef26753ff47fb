import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import { createInterface } from 'node:readline';
import type { AuditChainItem, AuditEntryRecord } from './audit-verifier.js';

/**
 * The export file: JSON lines, one object each, in verification order (AuditChainItem). A header line names
 * the format and an end line counts the items, so a file cut short is refused rather than read as a
 * truncated log. The format and the canonical encodings in audit-chain.ts are all a third party needs to
 * verify an export without Strongroom (docs/audit.md spells them out).
 */
export const auditExportFormat = 'strongroom-audit-export';
export const auditExportVersion = 1;

export class AuditExportError extends Error {
  override name = 'AuditExportError';
}

export interface AuditExportSummary {
  entries: number;
  pendingEntries: number;
  checkpoints: number;
}

function entryLine(entry: AuditEntryRecord): Record<string, unknown> {
  return {
    type: 'entry',
    id: entry.id,
    timestamp: entry.timestamp,
    category: entry.category,
    operation: entry.operation,
    level: entry.level,
    userName: entry.userName,
    entityType: entry.entityType,
    auditIdentifier: entry.auditIdentifier,
    immutableIdentifier: entry.immutableIdentifier,
    outcome: entry.outcome,
    message: entry.message,
    recordMac: entry.recordMac,
    sequence: entry.chain?.sequence ?? null,
    previousHash: entry.chain?.previousHash ?? null,
    entryHash: entry.chain?.entryHash ?? null,
    mac: entry.chain?.mac ?? null,
  };
}

function itemLine(item: AuditChainItem): Record<string, unknown> {
  switch (item.kind) {
    case 'head':
      return { type: 'head', sequence: item.head.sequence, entryHash: item.head.entryHash };
    case 'checkpoint':
      return { type: 'checkpoint', ...item.checkpoint };
    case 'entry':
      return entryLine(item.entry);
  }
}

export async function writeAuditExport(
  items: AsyncIterable<AuditChainItem>,
  output: Writable,
  exportedAt: Date,
): Promise<AuditExportSummary> {
  const summary: AuditExportSummary = { entries: 0, pendingEntries: 0, checkpoints: 0 };
  let lines = 0;
  const write = async (value: Record<string, unknown>) => {
    if (!output.write(`${JSON.stringify(value)}\n`)) await once(output, 'drain');
  };
  await write({
    format: auditExportFormat,
    version: auditExportVersion,
    exportedAt: exportedAt.toISOString(),
  });
  for await (const item of items) {
    if (item.kind === 'entry') {
      if (item.entry.chain === null) summary.pendingEntries += 1;
      else summary.entries += 1;
    }
    if (item.kind === 'checkpoint') summary.checkpoints += 1;
    await write(itemLine(item));
    lines += 1;
  }
  await write({ type: 'end', items: lines });
  return summary;
}

const maxLineLength = 1_000_000;

function field<T>(
  line: Record<string, unknown>,
  name: string,
  kind: 'string' | 'number',
  lineNumber: number,
): T {
  const value = line[name];
  const valid = kind === 'number' ? Number.isSafeInteger(value) : typeof value === 'string';
  if (!valid) throw new AuditExportError(`Line ${lineNumber}: '${name}' must be a ${kind}`);
  return value as T;
}

function nullableField<T>(
  line: Record<string, unknown>,
  name: string,
  kind: 'string' | 'number',
  lineNumber: number,
): T | null {
  return line[name] === null ? null : field<T>(line, name, kind, lineNumber);
}

function parseItem(line: Record<string, unknown>, lineNumber: number): AuditChainItem {
  const text = (name: string) => field<string>(line, name, 'string', lineNumber);
  const number = (name: string) => field<number>(line, name, 'number', lineNumber);
  switch (line.type) {
    case 'head':
      return { kind: 'head', head: { sequence: number('sequence'), entryHash: text('entryHash') } };
    case 'checkpoint':
      return {
        kind: 'checkpoint',
        checkpoint: {
          sequence: number('sequence'),
          entryHash: text('entryHash'),
          createdAt: text('createdAt'),
          mac: text('mac'),
        },
      };
    case 'entry': {
      const sequence = nullableField<number>(line, 'sequence', 'number', lineNumber);
      return {
        kind: 'entry',
        entry: {
          id: number('id'),
          timestamp: text('timestamp'),
          category: number('category'),
          operation: number('operation'),
          level: number('level'),
          userName: text('userName'),
          entityType: text('entityType'),
          auditIdentifier: text('auditIdentifier'),
          immutableIdentifier: text('immutableIdentifier'),
          outcome: text('outcome'),
          message: text('message'),
          recordMac: text('recordMac'),
          chain:
            sequence === null
              ? null
              : {
                  sequence,
                  previousHash: text('previousHash'),
                  entryHash: text('entryHash'),
                  mac: text('mac'),
                },
        },
      };
    }
    default:
      throw new AuditExportError(`Line ${lineNumber}: unknown line type ${JSON.stringify(line.type)}`);
  }
}

/** Reads an export back as the items a verifier takes; a malformed or incomplete file is an error. */
export async function* readAuditExport(input: Readable): AsyncGenerator<AuditChainItem> {
  let lineNumber = 0;
  let items = 0;
  let ended = false;
  for await (const text of createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })) {
    lineNumber += 1;
    if (text.trim() === '') continue;
    if (ended) throw new AuditExportError(`Line ${lineNumber}: content after the end line`);
    if (text.length > maxLineLength) throw new AuditExportError(`Line ${lineNumber} is too long`);
    let line: Record<string, unknown>;
    try {
      line = JSON.parse(text) as Record<string, unknown>;
    } catch {
      throw new AuditExportError(`Line ${lineNumber} is not JSON`);
    }
    if (typeof line !== 'object' || line === null || Array.isArray(line)) {
      throw new AuditExportError(`Line ${lineNumber} is not a JSON object`);
    }
    if (lineNumber === 1) {
      if (line.format !== auditExportFormat || line.version !== auditExportVersion) {
        throw new AuditExportError(
          `This is not a ${auditExportFormat} version ${auditExportVersion} file (line 1 names another format)`,
        );
      }
      continue;
    }
    if (line.type === 'end') {
      if (line.items !== items) {
        throw new AuditExportError(
          `The end line counts ${String(line.items)} items but the file holds ${items}`,
        );
      }
      ended = true;
      continue;
    }
    yield parseItem(line, lineNumber);
    items += 1;
  }
  if (lineNumber === 0) throw new AuditExportError('The export file is empty');
  if (!ended) throw new AuditExportError('The export file has no end line: it was cut short');
}
