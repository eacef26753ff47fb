import { unwrapPurposeKey } from '../../crypto/data-key-wrap.js';
import { deriveSubkey } from '../../crypto/master-key.js';
import type { DatabaseExecutor } from '../../storage/storage.js';
import { persistentPurposeKeys, readMeta } from './data-key-repository.js';
import type { PersistentPurpose } from './data-key-repository.js';

/** A key whose output is stored, as it survives master-key rotations (see `persistentPurposeKeys`). */
export async function loadPurposeKey(
  db: DatabaseExecutor,
  masterKey: Buffer,
  purpose: PersistentPurpose,
): Promise<Buffer> {
  const metaName = persistentPurposeKeys.find((key) => key.purpose === purpose)?.metaName ?? purpose;
  const wrapped = await readMeta(db, metaName);
  if (wrapped === undefined) return deriveSubkey(masterKey, purpose);
  return unwrapPurposeKey(masterKey, Buffer.from(wrapped, 'base64'), purpose);
}
