import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export const dataKeyLength = 32;
export const maxKeyVersion = 0xffffffff;

const rootKeyLength = 32;
const nonceLength = 12;
const tagLength = 16;
const wrappedDataKeyLength = nonceLength + dataKeyLength + tagLength;

export function generateDataKey(): Buffer {
  return randomBytes(dataKeyLength);
}

/**
 * Seals a data key under the root key. The key version is bound as associated data, so a wrapped key
 * record copied onto another version's row does not unwrap as that version.
 * Layout: 12-byte nonce, 32-byte ciphertext, 16-byte GCM tag.
 */
export function wrapDataKey(rootKey: Buffer, dataKey: Buffer, keyVersion: number): Buffer {
  assertRootKey(rootKey);
  assertKeyVersion(keyVersion);
  if (dataKey.length !== dataKeyLength) {
    throw new Error(`A data key must be exactly ${dataKeyLength} bytes`);
  }
  return wrapWithAssociatedData(rootKey, dataKey, associatedDataFor(keyVersion));
}

/**
 * Seals a 32-byte key kept for one purpose other than sealing secrets (the audit MAC key once the master
 * key has been rotated). The purpose is the associated data, so it cannot pass for a data key.
 */
export function wrapPurposeKey(rootKey: Buffer, key: Buffer, purpose: string): Buffer {
  assertRootKey(rootKey);
  if (key.length !== dataKeyLength)
    throw new Error(`A ${purpose} key must be exactly ${dataKeyLength} bytes`);
  return wrapWithAssociatedData(rootKey, key, purposeDataFor(purpose));
}

export function unwrapPurposeKey(rootKey: Buffer, wrapped: Buffer, purpose: string): Buffer {
  assertRootKey(rootKey);
  const failure = new Error(`The ${purpose} key could not be unwrapped: wrong master key or damaged record`);
  return unwrapWithAssociatedData(rootKey, wrapped, purposeDataFor(purpose), failure);
}

function wrapWithAssociatedData(rootKey: Buffer, key: Buffer, associatedData: Buffer): Buffer {
  const nonce = randomBytes(nonceLength);
  const cipher = createCipheriv('aes-256-gcm', rootKey, nonce, { authTagLength: tagLength });
  cipher.setAAD(associatedData);
  const ciphertext = Buffer.concat([cipher.update(key), cipher.final()]);
  return Buffer.concat([nonce, ciphertext, cipher.getAuthTag()]);
}

export function unwrapDataKey(rootKey: Buffer, wrapped: Buffer, keyVersion: number): Buffer {
  assertRootKey(rootKey);
  assertKeyVersion(keyVersion);
  // The message names the two likely causes and nothing else: the underlying OpenSSL error says no more
  // than "unable to authenticate", and the inputs are key material.
  const failure = new Error(
    `Data key ${keyVersion} could not be unwrapped: wrong master key or damaged key record`,
  );
  return unwrapWithAssociatedData(rootKey, wrapped, associatedDataFor(keyVersion), failure);
}

function unwrapWithAssociatedData(
  rootKey: Buffer,
  wrapped: Buffer,
  associatedData: Buffer,
  failure: Error,
): Buffer {
  if (wrapped.length !== wrappedDataKeyLength) {
    throw failure;
  }
  const nonce = wrapped.subarray(0, nonceLength);
  const ciphertext = wrapped.subarray(nonceLength, nonceLength + dataKeyLength);
  const tag = wrapped.subarray(nonceLength + dataKeyLength);
  try {
    const decipher = createDecipheriv('aes-256-gcm', rootKey, nonce, { authTagLength: tagLength });
    decipher.setAAD(associatedData);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch {
    throw failure;
  }
}

export function assertKeyVersion(keyVersion: number): void {
  // A version must fit the 4-byte header of a sealed value; versions count up from 1.
  if (!Number.isInteger(keyVersion) || keyVersion < 1 || keyVersion > maxKeyVersion) {
    throw new Error(`A key version must be an integer from 1 to ${maxKeyVersion} (got ${keyVersion})`);
  }
}

function assertRootKey(rootKey: Buffer): void {
  if (rootKey.length !== rootKeyLength) {
    throw new Error(`A root key must be exactly ${rootKeyLength} bytes`);
  }
}

function associatedDataFor(keyVersion: number): Buffer {
  return Buffer.from(`strongroom:data-key:${keyVersion}`, 'utf8');
}

function purposeDataFor(purpose: string): Buffer {
  return Buffer.from(`strongroom:purpose-key:${purpose}`, 'utf8');
}
