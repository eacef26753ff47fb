import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { mkdirSync } from 'node:fs';
import type { AppConfig } from '../config/app-config.js';
import { generateDataKey, wrapDataKey } from '../crypto/data-key-wrap.js';
import { generateMasterKey, keyCheckValue, parseMasterKey } from '../crypto/master-key.js';
import { loadPurposeKey } from '../modules/keys/purpose-keys.js';
import type { KeyRing } from '../modules/keys/key-ring.js';
import { openLiveKeyRing } from '../modules/keys/key-ring.js';
import type { DatabaseExecutor, Storage } from '../storage/storage.js';

export class StartupError extends Error {
  override name = 'StartupError';
}

/** Reads the master key from where the configuration says; creates the key file on a first start. */
export function loadMasterKey(source: AppConfig['masterKey'], warn: (message: string) => void): Buffer {
  if (source.source === 'env') return source.key;
  if (source.source === 'file' || existsSync(source.path)) {
    try {
      return parseMasterKey(readFileSync(source.path, 'utf8'));
    } catch (error) {
      throw new StartupError(
        `The master key file ${source.path} could not be used: ${(error as Error).message}`,
      );
    }
  }
  const key = generateMasterKey();
  mkdirSync(dirname(source.path), { recursive: true, mode: 0o700 });
  writeFileSync(source.path, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(source.path, 0o600);
  warn(
    `No master key was configured, so one was generated at ${source.path} (mode 0600). Back it up: without it the stored secrets cannot be read. Set STRONGROOM_MASTER_KEY or STRONGROOM_MASTER_KEY_FILE in production.`,
  );
  return key;
}

/**
 * Proves the master key is the one this database was sealed with before anything else runs, and opens the
 * data keys it wraps. Several nodes may start at once on one database, so first-start rows are inserted
 * with "do nothing on conflict" and read back.
 */
export async function openKeyRing(
  storage: Storage,
  masterKey: Buffer,
  now: Date,
  warn: (message: string) => void = () => undefined,
): Promise<KeyRing> {
  const { db } = storage;
  const checkValue = keyCheckValue(masterKey);
  await db
    .insertInto('strongroom_meta')
    .values({ key: 'master_key_check', value: checkValue })
    .onConflict((conflict) => conflict.column('key').doNothing())
    .execute();
  const stored = await db
    .selectFrom('strongroom_meta')
    .select('value')
    .where('key', '=', 'master_key_check')
    .executeTakeFirstOrThrow();
  if (stored.value !== checkValue) {
    throw new StartupError(
      `The master key does not match this database (${storage.location}). Start with the key it was created with.`,
    );
  }

  await db
    .insertInto('data_keys')
    .values({
      key_version: 1,
      wrapped_key: wrapDataKey(masterKey, generateDataKey(), 1),
      created_at: now.toISOString(),
    })
    .onConflict((conflict) => conflict.column('key_version').doNothing())
    .execute();
  return openLiveKeyRing({ db, masterKey, warn });
}

/**
 * The key the audit chain is MACed with. It is derived from the master key until that key is first rotated;
 * from then on the rotation keeps the original key, wrapped under the current master key, so entries signed
 * before the rotation still verify.
 */
export { loadPurposeKey };

export function loadAuditMacKey(db: DatabaseExecutor, masterKey: Buffer): Promise<Buffer> {
  return loadPurposeKey(db, masterKey, 'audit-mac');
}

/** Data key versions stored; values sealed under any of them can be opened. Reported as a metric. */
export async function countDataKeys(storage: Storage): Promise<number> {
  const row = await storage.db
    .selectFrom('data_keys')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .executeTakeFirstOrThrow();
  return Number(row.count);
}
