import { createReadStream, createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Insertable } from 'kysely';
import { createBackup, restoreBackup } from '../src/backup/backup-service.js';
import { loadConfig } from '../src/config/app-config.js';
import { generateMasterKey } from '../src/crypto/master-key.js';
import { createAuditWriter } from '../src/modules/audit/audit-writer.js';
import { openLiveKeyRing } from '../src/modules/keys/key-ring.js';
import { createKeyService } from '../src/modules/keys/key-service.js';
import { sealedLocations } from '../src/modules/pam-providers/pam-reference.js';
import { localProviderTypeId } from '../src/modules/pam-providers/pam-provider-type-builtins.js';
import { loadAuditMacKey } from '../src/startup/key-setup.js';
import { createServer } from '../src/startup/server.js';
import type { LocalEntryTable } from '../src/storage/database-schema.js';
import { createStorage } from '../src/storage/storage.js';
import { createBenchDatabase } from './bench-database.js';

const usage = `npm run bench:keys -- [--entries N]

Seeds N local entries (default 100000) straight into a fresh database, then times a data-key rotation with
a full rewrap, a backup and a restore into a second fresh database, and prints rows per second for each.
SQLite by default; STRONGROOM_DATABASE_URL names a PostgreSQL server to create the two databases on.`;

const { values } = parseArgs({ options: { entries: { type: 'string' }, help: { type: 'boolean' } } });
if (values.help === true) {
  process.stdout.write(`${usage}\n`);
  process.exit(0);
}
const entryCount = Number(values.entries ?? 100_000);
if (!Number.isInteger(entryCount) || entryCount < 1) throw new Error('--entries must be a positive integer');

const serverUrl = process.env.STRONGROOM_DATABASE_URL;
const masterKey = generateMasterKey();
const workDir = mkdtempSync(join(tmpdir(), 'strongroom-bench-keys-'));
const source = await createBenchDatabase(join(workDir, 'source'), serverUrl);
const target = await createBenchDatabase(join(workDir, 'target'), serverUrl);
const configFor = (env: Record<string, string>) =>
  loadConfig({ ...env, STRONGROOM_MASTER_KEY: masterKey.toString('base64'), STRONGROOM_LOG_LEVEL: 'silent' });

function rate(rows: number, startedAt: number): string {
  const seconds = (performance.now() - startedAt) / 1000;
  return `${rows} rows in ${seconds.toFixed(2)} s = ${Math.round(rows / seconds)} rows/s`;
}

try {
  const sourceConfig = configFor(source.env);
  // A server start creates the schema, the first data key and the administrator, as in production.
  const started = await createServer({ config: sourceConfig, warn: () => undefined });
  await started.close();
  const storage = await createStorage({
    databaseUrl: sourceConfig.databaseUrl,
    dataDir: sourceConfig.dataDir,
  });
  const dialect = sourceConfig.databaseUrl === undefined ? 'sqlite' : 'postgres';
  try {
    const keyRing = await openLiveKeyRing({ db: storage.db, masterKey, warn: () => undefined });
    const now = new Date().toISOString();
    const provider = await storage.db
      .insertInto('pam_providers')
      .values({
        name: 'bench-keys',
        type_id: localProviderTypeId,
        area: 1,
        secured_area_id: null,
        remote: 0,
        created_at: now,
        updated_at: now,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    for (let start = 0; start < entryCount; start += 1000) {
      const rows: Insertable<LocalEntryTable>[] = [];
      for (let index = start; index < Math.min(entryCount, start + 1000); index += 1) {
        const secretName = `entry-${index}`;
        rows.push({
          provider_id: provider.id,
          secret_name: secretName,
          description: null,
          value_sealed: keyRing.seal(`value-${index}`, sealedLocations.localEntry(provider.id, secretName)),
          version: 1,
          created_at: now,
          updated_at: now,
          updated_by: 'bench',
        });
      }
      await storage.db.transaction().execute(async (tx) => {
        for (let offset = 0; offset < rows.length; offset += 100) {
          await tx
            .insertInto('local_entries')
            .values(rows.slice(offset, offset + 100))
            .execute();
        }
      });
    }
    const auditMacKey = await loadAuditMacKey(storage.db, masterKey);
    const service = createKeyService({
      storage,
      keyRing,
      masterKey,
      audit: createAuditWriter({ macKey: auditMacKey, now: () => new Date() }),
      now: () => new Date(),
    });
    process.stdout.write(`Keys and backup throughput on ${dialect}, ${entryCount} entries\n`);
    await service.rotate('bench');
    let startedAt = performance.now();
    const summary = await service.rewrap('bench');
    process.stdout.write(`  rewrap:  ${rate(summary.rewrapped, startedAt)}\n`);

    const archive = join(workDir, 'bench.gz');
    startedAt = performance.now();
    const backup = await createBackup({ storage, dialect, destination: createWriteStream(archive) });
    process.stdout.write(`  backup:  ${rate(backup.rows, startedAt)}\n`);

    const targetConfig = configFor(target.env);
    const targetStorage = await createStorage({
      databaseUrl: targetConfig.databaseUrl,
      dataDir: targetConfig.dataDir,
    });
    try {
      startedAt = performance.now();
      const restored = await restoreBackup({
        storage: targetStorage,
        dialect,
        masterKey,
        openArchive: () => createReadStream(archive),
      });
      process.stdout.write(
        `  restore: ${rate(restored.rows, startedAt)} (checked twice, written once, chain verified)\n`,
      );
    } finally {
      await targetStorage.close();
    }
  } finally {
    await storage.close();
  }
} finally {
  await source.drop();
  await target.drop();
  rmSync(workDir, { recursive: true, force: true });
}
