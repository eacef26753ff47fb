import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generateDataKey, maxKeyVersion } from '../../crypto/data-key-wrap.js';
import { createSecretCipher } from '../../crypto/secret-cipher.js';
import { headerOf } from './sealed-value-repository.js';

const location = { table: 'local_entries', rowId: '1:a', column: 'value_sealed' };

test('a value sorts at or above its version header and below the next, so SQL can select versions by range', () => {
  for (const keyVersion of [1, 2, 255, 256, 65_536, maxKeyVersion - 1]) {
    const cipher = createSecretCipher({
      dataKeys: new Map([[keyVersion, generateDataKey()]]),
      activeKeyVersion: keyVersion,
    });
    const sealed = cipher.seal('value', location);
    assert.ok(Buffer.compare(sealed, headerOf(keyVersion)) >= 0, `version ${keyVersion}`);
    assert.ok(Buffer.compare(sealed, headerOf(keyVersion + 1)) < 0, `version ${keyVersion}`);
    if (keyVersion > 1) assert.ok(Buffer.compare(headerOf(keyVersion - 1), sealed) < 0);
  }
});
