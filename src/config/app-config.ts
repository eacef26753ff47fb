import { join, resolve } from 'node:path';
import { parseMasterKey } from '../crypto/master-key.js';

export const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export type LogLevel = (typeof logLevels)[number];

export type MasterKeySource =
  | { source: 'env'; key: Buffer }
  | { source: 'file'; path: string }
  | { source: 'generated-file'; path: string };

export interface AppConfig {
  host: string;
  /** 0 asks the operating system for any free port. */
  port: number;
  /** Always absolute. */
  dataDir: string;
  /** Unset means the embedded SQLite database in dataDir. */
  databaseUrl: string | undefined;
  /** 'file' is resolved but not read here; the caller reads it so that file errors surface at startup. */
  masterKey: MasterKeySource;
  /** The first administrator to create at startup, if any. */
  admin: { username: string; password: string } | undefined;
  logLevel: LogLevel;
  secretVersionsKept: number;
  bodyLimitBytes: number;
}

export class ConfigError extends Error {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    super(
      [`Invalid Strongroom configuration (${count}):`, ...problems.map((problem) => `- ${problem}`)].join(
        '\n',
      ),
    );
    this.name = 'ConfigError';
    this.problems = Object.freeze([...problems]);
  }
}

const defaultPort = 8080;
const defaultDataDir = './data';
const defaultSecretVersionsKept = 10;
const defaultBodyLimitBytes = 1_048_576;
const maxHostLength = 253;
const maxEchoedLength = 80;
const usernamePattern = /^[A-Za-z0-9._@-]{1,128}$/;
const minPasswordLength = 12;
// Passwords are hashed with argon2, which accepts any length; the cap only bounds outside input.
const maxPasswordLength = 1024;
const hostPattern = /^[A-Za-z0-9._:%-]+$/;
const databaseUrlPattern = /^postgres(?:ql)?:\/\//i;

/**
 * Reads and validates every setting at once. All problems are gathered before throwing, so an operator
 * fixes a deployment in one pass instead of one restart per mistake. Values of secrets (the master key,
 * the admin password, and the database URL, which often embeds a password) never appear in a problem.
 */
export function loadConfig(
  env: Readonly<Record<string, string | undefined>>,
  cwd: string = process.cwd(),
): AppConfig {
  const problems: string[] = [];
  // Deployment tools often write `NAME=` for "not set", so an empty value means the default.
  const read = (name: string): string | undefined => {
    const value = env[name];
    return value === undefined || value === '' ? undefined : value;
  };

  const integerSetting = (name: string, fallback: number, min: number, max: number): number => {
    const raw = read(name);
    if (raw === undefined) return fallback;
    const trimmed = raw.trim();
    const value = /^[0-9]+$/.test(trimmed) ? Number(trimmed) : Number.NaN;
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      problems.push(`${name} must be an integer from ${min} to ${max} (got ${quote(raw)})`);
      return fallback;
    }
    return value;
  };

  const host = read('STRONGROOM_HOST')?.trim() ?? '127.0.0.1';
  if (host.length > maxHostLength || !hostPattern.test(host)) {
    problems.push(`STRONGROOM_HOST must be a host name or IP address (got ${quote(host)})`);
  }

  const port = integerSetting('STRONGROOM_PORT', defaultPort, 0, 65_535);

  const dataDirSetting = read('STRONGROOM_DATA_DIR') ?? defaultDataDir;
  if (dataDirSetting.includes('\0')) {
    problems.push('STRONGROOM_DATA_DIR must be a file system path (it contains a NUL character)');
  }
  const dataDir = resolve(cwd, dataDirSetting);

  const databaseUrl = read('STRONGROOM_DATABASE_URL')?.trim();
  if (databaseUrl !== undefined && !databaseUrlPattern.test(databaseUrl)) {
    problems.push(
      'STRONGROOM_DATABASE_URL must start with postgres:// or postgresql:// ' +
        '(value not shown because it may contain a password)',
    );
  }

  const masterKey = readMasterKey(read, cwd, dataDir, problems);
  const admin = readAdmin(read, problems);

  const logLevelSetting = read('STRONGROOM_LOG_LEVEL')?.trim().toLowerCase() ?? 'info';
  const logLevel = logLevels.find((level) => level === logLevelSetting);
  if (logLevel === undefined) {
    problems.push(
      `STRONGROOM_LOG_LEVEL must be one of ${logLevels.join(', ')} (got ${quote(logLevelSetting)})`,
    );
  }

  const secretVersionsKept = integerSetting(
    'STRONGROOM_SECRET_VERSIONS_KEPT',
    defaultSecretVersionsKept,
    0,
    1000,
  );
  const bodyLimitBytes = integerSetting(
    'STRONGROOM_BODY_LIMIT_BYTES',
    defaultBodyLimitBytes,
    1024,
    104_857_600,
  );

  if (problems.length > 0) {
    throw new ConfigError(problems);
  }
  return {
    host,
    port,
    dataDir,
    databaseUrl,
    masterKey,
    admin,
    logLevel: logLevel ?? 'info',
    secretVersionsKept,
    bodyLimitBytes,
  };
}

function readMasterKey(
  read: (name: string) => string | undefined,
  cwd: string,
  dataDir: string,
  problems: string[],
): MasterKeySource {
  const keyText = read('STRONGROOM_MASTER_KEY');
  const keyFile = read('STRONGROOM_MASTER_KEY_FILE');
  if (keyText !== undefined && keyFile !== undefined) {
    problems.push('Set only one of STRONGROOM_MASTER_KEY and STRONGROOM_MASTER_KEY_FILE, not both');
  }
  if (keyText !== undefined) {
    try {
      return { source: 'env', key: parseMasterKey(keyText) };
    } catch (err) {
      // parseMasterKey's messages describe the problem without quoting the key.
      const reason = err instanceof Error ? err.message : 'it could not be parsed';
      problems.push(`STRONGROOM_MASTER_KEY is invalid: ${reason} (value not shown)`);
    }
  }
  if (keyFile !== undefined) {
    if (keyFile.includes('\0')) {
      problems.push('STRONGROOM_MASTER_KEY_FILE must be a file system path (it contains a NUL character)');
    }
    return { source: 'file', path: resolve(cwd, keyFile) };
  }
  return { source: 'generated-file', path: join(dataDir, 'master.key') };
}

function readAdmin(
  read: (name: string) => string | undefined,
  problems: string[],
): { username: string; password: string } | undefined {
  const username = read('STRONGROOM_ADMIN_USERNAME');
  const password = read('STRONGROOM_ADMIN_PASSWORD');
  if (username === undefined && password === undefined) return undefined;
  if (username === undefined) {
    problems.push(
      'STRONGROOM_ADMIN_PASSWORD is set but STRONGROOM_ADMIN_USERNAME is not; set both or neither',
    );
  }
  if (password === undefined) {
    problems.push(
      'STRONGROOM_ADMIN_USERNAME is set but STRONGROOM_ADMIN_PASSWORD is not; set both or neither',
    );
  }
  // The username is not quoted either: a common slip is pasting the password into the wrong variable.
  if (username !== undefined && !usernamePattern.test(username)) {
    problems.push(
      'STRONGROOM_ADMIN_USERNAME must be 1 to 128 characters of letters, digits, and . _ @ - (value not shown)',
    );
  }
  if (password !== undefined) {
    const length = [...password].length;
    if (length < minPasswordLength || length > maxPasswordLength) {
      problems.push(
        `STRONGROOM_ADMIN_PASSWORD must be from ${minPasswordLength} to ${maxPasswordLength} characters ` +
          '(value not shown)',
      );
    }
  }
  return username !== undefined && password !== undefined ? { username, password } : undefined;
}

// Echoed values are escaped and shortened so a stray newline or a pasted blob cannot break the
// one-problem-per-line report.
function quote(value: string): string {
  const shortened = value.length > maxEchoedLength ? `${value.slice(0, maxEchoedLength)}…` : value;
  return `'${JSON.stringify(shortened).slice(1, -1)}'`;
}

/**
 * The text of the next master key for `strongroom keys rotate-master`, when given in the environment rather
 * than a file. Read only by that command; a server never looks at it.
 */
export function newMasterKeyText(env: Readonly<Record<string, string | undefined>>): string | undefined {
  const text = env.STRONGROOM_NEW_MASTER_KEY;
  return text === undefined || text === '' ? undefined : text;
}
