import type { RouteRegistrar } from '../../http/app.js';
import { actorOf, requirePermission } from '../../http/route-access.js';
import {
  PasswordResolution,
  PropertyResolution,
  StoreIdParams,
  StorePropertyParams,
} from './certificate-store-schemas.js';
import type { SecretResolutionService } from './secret-resolution-service.js';

const tags = ['Strongroom secret resolution'];
// A data-plane right of its own: no /certificate_stores/ or /pam/ grant implies it.
const resolveAccess = requirePermission('/strongroom/resolve/');

/** Strongroom extensions (not Keyfactor API): how an orchestrator obtains the credential a store needs. */
export function secretResolutionRoutes(service: SecretResolutionService): RouteRegistrar {
  return (app) => {
    app.post(
      '/strongroom/certificate-stores/:id/password/resolve',
      {
        schema: {
          tags,
          summary:
            "Returns the store's actual password (null when it has none), resolving a local PAM reference",
          description: 'Needs /strongroom/resolve/. Every call is audited (without the value).',
          params: StoreIdParams,
          response: { 200: PasswordResolution },
        },
        config: { access: resolveAccess },
      },
      async (request) => {
        const resolved = await service.resolvePassword(actorOf(request), request.params.id);
        return { Password: resolved.value };
      },
    );

    app.post(
      '/strongroom/certificate-stores/:id/properties/:name/resolve',
      {
        schema: {
          tags,
          summary: 'Returns the actual value of one secret property of a store (null when it has none)',
          description: 'Needs /strongroom/resolve/. Every call is audited (without the value).',
          params: StorePropertyParams,
          response: { 200: PropertyResolution },
        },
        config: { access: resolveAccess },
      },
      async (request) => {
        const resolved = await service.resolveProperty(
          actorOf(request),
          request.params.id,
          request.params.name,
        );
        return { Name: resolved.name, Value: resolved.value };
      },
    );
  };
}
