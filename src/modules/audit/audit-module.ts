import type { RouteRegistrar } from '../../http/app.js';
import type { Storage } from '../../storage/storage.js';
import { auditRoutes } from './audit-routes.js';
import type { AuditSealer } from './audit-sealer.js';
import { createAuditSealer } from './audit-sealer.js';
import { createAuditService } from './audit-service.js';
import type { AuditWriter } from './audit-writer.js';
import { createAuditWriter } from './audit-writer.js';

export interface AuditModule {
  /** What every other area records its changes through. */
  writer: AuditWriter;
  registrar: RouteRegistrar;
  /** For metrics and the readiness check: how far the sealer is behind. */
  sealerLag: AuditSealer['lag'];
}

/**
 * The audit area: the writer other areas use, the sealer that chains what they record, the Keyfactor
 * audit API, and a full check of the chain at every start (in the background: the server serves
 * meanwhile and logs the outcome).
 */
export function createAuditModule(dependencies: {
  storage: Storage;
  macKey: Buffer;
  now: () => Date;
}): AuditModule {
  const { storage, macKey, now } = dependencies;
  const sealer = createAuditSealer({ storage, macKey, now });
  const writer = createAuditWriter({
    macKey,
    now,
    onRecorded: () => sealer.kick(),
    drawIds: (tx, count) => storage.drawIds(tx, 'audit_log', count),
  });
  return {
    writer,
    sealerLag: () => sealer.lag(),
    registrar(app) {
      const service = createAuditService({ storage, macKey, sealer, writer, log: app.log });
      let closing = false;
      auditRoutes(service)(app);
      app.addHook('onReady', async () => {
        sealer.start(app.log);
        service.verify('start').catch((error: unknown) => {
          if (!closing) app.log.error({ err: error }, 'the audit chain check at start could not run');
        });
      });
      app.addHook('onClose', async () => {
        closing = true;
        await service.close();
        await sealer.stop();
      });
    },
  };
}
