import type { Server as HttpsServer } from 'node:https';
import type { FastifyServerOptions } from 'fastify';
import pino from 'pino';
import type { AppConfig } from '../config/app-config.js';
import { isLoopbackHost } from '../config/app-config.js';
import { deriveSubkey } from '../crypto/master-key.js';
import type { ApiInstance } from '../http/app.js';
import { buildHttpApp, minimumTlsVersion, redactedLogPaths } from '../http/app.js';
import { healthRoutes } from '../http/health-routes.js';
import type { MetricsListener } from '../http/metrics-routes.js';
import { metricsRoutes, startMetricsListener } from '../http/metrics-routes.js';
import type { ServerMetrics } from '../http/server-metrics.js';
import { createServerMetrics } from '../http/server-metrics.js';
import type { SecretCipher } from '../crypto/secret-cipher.js';
import type { AuditWriter } from '../modules/audit/audit-writer.js';
import { createAuditModule } from '../modules/audit/audit-module.js';
import { createDeniedRequestAuditor } from '../modules/audit/denied-request-audit.js';
import { createIdentityModule } from '../modules/identity/identity-module.js';
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
import { createPortalModule } from '../modules/portal/portal-module.js';
import { createSessionModule } from '../modules/sessions/session-module.js';
import { createStatusModule } from '../modules/status/status-routes.js';
import type { Storage } from '../storage/storage.js';
import { createStorage } from '../storage/storage.js';
import { countDataKeys, loadAuditMacKey, loadMasterKey, loadPurposeKey, openKeyRing } from './key-setup.js';
import { readTlsMaterial } from './tls-setup.js';

export const strongroomVersion = '0.1.0';

export interface Server {
  app: ApiInstance;
  storage: Storage;
  bootstrap: BootstrapResult | undefined;
  metrics: ServerMetrics;
  /** The credential-free loopback metrics listener, when STRONGROOM_METRICS_PORT asks for one. */
  metricsListener: MetricsListener | undefined;
  /** The first step of a graceful stop: the readiness probe fails from now on; requests are still served. */
  beginShutdown(): void;
  /**
   * Reads the TLS files again and serves the new pair to new handshakes; open connections keep theirs. A
   * pair that cannot be used is refused (the error says why) and the current one stays.
   */
  reloadTls(): void;
  close(): Promise<void>;
}

// Chaining runs every few milliseconds while writes happen and every 2 s when idle; an entry waiting a
// minute means the sealer cannot commit, and a node in that state should not take writes.
const stuckSealerSeconds = 60;

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
  const tlsFiles = config.tls;
  const tls = tlsFiles === undefined ? undefined : readTlsMaterial(tlsFiles);
  if (tls === undefined && !isLoopbackHost(config.host)) {
    warn(
      `Serving plain HTTP on ${config.host} because STRONGROOM_ALLOW_PLAINTEXT=true: only safe when a proxy in front terminates TLS and this port is reachable from nothing else`,
    );
  }
  const metrics = createServerMetrics();
  const storage = await createStorage({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    metrics,
  });
  let metricsListener: MetricsListener | undefined;
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
    // Every way of signing in reads the security version; each passes it on so the key ring notices a data key
    // rotated on another node at this node's next request, whichever kind of caller makes it.
    const observeSecurityVersion = (securityVersion: number) =>
      cipher.observeSecurityVersion(securityVersion);
    const authenticator = createAuthenticator({
      db: storage.db,
      cacheKey: deriveSubkey(masterKey, 'credential-cache'),
      now,
      metrics,
      onSecurityVersion: observeSecurityVersion,
    });
    const deniedRequests = createDeniedRequestAuditor({
      storage,
      audit,
      now,
      onFailure: (error) => warn(`recording denied requests failed: ${String(error)}`),
    });
    metrics.observe({
      auditSealerLag: auditModule.sealerLag,
      databasePool: () => storage.poolUse(),
      dataKeys: async () => ({
        storedVersions: await countDataKeys(storage),
        activeVersion: cipher.activeKeyVersion,
      }),
    });
    let isShuttingDown = false;
    const moduleDependencies: ModuleDependencies = { storage, cipher, audit, now, config };
    const identity = createIdentityModule({
      ...moduleDependencies,
      clientSecretKey: await loadPurposeKey(storage.db, masterKey, 'oauth-client-secret'),
      onSecurityVersion: observeSecurityVersion,
    });
    const sessionModule = createSessionModule({
      storage,
      authenticator,
      audit,
      now,
      idleSeconds: config.sessionIdleSeconds,
      lifetimeSeconds: config.sessionLifetimeSeconds,
      onSecurityVersion: observeSecurityVersion,
      jwksCache: identity.jwksCache,
      publicUrl: config.publicUrl,
    });

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
      credentialVerifiers: {
        basic: (username, password) => authenticator.authenticateBasic(username, password),
        bearer: identity.verifyBearer,
      },
      deniedRequests,
      sessions: sessionModule.verifier,
      version: strongroomVersion,
      metrics,
      trustedProxies: config.trustedProxies,
      ...(tls === undefined ? {} : { tls }),
      registrars: [
        healthRoutes({
          isShuttingDown: () => isShuttingDown,
          checks: [
            async () => {
              await storage.ping();
              return true;
            },
            async () => (await storage.pendingMigrations()) === 0,
            async () => (await auditModule.sealerLag()).oldestUnchainedAgeSeconds < stuckSealerSeconds,
          ],
        }),
        metricsRoutes(metrics),
        createStatusModule(),
        createSecurityModule(moduleDependencies),
        createPamProviderModule(moduleDependencies),
        createLocalEntryModule(moduleDependencies),
        createCertificateStoreModule({
          ...moduleDependencies,
          pamReferences: createPamReferenceResolver(moduleDependencies),
        }),
        auditModule.registrar,
        identity.registrar,
        sessionModule.registrar,
        createPortalModule(),
        createKeyModule({ ...moduleDependencies, keyRing: cipher, masterKey }),
      ],
    });
    await app.ready();
    keyRingWarn = (message) => app.log.warn(message);
    if (config.metricsPort !== undefined) {
      metricsListener = await startMetricsListener(metrics, config.metricsPort);
    }
    return {
      app,
      storage,
      bootstrap,
      metrics,
      metricsListener,
      beginShutdown() {
        isShuttingDown = true;
      },
      reloadTls() {
        if (tlsFiles === undefined) return;
        const material = readTlsMaterial(tlsFiles);
        (app.server as unknown as HttpsServer).setSecureContext({
          ...material,
          minVersion: minimumTlsVersion,
        });
      },
      async close() {
        isShuttingDown = true;
        // Fastify stops accepting connections, lets requests in flight finish, then runs the areas' close
        // hooks (the audit sealer chains what is left); storage closes after the last pending commit.
        await app.close();
        await deniedRequests.close();
        await metricsListener?.close();
        await storage.close();
      },
    };
  } catch (error) {
    await metricsListener?.close();
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
