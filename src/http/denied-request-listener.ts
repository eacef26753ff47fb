import type { DeniedRequestAuditor } from '../modules/audit/denied-request-audit.js';
import type { DenialListener } from './error-handler.js';

/**
 * Turns a refusal into what the Authorization Failure entry names: who (the signed-in user, or the name a
 * refused sign-in claimed), the route as declared (`/KeyfactorAPI/PamProviders/:id`, never the values in the
 * URL) and the permission that was missing. Nothing from the body or the credentials is passed on.
 */
export function deniedRequestListener(auditor: DeniedRequestAuditor): DenialListener {
  return async (request, error) => {
    const isSignIn = error.code === 'unauthenticated';
    const caller = isSignIn ? error.attemptedUsername : request.actor?.username;
    if (caller === undefined) return;
    await auditor.record({
      caller,
      method: request.method,
      route: request.routeOptions.url ?? request.url.split('?')[0] ?? '',
      reason: isSignIn ? 'SignInFailed' : 'PermissionMissing',
      missingPermission: error.missingPermission,
    });
  };
}
