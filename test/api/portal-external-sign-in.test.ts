import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { identityProviderId } from '../../src/modules/security/identity-provider-id.js';
import { createClaimRole } from '../support/oauth-helpers.js';
import type { CodeFlowProvider } from '../support/test-code-flow-provider.js';
import { startCodeFlowProvider } from '../support/test-code-flow-provider.js';
import { describeEachDialect } from '../support/test-server.js';
import type { ApiResponse, TestServer } from '../support/test-server.js';

const scheme = 'CorpSSO';
const providersPath = '/KeyfactorAPI/Identity/Providers';
// Requests are injected, so the Host header decides the callback URL the server sends to the provider.
const host = '127.0.0.1:9';
const redirectUri = `http://${host}/strongroom/session/external/callback`;
const portalHeaders = { 'x-keyfactor-requested-with': 'XMLHttpRequest' };

function providerBody(idp: CodeFlowProvider, enabled: boolean) {
  return {
    AuthenticationScheme: scheme,
    DisplayName: 'Corporate SSO',
    ProviderType: 'Generic',
    AuthenticationEnabled: enabled,
    Parameters: [
      { Name: 'Authority', Value: idp.issuer },
      { Name: 'OIDC Audience', Value: idp.clientId },
      { Name: 'Client Id', Value: idp.clientId },
    ],
  };
}

function setCookies(response: ApiResponse): string[] {
  const header = response.headers['set-cookie'];
  if (header === undefined) return [];
  return Array.isArray(header) ? header : [String(header)];
}

/** Starts a sign-in as a browser does: the provider's URL and the cookie pair to send back to the callback. */
async function start(server: TestServer): Promise<{ location: URL; cookie: string; header: string }> {
  const response = await server.request('GET', `/strongroom/session/external/${scheme}`, {
    as: null,
    headers: { host },
  });
  assert.equal(response.status, 302, response.text);
  const header = setCookies(response)[0] ?? '';
  return { location: new URL(String(response.headers.location)), cookie: header.split(';')[0] ?? '', header };
}

function callback(server: TestServer, answer: URL | string, cookie: string): Promise<ApiResponse> {
  const search = typeof answer === 'string' ? answer : answer.search;
  return server.request('GET', `/strongroom/session/external/callback${search}`, {
    as: null,
    headers: { host, cookie },
  });
}

async function sessionCount(server: TestServer): Promise<number> {
  const rows = await server.server.storage.db
    .selectFrom('portal_external_sessions')
    .select('id_hash')
    .execute();
  return rows.length;
}

async function refusedAudits(server: TestServer): Promise<string[]> {
  const rows = await server.server.storage.db.selectFrom('audit_log').selectAll().orderBy('id').execute();
  return rows.map((row) => JSON.stringify(row)).filter((text) => text.includes('ExternalSignInRefused'));
}

/** The reason the last refused callback was audited with. */
async function lastRefusal(server: TestServer): Promise<string | undefined> {
  return /"Reason\\?":\\?"(\w+)/.exec((await refusedAudits(server)).at(-1) ?? '')?.[1];
}

describeEachDialect('portal sign-in with an external identity provider', (server) => {
  let idp: CodeFlowProvider;
  let usedAnswer: URL | undefined;
  let sessionCookie = '';
  before(async () => {
    idp = await startCodeFlowProvider({ redirectUri, subject: 'alice', roles: ['vault-admins'] });
  });
  after(async () => {
    await idp.close();
  });

  test('a provider with a Client Id is offered on the public provider list', async () => {
    const created = await server().request('POST', providersPath, { body: providerBody(idp, true) });
    assert.equal(created.status, 200, created.text);
    const list = await server().request('GET', '/strongroom/session/providers', { as: null });
    assert.equal(list.status, 200);
    assert.deepEqual(list.body, [{ AuthenticationScheme: scheme, DisplayName: 'Corporate SSO' }]);
  });

  test('sign-in with PKCE opens a session whose permissions come from role claims', async () => {
    await createClaimRole(
      server(),
      'sso-vault-admins',
      { ClaimType: 'OAuthRole', ClaimValue: 'vault-admins', ProviderAuthenticationScheme: scheme },
      ['/pam/read/'],
    );
    const { location, cookie, header } = await start(server());
    assert.equal(location.origin, idp.issuer);
    assert.equal(location.searchParams.get('code_challenge_method'), 'S256');
    assert.equal(location.searchParams.get('redirect_uri'), redirectUri);
    assert.match(header, /HttpOnly/);
    assert.match(header, /SameSite=Lax/);
    assert.match(header, /Path=\/strongroom\/session\/external\/callback/);
    assert.ok(!location.href.includes(cookie.split('=')[1] ?? '-'), 'the PKCE verifier is not in the URL');

    const answer = await idp.authorize(location.href);
    const finished = await callback(server(), answer, cookie);
    assert.equal(finished.status, 302, finished.text);
    assert.equal(finished.headers.location, '/portal/');
    const session = setCookies(finished).find((text) => text.startsWith('strongroom_session='));
    assert.ok(session !== undefined);
    assert.match(session, /HttpOnly/);
    assert.match(session, /SameSite=Strict/);
    sessionCookie = session.split(';')[0] ?? '';
    usedAnswer = answer;

    const whoAmI = await server().request('GET', '/strongroom/session', {
      as: null,
      headers: { ...portalHeaders, cookie: sessionCookie },
    });
    assert.equal(whoAmI.status, 200);
    assert.deepEqual(whoAmI.body, { Username: `${scheme}\\alice`, Groups: [] });
    const pam = await server().request('GET', '/KeyfactorAPI/PamProviders', {
      as: null,
      headers: { ...portalHeaders, cookie: sessionCookie },
    });
    assert.equal(pam.status, 200, pam.text);
    const users = await server().request('GET', '/strongroom/users', {
      as: null,
      headers: { ...portalHeaders, cookie: sessionCookie },
    });
    assert.equal(users.status, 403, 'the session holds the role claim permissions and no more');
    assert.equal(await sessionCount(server()), 1);
    const audits = await server().server.storage.db.selectFrom('audit_log').selectAll().execute();
    const text = JSON.stringify(audits);
    assert.ok(!text.includes(answer.searchParams.get('code') ?? '-'), 'no code in the audit log');
    assert.ok(
      !server()
        .logs()
        .includes(answer.searchParams.get('code') ?? '-'),
      'no code in the access log',
    );
  });

  test('a replayed callback (same state and code) is refused and creates nothing', async () => {
    assert.ok(usedAnswer !== undefined);
    const before = await refusedAudits(server());
    const replay = await callback(server(), usedAnswer, 'strongroom_sign_in=anything');
    assert.equal(replay.status, 401);
    assert.equal(setCookies(replay).length, 0);
    assert.equal(await sessionCount(server()), 1);
    assert.equal((await refusedAudits(server())).length, before.length + 1);
    assert.equal(await lastRefusal(server()), 'UnknownOrUsedState');
  });

  test('an unknown state is refused and creates nothing', async () => {
    const { cookie } = await start(server());
    const refused = await callback(server(), '?state=made-up&code=made-up', cookie);
    assert.equal(refused.status, 401);
    assert.deepEqual(refused.body, {
      ErrorCode: '0xA0110002',
      Message: 'The sign-in at the identity provider was refused; try again',
    });
    assert.equal(await sessionCount(server()), 1);
    assert.equal(await lastRefusal(server()), 'UnknownOrUsedState');
  });

  test('a callback from a browser without the attempt cookie is refused', async () => {
    const { location } = await start(server());
    const answer = await idp.authorize(location.href);
    const refused = await callback(server(), answer, 'strongroom_sign_in=not-the-verifier');
    assert.equal(refused.status, 401);
    assert.equal(await sessionCount(server()), 1);
    assert.equal(await lastRefusal(server()), 'OtherBrowser');
  });

  test('a replayed code on a fresh state is refused by the provider and creates nothing', async () => {
    assert.ok(usedAnswer !== undefined);
    const { location, cookie } = await start(server());
    const answer = await idp.authorize(location.href);
    answer.searchParams.set('code', usedAnswer.searchParams.get('code') ?? '');
    const refused = await callback(server(), answer, cookie);
    assert.equal(refused.status, 401);
    assert.equal(await sessionCount(server()), 1);
    assert.equal(await lastRefusal(server()), 'TokenError');
  });

  test('an ID token with another nonce is refused', async () => {
    const { location, cookie } = await start(server());
    location.searchParams.set('nonce', 'a-nonce-this-server-never-issued');
    const answer = await idp.authorize(location.href);
    const before = await refusedAudits(server());
    const refused = await callback(server(), answer, cookie);
    assert.equal(refused.status, 401);
    assert.equal(await sessionCount(server()), 1);
    const after = await refusedAudits(server());
    assert.equal(after.length, before.length + 1);
    assert.match(after.at(-1) ?? '', /WrongNonce/);
  });

  test('signing out ends an external session', async () => {
    const { location, cookie } = await start(server());
    const finished = await callback(server(), await idp.authorize(location.href), cookie);
    assert.equal(finished.status, 302, finished.text);
    const session = setCookies(finished).find((text) => text.startsWith('strongroom_session='));
    const headers = { ...portalHeaders, cookie: session?.split(';')[0] ?? '' };
    assert.equal(await sessionCount(server()), 2);
    const signOut = await server().request('DELETE', '/strongroom/session', { as: null, headers });
    assert.equal(signOut.status, 204, signOut.text);
    assert.equal(await sessionCount(server()), 1);
    const whoAmI = await server().request('GET', '/strongroom/session', { as: null, headers });
    assert.equal(whoAmI.status, 401);
  });

  test('disabling the provider refuses its callbacks and ends its sessions at once', async () => {
    const { location, cookie } = await start(server());
    const answer = await idp.authorize(location.href);
    const disabled = await server().request('PUT', `${providersPath}/${identityProviderId(scheme)}`, {
      body: providerBody(idp, false),
    });
    assert.equal(disabled.status, 200, disabled.text);
    const refused = await callback(server(), answer, cookie);
    assert.equal(refused.status, 401);
    assert.equal(await lastRefusal(server()), 'ProviderDisabled');
    const whoAmI = await server().request('GET', '/strongroom/session', {
      as: null,
      headers: { ...portalHeaders, cookie: sessionCookie },
    });
    assert.equal(whoAmI.status, 401);
    assert.equal(await sessionCount(server()), 0);
    const list = await server().request('GET', '/strongroom/session/providers', { as: null });
    assert.deepEqual(list.body, []);
    const start404 = await server().request('GET', `/strongroom/session/external/${scheme}`, {
      as: null,
      headers: { host },
    });
    assert.equal(start404.status, 404);
  });
});
