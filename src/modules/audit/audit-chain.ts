import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** The fields of an entry that the chain protects, in the order they are encoded. */
export interface ChainedAuditFields {
  sequence: number;
  timestamp: string;
  category: number;
  operation: number;
  level: number;
  userName: string;
  entityType: string;
  auditIdentifier: string;
  immutableIdentifier: string;
  outcome: string;
  message: string;
  previousHash: string;
}

/** The hash the first entry links to, so an empty log and a log with a removed head differ. */
export const genesisHash = '0'.repeat(64);

/**
 * A length-prefixed encoding: no two different entries can encode to the same bytes, whatever their text
 * contains, which a plain join with a separator could not promise.
 */
export function canonicalAuditEncoding(fields: ChainedAuditFields): Buffer {
  const parts = [
    'strongroom-audit-v1',
    String(fields.sequence),
    fields.timestamp,
    String(fields.category),
    String(fields.operation),
    String(fields.level),
    fields.userName,
    fields.entityType,
    fields.auditIdentifier,
    fields.immutableIdentifier,
    fields.outcome,
    fields.message,
    fields.previousHash,
  ];
  const buffers: Buffer[] = [];
  for (const part of parts) {
    const bytes = Buffer.from(part, 'utf8');
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    buffers.push(length, bytes);
  }
  return Buffer.concat(buffers);
}

export function sealAuditEntry(
  fields: ChainedAuditFields,
  macKey: Buffer,
): { entryHash: string; mac: string } {
  const encoded = canonicalAuditEncoding(fields);
  return {
    entryHash: createHash('sha256').update(encoded).digest('hex'),
    mac: createHmac('sha256', macKey).update(encoded).digest('hex'),
  };
}

/** True when the stored hash and MAC are exactly what the stored fields produce. */
export function auditEntryIsIntact(
  fields: ChainedAuditFields,
  stored: { entryHash: string; mac: string },
  macKey: Buffer,
): boolean {
  const expected = sealAuditEntry(fields, macKey);
  return safeEqualHex(expected.entryHash, stored.entryHash) && safeEqualHex(expected.mac, stored.mac);
}

function safeEqualHex(expected: string, actual: string): boolean {
  const left = Buffer.from(expected, 'utf8');
  const right = Buffer.from(actual, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}
