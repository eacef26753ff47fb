import assert from 'node:assert/strict';
import { createReadStream, createWriteStream, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { ArchiveError } from '../../src/backup/backup-archive.js';
import { createBackup, restoreBackup } from '../../src/backup/backup-service.js';
import { createServer } from '../../src/startup/server.js';
import type { Storage } from '../../src/storage/storage.js';
import { createStorage } from '../../src/storage/storage.js';
import { openEverySealedValue, seedEverySealedColumn } from '../support/sealed-values.js';
import { createLocalEntry, createLocalProvider } from '../support/store-fixtures.js';
import type { DialectName, TestDatabase } from '../support/test-server.js';
import {
  adminCredentials,
  createTestDatabase,
  describeEachDialect,
  testConfig,
  testDialects,
} from '../support/test-server.js';

async function openStorage(database: TestDatabase): Promise<Storage> {
  return createStorage({ databaseUrl: database.databaseUrl, dataDir: database.dataDir });
}

describeEachDialect('backup and restore', (server) => {
  const targets: TestDatabase[] = [];
  let archivePath: string;
  let expected: Map<string, string>;

  async function target(
    dialect: DialectName,
    masterKey = server().database.masterKey,
  ): Promise<TestDatabase> {
    const database = await createTestDatabase(dialect);
    targets.push(database);
    return { ...database, masterKey };
  }

  async function restoreInto(database: TestDatabase, path = archivePath, masterKey = database.masterKey) {
    const storage = await openStorage(database);
    try {
      return await restoreBackup({
        storage,
        dialect: database.dialect,
        masterKey,
        openArchive: () => createReadStream(path),
      });
    } finally {
      await storage.close();
    }
  }

  async function rowCount(
    database: TestDatabase,
    table: 'users' | 'local_entries' | 'audit_log',
  ): Promise<number> {
    const storage = await openStorage(database);
    try {
      await storage.migrate();
      const row = await storage.db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll<number>().as('count'))
        .executeTakeFirstOrThrow();
      return Number(row.count);
    } finally {
      await storage.close();
    }
  }

  before(async () => {
    await seedEverySealedColumn(server());
    archivePath = join(server().database.dataDir, 'backup.jsonl.gz');
    const provider = await createLocalProvider(server());
    // Writes keep landing while the snapshot is taken; the archive must be one consistent moment.
    let writing = true;
    let written = 0;
    const writer = (async () => {
      while (writing) {
        await createLocalEntry(server(), provider, `during-backup-${written}`, `concurrent-${written}`);
        written += 1;
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 50));
    await createBackup({
      storage: server().server.storage,
      dialect: server().dialect,
      destination: createWriteStream(archivePath, { mode: 0o600 }),
    });
    writing = false;
    await writer;
    assert.ok(written > 0, 'no write ran beside the backup');
  });

  after(async () => {
    for (const database of targets) await database.drop();
  });

  for (const targetDialect of testDialects()) {
    test(`restores into an empty ${targetDialect} database: every secret opens, the chain verifies, and the server runs on it`, async () => {
      const database = await target(targetDialect);
      const report = await restoreInto(database);
      assert.equal(report.audit.intact, true, JSON.stringify(report.audit.findings));
      assert.ok(report.audit.entriesChecked > 0);
      const storage = await openStorage(database);
      try {
        expected = (await openEverySealedValue(storage.db, database.masterKey)).plaintexts;
        assert.ok([...expected.values()].includes('instance-access-token'));
        assert.ok([...expected.values()].includes('value-0-changed'));
      } finally {
        await storage.close();
      }
      const restored = await createServer({ config: testConfig(database), warn: () => undefined });
      try {
        const headers = {
          'x-keyfactor-requested-with': 'APIClient',
          authorization: `Basic ${Buffer.from(`${adminCredentials.username}:${adminCredentials.password}`).toString('base64')}`,
        };
        const health = await restored.app.inject({
          method: 'GET',
          url: '/KeyfactorAPI/Status/HealthCheck',
          headers,
        });
        assert.equal(health.statusCode, 204);
        // New rows get ids after the restored ones (PostgreSQL identity sequences were moved on).
        const types = await restored.app.inject({
          method: 'GET',
          url: '/KeyfactorAPI/PamProviders/Types',
          headers,
        });
        const localType = (JSON.parse(types.body) as { Id: string; Name: string }[]).find(
          (type) => type.Name === 'LocalDB',
        );
        const created = await restored.app.inject({
          method: 'POST',
          url: '/KeyfactorAPI/PamProviders',
          headers: { ...headers, 'content-type': 'application/json' },
          payload: JSON.stringify({ Name: 'after-restore', ProviderType: { Id: localType?.Id } }),
        });
        assert.equal(created.statusCode, 200, created.body);
        const verify = await restored.app.inject({ method: 'GET', url: '/strongroom/audit/verify', headers });
        assert.equal((JSON.parse(verify.body) as { Intact: boolean }).Intact, true, verify.body);
      } finally {
        await restored.close();
      }
    });
  }

  test('the archive names its format, says secrets are sealed, and holds no plaintext secret', () => {
    const text = gunzipSync(readFileSync(archivePath)).toString('utf8');
    const header = JSON.parse(text.slice(0, text.indexOf('\n'))) as Record<string, unknown>;
    assert.equal(header.format, 'strongroom-backup');
    assert.equal(header.formatVersion, 1);
    assert.match(String(header.notice), /cannot be read without the master key/);
    for (const secret of [
      'vault-root-token',
      'stored-store-password',
      'instance-access-token',
      'value-0-changed',
      'concurrent-0',
    ]) {
      assert.ok(!text.includes(secret), `${secret} appears in the archive`);
    }
  });

  test('a truncated archive is refused, names the problem, and writes nothing', async () => {
    const bytes = readFileSync(archivePath);
    const cut = join(server().database.dataDir, 'cut.gz');
    writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const database = await target(server().dialect);
    await assert.rejects(
      restoreInto(database, cut),
      (error: unknown) => error instanceof ArchiveError && /truncated/.test(error.message),
    );
    // The end record cut off cleanly (whole lines) is refused too.
    const lines = gunzipSync(bytes).toString('utf8').split('\n');
    const withoutEnd = join(server().database.dataDir, 'without-end.gz');
    writeFileSync(withoutEnd, gzipSync(`${lines.slice(0, -2).join('\n')}\n`));
    await assert.rejects(restoreInto(database, withoutEnd), /truncated: it ends before its end record/);
    assert.equal(await rowCount(database, 'users'), 0);
  });

  test('an edited archive is refused by its checksum and writes nothing', async () => {
    const text = gunzipSync(readFileSync(archivePath)).toString('utf8');
    const edited = join(server().database.dataDir, 'edited.gz');
    writeFileSync(edited, gzipSync(text.replace('"username":"admin"', '"username":"mallory"')));
    assert.notEqual(text, text.replace('"username":"admin"', '"username":"mallory"'));
    const database = await target(server().dialect);
    await assert.rejects(restoreInto(database, edited), /checksum does not match/);
    const notJson = join(server().database.dataDir, 'not-json.gz');
    writeFileSync(notJson, gzipSync(text.replace('{"t":"users"', '{"t":"users"!')));
    await assert.rejects(restoreInto(database, notJson), /line \d+ is not a JSON object/);
    const notGzip = join(server().database.dataDir, 'not-gzip');
    writeFileSync(notGzip, text);
    await assert.rejects(restoreInto(database, notGzip), /not a readable gzip file/);
    assert.equal(await rowCount(database, 'users'), 0);
  });

  test('an archive made with another master key is refused before anything is written', async () => {
    const database = await target(server().dialect);
    await assert.rejects(
      restoreInto(database, archivePath, Buffer.alloc(32, 7)),
      /made with another master key.*Nothing was written/,
    );
    const storage = await openStorage(database);
    try {
      // Not even the schema was created.
      await assert.rejects(storage.db.selectFrom('users').selectAll().execute());
    } finally {
      await storage.close();
    }
  });

  test('a database that is not empty is refused', async () => {
    const database = await target(server().dialect);
    const started = await createServer({ config: testConfig(database), warn: () => undefined });
    await started.close();
    await assert.rejects(restoreInto(database), /is not empty \(\w+ has \d+ rows\)/);
    assert.equal(await rowCount(database, 'users'), 1);
  });
});
