import type { RouteRegistrar } from '../../http/app.js';
import type { Storage } from '../../storage/storage.js';
import type { AuditWriter } from '../audit/audit-writer.js';
import { accessRoutes } from './access-routes.js';
import { createAccessService } from './access-service.js';
import { claimRoutes } from './claim-routes.js';
import { createClaimService } from './claim-service.js';
import { legacyRoleRoutes } from './legacy-role-routes.js';
import { permissionRoutes } from './permission-routes.js';
import { createPermissionSetService } from './permission-set-service.js';
import { roleRoutes } from './role-routes.js';
import { createRoleService } from './role-service.js';
import { userRoutes } from './user-routes.js';
import { createUserService } from './user-service.js';

export function createSecurityModule(dependencies: {
  storage: Storage;
  audit: AuditWriter;
  now: () => Date;
}): RouteRegistrar {
  const users = createUserService(dependencies);
  const roles = createRoleService(dependencies);
  const access = createAccessService(dependencies);
  const claims = createClaimService(dependencies);
  const permissionSets = createPermissionSetService(dependencies);
  const registrars = [
    userRoutes(users),
    roleRoutes(roles),
    permissionRoutes(roles, permissionSets),
    accessRoutes(access),
    legacyRoleRoutes(roles),
    claimRoutes(claims),
  ];
  return (app) => {
    for (const register of registrars) register(app);
  };
}
