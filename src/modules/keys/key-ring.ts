import { unwrapDataKey } from '../../crypto/data-key-wrap.js';
import { keyCheckValue } from '../../crypto/master-key.js';
import type { SecretCipher, SecretLocation } from '../../crypto/secret-cipher.js';
import { createSecretCipher } from '../../crypto/secret-cipher.js';
import type { DatabaseExecutor } from '../../storage/storage.js';
import { readSecurityVersion } from '../security/security-version-repository.js';
import { listDataKeys, readMasterKeyCheck } from './data-key-repository.js';

/**
 * The cipher every service holds. It delegates to the cipher of the data keys loaded last, so a rotation
 * reaches every service without rebuilding them.
 */
export interface KeyRing extends SecretCipher {
  /**
   * Called with the security version each authenticated request reads. A data-key change bumps that
   * version, so comparing one number is the whole cost on the hot path; only a change reloads the keys.
   */
  observeSecurityVersion(securityVersion: number): Promise<void>;
  /** Reads the data keys again now (the CLI and tests use it after a change they made themselves). */
  reload(): Promise<void>;
}

export async function openLiveKeyRing(options: {
  db: DatabaseExecutor;
  masterKey: Buffer;
  /** Told once per problem that a running node cannot fix itself (it needs a restart with the new key). */
  warn: (message: string) => void;
}): Promise<KeyRing> {
  const { db, masterKey, warn } = options;
  const ownCheckValue = keyCheckValue(masterKey);
  const dataKeys = new Map<number, Buffer>();
  const warned = new Set<string>();
  let current: SecretCipher | undefined;
  let loadedForVersion = -1;
  let reloading: Promise<void> | undefined;

  function warnOnce(key: string, message: string): void {
    if (warned.has(key)) return;
    warned.add(key);
    warn(message);
  }

  async function load(isFirst: boolean): Promise<void> {
    // Read the version first: a change landing after this read bumps it again, so it is never missed.
    const securityVersion = await readSecurityVersion(db);
    const rows = await listDataKeys(db);
    const present = new Set(rows.map((row) => row.keyVersion));
    for (const version of [...dataKeys.keys()]) if (!present.has(version)) dataKeys.delete(version);
    for (const row of rows) {
      if (dataKeys.has(row.keyVersion)) continue;
      try {
        dataKeys.set(row.keyVersion, unwrapDataKey(masterKey, row.wrappedKey, row.keyVersion));
      } catch (error) {
        if (isFirst) throw error;
        // The key was rotated by `keys rotate-master` and then a new data key was added: this node holds
        // the old master key and cannot open it. It keeps sealing with the newest key it has, which every
        // node can still open, and says what to do.
        warnOnce(
          `unwrap-${row.keyVersion}`,
          `Data key version ${row.keyVersion} cannot be opened with this node's master key (was the master key rotated?). ` +
            'This node keeps sealing with the newest data key it holds; restart it with the current master key.',
        );
      }
    }
    if (!isFirst && (await readMasterKeyCheck(db)) !== ownCheckValue) {
      warnOnce(
        'master-check',
        'The master key of this database was rotated. This node keeps serving with the data keys it holds in ' +
          'memory; restart it with the new master key (a restart with the old one is refused).',
      );
    }
    const activeKeyVersion = Math.max(...dataKeys.keys());
    current = createSecretCipher({ dataKeys, activeKeyVersion });
    loadedForVersion = securityVersion;
  }

  await load(true);

  function cipher(): SecretCipher {
    if (current === undefined) throw new Error('The key ring is not loaded');
    return current;
  }

  function reload(): Promise<void> {
    reloading ??= load(false).finally(() => {
      reloading = undefined;
    });
    return reloading;
  }

  return {
    get activeKeyVersion() {
      return cipher().activeKeyVersion;
    },
    seal: (plaintext: string, location: SecretLocation) => cipher().seal(plaintext, location),
    open: (sealed: Buffer, location: SecretLocation) => cipher().open(sealed, location),
    keyVersionOf: (sealed: Buffer) => cipher().keyVersionOf(sealed),
    async observeSecurityVersion(securityVersion) {
      if (securityVersion === loadedForVersion) return;
      await reload();
    },
    reload,
  };
}
