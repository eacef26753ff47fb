import { createHash } from 'node:crypto';
import { decodeJwt, errors, jwtVerify } from 'jose';
import type { JWTPayload } from 'jose';
import { AppError } from '../../errors/app-error.js';
import type { DatabaseExecutor } from '../../storage/storage.js';
import type { Actor, ActorClaim } from '../security/actor.js';
import { createPermissionChecker } from '../security/permission-evaluator.js';
import { permissionsForClaims } from '../security/role-repository.js';
import { readSecurityVersion } from '../security/security-version-repository.js';
import type { IdentityProviderRecord } from './identity-provider-repository.js';
import { listAllIdentityProviders } from './identity-provider-repository.js';
import type { JwksCache } from './jwks-cache.js';
import { findOAuthClient } from './oauth-client-repository.js';
import { clockSkewSeconds } from './signing-key-service.js';
import type { SigningKeyService } from './signing-key-service.js';
import { builtinIssuerScheme } from './identity-provider-service.js';

/** Asymmetric signatures only: no `none`, and no HMAC, which a public key could be abused to forge. */
export const allowedAlgorithms = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
];
const cacheCapacity = 10_000;
const maxRoleValues = 100;
const maxClaimValueLength = 512;

/** One answer for every refused token: which check failed would help an attacker more than a client. */
const refusal = () => new AppError('invalid_token', 'The bearer token is not valid');

interface RememberedToken {
  actor: Actor;
  securityVersion: number;
  expiresAtMs: number;
}

export type BearerVerifier = (token: string) => Promise<Actor>;

/**
 * Bearer authentication, entirely local: a token is checked against keys already in memory (the built-in
 * issuer's from the database, external providers' from the JWKS cache). A verified token is remembered
 * under a hash of itself until its `exp`, but only while the security version is the one it was verified
 * under: disabling a client or provider, or changing a role's claims, bumps that version on every node, so
 * the next request verifies again and is refused.
 */
export function createBearerVerifier(options: {
  db: DatabaseExecutor;
  now: () => Date;
  issuer: string;
  signingKeys: SigningKeyService;
  jwksCache: JwksCache;
  /** Told the security version each request reads, so the key ring follows rotations made on other nodes. */
  onSecurityVersion?: (securityVersion: number) => Promise<void>;
}): BearerVerifier {
  const { db, now, issuer, signingKeys, jwksCache } = options;
  const remembered = new Map<string, RememberedToken>();
  let providers: { securityVersion: number; list: IdentityProviderRecord[] } | undefined;

  async function providersAt(securityVersion: number): Promise<IdentityProviderRecord[]> {
    if (providers?.securityVersion !== securityVersion) {
      providers = { securityVersion, list: await listAllIdentityProviders(db) };
    }
    return providers.list;
  }

  function remember(key: string, entry: RememberedToken): void {
    if (remembered.size >= cacheCapacity && !remembered.has(key)) {
      const oldest = remembered.keys().next();
      if (oldest.done !== true) remembered.delete(oldest.value);
    }
    remembered.set(key, entry);
  }

  async function verifyWith(provider: IdentityProviderRecord, token: string): Promise<JWTPayload> {
    const isBuiltin = provider.authenticationScheme === builtinIssuerScheme;
    const { payload } = await jwtVerify(
      token,
      async (header, flattened) => {
        if (isBuiltin) {
          const key = header.kid === undefined ? undefined : await signingKeys.verificationKey(header.kid);
          if (key === undefined) throw new errors.JWKSNoMatchingKey();
          return key;
        }
        if (provider.jwksUri === null) throw new errors.JWKSNoMatchingKey();
        return jwksCache.keyFor(provider.id, provider.jwksUri, header, flattened);
      },
      {
        issuer: isBuiltin ? issuer : (provider.authority ?? ''),
        audience: isBuiltin ? issuer : (provider.audience ?? ''),
        algorithms: allowedAlgorithms,
        clockTolerance: clockSkewSeconds,
        // The server's clock, not jose's own, so expiry agrees with the remembered-token check above.
        currentDate: now(),
        requiredClaims: ['exp'],
        ...(isBuiltin ? { typ: 'at+jwt' } : {}),
      },
    );
    return payload;
  }

  return async (token) => {
    const key = createHash('sha256').update(token).digest('base64');
    const securityVersion = await readSecurityVersion(db);
    await options.onSecurityVersion?.(securityVersion);
    const known = remembered.get(key);
    const currentMs = now().getTime();
    if (known !== undefined && known.securityVersion === securityVersion && known.expiresAtMs > currentMs) {
      return known.actor;
    }

    let unverifiedIssuer: string | undefined;
    try {
      unverifiedIssuer = decodeJwt(token).iss;
    } catch {
      throw refusal();
    }
    if (unverifiedIssuer === undefined) throw refusal();
    const candidates = (await providersAt(securityVersion)).filter(
      (provider) =>
        provider.authenticationEnabled &&
        sameIssuer(
          provider.authenticationScheme === builtinIssuerScheme ? issuer : provider.authority,
          unverifiedIssuer,
        ),
    );
    for (const provider of candidates) {
      let payload: JWTPayload;
      try {
        payload = await verifyWith(provider, token);
      } catch (error) {
        if (error instanceof errors.JOSEError) continue;
        throw error;
      }
      const claims = claimsOf(provider, payload);
      const clientId = claims.find((claim) => claim.claimType === 'OAuthClientId')?.claimValue;
      if (provider.authenticationScheme === builtinIssuerScheme) {
        // A token outlives nothing it was issued to: a deleted or disabled client's tokens stop working.
        const client = clientId === undefined ? undefined : await findOAuthClient(db, clientId);
        if (client === undefined || !client.enabled) throw refusal();
      }
      const permissions = await permissionsForClaims(db, claims);
      const actor: Actor = {
        username: usernameOf(provider, payload, clientId),
        groups: [],
        permissions: createPermissionChecker(permissions),
        claims,
      };
      remember(key, { actor, securityVersion, expiresAtMs: (payload.exp ?? 0) * 1000 });
      return actor;
    }
    throw refusal();
  };
}

function sameIssuer(authority: string | null, issuer: string): boolean {
  if (authority === null) return false;
  return authority.replace(/\/+$/, '') === issuer.replace(/\/+$/, '');
}

/** Reads a claim by name, or by a dotted path into nested objects (Keycloak's `realm_access.roles`). */
function claimAt(payload: JWTPayload, name: string): unknown {
  if (name in payload) return payload[name];
  let value: unknown = payload;
  for (const part of name.split('.')) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

function stringClaim(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' && value.length <= maxClaimValueLength ? value : undefined;
}

/** The token's identity as Keyfactor's OAuth claim types, under the provider's authentication scheme. */
export function claimsOf(provider: IdentityProviderRecord, payload: JWTPayload): ActorClaim[] {
  const providerScheme = provider.authenticationScheme;
  const claims: ActorClaim[] = [];
  const add = (claimType: string, value: unknown) => {
    const claimValue = stringClaim(value);
    if (claimValue !== undefined) claims.push({ claimType, claimValue, providerScheme });
  };
  const configuredClientId = stringClaim(claimAt(payload, provider.clientIdClaimType));
  add(
    'OAuthClientId',
    configuredClientId ?? (provider.clientIdClaimType === 'client_id' ? payload.azp : undefined),
  );
  add('OAuthSubject', payload.sub);
  add('OAuthOid', payload.oid);
  const roles = claimAt(payload, provider.roleClaimType);
  const roleValues = Array.isArray(roles) ? roles.slice(0, maxRoleValues) : [roles];
  for (const role of roleValues) add('OAuthRole', role);
  return claims;
}

export function usernameOf(
  provider: IdentityProviderRecord,
  payload: JWTPayload,
  clientId: string | undefined,
): string {
  const name = stringClaim(claimAt(payload, provider.nameClaimType)) ?? stringClaim(payload.sub) ?? clientId;
  return `${provider.authenticationScheme}\\${name ?? 'unknown'}`;
}
