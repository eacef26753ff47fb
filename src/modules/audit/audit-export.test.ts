import assert from 'node:assert/strict';
import { Readable, Writable } from 'node:stream';
import { test } from 'node:test';
import type { AuditChainItem } from './audit-verifier.js';
import { readAuditExport, writeAuditExport } from './audit-export.js';

const items: AuditChainItem[] = [
  { kind: 'head', head: { sequence: 1, entryHash: 'a'.repeat(64) } },
  {
    kind: 'entry',
    entry: {
      id: 1,
      timestamp: '2025-01-01T00:00:00.000Z',
      category: 2100,
      operation: 1,
      level: 0,
      userName: 'admin',
      entityType: 'User',
      auditIdentifier: 'carol "the admin"\nline two',
      immutableIdentifier: '3',
      outcome: 'Success',
      message: '{"groups":[]}',
      recordMac: 'b'.repeat(64),
      chain: { sequence: 1, previousHash: '0'.repeat(64), entryHash: 'a'.repeat(64), mac: 'c'.repeat(64) },
    },
  },
  {
    kind: 'checkpoint',
    checkpoint: {
      sequence: 1,
      entryHash: 'a'.repeat(64),
      createdAt: '2025-01-01T00:00:10.000Z',
      mac: 'd'.repeat(64),
    },
  },
  {
    kind: 'entry',
    entry: {
      id: 2,
      timestamp: '2025-01-01T00:00:11.000Z',
      category: 2100,
      operation: 2,
      level: 0,
      userName: 'admin',
      entityType: 'User',
      auditIdentifier: 'carol',
      immutableIdentifier: '3',
      outcome: 'Success',
      message: '{}',
      recordMac: 'e'.repeat(64),
      chain: null,
    },
  },
];

async function exported(): Promise<string> {
  let text = '';
  const output = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      text += chunk.toString('utf8');
      callback();
    },
  });
  async function* source() {
    yield* items;
  }
  const summary = await writeAuditExport(source(), output, new Date('2025-01-02T00:00:00.000Z'));
  assert.deepEqual(summary, { entries: 1, pendingEntries: 1, checkpoints: 1 });
  return text;
}

async function readAll(text: string): Promise<AuditChainItem[]> {
  const read: AuditChainItem[] = [];
  for await (const item of readAuditExport(Readable.from([text]))) read.push(item);
  return read;
}

test('an export reads back as exactly the items written', async () => {
  assert.deepEqual(await readAll(await exported()), items);
});

test('a file cut short, miscounted, extended or of another format is refused, not read as a shorter log', async () => {
  const text = await exported();
  const lines = text.trimEnd().split('\n');
  await assert.rejects(readAll(lines.slice(0, -2).join('\n')), /cut short/);
  await assert.rejects(
    readAll([...lines.slice(0, 2), ...lines.slice(3)].join('\n')),
    /end line counts 4 items but the file holds 3/,
  );
  await assert.rejects(readAll(`${text}${lines[1] ?? ''}\n`), /content after the end line/);
  await assert.rejects(readAll(lines.slice(1).join('\n')), /not a strongroom-audit-export version 1 file/);
  await assert.rejects(readAll(''), /empty/);
  await assert.rejects(
    readAll(text.replace('"sequence":1,"previousHash"', '"sequence":"1","previousHash"')),
    /Line 3: 'sequence' must be a number/,
  );
});
