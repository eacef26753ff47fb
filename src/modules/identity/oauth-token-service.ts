import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import type { Storage } from '../../storage/storage.js';
import type { AuditWriter } from '../audit/audit-writer.js';
import type { OAuthClientService } from './oauth-client-service.js';
import type { SigningKeyService } from './signing-key-service.js';
import { signingAlgorithm } from './signing-key-service.js';

/** RFC 6749 section 5.2 error codes this endpoint answers with. */
export type OAuthErrorCode =
  'invalid_request' | 'invalid_client' | 'unsupported_grant_type' | 'invalid_scope' | 'invalid_target';

/**
 * A refused token request. Its body is OAuth's (`error`, `error_description`), not Keyfactor's, because the
 * clients of this endpoint are OAuth libraries that read exactly those fields.
 */
export class OAuthError extends Error {
  readonly error: OAuthErrorCode;
  readonly status: number;

  constructor(error: OAuthErrorCode, description: string) {
    super(description);
    this.name = 'OAuthError';
    this.error = error;
    this.status = error === 'invalid_client' ? 401 : 400;
  }
}

export interface TokenRequest {
  /** The Authorization header, when the client sent one (client_secret_basic). */
  authorization: string | undefined;
  /** The form fields; a field sent twice arrives as an array. */
  fields: Readonly<Record<string, string | string[] | undefined>>;
}

export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope?: string;
}

export interface OAuthTokenService {
  issue(request: TokenRequest): Promise<TokenResponse>;
  metadata(): Record<string, unknown>;
}

const maxFieldLength = 2048;
// RFC 6749 section 3.3: scope tokens are printable ASCII without space, quote or backslash.
const scopePattern = /^[\x21\x23-\x5B\x5D-\x7E]+( [\x21\x23-\x5B\x5D-\x7E]+)*$/;
const invalidClient = () => new OAuthError('invalid_client', 'Client authentication failed');

/**
 * The built-in authorization server for machines: the client-credentials grant, with the client secret in
 * the Authorization header or in the form (the Go oauth2 package tries one, then the other). Access tokens
 * follow RFC 9068: `typ: at+jwt`, issuer, audience, subject and `client_id`, a lifetime, and a unique id.
 */
export function createOAuthTokenService(options: {
  storage: Storage;
  audit: AuditWriter;
  now: () => Date;
  issuer: string;
  tokenTtlSeconds: number;
  clients: OAuthClientService;
  signingKeys: SigningKeyService;
}): OAuthTokenService {
  const { storage, audit, now, issuer, tokenTtlSeconds, clients, signingKeys } = options;

  /** A failed request is audited with what it claimed to be, but only a client id that exists is named. */
  async function auditFailure(clientId: string | undefined, error: OAuthError): Promise<void> {
    const known = clientId === undefined ? undefined : await clients.get(clientId).catch(() => undefined);
    await storage.transaction((tx) =>
      audit.record(tx, {
        actor: known?.clientId ?? 'unknown client',
        category: 'OAuthToken',
        operation: 'Failed',
        entityType: 'OAuthToken',
        auditIdentifier: known?.clientId ?? 'unknown client',
        immutableIdentifier: known?.clientId ?? '',
        outcome: 'Failure',
        details: { Error: error.error, Reason: error.message },
      }),
    );
  }

  /** Every refusal is audited, with the client id only when such a client exists. */
  async function issue(request: TokenRequest): Promise<TokenResponse> {
    const attempt: { clientId?: string } = {};
    try {
      return await issueFor(request, attempt);
    } catch (error) {
      if (error instanceof OAuthError) await auditFailure(attempt.clientId, error);
      throw error;
    }
  }

  async function issueFor(request: TokenRequest, attempt: { clientId?: string }): Promise<TokenResponse> {
    const field = (name: string): string | undefined => {
      const value = request.fields[name];
      if (Array.isArray(value))
        throw new OAuthError('invalid_request', `Parameter '${name}' was sent more than once`);
      if (value !== undefined && value.length > maxFieldLength) {
        throw new OAuthError(
          'invalid_request',
          `Parameter '${name}' is longer than ${maxFieldLength} characters`,
        );
      }
      return value === '' ? undefined : value;
    };

    const fromHeader = basicCredentials(request.authorization);
    const postedId = field('client_id');
    const postedSecret = field('client_secret');
    if (fromHeader !== undefined && postedSecret !== undefined) {
      throw new OAuthError(
        'invalid_request',
        'Send client credentials in the Authorization header or the form, not both',
      );
    }
    const clientId = fromHeader?.clientId ?? postedId;
    const clientSecret = fromHeader?.clientSecret ?? postedSecret;
    if (clientId !== undefined) attempt.clientId = clientId;

    const grantType = field('grant_type');
    if (grantType === undefined)
      throw new OAuthError('invalid_request', "Parameter 'grant_type' is required");
    if (grantType !== 'client_credentials') {
      throw new OAuthError('unsupported_grant_type', 'Only the client_credentials grant is supported');
    }
    if (clientId === undefined || clientSecret === undefined) throw invalidClient();
    const client = await clients.authenticate(clientId, clientSecret);
    if (client === undefined) throw invalidClient();

    const scope = field('scope');
    if (scope !== undefined && !scopePattern.test(scope)) {
      throw new OAuthError('invalid_scope', "Parameter 'scope' must be space-separated scope tokens");
    }
    const audience = field('audience') ?? field('resource');
    if (audience !== undefined && audience.replace(/\/+$/, '') !== issuer) {
      throw new OAuthError('invalid_target', `This server issues tokens only for the audience '${issuer}'`);
    }

    const { kid, privateKey } = await signingKeys.activeKey();
    const issuedAt = Math.floor(now().getTime() / 1000);
    const accessToken = await new SignJWT({
      client_id: client.clientId,
      ...(scope === undefined ? {} : { scope }),
    })
      .setProtectedHeader({ alg: signingAlgorithm, typ: 'at+jwt', kid })
      .setIssuer(issuer)
      .setAudience(issuer)
      .setSubject(client.clientId)
      .setIssuedAt(issuedAt)
      .setNotBefore(issuedAt)
      .setExpirationTime(issuedAt + tokenTtlSeconds)
      .setJti(randomBytes(16).toString('base64url'))
      .sign(privateKey);
    await storage.transaction((tx) =>
      audit.record(tx, {
        actor: client.clientId,
        category: 'OAuthToken',
        operation: 'Created',
        entityType: 'OAuthToken',
        auditIdentifier: client.clientId,
        immutableIdentifier: client.clientId,
        details: {
          Scopes: scope === undefined ? [] : scope.split(' '),
          ExpiresInSeconds: tokenTtlSeconds,
          KeyId: kid,
        },
      }),
    );
    return {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: tokenTtlSeconds,
      ...(scope === undefined ? {} : { scope }),
    };
  }

  return {
    issue,
    metadata() {
      return {
        issuer,
        token_endpoint: `${issuer}/strongroom/oauth/token`,
        jwks_uri: `${issuer}/strongroom/oauth/jwks`,
        grant_types_supported: ['client_credentials'],
        token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
        response_types_supported: [],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: [signingAlgorithm],
        scopes_supported: [],
      };
    },
  };
}

/**
 * RFC 6749 section 2.3.1: client_secret_basic carries the id and secret form-encoded inside Basic. A header
 * of another scheme is not client authentication; a malformed Basic one is a failed one.
 */
function basicCredentials(
  header: string | undefined,
): { clientId: string; clientSecret: string } | undefined {
  if (header === undefined) return undefined;
  const separator = header.indexOf(' ');
  if (separator < 0 || header.slice(0, separator).toLowerCase() !== 'basic') return undefined;
  const decoded = Buffer.from(header.slice(separator + 1).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) throw invalidClient();
  try {
    return {
      clientId: decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' ')),
      clientSecret: decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' ')),
    };
  } catch {
    throw invalidClient();
  }
}
