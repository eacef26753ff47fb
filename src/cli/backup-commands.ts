import { createReadStream, createWriteStream, existsSync, rmSync } from 'node:fs';
import type { Command } from 'commander';
import { loadConfig } from '../config/app-config.js';
import { ArchiveError } from '../backup/backup-archive.js';
import { createBackup, restoreBackup } from '../backup/backup-service.js';
import { createAuditWriter } from '../modules/audit/audit-writer.js';
import { loadAuditMacKey, openKeyRing } from '../startup/key-setup.js';
import { createStorage } from '../storage/storage.js';
import { CommandError, commandActor, masterKeyFromConfig, out } from './command-context.js';
import { createProgressReporter } from './progress-reporter.js';

async function guarded(body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (error) {
    if (error instanceof CommandError || error instanceof ArchiveError) {
      process.stderr.write(`${error.message}\n`);
      process.exitCode = 2;
      return;
    }
    throw error;
  }
}

export function registerBackupCommands(program: Command): void {
  program
    .command('backup')
    .description(
      'write a consistent snapshot of the database (while servers keep serving) to a portable archive; ' +
        'secrets stay sealed, so the archive is useless without the master key',
    )
    .requiredOption('--output <path>', 'the archive to create (an existing file is not overwritten)')
    .action((options: { output: string }) =>
      guarded(async () => {
        const config = loadConfig(process.env);
        const masterKey = masterKeyFromConfig(config);
        if (config.databaseUrl === undefined && !existsSync(config.dataDir)) {
          throw new CommandError(`There is no data directory at ${config.dataDir} (STRONGROOM_DATA_DIR)`);
        }
        const storage = await createStorage({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
        try {
          // The same check a server makes: a backup taken with the wrong key could never be restored.
          await openKeyRing(storage, masterKey, new Date()).catch((error: unknown) => {
            throw new CommandError((error as Error).message);
          });
          const destination = createWriteStream(options.output, { flags: 'wx', mode: 0o600 });
          await new Promise<void>((resolve, reject) => {
            destination.once('open', () => resolve());
            destination.once('error', reject);
          }).catch((error: NodeJS.ErrnoException) => {
            throw new CommandError(
              error.code === 'EEXIST'
                ? `${options.output} already exists; choose another name`
                : `${options.output} could not be created (${error.code ?? 'error'})`,
            );
          });
          const progress = createProgressReporter({
            label: 'Backing up',
            unit: 'rows',
            stream: process.stderr,
          });
          try {
            const { rows } = await createBackup({
              storage,
              dialect: config.databaseUrl === undefined ? 'sqlite' : 'postgres',
              destination,
              onProgress: ({ done, total }) => progress.update(done, total),
            });
            progress.finish();
            const auditMacKey = await loadAuditMacKey(storage.db, masterKey);
            const audit = createAuditWriter({ macKey: auditMacKey, now: () => new Date() });
            await storage.transaction((tx) =>
              audit.record(tx, {
                actor: commandActor(),
                category: 'Backup',
                operation: 'Downloaded',
                entityType: 'Backup',
                auditIdentifier: 'Database backup',
                immutableIdentifier: 'backup',
                details: { rows },
              }),
            );
            out(`Wrote ${rows} rows of ${storage.location} to ${options.output}`);
            out('Secrets in it are sealed: keep the master key safe and apart from the archive.');
          } catch (error) {
            destination.destroy();
            rmSync(options.output, { force: true });
            throw error;
          }
        } finally {
          await storage.close();
        }
      }),
    );

  program
    .command('restore')
    .description(
      'load an archive written by `strongroom backup` into an EMPTY database of either kind (STRONGROOM_DATABASE_URL ' +
        'or STRONGROOM_DATA_DIR); checks the archive and the master key before writing, verifies the audit chain after',
    )
    .requiredOption('--input <path>', 'the archive to restore')
    .action((options: { input: string }) =>
      guarded(async () => {
        if (!existsSync(options.input)) throw new CommandError(`No archive at ${options.input}`);
        const config = loadConfig(process.env);
        const masterKey = masterKeyFromConfig(config);
        const storage = await createStorage({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
        try {
          const checking = createProgressReporter({
            label: 'Checking archive',
            unit: 'rows',
            stream: process.stderr,
          });
          const restoring = createProgressReporter({
            label: 'Restoring',
            unit: 'rows',
            stream: process.stderr,
          });
          const report = await restoreBackup({
            storage,
            dialect: config.databaseUrl === undefined ? 'sqlite' : 'postgres',
            masterKey,
            openArchive: () => createReadStream(options.input),
            onProgress: ({ phase, done, total }) =>
              (phase === 'checking' ? checking : restoring).update(done, total),
          });
          restoring.finish();
          out(
            `Restored ${report.rows} rows into ${storage.location} (archive of ${report.header.createdAt}, from ${report.header.sourceDialect})`,
          );
          if (report.audit.intact) {
            out(
              `Audit chain verified: ${report.audit.entriesChecked} chained entries, ${report.audit.pendingEntries} not chained yet.`,
            );
          } else {
            out(
              `Audit chain does NOT verify: ${report.audit.findingCount} problem(s); first: ${report.audit.findings[0]?.message ?? '?'}`,
            );
            process.exitCode = 1;
          }
        } finally {
          await storage.close();
        }
      }),
    );
}
