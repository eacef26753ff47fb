import { createLocalJWKSet, errors } from 'jose';
import type { JSONWebKeySet, JWSHeaderParameters, FlattenedJWSInput } from 'jose';
import { asKeySet, fetchProviderJson } from './provider-discovery.js';

type KeyResolver = ReturnType<typeof createLocalJWKSet>;
type VerificationKey = Awaited<ReturnType<KeyResolver>>;

interface CachedKeySet {
  jwksUri: string;
  resolve: KeyResolver;
  /** When a fetch was last started because a token named a key the set lacks. */
  lastUnknownKeyFetchMs: number;
}

export interface JwksCache {
  /** The provider's key for this token header; throws a JOSE error when there is none. */
  keyFor(
    providerId: string,
    jwksUri: string,
    header: JWSHeaderParameters,
    token: FlattenedJWSInput,
  ): Promise<VerificationKey>;
  /** Stores a key set just fetched (at create or update), so the first token needs no fetch. */
  prime(providerId: string, jwksUri: string, jwks: JSONWebKeySet): void;
  close(): void;
}

/**
 * Each external provider's JWK Set, kept in memory so that verifying a token makes no network call. Sets
 * are refreshed in the background, and fetched again when a token names an unknown `kid` (a provider
 * rotated its keys), but at most once per provider per cooldown: a flood of tokens with made-up key ids
 * costs the provider one request, not one each.
 */
export function createJwksCache(options: {
  now: () => Date;
  refreshIntervalMs?: number;
  unknownKeyCooldownMs?: number;
}): JwksCache {
  const { now } = options;
  const cooldownMs = options.unknownKeyCooldownMs ?? 30_000;
  const sets = new Map<string, CachedKeySet>();
  const fetching = new Map<string, Promise<void>>();

  function store(
    providerId: string,
    jwksUri: string,
    jwks: JSONWebKeySet,
    lastUnknownKeyFetchMs: number,
  ): void {
    sets.set(providerId, { jwksUri, resolve: createLocalJWKSet(jwks), lastUnknownKeyFetchMs });
  }

  /** One fetch at a time per provider; concurrent callers wait for the same one. */
  function refresh(providerId: string, jwksUri: string, lastUnknownKeyFetchMs: number): Promise<void> {
    let flight = fetching.get(providerId);
    if (flight === undefined) {
      flight = fetchProviderJson(jwksUri)
        .then((document) => store(providerId, jwksUri, asKeySet(document, jwksUri), lastUnknownKeyFetchMs))
        .finally(() => fetching.delete(providerId));
      fetching.set(providerId, flight);
    }
    return flight;
  }

  const timer = setInterval(
    () => {
      for (const [providerId, cached] of sets) {
        // A failed refresh keeps the keys already known; the next interval tries again.
        refresh(providerId, cached.jwksUri, cached.lastUnknownKeyFetchMs).catch(() => undefined);
      }
    },
    options.refreshIntervalMs ?? 10 * 60_000,
  );
  timer.unref();

  return {
    async keyFor(providerId, jwksUri, header, token) {
      let cached = sets.get(providerId);
      const currentMs = now().getTime();
      if (cached === undefined || cached.jwksUri !== jwksUri) {
        await refresh(providerId, jwksUri, currentMs).catch(() => {
          throw new errors.JWKSNoMatchingKey();
        });
        cached = sets.get(providerId);
        if (cached === undefined) throw new errors.JWKSNoMatchingKey();
      }
      try {
        return await cached.resolve(header, token);
      } catch (error) {
        if (!(error instanceof errors.JWKSNoMatchingKey)) throw error;
        if (currentMs - cached.lastUnknownKeyFetchMs < cooldownMs) throw error;
        cached.lastUnknownKeyFetchMs = currentMs;
        await refresh(providerId, jwksUri, currentMs).catch(() => undefined);
        const refreshed = sets.get(providerId);
        if (refreshed === undefined) throw error;
        return refreshed.resolve(header, token);
      }
    },

    prime(providerId, jwksUri, jwks) {
      store(providerId, jwksUri, jwks, 0);
    },

    close() {
      clearInterval(timer);
    },
  };
}
