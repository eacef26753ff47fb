import assert from 'node:assert/strict';
import { test } from 'node:test';
import { entityTagOf, ifMatchAllows } from './local-entry-etag.js';

test('an entity tag names both the row and its version', () => {
  assert.equal(entityTagOf({ id: 7, version: 3 }), '"7.3"');
  assert.notEqual(entityTagOf({ id: 7, version: 3 }), entityTagOf({ id: 8, version: 3 }));
});

test('If-Match allows the change only for the current tag, any tag of a list, or *', () => {
  assert.equal(ifMatchAllows('"7.3"', '"7.3"'), true);
  assert.equal(ifMatchAllows(' "1.1" , "7.3" ', '"7.3"'), true);
  assert.equal(ifMatchAllows('*', '"7.3"'), true);
  assert.equal(ifMatchAllows('"7.2"', '"7.3"'), false);
  assert.equal(ifMatchAllows('7.3', '"7.3"'), false);
  assert.equal(ifMatchAllows('', '"7.3"'), false);
});

test('a weak tag never satisfies If-Match, which needs strong comparison', () => {
  assert.equal(ifMatchAllows('W/"7.3"', '"7.3"'), false);
});
