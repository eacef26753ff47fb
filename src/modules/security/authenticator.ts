import { createHmac } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';
import { AppError } from '../../errors/app-error.js';
import type { MetricsRecorder } from '../../http/metrics-recorder.js';
import { noMetrics } from '../../http/metrics-recorder.js';
import type { DatabaseExecutor } from '../../storage/storage.js';
import type { Actor } from './actor.js';
import type { PermissionChecker } from './permission-evaluator.js';
import { createPermissionChecker } from './permission-evaluator.js';
import { permissionsForIdentity } from './role-repository.js';
import { readSecurityVersion } from './security-version-repository.js';
import { clearLoginFailures, findUserByName, recordLoginFailure } from './user-repository.js';

export interface Authenticator {
  authenticateBasic(username: string, password: string): Promise<Actor>;
}

const failuresBeforeLockout = 5;
const firstLockoutMs = 30_000;
const longestLockoutMs = 15 * 60_000;
const cacheLifetimeMs = 60_000;
const cacheCapacity = 10_000;

/**
 * One message for every refusal, so a caller cannot tell an unknown user from a wrong password or a lock. The
 * name it claimed travels with the error to the Authorization Failure audit entry; the password never does.
 */
const refusal = (username: string) =>
  new AppError('unauthenticated', 'Authentication failed: the user name or password is not valid', {
    attemptedUsername: username,
  });

export function hashPassword(password: string): Promise<string> {
  return hash(password, { algorithm: 2 });
}

/**
 * HTTP Basic against local users. Argon2 is deliberately slow, so a verified credential is remembered for a
 * minute under a keyed hash of name and password (never the password), together with the caller it
 * authenticated. The remembered caller is only used while the database's security version is the one it
 * was read under: triggers bump that version whenever a user, role, claim or role permission changes, on
 * any node, so a password change, a removal or a changed grant takes effect at once everywhere, at the
 * cost of one single-row read per request instead of reading the user and the grants.
 */
export function createAuthenticator(options: {
  db: DatabaseExecutor;
  cacheKey: Buffer;
  now: () => Date;
  /**
   * Told the security version every request reads; the key ring compares it to reload data keys after a
   * rotation (data-key changes bump that version too), so the check costs the hot path no extra query.
   */
  onSecurityVersion?: (securityVersion: number) => Promise<void>;
  /** Argon2 verification unless a test counts the calls. */
  verifyPassword?: (passwordHash: string, password: string) => Promise<boolean>;
  metrics?: Pick<MetricsRecorder, 'authenticationFailed' | 'accountLocked' | 'credentialCacheLookup'>;
}): Authenticator {
  const { db, cacheKey, now } = options;
  const metrics = options.metrics ?? noMetrics;
  const verifyPassword =
    options.verifyPassword ?? ((passwordHash, password) => verify(passwordHash, password));
  const verified = new Map<string, RememberedCredential>();
  const verifying = new Map<string, Promise<boolean>>();
  const unknownUserFailures = new Map<string, { failures: number; lockedUntil: number }>();
  const checkers = new Map<string, PermissionChecker>();
  // Verifying against a real hash for unknown users keeps their refusal as slow as a wrong password.
  const decoyHash = hashPassword(`decoy-${Math.random()}`);

  function lockoutMs(failures: number): number {
    return Math.min(longestLockoutMs, firstLockoutMs * 2 ** (failures - failuresBeforeLockout));
  }

  function credentialKey(username: string, password: string): string {
    return createHmac('sha256', cacheKey)
      .update(username.toLowerCase())
      .update('\0')
      .update(password)
      .digest('base64');
  }

  /**
   * Building a checker answers every catalogue permission up front: a fifth of authentication's CPU time
   * in a profile of the read benchmark. Checkers are immutable and depend only on the granted strings, so
   * callers holding the same grants share one; the grants themselves are still read on every request. The
   * key is JSON so that no two different lists of grants can produce the same key.
   */
  function checkerFor(permissions: readonly string[]): PermissionChecker {
    const key = JSON.stringify([...permissions].sort());
    let checker = checkers.get(key);
    if (checker === undefined) {
      if (checkers.size >= cacheCapacity) checkers.clear();
      checker = createPermissionChecker(permissions);
      checkers.set(key, checker);
    }
    return checker;
  }

  function remember(key: string, credential: RememberedCredential): void {
    if (verified.size >= cacheCapacity && !verified.has(key)) {
      const oldest = verified.keys().next();
      if (oldest.done !== true) verified.delete(oldest.value);
    }
    verified.set(key, credential);
  }

  /**
   * When a remembered credential expires under load, every request already waiting carries the same
   * password; they share one verification instead of each running argon2 (tens of MiB and milliseconds).
   * A success is remembered as the verification ends, so a request that asks later finds it.
   */
  function verifyShared(key: string, passwordHash: string, password: string): Promise<boolean> {
    const flight = `${key}:${passwordHash}`;
    let outcome = verifying.get(flight);
    if (outcome === undefined) {
      outcome = verifyPassword(passwordHash, password)
        .catch(() => false)
        .then((valid) => {
          verifying.delete(flight);
          if (valid) remember(key, { passwordHash, expiresAt: now().getTime() + cacheLifetimeMs });
          return valid;
        });
      verifying.set(flight, outcome);
    }
    return outcome;
  }

  async function refuseUnknownUser(username: string, password: string): Promise<never> {
    const key = username.toLowerCase();
    const state = unknownUserFailures.get(key) ?? { failures: 0, lockedUntil: 0 };
    const wasLocked = state.lockedUntil > now().getTime();
    if (!wasLocked) await verifyPassword(await decoyHash, password).catch(() => false);
    state.failures += 1;
    metrics.authenticationFailed(wasLocked ? 'locked' : 'unknown_user');
    if (state.failures >= failuresBeforeLockout) {
      state.lockedUntil = now().getTime() + lockoutMs(state.failures);
      if (!wasLocked) metrics.accountLocked();
    }
    if (unknownUserFailures.size >= cacheCapacity) unknownUserFailures.clear();
    unknownUserFailures.set(key, state);
    throw refusal(username);
  }

  return {
    async authenticateBasic(username, password) {
      const key = credentialKey(username, password);
      // Read before anything it vouches for: a change landing after this read makes the next request
      // see a newer version, never the other way round.
      const securityVersion = await readSecurityVersion(db);
      await options.onSecurityVersion?.(securityVersion);
      const remembered = verified.get(key);
      const currentTime = now().getTime();
      const isFresh = remembered !== undefined && remembered.expiresAt > currentTime;
      if (isFresh && remembered.caller?.securityVersion === securityVersion) {
        metrics.credentialCacheLookup(true);
        return remembered.caller.actor;
      }
      metrics.credentialCacheLookup(false);

      const user = await findUserByName(db, username);
      if (user === undefined) return refuseUnknownUser(username, password);

      // Looked up again: a concurrent request may have verified this password while the user was read.
      let known = verified.get(key);
      if (known === undefined || known.expiresAt <= currentTime || known.passwordHash !== user.passwordHash) {
        if (user.lockedUntil !== null && Date.parse(user.lockedUntil) > currentTime) {
          metrics.authenticationFailed('locked');
          throw refusal(username);
        }
        if (!(await verifyShared(key, user.passwordHash, password))) {
          const failures = user.failedAttempts + 1;
          const lockedUntil =
            failures >= failuresBeforeLockout
              ? new Date(currentTime + lockoutMs(failures)).toISOString()
              : null;
          await recordLoginFailure(db, user.id, failures, lockedUntil);
          metrics.authenticationFailed('wrong_password');
          if (lockedUntil !== null) metrics.accountLocked();
          throw refusal(username);
        }
        if (user.failedAttempts > 0) await clearLoginFailures(db, user.id);
        known = verified.get(key) ?? { passwordHash: user.passwordHash, expiresAt: currentTime };
      }

      const permissions = await permissionsForIdentity(db, user.username, user.groups);
      const actor = { username: user.username, groups: user.groups, permissions: checkerFor(permissions) };
      remember(key, { ...known, caller: { securityVersion, actor } });
      return actor;
    },
  };
}

interface RememberedCredential {
  /** The stored hash the password was verified against; another hash means the password changed. */
  passwordHash: string;
  /** When the password must be verified again. */
  expiresAt: number;
  /** Who the credential authenticated, as read under that security version. */
  caller?: { securityVersion: number; actor: Actor };
}
