import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { JWK, JWTPayload } from 'jose';
import Provider from 'oidc-provider';

type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

export interface SigningKey {
  kid: string;
  privateKey: PrivateKey;
  publicJwk: JWK;
}

export interface TestIdentityProvider {
  readonly issuer: string;
  readonly audience: string;
  readonly clientId: string;
  /** The key the provider signs with now. */
  readonly key: SigningKey;
  /** How many times the JWK Set was fetched. */
  jwksFetches(): number;
  /** A token from the provider's own token endpoint (client credentials). */
  issueToken(): Promise<string>;
  /** A token signed with the provider's key but with claims of the test's choosing (for forged cases). */
  sign(claims: JWTPayload, options?: { kid?: string; key?: PrivateKey }): Promise<string>;
  /** Replaces the signing key; the old one is no longer published. */
  rotateKeys(): Promise<void>;
  close(): Promise<void>;
}

async function newKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = randomBytes(8).toString('hex');
  const publicJwk = await exportJWK(publicKey);
  return { kid, privateKey, publicJwk: { ...publicJwk, kid, alg: 'RS256', use: 'sig' } };
}

/**
 * oidc-provider, a certified OpenID Connect provider, on a loopback port: the external identity provider of
 * the bearer tests. It issues RFC 9068 JWT access tokens for one client-credentials client, with an `oid`
 * and a `roles` claim as Entra ID does.
 */
export async function startTestIdentityProvider(): Promise<TestIdentityProvider> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const issuer = `http://127.0.0.1:${port}`;
  const audience = 'https://strongroom.test/api';
  const clientId = 'terraform-runner';
  const clientSecret = randomBytes(24).toString('hex');
  let key = await newKey();
  let fetches = 0;

  const build = async (signingKey: SigningKey) => {
    const jwk = {
      ...(await exportJWK(signingKey.privateKey)),
      kid: signingKey.kid,
      alg: 'RS256',
      use: 'sig',
    };
    const provider = new Provider(issuer, {
      clients: [
        {
          client_id: clientId,
          client_secret: clientSecret,
          grant_types: ['client_credentials'],
          redirect_uris: [],
          response_types: [],
        },
      ],
      jwks: { keys: [jwk] },
      features: {
        devInteractions: { enabled: false },
        clientCredentials: { enabled: true },
        resourceIndicators: {
          enabled: true,
          defaultResource: () => audience,
          useGrantedResource: () => true,
          getResourceServerInfo: () => ({
            scope: 'api',
            audience,
            accessTokenFormat: 'jwt',
            accessTokenTTL: 300,
            jwt: { sign: { alg: 'RS256' } },
          }),
        },
      },
      ttl: { ClientCredentials: 300 },
      extraTokenClaims: () => ({ oid: 'oid-0001', roles: ['vault-readers', 'auditors'] }),
    });
    return provider.callback();
  };
  let handler = await build(key);
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    if (request.url?.startsWith('/jwks') === true) fetches += 1;
    void handler(request, response);
  });

  return {
    issuer,
    audience,
    clientId,
    get key() {
      return key;
    },
    jwksFetches: () => fetches,
    async issueToken() {
      const response = await fetch(`${issuer}/token`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: 'grant_type=client_credentials&scope=api',
      });
      const body = (await response.json()) as { access_token?: string };
      if (body.access_token === undefined)
        throw new Error(`the identity provider issued no token: ${JSON.stringify(body)}`);
      return body.access_token;
    },
    async sign(claims, options = {}) {
      const issuedAt = Math.floor(Date.now() / 1000);
      return new SignJWT({
        iss: issuer,
        aud: audience,
        sub: clientId,
        client_id: clientId,
        iat: issuedAt,
        exp: issuedAt + 300,
        ...claims,
      })
        .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: options.kid ?? key.kid })
        .sign(options.key ?? key.privateKey);
    },
    async rotateKeys() {
      key = await newKey();
      handler = await build(key);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export { newKey as newTestSigningKey };
