import type { FastifyBaseLogger } from 'fastify';
import type { DatabaseExecutor, Storage } from '../../storage/storage.js';
import { checkpointMac, genesisHash, recordMac, sameDigest, sealAuditEntry } from './audit-chain.js';
import type { AuditCheckpointRecord, AuditHeadRecord } from './audit-verifier.js';
import {
  chainEntries,
  hasCheckpointAt,
  hasPendingEntries,
  insertCheckpoint,
  latestChainedEntry,
  listPendingEntries,
  lockChainHead,
  setChainHead,
  unchainedEntryBacklog,
} from './audit-repository.js';

type SealerLog = Pick<FastifyBaseLogger, 'info' | 'error'>;

const timings = {
  /** Entries chained per transaction. */
  batchSize: 500,
  /** How often to look for committed entries while writes are happening. */
  activeIntervalMs: 10,
  /** How long after the last write to keep looking that often. */
  activeWindowMs: 1000,
  /** How often to look when idle: entries another node recorded but did not chain (it stopped). */
  idleIntervalMs: 2000,
  /** How often the head is checkpointed when it has moved. */
  checkpointIntervalMs: 10_000,
};

export interface AuditSealer {
  /** Called when an entry was recorded: it will be committed shortly, so look soon. */
  kick(): void;
  /** Chains every entry committed so far; resolves with how many this call chained. */
  sealNow(): Promise<number>;
  start(log: SealerLog): void;
  /** Chains what is left and checkpoints the head, so a clean shutdown leaves nothing unprotected. */
  stop(): Promise<void>;
  /** Entries recorded (on any node) but not chained yet, and the age of the oldest; read, not cached. */
  lag(): Promise<{ unchainedEntries: number; oldestUnchainedAgeSeconds: number }>;
}

/**
 * Signs the current head (the latest chained entry) as a checkpoint, unless it already is one. Any later
 * truncation of the log below a checkpoint is then detectable, because the checkpoint names an entry
 * that is gone and only the key holder could have signed it.
 */
export async function writeAuditCheckpoint(
  db: DatabaseExecutor,
  macKey: Buffer,
  now: () => Date,
): Promise<AuditCheckpointRecord | undefined> {
  const head = await latestChainedEntry(db);
  if (head === undefined || (await hasCheckpointAt(db, head.sequence))) return undefined;
  const fields = { sequence: head.sequence, entryHash: head.entryHash, createdAt: now().toISOString() };
  const checkpoint = { ...fields, mac: checkpointMac(fields, macKey) };
  await insertCheckpoint(db, checkpoint);
  return checkpoint;
}

/**
 * Chains recorded entries in batches, outside every request's transaction. Each pass locks the head row,
 * appends the committed entries that are not chained yet in id order, moves the head and commits: one
 * commit for many entries. Every node runs one; the head lock makes them take turns, and an entry
 * recorded by a node that stops is chained by another. Passes on one node never overlap.
 */
export function createAuditSealer(options: {
  storage: Storage;
  macKey: Buffer;
  now: () => Date;
}): AuditSealer {
  const { storage, macKey, now } = options;
  let log: SealerLog | undefined;
  let started = false;
  let timer: NodeJS.Timeout | undefined;
  let timerDueAt = Number.POSITIVE_INFINITY;
  let lastKickAt = 0;
  let lastCheckpointAt = Date.now();
  let queue: Promise<unknown> = Promise.resolve();

  function enqueue<T>(work: () => Promise<T>): Promise<T> {
    const run = queue.then(work);
    queue = run.catch(() => undefined);
    return run;
  }

  function schedule(delayMs: number): void {
    if (!started) return;
    const dueAt = Date.now() + delayMs;
    if (timer !== undefined && timerDueAt <= dueAt) return;
    clearTimeout(timer);
    timerDueAt = dueAt;
    timer = setTimeout(tick, delayMs);
    timer.unref();
  }

  function tick(): void {
    timer = undefined;
    timerDueAt = Number.POSITIVE_INFINITY;
    void enqueue(async () => {
      let chained = 0;
      try {
        chained = await sealPending();
        if (Date.now() - lastCheckpointAt >= timings.checkpointIntervalMs) await checkpoint();
      } catch (error) {
        log?.error({ err: error }, 'chaining audit entries failed; retrying');
      }
      const isActive = chained > 0 || Date.now() - lastKickAt < timings.activeWindowMs;
      schedule(isActive ? timings.activeIntervalMs : timings.idleIntervalMs);
    });
  }

  async function checkpoint(): Promise<void> {
    lastCheckpointAt = Date.now();
    const written = await storage.transaction((tx) => writeAuditCheckpoint(tx, macKey, now));
    if (written !== undefined) {
      // Logged so a copy of the head exists outside the database, wherever the logs are shipped.
      log?.info(
        { auditCheckpoint: { sequence: written.sequence, entryHash: written.entryHash } },
        'audit checkpoint',
      );
    }
  }

  async function sealBatch(): Promise<{ chained: number; forgedIds: number[] }> {
    // Most looks while writes are happening find nothing committed yet. Looking outside a transaction costs
    // PostgreSQL one round trip instead of three (begin, look, commit), and takes no head lock.
    if (!(await hasPendingEntries(storage.db))) return { chained: 0, forgedIds: [] };
    return storage.transaction(async (tx) => {
      const head = await lockChainHead(tx);
      // Read after the lock: another node may have chained some of them meanwhile.
      const pending = await listPendingEntries(tx, timings.batchSize);
      if (pending.length === 0) return { chained: 0, forgedIds: [] };
      let previous: AuditHeadRecord = head.sequence === 0 ? { sequence: 0, entryHash: genesisHash } : head;
      const forgedIds: number[] = [];
      const chained = pending.map((entry) => {
        const link = { sequence: previous.sequence + 1, previousHash: previous.entryHash };
        const seal = sealAuditEntry(entry, link, macKey);
        // Chained as found, so the chain records exactly what the table held; verification reports it.
        if (!sameDigest(recordMac(entry, macKey), entry.recordMac)) forgedIds.push(entry.id);
        previous = { sequence: link.sequence, entryHash: seal.entryHash };
        return { id: entry.id, ...link, ...seal };
      });
      await chainEntries(tx, chained);
      await setChainHead(tx, previous);
      return { chained: pending.length, forgedIds };
    });
  }

  async function sealPending(): Promise<number> {
    let total = 0;
    for (;;) {
      const { chained, forgedIds } = await sealBatch();
      if (forgedIds.length > 0) {
        log?.error(
          { auditEntryIds: forgedIds },
          'audit entries were altered or inserted in the database before they were chained (record MAC mismatch)',
        );
      }
      total += chained;
      if (chained < timings.batchSize) return total;
    }
  }

  return {
    kick() {
      lastKickAt = Date.now();
      schedule(timings.activeIntervalMs);
    },
    sealNow: () => enqueue(sealPending),
    async lag() {
      const backlog = await unchainedEntryBacklog(storage.db);
      const oldestAt =
        backlog.oldestTimestamp === undefined ? Number.NaN : Date.parse(backlog.oldestTimestamp);
      return {
        unchainedEntries: backlog.count,
        oldestUnchainedAgeSeconds: Number.isNaN(oldestAt)
          ? 0
          : Math.max(0, (now().getTime() - oldestAt) / 1000),
      };
    },
    start(logger) {
      log = logger;
      started = true;
      schedule(0);
    },
    async stop() {
      started = false;
      clearTimeout(timer);
      timer = undefined;
      await enqueue(async () => {
        try {
          await sealPending();
          await checkpoint();
        } catch (error) {
          log?.error({ err: error }, 'chaining audit entries at shutdown failed');
        }
      });
    },
  };
}
