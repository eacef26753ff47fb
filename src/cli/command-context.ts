import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import type { AppConfig } from '../config/app-config.js';
import { loadConfig } from '../config/app-config.js';
import type { AuditWriter } from '../modules/audit/audit-writer.js';
import { createAuditWriter } from '../modules/audit/audit-writer.js';
import type { KeyRing } from '../modules/keys/key-ring.js';
import { loadAuditMacKey, loadMasterKey, openKeyRing, StartupError } from '../startup/key-setup.js';
import type { Storage } from '../storage/storage.js';
import { createStorage } from '../storage/storage.js';

/** A problem that stops a command before it does anything: one line on stderr and exit status 2. */
export class CommandError extends Error {
  override name = 'CommandError';
}

export interface CommandContext {
  config: AppConfig;
  masterKey: Buffer;
  storage: Storage;
  keyRing: KeyRing;
  auditMacKey: Buffer;
  audit: AuditWriter;
  /** How a command run from a shell is named in audit entries. */
  actor: string;
}

export const out = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

/** The configured master key; a missing key file is an error here, never created. */
export function masterKeyFromConfig(config: AppConfig): Buffer {
  const source = config.masterKey;
  if (source.source === 'generated-file' && !existsSync(source.path)) {
    throw new CommandError(
      `No master key: set STRONGROOM_MASTER_KEY or STRONGROOM_MASTER_KEY_FILE (no key file at ${source.path})`,
    );
  }
  try {
    return loadMasterKey(source, () => undefined);
  } catch (error) {
    throw new CommandError((error as Error).message);
  }
}

export function commandActor(): string {
  let name = 'unknown';
  try {
    name = userInfo().username;
  } catch {
    // A container without a passwd entry for the user has no name to give.
  }
  return `cli:${name}`;
}

/**
 * Opens an existing, migrated Strongroom database with the configured master key, exactly as a server
 * would (the key check refuses a wrong key), for a command that then works on it directly.
 */
export async function openCommandContext(): Promise<CommandContext> {
  const config = loadConfig(process.env);
  const masterKey = masterKeyFromConfig(config);
  if (config.databaseUrl === undefined && !existsSync(config.dataDir)) {
    throw new CommandError(`There is no data directory at ${config.dataDir} (STRONGROOM_DATA_DIR)`);
  }
  const storage = await createStorage({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    await storage.migrate();
    const keyRing = await openKeyRing(storage, masterKey, new Date(), (message) =>
      process.stderr.write(`WARNING: ${message}\n`),
    );
    const auditMacKey = await loadAuditMacKey(storage.db, masterKey);
    const audit = createAuditWriter({ macKey: auditMacKey, now: () => new Date() });
    return { config, masterKey, storage, keyRing, auditMacKey, audit, actor: commandActor() };
  } catch (error) {
    await storage.close();
    if (error instanceof StartupError) throw new CommandError(error.message);
    throw error;
  }
}
