import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clearedSessionCookie, sessionCookie, sessionIdFromCookies } from './session-cookie.js';

test('the session cookie is Secure exactly when the request came over TLS', () => {
  assert.equal(
    sessionCookie('abc', { secure: false }),
    'strongroom_session=abc; Path=/; HttpOnly; SameSite=Strict',
  );
  assert.equal(
    sessionCookie('abc', { secure: true }),
    'strongroom_session=abc; Path=/; HttpOnly; SameSite=Strict; Secure',
  );
  assert.match(clearedSessionCookie({ secure: true }), /^strongroom_session=; .*Max-Age=0; Secure$/);
});

test('the session id is found among other cookies, and an empty or absent one is no session', () => {
  assert.equal(sessionIdFromCookies('a=1; strongroom_session=xyz; b=2'), 'xyz');
  assert.equal(sessionIdFromCookies('strongroom_session='), undefined);
  assert.equal(sessionIdFromCookies('other=1'), undefined);
  assert.equal(sessionIdFromCookies('strongroom_sessionx=1'), undefined);
  assert.equal(sessionIdFromCookies(undefined), undefined);
});
