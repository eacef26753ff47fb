import { createHash, randomBytes } from 'node:crypto';
import { AppError } from '../../errors/app-error.js';
import type { Storage } from '../../storage/storage.js';
import type { AuditWriter } from '../audit/audit-writer.js';
import type { Actor } from '../security/actor.js';
import type { Authenticator } from '../security/authenticator.js';
import type { PermissionChecker } from '../security/permission-evaluator.js';
import { createPermissionChecker } from '../security/permission-evaluator.js';
import { findIdentityProvider } from '../identity/identity-provider-repository.js';
import { permissionsForClaims, permissionsForIdentity } from '../security/role-repository.js';
import { readSecurityVersion } from '../security/security-version-repository.js';
import { findUserByName } from '../security/user-repository.js';
import {
  deleteExpiredSessions,
  deleteSession,
  findSession,
  insertSession,
  touchSession,
} from './session-repository.js';
import {
  deleteExternalSession,
  findExternalSession,
  touchExternalSession,
} from './external-session-repository.js';

export interface SessionService {
  /** Checks the password as Basic does (same lockout) and opens a session; the id goes only to the cookie. */
  signIn(username: string, password: string): Promise<{ sessionId: string; actor: Actor }>;
  /** The caller a session id stands for, or a 401 when it has ended for any reason. */
  authenticate(sessionId: string): Promise<Actor>;
  signOut(actor: Actor, sessionId: string): Promise<void>;
}

/** Writing the last-seen time on every request would turn each read into a write; a minute's slack is enough. */
const touchIntervalMs = 60_000;
const checkerCacheCapacity = 1000;

const ended = () => new AppError('unauthenticated', 'The session has ended; sign in again');

/** Only this hash is stored: the id is 256 random bits, so a fast hash is enough to make a copy useless. */
function hashSessionId(sessionId: string): string {
  return createHash('sha256').update(sessionId).digest('base64url');
}

/** Changes whenever the password does, without keeping a second copy of the password hash itself. */
function credentialStamp(passwordHash: string): string {
  return createHash('sha256').update('portal-session\0').update(passwordHash).digest('base64url');
}

export function createSessionService(dependencies: {
  storage: Storage;
  authenticator: Authenticator;
  audit: AuditWriter;
  now: () => Date;
  idleSeconds: number;
  lifetimeSeconds: number;
  /** Told the security version each request reads, so the key ring follows rotations made on other nodes. */
  onSecurityVersion?: (securityVersion: number) => Promise<void>;
}): SessionService {
  const { storage, authenticator, audit, now } = dependencies;
  const idleMs = dependencies.idleSeconds * 1000;
  const lifetimeMs = dependencies.lifetimeSeconds * 1000;
  const checkers = new Map<string, PermissionChecker>();

  function checkerFor(permissions: readonly string[]): PermissionChecker {
    const key = JSON.stringify([...permissions].sort());
    let checker = checkers.get(key);
    if (checker === undefined) {
      if (checkers.size >= checkerCacheCapacity) checkers.clear();
      checker = createPermissionChecker(permissions);
      checkers.set(key, checker);
    }
    return checker;
  }

  /**
   * A session opened by an external provider: its permissions are computed afresh from the claims kept at
   * sign-in, so a role change applies at the next request, and disabling the provider ends the session.
   */
  async function authenticateExternal(idHash: string): Promise<Actor> {
    const session = await findExternalSession(storage.db, idHash);
    if (session === undefined) throw ended();
    const provider = await findIdentityProvider(storage.db, session.providerId);
    const currentTime = now().getTime();
    const lastSeen = Date.parse(session.lastSeenAt);
    const isExpired =
      currentTime - lastSeen >= idleMs || currentTime - Date.parse(session.createdAt) >= lifetimeMs;
    if (isExpired || provider === undefined || !provider.authenticationEnabled) {
      await deleteExternalSession(storage.db, idHash);
      throw ended();
    }
    if (currentTime - lastSeen >= touchIntervalMs) {
      await touchExternalSession(storage.db, idHash, new Date(currentTime).toISOString());
    }
    const permissions = await permissionsForClaims(storage.db, session.claims);
    return {
      username: session.displayName,
      groups: [],
      permissions: checkerFor(permissions),
      claims: session.claims,
    };
  }

  return {
    async signIn(username, password) {
      const actor = await authenticator.authenticateBasic(username, password);
      const user = await findUserByName(storage.db, actor.username);
      // Removed between the password check and this read: the same refusal as an unknown user.
      if (user === undefined) throw ended();
      const sessionId = randomBytes(32).toString('base64url');
      const currentTime = now();
      await storage.transaction(async (tx) => {
        await deleteExpiredSessions(tx, user.id, {
          lastSeenBefore: new Date(currentTime.getTime() - idleMs).toISOString(),
          createdBefore: new Date(currentTime.getTime() - lifetimeMs).toISOString(),
        });
        await insertSession(tx, {
          idHash: hashSessionId(sessionId),
          userId: user.id,
          credentialStamp: credentialStamp(user.passwordHash),
          now: currentTime.toISOString(),
        });
        await audit.record(tx, {
          actor: user.username,
          category: 'PortalSession',
          operation: 'Created',
          entityType: 'PortalSession',
          auditIdentifier: user.username,
          immutableIdentifier: String(user.id),
          details: { Action: 'SignedIn' },
        });
      });
      return { sessionId, actor };
    },

    async authenticate(sessionId) {
      if (dependencies.onSecurityVersion !== undefined) {
        await dependencies.onSecurityVersion(await readSecurityVersion(storage.db));
      }
      const idHash = hashSessionId(sessionId);
      const session = await findSession(storage.db, idHash);
      if (session === undefined) return authenticateExternal(idHash);
      const currentTime = now().getTime();
      const lastSeen = Date.parse(session.lastSeenAt);
      const isExpired =
        currentTime - lastSeen >= idleMs || currentTime - Date.parse(session.createdAt) >= lifetimeMs;
      const isPasswordChanged = session.credentialStamp !== credentialStamp(session.user.passwordHash);
      if (isExpired || isPasswordChanged) {
        await deleteSession(storage.db, idHash);
        throw ended();
      }
      if (currentTime - lastSeen >= touchIntervalMs) {
        await touchSession(storage.db, idHash, new Date(currentTime).toISOString());
      }
      const permissions = await permissionsForIdentity(
        storage.db,
        session.user.username,
        session.user.groups,
      );
      return {
        username: session.user.username,
        groups: session.user.groups,
        permissions: checkerFor(permissions),
      };
    },

    async signOut(actor, sessionId) {
      const idHash = hashSessionId(sessionId);
      await storage.transaction(async (tx) => {
        if (!(await deleteSession(tx, idHash)) && !(await deleteExternalSession(tx, idHash))) throw ended();
        await audit.record(tx, {
          actor: actor.username,
          category: 'PortalSession',
          operation: 'Deleted',
          entityType: 'PortalSession',
          auditIdentifier: actor.username,
          immutableIdentifier: actor.username,
          details: { Action: 'SignedOut' },
        });
      });
    },
  };
}
