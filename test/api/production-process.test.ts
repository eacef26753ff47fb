import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { randomBytes, X509Certificate } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request as httpsRequest, Agent } from 'node:https';
import type { IncomingMessage } from 'node:http';
import { connect as netConnect } from 'node:net';
import type { Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { TLSSocket } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Writable } from 'node:stream';
import type { RouteRegistrar } from '../../src/http/app.js';
import { buildHttpApp } from '../../src/http/app.js';
import { publicAccess } from '../../src/http/route-access.js';
import { readTlsMaterial } from '../../src/startup/tls-setup.js';
import { createServer } from '../../src/startup/server.js';
import { createStorage } from '../../src/storage/storage.js';
import type { TestDatabase } from '../support/test-server.js';
import { createTestDatabase, testConfig, testDialects } from '../support/test-server.js';

const projectRoot = join(import.meta.dirname, '..', '..');
const cli = ['--import', 'tsx', join(projectRoot, 'src', 'cli', 'strongroom.ts')];
const admin = { username: 'admin', password: 'admin-password-for-process-tests' };
const adminAuthorization = `Basic ${Buffer.from(`${admin.username}:${admin.password}`).toString('base64')}`;

interface Running {
  child: ChildProcess;
  exited: Promise<number | null>;
  output(): { stdout: string; stderr: string };
  /** Resolves once stdout contains the pattern; fails after a while with what was printed. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
}

function run(args: string[], env: Record<string, string>): Running {
  const child = spawn(process.execPath, [...cli, ...args], {
    env: { PATH: process.env.PATH ?? '', STRONGROOM_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    exited,
    output: () => ({ stdout, stderr }),
    async waitFor(pattern, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const match = pattern.exec(stdout);
        if (match !== null) return match;
        if (Date.now() > deadline || child.exitCode !== null) {
          assert.fail(`waited for ${String(pattern)}; stdout: ${stdout} stderr: ${stderr}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
  };
}

async function stop(running: Running): Promise<void> {
  if (running.child.exitCode === null) running.child.kill('SIGKILL');
  await running.exited;
}

function makeDevCert(directory: string): { certFile: string; keyFile: string; cert: Buffer } {
  return { ...devCertPaths(directory), cert: readFileSync(join(directory, 'cert.pem')) };
}

function devCertPaths(directory: string) {
  return { certFile: join(directory, 'cert.pem'), keyFile: join(directory, 'key.pem') };
}

async function devCert(directory: string): Promise<{ certFile: string; keyFile: string; cert: Buffer }> {
  const made = run(['dev-cert', '--output', directory], {});
  assert.equal(await made.exited, 0, made.output().stderr);
  assert.match(made.output().stdout, /STRONGROOM_TLS_CERT_FILE=/);
  return makeDevCert(directory);
}

interface HttpsAnswer {
  status: number;
  body: string;
  /** Read while the response is open: the agent takes the socket back once it ends. */
  socket: TLSSocket;
  fingerprint: string;
}

function httpsGet(url: string, options: { agent?: Agent; ca: Buffer | Buffer[] }): Promise<HttpsAnswer> {
  return new Promise((resolve, reject) => {
    const request = httpsRequest(
      url,
      { agent: options.agent, ca: options.ca },
      (response: IncomingMessage) => {
        const socket = response.socket as TLSSocket;
        const fingerprint = socket.getPeerCertificate().fingerprint256;
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body, socket, fingerprint }));
      },
    );
    request.on('error', reject);
    request.end();
  });
}

describe('HTTPS served directly', () => {
  let directory = '';
  let server: Running | undefined;
  let address = '';
  let served: { certFile: string; keyFile: string; cert: Buffer } | undefined;

  before(async () => {
    directory = mkdtempSync(join(tmpdir(), 'strongroom-tls-'));
    served = await devCert(join(directory, 'served'));
    server = run(['serve'], {
      STRONGROOM_DATA_DIR: join(directory, 'data'),
      STRONGROOM_PORT: '0',
      STRONGROOM_MASTER_KEY: randomBytes(32).toString('base64'),
      STRONGROOM_TLS_CERT_FILE: served.certFile,
      STRONGROOM_TLS_KEY_FILE: served.keyFile,
      STRONGROOM_ADMIN_USERNAME: admin.username,
      STRONGROOM_ADMIN_PASSWORD: admin.password,
    });
    address = (await server.waitFor(/listening on (https:\/\/\S+)/))[1] ?? '';
  });
  after(async () => {
    if (server !== undefined) await stop(server);
    rmSync(directory, { recursive: true, force: true });
  });

  test('dev-cert writes a self-signed pair for localhost with a key only its owner can read', () => {
    assert.ok(served !== undefined);
    assert.equal(statSync(served.keyFile).mode & 0o777, 0o600);
    const certificate = new X509Certificate(served.cert);
    assert.match(certificate.subjectAltName ?? '', /DNS:localhost/);
    assert.match(certificate.subjectAltName ?? '', /IP Address:127\.0\.0\.1/);
    assert.ok(certificate.verify(certificate.publicKey), 'self-signed');
  });

  test('dev-cert refuses to overwrite a key that exists', async () => {
    const again = run(['dev-cert', '--output', join(directory, 'served')], {});
    assert.equal(await again.exited, 2);
    assert.match(again.output().stderr, /already exists/);
  });

  test('a client trusting the dev certificate gets real HTTPS answers; without trusting it, none', async () => {
    assert.ok(served !== undefined);
    const ready = await httpsGet(`${address}/strongroom/health/ready`, { ca: served.cert });
    assert.equal(ready.status, 200);
    assert.deepEqual(JSON.parse(ready.body), { Status: 'ready' });
    assert.ok(ready.socket.encrypted);
    await assert.rejects(
      httpsGet(`${address}/strongroom/health/live`, { ca: [] }),
      /self-signed|certificate/i,
    );
    const plain = await fetch(address.replace('https:', 'http:') + '/strongroom/health/live').catch(
      (error: unknown) => error,
    );
    assert.ok(plain instanceof Error, 'plain HTTP on the TLS port must not be answered');
  });

  test('TLS 1.1 and older are refused; 1.2 and 1.3 are accepted', async () => {
    assert.ok(served !== undefined);
    const port = Number(new URL(address).port);
    const handshake = (version: 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3') =>
      new Promise<string>((resolve, reject) => {
        const socket = tlsConnect({
          host: '127.0.0.1',
          port,
          servername: 'localhost',
          ca: served?.cert,
          minVersion: version === 'TLSv1.1' ? 'TLSv1' : version,
          maxVersion: version,
        });
        socket.once('secureConnect', () => {
          const negotiated = socket.getProtocol() ?? '';
          socket.end();
          resolve(negotiated);
        });
        socket.once('error', reject);
      });
    assert.equal(await handshake('TLSv1.2'), 'TLSv1.2');
    assert.equal(await handshake('TLSv1.3'), 'TLSv1.3');
    await assert.rejects(handshake('TLSv1.1'));
  });

  test('request.protocol tells a handler whether its request came over TLS', async () => {
    assert.ok(served !== undefined);
    const refuse = () => Promise.reject(new Error('no authentication in this test'));
    const credentialVerifiers = { basic: refuse, bearer: refuse };
    const probe: RouteRegistrar = (app) =>
      app.get('/probe/protocol', { config: { access: publicAccess } }, async (request) => request.protocol);
    const material = readTlsMaterial(served);
    for (const tls of [material, undefined]) {
      const app = await buildHttpApp({
        logger: false,
        bodyLimitBytes: 1024,
        credentialVerifiers,
        version: 'test',
        registrars: [probe],
        ...(tls === undefined ? {} : { tls }),
      });
      try {
        const address = await app.listen({ host: '127.0.0.1', port: 0 });
        if (tls === undefined) {
          assert.equal(await (await fetch(`${address}/probe/protocol`)).text(), 'http');
        } else {
          const url = `${address.replace(/^http:/, 'https:')}/probe/protocol`;
          assert.equal((await httpsGet(url, { ca: served.cert })).body, 'https');
        }
      } finally {
        await app.close();
      }
    }
  });

  test('SIGHUP serves renewed files to new connections without dropping an open one', async () => {
    assert.ok(served !== undefined && server !== undefined);
    const renewed = await devCert(join(directory, 'renewed'));
    const trustBoth = [served.cert, renewed.cert];
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const first = await httpsGet(`${address}/strongroom/health/live`, { agent, ca: trustBoth });
      assert.equal(first.fingerprint, new X509Certificate(served.cert).fingerprint256);

      copyFileSync(renewed.certFile, served.certFile);
      copyFileSync(renewed.keyFile, served.keyFile);
      server.child.kill('SIGHUP');
      await server.waitFor(/reloaded the TLS certificate/);

      // The open connection is the same socket, still on the certificate it was opened with.
      const again = await httpsGet(`${address}/strongroom/health/live`, { agent, ca: trustBoth });
      assert.equal(again.status, 200);
      assert.equal(again.socket, first.socket);
      assert.equal(again.fingerprint, new X509Certificate(served.cert).fingerprint256);

      const fresh = await httpsGet(`${address}/strongroom/health/live`, { ca: trustBoth });
      assert.equal(fresh.status, 200);
      assert.equal(fresh.fingerprint, new X509Certificate(renewed.cert).fingerprint256);
    } finally {
      agent.destroy();
    }
  });

  test('SIGHUP with unusable files keeps serving the current certificate and says why', async () => {
    assert.ok(served !== undefined && server !== undefined);
    const current = readFileSync(served.certFile);
    writeFileSync(served.keyFile, 'not a key\n');
    server.child.kill('SIGHUP');
    const deadline = Date.now() + 10_000;
    while (!server.output().stderr.includes('TLS reload failed') && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.match(server.output().stderr, /TLS reload failed, still serving the previous certificate/);
    assert.doesNotMatch(server.output().stderr, /not a key/);
    const still = await httpsGet(`${address}/strongroom/health/live`, { ca: current });
    assert.equal(still.status, 200);
    assert.equal(still.fingerprint, new X509Certificate(current).fingerprint256);
  });
});

test('X-Forwarded-Proto and -For are believed from a trusted proxy only', async () => {
  const refuse = () => Promise.reject(new Error('no authentication in this test'));
  const credentialVerifiers = { basic: refuse, bearer: refuse };
  const probe: RouteRegistrar = (app) =>
    app.get('/probe/client', { config: { access: publicAccess } }, async (request) => ({
      protocol: request.protocol,
      ip: request.ip,
    }));
  const forwarded = { 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.9' };
  for (const [trustedProxies, expected] of [
    [[], { protocol: 'http', ip: '127.0.0.1' }],
    [['10.0.0.0/8'], { protocol: 'http', ip: '127.0.0.1' }],
    [['127.0.0.1'], { protocol: 'https', ip: '203.0.113.9' }],
  ] as const) {
    const app = await buildHttpApp({
      logger: false,
      bodyLimitBytes: 1024,
      credentialVerifiers,
      version: 'test',
      registrars: [probe],
      trustedProxies,
    });
    try {
      // inject() speaks from 127.0.0.1.
      const response = await app.inject({ method: 'GET', url: '/probe/client', headers: forwarded });
      assert.deepEqual(response.json(), expected, `trusting ${trustedProxies.join(',') || 'nobody'}`);
    } finally {
      await app.close();
    }
  }
});

describe('plain HTTP off loopback', () => {
  let directory = '';
  before(() => {
    directory = mkdtempSync(join(tmpdir(), 'strongroom-plain-'));
  });
  after(() => rmSync(directory, { recursive: true, force: true }));

  test('is refused at start with a message naming the fix', async () => {
    const refused = run(['serve'], {
      STRONGROOM_DATA_DIR: directory,
      STRONGROOM_HOST: '0.0.0.0',
      STRONGROOM_PORT: '0',
    });
    assert.equal(await refused.exited, 2);
    const { stdout, stderr } = refused.output();
    assert.match(stderr, /STRONGROOM_HOST '0\.0\.0\.0' is reachable from other machines/);
    assert.match(stderr, /STRONGROOM_TLS_CERT_FILE/);
    assert.match(stderr, /STRONGROOM_ALLOW_PLAINTEXT=true/);
    assert.doesNotMatch(stdout, /listening/);
  });

  test('starts with a warning when STRONGROOM_ALLOW_PLAINTEXT=true says a proxy terminates TLS', async () => {
    const allowed = run(['serve'], {
      STRONGROOM_DATA_DIR: directory,
      STRONGROOM_HOST: '0.0.0.0',
      STRONGROOM_PORT: '0',
      STRONGROOM_ALLOW_PLAINTEXT: 'true',
      STRONGROOM_SHUTDOWN_GRACE_SECONDS: '0',
    });
    try {
      const address = (await allowed.waitFor(/listening on (http:\/\/\S+)/))[1] ?? '';
      assert.match(
        allowed.output().stderr,
        /Serving plain HTTP on 0\.0\.0\.0 because STRONGROOM_ALLOW_PLAINTEXT=true/,
      );
      const port = new URL(address).port;
      const live = await fetch(`http://127.0.0.1:${port}/strongroom/health/live`);
      assert.equal(live.status, 200);
      allowed.child.kill('SIGTERM');
      assert.equal(await allowed.exited, 0);
    } finally {
      await stop(allowed);
    }
  });
});

/** Sends a request's head and the first half of its body, and hands back how to finish it. */
function startSlowPost(port: number, path: string, body: string) {
  const socket: Socket = netConnect({ host: '127.0.0.1', port });
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  const half = Math.floor(body.length / 2);
  const connected = new Promise<void>((resolve, reject) => {
    socket.once('connect', () => {
      socket.write(
        `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${adminAuthorization}\r\n` +
          `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, half)}`,
        () => resolve(),
      );
    });
    socket.once('error', reject);
  });
  return {
    connected,
    /** Sends the rest of the body (and any requests pipelined after it); resolves with that many answers. */
    finish(pipelined = '', answers = 1): Promise<string> {
      socket.write(body.slice(half) + pipelined);
      return new Promise((resolve, reject) => {
        const deadline = Date.now() + 20_000;
        const look = () => {
          const complete = received
            .split(/(?=HTTP\/1\.1 \d+)/)
            .filter((answer) => /\r\n\r\n[^]*\S/.test(answer));
          if (complete.length >= answers) resolve(received);
          else if (Date.now() > deadline) reject(new Error(`no answer; got: ${received}`));
          else setTimeout(look, 20);
        };
        look();
      });
    },
    closed,
    destroy: () => socket.destroy(),
  };
}

for (const dialect of testDialects()) {
  describe(`graceful shutdown on SIGTERM [${dialect}]`, () => {
    let database: TestDatabase | undefined;
    before(async () => {
      database = await createTestDatabase(dialect);
    });
    after(async () => {
      await database?.drop();
    });

    test('ready fails at once, new connections are refused after the grace period, the request in flight commits, exit 0', async () => {
      assert.ok(database !== undefined);
      const masterKey = database.masterKey.toString('base64');
      const env = {
        STRONGROOM_DATA_DIR: database.dataDir,
        ...(database.databaseUrl === undefined ? {} : { STRONGROOM_DATABASE_URL: database.databaseUrl }),
        STRONGROOM_MASTER_KEY: masterKey,
        STRONGROOM_PORT: '0',
        STRONGROOM_ADMIN_USERNAME: admin.username,
        STRONGROOM_ADMIN_PASSWORD: admin.password,
        STRONGROOM_SHUTDOWN_GRACE_SECONDS: '2',
      };
      const server = run(['serve'], env);
      const slow = { destroy: () => undefined } as { destroy(): void };
      try {
        const address = (await server.waitFor(/listening on (http:\/\/\S+)/))[1] ?? '';
        const port = Number(new URL(address).port);
        assert.equal((await fetch(`${address}/strongroom/health/ready`)).status, 200);

        const username = `in-flight-${randomBytes(4).toString('hex')}`;
        const body = JSON.stringify({ Username: username, Password: 'a-password-long-enough', Groups: [] });
        const inFlight = startSlowPost(port, '/strongroom/users', body);
        slow.destroy = inFlight.destroy;
        await inFlight.connected;

        const signalledAt = Date.now();
        server.child.kill('SIGTERM');
        await server.waitFor(/not ready from now on/);
        // Within the grace period: still accepting connections, but telling load balancers to go away.
        const ready = await fetch(`${address}/strongroom/health/ready`);
        assert.equal(ready.status, 503);
        assert.deepEqual(await ready.json(), { Status: 'unavailable' });
        assert.ok(Date.now() - signalledAt < 2000, 'the 503 came inside the grace period');

        await server.waitFor(/Closing: new connections are refused/);
        await assert.rejects(fetch(`${address}/strongroom/health/live`), 'a new connection is refused');
        assert.equal(server.child.exitCode, null, 'the process waits for the request in flight');

        const answer = await inFlight.finish();
        assert.match(answer, /^HTTP\/1\.1 200 /);
        assert.match(answer, new RegExp(`"Username":"${username}"`));
        assert.equal(await server.exited, 0);
        assert.ok(Date.now() - signalledAt >= 2000);

        // What the request was answered for is committed, and the audit chain (chained at close) verifies.
        const storage = await createStorage({ databaseUrl: database.databaseUrl, dataDir: database.dataDir });
        try {
          const user = await storage.db
            .selectFrom('users')
            .select('username')
            .where('username', '=', username)
            .executeTakeFirst();
          assert.deepEqual(user, { username });
        } finally {
          await storage.close();
        }
        const verify = run(['audit', 'verify'], env);
        assert.equal(await verify.exited, 0, verify.output().stdout + verify.output().stderr);
      } finally {
        slow.destroy();
        await stop(server);
      }
    });
  });
}

for (const dialect of testDialects()) {
  describe(`closing with keep-alive connections open [${dialect}]`, () => {
    test('a request arriving on an open connection while closing gets a Keyfactor 503 and the connection ends', async () => {
      const database = await createTestDatabase(dialect);
      const server = await createServer({
        config: testConfig(database, { admin }),
        logDestination: new Writable({ write: (_chunk, _encoding, callback) => callback() }),
        warn: () => undefined,
      });
      let closing: Promise<void> | undefined;
      try {
        const address = await server.app.listen({ host: '127.0.0.1', port: 0 });
        const port = Number(new URL(address).port);
        const body = JSON.stringify({
          Username: 'pipelined',
          Password: 'a-password-long-enough',
          Groups: [],
        });
        const inFlight = startSlowPost(port, '/strongroom/users', body);
        await inFlight.connected;
        // Let the server read the head, so the request is in flight when closing starts.
        await new Promise((resolve) => setTimeout(resolve, 200));
        closing = server.close();
        await new Promise((resolve) => setTimeout(resolve, 100));
        // The rest of the body, then a second request pipelined on the same connection.
        const answers = await inFlight.finish(
          'GET /KeyfactorAPI/Status/HealthCheck HTTP/1.1\r\nHost: 127.0.0.1\r\n' +
            `Authorization: ${adminAuthorization}\r\nx-keyfactor-requested-with: APIClient\r\n\r\n`,
          2,
        );
        const [first, second] = answers.split(/(?=HTTP\/1\.1 )/);
        assert.match(first ?? '', /^HTTP\/1\.1 200 /);
        assert.match(second ?? '', /^HTTP\/1\.1 503 /);
        assert.match(second ?? '', /connection: close/i);
        const errorBody = JSON.parse((second ?? '').slice((second ?? '').indexOf('\r\n\r\n') + 4)) as unknown;
        assert.deepEqual(Object.keys(errorBody as object).sort(), ['ErrorCode', 'Message']);
        await inFlight.closed;
        await closing;
      } finally {
        await (closing ?? server.close());
        await database.drop();
      }
    });
  });
}
