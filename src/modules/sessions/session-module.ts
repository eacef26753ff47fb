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
}): { registrar: RouteRegistrar; verifier: SessionVerifier } {
  const service = createSessionService(dependencies);
  return {
    registrar: sessionRoutes(service),
    verifier: {
      sessionIdOf: sessionIdFromCookies,
      authenticate: (sessionId) => service.authenticate(sessionId),
    },
  };
}
