import assert from 'node:assert/strict';
import { createReadStream, createWriteStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Insertable } from 'kysely';
import { gunzipSync } from 'node:zlib';
import { createBackup, restoreBackup } from '../../src/backup/backup-service.js';
import { openLiveKeyRing } from '../../src/modules/keys/key-ring.js';
import { sealedLocations } from '../../src/modules/pam-providers/pam-reference.js';
import { createServer } from '../../src/startup/server.js';
import type { LocalEntryTable } from '../../src/storage/database-schema.js';
import type { Storage } from '../../src/storage/storage.js';
import { createStorage } from '../../src/storage/storage.js';
import { createLocalProvider } from '../support/store-fixtures.js';
import type { TestDatabase } from '../support/test-server.js';
import { createTestDatabase, startTestServer, testConfig } from '../support/test-server.js';

// 100,000 by default, as the issue asks; STRONGROOM_DURABILITY_ENTRIES sets another size for a quick run.
const entryCount = Number(process.env.STRONGROOM_DURABILITY_ENTRIES ?? 100_000);
const hasPostgres = process.env.STRONGROOM_TEST_DATABASE_URL !== undefined;

function openStorage(database: TestDatabase): Promise<Storage> {
  return createStorage({ databaseUrl: database.databaseUrl, dataDir: database.dataDir });
}

/** The row lines of an archive, sorted: the content, whatever order a database returned it in. */
function rowsOf(path: string): string[] {
  const lines = gunzipSync(readFileSync(path)).toString('utf8').split('\n');
  return lines.slice(1, -2).sort();
}

test(
  `a ${entryCount}-entry SQLite database moves to PostgreSQL and back with identical content`,
  { skip: !hasPostgres && 'needs STRONGROOM_TEST_DATABASE_URL', timeout: 3_600_000 },
  async () => {
    const source = await startTestServer('sqlite');
    const postgres = await createTestDatabase('postgres');
    const back = await createTestDatabase('sqlite');
    try {
      const providerId = await createLocalProvider(source);
      const { db } = source.server.storage;
      const keyRing = await openLiveKeyRing({
        db,
        masterKey: source.database.masterKey,
        warn: () => undefined,
      });
      const now = new Date().toISOString();
      for (let start = 0; start < entryCount; start += 1000) {
        const rows: Insertable<LocalEntryTable>[] = [];
        for (let index = start; index < Math.min(entryCount, start + 1000); index += 1) {
          const secretName = `entry-${index}`;
          rows.push({
            provider_id: providerId,
            secret_name: secretName,
            description: `bulk ${index}`,
            value_sealed: keyRing.seal(`value-${index}`, sealedLocations.localEntry(providerId, secretName)),
            version: 1,
            created_at: now,
            updated_at: now,
            updated_by: 'durability',
          });
        }
        await db.transaction().execute(async (tx) => {
          for (let offset = 0; offset < rows.length; offset += 100) {
            await tx
              .insertInto('local_entries')
              .values(rows.slice(offset, offset + 100))
              .execute();
          }
        });
      }
      await source.server.close();
      const sourceStorage = await openStorage(source.database);
      const first = join(source.database.dataDir, 'from-sqlite.gz');
      try {
        await createBackup({
          storage: sourceStorage,
          dialect: 'sqlite',
          destination: createWriteStream(first),
        });
      } finally {
        await sourceStorage.close();
      }

      const masterKey = source.database.masterKey;
      const postgresStorage = await openStorage(postgres);
      const second = join(source.database.dataDir, 'from-postgres.gz');
      try {
        const report = await restoreBackup({
          storage: postgresStorage,
          dialect: 'postgres',
          masterKey,
          openArchive: () => createReadStream(first),
        });
        assert.equal(report.audit.intact, true);
        await createBackup({
          storage: postgresStorage,
          dialect: 'postgres',
          destination: createWriteStream(second),
        });
      } finally {
        await postgresStorage.close();
      }

      const backStorage = await openStorage(back);
      const third = join(source.database.dataDir, 'back-in-sqlite.gz');
      try {
        const report = await restoreBackup({
          storage: backStorage,
          dialect: 'sqlite',
          masterKey,
          openArchive: () => createReadStream(second),
        });
        assert.equal(report.audit.intact, true);
        await createBackup({
          storage: backStorage,
          dialect: 'sqlite',
          destination: createWriteStream(third),
        });
      } finally {
        await backStorage.close();
      }

      const original = rowsOf(first);
      assert.ok(original.length > entryCount);
      assert.deepEqual(rowsOf(second), original, 'PostgreSQL holds other content than the SQLite original');
      assert.deepEqual(rowsOf(third), original, 'the round trip changed the content');

      // The final database serves: a secret deep in the bulk still opens with the same key.
      const final = await createServer({
        config: testConfig(back, { masterKey: { source: 'env', key: masterKey }, logLevel: 'silent' }),
        warn: () => undefined,
      });
      try {
        const finalRing = await openLiveKeyRing({ db: final.storage.db, masterKey, warn: () => undefined });
        const name = `entry-${entryCount - 1}`;
        const row = await final.storage.db
          .selectFrom('local_entries')
          .select('value_sealed')
          .where('secret_name', '=', name)
          .executeTakeFirstOrThrow();
        assert.equal(
          finalRing.open(Buffer.from(row.value_sealed), sealedLocations.localEntry(providerId, name)),
          `value-${entryCount - 1}`,
        );
      } finally {
        await final.close();
      }
    } finally {
      await source.database.drop();
      await postgres.drop();
      await back.drop();
    }
  },
);
