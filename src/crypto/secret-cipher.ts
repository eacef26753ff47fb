import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { AppError } from '../errors/app-error.js';
import { assertKeyVersion, dataKeyLength } from './data-key-wrap.js';

/** Where a sealed value lives. It is bound into the ciphertext, so a value only opens where it was sealed. */
export interface SecretLocation {
  table: string;
  rowId: string;
  column: string;
}

export interface SecretCipher {
  readonly activeKeyVersion: number;
  seal(plaintext: string, location: SecretLocation): Buffer;
  open(sealed: Buffer, location: SecretLocation): string;
  keyVersionOf(sealed: Buffer): number;
}

export const sealedFormatVersion = 0x01;

const headerLength = 1 + 4;
const nonceLength = 12;
const tagLength = 16;
const minimumSealedLength = headerLength + nonceLength + tagLength;
// In a u-flag pattern a well-formed surrogate pair is one code point, so this matches lone halves only.
const loneSurrogatePattern = /\p{Cs}/u;

/**
 * Sealed layout: format byte (0x01), 4-byte big-endian key version, 12-byte random nonce, ciphertext,
 * 16-byte GCM tag. The header is authenticated too, so a value cannot be relabelled with another version.
 */
export function createSecretCipher(options: {
  dataKeys: ReadonlyMap<number, Buffer>;
  activeKeyVersion: number;
}): SecretCipher {
  const dataKeys = new Map<number, Buffer>();
  for (const [keyVersion, dataKey] of options.dataKeys) {
    assertKeyVersion(keyVersion);
    if (dataKey.length !== dataKeyLength) {
      throw new Error(`Data key ${keyVersion} must be exactly ${dataKeyLength} bytes`);
    }
    dataKeys.set(keyVersion, dataKey);
  }
  const { activeKeyVersion } = options;
  const maybeActiveKey = dataKeys.get(activeKeyVersion);
  if (maybeActiveKey === undefined) {
    throw new Error(`The active data key version ${activeKeyVersion} is not among the loaded data keys`);
  }
  const activeKey: Buffer = maybeActiveKey;

  function seal(plaintext: string, location: SecretLocation): Buffer {
    assertLocation(location);
    // Encoding a lone surrogate as UTF-8 silently replaces it, so the value read back would differ from
    // the value stored. Refusing is better than quietly changing a password.
    if (loneSurrogatePattern.test(plaintext)) {
      throw new AppError('validation', 'A secret value must be well-formed Unicode text');
    }
    const header = headerFor(activeKeyVersion);
    const nonce = randomBytes(nonceLength);
    const cipher = createCipheriv('aes-256-gcm', activeKey, nonce, { authTagLength: tagLength });
    cipher.setAAD(associatedDataFor(header, location));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return Buffer.concat([header, nonce, ciphertext, cipher.getAuthTag()]);
  }

  function open(sealed: Buffer, location: SecretLocation): string {
    const keyVersion = readKeyVersion(sealed);
    const dataKey = dataKeys.get(keyVersion);
    if (dataKey === undefined) {
      throw decryptionFailure(`data key version ${keyVersion} is not loaded`);
    }
    const header = sealed.subarray(0, headerLength);
    const nonce = sealed.subarray(headerLength, headerLength + nonceLength);
    const ciphertext = sealed.subarray(headerLength + nonceLength, sealed.length - tagLength);
    const tag = sealed.subarray(sealed.length - tagLength);
    let plaintext: Buffer;
    try {
      const decipher = createDecipheriv('aes-256-gcm', dataKey, nonce, { authTagLength: tagLength });
      decipher.setAAD(associatedDataFor(header, location));
      decipher.setAuthTag(tag);
      plaintext = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
    } catch {
      throw decryptionFailure('authentication failed: wrong key, wrong location or damaged value');
    }
    return plaintext.toString('utf8');
  }

  return { activeKeyVersion, seal, open, keyVersionOf: readKeyVersion };
}

function readKeyVersion(sealed: Buffer): number {
  if (sealed.length < minimumSealedLength) {
    throw decryptionFailure(
      `sealed value is ${sealed.length} bytes, shorter than the ${minimumSealedLength}-byte minimum`,
    );
  }
  const formatVersion = sealed.readUInt8(0);
  if (formatVersion !== sealedFormatVersion) {
    throw decryptionFailure(`unknown sealed format ${formatVersion}`);
  }
  return sealed.readUInt32BE(1);
}

function headerFor(keyVersion: number): Buffer {
  const header = Buffer.alloc(headerLength);
  header.writeUInt8(sealedFormatVersion, 0);
  header.writeUInt32BE(keyVersion, 1);
  return header;
}

/**
 * Each location part is length-prefixed so that no two different locations share an encoding
 * (plain concatenation would make table 'ab' + row 'c' equal to table 'a' + row 'bc').
 */
function associatedDataFor(header: Buffer, location: SecretLocation): Buffer {
  const parts: Buffer[] = [header];
  for (const part of [location.table, location.rowId, location.column]) {
    const bytes = Buffer.from(part, 'utf8');
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length, 0);
    parts.push(length, bytes);
  }
  return Buffer.concat(parts);
}

// An empty part almost always means a row id that was not assigned yet; sealing then would bind the value
// to no row at all.
function assertLocation(location: SecretLocation): void {
  for (const name of ['table', 'rowId', 'column'] as const) {
    if (location[name] === '') {
      throw new Error(`A secret location needs a non-empty ${name}`);
    }
  }
}

// The caller sees one fixed message; the reason goes into `cause` for the server log. Reasons name sizes
// and key versions only, never key material or plaintext.
function decryptionFailure(reason: string): AppError {
  return new AppError('internal', 'A stored secret could not be decrypted', { cause: new Error(reason) });
}
