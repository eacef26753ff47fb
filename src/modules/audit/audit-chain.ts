import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** What an entry says, fixed when it is recorded. `id` is the Keyfactor `Id` callers look entries up by. */
export interface RecordedAuditFields {
  id: number;
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
}

/** An entry's place in the chain, given when the sealer appends it. */
export interface ChainLink {
  sequence: number;
  previousHash: string;
}

export interface ChainSeal {
  entryHash: string;
  mac: string;
}

export interface CheckpointFields {
  sequence: number;
  entryHash: string;
  createdAt: string;
}

/** The hash the first entry links to, so an empty log and a log with a removed first entry differ. */
export const genesisHash = '0'.repeat(64);

/**
 * A length-prefixed encoding: no two different field lists encode to the same bytes, whatever their text
 * contains, which a plain join with a separator could not promise. The label keeps the three kinds of
 * signed message apart, so a MAC made for one can never pass as another.
 */
export function canonicalEncoding(label: string, parts: readonly (string | number)[]): Buffer {
  const buffers: Buffer[] = [];
  for (const part of [label, ...parts]) {
    const bytes = Buffer.from(String(part), 'utf8');
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    buffers.push(length, bytes);
  }
  return Buffer.concat(buffers);
}

function recordedParts(fields: RecordedAuditFields): (string | number)[] {
  return [
    fields.id,
    fields.timestamp,
    fields.category,
    fields.operation,
    fields.level,
    fields.userName,
    fields.entityType,
    fields.auditIdentifier,
    fields.immutableIdentifier,
    fields.outcome,
    fields.message,
  ];
}

function hmacHex(key: Buffer, message: Buffer): string {
  return createHmac('sha256', key).update(message).digest('hex');
}

/**
 * Written in the transaction of the change. It binds the content to its row id under the server's key,
 * so the sealer (and any verifier holding the key) can tell an entry the server recorded from a row
 * someone inserted or edited directly in the database before it was chained.
 */
export function recordMac(fields: RecordedAuditFields, macKey: Buffer): string {
  return hmacHex(macKey, canonicalEncoding('strongroom-audit-record-v1', recordedParts(fields)));
}

function chainEncoding(fields: RecordedAuditFields, link: ChainLink): Buffer {
  return canonicalEncoding('strongroom-audit-entry-v1', [
    link.sequence,
    ...recordedParts(fields),
    link.previousHash,
  ]);
}

/** Keyless, so anyone holding the entries can recompute the chain. */
export function auditEntryHash(fields: RecordedAuditFields, link: ChainLink): string {
  return createHash('sha256').update(chainEncoding(fields, link)).digest('hex');
}

/** Needs the key, so only the server (or whoever holds the key) can make an entry that passes. */
export function auditEntryMac(fields: RecordedAuditFields, link: ChainLink, macKey: Buffer): string {
  return hmacHex(macKey, chainEncoding(fields, link));
}

export function sealAuditEntry(fields: RecordedAuditFields, link: ChainLink, macKey: Buffer): ChainSeal {
  return { entryHash: auditEntryHash(fields, link), mac: auditEntryMac(fields, link, macKey) };
}

export function checkpointMac(fields: CheckpointFields, macKey: Buffer): string {
  return hmacHex(
    macKey,
    canonicalEncoding('strongroom-audit-checkpoint-v1', [
      fields.sequence,
      fields.entryHash,
      fields.createdAt,
    ]),
  );
}

/** Constant-time comparison of two hex digests; different lengths are simply unequal. */
export function sameDigest(expected: string, actual: string): boolean {
  const left = Buffer.from(expected, 'utf8');
  const right = Buffer.from(actual, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}
