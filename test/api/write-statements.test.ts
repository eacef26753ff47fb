import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { noMetrics } from '../../src/http/metrics-recorder.js';
import { createAuditWriter } from '../../src/modules/audit/audit-writer.js';
import { openLiveKeyRing } from '../../src/modules/keys/key-ring.js';
import type { LocalEntryService } from '../../src/modules/local-entries/local-entry-service.js';
import { createLocalEntryService } from '../../src/modules/local-entries/local-entry-service.js';
import { createPermissionChecker } from '../../src/modules/security/permission-evaluator.js';
import { loadAuditMacKey } from '../../src/startup/key-setup.js';
import type { Storage } from '../../src/storage/storage.js';
import { createStorage } from '../../src/storage/storage.js';
import { createLocalEntry, createLocalProvider } from '../support/store-fixtures.js';
import { describeEachDialect } from '../support/test-server.js';

/**
 * On PostgreSQL every statement is a round trip, and a write's cost is mostly its round trips (see
 * docs/benchmark.md), so the statements an entry update sends are pinned here. The service runs on storage
 * of its own, outside the server, so the audit sealer's background statements cannot be counted with them.
 */
describeEachDialect('statements per entry update', (server) => {
  let storage: Storage;
  let service: LocalEntryService;
  let providerId: number;
  let statements = 0;
  const administrator = {
    username: 'statement-counter',
    groups: [],
    permissions: createPermissionChecker(['/']),
  };

  before(async () => {
    providerId = await createLocalProvider(server());
    await createLocalEntry(server(), providerId, 'counted', 'first value');
    storage = await createStorage({
      databaseUrl: server().database.databaseUrl,
      dataDir: server().database.dataDir,
      metrics: { ...noMetrics, databaseStatement: () => (statements += 1) },
    });
    const { masterKey } = server().database;
    service = createLocalEntryService({
      storage,
      cipher: await openLiveKeyRing({ db: storage.db, masterKey, warn: () => undefined }),
      audit: createAuditWriter({
        macKey: await loadAuditMacKey(storage.db, masterKey),
        now: () => new Date(),
        drawIds: (tx, count) => storage.drawIds(tx, 'audit_log', count),
      }),
      now: () => new Date(),
      versionsKept: 10,
    });
  });

  after(async () => {
    await storage.close();
  });

  async function statementsOfUpdate(secretValue: string): Promise<number> {
    const before = statements;
    await service.update(administrator, providerId, {
      secretName: 'counted',
      pathSecretName: undefined,
      description: 'counted entry',
      secretValue,
      ifMatch: undefined,
    });
    return statements - before;
  }

  test('an update by a caller who may change the provider reads no provider and signs its audit entry as it inserts it (on PostgreSQL, in the statement that updates the entry)', async () => {
    // The first update on PostgreSQL also draws a block of audit ids; later ones take from it.
    await statementsOfUpdate('second value');
    const sent = await statementsOfUpdate('third value');
    if (server().dialect === 'postgres') {
      // The entry read, then one statement that updates it (its archive is a trigger), drops old versions
      // and inserts the audit entry, committing on its own: no BEGIN, no COMMIT.
      assert.equal(sent, 2);
    } else {
      // Alone in its group commit (no savepoint): BEGIN, the lock, the update, the audit insert, the update
      // that signs it (SQLite ids come only from inserting; statements cost no round trip there), COMMIT.
      assert.equal(sent, 6);
    }
  });

  test('a creation by a caller who may change the provider is one statement on PostgreSQL, provider check included', async () => {
    const statementsOfCreate = async (secretName: string) => {
      const before = statements;
      await service.create(administrator, providerId, {
        secretName,
        description: null,
        secretValue: 'created value',
      });
      return statements - before;
    };
    // The first creation also draws blocks of entry and audit ids; later ones take from them.
    await statementsOfCreate('created-first');
    const sent = await statementsOfCreate('created-second');
    if (server().dialect === 'postgres') {
      assert.equal(sent, 1);
    } else {
      // The provider read, then BEGIN, the insert, the audit insert and the update that signs it, COMMIT.
      assert.equal(sent, 6);
    }
  });
});
