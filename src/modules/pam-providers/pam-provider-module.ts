import type { SecretCipher } from '../../crypto/secret-cipher.js';
import type { RouteRegistrar } from '../../http/app.js';
import type { Storage } from '../../storage/storage.js';
import type { AuditWriter } from '../audit/audit-writer.js';
import { providerRoutes } from './pam-provider-routes.js';
import { createProviderService } from './pam-provider-service.js';
import { providerTypeRoutes } from './pam-provider-type-routes.js';
import { createProviderTypeService } from './pam-provider-type-service.js';

export function createPamProviderModule(dependencies: {
  storage: Storage;
  cipher: SecretCipher;
  audit: AuditWriter;
  now: () => Date;
}): RouteRegistrar {
  const registerTypes = providerTypeRoutes(createProviderTypeService(dependencies));
  const registerProviders = providerRoutes(createProviderService(dependencies));
  return (app) => {
    registerTypes(app);
    registerProviders(app);
  };
}
