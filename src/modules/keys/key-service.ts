import { randomUUID } from 'node:crypto';
import { generateDataKey, unwrapDataKey, wrapDataKey, wrapPurposeKey } from '../../crypto/data-key-wrap.js';
import { keyCheckValue } from '../../crypto/master-key.js';
import { conflictError, notFoundError, validationError } from '../../errors/app-error.js';
import type { DatabaseExecutor, Storage } from '../../storage/storage.js';
import { isUniqueViolation } from '../../storage/storage.js';
import type { AuditWriter } from '../audit/audit-writer.js';
import {
  acquireRewrapLease,
  deleteDataKey,
  insertDataKey,
  listDataKeys,
  readMasterKeyCheck,
  readRewrapLease,
  releaseRewrapLease,
  renewRewrapLease,
  replaceWrappedKey,
  persistentPurposeKeys,
  writeMasterKeyCheck,
  writeMeta,
} from './data-key-repository.js';
import type { RewrapLeaseRecord } from './data-key-repository.js';
import type { KeyRing } from './key-ring.js';
import { loadPurposeKey } from './purpose-keys.js';
import type { SealedColumn } from './sealed-column-registry.js';
import { sealedColumns } from './sealed-column-registry.js';
import type { RowKey } from './sealed-value-repository.js';
import { countSealedWithVersion, readSealedPage, replaceSealedValue } from './sealed-value-repository.js';

export interface DataKeyStatus {
  keyVersion: number;
  createdAt: string;
  isActive: boolean;
  /** How many stored values are sealed with this version. */
  sealedCount: number;
}

export interface KeyStatus {
  activeKeyVersion: number;
  versions: DataKeyStatus[];
  rewrap: RewrapLeaseRecord & { isRunning: boolean };
}

export interface RewrapProgress {
  done: number;
  total: number;
}

export interface RewrapSummary {
  targetVersion: number;
  /** Values resealed under the target version by this run. */
  rewrapped: number;
  /** Values a request changed while they were being resealed; the request's value was kept. */
  changedMeanwhile: number;
  /** Values still sealed with an older version when the run ended (0 unless it was stopped). */
  remaining: number;
  stopped: boolean;
}

export interface KeyService {
  status(): Promise<KeyStatus>;
  rotate(actor: string): Promise<{ keyVersion: number }>;
  rewrap(
    actor: string,
    options?: {
      batchSize?: number;
      /** How long to wait for another rewrap's lease; 0 refuses at once. */
      waitForLeaseMs?: number;
      onProgress?: (progress: RewrapProgress) => void;
      signal?: AbortSignal;
    },
  ): Promise<RewrapSummary>;
  retire(actor: string, keyVersion: number): Promise<void>;
  rotateMaster(actor: string, newMasterKey: Buffer): Promise<{ dataKeys: number }>;
}

const defaultBatchSize = 200;
/** Long enough for a slow batch; short enough that a rewrap killed with kill -9 is resumed soon after. */
export const rewrapLeaseMs = 15_000;
const leasePollMs = 250;
const parametersPart = 'sealedValue';

interface StoredParameter {
  name: string;
  [parametersPart]?: string;
}

export function createKeyService(dependencies: {
  storage: Storage;
  keyRing: KeyRing;
  masterKey: Buffer;
  audit: AuditWriter;
  now: () => Date;
}): KeyService {
  const { storage, keyRing, masterKey, audit, now } = dependencies;

  function parametersOf(value: string): StoredParameter[] {
    return JSON.parse(value) as StoredParameter[];
  }

  /** Sealed values of a parameters-JSON column, by version; read page by page. */
  async function countParameters(db: DatabaseExecutor, column: SealedColumn): Promise<Map<number, number>> {
    const counts = new Map<number, number>();
    let after: RowKey | undefined;
    for (;;) {
      const page = await readSealedPage(db, column, { after, below: undefined, limit: 1000 });
      if (page.length === 0) return counts;
      after = page.at(-1)?.key;
      for (const row of page) {
        for (const parameter of parametersOf(String(row.value))) {
          const sealed = parameter[parametersPart];
          if (sealed === undefined) continue;
          const version = keyRing.keyVersionOf(Buffer.from(sealed, 'base64'));
          counts.set(version, (counts.get(version) ?? 0) + 1);
        }
      }
    }
  }

  async function countByVersion(
    db: DatabaseExecutor,
    versions: readonly number[],
  ): Promise<Map<number, number>> {
    const counts = new Map<number, number>(versions.map((version) => [version, 0]));
    for (const column of sealedColumns) {
      if (column.form === 'sealed-parameters-json') {
        for (const [version, count] of await countParameters(db, column)) {
          counts.set(version, (counts.get(version) ?? 0) + count);
        }
        continue;
      }
      for (const version of versions) {
        counts.set(version, (counts.get(version) ?? 0) + (await countSealedWithVersion(db, column, version)));
      }
    }
    return counts;
  }

  async function countBelow(db: DatabaseExecutor, target: number): Promise<number> {
    const versions = (await listDataKeys(db)).map((key) => key.keyVersion).filter((v) => v < target);
    const counts = await countByVersion(db, versions);
    let total = 0;
    for (const [version, count] of counts) if (version < target) total += count;
    return total;
  }

  /** The new value of a row sealed below the target, or undefined when nothing in it needs resealing. */
  function resealed(
    column: SealedColumn,
    row: { value: Buffer | string; fields: Readonly<Record<string, unknown>> },
    target: number,
  ): { next: Buffer | string; count: number } | undefined {
    if (column.form === 'sealed') {
      const location = column.locationOf(row.fields);
      const sealed = row.value as Buffer;
      if (keyRing.keyVersionOf(sealed) >= target) return undefined;
      return { next: keyRing.seal(keyRing.open(sealed, location), location), count: 1 };
    }
    const parameters = parametersOf(String(row.value));
    let count = 0;
    for (const parameter of parameters) {
      const sealedText = parameter[parametersPart];
      if (sealedText === undefined) continue;
      const sealed = Buffer.from(sealedText, 'base64');
      if (keyRing.keyVersionOf(sealed) >= target) continue;
      const location = column.locationOf(row.fields, parameter.name);
      parameter[parametersPart] = keyRing.seal(keyRing.open(sealed, location), location).toString('base64');
      count += 1;
    }
    return count === 0 ? undefined : { next: JSON.stringify(parameters), count };
  }

  async function acquireLease(holder: string, target: number, waitForLeaseMs: number): Promise<void> {
    const deadline = Date.now() + waitForLeaseMs;
    for (;;) {
      const current = await readRewrapLease(storage.db);
      const resume = current.targetVersion === target && current.finishedAt === null;
      const taken = await acquireRewrapLease(storage.db, {
        holder,
        now: now().toISOString(),
        leaseUntil: new Date(now().getTime() + rewrapLeaseMs).toISOString(),
        targetVersion: target,
        resume,
      });
      if (taken) return;
      if (Date.now() >= deadline) {
        throw conflictError(
          `Another rewrap is running (its lease holds until ${current.leaseUntil ?? 'unknown'}); wait for it to finish or run again after that time`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, leasePollMs));
    }
  }

  async function rewrapColumn(
    column: SealedColumn,
    run: { holder: string; target: number; batchSize: number; signal: AbortSignal | undefined },
    tally: { rewrapped: number; changedMeanwhile: number; onRow: (count: number) => void },
  ): Promise<boolean> {
    let after: RowKey | undefined;
    for (;;) {
      if (run.signal?.aborted === true) return false;
      const page = await readSealedPage(storage.db, column, {
        after,
        below: run.target,
        limit: run.batchSize,
      });
      if (page.length === 0) return true;
      after = page.at(-1)?.key;
      // Opening and sealing happen before the transaction, which then only writes.
      const writes = page.flatMap((row) => {
        const change = resealed(column, row, run.target);
        return change === undefined ? [] : [{ key: row.key, previous: row.value, ...change }];
      });
      const written = await storage.transaction(async (tx) => {
        let replaced = 0;
        let replacedValues = 0;
        for (const write of writes) {
          if (await replaceSealedValue(tx, column, write)) {
            replaced += 1;
            replacedValues += write.count;
          }
        }
        const leaseUntil = new Date(now().getTime() + rewrapLeaseMs).toISOString();
        if (!(await renewRewrapLease(tx, { holder: run.holder, leaseUntil, rowsAdded: replacedValues }))) {
          throw conflictError(
            'This rewrap lost its lease to another rewrap and stopped; nothing was resealed twice',
          );
        }
        return { replaced, replacedValues };
      });
      tally.rewrapped += written.replacedValues;
      tally.changedMeanwhile += writes.length - written.replaced;
      tally.onRow(writes.reduce((sum, write) => sum + write.count, 0));
    }
  }

  return {
    async status() {
      const keys = await listDataKeys(storage.db);
      const versions = keys.map((key) => key.keyVersion);
      const counts = await countByVersion(storage.db, versions);
      const activeKeyVersion = Math.max(...versions);
      const lease = await readRewrapLease(storage.db);
      return {
        activeKeyVersion,
        versions: keys.map((key) => ({
          keyVersion: key.keyVersion,
          createdAt: key.createdAt,
          isActive: key.keyVersion === activeKeyVersion,
          sealedCount: counts.get(key.keyVersion) ?? 0,
        })),
        rewrap: {
          ...lease,
          isRunning: lease.holder !== null && (lease.leaseUntil ?? '') > now().toISOString(),
        },
      };
    },

    async rotate(actor) {
      const keys = await listDataKeys(storage.db);
      const keyVersion = Math.max(0, ...keys.map((key) => key.keyVersion)) + 1;
      try {
        await storage.transaction(async (tx) => {
          await insertDataKey(tx, {
            keyVersion,
            wrappedKey: wrapDataKey(masterKey, generateDataKey(), keyVersion),
            createdAt: now().toISOString(),
          });
          await audit.record(tx, {
            actor,
            category: 'DataKey',
            operation: 'Created',
            entityType: 'DataKey',
            auditIdentifier: `Data key version ${keyVersion}`,
            immutableIdentifier: String(keyVersion),
            details: { keyVersion, previousKeyVersion: keyVersion - 1 },
          });
        });
      } catch (error) {
        if (isUniqueViolation(error)) {
          throw conflictError(`Data key version ${keyVersion} was just created by another rotation`);
        }
        throw error;
      }
      await keyRing.reload();
      return { keyVersion };
    },

    async rewrap(actor, options = {}) {
      await keyRing.reload();
      const target = keyRing.activeKeyVersion;
      const holder = `${actor}:${randomUUID()}`;
      await acquireLease(holder, target, options.waitForLeaseMs ?? 0);
      const tally = { rewrapped: 0, changedMeanwhile: 0, onRow: (_count: number) => undefined as void };
      let finished = false;
      try {
        const total = await countBelow(storage.db, target);
        let done = 0;
        tally.onRow = (count) => {
          done += count;
          options.onProgress?.({ done, total: Math.max(total, done) });
        };
        options.onProgress?.({ done, total });
        await storage.transaction((tx) =>
          audit.record(tx, {
            actor,
            category: 'DataKey',
            operation: 'Updated',
            entityType: 'DataKeyRewrap',
            auditIdentifier: `Rewrap to data key version ${target}`,
            immutableIdentifier: String(target),
            details: { step: 'started', targetVersion: target, toRewrap: total },
          }),
        );
        const run = {
          holder,
          target,
          batchSize: options.batchSize ?? defaultBatchSize,
          signal: options.signal,
        };
        // A node that had not yet seen the rotation may seal with the old key while a pass runs, so passes
        // repeat until one finds nothing left.
        for (let pass = 0; pass < 3 && !finished; pass += 1) {
          const before = tally.rewrapped + tally.changedMeanwhile;
          let completed = true;
          for (const column of sealedColumns) {
            if (!(await rewrapColumn(column, run, tally))) {
              completed = false;
              break;
            }
          }
          if (!completed) break;
          finished =
            tally.rewrapped + tally.changedMeanwhile === before ||
            (await countBelow(storage.db, target)) === 0;
        }
        const remaining = await countBelow(storage.db, target);
        finished = finished && remaining === 0;
        const summary: RewrapSummary = {
          targetVersion: target,
          rewrapped: tally.rewrapped,
          changedMeanwhile: tally.changedMeanwhile,
          remaining,
          stopped: !finished,
        };
        await storage.transaction((tx) =>
          audit.record(tx, {
            actor,
            category: 'DataKey',
            operation: 'Updated',
            entityType: 'DataKeyRewrap',
            auditIdentifier: `Rewrap to data key version ${target}`,
            immutableIdentifier: String(target),
            details: { step: finished ? 'finished' : 'stopped', ...summary },
          }),
        );
        return summary;
      } finally {
        await releaseRewrapLease(storage.db, { holder, finishedAt: finished ? now().toISOString() : null });
      }
    },

    async retire(actor, keyVersion) {
      const keys = await listDataKeys(storage.db);
      if (!keys.some((key) => key.keyVersion === keyVersion)) {
        throw notFoundError(`Data key version '${keyVersion}' was not found`);
      }
      const activeKeyVersion = Math.max(...keys.map((key) => key.keyVersion));
      if (keyVersion === activeKeyVersion) {
        throw conflictError(
          `Data key version '${keyVersion}' is the active key; rotate to a new one before retiring it`,
        );
      }
      await storage.transaction(async (tx) => {
        // Counted inside the transaction that deletes, so a value sealed just before cannot be orphaned.
        const counts = await countByVersion(tx, [keyVersion]);
        const stillSealed = counts.get(keyVersion) ?? 0;
        if (stillSealed > 0) {
          throw conflictError(
            `Data key version '${keyVersion}' still seals ${stillSealed} value(s); run a rewrap first`,
          );
        }
        await deleteDataKey(tx, keyVersion);
        await audit.record(tx, {
          actor,
          category: 'DataKey',
          operation: 'Deleted',
          entityType: 'DataKey',
          auditIdentifier: `Data key version ${keyVersion}`,
          immutableIdentifier: String(keyVersion),
          details: { keyVersion, step: 'retired' },
        });
      });
      await keyRing.reload();
    },

    async rotateMaster(actor, newMasterKey) {
      if (newMasterKey.equals(masterKey)) {
        throw validationError('The new master key is the same as the current one');
      }
      if ((await readMasterKeyCheck(storage.db)) !== keyCheckValue(masterKey)) {
        throw conflictError('The current master key does not match this database; nothing was changed');
      }
      const keys = await listDataKeys(storage.db);
      // Everything is unwrapped and rewrapped before the transaction, which then only writes; a key that
      // does not open stops the rotation before anything changed.
      const rewrapped = keys.map((key) => ({
        keyVersion: key.keyVersion,
        wrappedKey: wrapDataKey(
          newMasterKey,
          unwrapDataKey(masterKey, key.wrappedKey, key.keyVersion),
          key.keyVersion,
        ),
      }));
      const purposeKeys = await Promise.all(
        persistentPurposeKeys.map(async ({ purpose, metaName }) => ({
          purpose,
          metaName,
          key: await loadPurposeKey(storage.db, masterKey, purpose),
        })),
      );
      await storage.transaction(async (tx) => {
        if ((await readMasterKeyCheck(tx)) !== keyCheckValue(masterKey)) {
          throw conflictError(
            'The master key of this database changed while the rotation was prepared; nothing was changed',
          );
        }
        const present = await listDataKeys(tx);
        if (present.length !== rewrapped.length) {
          throw conflictError(
            'The data keys changed while the rotation was prepared; nothing was changed, run it again',
          );
        }
        for (const key of rewrapped) await replaceWrappedKey(tx, key.keyVersion, key.wrappedKey);
        // The audit chain's MACs and the OAuth client secrets' hashes were made with keys derived from the
        // first master key; they are kept, wrapped under the new one, so both stay verifiable.
        for (const { purpose, metaName, key } of purposeKeys) {
          await writeMeta(tx, metaName, wrapPurposeKey(newMasterKey, key, purpose).toString('base64'));
        }
        await writeMasterKeyCheck(tx, keyCheckValue(newMasterKey));
        await audit.record(tx, {
          actor,
          category: 'MasterKey',
          operation: 'Updated',
          entityType: 'MasterKey',
          auditIdentifier: 'Master key',
          immutableIdentifier: 'master-key',
          details: { step: 'rotated', dataKeysRewrapped: rewrapped.length },
        });
      });
      return { dataKeys: rewrapped.length };
    },
  };
}
