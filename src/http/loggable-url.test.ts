import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loggableUrl } from './loggable-url.js';

test('a URL without a query string is logged unchanged', () => {
  assert.equal(loggableUrl('/KeyfactorAPI/PamProviders/7'), '/KeyfactorAPI/PamProviders/7');
});

test('credential query parameters lose their values, whatever their case or escaping; the rest stays', () => {
  assert.equal(
    loggableUrl('/strongroom/session/external/callback?code=abc123&state=xyz&iss=https%3A%2F%2Fidp'),
    '/strongroom/session/external/callback?code=[redacted]&state=[redacted]&iss=https%3A%2F%2Fidp',
  );
  assert.equal(
    loggableUrl('/x?Access_Token=t0k3n&pq.QueryString=a'),
    '/x?Access_Token=[redacted]&pq.QueryString=a',
  );
  assert.equal(loggableUrl('/x?%63ode=secret'), '/x?%63ode=[redacted]');
  assert.equal(loggableUrl('/x?%E0%A4%A=1&code'), '/x?%E0%A4%A=1&code');
});
