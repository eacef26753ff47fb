import type { RouteRegistrar } from '../../http/app.js';
import type { Storage } from '../../storage/storage.js';
import type { AuditWriter } from '../audit/audit-writer.js';
import type { KeyRing } from './key-ring.js';
import { keyRoutes } from './key-routes.js';
import { createKeyService } from './key-service.js';

export function createKeyModule(dependencies: {
  storage: Storage;
  keyRing: KeyRing;
  masterKey: Buffer;
  audit: AuditWriter;
  now: () => Date;
}): RouteRegistrar {
  return keyRoutes(createKeyService(dependencies));
}
