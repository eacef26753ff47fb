import type { AppConfig } from '../../config/app-config.js';
import type { SecretCipher } from '../../crypto/secret-cipher.js';
import type { RouteRegistrar } from '../../http/app.js';
import type { Storage } from '../../storage/storage.js';
import type { AuditWriter } from '../audit/audit-writer.js';
import { localEntryHistoryRoutes } from './local-entry-history-routes.js';
import { localEntryRoutes } from './local-entry-routes.js';
import { createLocalEntryService } from './local-entry-service.js';

export function createLocalEntryModule(dependencies: {
  storage: Storage;
  cipher: SecretCipher;
  audit: AuditWriter;
  now: () => Date;
  config: Pick<AppConfig, 'secretVersionsKept'>;
}): RouteRegistrar {
  const service = createLocalEntryService({
    ...dependencies,
    versionsKept: dependencies.config.secretVersionsKept,
  });
  const registerEntries = localEntryRoutes(service);
  const registerHistory = localEntryHistoryRoutes(service);
  return (app) => {
    registerEntries(app);
    registerHistory(app);
  };
}
