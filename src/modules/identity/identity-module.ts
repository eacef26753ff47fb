import type { AppConfig } from '../../config/app-config.js';
import type { SecretCipher } from '../../crypto/secret-cipher.js';
import type { RouteRegistrar } from '../../http/app.js';
import type { Storage } from '../../storage/storage.js';
import type { AuditWriter } from '../audit/audit-writer.js';
import type { BearerVerifier } from './bearer-verifier.js';
import { createBearerVerifier } from './bearer-verifier.js';
import { identityProviderRoutes } from './identity-provider-routes.js';
import { createIdentityProviderService } from './identity-provider-service.js';
import { createJwksCache } from './jwks-cache.js';
import type { JwksCache } from './jwks-cache.js';
import { oauthClientRoutes } from './oauth-client-routes.js';
import { createOAuthClientService } from './oauth-client-service.js';
import { oauthTokenRoutes } from './oauth-token-routes.js';
import { createOAuthTokenService } from './oauth-token-service.js';
import { createSigningKeyService } from './signing-key-service.js';

export interface IdentityModule {
  registrar: RouteRegistrar;
  /** Handed to the HTTP layer's authentication hook by the composition root. */
  verifyBearer: BearerVerifier;
  /** External providers' key sets, shared with the portal's "Sign in with" flow. */
  jwksCache: JwksCache;
}

/** The built-in issuer's identifier: the configured public URL, or the address the server listens on. */
export function issuerUrl(config: Pick<AppConfig, 'publicUrl' | 'host' | 'port'>): string {
  if (config.publicUrl !== undefined) return config.publicUrl;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  return `http://${host}:${config.port}`;
}

/** Identity providers, OAuth clients, the built-in token issuer and bearer authentication. */
export function createIdentityModule(dependencies: {
  storage: Storage;
  cipher: SecretCipher;
  audit: AuditWriter;
  now: () => Date;
  config: AppConfig;
  clientSecretKey: Buffer;
  /** Told the security version each request reads, so the key ring follows rotations made on other nodes. */
  onSecurityVersion?: (securityVersion: number) => Promise<void>;
}): IdentityModule {
  const { storage, cipher, audit, now, config } = dependencies;
  const issuer = issuerUrl(config);
  const jwksCache = createJwksCache({ now });
  const signingKeys = createSigningKeyService({
    storage,
    cipher,
    audit,
    now,
    tokenTtlSeconds: config.tokenTtlSeconds,
  });
  const clients = createOAuthClientService({
    storage,
    audit,
    now,
    secretHashKey: dependencies.clientSecretKey,
  });
  const tokens = createOAuthTokenService({
    storage,
    audit,
    now,
    issuer,
    tokenTtlSeconds: config.tokenTtlSeconds,
    clients,
    signingKeys,
  });
  const providers = createIdentityProviderService({ storage, audit, now, issuer, jwksCache });
  const registrars = [
    oauthClientRoutes(clients),
    oauthTokenRoutes(tokens, signingKeys),
    identityProviderRoutes(providers),
  ];
  return {
    jwksCache,
    registrar(app) {
      for (const register of registrars) register(app);
      app.addHook('onClose', async () => jwksCache.close());
    },
    verifyBearer: createBearerVerifier({
      db: storage.db,
      now,
      issuer,
      signingKeys,
      jwksCache,
      ...(dependencies.onSecurityVersion === undefined
        ? {}
        : { onSecurityVersion: dependencies.onSecurityVersion }),
    }),
  };
}
