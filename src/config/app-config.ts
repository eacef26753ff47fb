import { isIP } from 'node:net';
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
  /** PEM files to serve HTTPS with (the certificate file may hold the chain); unset serves plain HTTP. */
  tls: { certFile: string; keyFile: string } | undefined;
  /** A proxy in front terminates TLS, so plain HTTP on a non-loopback address is intended. */
  allowPlaintext: boolean;
  /** A second, unauthenticated listener on 127.0.0.1 that serves only /metrics; unset means none. */
  metricsPort: number | undefined;
  /** How long after SIGTERM new connections are still accepted while load balancers see "not ready". */
  shutdownGraceSeconds: number;
  /**
   * Addresses or CIDR ranges of proxies whose X-Forwarded-For and X-Forwarded-Proto are believed (the client
   * address and whether the client used TLS). Empty: the headers are ignored, as anyone could send them.
   */
  trustedProxies: readonly string[];
  /** How long an access token from the built-in issuer is valid. */
  tokenTtlSeconds: number;
  /** The URL clients reach this server at; the built-in issuer's identifier. Unset means http://host:port. */
  publicUrl: string | undefined;
  /** A portal session ends after this long without a request. */
  sessionIdleSeconds: number;
  /** A portal session ends this long after sign-in, however active. */
  sessionLifetimeSeconds: number;
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
// Load balancers typically probe every 5 s and act after a failure or two; 10 s lets them stop sending first.
const defaultShutdownGraceSeconds = 10;
const defaultTokenTtlSeconds = 900;
const maxPublicUrlLength = 2048;
const defaultSessionIdleSeconds = 30 * 60;
const defaultSessionLifetimeSeconds = 12 * 60 * 60;
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
  const isHostValid = host.length <= maxHostLength && hostPattern.test(host);
  if (!isHostValid) {
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

  const tls = readTls(read, cwd, problems);
  const allowPlaintextSetting = read('STRONGROOM_ALLOW_PLAINTEXT')?.trim().toLowerCase() ?? 'false';
  if (allowPlaintextSetting !== 'true' && allowPlaintextSetting !== 'false') {
    problems.push(`STRONGROOM_ALLOW_PLAINTEXT must be true or false (got ${quote(allowPlaintextSetting)})`);
  }
  const allowPlaintext = allowPlaintextSetting === 'true';
  if (isHostValid && tls === undefined && !allowPlaintext && !isLoopbackHost(host)) {
    problems.push(
      `STRONGROOM_HOST ${quote(host)} is reachable from other machines, and without TLS passwords would ` +
        'cross the network in the clear: set STRONGROOM_TLS_CERT_FILE and STRONGROOM_TLS_KEY_FILE, or set ' +
        'STRONGROOM_ALLOW_PLAINTEXT=true if a proxy in front terminates TLS',
    );
  }
  const metricsPortSetting = read('STRONGROOM_METRICS_PORT');
  const metricsPort =
    metricsPortSetting === undefined ? undefined : integerSetting('STRONGROOM_METRICS_PORT', 0, 1, 65_535);
  const shutdownGraceSeconds = integerSetting(
    'STRONGROOM_SHUTDOWN_GRACE_SECONDS',
    defaultShutdownGraceSeconds,
    0,
    3600,
  );

  const trustedProxies = readTrustedProxies(read, problems);
  const tokenTtlSeconds = integerSetting('STRONGROOM_TOKEN_TTL_SECONDS', defaultTokenTtlSeconds, 60, 86_400);
  const publicUrl = readPublicUrl(read, problems);

  const sessionIdleSeconds = integerSetting(
    'STRONGROOM_SESSION_IDLE_SECONDS',
    defaultSessionIdleSeconds,
    60,
    86_400,
  );
  const sessionLifetimeSeconds = integerSetting(
    'STRONGROOM_SESSION_LIFETIME_SECONDS',
    defaultSessionLifetimeSeconds,
    60,
    30 * 86_400,
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
    tls,
    allowPlaintext,
    metricsPort,
    shutdownGraceSeconds,
    trustedProxies,
    tokenTtlSeconds,
    publicUrl,
    sessionIdleSeconds,
    sessionLifetimeSeconds,
  };
}

const maxTrustedProxies = 64;

function readTrustedProxies(read: (name: string) => string | undefined, problems: string[]): string[] {
  const setting = read('STRONGROOM_TRUSTED_PROXIES');
  if (setting === undefined) return [];
  const entries = setting
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  if (entries.length > maxTrustedProxies) {
    problems.push(`STRONGROOM_TRUSTED_PROXIES lists more than ${maxTrustedProxies} entries`);
    return [];
  }
  for (const entry of entries) {
    const [address = '', prefix, extra] = entry.split('/');
    const family = isIP(address);
    const maxPrefix = family === 6 ? 128 : 32;
    const isPrefixValid =
      prefix === undefined || (/^[0-9]{1,3}$/.test(prefix) && Number(prefix) <= maxPrefix);
    if (family === 0 || !isPrefixValid || extra !== undefined) {
      problems.push(
        `STRONGROOM_TRUSTED_PROXIES must be IP addresses or CIDR ranges separated by commas (got ${quote(entry)})`,
      );
    }
  }
  return entries;
}

/** Whether only this machine can reach an address; a host name other than localhost may resolve anywhere. */
export function isLoopbackHost(host: string): boolean {
  const name = host.toLowerCase();
  return name === 'localhost' || name === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name);
}

function readTls(
  read: (name: string) => string | undefined,
  cwd: string,
  problems: string[],
): AppConfig['tls'] {
  const certFile = read('STRONGROOM_TLS_CERT_FILE');
  const keyFile = read('STRONGROOM_TLS_KEY_FILE');
  if (certFile === undefined && keyFile === undefined) return undefined;
  if (certFile === undefined || keyFile === undefined) {
    problems.push('Set both STRONGROOM_TLS_CERT_FILE and STRONGROOM_TLS_KEY_FILE, or neither');
    return undefined;
  }
  for (const [name, path] of [
    ['STRONGROOM_TLS_CERT_FILE', certFile],
    ['STRONGROOM_TLS_KEY_FILE', keyFile],
  ] as const) {
    if (path.includes('\0'))
      problems.push(`${name} must be a file system path (it contains a NUL character)`);
  }
  return { certFile: resolve(cwd, certFile), keyFile: resolve(cwd, keyFile) };
}

/** Tokens name their issuer by this URL, so it must be an absolute http(s) URL without query or fragment. */
function readPublicUrl(read: (name: string) => string | undefined, problems: string[]): string | undefined {
  const raw = read('STRONGROOM_PUBLIC_URL')?.trim();
  if (raw === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = raw.length <= maxPublicUrlLength ? new URL(raw) : undefined;
  } catch {
    url = undefined;
  }
  if (
    url === undefined ||
    !['http:', 'https:'].includes(url.protocol) ||
    url.search !== '' ||
    url.hash !== '' ||
    url.username !== '' ||
    url.password !== ''
  ) {
    problems.push(
      `STRONGROOM_PUBLIC_URL must be an absolute http or https URL without credentials, query or fragment (got ${quote(raw)})`,
    );
    return undefined;
  }
  return url.href.replace(/\/+$/, '');
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
