import { createReadStream, createWriteStream, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { finished } from 'node:stream/promises';
import type { Command } from 'commander';
import type { AppConfig } from '../config/app-config.js';
import { loadConfig } from '../config/app-config.js';
import { deriveSubkey, keyCheckValue } from '../crypto/master-key.js';
import { AuditExportError, readAuditExport, writeAuditExport } from '../modules/audit/audit-export.js';
import { readAuditChain } from '../modules/audit/audit-repository.js';
import type { AuditVerificationReport } from '../modules/audit/audit-verifier.js';
import { verifyAuditChain } from '../modules/audit/audit-verifier.js';
import { loadAuditMacKey, loadMasterKey } from '../startup/key-setup.js';
import type { Storage } from '../storage/storage.js';
import { createStorage } from '../storage/storage.js';

/** A problem that stops a command before it can give an answer: exit status 2, not 1 ("the chain is broken"). */
class AuditCommandError extends Error {
  override name = 'AuditCommandError';
}

const batchSize = 5000;
const printedFindings = 20;
const macKeyLength = 32;
const out = (line: string) => process.stdout.write(`${line}\n`);

/** The master key exactly as the server finds it, except that a missing key file is an error, never created. */
function masterKeyFromConfig(config: AppConfig): Buffer {
  const source = config.masterKey;
  if (source.source === 'generated-file' && !existsSync(source.path)) {
    throw new AuditCommandError(
      `No master key: set STRONGROOM_MASTER_KEY or STRONGROOM_MASTER_KEY_FILE (no key file at ${source.path})`,
    );
  }
  return loadMasterKey(source, () => undefined);
}

async function openDatabase(config: AppConfig, masterKey: Buffer): Promise<Storage> {
  // Opening SQLite creates what is missing; a mistyped directory should be an error, not a new database.
  if (config.databaseUrl === undefined && !existsSync(config.dataDir)) {
    throw new AuditCommandError(`There is no data directory at ${config.dataDir} (STRONGROOM_DATA_DIR)`);
  }
  const storage = await createStorage({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    const stored = await storage.db
      .selectFrom('strongroom_meta')
      .select('value')
      .where('key', '=', 'master_key_check')
      .executeTakeFirst();
    if (stored === undefined) {
      throw new AuditCommandError(`${storage.location} is not a Strongroom database (or was never started)`);
    }
    // With the wrong key every MAC would fail; saying so is more useful than reporting every entry forged.
    if (stored.value !== keyCheckValue(masterKey)) {
      throw new AuditCommandError(`The master key does not match the database ${storage.location}`);
    }
    return storage;
  } catch (error) {
    await storage.close();
    if (error instanceof AuditCommandError) throw error;
    throw new AuditCommandError(
      `The database ${storage.location} could not be read: ${(error as Error).message}`,
    );
  }
}

function readMacKeyFile(path: string): Buffer {
  let text: string;
  try {
    text = readFileSync(path, 'utf8').trim();
  } catch {
    throw new AuditCommandError(`The MAC key file ${path} could not be read`);
  }
  const key = Buffer.from(text, 'base64');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text) || key.length !== macKeyLength) {
    throw new AuditCommandError(`The MAC key file ${path} must hold the base64 of ${macKeyLength} bytes`);
  }
  return key;
}

/** For an export: the key given on the command line, else the configured master key if any, else none. */
function macKeyForExport(macKeyFile: string | undefined): Buffer | undefined {
  if (macKeyFile !== undefined) return readMacKeyFile(macKeyFile);
  const config = loadConfig(process.env);
  const source = config.masterKey;
  if (source.source === 'generated-file' && !existsSync(source.path)) return undefined;
  return deriveSubkey(
    loadMasterKey(source, () => undefined),
    'audit-mac',
  );
}

function printReport(report: AuditVerificationReport): void {
  const keyNote = report.macsChecked
    ? 'hashes, links and MACs checked'
    : 'hashes and links checked; MACs NOT checked (no key): a rewrite by someone without the key is still caught only where it breaks a link or a hash';
  const last = report.lastEntry;
  const checkpoint = report.latestCheckpoint;
  const facts = [
    `${report.entriesChecked} chained entries`,
    last === null
      ? 'empty chain'
      : `last: entry ${last.id}, sequence ${last.sequence}, hash ${last.entryHash}`,
    `${report.checkpointsChecked} checkpoints` +
      (checkpoint === null ? '' : ` (latest: sequence ${checkpoint.sequence} at ${checkpoint.createdAt})`),
    `${report.pendingEntries} entries recorded but not chained yet`,
  ];
  if (report.intact) {
    out(`Audit chain intact: ${facts.join('; ')}.`);
    out(`(${keyNote})`);
    return;
  }
  const first = report.findings[0];
  out(`Audit chain BROKEN: ${report.findingCount} problem(s).`);
  if (first !== undefined) {
    const where =
      first.entryId === null ? `at sequence ${first.sequence ?? '?'}` : `at entry ${first.entryId}`;
    out(`First broken link ${where}: ${first.message}`);
  }
  for (const finding of report.findings.slice(1, printedFindings)) out(`  - ${finding.message}`);
  if (report.findingCount > printedFindings) out(`  ... and ${report.findingCount - printedFindings} more`);
  out(`Checked: ${facts.join('; ')} (${keyNote}).`);
}

/** Runs a command body; setup failures print one line and exit 2 instead of a stack trace. */
function guarded<Options>(body: (options: Options) => Promise<void>): (options: Options) => Promise<void> {
  return async (options) => {
    try {
      await body(options);
    } catch (error) {
      if (error instanceof AuditCommandError || error instanceof AuditExportError) {
        process.stderr.write(`${error.message}\n`);
        process.exitCode = 2;
        return;
      }
      throw error;
    }
  };
}

export function registerAuditCommands(program: Command): void {
  const audit = program.command('audit').description('verify and export the tamper-evident audit log');

  audit
    .command('verify')
    .description(
      'check the whole audit chain: reads the database directly (the server need not run), or an export with ' +
        '--file; prints the first broken link and exits 1 on any break, 0 when intact',
    )
    .option('--file <path>', 'verify an export written by `strongroom audit export` instead of the database')
    .option(
      '--mac-key-file <path>',
      'with --file: the audit MAC key written by `strongroom audit mac-key` (default: the configured master key, if any)',
    )
    .action(
      guarded(async (options: { file?: string; macKeyFile?: string }) => {
        let report: AuditVerificationReport;
        if (options.file !== undefined) {
          if (!existsSync(options.file)) throw new AuditCommandError(`No export file at ${options.file}`);
          report = await verifyAuditChain(
            readAuditExport(createReadStream(options.file)),
            macKeyForExport(options.macKeyFile),
          );
        } else {
          if (options.macKeyFile !== undefined) {
            throw new AuditCommandError(
              '--mac-key-file applies to --file; the database is checked with the master key',
            );
          }
          const config = loadConfig(process.env);
          const masterKey = masterKeyFromConfig(config);
          const storage = await openDatabase(config, masterKey);
          try {
            report = await verifyAuditChain(
              readAuditChain(storage.db, { batchSize }),
              await loadAuditMacKey(storage.db, masterKey),
            );
          } finally {
            await storage.close();
          }
        }
        printReport(report);
        process.exitCode = report.intact ? 0 : 1;
      }),
    );

  audit
    .command('export')
    .description(
      'write every audit entry, the checkpoints and the head to a JSON-lines file that can be verified ' +
        'without the database (`strongroom audit verify --file`)',
    )
    .requiredOption('--output <path>', 'the file to create (an existing file is not overwritten)')
    .action(
      guarded(async (options: { output: string }) => {
        const config = loadConfig(process.env);
        const masterKey = masterKeyFromConfig(config);
        const storage = await openDatabase(config, masterKey);
        try {
          const output = createWriteStream(options.output, { flags: 'wx', mode: 0o600 });
          const opened = new Promise<void>((resolve, reject) => {
            output.once('open', () => resolve());
            output.once('error', reject);
          });
          await opened.catch((error: NodeJS.ErrnoException) => {
            throw new AuditCommandError(
              error.code === 'EEXIST'
                ? `${options.output} already exists; choose another name`
                : `${options.output} could not be created (${error.code ?? 'error'})`,
            );
          });
          const summary = await writeAuditExport(
            readAuditChain(storage.db, { batchSize }),
            output,
            new Date(),
          );
          output.end();
          await finished(output);
          out(
            `Exported ${summary.entries} chained entries, ${summary.pendingEntries} not chained yet and ` +
              `${summary.checkpoints} checkpoints to ${options.output}`,
          );
        } finally {
          await storage.close();
        }
      }),
    );

  audit
    .command('mac-key')
    .description(
      'write the audit MAC key (derived from the master key) for an auditor who verifies exports; it opens no ' +
        'secret, but whoever holds it can sign entries, so hand it only to someone you would trust to audit',
    )
    .requiredOption('--output <path>', 'the file to create, mode 0600 (an existing file is not overwritten)')
    .action(
      guarded(async (options: { output: string }) => {
        const config = loadConfig(process.env);
        const masterKey = masterKeyFromConfig(config);
        // Read from the database: after a master-key rotation the key is the one kept there, not a derivation.
        const storage = await openDatabase(config, masterKey);
        let key: string;
        try {
          key = (await loadAuditMacKey(storage.db, masterKey)).toString('base64');
        } finally {
          await storage.close();
        }
        try {
          writeFileSync(options.output, `${key}\n`, { flag: 'wx', mode: 0o600 });
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          throw new AuditCommandError(
            code === 'EEXIST'
              ? `${options.output} already exists; choose another name`
              : `${options.output} could not be created (${code ?? 'error'})`,
          );
        }
        out(`Wrote the audit MAC key to ${options.output}`);
      }),
    );
}
