import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sql } from 'kysely';
import { createServer } from '../../src/startup/server.js';
import type { Credentials, TestServer } from '../support/test-server.js';
import {
  adminCredentials,
  basicAuthorization,
  createTestDatabase,
  describeEachDialect,
  testConfig,
  testDialects,
} from '../support/test-server.js';

const portalHeaders = { 'x-keyfactor-requested-with': 'XMLHttpRequest' };

async function signIn(server: TestServer, credentials: Credentials) {
  return server.request('POST', '/strongroom/session', {
    as: null,
    headers: portalHeaders,
    body: { Username: credentials.username, Password: credentials.password },
  });
}

/** The cookie pair a browser would send back, taken from the Set-Cookie header. */
function cookieFrom(response: { headers: Record<string, unknown> }): string {
  const header = response.headers['set-cookie'];
  assert.equal(typeof header, 'string', 'a Set-Cookie header is present');
  return (header as string).split(';')[0] ?? '';
}

function withCookie(cookie: string, headers: Record<string, string> = portalHeaders) {
  return { as: null, headers: { ...headers, cookie } };
}

describeEachDialect('portal sessions', (server) => {
  test('sign-in sets an HttpOnly, SameSite=Strict cookie (not Secure over plain HTTP) and the session says who', async () => {
    const user = await server().createUser('sessions-alice', ['/pam/read/']);
    const response = await signIn(server(), user);
    assert.equal(response.status, 200);
    assert.deepEqual(response.body, { Username: 'sessions-alice', Groups: [] });
    const header = String(response.headers['set-cookie']);
    assert.match(header, /^strongroom_session=[A-Za-z0-9_-]{43}; /);
    assert.match(header, /HttpOnly/);
    assert.match(header, /SameSite=Strict/);
    assert.doesNotMatch(header, /Secure/);
    assert.equal(response.headers['cache-control'], 'no-store');

    const cookie = cookieFrom(response);
    const whoAmI = await server().request('GET', '/strongroom/session', withCookie(cookie));
    assert.equal(whoAmI.status, 200);
    assert.deepEqual(whoAmI.body, { Username: 'sessions-alice', Groups: [] });
    const providers = await server().request('GET', '/KeyfactorAPI/PamProviders', withCookie(cookie));
    assert.equal(providers.status, 200);
    // The session carries the user's permissions and no more.
    const users = await server().request('GET', '/strongroom/users', withCookie(cookie));
    assert.equal(users.status, 403);
  });

  test('a session cookie without the x-keyfactor-requested-with header is refused on every path', async () => {
    const user = await server().createUser('sessions-bob', ['/pam/read/', '/security/read/']);
    const cookie = cookieFrom(await signIn(server(), user));
    // Exactly what a browser sends on its own: the cookie and nothing else.
    const bare = (method: 'GET' | 'DELETE', url: string) =>
      server().server.app.inject({ method, url, headers: { cookie } });
    for (const path of ['/strongroom/session', '/strongroom/users', '/KeyfactorAPI/PamProviders']) {
      const response = await bare('GET', path);
      assert.equal(response.statusCode, 400, path);
      assert.match(response.json<{ Message: string }>().Message, /x-keyfactor-requested-with/);
    }
    assert.equal((await bare('DELETE', '/strongroom/session')).statusCode, 400);
    // Still signed in: the refused sign-out changed nothing.
    assert.equal((await server().request('GET', '/strongroom/session', withCookie(cookie))).status, 200);
  });

  test('sign-in itself needs the header, so a form on another site cannot sign a browser in', async () => {
    const user = await server().createUser('sessions-form', ['/pam/read/']);
    const response = await server().request('POST', '/strongroom/session', {
      as: null,
      headers: { 'x-keyfactor-requested-with': '' },
      body: { Username: user.username, Password: user.password },
    });
    assert.equal(response.status, 400);
    assert.equal(response.headers['set-cookie'], undefined);
  });

  test('a wrong password is a 401 without a cookie, a browser challenge or an echo of the password', async () => {
    const user = await server().createUser('sessions-carol', ['/pam/read/']);
    const response = await signIn(server(), { username: user.username, password: 'wrong-password-canary' });
    assert.equal(response.status, 401);
    assert.equal(response.headers['set-cookie'], undefined);
    assert.equal(response.headers['www-authenticate'], undefined);
    assert.ok(!response.text.includes('wrong-password-canary'));
    const unknown = await signIn(server(), { username: 'nobody-here', password: 'whatever-password' });
    assert.equal(unknown.status, 401);
    assert.equal(
      (unknown.body as { Message: string }).Message,
      (response.body as { Message: string }).Message,
    );
  });

  test('repeated failures lock the account for sign-in exactly as for Basic', async () => {
    const user = await server().createUser('sessions-locked', ['/pam/read/']);
    for (let attempt = 0; attempt < 5; attempt += 1) {
      assert.equal((await signIn(server(), { ...user, password: 'not-the-password' })).status, 401);
    }
    assert.equal((await signIn(server(), user)).status, 401);
    assert.equal((await server().request('GET', '/KeyfactorAPI/PamProviders', { as: user })).status, 401);
  });

  test('sign-out ends the session and clears the cookie; the old cookie is refused afterwards', async () => {
    const user = await server().createUser('sessions-dave', ['/pam/read/']);
    const cookie = cookieFrom(await signIn(server(), user));
    const signOut = await server().request('DELETE', '/strongroom/session', withCookie(cookie));
    assert.equal(signOut.status, 204);
    assert.match(String(signOut.headers['set-cookie']), /^strongroom_session=; .*Max-Age=0/);
    const after = await server().request('GET', '/strongroom/session', withCookie(cookie));
    assert.equal(after.status, 401);
    assert.equal(after.headers['www-authenticate'], undefined);
    assert.equal((after.body as { Message: string }).Message, 'The session has ended; sign in again');
    assert.equal((await server().request('DELETE', '/strongroom/session', withCookie(cookie))).status, 401);
  });

  test('signing out needs a session cookie: a Basic caller gets a 400 naming it', async () => {
    const response = await server().request('DELETE', '/strongroom/session');
    assert.equal(response.status, 400);
    assert.match((response.body as { Message: string }).Message, /session cookie/);
  });

  test('a password change or removal of the user ends the session', async () => {
    const changed = await server().createUser('sessions-erin', ['/pam/read/']);
    const changedCookie = cookieFrom(await signIn(server(), changed));
    const removed = await server().createUser('sessions-fred', ['/pam/read/']);
    const removedCookie = cookieFrom(await signIn(server(), removed));
    const groupsOnly = await server().createUser('sessions-gail', ['/pam/read/']);
    const groupsCookie = cookieFrom(await signIn(server(), groupsOnly));

    const update = await server().request('PUT', '/strongroom/users/sessions-erin', {
      body: { Password: 'another-long-password', Groups: [] },
    });
    assert.equal(update.status, 200);
    assert.equal((await server().request('DELETE', '/strongroom/users/sessions-fred')).status, 204);
    const regroup = await server().request('PUT', '/strongroom/users/sessions-gail', {
      body: { Groups: ['pki'] },
    });
    assert.equal(regroup.status, 200);

    assert.equal(
      (await server().request('GET', '/strongroom/session', withCookie(changedCookie))).status,
      401,
    );
    assert.equal(
      (await server().request('GET', '/strongroom/session', withCookie(removedCookie))).status,
      401,
    );
    // A change that is not the password keeps the session, with the new groups.
    const kept = await server().request('GET', '/strongroom/session', withCookie(groupsCookie));
    assert.equal(kept.status, 200);
    assert.deepEqual((kept.body as { Groups: string[] }).Groups, ['pki']);
  });

  test('the idle and the absolute timeouts end a session', async () => {
    const user = await server().createUser('sessions-hank', ['/pam/read/']);
    const idleCookie = cookieFrom(await signIn(server(), user));
    const oldCookie = cookieFrom(await signIn(server(), user));
    const freshCookie = cookieFrom(await signIn(server(), user));
    const db = server().server.storage.db;
    const longAgo = new Date(Date.now() - 31 * 60_000).toISOString();
    const yesterday = new Date(Date.now() - 13 * 3_600_000).toISOString();
    const rows = await db.selectFrom('portal_sessions').select('id_hash').orderBy('created_at').execute();
    assert.ok(rows.length >= 3);
    // Ages the sessions as time would: one idle for 31 minutes, one opened 13 hours ago but active now.
    const hashes = await Promise.all(
      [idleCookie, oldCookie].map(async (cookie) => {
        const { createHash } = await import('node:crypto');
        return createHash('sha256')
          .update(cookie.split('=')[1] ?? '')
          .digest('base64url');
      }),
    );
    await db
      .updateTable('portal_sessions')
      .set({ last_seen_at: longAgo })
      .where('id_hash', '=', hashes[0]!)
      .execute();
    await db
      .updateTable('portal_sessions')
      .set({ created_at: yesterday })
      .where('id_hash', '=', hashes[1]!)
      .execute();

    assert.equal((await server().request('GET', '/strongroom/session', withCookie(idleCookie))).status, 401);
    assert.equal((await server().request('GET', '/strongroom/session', withCookie(oldCookie))).status, 401);
    assert.equal((await server().request('GET', '/strongroom/session', withCookie(freshCookie))).status, 200);
  });

  test('the database holds a hash of the session id, never the id itself', async () => {
    const user = await server().createUser('sessions-ivy', ['/pam/read/']);
    const sessionId = cookieFrom(await signIn(server(), user)).split('=')[1] ?? '';
    const { rows } = await sql<Record<string, unknown>>`select * from portal_sessions`.execute(
      server().server.storage.db,
    );
    assert.ok(rows.length > 0);
    assert.ok(!JSON.stringify(rows).includes(sessionId));
  });

  test('an invented or malformed cookie is a 401, never a 500', async () => {
    for (const value of ['x', 'A'.repeat(43), '%00%ff', 'a'.repeat(5000)]) {
      const response = await server().request(
        'GET',
        '/strongroom/session',
        withCookie(`strongroom_session=${value}`),
      );
      assert.equal(response.status, 401, value.slice(0, 10));
    }
  });

  test('Basic authentication wins over a cookie on the same request', async () => {
    const response = await server().request('GET', '/strongroom/session', {
      headers: { cookie: 'strongroom_session=not-a-session' },
    });
    assert.equal(response.status, 200);
    assert.equal((response.body as { Username: string }).Username, 'admin');
  });

  test('sign-in and sign-out are audited as Portal Session entries, without the password', async () => {
    const user = await server().createUser('sessions-jay', ['/pam/read/']);
    const cookie = cookieFrom(await signIn(server(), user));
    await server().request('DELETE', '/strongroom/session', withCookie(cookie));
    const audit = await server().request(
      'GET',
      `/KeyfactorAPI/Audit?QueryString=${encodeURIComponent('Category -eq "Portal Session"')}&ReturnLimit=100`,
    );
    assert.equal(audit.status, 200);
    const entries = (audit.body as { UserName?: string; Operation: number; Category: number }[]).filter(
      (entry) => entry.UserName === 'sessions-jay' || JSON.stringify(entry).includes('sessions-jay'),
    );
    assert.deepEqual(entries.map((entry) => entry.Operation).sort(), [1, 3]);
    assert.ok(entries.every((entry) => entry.Category === 2140));
    assert.ok(!audit.text.includes(user.password));
  });
});

test(
  'sign-out, a password change and a removal on one node end the session on the other at once',
  { skip: !testDialects().includes('postgres') && 'STRONGROOM_TEST_DATABASE_URL is not set' },
  async () => {
    const database = await createTestDatabase('postgres');
    const config = testConfig(database, { logLevel: 'silent' });
    const nodes = [await createServer({ config }), await createServer({ config })] as const;
    const admin = basicAuthorization(adminCredentials);
    const send = (
      node: 0 | 1,
      method: 'GET' | 'POST' | 'PUT' | 'DELETE',
      url: string,
      options: { cookie?: string; body?: unknown } = {},
    ) =>
      nodes[node].app.inject({
        method,
        url,
        headers: {
          ...portalHeaders,
          ...(options.cookie === undefined ? { authorization: admin } : { cookie: options.cookie }),
          ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(options.body === undefined ? {} : { payload: JSON.stringify(options.body) }),
      });
    const signInOn = async (node: 0 | 1, password: string) => {
      const response = await nodes[node].app.inject({
        method: 'POST',
        url: '/strongroom/session',
        headers: { ...portalHeaders, 'content-type': 'application/json' },
        payload: JSON.stringify({ Username: 'roaming', Password: password }),
      });
      assert.equal(response.statusCode, 200);
      return cookieFrom(response);
    };
    try {
      const created = await send(0, 'POST', '/strongroom/users', {
        body: { Username: 'roaming', Password: 'first-long-password' },
      });
      assert.equal(created.statusCode, 200);

      const signedOut = await signInOn(0, 'first-long-password');
      assert.equal((await send(1, 'GET', '/strongroom/session', { cookie: signedOut })).statusCode, 200);
      assert.equal((await send(1, 'DELETE', '/strongroom/session', { cookie: signedOut })).statusCode, 204);
      assert.equal((await send(0, 'GET', '/strongroom/session', { cookie: signedOut })).statusCode, 401);

      const beforeChange = await signInOn(1, 'first-long-password');
      assert.equal((await send(0, 'GET', '/strongroom/session', { cookie: beforeChange })).statusCode, 200);
      const changed = await send(0, 'PUT', '/strongroom/users/roaming', {
        body: { Password: 'second-long-password', Groups: [] },
      });
      assert.equal(changed.statusCode, 200);
      assert.equal((await send(1, 'GET', '/strongroom/session', { cookie: beforeChange })).statusCode, 401);

      const beforeRemoval = await signInOn(0, 'second-long-password');
      assert.equal((await send(1, 'GET', '/strongroom/session', { cookie: beforeRemoval })).statusCode, 200);
      assert.equal((await send(1, 'DELETE', '/strongroom/users/roaming')).statusCode, 204);
      assert.equal((await send(0, 'GET', '/strongroom/session', { cookie: beforeRemoval })).statusCode, 401);
    } finally {
      await Promise.all(nodes.map((node) => node.close()));
      await database.drop();
    }
  },
);
