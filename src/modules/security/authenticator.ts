import { createHmac } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';
import { AppError } from '../../errors/app-error.js';
import type { DatabaseExecutor } from '../../storage/storage.js';
import type { Actor } from './actor.js';
import type { PermissionChecker } from './permission-evaluator.js';
import { createPermissionChecker } from './permission-evaluator.js';
import { permissionsForIdentity } from './role-repository.js';
import { clearLoginFailures, findUserByName, recordLoginFailure } from './user-repository.js';

export interface Authenticator {
  authenticateBasic(username: string, password: string): Promise<Actor>;
}

const failuresBeforeLockout = 5;
const firstLockoutMs = 30_000;
const longestLockoutMs = 15 * 60_000;
const cacheLifetimeMs = 60_000;
const cacheCapacity = 10_000;

/** One message for every refusal, so a caller cannot tell an unknown user from a wrong password or a lock. */
const refusal = () =>
  new AppError('unauthenticated', 'Authentication failed: the user name or password is not valid');

export function hashPassword(password: string): Promise<string> {
  return hash(password, { algorithm: 2 });
}

/**
 * HTTP Basic against local users. Argon2 is deliberately slow, so a verified credential is remembered for a
 * minute under a keyed hash of name and password (never the password). The user row is still read on every
 * request and the remembered entry only counts while the stored hash is unchanged, so a password change or
 * a removal on any node takes effect at once everywhere.
 */
export function createAuthenticator(options: {
  db: DatabaseExecutor;
  cacheKey: Buffer;
  now: () => Date;
}): Authenticator {
  const { db, cacheKey, now } = options;
  const verified = new Map<string, { passwordHash: string; expiresAt: number }>();
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

  function remember(key: string, passwordHash: string): void {
    if (verified.size >= cacheCapacity) {
      const oldest = verified.keys().next();
      if (oldest.done !== true) verified.delete(oldest.value);
    }
    verified.set(key, { passwordHash, expiresAt: now().getTime() + cacheLifetimeMs });
  }

  async function refuseUnknownUser(username: string, password: string): Promise<never> {
    const key = username.toLowerCase();
    const state = unknownUserFailures.get(key) ?? { failures: 0, lockedUntil: 0 };
    if (state.lockedUntil <= now().getTime()) await verify(await decoyHash, password).catch(() => false);
    state.failures += 1;
    if (state.failures >= failuresBeforeLockout)
      state.lockedUntil = now().getTime() + lockoutMs(state.failures);
    if (unknownUserFailures.size >= cacheCapacity) unknownUserFailures.clear();
    unknownUserFailures.set(key, state);
    throw refusal();
  }

  return {
    async authenticateBasic(username, password) {
      const user = await findUserByName(db, username);
      if (user === undefined) return refuseUnknownUser(username, password);

      const key = credentialKey(username, password);
      const remembered = verified.get(key);
      const currentTime = now().getTime();
      let valid =
        remembered !== undefined &&
        remembered.expiresAt > currentTime &&
        remembered.passwordHash === user.passwordHash;

      if (!valid) {
        if (user.lockedUntil !== null && Date.parse(user.lockedUntil) > currentTime) throw refusal();
        valid = await verify(user.passwordHash, password).catch(() => false);
        if (!valid) {
          const failures = user.failedAttempts + 1;
          const lockedUntil =
            failures >= failuresBeforeLockout
              ? new Date(currentTime + lockoutMs(failures)).toISOString()
              : null;
          await recordLoginFailure(db, user.id, failures, lockedUntil);
          throw refusal();
        }
        remember(key, user.passwordHash);
        if (user.failedAttempts > 0) await clearLoginFailures(db, user.id);
      }

      const permissions = await permissionsForIdentity(db, user.username, user.groups);
      return { username: user.username, groups: user.groups, permissions: checkerFor(permissions) };
    },
  };
}
