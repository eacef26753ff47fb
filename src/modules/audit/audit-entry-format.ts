import { categoryLabelsByCode, labelOf, levelLabelsByCode, operationLabelsByCode } from './audit-catalog.js';
import type { RecordedAuditFields } from './audit-chain.js';

/**
 * How entries read to people and to Keyfactor clients. Keyfactor's `Message` is XML describing the event,
 * so the stored detail (JSON) is rendered as XML; the CSV download adds Keyfactor's one-line summary.
 */

const maxXmlDepth = 16;

function escapeXml(text: string): string {
  return (
    text
      // Characters XML 1.0 cannot carry at all, even escaped.
      .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '\uFFFD')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/'/g, '&apos;')
  );
}

/** Detail keys are chosen by our code, but a tampered row could hold anything; invalid names are mended. */
function xmlName(name: string): string {
  const mended = name.replace(/[^A-Za-z0-9_.-]/g, '_');
  return /^[A-Za-z_]/.test(mended) ? mended : `_${mended}`;
}

function xmlElement(name: string, value: unknown, depth: number): string {
  const tag = xmlName(name);
  if (value === null || value === undefined) return `<${tag} />`;
  if (depth >= maxXmlDepth || typeof value !== 'object') {
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    return `<${tag}>${escapeXml(text)}</${tag}>`;
  }
  const children = Array.isArray(value)
    ? value.map((item) => xmlElement('Item', item, depth + 1))
    : Object.entries(value).map(([key, item]) => xmlElement(key, item, depth + 1));
  return `<${tag}>${children.join('')}</${tag}>`;
}

export function auditXmlMessage(entry: Pick<RecordedAuditFields, 'outcome' | 'message'>): string {
  let details: unknown;
  try {
    details = JSON.parse(entry.message) as unknown;
  } catch {
    details = entry.message;
  }
  return `<AuditEntry><Outcome>${escapeXml(entry.outcome)}</Outcome>${xmlElement('Details', details, 0)}</AuditEntry>`;
}

/** Keyfactor's portal wording: The user '<user>' <Operation> <Category>, '<Name>'. */
export function auditSummary(entry: RecordedAuditFields): string {
  const operation = labelOf(operationLabelsByCode, entry.operation);
  const category = labelOf(categoryLabelsByCode, entry.category);
  const failed = entry.outcome === 'Success' ? '' : ` (${entry.outcome})`;
  return `The user '${entry.userName}' ${operation} ${category}, '${entry.auditIdentifier}'${failed}`;
}

export const auditCsvHeader = 'Id,Timestamp,Message,Operation,Level,User,Category,Name,XMLMessage\r\n';

/**
 * RFC 4180 quoting, plus the usual guard against formula injection: a cell a spreadsheet would evaluate
 * (=, +, -, @ first) gets a leading apostrophe, since names and users come from API callers.
 */
function csvText(value: string): string {
  const guarded = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(guarded) ? `"${guarded.replace(/"/g, '""')}"` : guarded;
}

export function auditCsvLine(entry: RecordedAuditFields): string {
  return `${[
    String(entry.id),
    entry.timestamp,
    csvText(auditSummary(entry)),
    csvText(labelOf(operationLabelsByCode, entry.operation)),
    csvText(labelOf(levelLabelsByCode, entry.level)),
    csvText(entry.userName),
    csvText(labelOf(categoryLabelsByCode, entry.category)),
    csvText(entry.auditIdentifier),
    csvText(auditXmlMessage(entry)),
  ].join(',')}\r\n`;
}
