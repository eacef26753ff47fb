import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { localProviderTypeId } from '../../src/modules/pam-providers/pam-provider-type-builtins.js';
import type { TestServer } from '../support/test-server.js';
import { adminCredentials, basicAuthorization, describeEachDialect } from '../support/test-server.js';

type OpenApiOperation = { requestBody?: unknown; parameters?: { in: string; name: string }[] };
type OpenApiDocument = { paths: Record<string, Record<string, OpenApiOperation>> };

/** Values a client could send where an id, a name or a GUID is expected, picked to break naive parsing. */
const hostilePathValue = fc.oneof(
  fc.constantFrom(
    '0',
    '-1',
    '2147483648',
    '99999999999999999999',
    '1.5',
    'abc',
    '%00',
    '..%2F..',
    '%E0%A4%A',
    ' ',
  ),
  fc.constantFrom('00000000-0000-0000-0000-000000000000', 'not-a-guid', '{}', '[]', 'null', 'true'),
  fc.string({ maxLength: 40 }).map((text) => encodeURIComponent(text) || 'x'),
);

const hostileQuery = fc.oneof(
  fc.constant(''),
  fc
    .record({
      QueryString: fc.oneof(
        fc.string({ maxLength: 60 }),
        fc.constantFrom('Name -eq', '((', 'x -eq "', 'Id -gt 9999999999999'),
      ),
      ReturnLimit: fc.oneof(fc.integer(), fc.string({ maxLength: 5 })),
      PageReturned: fc.oneof(fc.integer(), fc.constant('-')),
      SortField: fc.string({ maxLength: 20 }),
      SortAscending: fc.oneof(fc.integer({ min: -2, max: 3 }), fc.string({ maxLength: 3 })),
    })
    .map(
      (query) =>
        `?${new URLSearchParams(Object.entries(query).map(([key, value]) => [key, String(value)])).toString()}`,
    ),
);

/** Bodies shaped like Keyfactor requests but with wrong types, nulls, huge numbers and nested junk. */
const hostileBody = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.dictionary(
    fc.constantFrom(
      'Id',
      'Name',
      'SecretName',
      'SecretValue',
      'Description',
      'ProviderType',
      'ProviderTypeParamValues',
      'Remote',
      'Permissions',
      'Claims',
      'PermissionSetId',
      'CertStoreId',
      'NewPassword',
      'Properties',
      'Password',
      'ClientMachine',
      'Storepath',
      'CertStoreType',
      'ContainerId',
      'KeystoreIds',
      'Parameters',
      'Provider',
      'PasswordOptions',
      'ShortName',
      'StoreType',
      'Username',
      'Groups',
      'Schedule',
    ),
    fc.oneof(
      fc.jsonValue({ maxDepth: 2 }),
      fc.constantFrom(2147483648, -1, 1e308, '', '********************'),
    ),
    { maxKeys: 6 },
  ),
);

describeEachDialect('hostile input never produces a server error', (server) => {
  test('every route answers random paths, queries and bodies with a status below 500', async () => {
    const document = (await server().request('GET', '/KeyfactorAPI/swagger/openapi.json'))
      .body as OpenApiDocument;
    const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, operation]) => ({
        path,
        method: method.toUpperCase(),
        operation,
      })),
    );
    assert.ok(operations.length > 50, 'the OpenAPI document should list every route');

    for (const { path, method, operation } of operations) {
      await fc.assert(
        fc.asyncProperty(hostilePathValue, hostileQuery, hostileBody, async (pathValue, query, body) => {
          const url = path.replace(/\{[^}]+\}/g, pathValue) + query;
          const response = await server().request(
            method,
            url,
            operation.requestBody === undefined ? {} : { body },
          );
          if (response.status >= 500) {
            assert.fail(
              `${method} ${url} with ${JSON.stringify(body).slice(0, 200)} answered ${response.status}: ${response.text}`,
            );
          }
          // The OAuth token endpoint answers in RFC 6749's shape, which OAuth libraries read, not Keyfactor's.
          if (response.status >= 400 && path === '/strongroom/oauth/token') {
            const description = (response.body as { error_description?: unknown } | undefined)
              ?.error_description;
            assert.equal(typeof description, 'string', `${method} ${url} answered ${response.status}`);
          } else if (response.status >= 400) {
            const message = (response.body as { Message?: unknown } | undefined)?.Message;
            assert.equal(
              typeof message,
              'string',
              `${method} ${url} answered ${response.status} without a Message`,
            );
          }
        }),
        { numRuns: 12, seed: 4242 },
      );
    }
  });
});

interface ErrorResponse {
  ErrorCode: string;
  Message: string;
}

const errorOf = (response: { body: unknown }) => response.body as ErrorResponse;

/** Starts the app on a real port: some failures only show over a socket, never through inject. */
async function listenOnRealPort(app: TestServer['server']['app']): Promise<{ port: number }> {
  if (app.server.listening) return { port: (app.server.address() as AddressInfo).port };
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { port: (app.server.address() as AddressInfo).port };
}

/** Sends raw bytes and reads everything until the server closes the connection. */
function rawExchange(port: number, request: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' });
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const [head = '', body = ''] = text.split('\r\n\r\n', 2);
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]);
      resolve({ status, body: JSON.parse(body) as unknown });
    });
    socket.write(request);
  });
}

const deeply = (depth: number, open: string, close: string, leaf = '1') =>
  `${open.repeat(depth)}${leaf}${close.repeat(depth)}`;

describeEachDialect('hostile input found by hand stays fixed', (server) => {
  const userCount = async () =>
    ((await server().request('GET', '/strongroom/users')).body as unknown[]).length;

  test('a body nested 5,000 levels deep is a 400 on every route shape, never a 500', async () => {
    const bodies = [
      deeply(5000, '[', ']'),
      deeply(5000, '{"a":', '}'),
      `{"Username":"deep","Password":"long-enough-password","Groups":${deeply(5000, '[', ']', '"g"')}}`,
    ];
    const before = await userCount();
    for (const rawBody of bodies) {
      for (const [method, url] of [
        ['POST', '/strongroom/users'],
        ['DELETE', '/KeyfactorAPI/PamProviders/1'],
        ['PUT', '/KeyfactorAPI/CertificateStores/Password'],
      ] as const) {
        const response = await server().request(method, url, { rawBody });
        assert.equal(response.status, 400, `${method} ${url}: ${response.text.slice(0, 200)}`);
        assert.match(errorOf(response).Message, /nested more than 64 levels deep/);
      }
    }
    assert.equal(await userCount(), before);
  });

  test('a body nested as deep as the limit allows is still read', async () => {
    const response = await server().request('POST', '/strongroom/users', {
      rawBody: `{"Username":"nested-ok","Password":"long-enough-password","Extra":${deeply(63, '[', ']')}}`,
    });
    assert.equal(response.status, 200, response.text);
  });

  test('the same property twice in different case is a 400 naming it, and nothing is stored', async () => {
    const response = await server().request('POST', '/strongroom/users', {
      rawBody: '{"Username":"twice","username":"other","Password":"long-enough-password"}',
    });
    assert.equal(response.status, 400);
    assert.equal(
      errorOf(response).Message,
      "The property 'Username' is given more than once, in different case",
    );
    assert.equal((await server().request('GET', '/strongroom/users/twice')).status, 404);
    assert.equal((await server().request('GET', '/strongroom/users/other')).status, 404);
    const nested = await server().request('POST', '/KeyfactorAPI/PamProviders', {
      rawBody: '{"Name":"dup","ProviderType":{"Id":"x","id":"y"}}',
    });
    assert.equal(nested.status, 400);
    assert.match(errorOf(nested).Message, /'Id' is given more than once/);
  });

  test('Content-Type: application/json with an empty body is no body', async () => {
    const emptyDelete = await server().request('DELETE', '/KeyfactorAPI/PamProviders/987654', {
      rawBody: '',
    });
    assert.equal(emptyDelete.status, 404, emptyDelete.text);
    const nullDelete = await server().request('DELETE', '/KeyfactorAPI/PamProviders/987654', { body: null });
    assert.equal(nullDelete.status, 404, nullDelete.text);

    const provider = await server().request('POST', '/KeyfactorAPI/PamProviders', {
      body: { Name: 'empty-body-local', ProviderType: { Id: localProviderTypeId } },
    });
    assert.equal(provider.status, 200, provider.text);
    const entries = `/KeyfactorAPI/PamProviders/Local/${(provider.body as { Id: number }).Id}/Entries`;
    const created = await server().request('POST', entries, {
      body: { SecretName: 'empty-body', SecretValue: 'value-for-empty-body' },
    });
    assert.equal(created.status, 200, created.text);
    const deleted = await server().request('DELETE', `${entries}?secretName=empty-body`, { rawBody: '' });
    assert.equal(deleted.status, 204, deleted.text);
    const deletedWithNull = await server().request('DELETE', `${entries}?secretName=empty-body`, {
      body: null,
    });
    assert.equal(deletedWithNull.status, 404, deletedWithNull.text);
  });

  test('a route that needs a body and gets none says the body is required', async () => {
    const before = await userCount();
    for (const options of [{ rawBody: '' }, { rawBody: '  \r\n' }, {}]) {
      const response = await server().request('POST', '/strongroom/users', options);
      assert.equal(response.status, 400, response.text);
      assert.equal(errorOf(response).Message, 'The request body is required');
    }
    const password = await server().request('PUT', '/KeyfactorAPI/CertificateStores/Password', {
      rawBody: '',
    });
    assert.equal(password.status, 400);
    assert.equal(errorOf(password).Message, 'The request body is required');
    assert.equal(await userCount(), before);
  });

  test("a body over the limit reaches Node's fetch as a 413 in the Keyfactor shape", async () => {
    const { port } = await listenOnRealPort(server().server.app);
    const before = await userCount();
    for (const size of [2 * 1024 * 1024, 6 * 1024 * 1024]) {
      const response = await fetch(`http://127.0.0.1:${port}/strongroom/users`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: basicAuthorization(adminCredentials),
        },
        body: JSON.stringify({ Username: 'huge', Password: 'x'.repeat(size) }),
      });
      assert.equal(response.status, 413);
      const body = (await response.json()) as ErrorResponse;
      assert.deepEqual(Object.keys(body).sort(), ['ErrorCode', 'Message']);
      assert.equal(body.Message, 'The request body is larger than this server accepts');
    }
    assert.equal(await userCount(), before);
  });

  test('headers too large and bytes that are not HTTP are answered in the Keyfactor shape', async () => {
    const { port } = await listenOnRealPort(server().server.app);
    const huge = await rawExchange(
      port,
      `GET /strongroom/users HTTP/1.1\r\nHost: x\r\nX-Padding: ${'p'.repeat(64 * 1024)}\r\n\r\n`,
    );
    assert.equal(huge.status, 431);
    assert.deepEqual(Object.keys(huge.body as object).sort(), ['ErrorCode', 'Message']);
    assert.equal(
      (huge.body as ErrorResponse).Message,
      'The request headers are larger than this server accepts',
    );

    const garbage = await rawExchange(port, 'NOT HTTP AT ALL\r\n\r\n');
    assert.equal(garbage.status, 400);
    assert.deepEqual(Object.keys(garbage.body as object).sort(), ['ErrorCode', 'Message']);
  });
});
