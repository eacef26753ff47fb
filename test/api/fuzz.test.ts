import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { describeEachDialect } from '../support/test-server.js';

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
