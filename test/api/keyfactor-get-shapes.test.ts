import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { assertKeyfactorShape } from '../support/keyfactor-openapi.js';
import {
  createContainer,
  createLocalEntry,
  createLocalProvider,
  createStore,
} from '../support/store-fixtures.js';
import { describeEachDialect } from '../support/test-server.js';

type PathsDocument = { paths: Record<string, Record<string, unknown>> };

const published = new Map<1 | 2, PathsDocument>(
  ([1, 2] as const).map((version) => [
    version,
    JSON.parse(
      readFileSync(
        join(
          dirname(fileURLToPath(import.meta.url)),
          `../../../shared/keyfactor-openapi/command-v25-api-v${version}.json`,
        ),
        'utf8',
      ),
    ) as PathsDocument,
  ]),
);

const shapeOf = (path: string) => path.replace(/\{[^}]+\}/g, '{}').toLowerCase();

/** Where Keyfactor publishes a GET for this path template, per API version, with its own spelling. */
function publishedGets(path: string): { version: 1 | 2; path: string }[] {
  const found: { version: 1 | 2; path: string }[] = [];
  for (const [version, document] of published) {
    const match = Object.keys(document.paths).find(
      (candidate) => shapeOf(candidate) === shapeOf(path) && document.paths[candidate]?.get !== undefined,
    );
    if (match !== undefined) found.push({ version, path: match });
  }
  return found;
}

function publishesJsonBody(version: 1 | 2, path: string): boolean {
  const operation = published.get(version)?.paths[path]?.get as
    { responses?: Record<string, { content?: Record<string, unknown> }> } | undefined;
  return operation?.responses?.['200']?.content?.['application/json'] !== undefined;
}

describeEachDialect('every served GET that Keyfactor publishes answers in the published shape', (server) => {
  const concrete = new Map<string, string>();

  before(async () => {
    const providerId = await createLocalProvider(server());
    await createLocalEntry(server(), providerId, 'shape-entry', 'shape-value');
    const containerId = await createContainer(server());
    const store = await createStore(server(), { ContainerId: containerId });
    const user = await server().createUser('shape-user', [`/pam/read/${providerId}/`]);
    const roles = await server().request(
      'GET',
      `/KeyfactorAPI/Security/Roles?QueryString=${encodeURIComponent(`Name -eq "role-for-${user.username}"`)}`,
    );
    const roleId = (roles.body as { Id: number }[])[0]?.Id;
    const types = await server().request('GET', '/KeyfactorAPI/PamProviders/Types');
    const typeId = (types.body as { Id: string }[])[0]?.Id;
    const sets = await server().request('GET', '/KeyfactorAPI/PermissionSets');
    const setId = (sets.body as { Id: string }[])[0]?.Id;
    const audit = await server().request('GET', '/KeyfactorAPI/Audit?ReturnLimit=1');
    const auditId = (audit.body as { Id: number }[])[0]?.Id;
    const claims = await server().request('GET', '/KeyfactorAPI/Security/Claims');
    const claimId = (claims.body as { Id: number }[])[0]?.Id;
    const identities = await server().request('GET', '/KeyfactorAPI/Security/Identities');
    const identityId = (identities.body as { Id: number }[])[0]?.Id;
    const providers = await server().request('GET', '/KeyfactorAPI/Identity/Providers');
    const identityProviderId = (providers.body as { Id: string }[])[0]?.Id;
    assert.ok(roleId !== undefined && typeId !== undefined && setId !== undefined && auditId !== undefined);
    assert.ok(claimId !== undefined && identityId !== undefined && identityProviderId !== undefined);
    for (const [template, url] of [
      ['/keyfactorapi/security/roles/{}', `/KeyfactorAPI/Security/Roles/${roleId}`],
      [
        '/keyfactorapi/security/roles/{}/permissions/pamproviders',
        `/KeyfactorAPI/Security/Roles/${roleId}/Permissions/PamProviders`,
      ],
      [
        '/keyfactorapi/security/roles/{}/permissions/containers',
        `/KeyfactorAPI/Security/Roles/${roleId}/Permissions/Containers`,
      ],
      ['/keyfactorapi/security/roles/{}/identities', `/KeyfactorAPI/Security/Roles/${roleId}/Identities`],
      ['/keyfactorapi/security/roles/{}/permissions', `/KeyfactorAPI/Security/Roles/${roleId}/Permissions`],
      [
        '/keyfactorapi/security/roles/{}/permissions/global',
        `/KeyfactorAPI/Security/Roles/${roleId}/Permissions/Global`,
      ],
      ['/keyfactorapi/security/claims/{}', `/KeyfactorAPI/Security/Claims/${claimId}`],
      [
        '/keyfactorapi/security/claims/roles',
        `/KeyfactorAPI/Security/Claims/Roles?claimType=0&claimValue=${user.username}&providerAuthenticationScheme=Basic`,
      ],
      ['/keyfactorapi/security/identities/{}', `/KeyfactorAPI/Security/Identities/${identityId}`],
      [
        '/keyfactorapi/security/identities/lookup',
        `/KeyfactorAPI/Security/Identities/Lookup?accountName=${user.username}`,
      ],
      [
        '/keyfactorapi/security/containers/{}/roles',
        `/KeyfactorAPI/Security/Containers/${containerId}/Roles`,
      ],
      ['/keyfactorapi/identity/providers/{}', `/KeyfactorAPI/Identity/Providers/${identityProviderId}`],
      ['/keyfactorapi/permissionsets/{}', `/KeyfactorAPI/PermissionSets/${setId}`],
      ['/keyfactorapi/pamproviders/types/{}', `/KeyfactorAPI/PamProviders/Types/${typeId}`],
      // Version 2 looks a type up by the id of a provider of that type.
      ['v2:/keyfactorapi/pamproviders/types/{}', `/KeyfactorAPI/PamProviders/Types/${providerId}`],
      ['/keyfactorapi/pamproviders/{}', `/KeyfactorAPI/PamProviders/${providerId}`],
      [
        '/keyfactorapi/pamproviders/local/{}/entries',
        `/KeyfactorAPI/PamProviders/Local/${providerId}/Entries`,
      ],
      ['/keyfactorapi/certificatestoretypes/{}', '/KeyfactorAPI/CertificateStoreTypes/0'],
      ['/keyfactorapi/certificatestoretypes/name/{}', '/KeyfactorAPI/CertificateStoreTypes/Name/JKS'],
      [
        '/keyfactorapi/certificatestorecontainers/{}',
        `/KeyfactorAPI/CertificateStoreContainers/${containerId}`,
      ],
      ['/keyfactorapi/certificatestores/{}', `/KeyfactorAPI/CertificateStores/${store.Id}`],
      ['/keyfactorapi/audit/{}', `/KeyfactorAPI/Audit/${auditId}`],
      ['/keyfactorapi/audit/{}/validate', `/KeyfactorAPI/Audit/${auditId}/Validate`],
      ['/keyfactorapi/audit/relatedentities', `/KeyfactorAPI/Audit/RelatedEntities?auditId=${auditId}`],
    ] as const) {
      concrete.set(template, url);
    }
  });

  test('each GET is called on every version Keyfactor publishes it for and validated against it', async () => {
    const served = (await server().request('GET', '/KeyfactorAPI/swagger/openapi.json'))
      .body as PathsDocument;
    const gets = Object.keys(served.paths).filter(
      (path) => path.startsWith('/KeyfactorAPI/') && served.paths[path]?.get !== undefined,
    );
    let checked = 0;
    for (const path of gets) {
      const keyfactorPath = path.slice('/KeyfactorAPI'.length);
      for (const { version, path: documented } of publishedGets(keyfactorPath)) {
        const url =
          concrete.get(`v${version}:${shapeOf(path)}`) ??
          concrete.get(shapeOf(path)) ??
          (path.includes('{') ? undefined : path);
        assert.ok(url !== undefined, `no fixture for GET ${path}: add one so its shape is checked`);
        const response = await server().request('GET', url, { apiVersion: version });
        assert.ok(
          [200, 204].includes(response.status),
          `GET ${url} answered ${response.status}: ${response.text}`,
        );
        // HealthCheck answers 204 and the CSV download is not JSON: neither has a JSON shape to check.
        if (response.status === 204 || !String(response.headers['content-type']).includes('json')) continue;
        // Some operations are published without a response body (Audit/{id}); there is nothing to compare.
        if (!publishesJsonBody(version, documented)) continue;
        assertKeyfactorShape(version, 'GET', documented, response.body);
        checked += 1;
      }
    }
    assert.ok(checked >= 20, `only ${checked} published GETs were checked`);
  });
});
