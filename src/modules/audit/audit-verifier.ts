import type { ChainLink, ChainSeal, CheckpointFields, RecordedAuditFields } from './audit-chain.js';
import {
  auditEntryHash,
  auditEntryMac,
  checkpointMac,
  genesisHash,
  recordMac,
  sameDigest,
} from './audit-chain.js';

/** An entry as stored. `chain` is null while the entry waits for the sealer. */
export interface AuditEntryRecord extends RecordedAuditFields {
  recordMac: string;
  chain: (ChainLink & ChainSeal) | null;
}

export interface AuditCheckpointRecord extends CheckpointFields {
  mac: string;
}

export interface AuditHeadRecord {
  sequence: number;
  entryHash: string;
}

/**
 * What a verifier reads, in this order: the head; chained entries by sequence, each checkpoint right after
 * the entry it records (checkpoints past the last entry come at the end); then entries not chained yet.
 * The database reader and the export file both produce exactly this stream.
 */
export type AuditChainItem =
  | { kind: 'head'; head: AuditHeadRecord }
  | { kind: 'entry'; entry: AuditEntryRecord }
  | { kind: 'checkpoint'; checkpoint: AuditCheckpointRecord };

export const auditFindingKinds = [
  'altered',
  'unsigned',
  'record-forged',
  'missing',
  'broken-link',
  'out-of-order',
  'checkpoint-forged',
  'checkpoint-mismatch',
  'truncated',
  'head-mismatch',
] as const;

export type AuditFindingKind = (typeof auditFindingKinds)[number];

export interface AuditFinding {
  kind: AuditFindingKind;
  /** The Keyfactor `Id` of the entry where the chain breaks, when one entry can be named. */
  entryId: number | null;
  sequence: number | null;
  message: string;
}

export interface AuditVerificationReport {
  intact: boolean;
  /** False when no key was given: only the keyless hashes and links were checked. */
  macsChecked: boolean;
  entriesChecked: number;
  pendingEntries: number;
  checkpointsChecked: number;
  lastEntry: { id: number; sequence: number; entryHash: string } | null;
  latestCheckpoint: CheckpointFields | null;
  findingCount: number;
  /** The first findings in chain order, at most `maxFindings`; `findingCount` counts them all. */
  findings: AuditFinding[];
}

interface PreviousLink {
  sequence: number;
  entryHash: string;
}

function describe(entry: AuditEntryRecord): string {
  return entry.chain === null ? `Entry ${entry.id}` : `Entry ${entry.id} (sequence ${entry.chain.sequence})`;
}

/**
 * Checks one chained entry against itself and the entry before it: its place in the sequence, its link,
 * its hash and, with the key, its MAC and record MAC. Used by the full check and by `Validate`.
 * `previous` is the entry before it, or undefined when there is none (it must then be the first).
 */
export function checkChainedEntry(
  entry: AuditEntryRecord,
  previous: PreviousLink | undefined,
  macKey: Buffer | undefined,
): AuditFinding[] {
  const chain = entry.chain;
  if (chain === null) throw new Error(`entry ${entry.id} is not chained yet`);
  const findings: AuditFinding[] = [];
  const at = { entryId: entry.id, sequence: chain.sequence };
  const expectedSequence = previous === undefined ? 1 : previous.sequence + 1;
  if (chain.sequence < expectedSequence) {
    findings.push({
      kind: 'out-of-order',
      ...at,
      message: `${describe(entry)} comes after sequence ${expectedSequence - 1}: entries were reordered or duplicated`,
    });
  } else if (chain.sequence > expectedSequence) {
    const range =
      chain.sequence - 1 === expectedSequence
        ? `The entry at sequence ${expectedSequence} is`
        : `The entries at sequences ${expectedSequence} to ${chain.sequence - 1} are`;
    findings.push({
      kind: 'missing',
      ...at,
      message: `${range} missing before ${describe(entry)}: entries were deleted`,
    });
  } else if (!sameDigest(previous?.entryHash ?? genesisHash, chain.previousHash)) {
    findings.push({
      kind: 'broken-link',
      ...at,
      message: `${describe(entry)} does not link to the entry before it: entries were inserted, replaced or reordered`,
    });
  }

  if (!sameDigest(auditEntryHash(entry, chain), chain.entryHash)) {
    findings.push({
      kind: 'altered',
      ...at,
      message: `${describe(entry)} was altered: its fields no longer match its hash`,
    });
  } else if (macKey !== undefined && !sameDigest(auditEntryMac(entry, chain, macKey), chain.mac)) {
    findings.push({
      kind: 'unsigned',
      ...at,
      message: `${describe(entry)} was not signed by this server: its hash is consistent but its MAC is not (forged or rewritten)`,
    });
  } else if (macKey !== undefined && !sameDigest(recordMac(entry, macKey), entry.recordMac)) {
    findings.push({
      kind: 'record-forged',
      ...at,
      message: `${describe(entry)} was altered or inserted in the database before it was chained (record MAC mismatch)`,
    });
  }
  return findings;
}

export function createAuditChainVerifier(
  macKey: Buffer | undefined,
  options: { maxFindings?: number } = {},
): { add(item: AuditChainItem): void; finish(): AuditVerificationReport } {
  const maxFindings = options.maxFindings ?? 100;
  const findings: AuditFinding[] = [];
  let findingCount = 0;
  let head: AuditHeadRecord | undefined;
  let last: AuditVerificationReport['lastEntry'] = null;
  let entriesChecked = 0;
  let pendingEntries = 0;
  let checkpointsChecked = 0;
  let latestCheckpoint: CheckpointFields | null = null;
  // Checkpoints whose entry has not been seen yet: it is missing, or the log ends before it.
  let awaiting: AuditCheckpointRecord[] = [];

  const report = (finding: AuditFinding) => {
    findingCount += 1;
    if (findings.length < maxFindings) findings.push(finding);
  };

  const noteValidCheckpoint = (checkpoint: CheckpointFields) => {
    if (latestCheckpoint === null || checkpoint.sequence > latestCheckpoint.sequence) {
      latestCheckpoint = { ...checkpoint };
    }
  };

  function addChained(entry: AuditEntryRecord & { chain: ChainLink & ChainSeal }): void {
    entriesChecked += 1;
    for (const checkpoint of awaiting.filter((item) => item.sequence < entry.chain.sequence)) {
      report({
        kind: 'checkpoint-mismatch',
        entryId: null,
        sequence: checkpoint.sequence,
        message: `The checkpoint of ${checkpoint.createdAt} records sequence ${checkpoint.sequence}, which is missing from the log`,
      });
    }
    awaiting = awaiting.filter((item) => item.sequence >= entry.chain.sequence);
    for (const finding of checkChainedEntry(entry, last ?? undefined, macKey)) report(finding);
    if (head !== undefined && head.sequence === entry.chain.sequence) {
      if (!sameDigest(head.entryHash, entry.chain.entryHash)) {
        report({
          kind: 'head-mismatch',
          entryId: entry.id,
          sequence: entry.chain.sequence,
          message: `The chain head does not match ${describe(entry)}: the head or the entry was rewritten`,
        });
      }
    }
    last = { id: entry.id, sequence: entry.chain.sequence, entryHash: entry.chain.entryHash };
  }

  function addPending(entry: AuditEntryRecord): void {
    pendingEntries += 1;
    if (macKey !== undefined && !sameDigest(recordMac(entry, macKey), entry.recordMac)) {
      report({
        kind: 'record-forged',
        entryId: entry.id,
        sequence: null,
        message: `${describe(entry)}, not chained yet, was altered or inserted in the database (record MAC mismatch)`,
      });
    }
  }

  function addCheckpoint(checkpoint: AuditCheckpointRecord): void {
    checkpointsChecked += 1;
    if (macKey !== undefined && !sameDigest(checkpointMac(checkpoint, macKey), checkpoint.mac)) {
      report({
        kind: 'checkpoint-forged',
        entryId: null,
        sequence: checkpoint.sequence,
        message: `The checkpoint of ${checkpoint.createdAt} at sequence ${checkpoint.sequence} was not signed by this server`,
      });
      return;
    }
    if (last !== null && last.sequence === checkpoint.sequence) {
      if (sameDigest(checkpoint.entryHash, last.entryHash)) {
        noteValidCheckpoint(checkpoint);
      } else {
        report({
          kind: 'checkpoint-mismatch',
          entryId: last.id,
          sequence: checkpoint.sequence,
          message: `Entry ${last.id} (sequence ${checkpoint.sequence}) differs from the checkpoint of ${checkpoint.createdAt}: the chain was rewritten`,
        });
      }
      return;
    }
    awaiting.push(checkpoint);
  }

  return {
    add(item) {
      switch (item.kind) {
        case 'head':
          head = item.head;
          return;
        case 'entry':
          if (item.entry.chain === null) addPending(item.entry);
          else addChained({ ...item.entry, chain: item.entry.chain });
          return;
        case 'checkpoint':
          addCheckpoint(item.checkpoint);
          return;
      }
    },
    finish() {
      const lastSequence = last?.sequence ?? 0;
      for (const checkpoint of awaiting) {
        report({
          kind: 'truncated',
          entryId: null,
          sequence: checkpoint.sequence,
          message: `The log ends at sequence ${lastSequence} but the checkpoint of ${checkpoint.createdAt} records sequence ${checkpoint.sequence}: entries were removed from the end`,
        });
      }
      if (head !== undefined && head.sequence > lastSequence) {
        report({
          kind: 'truncated',
          entryId: null,
          sequence: head.sequence,
          message: `The log ends at sequence ${lastSequence} but the chain head records sequence ${head.sequence}: entries were removed from the end`,
        });
      }
      return {
        intact: findingCount === 0,
        macsChecked: macKey !== undefined,
        entriesChecked,
        pendingEntries,
        checkpointsChecked,
        lastEntry: last,
        latestCheckpoint,
        findingCount,
        findings,
      };
    },
  };
}

/**
 * The server runs this check beside the requests it serves. Entries arrive through promises, which never let
 * a waiting request in, so the check stops every few milliseconds to let them: without that, a batch of a
 * thousand entries held every request for about 30 ms, all through the check (seconds at start-up).
 */
const longestStretchMs = 4;

export async function verifyAuditChain(
  items: AsyncIterable<AuditChainItem>,
  macKey: Buffer | undefined,
): Promise<AuditVerificationReport> {
  const verifier = createAuditChainVerifier(macKey);
  let stretchStarted = performance.now();
  for await (const item of items) {
    verifier.add(item);
    if (performance.now() - stretchStarted > longestStretchMs) {
      await new Promise((resolve) => setImmediate(resolve));
      stretchStarted = performance.now();
    }
  }
  return verifier.finish();
}
