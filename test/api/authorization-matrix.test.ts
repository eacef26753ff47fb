import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { globalPermissionSetId } from '../../src/modules/security/admin-bootstrap.js';
import { localProviderTypeId } from '../../src/modules/pam-providers/pam-provider-type-builtins.js';
import type { Database } from '../../src/storage/database-schema.js';
import type { MatrixFixtures, MatrixRow, PreparedRequest, Presented } from '../support/route-matrix.js';
import { routeMatrix } from '../support/route-matrix.js';
import type { ApiResponse, Credentials, TestServer } from '../support/test-server.js';
import { describeEachDialect } from '../support/test-server.js';
import type { TestIdentityProvider } from '../support/test-identity-provider.js';
import { startTestIdentityProvider } from '../support/test-identity-provider.js';

type OpenApiDocument = { paths: Record<string, Record<string, unknown>> };

/** Domain tables a denied request must leave as they were; the audit log may grow (denials are audited). */
const domainTables = [
  'roles',
  'role_permissions',
  'security_claims',
  'role_claim_links',
  'permission_sets',
  'permission_set_permissions',
  'pam_provider_types',
  'pam_provider_type_params',
  'pam_providers',
  'pam_provider_param_values',
  'local_entries',
  'local_entry_versions',
  'certificate_store_types',
  'certificate_store_containers',
  'certificate_stores',
  'certificate_store_secrets',
  'oauth_clients',
  'oauth_signing_keys',
  'identity_providers',
  'portal_sessions',
] as const satisfies readonly (keyof Database)[];

async function domainSnapshot(server: TestServer): Promise<string> {
  const db = server.server.storage.db;
  const tables = await Promise.all(domainTables.map((table) => db.selectFrom(table).selectAll().execute()));
  // A failed sign-in counts against the account, which is not a change the caller made to the domain.
  const users = await db
    .selectFrom('users')
    .select(['id', 'username', 'password_hash', 'groups_json'])
    .execute();
  const canonical = (rows: unknown[]) => rows.map((row) => JSON.stringify(row)).sort();
  return JSON.stringify([...tables.map(canonical), canonical(users)]);
}

function createFixtures(
  server: TestServer,
  marker: string,
  other: { providerId: number; containerId: number },
  idp: TestIdentityProvider,
): MatrixFixtures {
  let counter = 0;
  const unique = (prefix: string) => `${prefix}-${marker}-${(counter += 1)}`;
  async function send(method: string, url: string, body?: unknown, apiVersion?: 1 | 2): Promise<ApiResponse> {
    const response = await server.request(method, url, {
      ...(body === undefined ? {} : { body }),
      ...(apiVersion === undefined ? {} : { apiVersion }),
    });
    assert.ok(response.status < 300, `fixture ${method} ${url} failed: ${response.status} ${response.text}`);
    return response;
  }
  const idOf = (response: ApiResponse) => (response.body as { Id: number }).Id;
  return {
    marker,
    otherProviderId: other.providerId,
    otherContainerId: other.containerId,
    unique,
    provider: async () =>
      idOf(
        await send('POST', '/KeyfactorAPI/PamProviders', {
          Name: unique('provider'),
          ProviderType: { Id: localProviderTypeId },
        }),
      ),
    async entry(providerId, versions = 1) {
      const name = unique('entry');
      const path = `/KeyfactorAPI/PamProviders/Local/${providerId}/Entries`;
      await send('POST', path, { SecretName: name, SecretValue: `value-${marker}` });
      for (let version = 2; version <= versions; version += 1) {
        await send('PUT', path, { SecretName: name, SecretValue: `value-${version}-${marker}` });
      }
      return name;
    },
    container: async (storeType = 0) =>
      idOf(
        await send('POST', '/KeyfactorAPI/CertificateStoreContainers', {
          Name: unique('container'),
          CertStoreType: storeType,
        }),
      ),
    async store(containerId, storeType = 0) {
      const response = await send('POST', '/KeyfactorAPI/CertificateStores', {
        ClientMachine: unique('host'),
        Storepath: '/opt/matrix.jks',
        CertStoreType: storeType,
        ContainerId: containerId,
        Password: { Value: `password-${marker}` },
        ...(storeType === 0
          ? {}
          : { Properties: JSON.stringify({ ServerPassword: { value: { SecretValue: `p-${marker}` } } }) }),
      });
      return (response.body as { Id: string }).Id;
    },
    async storeType() {
      const name = unique('st');
      const response = await send('POST', '/KeyfactorAPI/CertificateStoreTypes', {
        Name: name,
        ShortName: name.slice(-20),
        Properties: [
          { Name: 'ServerPassword', DisplayName: 'Server Password', Type: 'Secret', Required: false },
        ],
      });
      return (response.body as { StoreType: number }).StoreType;
    },
    providerType: async () =>
      (
        (await send('POST', '/KeyfactorAPI/PamProviders/Types', { Name: unique('type'), Parameters: [] }))
          .body as { Id: string }
      ).Id,
    role: async () =>
      idOf(
        await send(
          'POST',
          '/KeyfactorAPI/Security/Roles',
          {
            Name: unique('role'),
            Description: '',
            PermissionSetId: globalPermissionSetId,
            Permissions: [],
            Claims: [],
          },
          2,
        ),
      ),
    claim: async () =>
      idOf(
        await send('POST', '/KeyfactorAPI/Security/Claims', {
          ClaimType: 'OAuthRole',
          ClaimValue: unique('claim'),
          ProviderAuthenticationScheme: 'Bearer',
          Description: '',
        }),
      ),
    identity: async () =>
      idOf(await send('POST', '/KeyfactorAPI/Security/Identities', { AccountName: unique('identity') })),
    async user() {
      const name = unique('user');
      await send('POST', '/strongroom/users', { Username: name, Password: 'matrix-password-1', Groups: [] });
      return name;
    },
    async oauthClient() {
      const response = await send('POST', '/strongroom/oauth/clients', { ClientId: unique('client') });
      const { ClientId, ClientSecret } = response.body as { ClientId: string; ClientSecret: string };
      return { clientId: ClientId, clientSecret: ClientSecret };
    },
    identityProviderBody: (scheme) => ({
      AuthenticationScheme: scheme,
      DisplayName: scheme,
      ProviderType: 'Generic',
      Parameters: [
        { Name: 'Authority', Value: idp.issuer },
        { Name: 'Audience', Value: idp.audience },
      ],
    }),
    async identityProvider() {
      const scheme = unique('idp');
      const response = await send(
        'POST',
        '/KeyfactorAPI/Identity/Providers',
        this.identityProviderBody(scheme),
      );
      return { id: (response.body as { Id: string }).Id, scheme };
    },
    async sessionCookie(credentials) {
      const response = await server.request('POST', '/strongroom/session', {
        as: null,
        body: { Username: credentials.username, Password: credentials.password },
      });
      assert.equal(response.status, 200, `fixture sign-in failed: ${response.text}`);
      const setCookie = String(response.headers['set-cookie']);
      return setCookie.slice(0, setCookie.indexOf(';'));
    },
    async retirableKeyVersion() {
      const status = await send('GET', '/strongroom/keys');
      const replaced = (status.body as { ActiveKeyVersion: number }).ActiveKeyVersion;
      await send('POST', '/strongroom/keys/rotate');
      await send('POST', '/strongroom/keys/rewrap');
      return replaced;
    },
    permissionSet: async () =>
      (
        (await send('POST', '/KeyfactorAPI/PermissionSets', { Name: unique('set'), Permissions: ['/pam/'] }))
          .body as { Id: string }
      ).Id,
  };
}

type CallerName =
  'no credentials' | 'wrong password' | 'no permission' | 'other object' | 'this object' | 'global';

describeEachDialect('authorization matrix', (server) => {
  let fixtures: MatrixFixtures;
  const callers = new Map<CallerName, { credentials: Credentials | null; roleId?: number }>();

  async function roleIdOf(username: string): Promise<number> {
    const response = await server().request(
      'GET',
      `/KeyfactorAPI/Security/Roles?QueryString=${encodeURIComponent(`Name -eq "role-for-${username}"`)}`,
      { apiVersion: 2 },
    );
    const [role] = response.body as { Id: number }[];
    assert.ok(role !== undefined);
    return role.Id;
  }

  async function grant(caller: CallerName, permissions: readonly string[]): Promise<void> {
    const entry = callers.get(caller);
    if (entry?.roleId === undefined || entry.credentials === null) return;
    const response = await server().request('PUT', '/KeyfactorAPI/Security/Roles', {
      apiVersion: 2,
      body: {
        Id: entry.roleId,
        Name: `role-for-${entry.credentials.username}`,
        Description: 'matrix caller',
        PermissionSetId: globalPermissionSetId,
        Permissions: permissions,
        Claims: [
          {
            ClaimType: 'User',
            ClaimValue: entry.credentials.username,
            ProviderAuthenticationScheme: 'Basic',
            Description: '',
          },
        ],
      },
    });
    assert.equal(response.status, 200, response.text);
  }

  let idp: TestIdentityProvider;
  before(async () => {
    idp = await startTestIdentityProvider();
    const marker = `mx${randomBytes(5).toString('hex')}`;
    // The "other object" caller's provider and container carry no marker: they may appear in its lists.
    const provider = await server().request('POST', '/KeyfactorAPI/PamProviders', {
      body: { Name: 'matrix-other-provider', ProviderType: { Id: localProviderTypeId } },
    });
    const container = await server().request('POST', '/KeyfactorAPI/CertificateStoreContainers', {
      body: { Name: 'matrix-other-container' },
    });
    fixtures = createFixtures(
      server(),
      marker,
      {
        providerId: (provider.body as { Id: number }).Id,
        containerId: (container.body as { Id: number }).Id,
      },
      idp,
    );
    callers.set('no credentials', { credentials: null });
    const wrong = await server().createUser('matrix-wrong', ['/']);
    callers.set('wrong password', {
      credentials: { username: wrong.username, password: 'not-the-password' },
    });
    for (const [caller, username] of [
      ['no permission', 'matrix-none'],
      ['other object', 'matrix-other'],
      ['this object', 'matrix-this'],
      ['global', 'matrix-global'],
    ] as const) {
      const credentials = await server().createUser(username, []);
      callers.set(caller, { credentials, roleId: await roleIdOf(username) });
    }
  });

  after(async () => {
    await idp.close();
  });

  test('every route the OpenAPI document lists has exactly one matrix row, and every row a route', async () => {
    const document = (await server().request('GET', '/KeyfactorAPI/swagger/openapi.json'))
      .body as OpenApiDocument;
    const served = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
    );
    const rows = routeMatrix.map((row) => `${row.method} ${row.path}`);
    const missing = served.filter((route) => !rows.includes(route));
    assert.deepEqual(missing, [], 'routes without a row in test/support/route-matrix.ts');
    assert.deepEqual(
      rows.filter((route) => !served.includes(route)),
      [],
      'rows for routes that are not served',
    );
    assert.equal(new Set(rows).size, rows.length, 'one row per route');
  });

  /** Marker-bearing words in the answer that the caller did not send itself. */
  function leakedWords(response: ApiResponse, request: PreparedRequest): string[] {
    const sent = [
      decodeURIComponent(request.url),
      JSON.stringify(request.body ?? null),
      request.rawBody ?? '',
      JSON.stringify(request.headers ?? {}),
    ].join(' ');
    const words =
      response.text.match(new RegExp(`[A-Za-z0-9._-]*${fixtures.marker}[A-Za-z0-9._-]*`, 'g')) ?? [];
    return words.filter((word) => !sent.includes(word));
  }

  function permissionsFor(row: MatrixRow, caller: CallerName, scopeId: number | undefined): string[] {
    const { access } = row;
    if (
      access.kind === 'public' ||
      access.kind === 'authenticated' ||
      access.kind === 'self-authenticating'
    ) {
      return [];
    }
    if (caller === 'global') return [access.permission];
    if (access.kind === 'global') {
      if (caller === 'this object') return [access.permission];
      return caller === 'other object' ? [access.insufficient] : [];
    }
    const otherId = access.area === 'pam' ? fixtures.otherProviderId : fixtures.otherContainerId;
    if (caller === 'other object') return [`${access.permission}${otherId}/`];
    if (caller === 'this object') {
      assert.ok(scopeId !== undefined, `${row.method} ${row.path}: a scoped row names its object`);
      return [`${access.permission}${scopeId}/`];
    }
    return [];
  }

  /** What the caller must get: a status, or 'success' (2xx). `list`: 2xx without this object's data. */
  function expected(row: MatrixRow, caller: CallerName): number | 'success' | 'list' | 'ignored' {
    const { access } = row;
    if (access.kind === 'public') return access.status ?? 'success';
    if (caller === 'no credentials' || caller === 'wrong password') return 401;
    if (
      access.kind === 'authenticated' ||
      access.kind === 'self-authenticating' ||
      caller === 'this object' ||
      caller === 'global'
    )
      return 'success';
    if (caller === 'no permission') return 403;
    if (access.kind === 'global') return 403;
    if (access.whenOther === 'shared') return 'success';
    return access.whenOther;
  }

  /** What a caller presents in the request itself to a self-authenticating row, instead of its Authorization header. */
  function presentedBy(caller: CallerName): Presented {
    const credentials = callers.get(caller)?.credentials ?? null;
    if (credentials === null) return { kind: 'none' };
    if (caller === 'wrong password') return { kind: 'wrong', username: credentials.username };
    return { kind: 'valid', ...credentials };
  }

  test('six callers get the documented status on every route; a denial shows nothing and changes nothing', async () => {
    const failures: string[] = [];
    for (const row of routeMatrix) {
      for (const caller of [...callers.keys()]) {
        const selfAuthenticating = row.access.kind === 'self-authenticating';
        const request = selfAuthenticating
          ? await row.prepare(fixtures, presentedBy(caller))
          : await row.prepare(fixtures);
        await grant(caller, permissionsFor(row, caller, request.scopeId));
        const outcome = expected(row, caller);
        const before = await domainSnapshot(server());
        const credentials = selfAuthenticating ? null : (callers.get(caller)?.credentials ?? null);
        const response = await server().request(row.method, request.url, {
          as: credentials,
          ...(request.body === undefined ? {} : { body: request.body }),
          ...(request.rawBody === undefined ? {} : { rawBody: request.rawBody }),
          ...(request.headers === undefined ? {} : { headers: request.headers }),
          ...(row.apiVersion === undefined ? {} : { apiVersion: row.apiVersion }),
        });
        const where = `${row.method} ${request.url} as ${caller}`;
        const success = response.status >= 200 && response.status < 300;
        if (outcome === 'success' || outcome === 'list' || outcome === 'ignored') {
          if (!success) {
            failures.push(`${where}: expected 2xx, got ${response.status} ${response.text.slice(0, 200)}`);
          }
          const leaked = outcome === 'success' ? [] : leakedWords(response, request);
          if (leaked.length > 0) failures.push(`${where}: the answer shows ${leaked.join(', ')}`);
          if (outcome === 'ignored' && (await domainSnapshot(server())) !== before) {
            failures.push(`${where}: a request for an object the caller cannot reach changed data`);
          }
          continue;
        }
        if (response.status !== outcome) {
          failures.push(
            `${where}: expected ${outcome}, got ${response.status} ${response.text.slice(0, 200)}`,
          );
        }
        const oauthRefusal = row.access.kind === 'self-authenticating' && row.access.refusal === 'oauth';
        const explanation = oauthRefusal ? 'error_description' : 'Message';
        if (typeof (response.body as Record<string, unknown> | undefined)?.[explanation] !== 'string') {
          failures.push(`${where}: the refusal has no ${explanation}`);
        }
        const leaked = leakedWords(response, request);
        if (leaked.length > 0) failures.push(`${where}: the refusal shows ${leaked.join(', ')}`);
        if ((await domainSnapshot(server())) !== before) failures.push(`${where}: the refusal changed data`);
      }
    }
    assert.deepEqual(failures, []);
  });
});
