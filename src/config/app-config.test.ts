import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { generateMasterKey } from '../crypto/master-key.js';
import { ConfigError, loadConfig } from './app-config.js';

const cwd = resolve('/srv/strongroom');

function problemsOf(env: Record<string, string | undefined>): readonly string[] {
  try {
    loadConfig(env, cwd);
  } catch (err) {
    assert.ok(err instanceof ConfigError, 'expected a ConfigError');
    return err.problems;
  }
  assert.fail('expected loadConfig to throw');
}

function assertOneProblem(env: Record<string, string | undefined>, pattern: RegExp): void {
  const problems = problemsOf(env);
  assert.equal(problems.length, 1, `expected one problem, got: ${problems.join(' | ')}`);
  assert.match(problems[0] ?? '', pattern);
}

test('an empty environment gives the documented defaults', () => {
  const config = loadConfig({}, cwd);
  assert.deepEqual(config, {
    host: '127.0.0.1',
    port: 8080,
    dataDir: join(cwd, 'data'),
    databaseUrl: undefined,
    masterKey: { source: 'generated-file', path: join(cwd, 'data', 'master.key') },
    admin: undefined,
    logLevel: 'info',
    secretVersionsKept: 10,
    bodyLimitBytes: 1_048_576,
    tls: undefined,
    allowPlaintext: false,
    metricsPort: undefined,
    shutdownGraceSeconds: 10,
    trustedProxies: [],
    tokenTtlSeconds: 900,
    publicUrl: undefined,
    sessionIdleSeconds: 1800,
    sessionLifetimeSeconds: 43_200,
  });
});

test('empty-string variables count as unset', () => {
  const names = [
    'STRONGROOM_HOST',
    'STRONGROOM_PORT',
    'STRONGROOM_DATA_DIR',
    'STRONGROOM_DATABASE_URL',
    'STRONGROOM_MASTER_KEY',
    'STRONGROOM_MASTER_KEY_FILE',
    'STRONGROOM_ADMIN_USERNAME',
    'STRONGROOM_ADMIN_PASSWORD',
    'STRONGROOM_LOG_LEVEL',
    'STRONGROOM_SECRET_VERSIONS_KEPT',
    'STRONGROOM_BODY_LIMIT_BYTES',
    'STRONGROOM_TLS_CERT_FILE',
    'STRONGROOM_TLS_KEY_FILE',
    'STRONGROOM_ALLOW_PLAINTEXT',
    'STRONGROOM_METRICS_PORT',
    'STRONGROOM_SHUTDOWN_GRACE_SECONDS',
    'STRONGROOM_TRUSTED_PROXIES',
    'STRONGROOM_TOKEN_TTL_SECONDS',
    'STRONGROOM_PUBLIC_URL',
  ];
  const env = Object.fromEntries(names.map((name) => [name, '']));
  assert.deepEqual(loadConfig(env, cwd), loadConfig({}, cwd));
});

test('the data directory defaults to ./data resolved against process.cwd() when no cwd is given', () => {
  assert.equal(loadConfig({}).dataDir, resolve(process.cwd(), 'data'));
});

test('every variable is read and parsed', () => {
  const config = loadConfig(
    {
      STRONGROOM_HOST: '0.0.0.0',
      STRONGROOM_PORT: '9443',
      STRONGROOM_DATA_DIR: 'var/strongroom',
      STRONGROOM_DATABASE_URL: 'postgresql://strongroom:pw@db:5432/strongroom',
      STRONGROOM_MASTER_KEY_FILE: 'secrets/master.key',
      STRONGROOM_ADMIN_USERNAME: 'admin@example.com',
      STRONGROOM_ADMIN_PASSWORD: 'correct horse battery',
      STRONGROOM_LOG_LEVEL: 'debug',
      STRONGROOM_SECRET_VERSIONS_KEPT: '0',
      STRONGROOM_BODY_LIMIT_BYTES: '2048',
      STRONGROOM_TLS_CERT_FILE: 'tls/cert.pem',
      STRONGROOM_TLS_KEY_FILE: '/etc/strongroom/key.pem',
      STRONGROOM_ALLOW_PLAINTEXT: 'false',
      STRONGROOM_METRICS_PORT: '9464',
      STRONGROOM_SHUTDOWN_GRACE_SECONDS: '0',
      STRONGROOM_TRUSTED_PROXIES: '10.0.0.0/8, 192.0.2.7,fd00::/8',
      STRONGROOM_TOKEN_TTL_SECONDS: '300',
      STRONGROOM_PUBLIC_URL: 'https://vault.example.com/',
      STRONGROOM_SESSION_IDLE_SECONDS: '600',
      STRONGROOM_SESSION_LIFETIME_SECONDS: '3600',
    },
    cwd,
  );
  assert.deepEqual(config, {
    host: '0.0.0.0',
    port: 9443,
    dataDir: join(cwd, 'var', 'strongroom'),
    databaseUrl: 'postgresql://strongroom:pw@db:5432/strongroom',
    masterKey: { source: 'file', path: join(cwd, 'secrets', 'master.key') },
    admin: { username: 'admin@example.com', password: 'correct horse battery' },
    logLevel: 'debug',
    secretVersionsKept: 0,
    bodyLimitBytes: 2048,
    tls: { certFile: join(cwd, 'tls', 'cert.pem'), keyFile: resolve('/etc/strongroom/key.pem') },
    allowPlaintext: false,
    metricsPort: 9464,
    shutdownGraceSeconds: 0,
    trustedProxies: ['10.0.0.0/8', '192.0.2.7', 'fd00::/8'],
    tokenTtlSeconds: 300,
    publicUrl: 'https://vault.example.com',
    sessionIdleSeconds: 600,
    sessionLifetimeSeconds: 3600,
  });
});

test('STRONGROOM_MASTER_KEY is parsed into the key bytes', () => {
  const key = generateMasterKey();
  const config = loadConfig({ STRONGROOM_MASTER_KEY: `${key.toString('base64')}\n` }, cwd);
  assert.deepEqual(config.masterKey, { source: 'env', key });
});

test('absolute paths are kept as given and the generated key file follows the data directory', () => {
  const dataDir = resolve('/var/lib/strongroom');
  const keyFile = resolve('/run/secrets/strongroom-key');
  const config = loadConfig({ STRONGROOM_DATA_DIR: dataDir }, cwd);
  assert.equal(config.dataDir, dataDir);
  assert.deepEqual(config.masterKey, { source: 'generated-file', path: join(dataDir, 'master.key') });
  assert.deepEqual(loadConfig({ STRONGROOM_MASTER_KEY_FILE: keyFile }, cwd).masterKey, {
    source: 'file',
    path: keyFile,
  });
});

test('the postgres:// scheme, IPv6 hosts and range limits are accepted', () => {
  const config = loadConfig(
    {
      STRONGROOM_HOST: '::',
      STRONGROOM_ALLOW_PLAINTEXT: 'TRUE',
      STRONGROOM_PORT: '0',
      STRONGROOM_DATABASE_URL: 'postgres://localhost/strongroom',
      STRONGROOM_SECRET_VERSIONS_KEPT: '1000',
      STRONGROOM_BODY_LIMIT_BYTES: '104857600',
      STRONGROOM_LOG_LEVEL: 'silent',
    },
    cwd,
  );
  assert.equal(config.host, '::');
  assert.equal(config.port, 0);
  assert.equal(config.databaseUrl, 'postgres://localhost/strongroom');
  assert.equal(config.secretVersionsKept, 1000);
  assert.equal(config.bodyLimitBytes, 104_857_600);
  assert.equal(config.logLevel, 'silent');
  assert.equal(
    loadConfig({ STRONGROOM_PORT: '65535', STRONGROOM_BODY_LIMIT_BYTES: '1024' }, cwd).port,
    65_535,
  );
});

test('plain HTTP on an address other machines can reach is refused unless a proxy terminates TLS', () => {
  for (const host of ['0.0.0.0', '::', '192.0.2.10', 'strongroom.example.com']) {
    assertOneProblem(
      { STRONGROOM_HOST: host },
      /^STRONGROOM_HOST '.*' is reachable from other machines.*STRONGROOM_TLS_CERT_FILE.*STRONGROOM_ALLOW_PLAINTEXT=true/,
    );
    assert.equal(
      loadConfig({ STRONGROOM_HOST: host, STRONGROOM_ALLOW_PLAINTEXT: 'true' }, cwd).allowPlaintext,
      true,
    );
    const tlsEnv = { STRONGROOM_TLS_CERT_FILE: 'c.pem', STRONGROOM_TLS_KEY_FILE: 'k.pem' };
    assert.equal(loadConfig({ STRONGROOM_HOST: host, ...tlsEnv }, cwd).host, host);
  }
  for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', 'LOCALHOST', '::1']) {
    assert.equal(loadConfig({ STRONGROOM_HOST: host }, cwd).host, host);
  }
});

test('TLS needs both files, and the other production settings are checked', () => {
  assertOneProblem(
    { STRONGROOM_TLS_CERT_FILE: 'c.pem' },
    /^Set both STRONGROOM_TLS_CERT_FILE and STRONGROOM_TLS_KEY_FILE/,
  );
  assertOneProblem(
    { STRONGROOM_TLS_KEY_FILE: 'k.pem' },
    /^Set both STRONGROOM_TLS_CERT_FILE and STRONGROOM_TLS_KEY_FILE/,
  );
  assertOneProblem(
    { STRONGROOM_ALLOW_PLAINTEXT: 'yes' },
    /^STRONGROOM_ALLOW_PLAINTEXT must be true or false \(got 'yes'\)$/,
  );
  assertOneProblem(
    { STRONGROOM_METRICS_PORT: '0' },
    /^STRONGROOM_METRICS_PORT must be an integer from 1 to 65535/,
  );
  assertOneProblem({ STRONGROOM_METRICS_PORT: '65536' }, /^STRONGROOM_METRICS_PORT/);
  assertOneProblem(
    { STRONGROOM_SHUTDOWN_GRACE_SECONDS: '3601' },
    /^STRONGROOM_SHUTDOWN_GRACE_SECONDS must be an integer from 0 to 3600/,
  );
  assert.equal(loadConfig({ STRONGROOM_SHUTDOWN_GRACE_SECONDS: '3600' }, cwd).shutdownGraceSeconds, 3600);
  for (const entry of ['proxy.example.com', '10.0.0.0/33', '::1/129', '10.0.0.1/8/8', '10.0.0.1/']) {
    assertOneProblem(
      { STRONGROOM_TRUSTED_PROXIES: `127.0.0.1,${entry}` },
      /^STRONGROOM_TRUSTED_PROXIES must be IP addresses or CIDR ranges separated by commas \(got '.*'\)$/,
    );
  }
  assertOneProblem(
    { STRONGROOM_TRUSTED_PROXIES: Array.from({ length: 65 }, (_, index) => `10.0.0.${index}`).join(',') },
    /^STRONGROOM_TRUSTED_PROXIES lists more than 64 entries$/,
  );
});

test('every log level is accepted', () => {
  for (const level of ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']) {
    assert.equal(loadConfig({ STRONGROOM_LOG_LEVEL: level }, cwd).logLevel, level);
  }
});

const integerSettings: ReadonlyArray<[name: string, min: number, max: number]> = [
  ['STRONGROOM_PORT', 0, 65_535],
  ['STRONGROOM_SECRET_VERSIONS_KEPT', 0, 1000],
  ['STRONGROOM_BODY_LIMIT_BYTES', 1024, 104_857_600],
];

for (const [name, min, max] of integerSettings) {
  test(`${name} outside ${min}..${max} or not an integer is refused and the value is quoted`, () => {
    const belowMin = min > 0 ? [String(min - 1)] : [];
    for (const bad of [
      'abc',
      '-1',
      '1.5',
      '1e3',
      '0x10',
      ' ',
      ...belowMin,
      String(max + 1),
      '99999999999999999999',
    ]) {
      assert.deepEqual(problemsOf({ [name]: bad }), [
        `${name} must be an integer from ${min} to ${max} (got '${bad}')`,
      ]);
    }
  });
}

test('STRONGROOM_PORT gives the documented message for a non-number', () => {
  assert.deepEqual(problemsOf({ STRONGROOM_PORT: 'abc' }), [
    "STRONGROOM_PORT must be an integer from 0 to 65535 (got 'abc')",
  ]);
});

test('an invalid host is refused', () => {
  assertOneProblem(
    { STRONGROOM_HOST: 'bad host' },
    /^STRONGROOM_HOST must be a host name or IP address \(got 'bad host'\)$/,
  );
  assertOneProblem({ STRONGROOM_HOST: 'http://example.com/' }, /^STRONGROOM_HOST/);
  assertOneProblem({ STRONGROOM_HOST: '   ' }, /^STRONGROOM_HOST/);
});

test('an invalid log level is refused and the allowed levels are listed', () => {
  assertOneProblem(
    { STRONGROOM_LOG_LEVEL: 'verbose' },
    /^STRONGROOM_LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent \(got 'verbose'\)$/,
  );
});

test('a database URL with another scheme is refused without being echoed', () => {
  const url = 'mysql://root:hunter2hunter2@db/strongroom';
  const problems = problemsOf({ STRONGROOM_DATABASE_URL: url });
  assert.equal(problems.length, 1);
  assert.match(
    problems[0] ?? '',
    /^STRONGROOM_DATABASE_URL must start with postgres:\/\/ or postgresql:\/\//,
  );
  assert.ok(!problems.join('\n').includes('hunter2'));
});

test('an invalid STRONGROOM_MASTER_KEY is refused without echoing it', () => {
  for (const bad of [
    generateMasterKey().toString('base64').slice(0, 40),
    'not a key at all!',
    generateMasterKey().toString('hex'),
  ]) {
    const problems = problemsOf({ STRONGROOM_MASTER_KEY: bad });
    assert.equal(problems.length, 1);
    assert.match(problems[0] ?? '', /^STRONGROOM_MASTER_KEY is invalid/);
    assert.ok(!problems[0]?.includes(bad));
    assert.ok(!problems[0]?.includes(bad.slice(0, 8)));
  }
});

test('setting both STRONGROOM_MASTER_KEY and STRONGROOM_MASTER_KEY_FILE is refused', () => {
  const key = generateMasterKey().toString('base64');
  const problems = problemsOf({ STRONGROOM_MASTER_KEY: key, STRONGROOM_MASTER_KEY_FILE: '/run/key' });
  assert.deepEqual(problems, [
    'Set only one of STRONGROOM_MASTER_KEY and STRONGROOM_MASTER_KEY_FILE, not both',
  ]);
});

test('an admin username without a password, or a password without a username, is refused', () => {
  assertOneProblem(
    { STRONGROOM_ADMIN_USERNAME: 'admin' },
    /STRONGROOM_ADMIN_PASSWORD is not; set both or neither/,
  );
  assertOneProblem(
    { STRONGROOM_ADMIN_PASSWORD: 'long enough password' },
    /STRONGROOM_ADMIN_USERNAME is not; set both or neither/,
  );
});

test('an admin username with characters outside A-Z a-z 0-9 . _ @ - or over 128 characters is refused', () => {
  const password = 'long enough password';
  for (const username of ['has space', 'tab\there', 'ünïcode', 'semi;colon', 'a'.repeat(129)]) {
    assertOneProblem(
      { STRONGROOM_ADMIN_USERNAME: username, STRONGROOM_ADMIN_PASSWORD: password },
      /^STRONGROOM_ADMIN_USERNAME must be 1 to 128 characters/,
    );
  }
  const longest = 'a'.repeat(128);
  assert.equal(
    loadConfig({ STRONGROOM_ADMIN_USERNAME: longest, STRONGROOM_ADMIN_PASSWORD: password }, cwd).admin
      ?.username,
    longest,
  );
});

test('an admin password shorter than 12 characters is refused and a 12-character one is accepted', () => {
  assertOneProblem(
    { STRONGROOM_ADMIN_USERNAME: 'admin', STRONGROOM_ADMIN_PASSWORD: 'elevenchars' },
    /^STRONGROOM_ADMIN_PASSWORD must be from 12 to 1024 characters/,
  );
  // Length is counted in characters, not UTF-16 units: six emoji are six characters.
  assertOneProblem(
    { STRONGROOM_ADMIN_USERNAME: 'admin', STRONGROOM_ADMIN_PASSWORD: '🔐'.repeat(6) },
    /^STRONGROOM_ADMIN_PASSWORD/,
  );
  const config = loadConfig(
    { STRONGROOM_ADMIN_USERNAME: 'admin', STRONGROOM_ADMIN_PASSWORD: 'twelve chars' },
    cwd,
  );
  assert.deepEqual(config.admin, { username: 'admin', password: 'twelve chars' });
});

test('secret values never appear in problems or in the error message', () => {
  const masterKey = `${generateMasterKey().toString('base64').slice(0, 40)}`;
  const password = 'sh0rt!pw';
  const misplacedPassword = 'my secret password; do not show';
  const env = {
    STRONGROOM_MASTER_KEY: masterKey,
    STRONGROOM_ADMIN_USERNAME: misplacedPassword,
    STRONGROOM_ADMIN_PASSWORD: password,
    STRONGROOM_DATABASE_URL: 'mysql://u:dbpassword123@h/d',
  };
  try {
    loadConfig(env, cwd);
    assert.fail('expected loadConfig to throw');
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    const text = `${err.message}\n${err.problems.join('\n')}\n${err.stack ?? ''}`;
    for (const secret of [masterKey, masterKey.slice(0, 8), password, misplacedPassword, 'dbpassword123']) {
      assert.ok(!text.includes(secret), 'a secret value leaked into the configuration error');
    }
  }
});

test('all problems are reported together, one per line of the message', () => {
  let error: unknown;
  try {
    loadConfig(
      {
        STRONGROOM_HOST: 'two words',
        STRONGROOM_PORT: 'abc',
        STRONGROOM_DATABASE_URL: 'sqlite://file.db',
        STRONGROOM_MASTER_KEY: 'short',
        STRONGROOM_MASTER_KEY_FILE: '/run/key',
        STRONGROOM_ADMIN_USERNAME: 'admin',
        STRONGROOM_LOG_LEVEL: 'loud',
        STRONGROOM_SECRET_VERSIONS_KEPT: '1001',
        STRONGROOM_BODY_LIMIT_BYTES: '1',
      },
      cwd,
    );
  } catch (err) {
    error = err;
  }
  assert.ok(error instanceof ConfigError);
  assert.equal(error.name, 'ConfigError');
  const expectedPrefixes = [
    'STRONGROOM_HOST',
    'STRONGROOM_PORT',
    'STRONGROOM_DATABASE_URL',
    'Set only one of STRONGROOM_MASTER_KEY',
    'STRONGROOM_MASTER_KEY is invalid',
    'STRONGROOM_ADMIN_USERNAME is set but STRONGROOM_ADMIN_PASSWORD is not',
    'STRONGROOM_LOG_LEVEL',
    'STRONGROOM_SECRET_VERSIONS_KEPT',
    'STRONGROOM_BODY_LIMIT_BYTES',
  ];
  assert.equal(error.problems.length, expectedPrefixes.length, error.message);
  for (const prefix of expectedPrefixes) {
    assert.ok(
      error.problems.some((problem) => problem.startsWith(prefix)),
      `missing a problem starting with ${prefix}`,
    );
  }
  const lines = error.message.split('\n');
  assert.equal(lines[0], 'Invalid Strongroom configuration (9 problems):');
  assert.deepEqual(
    lines.slice(1),
    error.problems.map((problem) => `- ${problem}`),
  );
  assert.ok(Object.isFrozen(error.problems));
});

test('an echoed value cannot break the one-problem-per-line report', () => {
  const problems = problemsOf({
    STRONGROOM_LOG_LEVEL: 'info\nSTRONGROOM_FAKE ok',
    STRONGROOM_PORT: 'x'.repeat(500),
  });
  assert.equal(problems.length, 2);
  for (const problem of problems) {
    assert.ok(!problem.includes('\n'));
    assert.ok(problem.length < 200);
  }
});

test('STRONGROOM_TOKEN_TTL_SECONDS must be from 60 to 86400 seconds', () => {
  assert.equal(loadConfig({ STRONGROOM_TOKEN_TTL_SECONDS: '60' }, cwd).tokenTtlSeconds, 60);
  assert.equal(loadConfig({ STRONGROOM_TOKEN_TTL_SECONDS: '86400' }, cwd).tokenTtlSeconds, 86_400);
  assertOneProblem(
    { STRONGROOM_TOKEN_TTL_SECONDS: '59' },
    /STRONGROOM_TOKEN_TTL_SECONDS must be an integer from 60 to 86400/,
  );
  assertOneProblem({ STRONGROOM_TOKEN_TTL_SECONDS: '15m' }, /STRONGROOM_TOKEN_TTL_SECONDS/);
});

test('STRONGROOM_PUBLIC_URL must be an absolute http(s) URL without credentials, query or fragment', () => {
  for (const value of [
    'vault.example.com',
    'ftp://vault.example.com',
    'https://u:p@vault.example.com',
    'https://vault.example.com/?a=1',
    'https://vault.example.com/#x',
  ]) {
    assertOneProblem(
      { STRONGROOM_PUBLIC_URL: value },
      /STRONGROOM_PUBLIC_URL must be an absolute http or https URL/,
    );
  }
  assert.equal(
    loadConfig({ STRONGROOM_PUBLIC_URL: 'http://127.0.0.1:8080' }, cwd).publicUrl,
    'http://127.0.0.1:8080',
  );
});
