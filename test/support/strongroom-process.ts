import { execFileSync, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Credentials, TestDatabase } from './test-server.js';
import { adminCredentials, basicAuthorization } from './test-server.js';

/**
 * Real server processes for the durability tests: what `npm start` runs, on a real port, that a test can
 * kill with any signal and start again on the same database.
 */

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
let built = false;

/** Bundles the server as `npm start` does, once per test process. */
function buildOnce(): void {
  if (built) return;
  execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: projectRoot, stdio: 'ignore' });
  built = true;
}

export async function findFreePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolveListen) => probe.listen(0, '127.0.0.1', resolveListen));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolveClose) => probe.close(() => resolveClose()));
  return port;
}

export interface ApiAnswer {
  /** undefined when no answer came: the connection was refused or broke (the server died mid-request). */
  status: number | undefined;
  etag: string | undefined;
  text: string;
  json<T>(): T;
}

export interface RequestOptions {
  body?: unknown;
  as?: Credentials;
  headers?: Record<string, string>;
}

export interface StrongroomProcess {
  readonly baseUrl: string;
  readonly pid: number;
  request(method: string, path: string, options?: RequestOptions): Promise<ApiAnswer>;
  /** Sends the signal and waits until the process has exited. */
  kill(signal: NodeJS.Signals): Promise<void>;
  logTail(): string;
}

export interface StartOptions {
  database: Pick<TestDatabase, 'dataDir' | 'masterKey'>;
  /** PostgreSQL URL; SQLite in the data directory when undefined. */
  databaseUrl: string | undefined;
  logFile: string;
  readyTimeoutMs?: number;
}

/** Sends one request and never throws: a request the server never answered is what the tests look for. */
export async function apiRequest(
  baseUrl: string,
  method: string,
  path: string,
  options: RequestOptions = {},
): Promise<ApiAnswer> {
  const headers: Record<string, string> = {
    'x-keyfactor-requested-with': 'APIClient',
    authorization: basicAuthorization(options.as ?? adminCredentials),
    ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
    ...options.headers,
  };
  try {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers,
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await response.text();
    return {
      status: response.status,
      etag: response.headers.get('etag') ?? undefined,
      text,
      json: <T>() => JSON.parse(text) as T,
    };
  } catch {
    return {
      status: undefined,
      etag: undefined,
      text: '',
      json: () => {
        throw new Error(`${method} ${path} got no answer`);
      },
    };
  }
}

export async function startStrongroom(options: StartOptions): Promise<StrongroomProcess> {
  buildOnce();
  const port = await findFreePort();
  // Only what the test decides reaches the server, whatever STRONGROOM_* the caller's shell has set.
  const env: NodeJS.ProcessEnv = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('STRONGROOM_')),
  );
  Object.assign(env, {
    STRONGROOM_HOST: '127.0.0.1',
    STRONGROOM_PORT: String(port),
    STRONGROOM_DATA_DIR: options.database.dataDir,
    STRONGROOM_MASTER_KEY: options.database.masterKey.toString('base64'),
    STRONGROOM_ADMIN_USERNAME: adminCredentials.username,
    STRONGROOM_ADMIN_PASSWORD: adminCredentials.password,
    STRONGROOM_LOG_LEVEL: 'warn',
    ...(options.databaseUrl === undefined ? {} : { STRONGROOM_DATABASE_URL: options.databaseUrl }),
  });
  const log = openSync(options.logFile, 'a');
  const child = spawn(process.execPath, ['dist/strongroom.mjs', 'serve'], {
    cwd: projectRoot,
    env,
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  let exited = false;
  const exit = new Promise<void>((resolveExit) =>
    child.once('exit', () => {
      exited = true;
      resolveExit();
    }),
  );
  const baseUrl = `http://127.0.0.1:${port}`;
  const logTail = () => {
    try {
      return readFileSync(options.logFile, 'utf8').split('\n').slice(-40).join('\n');
    } catch {
      return '(no output)';
    }
  };

  const deadline = Date.now() + (options.readyTimeoutMs ?? 120_000);
  for (;;) {
    const probe = await apiRequest(baseUrl, 'GET', '/KeyfactorAPI/Status/HealthCheck');
    if (probe.status === 204) break;
    if (exited || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(
        `the server did not become ready (${exited ? 'it exited' : 'timed out'}):\n${logTail()}`,
      );
    }
    await new Promise((resolveWait) => setTimeout(resolveWait, 50));
  }
  const pid = child.pid;
  if (pid === undefined) throw new Error('the server process has no pid');

  return {
    baseUrl,
    pid,
    request: (method, path, requestOptions) => apiRequest(baseUrl, method, path, requestOptions),
    async kill(signal) {
      if (!exited) child.kill(signal);
      await exit;
    },
    logTail,
  };
}

/** The audit chain as `GET /strongroom/audit/verify` reports it, once every recorded entry is chained. */
export interface AuditReport {
  Intact: boolean;
  MacsChecked: boolean;
  EntriesChecked: number;
  PendingEntries: number;
  FindingCount: number;
  Findings: unknown[];
  LastEntry: { Id: number; Sequence: number; EntryHash: string } | null;
}

export async function verifiedAuditChain(server: Pick<StrongroomProcess, 'request'>): Promise<AuditReport> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const answer = await server.request('GET', '/strongroom/audit/verify');
    if (answer.status !== 200)
      throw new Error(`audit verify answered ${String(answer.status)}: ${answer.text}`);
    const report = answer.json<AuditReport>();
    // Entries recorded just before a crash are chained by the sealer of the restarted server shortly after.
    if (report.PendingEntries === 0 || Date.now() > deadline) return report;
    await new Promise((resolveWait) => setTimeout(resolveWait, 200));
  }
}

/** A LocalDB PAM provider to hold the entries the tests write. */
export async function createLocalProvider(server: Pick<StrongroomProcess, 'request'>, name: string) {
  const types = await server.request('GET', '/KeyfactorAPI/PamProviders/Types');
  const local = types.json<{ Id: string; Name: string }[]>().find((type) => type.Name === 'LocalDB');
  if (local === undefined) throw new Error('the LocalDB provider type is missing');
  const created = await server.request('POST', '/KeyfactorAPI/PamProviders', {
    body: { Name: name, ProviderType: { Id: local.Id }, ProviderTypeParamValues: [] },
  });
  if (created.status !== 200) throw new Error(`creating the provider failed: ${created.text}`);
  return created.json<{ Id: number }>().Id;
}

export async function createStore(server: Pick<StrongroomProcess, 'request'>, clientMachine: string) {
  const created = await server.request('POST', '/KeyfactorAPI/CertificateStores', {
    body: { ClientMachine: clientMachine, Storepath: '/opt/app/keystore.jks', CertStoreType: 0 },
  });
  if (created.status !== 200) throw new Error(`creating the store failed: ${created.text}`);
  return created.json<{ Id: string }>().Id;
}

/** The value a store's password holds now, through the resolution endpoint orchestrators use. */
export async function resolveStorePassword(
  server: Pick<StrongroomProcess, 'request'>,
  storeId: string,
): Promise<string | null | undefined> {
  const answer = await server.request('POST', `/strongroom/certificate-stores/${storeId}/password/resolve`);
  if (answer.status === 404) return undefined;
  if (answer.status !== 200)
    throw new Error(`resolving store ${storeId} answered ${answer.status}: ${answer.text}`);
  return answer.json<{ Password: string | null }>().Password;
}

/**
 * The value a local entry holds now: a store is pointed at the entry and its password resolved, which is
 * how an orchestrator reads it. undefined when the entry does not exist.
 */
export async function resolveLocalEntry(
  server: Pick<StrongroomProcess, 'request'>,
  readerStoreId: string,
  providerId: number,
  secretName: string,
): Promise<string | null | undefined> {
  const metadata = await server.request(
    'GET',
    `/strongroom/pam-providers/${providerId}/entries/${encodeURIComponent(secretName)}`,
  );
  if (metadata.status === 404) return undefined;
  const pointed = await server.request('PUT', '/KeyfactorAPI/CertificateStores/Password', {
    body: {
      CertStoreId: readerStoreId,
      NewPassword: { Provider: providerId, Parameters: { SecretName: secretName } },
    },
  });
  if (pointed.status !== 204)
    throw new Error(`pointing the reader store answered ${pointed.status}: ${pointed.text}`);
  const resolved = await server.request(
    'POST',
    `/strongroom/certificate-stores/${readerStoreId}/password/resolve`,
  );
  if (resolved.status !== 200)
    throw new Error(`resolving ${secretName} answered ${resolved.status}: ${resolved.text}`);
  return resolved.json<{ Password: string | null }>().Password;
}
