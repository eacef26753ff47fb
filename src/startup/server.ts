import type { FastifyServerOptions } from 'fastify';
import pino from 'pino';
import type { AppConfig } from '../config/app-config.js';
import { deriveSubkey } from '../crypto/master-key.js';
import type { ApiInstance } from '../http/app.js';
import { buildHttpApp, redactedLogPaths } from '../http/app.js';
import type { SecretCipher } from '../crypto/secret-cipher.js';
import type { AuditWriter } from '../modules/audit/audit-writer.js';
import { createAuditModule } from '../modules/audit/audit-module.js';
import { createCertificateStoreModule } from '../modules/certificate-stores/certificate-store-module.js';
import { seedBuiltinStoreTypes } from '../modules/certificate-stores/store-type-builtins.js';
import { createLocalEntryModule } from '../modules/local-entries/local-entry-module.js';
import { createPamProviderModule } from '../modules/pam-providers/pam-provider-module.js';
import { createPamReferenceResolver } from '../modules/pam-providers/pam-reference-resolver.js';
import { seedBuiltinProviderTypes } from '../modules/pam-providers/pam-provider-type-builtins.js';
import { bootstrapAdministrator } from '../modules/security/admin-bootstrap.js';
import type { BootstrapResult } from '../modules/security/admin-bootstrap.js';
import { createAuthenticator } from '../modules/security/authenticator.js';
import { createSecurityModule } from '../modules/security/security-module.js';
import { createKeyModule } from '../modules/keys/key-module.js';
import { createStatusModule } from '../modules/status/status-routes.js';
import type { Storage } from '../storage/storage.js';
import { createStorage } from '../storage/storage.js';
import { loadAuditMacKey, loadMasterKey, openKeyRing } from './key-setup.js';

export const strongroomVersion = '0.1.0';

export interface Server {
  app: ApiInstance;
  storage: Storage;
  bootstrap: BootstrapResult | undefined;
  close(): Promise<void>;
}

export interface ServerOptions {
  config: AppConfig;
  /** Where logs go; tests pass a stream to read them back. */
  logDestination?: NodeJS.WritableStream;
  now?: () => Date;
  warn?: (message: string) => void;
}

/**
 * The composition root: opens storage and keys, builds each area with its dependencies and hands the routes
 * to the HTTP layer. Nothing here is global; a test can build several servers side by side.
 */
export async function createServer(options: ServerOptions): Promise<Server> {
  const { config } = options;
  const now = options.now ?? (() => new Date());
  const warn = options.warn ?? ((message: string) => process.stderr.write(`WARNING: ${message}\n`));

  const masterKey = loadMasterKey(config.masterKey, warn);
  const storage = await createStorage({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    await storage.migrate();
    // Until the HTTP layer's logger exists, key-ring warnings go where start-up warnings go; after that into
    // the log, where an operator watching a running node sees "restart me" (see docs/keys.md).
    let keyRingWarn = warn;
    const cipher = await openKeyRing(storage, masterKey, now(), (message) => keyRingWarn(message));
    await seedBuiltinProviderTypes(storage, now);
    const auditMacKey = await loadAuditMacKey(storage.db, masterKey);
    const auditModule = createAuditModule({ storage, macKey: auditMacKey, now });
    const audit = auditModule.writer;
    const bootstrap = await bootstrapAdministrator({ storage, audit, admin: config.admin, now });
    await seedBuiltinStoreTypes(storage, audit);
    const authenticator = createAuthenticator({
      db: storage.db,
      cacheKey: deriveSubkey(masterKey, 'credential-cache'),
      now,
      onSecurityVersion: (securityVersion) => cipher.observeSecurityVersion(securityVersion),
    });
    const moduleDependencies: ModuleDependencies = { storage, cipher, audit, now, config };

    const logger: FastifyServerOptions['logger'] = {
      level: config.logLevel,
      redact: { paths: redactedLogPaths, censor: '[redacted]' },
      // Writing each line synchronously would cost every request a system call; lines written while one
      // write is under way go out together, and pino flushes what is left when the process exits.
      stream: options.logDestination ?? pino.destination({ dest: 1, sync: false }),
    };
    const app = await buildHttpApp({
      logger,
      bodyLimitBytes: config.bodyLimitBytes,
      authenticator,
      version: strongroomVersion,
      registrars: [
        createStatusModule(moduleDependencies),
        createSecurityModule(moduleDependencies),
        createPamProviderModule(moduleDependencies),
        createLocalEntryModule(moduleDependencies),
        createCertificateStoreModule({
          ...moduleDependencies,
          pamReferences: createPamReferenceResolver(moduleDependencies),
        }),
        auditModule.registrar,
        createKeyModule({ ...moduleDependencies, keyRing: cipher, masterKey, auditMacKey }),
      ],
    });
    await app.ready();
    keyRingWarn = (message) => app.log.warn(message);
    return {
      app,
      storage,
      bootstrap,
      async close() {
        await app.close();
        await storage.close();
      },
    };
  } catch (error) {
    await storage.close();
    throw error;
  }
}

/** What every area's module factory may be given. Each takes only the parts it needs. */
export interface ModuleDependencies {
  storage: Storage;
  cipher: SecretCipher;
  audit: AuditWriter;
  now: () => Date;
  config: AppConfig;
}
