import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { buildHttpApp } from '../../src/http/app.js';
import { createServer } from '../../src/startup/server.js';
import { assertKeyfactorShape } from '../support/keyfactor-openapi.js';
import type { TestServer } from '../support/test-server.js';
import {
  adminCredentials,
  createTestDatabase,
  describeEachDialect,
  startTestServer,
  testConfig,
  testDialects,
} from '../support/test-server.js';

type ErrorResponse = { ErrorCode: string; Message: string };

describeEachDialect('Keyfactor API conventions', (server) => {
  test('the health check answers 204 with no body when the database is reachable', async () => {
    const response = await server().request('GET', '/KeyfactorAPI/Status/HealthCheck');
    assert.equal(response.status, 204);
    assert.equal(response.text, '');
  });

  test('the base path and route segments match without regard to case', async () => {
    const response = await server().request('GET', '/keyfactorapi/status/HEALTHCHECK');
    assert.equal(response.status, 204);
  });

  test('x-keyfactor-requested-with is required on every Keyfactor API call', async () => {
    const response = await server().request('GET', '/KeyfactorAPI/Status/HealthCheck', {
      headers: { 'x-keyfactor-requested-with': '' },
    });
    assert.equal(response.status, 400);
    assert.match((response.body as ErrorResponse).Message, /x-keyfactor-requested-with/);
  });

  test('an API version this server does not serve is a 400 that names the header', async () => {
    const response = await server().request('GET', '/KeyfactorAPI/Status/HealthCheck', {
      headers: { 'x-keyfactor-api-version': '3' },
    });
    assert.equal(response.status, 400);
    assert.match((response.body as ErrorResponse).Message, /x-keyfactor-api-version/);
  });

  test('a query escaped into the path, as the Keyfactor Go client sends it, is still understood', async () => {
    const response = await server().request('GET', '/KeyfactorAPI/Status/HealthCheck%3FReturnLimit=10');
    assert.equal(response.status, 204);
  });

  test('an unknown endpoint is a 404 in the Keyfactor error shape', async () => {
    const response = await server().request('GET', '/KeyfactorAPI/NoSuchThing');
    assert.equal(response.status, 404);
    const body = response.body as ErrorResponse;
    assert.equal(typeof body.Message, 'string');
    assert.match(body.ErrorCode, /^0x[0-9A-F]{8}$/);
  });

  test('a NUL character anywhere in the input is a 400 on every database, never a 500', async () => {
    const inPath = await server().request('GET', '/strongroom/users/a%00b');
    assert.equal(inPath.status, 400);
    assert.match((inPath.body as ErrorResponse).Message, /NUL character/);
    const inQuery = await server().request(
      'GET',
      '/KeyfactorAPI/Security/Roles?QueryString=Name%20-eq%20%22a%00%22',
    );
    assert.equal(inQuery.status, 400);
    const inBody = await server().request('POST', '/strongroom/users', {
      body: { Username: 'nul', Password: 'long-enough\u0000password' },
    });
    assert.equal(inBody.status, 400);
    assert.ok(!inBody.text.includes('long-enough'));
  });

  test('a malformed percent-escape in the URL is a 400 in the Keyfactor error shape', async () => {
    const response = await server().request('GET', '/KeyfactorAPI/PamProviders/%E0%A4%A');
    assert.equal(response.status, 400);
    assert.deepEqual(Object.keys(response.body as object).sort(), ['ErrorCode', 'Message']);
  });

  test('malformed JSON is a 400 with a Message, never a 500', async () => {
    const response = await server().request('POST', '/strongroom/users', { rawBody: '{"Username": "x", ' });
    assert.equal(response.status, 400);
    assert.equal((response.body as ErrorResponse).Message, 'The request body is not valid JSON');
  });

  test('a body that is not JSON is refused with 415', async () => {
    const response = await server().request('POST', '/strongroom/users', {
      rawBody: 'Username=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(response.status, 415);
  });

  test('a body over the size limit is refused with 413 and changes nothing', async () => {
    const response = await server().request('POST', '/strongroom/users', {
      body: { Username: 'huge', Password: 'x'.repeat(2 * 1024 * 1024) },
    });
    assert.equal(response.status, 413);
    assert.equal((await server().request('GET', '/strongroom/users/huge')).status, 404);
  });

  test('wrong types, over-long strings and missing fields are 400s that name the field', async () => {
    const cases: { body: unknown; field: RegExp }[] = [
      {
        body: { Username: 42, Password: 'long-enough-password' },
        field: /'Username' must be of type string/,
      },
      {
        body: { Username: 'u'.repeat(129), Password: 'long-enough-password' },
        field: /'Username' must be at most 128/,
      },
      { body: { Password: 'long-enough-password' }, field: /'Username' is required/ },
      { body: { Username: 'kim', Password: 'long-enough-password', Groups: 'admins' }, field: /'Groups'/ },
      { body: [1, 2, 3], field: /request body must be of type object/ },
    ];
    for (const { body, field } of cases) {
      const response = await server().request('POST', '/strongroom/users', { body });
      assert.equal(response.status, 400, JSON.stringify(body).slice(0, 80));
      assert.match((response.body as ErrorResponse).Message, field);
    }
    assert.equal((await server().request('GET', '/strongroom/users/kim')).status, 404);
  });

  test('input property names match without regard to case and unknown properties are ignored', async () => {
    const response = await server().request('POST', '/strongroom/users', {
      body: { USERNAME: 'leo', password: 'long-enough-password', groups: ['g'], Favourite: 'ignored' },
    });
    assert.equal(response.status, 200);
    assert.deepEqual(Object.keys(response.body as object).sort(), [
      'CreatedAt',
      'Groups',
      'Id',
      'UpdatedAt',
      'Username',
    ]);
  });

  test('Status/Endpoints lists the Keyfactor endpoints this server serves', async () => {
    const response = await server().request('GET', '/KeyfactorAPI/Status/Endpoints');
    assert.equal(response.status, 200);
    assert.ok((response.body as string[]).includes('GET /KeyfactorAPI/Status/HealthCheck'));
  });

  test('the OpenAPI document is generated from the route schemas and the reference page is served', async () => {
    const document = await server().request('GET', '/KeyfactorAPI/swagger/openapi.json', { as: null });
    assert.equal(document.status, 200);
    const paths = Object.keys((document.body as { paths: Record<string, unknown> }).paths);
    assert.ok(paths.includes('/KeyfactorAPI/Status/HealthCheck'));
    assert.ok(paths.includes('/strongroom/users'));
    type Operation = { parameters?: { in: string; name: string; required?: boolean }[] };
    const healthCheck = (document.body as { paths: Record<string, { get: Operation }> }).paths[
      '/KeyfactorAPI/Status/HealthCheck'
    ]?.get;
    const requestedWith = healthCheck?.parameters?.find(
      (parameter) => parameter.name === 'x-keyfactor-requested-with',
    );
    assert.deepEqual([requestedWith?.in, requestedWith?.required], ['header', true]);
    const page = await server().request('GET', '/KeyfactorAPI/swagger/', { as: null });
    assert.equal(page.status, 200);
    assert.match(page.text, /swagger/i);
  });
});

describeEachDialect('authentication', (server) => {
  const unknownUser = { username: 'nobody', password: 'whatever-password' };
  const wrongPassword = { username: adminCredentials.username, password: 'not-the-password' };

  test('no credentials, an unknown user and a wrong password get the same 401 with WWW-Authenticate', async () => {
    const responses = await Promise.all([
      server().request('GET', '/KeyfactorAPI/Status/HealthCheck', { as: null }),
      server().request('GET', '/KeyfactorAPI/Status/HealthCheck', { as: unknownUser }),
      server().request('GET', '/KeyfactorAPI/Status/HealthCheck', { as: wrongPassword }),
    ]);
    for (const response of responses) {
      assert.equal(response.status, 401);
      assert.equal(response.headers['www-authenticate'], 'Basic realm="Strongroom"');
    }
    assert.deepEqual(responses[1]?.body, responses[2]?.body);
  });

  test('a malformed Authorization header and a Bearer token are 401s, not 500s', async () => {
    for (const authorization of [
      'Basic !!!not-base64',
      'Basic ' + Buffer.from('no-colon').toString('base64'),
      'Bearer abc',
      'Digest x',
    ]) {
      const response = await server().request('GET', '/KeyfactorAPI/Status/HealthCheck', {
        as: null,
        headers: { authorization },
      });
      assert.equal(response.status, 401, authorization);
    }
  });

  test('a DOMAIN\\user name signs in as the local user', async () => {
    const response = await server().request('GET', '/KeyfactorAPI/Status/HealthCheck', {
      as: { username: `CORP\\${adminCredentials.username}`, password: adminCredentials.password },
    });
    assert.equal(response.status, 204);
  });

  test('repeated failures lock the account for a while, even against the right password', async () => {
    const victim = await server().createUser('mallory-target', ['/security/read/']);
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const response = await server().request('GET', '/strongroom/users', {
        as: { username: victim.username, password: 'guess-' + String(attempt) },
      });
      assert.equal(response.status, 401);
    }
    const locked = await server().request('GET', '/strongroom/users', { as: victim });
    assert.equal(locked.status, 401);
  });

  test('every answered request is one access-log line naming method, URL, status, time and caller', async () => {
    await server().request('GET', '/KeyfactorAPI/Status/HealthCheck?probe=access-line');
    const line = server()
      .logs()
      .split('\n')
      .filter((text) => text.includes('probe=access-line'))
      .map((text) => JSON.parse(text) as Record<string, unknown>);
    assert.equal(line.length, 1);
    assert.equal(line[0]?.msg, 'request completed');
    assert.equal(line[0]?.method, 'GET');
    assert.equal(line[0]?.url, '/KeyfactorAPI/Status/HealthCheck?probe=access-line');
    assert.equal(line[0]?.statusCode, 204);
    assert.equal(line[0]?.user, 'admin');
    assert.equal(typeof line[0]?.responseTime, 'number');
  });

  test('the Authorization header and passwords never reach the log', async () => {
    const password = `canary-${randomBytes(8).toString('hex')}`;
    await server().request('POST', '/strongroom/users', { body: { Username: 'nina', Password: password } });
    await server().request('GET', '/strongroom/users', { as: { username: 'nina', password } });
    const logs = server().logs();
    assert.ok(logs.length > 0);
    assert.ok(!logs.includes(password));
    assert.ok(!logs.includes(Buffer.from(`nina:${password}`).toString('base64')));
  });
});

for (const dialect of testDialects()) {
  describe(`start-up and bootstrap [${dialect}]`, () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer(dialect);
    });
    after(async () => {
      await server.close();
    });

    test('the first start creates the configured administrator, who holds every permission', async () => {
      assert.equal(server.server.bootstrap?.username, adminCredentials.username);
      assert.equal(server.server.bootstrap?.generatedPassword, undefined);
      const response = await server.request('GET', '/strongroom/users');
      assert.equal(response.status, 200);
    });

    test('a restart keeps users and does not bootstrap again', async () => {
      await server.request('POST', '/strongroom/users', {
        body: { Username: 'olga', Password: 'long-enough-password' },
      });
      await server.restart();
      assert.equal(server.server.bootstrap, undefined);
      const olga = await server.request('GET', '/KeyfactorAPI/Status/HealthCheck', {
        as: { username: 'olga', password: 'long-enough-password' },
      });
      assert.equal(olga.status, 204);
    });

    test('starting with the wrong master key is refused with a clear message', async () => {
      await server.server.close();
      await assert.rejects(
        createServer({
          config: testConfig(server.database, { masterKey: { source: 'env', key: randomBytes(32) } }),
        }),
        /master key does not match this database/,
      );
      await server.restart();
      assert.equal((await server.request('GET', '/KeyfactorAPI/Status/HealthCheck')).status, 204);
    });
  });

  test(`without configured credentials the administrator gets a generated password that works [${dialect}]`, async () => {
    const database = await createTestDatabase(dialect);
    const server = await createServer({
      config: testConfig(database, { admin: undefined }),
      warn: () => undefined,
    });
    try {
      const generated = server.bootstrap?.generatedPassword;
      assert.ok(generated !== undefined && generated.length >= 20);
      const response = await server.app.inject({
        method: 'GET',
        url: '/KeyfactorAPI/Status/HealthCheck',
        headers: {
          'x-keyfactor-requested-with': 'APIClient',
          authorization: `Basic ${Buffer.from(`admin:${generated}`).toString('base64')}`,
        },
      });
      assert.equal(response.statusCode, 204);
    } finally {
      await server.close();
      await database.drop();
    }
  });
}

test('the server refuses to start when a route declares no access rule', async () => {
  const unused = () => Promise.reject(new Error('unused'));
  await assert.rejects(
    buildHttpApp({
      logger: false,
      bodyLimitBytes: 1024,
      credentialVerifiers: { basic: unused, bearer: unused },
      version: 'test',
      registrars: [(app) => app.get('/strongroom/unguarded', async () => 'open')],
    }),
    /declares no access rule/,
  );
});

test('the published Keyfactor OpenAPI documents load and flag a field Keyfactor does not declare', () => {
  const entry = { ProviderId: 1, SecretName: 'db', Description: null };
  assertKeyfactorShape(1, 'GET', '/PamProviders/Local/{providerId}/Entries', [entry]);
  assert.throws(
    () =>
      assertKeyfactorShape(1, 'GET', '/PamProviders/Local/{providerId}/Entries', [
        { ...entry, SecretValue: 'x' },
      ]),
    /SecretValue is not a property Keyfactor declares/,
  );
  assert.throws(
    () =>
      assertKeyfactorShape(1, 'GET', '/PamProviders/Local/{providerId}/Entries', [
        { ...entry, ProviderId: '1' },
      ]),
    /ProviderId is string but Keyfactor declares integer/,
  );
});
