import { forbiddenError, notFoundError } from '../../errors/app-error.js';
import type { Actor } from '../security/actor.js';

export type PamAccess = 'read' | 'modify';

/**
 * The object-level check every PAM operation makes once its provider is loaded. A provider the caller may
 * not read answers exactly like a missing one, so ids cannot be probed; one the caller may read but not
 * change is a 403.
 */
export function requireProviderAccess<T>(
  actor: Actor,
  providerId: number,
  provider: T | undefined,
  access: PamAccess,
): T {
  if (provider === undefined || !actor.permissions.has('/pam/read/', providerId)) {
    throw notFoundError(`PAM provider '${providerId}' was not found`);
  }
  if (access === 'modify' && !actor.permissions.has('/pam/modify/', providerId)) {
    throw forbiddenError(
      `You may read PAM provider '${providerId}' but not change it`,
      `/pam/modify/${providerId}/`,
    );
  }
  return provider;
}
