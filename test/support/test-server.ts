import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe } from 'node:test';
import pg from 'pg';
import type { AppConfig } from '../../src/config/app-config.js';
import { globalPermissionSetId } from '../../src/modules/security/admin-bootstrap.js';
import type { Server } from '../../src/startup/server.js';
import { createServer } from '../../src/startup/server.js';

export type DialectName = 'sqlite' | 'postgres';

export const adminCredentials = { username: 'admin', password: 'admin-password-for-tests' };

/** SQLite always; PostgreSQL too when STRONGROOM_TEST_DATABASE_URL names a server to create databases on. */
export function testDialects(): DialectName[] {
  return process.env.STRONGROOM_TEST_DATABASE_URL ? ['sqlite', 'postgres'] : ['sqlite'];
}

export interface TestDatabase {
  dialect: DialectName;
  dataDir: string;
  databaseUrl: string | undefined;
  masterKey: Buffer;
  drop(): Promise<void>;
}

/** A fresh, empty database per test file: a temporary directory for SQLite, a new database for PostgreSQL. */
export async function createTestDatabase(dialect: DialectName): Promise<TestDatabase> {
  const dataDir = mkdtempSync(join(tmpdir(), 'strongroom-test-'));
  const masterKey = randomBytes(32);
  if (dialect === 'sqlite') {
    return {
      dialect,
      dataDir,
      databaseUrl: undefined,
      masterKey,
      drop: () => Promise.resolve(rmSync(dataDir, { recursive: true, force: true })),
    };
  }
  const adminUrl = process.env.STRONGROOM_TEST_DATABASE_URL;
  if (adminUrl === undefined) throw new Error('STRONGROOM_TEST_DATABASE_URL is not set');
  const name = `strongroom_test_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  await client.query(`create database ${name}`);
  await client.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    dialect,
    dataDir,
    databaseUrl: url.toString(),
    masterKey,
    async drop() {
      const dropper = new pg.Client({ connectionString: adminUrl });
      await dropper.connect();
      await dropper.query(`drop database if exists ${name} with (force)`);
      await dropper.end();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function testConfig(database: TestDatabase, overrides: Partial<AppConfig> = {}): AppConfig {
  return {
    host: '127.0.0.1',
    port: 0,
    dataDir: database.dataDir,
    databaseUrl: database.databaseUrl,
    masterKey: { source: 'env', key: database.masterKey },
    admin: adminCredentials,
    logLevel: 'info',
    secretVersionsKept: 10,
    bodyLimitBytes: 1024 * 1024,
    tls: undefined,
    allowPlaintext: false,
    metricsPort: undefined,
    shutdownGraceSeconds: 0,
    trustedProxies: [],
    tokenTtlSeconds: 900,
    publicUrl: undefined,
    sessionIdleSeconds: 30 * 60,
    sessionLifetimeSeconds: 12 * 60 * 60,
    ...overrides,
  };
}

export interface Credentials {
  username: string;
  password: string;
}

export interface ApiResponse {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  text: string;
  body: unknown;
}

export interface RequestOptions {
  body?: unknown;
  rawBody?: string;
  as?: Credentials | null;
  headers?: Record<string, string>;
  apiVersion?: 1 | 2;
}

export interface TestServer {
  readonly dialect: DialectName;
  readonly database: TestDatabase;
  server: Server;
  /** Everything the server logged, one JSON line per entry. */
  logs(): string;
  request(method: string, url: string, options?: RequestOptions): Promise<ApiResponse>;
  /** Creates a user holding exactly these permissions through a role of its own. */
  createUser(
    username: string,
    permissions: readonly string[],
    groups?: readonly string[],
  ): Promise<Credentials>;
  restart(overrides?: Partial<AppConfig>): Promise<void>;
  close(): Promise<void>;
}

export async function startTestServer(
  dialect: DialectName,
  overrides: Partial<AppConfig> = {},
): Promise<TestServer> {
  const database = await createTestDatabase(dialect);
  const logLines: string[] = [];
  const logDestination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      logLines.push(chunk.toString('utf8'));
      callback();
    },
  });
  const start = (more: Partial<AppConfig>) =>
    createServer({
      config: testConfig(database, { ...overrides, ...more }),
      logDestination,
      warn: () => undefined,
    });
  let server = await start({});

  const harness: TestServer = {
    dialect,
    database,
    get server() {
      return server;
    },
    set server(value) {
      server = value;
    },
    logs: () => logLines.join(''),
    async request(method, url, options = {}) {
      const credentials = options.as === undefined ? adminCredentials : options.as;
      const headers: Record<string, string> = {
        'x-keyfactor-requested-with': 'APIClient',
        ...(options.apiVersion === undefined
          ? {}
          : { 'x-keyfactor-api-version': String(options.apiVersion) }),
        ...(credentials === null
          ? {}
          : {
              authorization: `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`,
            }),
        ...(options.body !== undefined || options.rawBody !== undefined
          ? { 'content-type': 'application/json' }
          : {}),
        ...options.headers,
      };
      const payload =
        options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
      const response = await server.app.inject({
        method: method as 'GET',
        url,
        headers,
        ...(payload === undefined ? {} : { payload }),
      });
      let body: unknown = undefined;
      if (response.body !== '') {
        try {
          body = JSON.parse(response.body);
        } catch {
          body = response.body;
        }
      }
      return { status: response.statusCode, headers: response.headers, text: response.body, body };
    },
    async createUser(username, permissions, groups = []) {
      const password = `pw-${randomBytes(12).toString('hex')}`;
      const created = await harness.request('POST', '/strongroom/users', {
        body: { Username: username, Password: password, Groups: groups },
      });
      if (created.status !== 200) throw new Error(`creating user ${username} failed: ${created.text}`);
      const role = await harness.request('POST', '/KeyfactorAPI/Security/Roles', {
        apiVersion: 2,
        body: {
          Name: `role-for-${username}`,
          Description: `Test role for ${username}`,
          PermissionSetId: globalPermissionSetId,
          Permissions: permissions,
          Claims: [
            {
              ClaimType: 'User',
              ClaimValue: username,
              ProviderAuthenticationScheme: 'Basic',
              Description: '',
            },
          ],
        },
      });
      if (role.status !== 200) throw new Error(`creating the role for ${username} failed: ${role.text}`);
      return { username, password };
    },
    async restart(more = {}) {
      await server.close();
      server = await start(more);
    },
    async close() {
      await server.close();
      await database.drop();
    },
  };
  return harness;
}

/**
 * Runs a suite once per configured database, each with its own fresh server. The suite body receives a
 * getter because the server only exists once `before` has run.
 */
export function describeEachDialect(
  name: string,
  suite: (context: () => TestServer) => void,
  overrides: Partial<AppConfig> = {},
): void {
  for (const dialect of testDialects()) {
    describe(`${name} [${dialect}]`, () => {
      let current: TestServer | undefined;
      before(async () => {
        current = await startTestServer(dialect, overrides);
      });
      after(async () => {
        await current?.close();
      });
      suite(() => {
        if (current === undefined) throw new Error('the test server has not started');
        return current;
      });
    });
  }
}

export function basicAuthorization(credentials: Credentials): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
}
