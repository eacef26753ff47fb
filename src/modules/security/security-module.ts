import type { RouteRegistrar } from '../../http/app.js';
import type { Storage } from '../../storage/storage.js';
import type { AuditWriter } from '../audit/audit-writer.js';
import { userRoutes } from './user-routes.js';
import { createUserService } from './user-service.js';

export function createSecurityModule(dependencies: {
  storage: Storage;
  audit: AuditWriter;
  now: () => Date;
}): RouteRegistrar {
  const users = createUserService(dependencies);
  const registerUsers = userRoutes(users);
  return (app) => {
    registerUsers(app);
  };
}
