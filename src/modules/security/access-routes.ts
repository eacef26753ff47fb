import type { RouteRegistrar } from '../../http/app.js';
import { requirePermission } from '../../http/route-access.js';
import type { AccessGrant } from './access-evaluation.js';
import { AccessQuery, AccessResponse } from './access-schemas.js';
import type { AccessService } from './access-service.js';

const toGrant = (grant: AccessGrant) => ({
  Action: grant.action,
  RoleId: grant.roleId,
  RoleName: grant.roleName,
  Permissions: grant.permissions,
});

/** A Strongroom extension: who can reach one object, and through which role and permission. */
export function accessRoutes(service: AccessService): RouteRegistrar {
  return (app) => {
    app.get(
      '/strongroom/access',
      {
        schema: {
          tags: ['Strongroom access report'],
          summary: 'Lists every claim and local user that can read, modify or resolve one object',
          description:
            'Computed with the permission evaluator the server enforces with, role by role. Needs /security/read/.',
          querystring: AccessQuery,
          response: { 200: AccessResponse },
        },
        config: { access: requirePermission('/security/read/') },
      },
      async (request) => {
        const report = await service.report(request.query.object);
        return {
          Object: report.object,
          Claims: report.claims.map((claim) => ({
            ClaimType: claim.claimType,
            ClaimValue: claim.claimValue,
            ProviderAuthenticationScheme: claim.providerScheme,
            Access: claim.grants.map(toGrant),
          })),
          Users: report.users.map((user) => ({
            Username: user.username,
            Access: user.grants.map((grant) => ({ ...toGrant(grant), Claim: grant.claim })),
          })),
        };
      },
    );
  };
}
