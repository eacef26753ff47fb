import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { globalPermissionSetId } from '../../src/modules/security/admin-bootstrap.js';
import type { TokenAnswer } from '../support/oauth-helpers.js';
import {
  bearer,
  clientBasic,
  createClaimRole,
  createClient,
  requestToken,
} from '../support/oauth-helpers.js';
import { describeEachDialect } from '../support/test-server.js';
import type { TestServer } from '../support/test-server.js';

const issuer = 'https://strongroom.test';
const invalidTokenChallenge = 'Bearer error="invalid_token"';

async function auditRows(server: TestServer, category: number) {
  return server.server.storage.db
    .selectFrom('audit_log')
    .selectAll()
    .where('category', '=', category)
    .orderBy('id')
    .execute();
}

async function tokenFor(server: TestServer, clientId: string, secret: string): Promise<string> {
  const response = await requestToken(
    server,
    { grant_type: 'client_credentials' },
    clientBasic(clientId, secret),
  );
  assert.equal(response.status, 200, response.text);
  return (response.body as TokenAnswer).access_token;
}

function assertInvalidToken(response: { status: number; headers: Record<string, unknown>; text: string }) {
  assert.equal(response.status, 401, response.text);
  assert.equal(response.headers['www-authenticate'], invalidTokenChallenge);
  assert.match(response.text, /The bearer token is not valid/);
}

describeEachDialect(
  'built-in OAuth issuer',
  (server) => {
    test('a new client’s secret is shown once and only its hash is stored', async () => {
      const created = await server().request('POST', '/strongroom/oauth/clients', {
        body: { ClientId: 'shown-once', Description: 'first' },
      });
      assert.equal(created.status, 200, created.text);
      const secret = (created.body as { ClientSecret: string }).ClientSecret;
      assert.ok(secret.length >= 40);
      assert.equal(created.headers['cache-control'], 'no-store');
      for (const url of ['/strongroom/oauth/clients', '/strongroom/oauth/clients/shown-once']) {
        const read = await server().request('GET', url);
        assert.equal(read.status, 200);
        assert.ok(read.text.includes('shown-once'));
        assert.ok(!read.text.includes(secret), `${url} shows the secret`);
        assert.ok(!read.text.includes('ClientSecret'));
      }
      const row = await server()
        .server.storage.db.selectFrom('oauth_clients')
        .selectAll()
        .where('client_id', '=', 'shown-once')
        .executeTakeFirstOrThrow();
      assert.ok(!JSON.stringify(row).includes(secret));
      assert.match(row.secret_hash, /^hmac-sha256:/);
    });

    test('client management needs /security/ permissions and answers 404 and 409 by the book', async () => {
      const reader = await server().createUser('oauth-reader', ['/security/read/']);
      const none = await server().createUser('oauth-nobody', ['/pam/read/']);
      assert.equal((await server().request('GET', '/strongroom/oauth/clients', { as: none })).status, 403);
      assert.equal((await server().request('GET', '/strongroom/oauth/clients', { as: reader })).status, 200);
      const refused = await server().request('POST', '/strongroom/oauth/clients', {
        as: reader,
        body: { ClientId: 'by-reader' },
      });
      assert.equal(refused.status, 403);
      assert.equal((await server().request('GET', '/strongroom/oauth/clients/by-reader')).status, 404);
      await createClient(server(), 'duplicate-me');
      const duplicate = await server().request('POST', '/strongroom/oauth/clients', {
        body: { ClientId: 'DUPLICATE-ME' },
      });
      assert.equal(duplicate.status, 409);
      assert.match((duplicate.body as { Message: string }).Message, /DUPLICATE-ME/);
      const badId = await server().request('POST', '/strongroom/oauth/clients', {
        body: { ClientId: 'a:b' },
      });
      assert.equal(badId.status, 400);
      assert.equal((await server().request('DELETE', '/strongroom/oauth/clients/nobody-here')).status, 404);
    });

    test('kfutil’s flow: client_secret_basic and client_secret_post both get an RFC 9068 token that calls the API', async () => {
      const secret = await createClient(server(), 'kfutil');
      const viaBasic = await requestToken(
        server(),
        { grant_type: 'client_credentials', scope: 'strongroom.read strongroom.write' },
        clientBasic('kfutil', secret),
      );
      const viaPost = await requestToken(server(), {
        grant_type: 'client_credentials',
        client_id: 'kfutil',
        client_secret: secret,
        audience: issuer,
      });
      for (const response of [viaBasic, viaPost]) {
        assert.equal(response.status, 200, response.text);
        assert.equal(response.headers['cache-control'], 'no-store');
        const answer = response.body as TokenAnswer;
        assert.equal(answer.token_type, 'Bearer');
        assert.equal(answer.expires_in, 900);
        const header = decodeProtectedHeader(answer.access_token);
        assert.equal(header.typ, 'at+jwt');
        assert.equal(header.alg, 'ES256');
        const claims = decodeJwt(answer.access_token);
        assert.equal(claims.iss, issuer);
        assert.equal(claims.aud, issuer);
        assert.equal(claims.sub, 'kfutil');
        assert.equal(claims.client_id, 'kfutil');
        assert.equal((claims.exp ?? 0) - (claims.iat ?? 0), 900);
        assert.ok(typeof claims.jti === 'string');
      }
      assert.equal((viaBasic.body as TokenAnswer).scope, 'strongroom.read strongroom.write');

      const token = (viaPost.body as TokenAnswer).access_token;
      const before = await server().request('GET', '/KeyfactorAPI/PamProviders', bearer(token));
      assert.equal(before.status, 403, 'a token no role claims holds no permission');
      await createClaimRole(
        server(),
        'kfutil-pam-readers',
        { ClaimType: 'OAuthClientId', ClaimValue: 'KFUTIL', ProviderAuthenticationScheme: 'strongroom' },
        ['/pam/read/'],
      );
      const after = await server().request('GET', '/KeyfactorAPI/PamProviders', bearer(token));
      assert.equal(after.status, 200, after.text);
      const my = await server().request('GET', '/KeyfactorAPI/Security/My', bearer(token));
      assert.equal(my.status, 200);
      assert.deepEqual((my.body as { Roles: string[] }).Roles, ['kfutil-pam-readers']);
      const permissions = await server().request(
        'GET',
        '/KeyfactorAPI/Security/My/Permissions',
        bearer(token),
      );
      assert.deepEqual((permissions.body as { Permissions: string[] }).Permissions, ['/pam/read/']);
      const write = await server().request('POST', '/strongroom/oauth/clients', {
        ...bearer(token),
        body: { ClientId: 'made-by-token' },
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      });
      assert.equal(write.status, 403);
    });

    test('a claim of another provider scheme grants nothing', async () => {
      const secret = await createClient(server(), 'other-scheme');
      await createClaimRole(
        server(),
        'other-scheme-role',
        { ClaimType: 'OAuthClientId', ClaimValue: 'other-scheme', ProviderAuthenticationScheme: 'SomeIdP' },
        ['/pam/read/'],
      );
      const token = await tokenFor(server(), 'other-scheme', secret);
      assert.equal((await server().request('GET', '/KeyfactorAPI/PamProviders', bearer(token))).status, 403);
    });

    test('token requests that are wrong get RFC 6749 errors, and an unknown client the same answer as a wrong secret', async () => {
      const secret = await createClient(server(), 'careful');
      const clientsBefore = await server().request('GET', '/strongroom/oauth/clients');
      const cases: {
        fields: Record<string, string>;
        authorization?: string;
        status: number;
        error: string;
      }[] = [
        {
          fields: { grant_type: 'password', username: 'a', password: 'b' },
          authorization: clientBasic('careful', secret),
          status: 400,
          error: 'unsupported_grant_type',
        },
        { fields: {}, authorization: clientBasic('careful', secret), status: 400, error: 'invalid_request' },
        { fields: { grant_type: 'client_credentials' }, status: 401, error: 'invalid_client' },
        {
          fields: { grant_type: 'client_credentials', client_id: 'careful', client_secret: `${secret}x` },
          status: 401,
          error: 'invalid_client',
        },
        {
          fields: { grant_type: 'client_credentials', scope: 'bad"scope' },
          authorization: clientBasic('careful', secret),
          status: 400,
          error: 'invalid_scope',
        },
        {
          fields: { grant_type: 'client_credentials', audience: 'https://elsewhere.test' },
          authorization: clientBasic('careful', secret),
          status: 400,
          error: 'invalid_target',
        },
        {
          fields: { grant_type: 'client_credentials', client_secret: secret },
          authorization: clientBasic('careful', secret),
          status: 400,
          error: 'invalid_request',
        },
      ];
      for (const item of cases) {
        const response = await requestToken(server(), item.fields, item.authorization);
        assert.equal(response.status, item.status, `${JSON.stringify(item.fields)}: ${response.text}`);
        assert.equal((response.body as { error: string }).error, item.error);
        assert.equal(typeof (response.body as { error_description: unknown }).error_description, 'string');
        assert.ok(!response.text.includes('ErrorCode'), 'the token endpoint answers in OAuth’s shape');
        assert.ok(!response.text.includes(secret));
      }

      const wrongSecret = await requestToken(
        server(),
        { grant_type: 'client_credentials' },
        clientBasic('careful', 'not-the-secret'),
      );
      const unknownClient = await requestToken(
        server(),
        { grant_type: 'client_credentials' },
        clientBasic('nobody-at-all', 'not-the-secret'),
      );
      assert.equal(wrongSecret.status, 401);
      assert.equal(wrongSecret.text, unknownClient.text);
      assert.equal(wrongSecret.headers['www-authenticate'], 'Basic realm="Strongroom"');
      assert.equal(unknownClient.headers['www-authenticate'], 'Basic realm="Strongroom"');

      const json = await server().request('POST', '/strongroom/oauth/token', {
        as: null,
        body: { grant_type: 'client_credentials', client_id: 'careful', client_secret: secret },
      });
      assert.equal(json.status, 400);
      assert.equal((json.body as { error: string }).error, 'invalid_request');

      const twice = await server().request('POST', '/strongroom/oauth/token', {
        as: null,
        rawBody: `grant_type=client_credentials&grant_type=client_credentials&client_id=careful&client_secret=${encodeURIComponent(secret)}`,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      assert.equal(twice.status, 400);
      assert.equal((twice.body as { error: string }).error, 'invalid_request');

      const clientsAfter = await server().request('GET', '/strongroom/oauth/clients');
      assert.equal(clientsAfter.text, clientsBefore.text, 'a refused token request changes nothing');
    });

    test('issuance and refusals are audited with the client and scopes, never the token or secret', async () => {
      const secret = await createClient(server(), 'audited');
      const issuedBefore = (await auditRows(server(), 2122)).length;
      const response = await requestToken(
        server(),
        { grant_type: 'client_credentials', scope: 'audit.scope' },
        clientBasic('audited', secret),
      );
      const token = (response.body as TokenAnswer).access_token;
      await requestToken(server(), { grant_type: 'client_credentials' }, clientBasic('audited', 'wrong'));
      const rows = (await auditRows(server(), 2122)).slice(issuedBefore);
      assert.equal(rows.length, 2);
      const [issued, failed] = rows;
      assert.equal(issued?.outcome, 'Success');
      assert.equal(issued?.user_name, 'audited');
      assert.match(issued?.message ?? '', /audit\.scope/);
      assert.equal(failed?.outcome, 'Failure');
      assert.match(failed?.message ?? '', /invalid_client/);
      for (const row of rows) {
        assert.ok(!JSON.stringify(row).includes(token.split('.')[1] ?? token));
        assert.ok(!JSON.stringify(row).includes(secret));
      }
    });

    test('disabling, deleting or re-keying a client, or removing the claim, takes effect on the next request', async () => {
      const secret = await createClient(server(), 'revocable');
      await createClaimRole(
        server(),
        'revocable-role',
        { ClaimType: 'OAuthClientId', ClaimValue: 'revocable', ProviderAuthenticationScheme: 'Strongroom' },
        ['/pam/read/'],
      );
      const token = await tokenFor(server(), 'revocable', secret);
      const call = () => server().request('GET', '/KeyfactorAPI/PamProviders', bearer(token));
      assert.equal((await call()).status, 200);

      assert.equal(
        (await server().request('PUT', '/strongroom/oauth/clients/revocable', { body: { Enabled: false } }))
          .status,
        200,
      );
      assertInvalidToken(await call());
      const disabledLogin = await requestToken(
        server(),
        { grant_type: 'client_credentials' },
        clientBasic('revocable', secret),
      );
      assert.equal(disabledLogin.status, 401);
      assert.equal((disabledLogin.body as { error: string }).error, 'invalid_client');
      assert.equal(
        (await server().request('PUT', '/strongroom/oauth/clients/revocable', { body: { Enabled: true } }))
          .status,
        200,
      );
      assert.equal((await call()).status, 200);

      const rotated = await server().request('POST', '/strongroom/oauth/clients/revocable/secret');
      assert.equal(rotated.status, 200);
      const newSecret = (rotated.body as { ClientSecret: string }).ClientSecret;
      assert.notEqual(newSecret, secret);
      assert.equal(
        (await requestToken(server(), { grant_type: 'client_credentials' }, clientBasic('revocable', secret)))
          .status,
        401,
      );
      const fresh = await tokenFor(server(), 'revocable', newSecret);

      const role = await server().request('GET', '/KeyfactorAPI/Security/Roles', {
        apiVersion: 2,
        as: undefined,
      });
      const roleId = (role.body as { Id: number; Name: string }[]).find(
        (item) => item.Name === 'revocable-role',
      )?.Id;
      const removed = await server().request('PUT', '/KeyfactorAPI/Security/Roles', {
        apiVersion: 2,
        body: {
          Id: roleId,
          Name: 'revocable-role',
          Description: '',
          PermissionSetId: globalPermissionSetId,
          Permissions: ['/pam/read/'],
          Claims: [],
        },
      });
      assert.equal(removed.status, 200, removed.text);
      assert.equal((await server().request('GET', '/KeyfactorAPI/PamProviders', bearer(fresh))).status, 403);

      assert.equal((await server().request('DELETE', '/strongroom/oauth/clients/revocable')).status, 204);
      assertInvalidToken(await server().request('GET', '/KeyfactorAPI/Security/My', bearer(fresh)));
    });

    test('the signing key rotates while tokens it signed keep working until they expire', async () => {
      const secret = await createClient(server(), 'rotation');
      const oldToken = await tokenFor(server(), 'rotation', secret);
      const oldKid = decodeProtectedHeader(oldToken).kid;
      const rotated = await server().request('POST', '/strongroom/oauth/signing-key/rotate');
      assert.equal(rotated.status, 200, rotated.text);
      const { KeyId, RetiredKeyIds } = rotated.body as { KeyId: string; RetiredKeyIds: string[] };
      assert.deepEqual(RetiredKeyIds, [oldKid]);
      const newToken = await tokenFor(server(), 'rotation', secret);
      assert.equal(decodeProtectedHeader(newToken).kid, KeyId);
      const jwks = await server().request('GET', '/strongroom/oauth/jwks', { as: null });
      const kids = (jwks.body as { keys: { kid: string; d?: string }[] }).keys.map((key) => key.kid);
      assert.ok(kids.includes(KeyId) && kids.includes(String(oldKid)));
      assert.ok(!jwks.text.includes('"d"'), 'no private key part is published');
      for (const token of [oldToken, newToken]) {
        assert.equal((await server().request('GET', '/KeyfactorAPI/Security/My', bearer(token))).status, 200);
      }
      const sealed = await server()
        .server.storage.db.selectFrom('oauth_signing_keys')
        .select('private_jwk_sealed')
        .execute();
      assert.ok(
        sealed.every((row) => !Buffer.from(row.private_jwk_sealed).toString('latin1').includes('"d"')),
      );
    });

    test('the API reference offers Bearer beside Basic in its Authorize dialog', async () => {
      const document = await server().request('GET', '/KeyfactorAPI/swagger/openapi.json', { as: null });
      const { components, security } = document.body as {
        components: { securitySchemes: Record<string, { type: string; scheme: string }> };
        security: Record<string, unknown>[];
      };
      assert.deepEqual(
        Object.values(components.securitySchemes)
          .map((item) => item.scheme)
          .sort(),
        ['basic', 'bearer'],
      );
      assert.equal(security.length, 2);
    });

    test('metadata and JWKS are public and name the issuer, token endpoint and methods', async () => {
      for (const url of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
        const response = await server().request('GET', url, { as: null });
        assert.equal(response.status, 200);
        const metadata = response.body as Record<string, unknown>;
        assert.equal(metadata.issuer, issuer);
        assert.equal(metadata.token_endpoint, `${issuer}/strongroom/oauth/token`);
        assert.equal(metadata.jwks_uri, `${issuer}/strongroom/oauth/jwks`);
        assert.deepEqual(metadata.token_endpoint_auth_methods_supported, [
          'client_secret_basic',
          'client_secret_post',
        ]);
        assert.deepEqual(metadata.grant_types_supported, ['client_credentials']);
      }
    });

    test('malformed or forged bearer tokens are 401 with the Bearer challenge and no detail', async () => {
      const secret = await createClient(server(), 'forger');
      const token = await tokenFor(server(), 'forger', secret);
      const [header, payload, signature] = token.split('.');
      const tampered = `${header}.${Buffer.from(JSON.stringify({ ...decodeJwt(token), sub: 'admin' })).toString('base64url')}.${signature}`;
      const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt' })).toString('base64url')}.${payload}.`;
      for (const value of ['', 'a b', '####', 'not.a.jwt', tampered, unsigned, `${token}x`]) {
        const response = await server().request('GET', '/KeyfactorAPI/Security/My', {
          as: null,
          headers: { authorization: `Bearer ${value}`.trimEnd() },
        });
        assertInvalidToken(response);
      }
      const builtin = await server().request('GET', '/KeyfactorAPI/Identity/Providers');
      assert.equal(builtin.status, 200);
    });
  },
  { publicUrl: issuer },
);
