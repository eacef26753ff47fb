import type { SecretCipher } from '../../crypto/secret-cipher.js';
import type { RouteRegistrar } from '../../http/app.js';
import type { Storage } from '../../storage/storage.js';
import type { AuditWriter } from '../audit/audit-writer.js';
import type { PamReferenceResolver } from '../pam-providers/pam-reference.js';
import { certificateStoreRoutes } from './certificate-store-routes.js';
import { createCertificateStoreService } from './certificate-store-service.js';
import { secretResolutionRoutes } from './secret-resolution-routes.js';
import { createSecretResolutionService } from './secret-resolution-service.js';
import { storeContainerRoutes } from './store-container-routes.js';
import { createStoreContainerService } from './store-container-service.js';
import { createStoreSecretService } from './store-secret-service.js';
import { storeTypeRoutes } from './store-type-routes.js';
import { createStoreTypeService } from './store-type-service.js';

/** Certificate store types, containers and stores with their passwords, and the resolution endpoints. */
export function createCertificateStoreModule(dependencies: {
  storage: Storage;
  cipher: SecretCipher;
  audit: AuditWriter;
  now: () => Date;
  pamReferences: PamReferenceResolver;
}): RouteRegistrar {
  const secrets = createStoreSecretService(dependencies);
  const registrars = [
    storeTypeRoutes(createStoreTypeService(dependencies)),
    storeContainerRoutes(createStoreContainerService(dependencies)),
    certificateStoreRoutes(createCertificateStoreService({ ...dependencies, secrets })),
    secretResolutionRoutes(createSecretResolutionService(dependencies)),
  ];
  return (app) => {
    for (const register of registrars) register(app);
  };
}
