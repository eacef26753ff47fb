import assert from 'node:assert/strict';
import type { AddressInfo, Socket } from 'node:net';
import { connect, createServer as createTcpServer } from 'node:net';
import type { Server as TcpServer } from 'node:net';
import { test } from 'node:test';
import { createServer } from '../../src/startup/server.js';
import type { Server } from '../../src/startup/server.js';
import {
  adminCredentials,
  basicAuthorization,
  createTestDatabase,
  testConfig,
  testDialects,
} from '../support/test-server.js';

/**
 * A TCP relay between the server and PostgreSQL that the test can cut and mend, so the database goes away
 * and comes back under a running server exactly as a restart or a failover looks from the server's side:
 * connections in use break, new ones are refused.
 */
interface DatabaseLink {
  readonly port: number;
  cut(): Promise<void>;
  mend(): Promise<void>;
  close(): Promise<void>;
}

async function openDatabaseLink(targetHost: string, targetPort: number): Promise<DatabaseLink> {
  const sockets = new Set<Socket>();
  let listener: TcpServer | undefined;
  let port = 0;

  const listen = () =>
    new Promise<void>((resolveListen, reject) => {
      const server = createTcpServer((incoming) => {
        const outgoing = connect(targetPort, targetHost);
        for (const socket of [incoming, outgoing]) {
          sockets.add(socket);
          socket.on('close', () => sockets.delete(socket));
          socket.on('error', () => {
            incoming.destroy();
            outgoing.destroy();
          });
        }
        incoming.pipe(outgoing).pipe(incoming);
      });
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        port = (server.address() as AddressInfo).port;
        listener = server;
        resolveListen();
      });
    });

  const cut = async () => {
    const server = listener;
    listener = undefined;
    for (const socket of sockets) socket.destroy();
    if (server !== undefined) await new Promise<void>((resolveClose) => server.close(() => resolveClose()));
  };

  await listen();
  return {
    get port() {
      return port;
    },
    cut,
    mend: listen,
    close: cut,
  };
}

const headers = {
  'x-keyfactor-requested-with': 'APIClient',
  authorization: basicAuthorization(adminCredentials),
};

async function call(server: Server, method: 'GET' | 'POST', url: string, body?: unknown) {
  const response = await server.app.inject({
    method,
    url,
    headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
  });
  return { status: response.statusCode, headers: response.headers, body: response.body };
}

test(
  'while PostgreSQL is away every request is a 503 with a Keyfactor error body, and service resumes by itself',
  { skip: !testDialects().includes('postgres') && 'STRONGROOM_TEST_DATABASE_URL is not set' },
  async () => {
    const database = await createTestDatabase('postgres');
    const direct = new URL(database.databaseUrl ?? '');
    const link = await openDatabaseLink(direct.hostname, Number(direct.port || 5432));
    const relayed = new URL(direct);
    relayed.hostname = '127.0.0.1';
    relayed.port = String(link.port);
    const server = await createServer({
      config: testConfig(database, { databaseUrl: relayed.toString(), logLevel: 'silent' }),
      warn: () => undefined,
    });
    try {
      const before = await call(server, 'POST', '/strongroom/users', {
        Username: 'before-outage',
        Password: 'long-enough-password',
      });
      assert.equal(before.status, 200, before.body);

      await link.cut();
      // Reads, writes and the health check: the pool's connections are broken, and new ones are refused.
      for (const [method, url, body] of [
        ['GET', '/strongroom/users', undefined],
        ['POST', '/strongroom/users', { Username: 'during-outage', Password: 'long-enough-password' }],
        ['GET', '/KeyfactorAPI/Status/HealthCheck', undefined],
      ] as const) {
        const during = await call(server, method, url, body);
        assert.equal(during.status, 503, `${method} ${url}: ${during.body}`);
        assert.equal(during.headers['content-type'], 'application/json; charset=utf-8');
        const error = JSON.parse(during.body) as { ErrorCode: string; Message: string };
        assert.equal(error.ErrorCode, '0xA0110009');
        assert.equal(typeof error.Message, 'string');
        // The driver's own words (host, port, "ECONNREFUSED") are not the caller's business.
        assert.doesNotMatch(error.Message, /ECONN|127\.0\.0\.1|terminated|connect /i);
      }
      const refused = await call(server, 'GET', '/strongroom/users');
      assert.equal(refused.headers['retry-after'], '2');

      await link.mend();
      const after = await call(server, 'GET', '/strongroom/users');
      assert.equal(after.status, 200, after.body);
      const usernames = (JSON.parse(after.body) as { Username: string }[]).map((user) => user.Username);
      assert.ok(usernames.includes('before-outage'));
      assert.ok(!usernames.includes('during-outage'), 'a write answered 503 changed nothing');
      const written = await call(server, 'POST', '/strongroom/users', {
        Username: 'after-outage',
        Password: 'long-enough-password',
      });
      assert.equal(written.status, 200, written.body);
    } finally {
      await server.close();
      await link.close();
      await database.drop();
    }
  },
);
