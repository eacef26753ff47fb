import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generateDataKey, unwrapDataKey, wrapDataKey } from './data-key-wrap.js';
import { generateMasterKey } from './master-key.js';

const unwrapFailure = (keyVersion: number): { name: string; message: string } => ({
  name: 'Error',
  message: `Data key ${keyVersion} could not be unwrapped: wrong master key or damaged key record`,
});

test('generateDataKey returns 32 fresh random bytes each time', () => {
  const first = generateDataKey();
  assert.equal(first.length, 32);
  assert.notDeepEqual(generateDataKey(), first);
});

test('a wrapped data key unwraps to the same key under the same root key and version', () => {
  const rootKey = generateMasterKey();
  const dataKey = generateDataKey();
  const wrapped = wrapDataKey(rootKey, dataKey, 3);
  assert.deepEqual(unwrapDataKey(rootKey, wrapped, 3), dataKey);
});

test('wrapping is randomised and the wrapped form does not contain the data key', () => {
  const rootKey = generateMasterKey();
  const dataKey = generateDataKey();
  const first = wrapDataKey(rootKey, dataKey, 1);
  const second = wrapDataKey(rootKey, dataKey, 1);
  assert.notDeepEqual(first, second);
  assert.equal(first.indexOf(dataKey), -1);
  assert.equal(first.indexOf(dataKey.subarray(0, 8)), -1);
});

test('a wrapped data key does not unwrap under a different root key', () => {
  const wrapped = wrapDataKey(generateMasterKey(), generateDataKey(), 1);
  assert.throws(() => unwrapDataKey(generateMasterKey(), wrapped, 1), unwrapFailure(1));
});

test('a wrapped data key does not unwrap as a different key version', () => {
  const rootKey = generateMasterKey();
  const wrapped = wrapDataKey(rootKey, generateDataKey(), 1);
  assert.throws(() => unwrapDataKey(rootKey, wrapped, 2), unwrapFailure(2));
});

test('a wrapped data key with any flipped bit or any missing byte does not unwrap', () => {
  const rootKey = generateMasterKey();
  const wrapped = wrapDataKey(rootKey, generateDataKey(), 7);
  for (let index = 0; index < wrapped.length; index += 1) {
    const tampered = Buffer.from(wrapped);
    tampered[index] = (tampered[index] ?? 0) ^ 0x01;
    assert.throws(() => unwrapDataKey(rootKey, tampered, 7), unwrapFailure(7), `byte ${index}`);
  }
  for (let length = 0; length < wrapped.length; length += 1) {
    assert.throws(() => unwrapDataKey(rootKey, wrapped.subarray(0, length), 7), unwrapFailure(7));
  }
  assert.throws(
    () => unwrapDataKey(rootKey, Buffer.concat([wrapped, Buffer.from([0])]), 7),
    unwrapFailure(7),
  );
});

test('wrapping refuses keys of the wrong size and invalid key versions', () => {
  const rootKey = generateMasterKey();
  assert.throws(() => wrapDataKey(rootKey.subarray(0, 16), generateDataKey(), 1), /root key/);
  assert.throws(() => wrapDataKey(rootKey, generateDataKey().subarray(0, 31), 1), /data key/);
  for (const keyVersion of [0, -1, 1.5, Number.NaN, 2 ** 32]) {
    assert.throws(() => wrapDataKey(rootKey, generateDataKey(), keyVersion), /key version/);
  }
});
