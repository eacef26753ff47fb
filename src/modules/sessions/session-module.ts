import type { JwksCache } from '../identity/jwks-cache.js';
import { externalSignInRoutes } from './external-sign-in-routes.js';
import { createExternalSignInService } from './external-sign-in-service.js';
import type { RouteRegistrar, SessionVerifier } from '../../http/app.js';
import type { Storage } from '../../storage/storage.js';
import type { AuditWriter } from '../audit/audit-writer.js';
import type { Authenticator } from '../security/authenticator.js';
import { sessionIdFromCookies } from './session-cookie.js';
import { sessionRoutes } from './session-routes.js';
import { createSessionService } from './session-service.js';

/** Portal sessions: the routes that open and end them, and the verifier the authentication hook asks. */
export function createSessionModule(dependencies: {
  storage: Storage;
  authenticator: Authenticator;
  audit: AuditWriter;
  now: () => Date;
  idleSeconds: number;
  lifetimeSeconds: number;
  /** Told the security version each request reads, so the key ring follows rotations made on other nodes. */
  onSecurityVersion?: (securityVersion: number) => Promise<void>;
  /** The identity module's key sets, which verify external providers' ID tokens. */
  jwksCache: JwksCache;
  publicUrl: string | undefined;
}): { registrar: RouteRegistrar; verifier: SessionVerifier } {
  const service = createSessionService(dependencies);
  const external = externalSignInRoutes(createExternalSignInService(dependencies), dependencies.publicUrl);
  const routes = sessionRoutes(service);
  return {
    registrar(app) {
      routes(app);
      external(app);
    },
    verifier: {
      sessionIdOf: sessionIdFromCookies,
      authenticate: (sessionId) => service.authenticate(sessionId),
    },
  };
}
