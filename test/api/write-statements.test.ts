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
import type { CertificateStoreService } from '../../src/modules/certificate-stores/certificate-store-service.js';
import { createCertificateStoreService } from '../../src/modules/certificate-stores/certificate-store-service.js';
import { createStoreSecretService } from '../../src/modules/certificate-stores/store-secret-service.js';
import { createPamReferenceResolver } from '../../src/modules/pam-providers/pam-reference-resolver.js';
import { createLocalEntry, createLocalProvider, createStore } from '../support/store-fixtures.js';
import { describeEachDialect } from '../support/test-server.js';

/**
 * On PostgreSQL every statement is a round trip, and a write's cost is mostly its round trips (see
 * docs/benchmark.md), so the statements the benchmarked writes send are pinned here. The services run on
 * storage of their own, outside the server, so the audit sealer's background statements cannot be counted
 * with them.
 */
describeEachDialect('statements per write', (server) => {
  let storage: Storage;
  let service: LocalEntryService;
  let stores: CertificateStoreService;
  let storeId: string;
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
    storeId = (await createStore(server())).Id;
    const { masterKey } = server().database;
    const cipher = await openLiveKeyRing({ db: storage.db, masterKey, warn: () => undefined });
    const audit = createAuditWriter({
      macKey: await loadAuditMacKey(storage.db, masterKey),
      now: () => new Date(),
      drawIds: (executor, count) => storage.drawIds(executor, 'audit_log', count),
    });
    const now = () => new Date();
    service = createLocalEntryService({ storage, cipher, audit, now, versionsKept: 10 });
    const secrets = createStoreSecretService({
      storage,
      cipher,
      pamReferences: createPamReferenceResolver({ storage, cipher }),
    });
    stores = createCertificateStoreService({ storage, audit, secrets, now });
  });

  after(async () => {
    await storage.close();
  });

  /**
   * The statements the second of two runs of `write` sends: the first run also draws blocks of audit and entry
   * ids on PostgreSQL, which later writes take from.
   */
  async function statementsOfSecondRun(write: (run: number) => Promise<unknown>): Promise<number> {
    await write(1);
    const before = statements;
    await write(2);
    return statements - before;
  }

  test('an update by a caller who may change the provider reads no provider and signs its audit entry as it inserts it (on PostgreSQL, in the statement that updates the entry)', async () => {
    const sent = await statementsOfSecondRun((run) =>
      service.update(administrator, providerId, {
        secretName: 'counted',
        pathSecretName: undefined,
        description: 'counted entry',
        secretValue: `value ${run}`,
        ifMatch: undefined,
      }),
    );
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
    const sent = await statementsOfSecondRun((run) =>
      service.create(administrator, providerId, {
        secretName: `created-${run}`,
        description: null,
        secretValue: 'created value',
      }),
    );
    if (server().dialect === 'postgres') {
      assert.equal(sent, 1);
    } else {
      // The provider read, then BEGIN, the insert, the audit insert and the update that signs it, COMMIT.
      assert.equal(sent, 6);
    }
  });

  test('a store password set to a new value writes it with its audit entry in one statement on PostgreSQL', async () => {
    const sent = await statementsOfSecondRun((run) =>
      stores.setPassword(administrator, storeId, { SecretValue: `store password ${run}` }),
    );
    if (server().dialect === 'postgres') {
      // The store and its type read, then the statement that writes the password, marks the store changed
      // and inserts the audit entry.
      assert.equal(sent, 3);
    } else {
      // The two reads, then BEGIN, the password, the store, the audit insert and its signing update, COMMIT.
      assert.equal(sent, 8);
    }
  });
});
