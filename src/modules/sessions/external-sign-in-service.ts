import { createHash, randomBytes } from 'node:crypto';
import { errors, jwtVerify } from 'jose';
import { AppError } from '../../errors/app-error.js';
import type { Storage } from '../../storage/storage.js';
import type { AuditWriter } from '../audit/audit-writer.js';
import { allowedAlgorithms, claimsOf, usernameOf } from '../identity/bearer-verifier.js';
import { findIdentityProvider, listAllIdentityProviders } from '../identity/identity-provider-repository.js';
import type { IdentityProviderRecord } from '../identity/identity-provider-repository.js';
import type { JwksCache } from '../identity/jwks-cache.js';
import {
  fetchProviderJson,
  isAllowedProviderUrl,
  ProviderFetchError,
} from '../identity/provider-discovery.js';
import { identityProviderId } from '../security/identity-provider-id.js';
import {
  deleteExpiredSignInAttempts,
  insertExternalSession,
  insertSignInAttempt,
  takeSignInAttempt,
} from './external-session-repository.js';

export interface SignInProvider {
  scheme: string;
  displayName: string;
}

export interface ExternalSignInService {
  /** Enabled external providers the portal has a client at: the "Sign in with" choices. */
  providers(): Promise<SignInProvider[]>;
  /** Opens an attempt; the verifier goes only to the browser's callback-scoped cookie. */
  start(scheme: string, redirectUri: string): Promise<{ location: string; verifier: string }>;
  /** Checks the provider's answer and opens a session; every refusal is audited and creates nothing. */
  finish(
    answer: { state?: string; code?: string; iss?: string; error?: string },
    verifier: string | undefined,
    redirectUri: string,
  ): Promise<{ sessionId: string }>;
}

const attemptSeconds = 600;
const clockSkewSeconds = 60;

const hash = (text: string) => createHash('sha256').update(text).digest('base64url');

/** Returned for every refused callback: the reason goes to the audit log, not to whoever sent the request. */
const refused = () =>
  new AppError('unauthenticated', 'The sign-in at the identity provider was refused; try again');

interface ProviderEndpoints {
  authorizationEndpoint: string;
  tokenEndpoint: string;
}

async function endpointsOf(provider: IdentityProviderRecord): Promise<ProviderEndpoints> {
  const url = `${(provider.authority ?? '').replace(/\/+$/, '')}/.well-known/openid-configuration`;
  const document = (await fetchProviderJson(url)) as {
    authorization_endpoint?: unknown;
    token_endpoint?: unknown;
  } | null;
  const authorizationEndpoint = document?.authorization_endpoint;
  const tokenEndpoint = document?.token_endpoint;
  if (
    typeof authorizationEndpoint !== 'string' ||
    typeof tokenEndpoint !== 'string' ||
    !isAllowedProviderUrl(authorizationEndpoint) ||
    !isAllowedProviderUrl(tokenEndpoint)
  ) {
    throw new ProviderFetchError(`${url} names no usable authorization and token endpoints`);
  }
  return { authorizationEndpoint, tokenEndpoint };
}

/**
 * "Sign in with <provider>": the OpenID Connect authorization code flow with PKCE, as a public client (no
 * client secret is kept). The state is stored only as a hash and is deleted when the callback uses it; the
 * PKCE verifier lives only in an HttpOnly cookie, so the browser that started the attempt must finish it.
 */
export function createExternalSignInService(dependencies: {
  storage: Storage;
  audit: AuditWriter;
  now: () => Date;
  jwksCache: JwksCache;
}): ExternalSignInService {
  const { storage, audit, now, jwksCache } = dependencies;

  function usable(provider: IdentityProviderRecord | undefined): provider is IdentityProviderRecord & {
    clientId: string;
    authority: string;
    jwksUri: string;
  } {
    return (
      provider !== undefined &&
      !provider.isBuiltin &&
      provider.authenticationEnabled &&
      provider.clientId !== null &&
      provider.authority !== null &&
      provider.jwksUri !== null
    );
  }

  async function auditRefusal(reason: string, provider: IdentityProviderRecord | undefined): Promise<void> {
    await storage.transaction(async (tx) => {
      await audit.record(tx, {
        actor: provider === undefined ? 'unknown' : `${provider.authenticationScheme}\\unknown`,
        category: 'PortalSession',
        operation: 'Created',
        entityType: 'PortalSession',
        auditIdentifier: provider?.authenticationScheme ?? 'unknown',
        immutableIdentifier: provider?.id ?? 'unknown',
        outcome: 'Failure',
        level: 'Warning',
        details: { Action: 'ExternalSignInRefused', Reason: reason },
      });
    });
  }

  async function refuse(reason: string, provider: IdentityProviderRecord | undefined): Promise<never> {
    await auditRefusal(reason, provider);
    throw refused();
  }

  return {
    async providers() {
      const all = await listAllIdentityProviders(storage.db);
      return all
        .filter((provider) => usable(provider))
        .map((provider) => ({ scheme: provider.authenticationScheme, displayName: provider.displayName }))
        .sort((a, b) => a.displayName.localeCompare(b.displayName));
    },

    async start(scheme, redirectUri) {
      const provider = await findIdentityProvider(storage.db, identityProviderId(scheme));
      if (!usable(provider)) {
        throw new AppError('not_found', `No enabled identity provider '${scheme}' offers portal sign-in`);
      }
      let endpoints: ProviderEndpoints;
      try {
        endpoints = await endpointsOf(provider);
      } catch (error) {
        if (error instanceof ProviderFetchError) throw new AppError('unavailable', error.message);
        throw error;
      }
      const state = randomBytes(32).toString('base64url');
      const nonce = randomBytes(32).toString('base64url');
      const verifier = randomBytes(32).toString('base64url');
      const codeChallenge = hash(verifier);
      const currentTime = now();
      await storage.transaction(async (tx) => {
        await deleteExpiredSignInAttempts(tx, currentTime.toISOString());
        await insertSignInAttempt(tx, {
          stateHash: hash(state),
          providerId: provider.id,
          nonce,
          codeChallenge,
          expiresAt: new Date(currentTime.getTime() + attemptSeconds * 1000).toISOString(),
        });
      });
      const location = new URL(endpoints.authorizationEndpoint);
      for (const [name, value] of Object.entries({
        client_id: provider.clientId,
        response_type: 'code',
        scope: 'openid',
        redirect_uri: redirectUri,
        state,
        nonce,
        code_challenge: codeChallenge,
        code_challenge_method: 'S256',
      })) {
        location.searchParams.set(name, value);
      }
      return { location: location.href, verifier };
    },

    async finish(answer, verifier, redirectUri) {
      if (answer.state === undefined) return refuse('NoState', undefined);
      const attempt = await takeSignInAttempt(storage.db, hash(answer.state));
      if (attempt === undefined) return refuse('UnknownOrUsedState', undefined);
      const provider = await findIdentityProvider(storage.db, attempt.providerId);
      if (!usable(provider)) return refuse('ProviderDisabled', provider);
      if (Date.parse(attempt.expiresAt) <= now().getTime()) return refuse('Expired', provider);
      if (verifier === undefined || hash(verifier) !== attempt.codeChallenge) {
        return refuse('OtherBrowser', provider);
      }
      if (answer.error !== undefined || answer.code === undefined) return refuse('ProviderError', provider);
      // RFC 9207: when the provider names itself, it must be the provider this attempt went to.
      if (
        answer.iss !== undefined &&
        answer.iss.replace(/\/+$/, '') !== provider.authority.replace(/\/+$/, '')
      ) {
        return refuse('WrongIssuer', provider);
      }
      let idToken: unknown;
      try {
        const { tokenEndpoint } = await endpointsOf(provider);
        const response = await fetch(tokenEndpoint, {
          method: 'POST',
          redirect: 'error',
          signal: AbortSignal.timeout(5_000),
          headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
          body: new URLSearchParams({
            grant_type: 'authorization_code',
            code: answer.code,
            redirect_uri: redirectUri,
            client_id: provider.clientId,
            code_verifier: verifier,
          }),
        });
        if (!response.ok) {
          await response.body?.cancel();
          return await refuse('TokenError', provider);
        }
        idToken = ((await response.json()) as { id_token?: unknown } | null)?.id_token;
      } catch (error) {
        if (error instanceof AppError) throw error;
        return refuse('TokenEndpointUnreachable', provider);
      }
      if (typeof idToken !== 'string') return refuse('NoIdToken', provider);
      let payload;
      try {
        ({ payload } = await jwtVerify(
          idToken,
          (header, flattened) => jwksCache.keyFor(provider.id, provider.jwksUri, header, flattened),
          {
            issuer: provider.authority,
            audience: provider.clientId,
            algorithms: allowedAlgorithms,
            clockTolerance: clockSkewSeconds,
            currentDate: now(),
            requiredClaims: ['exp', 'sub', 'nonce'],
          },
        ));
      } catch (error) {
        if (error instanceof errors.JOSEError) return refuse('InvalidIdToken', provider);
        throw error;
      }
      if (payload.nonce !== attempt.nonce) return refuse('WrongNonce', provider);
      const claims = claimsOf(provider, payload).filter((claim) => claim.claimType !== 'OAuthClientId');
      const displayName = usernameOf(provider, payload, undefined);
      const sessionId = randomBytes(32).toString('base64url');
      await storage.transaction(async (tx) => {
        await insertExternalSession(tx, {
          idHash: hash(sessionId),
          providerId: provider.id,
          subject: String(payload.sub),
          displayName,
          claims,
          createdAt: now().toISOString(),
        });
        await audit.record(tx, {
          actor: displayName,
          category: 'PortalSession',
          operation: 'Created',
          entityType: 'PortalSession',
          auditIdentifier: displayName,
          immutableIdentifier: provider.id,
          details: { Action: 'SignedIn', Provider: provider.authenticationScheme },
        });
      });
      return { sessionId };
    },
  };
}
