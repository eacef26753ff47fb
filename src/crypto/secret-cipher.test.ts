import assert from 'node:assert/strict';
import { createCipheriv } from 'node:crypto';
import { test } from 'node:test';
import { AppError } from '../errors/app-error.js';
import { generateDataKey } from './data-key-wrap.js';
import type { SecretLocation } from './secret-cipher.js';
import { createSecretCipher } from './secret-cipher.js';

const location: SecretLocation = { table: 'local_entries', rowId: '42', column: 'value_ciphertext' };

const firstKey = generateDataKey();
const secondKey = generateDataKey();
const cipher = createSecretCipher({
  dataKeys: new Map([
    [1, firstKey],
    [2, secondKey],
  ]),
  activeKeyVersion: 2,
});

// The one error every failed open must produce: a fixed message and no trace of the key or plaintext.
function isDecryptionFailure(err: unknown): boolean {
  assert.ok(err instanceof AppError, 'expected an AppError');
  assert.equal(err.code, 'internal');
  assert.equal(err.message, 'A stored secret could not be decrypted');
  return true;
}

function assertOpenFails(sealed: Buffer, where: SecretLocation = location, message?: string): void {
  assert.throws(() => cipher.open(sealed, where), isDecryptionFailure, message);
}

test('seal then open returns the original text, including empty, unicode and 100 KB values', () => {
  const samples = [
    '',
    'hunter2',
    'pässwörd – 密码 – пароль – 🔐🗝️',
    '\u0000 nul and \n newline',
    'x'.repeat(100 * 1024),
    '🔐'.repeat(30_000),
  ];
  for (const plaintext of samples) {
    assert.equal(cipher.open(cipher.seal(plaintext, location), location), plaintext);
  }
});

test('a sealed value has the documented layout: format 0x01, big-endian key version, nonce, body, tag', () => {
  const plaintext = 'layout check';
  const sealed = cipher.seal(plaintext, location);
  assert.equal(sealed[0], 0x01);
  assert.equal(sealed.readUInt32BE(1), 2);
  assert.equal(sealed.length, 1 + 4 + 12 + Buffer.byteLength(plaintext) + 16);
});

test('the empty string seals to exactly the 33-byte minimum and still opens', () => {
  const sealed = cipher.seal('', location);
  assert.equal(sealed.length, 33);
  assert.equal(cipher.open(sealed, location), '');
});

test('values sealed under an older loaded key version still open after the active version moves on', () => {
  const older = createSecretCipher({ dataKeys: new Map([[1, firstKey]]), activeKeyVersion: 1 });
  const sealed = older.seal('sealed under version 1', location);
  assert.equal(cipher.keyVersionOf(sealed), 1);
  assert.equal(cipher.open(sealed, location), 'sealed under version 1');
});

test('keyVersionOf reads the key version from the header', () => {
  assert.equal(cipher.activeKeyVersion, 2);
  assert.equal(cipher.keyVersionOf(cipher.seal('anything', location)), 2);
  const high = createSecretCipher({
    dataKeys: new Map([[0xfffffffe, firstKey]]),
    activeKeyVersion: 0xfffffffe,
  });
  assert.equal(high.keyVersionOf(high.seal('anything', location)), 0xfffffffe);
});

test('keyVersionOf refuses a value that is too short or has an unknown format byte', () => {
  const sealed = cipher.seal('anything', location);
  assert.throws(() => cipher.keyVersionOf(sealed.subarray(0, 10)), isDecryptionFailure);
  const wrongFormat = Buffer.from(sealed);
  wrongFormat[0] = 0x02;
  assert.throws(() => cipher.keyVersionOf(wrongFormat), isDecryptionFailure);
});

test('a sealed value moved to another row does not open', () => {
  const sealed = cipher.seal('row-bound', location);
  assertOpenFails(sealed, { ...location, rowId: '43' });
});

test('a sealed value moved to another column does not open', () => {
  const sealed = cipher.seal('column-bound', location);
  assertOpenFails(sealed, { ...location, column: 'password_ciphertext' });
});

test('a sealed value moved to another table does not open', () => {
  const sealed = cipher.seal('table-bound', location);
  assertOpenFails(sealed, { ...location, table: 'pam_provider_parameters' });
});

test('locations that concatenate to the same text are still distinct', () => {
  const sealed = cipher.seal('boundary', { table: 'ab', rowId: 'c', column: 'd' });
  assertOpenFails(sealed, { table: 'a', rowId: 'bc', column: 'd' });
  assertOpenFails(sealed, { table: 'ab', rowId: '', column: 'cd' });
});

test('a single flipped bit at any byte position makes the value fail to open', () => {
  const sealed = cipher.seal('short', location);
  for (let index = 0; index < sealed.length; index += 1) {
    for (const mask of [0x01, 0x80]) {
      const tampered = Buffer.from(sealed);
      tampered[index] = (tampered[index] ?? 0) ^ mask;
      assertOpenFails(tampered, location, `byte ${index}, mask ${mask}`);
    }
  }
});

test('a truncated value or a shortened tag is refused', () => {
  const sealed = cipher.seal('short', location);
  for (let length = 0; length < sealed.length; length += 1) {
    assertOpenFails(sealed.subarray(0, length), location, `truncated to ${length} bytes`);
  }
});

test('a value whose tag was cut short is refused even when the ciphertext is re-attached', () => {
  // Rebuild a value the way an attacker with only the data key would need to: same header, nonce and
  // ciphertext but a 4- to 15-byte tag. GCM would accept short tags unless authTagLength pins 16.
  const plaintext = 'short tag';
  const sealed = cipher.seal(plaintext, location);
  const withoutTag = sealed.subarray(0, sealed.length - 16);
  const tag = sealed.subarray(sealed.length - 16);
  for (const tagLength of [4, 8, 12, 15]) {
    assertOpenFails(
      Buffer.concat([withoutTag, tag.subarray(0, tagLength)]),
      location,
      `${tagLength}-byte tag`,
    );
  }
});

test('extra bytes appended to a sealed value make it fail to open', () => {
  const sealed = cipher.seal('short', location);
  assertOpenFails(Buffer.concat([sealed, Buffer.from([0])]));
});

test('a value sealed under a key version that is not loaded does not open', () => {
  const other = createSecretCipher({ dataKeys: new Map([[9, generateDataKey()]]), activeKeyVersion: 9 });
  assertOpenFails(other.seal('from elsewhere', location));
});

test('a value whose header was relabelled with another loaded key version does not open', () => {
  const sealed = cipher.seal('relabelled', location);
  const relabelled = Buffer.from(sealed);
  relabelled.writeUInt32BE(1, 1);
  assertOpenFails(relabelled);
});

test('a value sealed with the right key and location but without the header in the AAD does not open', () => {
  // Guards the header binding: a forger who knows the key but omits the header must not succeed.
  const nonce = Buffer.alloc(12, 3);
  const encryptor = createCipheriv('aes-256-gcm', secondKey, nonce, { authTagLength: 16 });
  const body = Buffer.concat([encryptor.update('forged', 'utf8'), encryptor.final()]);
  const header = Buffer.from([0x01, 0, 0, 0, 2]);
  assertOpenFails(Buffer.concat([header, nonce, body, encryptor.getAuthTag()]));
});

test('the same plaintext sealed twice gives different ciphertexts', () => {
  const first = cipher.seal('same value', location);
  const second = cipher.seal('same value', location);
  assert.notDeepEqual(first, second);
  assert.notDeepEqual(first.subarray(5, 17), second.subarray(5, 17), 'nonces must differ');
});

test('a sealed value does not contain the plaintext bytes', () => {
  const plaintext = 'correct horse battery staple '.repeat(8);
  const sealed = cipher.seal(plaintext, location);
  assert.equal(sealed.indexOf(Buffer.from(plaintext, 'utf8')), -1);
  assert.equal(sealed.indexOf(Buffer.from('correct horse', 'utf8')), -1);
});

test('failed opens never reveal plaintext or key material in the error or its cause', () => {
  const plaintext = 'do-not-leak-this-value';
  const sealed = cipher.seal(plaintext, location);
  const forbidden = [
    plaintext,
    secondKey.toString('hex'),
    secondKey.toString('base64'),
    sealed.toString('hex'),
  ];
  const failures = [
    () => cipher.open(sealed, { ...location, rowId: '99' }),
    () => cipher.open(sealed.subarray(0, 20), location),
    () =>
      createSecretCipher({ dataKeys: new Map([[1, firstKey]]), activeKeyVersion: 1 }).open(sealed, location),
  ];
  for (const failure of failures) {
    try {
      failure();
      assert.fail('expected open to throw');
    } catch (err) {
      assert.ok(err instanceof AppError);
      const cause =
        err.cause instanceof Error ? `${err.cause.message} ${err.cause.stack ?? ''}` : String(err.cause);
      const text = `${err.message} ${err.stack ?? ''} ${cause} ${JSON.stringify(err)}`;
      for (const secret of forbidden) {
        assert.ok(!text.includes(secret), 'error text must not contain secret material');
      }
    }
  }
});

test('seal refuses text with a lone surrogate rather than silently altering it', () => {
  assert.throws(
    () => cipher.seal('abc\ud800def', location),
    (err: unknown) => err instanceof AppError && err.code === 'validation' && !err.message.includes('abc'),
  );
  // A proper surrogate pair is fine.
  assert.equal(cipher.open(cipher.seal('\ud83d\udd10', location), location), '🔐');
});

test('seal refuses a location with an empty part, so a value is never bound to no row', () => {
  for (const part of ['table', 'rowId', 'column'] as const) {
    assert.throws(() => cipher.seal('value', { ...location, [part]: '' }), new RegExp(part));
  }
});

test('createSecretCipher refuses an active version that is not loaded, bad versions and bad key sizes', () => {
  assert.throws(
    () => createSecretCipher({ dataKeys: new Map([[1, firstKey]]), activeKeyVersion: 2 }),
    /active data key version 2/,
  );
  assert.throws(
    () => createSecretCipher({ dataKeys: new Map([[0, firstKey]]), activeKeyVersion: 0 }),
    /key version/,
  );
  assert.throws(
    () => createSecretCipher({ dataKeys: new Map([[1, firstKey.subarray(0, 16)]]), activeKeyVersion: 1 }),
    /32 bytes/,
  );
});

test('a cipher keeps its own copy of the key map, so later changes to the caller map do not affect it', () => {
  const dataKeys = new Map([[1, generateDataKey()]]);
  const own = createSecretCipher({ dataKeys, activeKeyVersion: 1 });
  const sealed = own.seal('value', location);
  dataKeys.delete(1);
  assert.equal(own.open(sealed, location), 'value');
});
