import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { deriveSubkey, generateMasterKey, keyCheckValue, parseMasterKey } from './master-key.js';

test('generateMasterKey returns 32 fresh random bytes each time', () => {
  const first = generateMasterKey();
  const second = generateMasterKey();
  assert.equal(first.length, 32);
  assert.equal(second.length, 32);
  assert.notDeepEqual(first, second);
});

test('parseMasterKey accepts standard base64 of 32 bytes, with or without padding, and trims whitespace', () => {
  const key = randomBytes(32);
  const standard = key.toString('base64');
  assert.deepEqual(parseMasterKey(standard), key);
  assert.deepEqual(parseMasterKey(standard.replace(/=+$/, '')), key);
  assert.deepEqual(parseMasterKey(`  \n${standard}\n\t `), key);
});

test('parseMasterKey accepts URL-safe base64 of 32 bytes', () => {
  // These bytes encode to '+' and '/' in the standard alphabet, so the URL-safe form differs.
  const key = Buffer.alloc(32, 0xfb);
  const urlSafe = key.toString('base64url');
  assert.match(urlSafe, /[-_]/);
  assert.deepEqual(parseMasterKey(urlSafe), key);
  assert.deepEqual(parseMasterKey(`${urlSafe}=`), key);
});

test('parseMasterKey round-trips a generated key', () => {
  const key = generateMasterKey();
  assert.deepEqual(parseMasterKey(key.toString('base64')), key);
});

const rejectedInputs: ReadonlyArray<[string, string]> = [
  ['31 bytes', randomBytes(31).toString('base64')],
  ['33 bytes', randomBytes(33).toString('base64')],
  ['an empty string', ''],
  ['whitespace only', '   \n'],
  ['characters outside base64', `${randomBytes(32).toString('base64').slice(0, 40)}!@#$`],
  ['a mix of standard and URL-safe alphabets', `+_${Buffer.alloc(30, 7).toString('base64')}`],
  ['a hex key of the right length', randomBytes(32).toString('hex')],
  ['misplaced padding', `${randomBytes(32).toString('base64').slice(0, 20)}=${'A'.repeat(23)}`],
  ['excess padding', `${randomBytes(32).toString('base64url')}==`],
  [
    'non-zero trailing bits (a second spelling of a key)',
    `${randomBytes(32).toString('base64').slice(0, 42)}B=`,
  ],
  [
    'embedded whitespace',
    `${randomBytes(32).toString('base64').slice(0, 20)} ${randomBytes(32).toString('base64').slice(20)}`,
  ],
];

for (const [description, input] of rejectedInputs) {
  test(`parseMasterKey rejects ${description} without echoing the input`, () => {
    assert.throws(
      () => parseMasterKey(input),
      (err: unknown) => {
        assert.ok(err instanceof Error);
        assert.ok(err.message.length > 0);
        if (input.trim() !== '') {
          assert.ok(!err.message.includes(input.trim()), 'the message must not contain the input');
          // Not even a recognisable fragment of the key may appear.
          assert.ok(!err.message.includes(input.trim().slice(0, 8)));
        }
        return true;
      },
    );
  });
}

test('parseMasterKey names the decoded length when the size is wrong', () => {
  assert.throws(() => parseMasterKey(randomBytes(31).toString('base64')), /31 bytes.*exactly 32 bytes/);
  assert.throws(() => parseMasterKey(randomBytes(33).toString('base64')), /33 bytes.*exactly 32 bytes/);
});

test('deriveSubkey returns 32 bytes that are stable per purpose and differ between purposes', () => {
  const masterKey = generateMasterKey();
  const auditKey = deriveSubkey(masterKey, 'audit-mac');
  assert.equal(auditKey.length, 32);
  assert.deepEqual(deriveSubkey(masterKey, 'audit-mac'), auditKey);
  assert.notDeepEqual(deriveSubkey(masterKey, 'credential-cache'), auditKey);
  assert.notDeepEqual(deriveSubkey(masterKey, 'key-check'), auditKey);
  assert.notDeepEqual(auditKey, masterKey);
});

test('deriveSubkey differs between master keys for the same purpose', () => {
  assert.notDeepEqual(
    deriveSubkey(generateMasterKey(), 'audit-mac'),
    deriveSubkey(generateMasterKey(), 'audit-mac'),
  );
});

test('deriveSubkey is HKDF-SHA256 with an empty salt and info strongroom:<purpose>', () => {
  // Pinned against an independent computation (RFC 5869 by hand) so a silent change of the derivation,
  // which would orphan every audit MAC and cached credential, fails this test.
  const masterKey = Buffer.alloc(32, 0x42);
  const pseudoRandomKey = createHmac('sha256', Buffer.alloc(32)).update(masterKey).digest();
  const expected = createHmac('sha256', pseudoRandomKey)
    .update(Buffer.concat([Buffer.from('strongroom:audit-mac'), Buffer.from([1])]))
    .digest();
  assert.deepEqual(deriveSubkey(masterKey, 'audit-mac'), expected);
});

test('deriveSubkey refuses a master key that is not 32 bytes and an empty purpose', () => {
  assert.throws(() => deriveSubkey(randomBytes(16), 'audit-mac'), /exactly 32 bytes/);
  assert.throws(() => deriveSubkey(generateMasterKey(), ''), /purpose/);
});

test('keyCheckValue is stable for the same key and differs for different keys', () => {
  const masterKey = generateMasterKey();
  const check = keyCheckValue(masterKey);
  assert.match(check, /^[0-9a-f]{64}$/);
  assert.equal(keyCheckValue(Buffer.from(masterKey)), check);
  assert.notEqual(keyCheckValue(generateMasterKey()), check);
});

test('keyCheckValue does not reveal the master key or its subkeys', () => {
  const masterKey = generateMasterKey();
  const check = keyCheckValue(masterKey);
  assert.ok(!check.includes(masterKey.toString('hex')));
  assert.ok(!check.includes(masterKey.toString('hex').slice(0, 16)));
  assert.ok(!check.includes(deriveSubkey(masterKey, 'key-check').toString('hex').slice(0, 16)));
  assert.notEqual(check, masterKey.toString('hex'));
});

test('keyCheckValue is an HMAC of a fixed label under the key-check subkey, so stored values stay valid', () => {
  const masterKey = Buffer.alloc(32, 0x42);
  const expected = createHmac('sha256', deriveSubkey(masterKey, 'key-check'))
    .update('strongroom:key-check:v1')
    .digest('hex');
  assert.equal(keyCheckValue(masterKey), expected);
});
