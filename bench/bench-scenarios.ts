import type { ApiClient } from './api-client.js';
import type { SeededData } from './entry-seeder.js';
import { entryName, providerOfEntry } from './entry-seeder.js';
import type { LoadScenario } from './load-runner.js';

export type ScenarioKind = 'read' | 'write';

export interface ScenarioDefinition {
  id: string;
  title: string;
  kind: ScenarioKind;
  /** Builds the load, or says why this server cannot be measured on it. */
  prepare(api: ApiClient, data: SeededData, runTag: string): Promise<LoadScenario | { skipped: string }>;
}

const entriesPath = (providerId: number) => `/KeyfactorAPI/PamProviders/Local/${providerId}/Entries`;
const randomIndex = (count: number) => Math.floor(Math.random() * count);
const storeCount = 100;
// Keyfactor's built-in "JKS" store type.
const javaKeystoreType = 0;

/** Each request names a different, randomly chosen entry, so caches and hot pages cannot flatter the figure. */
export const strongroomScenarios: readonly ScenarioDefinition[] = [
  {
    id: 'health',
    title: 'GET Status/HealthCheck (authentication + database ping)',
    kind: 'read',
    async prepare() {
      return { method: 'GET', next: () => ({ path: '/KeyfactorAPI/Status/HealthCheck' }) };
    },
  },
  {
    id: 'entries-page',
    title: 'GET local entries, one page of 50',
    kind: 'read',
    async prepare(_api, data) {
      let turn = 0;
      return {
        method: 'GET',
        next() {
          turn += 1;
          return { path: `${entriesPath(providerOfEntry(data, turn))}?ReturnLimit=50&PageReturned=1` };
        },
      };
    },
  },
  {
    id: 'entries-page-bearer',
    title: 'GET local entries, one page of 50, with a bearer token from the built-in issuer',
    kind: 'read',
    async prepare(api, data, runTag) {
      const metadata = await api.request('GET', '/.well-known/oauth-authorization-server');
      if (metadata.status !== 200) return { skipped: 'this server has no built-in OAuth issuer' };
      const authorization = `Bearer ${await benchToken(api, runTag)}`;
      let turn = 0;
      return {
        method: 'GET',
        next() {
          turn += 1;
          return {
            path: `${entriesPath(providerOfEntry(data, turn))}?ReturnLimit=50&PageReturned=1`,
            headers: { authorization },
          };
        },
      };
    },
  },
  {
    id: 'entries-by-name',
    title: 'GET local entries, QueryString=SecretName -eq "…"',
    kind: 'read',
    async prepare(_api, data) {
      if (data.entryCount === 0) return { skipped: 'no entries were seeded' };
      return {
        method: 'GET',
        next() {
          const index = randomIndex(data.entryCount);
          const query = encodeURIComponent(`SecretName -eq "${entryName(index)}"`);
          return { path: `${entriesPath(providerOfEntry(data, index))}?QueryString=${query}` };
        },
      };
    },
  },
  {
    id: 'entry-put',
    title: 'PUT local entry, new SecretValue (durable)',
    kind: 'write',
    async prepare(_api, data, runTag) {
      if (data.entryCount === 0) return { skipped: 'no entries were seeded' };
      let counter = 0;
      return {
        method: 'PUT',
        next() {
          const index = randomIndex(data.entryCount);
          counter += 1;
          return {
            path: entriesPath(providerOfEntry(data, index)),
            body: JSON.stringify({
              SecretName: entryName(index),
              SecretValue: `changed-${runTag}-${counter}`,
              Description: `Benchmark entry ${index}`,
            }),
          };
        },
      };
    },
  },
  {
    id: 'entry-post',
    title: 'POST new local entry (durable)',
    kind: 'write',
    async prepare(_api, data, runTag) {
      let counter = 0;
      return {
        method: 'POST',
        next() {
          counter += 1;
          return {
            path: entriesPath(providerOfEntry(data, counter)),
            body: JSON.stringify({
              SecretName: `bench-post-${runTag}-${counter}`,
              SecretValue: `posted-${counter}`,
              Description: 'Created by the benchmark',
            }),
          };
        },
      };
    },
  },
  {
    id: 'store-password-put',
    title: 'PUT CertificateStores/Password (durable)',
    kind: 'write',
    async prepare(api, _data, runTag) {
      const endpoints = (await api.expectOk('GET', '/KeyfactorAPI/Status/Endpoints')) as string[];
      const isServed = endpoints.some(
        (endpoint) => endpoint.toLowerCase() === 'put /keyfactorapi/certificatestores/password',
      );
      if (!isServed)
        return { skipped: 'this server does not serve PUT /KeyfactorAPI/CertificateStores/Password' };
      const storeIds: string[] = [];
      for (let index = 0; index < storeCount; index += 1) {
        const store = (await api.expectOk('POST', '/KeyfactorAPI/CertificateStores', {
          ClientMachine: `bench-${runTag}-${index}.example.test`,
          Storepath: '/opt/app/keystore.jks',
          CertStoreType: javaKeystoreType,
        })) as { Id: string };
        storeIds.push(store.Id);
      }
      let counter = 0;
      return {
        method: 'PUT',
        next() {
          counter += 1;
          return {
            path: '/KeyfactorAPI/CertificateStores/Password',
            body: JSON.stringify({
              CertStoreId: storeIds[randomIndex(storeIds.length)],
              NewPassword: { SecretValue: `store-password-${runTag}-${counter}` },
            }),
          };
        },
      };
    },
  },
];

/**
 * A client of the built-in issuer with a role granting what the Basic user's reads need, and one token for
 * it, fetched as kfutil does (client_credentials, client_secret_basic). Its lifetime outlasts a run.
 */
async function benchToken(api: ApiClient, runTag: string): Promise<string> {
  const clientId = `bench-${runTag}`;
  const created = (await api.expectOk('POST', '/strongroom/oauth/clients', {
    ClientId: clientId,
    Description: 'Benchmark bearer reads',
  })) as { ClientSecret: string };
  const sets = (await api.expectOk('GET', '/KeyfactorAPI/PermissionSets')) as { Id: string; Name: string }[];
  // Claims are a v2 field of a role, so this one call asks for version 2.
  const role = await fetch(`${api.baseUrl}/KeyfactorAPI/Security/Roles`, {
    method: 'POST',
    headers: { ...api.headers, 'x-keyfactor-api-version': '2', 'content-type': 'application/json' },
    body: JSON.stringify({
      Name: `bench-bearer-${runTag}`,
      Description: 'Benchmark bearer reads',
      PermissionSetId: sets.find((set) => set.Name === 'Global')?.Id,
      Permissions: ['/pam/read/'],
      Claims: [
        {
          ClaimType: 'OAuthClientId',
          ClaimValue: clientId,
          ProviderAuthenticationScheme: 'Strongroom',
          Description: '',
        },
      ],
    }),
  });
  if (!role.ok) throw new Error(`creating the benchmark's bearer role answered ${role.status}`);
  const response = await fetch(`${api.baseUrl}/strongroom/oauth/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${clientId}:${created.ClientSecret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials',
  });
  const answer = (await response.json()) as { access_token?: string };
  if (answer.access_token === undefined) throw new Error(`the token endpoint answered ${response.status}`);
  return answer.access_token;
}
