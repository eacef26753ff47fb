import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import type { RecordedAuditFields } from './audit-chain.js';
import { canonicalEncoding, checkpointMac, recordMac, sealAuditEntry } from './audit-chain.js';

const fields: RecordedAuditFields = {
  id: 7,
  timestamp: '2025-01-01T00:00:00.000Z',
  category: 2100,
  operation: 1,
  level: 0,
  userName: 'admin',
  entityType: 'User',
  auditIdentifier: 'carol',
  immutableIdentifier: '3',
  outcome: 'Success',
  message: '{}',
};

test('the encoding keeps field boundaries: moving text between fields changes the bytes', () => {
  assert.notDeepEqual(canonicalEncoding('label', ['ab', 'c']), canonicalEncoding('label', ['a', 'bc']));
  assert.notDeepEqual(canonicalEncoding('label', ['a', '']), canonicalEncoding('label', ['a']));
});

test('every protected field, the id and the chain position change the hash and the MAC', () => {
  const key = randomBytes(32);
  const link = { sequence: 1, previousHash: '0'.repeat(64) };
  const original = sealAuditEntry(fields, link, key);
  const variants: [RecordedAuditFields, typeof link][] = [
    ...Object.keys(fields).map((name): [RecordedAuditFields, typeof link] => [
      { ...fields, [name]: typeof fields[name as keyof RecordedAuditFields] === 'number' ? 99 : 'x' },
      link,
    ]),
    [fields, { ...link, sequence: 2 }],
    [fields, { ...link, previousHash: '1'.repeat(64) }],
  ];
  for (const [changed, changedLink] of variants) {
    const seal = sealAuditEntry(changed, changedLink, key);
    assert.notEqual(seal.entryHash, original.entryHash);
    assert.notEqual(seal.mac, original.mac);
  }
});

test('the three signed messages use separate labels, so one MAC never passes as another', () => {
  const key = randomBytes(32);
  const seal = sealAuditEntry(fields, { sequence: 1, previousHash: '0'.repeat(64) }, key);
  assert.notEqual(recordMac(fields, key), seal.mac);
  assert.notEqual(
    checkpointMac({ sequence: 1, entryHash: seal.entryHash, createdAt: fields.timestamp }, key),
    seal.mac,
  );
});

test('the MAC depends on the key and the entry hash does not', () => {
  const link = { sequence: 1, previousHash: '0'.repeat(64) };
  const first = sealAuditEntry(fields, link, randomBytes(32));
  const second = sealAuditEntry(fields, link, randomBytes(32));
  assert.equal(first.entryHash, second.entryHash);
  assert.notEqual(first.mac, second.mac);
});
