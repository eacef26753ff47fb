import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { auditEntryHash, checkpointMac, genesisHash, recordMac, sealAuditEntry } from './audit-chain.js';
import type { RecordedAuditFields } from './audit-chain.js';
import type { AuditChainItem, AuditCheckpointRecord, AuditEntryRecord } from './audit-verifier.js';
import { checkChainedEntry, createAuditChainVerifier, verifyAuditChain } from './audit-verifier.js';

const macKey = randomBytes(32);

function content(id: number): RecordedAuditFields {
  return {
    id,
    timestamp: new Date(Date.UTC(2025, 0, 1, 0, 0, id)).toISOString(),
    category: 2103,
    operation: 2,
    level: 0,
    userName: 'alice',
    entityType: 'LocalPamEntry',
    auditIdentifier: `secret-${id}`,
    immutableIdentifier: String(id),
    outcome: 'Success',
    message: '{"descriptionChanged":true}',
  };
}

function buildChain(length: number): AuditEntryRecord[] {
  const entries: AuditEntryRecord[] = [];
  let previousHash = genesisHash;
  for (let id = 1; id <= length; id += 1) {
    const fields = content(id);
    const link = { sequence: id, previousHash };
    const seal = sealAuditEntry(fields, link, macKey);
    entries.push({ ...fields, recordMac: recordMac(fields, macKey), chain: { ...link, ...seal } });
    previousHash = seal.entryHash;
  }
  return entries;
}

function checkpointOf(entry: AuditEntryRecord): AuditCheckpointRecord {
  const chain = entry.chain;
  if (chain === null) throw new Error('not chained');
  const fields = {
    sequence: chain.sequence,
    entryHash: chain.entryHash,
    createdAt: '2025-01-02T00:00:00.000Z',
  };
  return { ...fields, mac: checkpointMac(fields, macKey) };
}

function verify(
  entries: readonly AuditEntryRecord[],
  options: { checkpoints?: AuditCheckpointRecord[]; key?: Buffer | undefined; head?: AuditEntryRecord } = {},
) {
  const verifier = createAuditChainVerifier('key' in options ? options.key : macKey);
  const headEntry = options.head ?? entries.at(-1);
  if (headEntry?.chain) {
    verifier.add({
      kind: 'head',
      head: { sequence: headEntry.chain.sequence, entryHash: headEntry.chain.entryHash },
    });
  }
  const checkpoints = [...(options.checkpoints ?? [])];
  const items: AuditChainItem[] = [];
  for (const entry of entries) {
    items.push({ kind: 'entry', entry });
    for (const checkpoint of checkpoints.filter((item) => item.sequence === entry.chain?.sequence)) {
      items.push({ kind: 'checkpoint', checkpoint });
    }
  }
  const lastSequence = entries.at(-1)?.chain?.sequence ?? 0;
  for (const checkpoint of checkpoints.filter((item) => item.sequence > lastSequence)) {
    items.push({ kind: 'checkpoint', checkpoint });
  }
  for (const item of items) verifier.add(item);
  return verifier.finish();
}

function rehashed(entry: AuditEntryRecord, changes: Partial<RecordedAuditFields>): AuditEntryRecord {
  const chain = entry.chain;
  if (chain === null) throw new Error('not chained');
  const updated = { ...entry, ...changes };
  return { ...updated, chain: { ...chain, entryHash: auditEntryHash(updated, chain) } };
}

test('an untouched chain with a matching checkpoint is intact, with and without the key', () => {
  const entries = buildChain(5);
  const checkpoints = [checkpointOf(entries[4] as AuditEntryRecord)];
  const withKey = verify(entries, { checkpoints });
  assert.equal(withKey.intact, true, JSON.stringify(withKey.findings));
  assert.equal(withKey.entriesChecked, 5);
  assert.equal(withKey.latestCheckpoint?.sequence, 5);
  const withoutKey = verify(entries, { checkpoints, key: undefined });
  assert.equal(withoutKey.intact, true);
  assert.equal(withoutKey.macsChecked, false);
});

test('an edited field is reported as an altered entry naming its id', () => {
  const entries = buildChain(5);
  entries[2] = { ...(entries[2] as AuditEntryRecord), auditIdentifier: 'innocent-name' };
  const report = verify(entries);
  assert.equal(report.intact, false);
  assert.deepEqual(
    report.findings.map((finding) => [finding.kind, finding.entryId]),
    [['altered', 3]],
  );
});

test('an edit with a recomputed hash breaks the next link, and the MAC where the key is known', () => {
  const entries = buildChain(5);
  entries[2] = rehashed(entries[2] as AuditEntryRecord, { userName: 'mallory' });
  const withKey = verify(entries);
  assert.deepEqual(
    withKey.findings.map((finding) => [finding.kind, finding.entryId]),
    [
      ['unsigned', 3],
      ['broken-link', 4],
    ],
  );
  // Without the key only the broken link to the next entry shows; rewriting every later entry would hide
  // even that, which is why the MAC and the signed checkpoints exist.
  const withoutKey = verify(entries, { key: undefined });
  assert.deepEqual(
    withoutKey.findings.map((finding) => finding.kind),
    ['broken-link'],
  );
});

test('a deleted entry is reported as missing before the entry that follows it', () => {
  const entries = buildChain(5);
  entries.splice(1, 1);
  const report = verify(entries);
  assert.deepEqual(
    report.findings.map((finding) => [finding.kind, finding.entryId, finding.sequence]),
    [['missing', 3, 3]],
  );
  assert.match(report.findings[0]?.message ?? '', /sequence 2 is missing before Entry 3/);
});

test('two swapped entries are reported at the first of them', () => {
  const entries = buildChain(5);
  const second = entries[1] as AuditEntryRecord;
  const third = entries[2] as AuditEntryRecord;
  // Swapping their chain positions (what an attacker reordering rows does) keeps the sequence order intact.
  entries[1] = {
    ...third,
    chain: { ...(third.chain as NonNullable<AuditEntryRecord['chain']>), sequence: 2 },
  };
  entries[2] = {
    ...second,
    chain: { ...(second.chain as NonNullable<AuditEntryRecord['chain']>), sequence: 3 },
  };
  const report = verify(entries);
  assert.equal(report.intact, false);
  assert.equal(report.findings[0]?.entryId, 3);
  assert.equal(report.findings[0]?.sequence, 2);
});

test('an inserted entry with a correct keyless hash is caught by its MAC', () => {
  const entries = buildChain(3);
  const last = entries[2] as AuditEntryRecord;
  const fields = { ...content(4), userName: 'mallory' };
  const link = { sequence: 4, previousHash: last.chain?.entryHash ?? '' };
  const forged: AuditEntryRecord = {
    ...fields,
    recordMac: 'f'.repeat(64),
    chain: { ...link, entryHash: auditEntryHash(fields, link), mac: 'f'.repeat(64) },
  };
  const report = verify([...entries, forged]);
  assert.deepEqual(
    report.findings.map((finding) => [finding.kind, finding.entryId]),
    [['unsigned', 4]],
  );
  assert.equal(verify([...entries, forged], { key: undefined }).intact, true);
});

test('a truncated tail is caught by a checkpoint past the end, and by the head', () => {
  const entries = buildChain(6);
  const checkpoints = [checkpointOf(entries[5] as AuditEntryRecord)];
  const truncated = entries.slice(0, 4);
  const rewoundHead = verify(truncated, { checkpoints, head: truncated[3] as AuditEntryRecord });
  assert.deepEqual(
    rewoundHead.findings.map((finding) => [finding.kind, finding.sequence]),
    [['truncated', 6]],
  );
  const staleHead = verify(truncated, { head: entries[5] as AuditEntryRecord });
  assert.deepEqual(
    staleHead.findings.map((finding) => [finding.kind, finding.sequence]),
    [['truncated', 6]],
  );
});

test('a checkpoint not signed with the key is reported and not trusted', () => {
  const entries = buildChain(3);
  const forged = { ...checkpointOf(entries[2] as AuditEntryRecord), sequence: 9, mac: '0'.repeat(64) };
  const report = verify(entries, { checkpoints: [forged] });
  assert.deepEqual(
    report.findings.map((finding) => finding.kind),
    ['checkpoint-forged'],
  );
});

test('an entry altered before it was chained is caught by its record MAC', () => {
  const entries = buildChain(3);
  const pending: AuditEntryRecord = { ...content(4), recordMac: recordMac(content(4), macKey), chain: null };
  assert.equal(verify([...entries, pending]).intact, true);
  assert.equal(verify([...entries, pending]).pendingEntries, 1);
  const injected = { ...pending, auditIdentifier: 'injected' };
  assert.deepEqual(
    verify([...entries, injected]).findings.map((finding) => [finding.kind, finding.entryId]),
    [['record-forged', 4]],
  );
});

test('the first entry must link to the genesis hash', () => {
  const [first] = buildChain(1);
  assert.ok(first);
  assert.deepEqual(checkChainedEntry(first, undefined, macKey), []);
  const relinked = {
    ...first,
    chain: { ...(first.chain as NonNullable<AuditEntryRecord['chain']>), previousHash: 'a'.repeat(64) },
  };
  assert.deepEqual(
    checkChainedEntry(relinked, undefined, macKey).map((finding) => finding.kind),
    ['broken-link', 'altered'],
  );
});

test('findings beyond the limit are counted but not kept', () => {
  const entries = buildChain(150).map((entry) => ({ ...entry, message: 'changed' }));
  const report = verify(entries);
  assert.equal(report.findingCount, 150);
  assert.equal(report.findings.length, 100);
});

test('a long check lets other work run while it goes, and still finds the chain intact', async () => {
  const entries = buildChain(300);
  const last = entries.at(-1)?.chain;
  assert.ok(last);
  const head = { sequence: last.sequence, entryHash: last.entryHash };
  // Each entry arrives after a millisecond of busy work, as a slow database read would deliver it: the whole
  // check takes about 300 ms, all of it reachable only through promises.
  async function* slowly(): AsyncGenerator<AuditChainItem> {
    yield { kind: 'head', head };
    for (const entry of entries) {
      const until = performance.now() + 1;
      while (performance.now() < until);
      yield { kind: 'entry', entry };
    }
  }
  let finished = false;
  let ranDuringCheck = 0;
  const ticker = setInterval(() => {
    if (!finished) ranDuringCheck += 1;
  }, 1);
  const report = await verifyAuditChain(slowly(), macKey);
  finished = true;
  clearInterval(ticker);
  assert.equal(report.intact, true);
  assert.ok(ranDuringCheck >= 10, `a timer ran ${ranDuringCheck} times during a 300 ms check`);
});
