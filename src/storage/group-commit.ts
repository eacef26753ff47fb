import type { ControlledTransaction, Kysely, Transaction } from 'kysely';
import type { MetricsRecorder } from '../http/metrics-recorder.js';

export interface GroupCommitter<DB> {
  /** Runs `work` in a transaction shared with whatever else is waiting; settles only after its commit. */
  run<T>(work: (tx: Transaction<DB>) => Promise<T>): Promise<T>;
  /** Resolves once nothing is queued or being committed, so the connection can be closed safely. */
  settled(): Promise<void>;
}

interface PendingWork<DB> {
  /** performance.now() when it was queued, for the batch's wait metric. */
  queuedAt: number;
  work: (tx: Transaction<DB>) => Promise<unknown>;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

type Outcome =
  | { kind: 'done'; result: unknown }
  | { kind: 'failed'; error: unknown }
  /** The transaction itself is gone (a full disk, an I/O error): nothing in it can be committed. */
  | { kind: 'lost'; error: unknown };

const savepointName = 'group_commit_work';

/**
 * Group commit for a database where every durable commit costs one fsync (SQLite in WAL mode with
 * synchronous=FULL). Transactions requested together share one database transaction: each work runs in
 * its own savepoint, so a failing work is rolled back alone and rejects only its own caller, and one COMMIT
 * makes them all durable. A work's result is delivered only after that COMMIT succeeded; if it fails, every
 * caller whose work was in it gets the error.
 *
 * better-sqlite3 runs queries synchronously, so a batch started at once would only ever hold the one work
 * that started it. Batches therefore start from setImmediate: the event loop first reads every request that
 * has already arrived, each of those queues its work, and the batch takes them all. Works in a batch run one
 * after another on the single writer connection, which is the order SQLite would have imposed anyway.
 */
export function createGroupCommitter<DB>(
  db: Kysely<DB>,
  metrics?: Pick<MetricsRecorder, 'groupCommitBatch'>,
): GroupCommitter<DB> {
  let queue: PendingWork<DB>[] = [];
  let isScheduled = false;
  let isCommitting = false;
  let idleWaiters: (() => void)[] = [];

  function schedule(): void {
    if (isScheduled || isCommitting) return;
    isScheduled = true;
    setImmediate(() => {
      isScheduled = false;
      void drain();
    });
  }

  async function drain(): Promise<void> {
    isCommitting = true;
    while (queue.length > 0) {
      const batch = queue;
      queue = [];
      await commitBatch(batch);
    }
    isCommitting = false;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const wake of waiters) wake();
  }

  async function commitBatch(batch: PendingWork<DB>[]): Promise<void> {
    // The oldest work is first in the queue; its wait is the longest any caller in the batch waited.
    if (metrics !== undefined && batch[0] !== undefined) {
      metrics.groupCommitBatch(batch.length, (performance.now() - batch[0].queuedAt) / 1000);
    }
    let trx: ControlledTransaction<DB>;
    try {
      trx = await db.startTransaction().execute();
    } catch (error) {
      for (const pending of batch) pending.reject(error);
      return;
    }
    // A lone work needs no savepoint: the transaction itself is its unit of rollback.
    const isShared = batch.length > 1;
    const completed: { pending: PendingWork<DB>; result: unknown }[] = [];
    for (const [index, pending] of batch.entries()) {
      const outcome = isShared ? await runIsolated(trx, pending) : await runAlone(trx, pending);
      if (outcome.kind === 'done') {
        completed.push({ pending, result: outcome.result });
      } else if (outcome.kind === 'failed') {
        pending.reject(outcome.error);
      } else {
        pending.reject(outcome.error);
        await rollbackQuietly(trx);
        for (const done of completed) done.pending.reject(outcome.error);
        // The works after this one never ran, so they lose nothing by waiting for the next batch.
        queue = [...batch.slice(index + 1), ...queue];
        return;
      }
    }
    if (completed.length === 0) {
      await rollbackQuietly(trx);
      return;
    }
    try {
      await trx.commit().execute();
    } catch (error) {
      await rollbackQuietly(trx);
      for (const done of completed) done.pending.reject(error);
      return;
    }
    for (const done of completed) done.pending.resolve(done.result);
  }

  return {
    run<T>(work: (tx: Transaction<DB>) => Promise<T>): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        queue.push({ queuedAt: performance.now(), work, resolve, reject });
        schedule();
      });
    },
    settled() {
      if (!isScheduled && !isCommitting && queue.length === 0) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
  };
}

async function runAlone<DB>(trx: ControlledTransaction<DB>, pending: PendingWork<DB>): Promise<Outcome> {
  try {
    return { kind: 'done', result: await pending.work(trx) };
  } catch (error) {
    return { kind: 'failed', error };
  }
}

async function runIsolated<DB>(trx: ControlledTransaction<DB>, pending: PendingWork<DB>): Promise<Outcome> {
  let isolated: ControlledTransaction<DB, [typeof savepointName]>;
  try {
    isolated = await trx.savepoint(savepointName).execute();
  } catch (error) {
    return { kind: 'lost', error };
  }
  let result: unknown;
  try {
    result = await pending.work(isolated);
  } catch (error) {
    try {
      await isolated.rollbackToSavepoint(savepointName).execute();
      await isolated.releaseSavepoint(savepointName).execute();
    } catch {
      return { kind: 'lost', error };
    }
    return { kind: 'failed', error };
  }
  try {
    await isolated.releaseSavepoint(savepointName).execute();
  } catch (error) {
    return { kind: 'lost', error };
  }
  return { kind: 'done', result };
}

/** Rolling back also releases the connection, which a failed COMMIT would otherwise keep locked. */
async function rollbackQuietly<DB>(trx: ControlledTransaction<DB>): Promise<void> {
  try {
    await trx.rollback().execute();
  } catch {
    // Kysely releases the connection even when ROLLBACK fails; the callers need the original error.
  }
}
