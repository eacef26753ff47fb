import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { SignJWT } from 'jose';
import { identityProviderId } from '../../src/modules/security/identity-provider-id.js';
import { bearer, createClaimRole } from '../support/oauth-helpers.js';
import type { TestIdentityProvider } from '../support/test-identity-provider.js';
import { newTestSigningKey, startTestIdentityProvider } from '../support/test-identity-provider.js';
import { describeEachDialect } from '../support/test-server.js';
import type { ApiResponse, TestServer } from '../support/test-server.js';

const providersPath = '/KeyfactorAPI/Identity/Providers';
const scheme = 'CorpIdP';

interface ProviderResponse {
  Id: string;
  AuthenticationScheme: string;
  DisplayName: string;
  ProviderType: string;
  AuthenticationEnabled: boolean;
  PermissionSetId: string;
  Parameters: { Name: string; DisplayName: string; DataType: number; Value: string }[];
}

function providerBody(idp: TestIdentityProvider, overrides: Record<string, unknown> = {}) {
  return {
    AuthenticationScheme: scheme,
    DisplayName: 'Corporate IdP',
    ProviderType: 'Generic',
    Parameters: [
      { Name: 'Authority', Value: idp.issuer },
      { Name: 'OIDC Audience', Value: idp.audience },
      { Name: 'RoleClaimType', Value: 'roles' },
    ],
    ...overrides,
  };
}

function assertInvalidToken(response: ApiResponse, what: string): void {
  assert.equal(response.status, 401, `${what}: ${response.text}`);
  assert.equal(response.headers['www-authenticate'], 'Bearer error="invalid_token"', what);
  assert.equal((response.body as { Message: string }).Message, 'The bearer token is not valid', what);
}

async function providerCount(server: TestServer): Promise<number> {
  const list = await server.request('GET', providersPath);
  return (list.body as unknown[]).length;
}

describeEachDialect('identity providers and bearer tokens from an external IdP', (server) => {
  let idp: TestIdentityProvider;
  let providerId = '';
  before(async () => {
    idp = await startTestIdentityProvider();
  });
  after(async () => {
    await idp.close();
  });
  const myPermissions = (token: string) =>
    server().request('GET', '/KeyfactorAPI/Security/My/Permissions', bearer(token));

  test('lists the built-in Basic and Strongroom providers, which cannot be changed', async () => {
    const list = await server().request('GET', providersPath);
    assert.equal(list.status, 200);
    const providers = list.body as ProviderResponse[];
    assert.deepEqual(providers.map((provider) => provider.AuthenticationScheme).sort(), [
      'Basic',
      'Strongroom',
    ]);
    const builtin = providers.find((provider) => provider.AuthenticationScheme === 'Strongroom');
    assert.ok(builtin !== undefined);
    for (const provider of providers) {
      assert.equal(provider.Id, identityProviderId(provider.AuthenticationScheme), 'ids follow the scheme');
    }
    const changed = await server().request('PUT', `${providersPath}/${builtin.Id}`, {
      body: providerBody(idp, { AuthenticationScheme: 'Strongroom', DisplayName: 'x' }),
    });
    assert.equal(changed.status, 400);
    assert.match((changed.body as { Message: string }).Message, /built-in/);
  });

  test('adds a provider after checking its discovery document, with Keyfactor’s fields', async () => {
    const created = await server().request('POST', providersPath, { body: providerBody(idp) });
    assert.equal(created.status, 200, created.text);
    const provider = created.body as ProviderResponse;
    providerId = provider.Id;
    assert.equal(provider.AuthenticationScheme, scheme);
    assert.equal(provider.AuthenticationEnabled, true);
    assert.equal(provider.ProviderType, 'Generic');
    const authority = provider.Parameters.find((parameter) => parameter.Name === 'Authority');
    assert.equal(authority?.Value, idp.issuer);
    assert.equal(
      provider.Parameters.find((parameter) => parameter.Name === 'Audience')?.DisplayName,
      'OIDC Audience',
    );
    const read = await server().request('GET', `${providersPath}/${providerId}`);
    assert.deepEqual(read.body, provider);
    const filtered = await server().request(
      'GET',
      `${providersPath}?QueryString=${encodeURIComponent(`AuthenticationScheme -eq "${scheme}"`)}`,
    );
    assert.deepEqual(
      (filtered.body as ProviderResponse[]).map((item) => item.Id),
      [providerId],
    );
  });

  test('a token the IdP issues works once a role claims that client, and its roles and oid are claims too', async () => {
    const token = await idp.issueToken();
    assert.deepEqual((await myPermissions(token)).body, { Permissions: [] });
    await createClaimRole(
      server(),
      'idp-client-role',
      { ClaimType: 'OAuthClientId', ClaimValue: idp.clientId, ProviderAuthenticationScheme: scheme },
      ['/pam/read/'],
    );
    assert.deepEqual((await myPermissions(token)).body, { Permissions: ['/pam/read/'] });
    assert.equal((await server().request('GET', '/KeyfactorAPI/PamProviders', bearer(token))).status, 200);
    const roles = await server().request('GET', '/KeyfactorAPI/Security/Roles', { apiVersion: 2 });
    const roleId = (roles.body as { Id: number; Name: string }[]).find(
      (role) => role.Name === 'idp-client-role',
    )?.Id;
    const role = await server().request('GET', `/KeyfactorAPI/Security/Roles/${String(roleId)}`, {
      apiVersion: 2,
    });
    const claim = (role.body as { Claims: { Provider: { Id: string; AuthenticationScheme: string } }[] })
      .Claims[0];
    assert.equal(claim?.Provider.Id, providerId, 'a role claim names the registered provider by its id');

    await createClaimRole(
      server(),
      'idp-role-role',
      {
        ClaimType: 'OAuthRole',
        ClaimValue: 'Vault-Readers',
        ProviderAuthenticationScheme: scheme.toLowerCase(),
      },
      ['/certificate_stores/read/'],
    );
    await createClaimRole(
      server(),
      'idp-oid-role',
      { ClaimType: 'OAuthOid', ClaimValue: 'oid-0001', ProviderAuthenticationScheme: scheme },
      ['/auditing/read/'],
    );
    await createClaimRole(
      server(),
      'idp-subject-role',
      { ClaimType: 'OAuthSubject', ClaimValue: idp.clientId, ProviderAuthenticationScheme: scheme },
      ['/identity_providers/read/'],
    );
    const my = await server().request('GET', '/KeyfactorAPI/Security/My', bearer(token));
    assert.deepEqual((my.body as { Roles: string[] }).Roles, [
      'idp-client-role',
      'idp-oid-role',
      'idp-role-role',
      'idp-subject-role',
    ]);
    const granted = (await myPermissions(token)).body as { Permissions: string[] };
    for (const permission of ['/certificate_stores/read/', '/auditing/read/', '/identity_providers/read/']) {
      assert.ok(granted.Permissions.includes(permission), permission);
    }
  });

  test('a key rotation at the IdP is followed without a restart', async () => {
    const fetchesBefore = idp.jwksFetches();
    await idp.rotateKeys();
    const token = await idp.issueToken();
    assert.deepEqual(
      ((await myPermissions(token)).body as { Permissions: string[] }).Permissions.includes('/pam/read/'),
      true,
    );
    assert.equal(idp.jwksFetches(), fetchesBefore + 1, 'the new key set was fetched once');
  });

  test('wrong audience, wrong issuer, expired, not yet valid, alg none, HS256 with the public key, unknown kid and a tampered payload are each 401', async () => {
    const now = Math.floor(Date.now() / 1000);
    const good = await idp.issueToken();
    const [header, payload, signature] = good.split('.');
    const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >;
    const stranger = await newTestSigningKey();
    const publicKeyBytes = new TextEncoder().encode(JSON.stringify(idp.key.publicJwk));
    const cases: Record<string, string> = {
      'wrong audience': await idp.sign({ aud: 'https://someone-else.test' }),
      'wrong issuer': await idp.sign({ iss: `${idp.issuer}/other` }),
      expired: await idp.sign({ iat: now - 1000, exp: now - 600 }),
      'not yet valid': await idp.sign({ nbf: now + 600 }),
      'no expiry': await new SignJWT({
        iss: idp.issuer,
        aud: idp.audience,
        sub: idp.clientId,
        client_id: idp.clientId,
      })
        .setProtectedHeader({ alg: 'RS256', kid: idp.key.kid })
        .sign(idp.key.privateKey),
      'alg none': `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt' })).toString('base64url')}.${payload}.`,
      'HS256 signed with the public key': await new SignJWT({ ...claims })
        .setProtectedHeader({ alg: 'HS256', kid: idp.key.kid })
        .sign(publicKeyBytes),
      'unknown kid': await idp.sign({}, { kid: 'no-such-key', key: stranger.privateKey }),
      'tampered payload': `${header}.${Buffer.from(JSON.stringify({ ...claims, client_id: 'someone-else', sub: 'admin' })).toString('base64url')}.${signature}`,
    };
    const fetchesBefore = idp.jwksFetches();
    for (const [what, token] of Object.entries(cases)) assertInvalidToken(await myPermissions(token), what);
    for (let index = 0; index < 10; index += 1) {
      const flood = await idp.sign({}, { kid: `made-up-${index}`, key: stranger.privateKey });
      assertInvalidToken(await myPermissions(flood), 'made-up kid');
    }
    assert.ok(
      idp.jwksFetches() - fetchesBefore <= 1,
      'unknown key ids do not make Strongroom hammer the IdP',
    );
    assert.equal((await myPermissions(good)).status, 200, 'the genuine token still works');
  });

  test('bad provider input is refused with the right status and changes nothing', async () => {
    const count = await providerCount(server());
    const cases: { body: Record<string, unknown>; status: number; message: RegExp }[] = [
      { body: providerBody(idp), status: 409, message: /AuthenticationScheme 'CorpIdP' already exists/ },
      {
        body: providerBody(idp, { AuthenticationScheme: 'corpidp', DisplayName: 'Other' }),
        status: 409,
        message: /already exists/,
      },
      {
        body: providerBody(idp, {
          AuthenticationScheme: 'Unreachable',
          DisplayName: 'Unreachable',
          Parameters: [
            { Name: 'Authority', Value: 'http://127.0.0.1:1' },
            { Name: 'Audience', Value: 'x' },
          ],
        }),
        status: 400,
        message: /Authority 'http:\/\/127\.0\.0\.1:1'.*could not be fetched/,
      },
      {
        body: providerBody(idp, {
          AuthenticationScheme: 'Mismatch',
          DisplayName: 'Mismatch',
          Parameters: [
            { Name: 'Authority', Value: idp.issuer.replace('127.0.0.1', 'localhost') },
            { Name: 'Audience', Value: 'x' },
          ],
        }),
        status: 400,
        message: /does not equal the Authority/,
      },
      {
        body: providerBody(idp, {
          AuthenticationScheme: 'PlainHttp',
          DisplayName: 'PlainHttp',
          Parameters: [
            { Name: 'Authority', Value: 'http://idp.example.com' },
            { Name: 'Audience', Value: 'x' },
          ],
        }),
        status: 400,
        message: /must be an https URL/,
      },
      {
        body: providerBody(idp, {
          AuthenticationScheme: 'NoAudience',
          DisplayName: 'NoAudience',
          Parameters: [{ Name: 'Authority', Value: idp.issuer }],
        }),
        status: 400,
        message: /Audience/,
      },
      {
        body: providerBody(idp, {
          AuthenticationScheme: 'Odd',
          DisplayName: 'Odd',
          Parameters: [{ Name: 'Colour', Value: 'blue' }],
        }),
        status: 400,
        message: /Parameter 'Colour' is not supported/,
      },
      {
        body: providerBody(idp, { AuthenticationScheme: 'Saml', DisplayName: 'Saml', ProviderType: 'SAML' }),
        status: 400,
        message: /ProviderType/,
      },
    ];
    for (const item of cases) {
      const response = await server().request('POST', providersPath, { body: item.body });
      assert.equal(response.status, item.status, response.text);
      assert.match((response.body as { Message: string }).Message, item.message);
    }
    const renamed = await server().request('PUT', `${providersPath}/${providerId}`, {
      body: providerBody(idp, { AuthenticationScheme: 'Renamed' }),
    });
    assert.equal(renamed.status, 400);
    assert.match((renamed.body as { Message: string }).Message, /cannot be changed/);
    assert.equal(await providerCount(server()), count);
    const reader = await server().createUser('idp-reader', ['/identity_providers/read/']);
    assert.equal((await server().request('GET', providersPath, { as: reader })).status, 200);
    assert.equal(
      (
        await server().request('POST', providersPath, {
          as: reader,
          body: providerBody(idp, { AuthenticationScheme: 'Nope', DisplayName: 'Nope' }),
        })
      ).status,
      403,
    );
    assert.equal(
      (await server().request('GET', `${providersPath}/00000000-0000-4000-8000-000000000000`)).status,
      404,
    );
  });

  test('disabling the provider refuses its tokens on the next request; enabling it restores them', async () => {
    const token = await idp.issueToken();
    assert.equal((await myPermissions(token)).status, 200);
    const disabled = await server().request('PUT', `${providersPath}/${providerId}`, {
      body: providerBody(idp, { AuthenticationEnabled: false }),
    });
    assert.equal(disabled.status, 200, disabled.text);
    assert.equal((disabled.body as ProviderResponse).AuthenticationEnabled, false);
    assertInvalidToken(await myPermissions(token), 'a token from a disabled provider');
    const enabled = await server().request('PUT', `${providersPath}/${providerId}`, {
      body: providerBody(idp),
    });
    assert.equal(enabled.status, 200);
    assert.equal((await myPermissions(token)).status, 200);
    const audited = await server()
      .server.storage.db.selectFrom('audit_log')
      .selectAll()
      .where('category', '=', 2121)
      .execute();
    assert.ok(audited.length >= 3, 'creating and changing providers is audited');
  });
});
