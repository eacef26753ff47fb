import { createHmac, hkdfSync, randomBytes } from 'node:crypto';

export const masterKeyLength = 32;

const subkeyLength = 32;
const keyCheckLabel = 'strongroom:key-check:v1';
const standardBase64Pattern = /^[A-Za-z0-9+/]+={0,2}$/;
const urlSafeBase64Pattern = /^[A-Za-z0-9_-]+={0,2}$/;

export function generateMasterKey(): Buffer {
  return randomBytes(masterKeyLength);
}

/**
 * Reads a master key written as base64 (standard or URL-safe alphabet, padding optional). Error messages
 * describe the problem without quoting the input, because the input is the most sensitive value the
 * server has, and messages end up in logs and terminals.
 */
export function parseMasterKey(text: string): Buffer {
  const trimmed = text.trim();
  if (trimmed === '') {
    throw new Error('The master key is empty; expected the base64 encoding of 32 random bytes');
  }
  const isStandard = standardBase64Pattern.test(trimmed);
  const isUrlSafe = urlSafeBase64Pattern.test(trimmed);
  if (!isStandard && !isUrlSafe) {
    throw new Error(
      'The master key is not valid base64; expected the base64 encoding of 32 random bytes ' +
        '(for example from `openssl rand -base64 32`)',
    );
  }
  const key = Buffer.from(trimmed, isStandard ? 'base64' : 'base64url');
  // Node's decoder silently ignores stray bits and misplaced padding, so a key is accepted only if it
  // re-encodes to exactly what was given. Otherwise two different strings would name the same key.
  const unpadded = trimmed.replace(/=+$/, '');
  const reencoded = key.toString(isStandard ? 'base64' : 'base64url').replace(/=+$/, '');
  const hasValidPadding = trimmed.length === unpadded.length || trimmed.length % 4 === 0;
  if (reencoded !== unpadded || !hasValidPadding) {
    throw new Error('The master key is not valid base64; expected the base64 encoding of 32 random bytes');
  }
  if (key.length !== masterKeyLength) {
    throw new Error(
      `The master key decodes to ${key.length} bytes; it must be exactly ${masterKeyLength} bytes`,
    );
  }
  return key;
}

/**
 * Derives an independent key for one purpose, so that no two features ever use the same key material
 * (an audit MAC key leaking must not expose the key that wraps data keys).
 */
export function deriveSubkey(masterKey: Buffer, purpose: string): Buffer {
  assertMasterKey(masterKey);
  if (purpose === '') {
    throw new Error('A subkey purpose must not be empty');
  }
  // HKDF's salt is optional when the input is already uniformly random, which a master key is.
  return Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), `strongroom:${purpose}`, subkeyLength));
}

/**
 * A fingerprint stored beside the data so a server started with a different master key refuses to start
 * instead of writing secrets nobody can read back. It is an HMAC under a derived key, so it reveals
 * nothing about the master key itself.
 */
export function keyCheckValue(masterKey: Buffer): string {
  return createHmac('sha256', deriveSubkey(masterKey, 'key-check')).update(keyCheckLabel).digest('hex');
}

function assertMasterKey(masterKey: Buffer): void {
  if (masterKey.length !== masterKeyLength) {
    throw new Error(`A master key must be exactly ${masterKeyLength} bytes`);
  }
}
