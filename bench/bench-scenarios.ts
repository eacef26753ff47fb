import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { maxClaimsPerRole } from '../src/modules/security/role-schemas.js';
import type { ApiClient, Credentials } from './api-client.js';
import { basicAuthorization, createApiClient } from './api-client.js';
import type { SeededData } from './entry-seeder.js';
import { entryName, providerOfEntry } from './entry-seeder.js';
import type { LoadRequest, LoadScenario } from './load-runner.js';

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

/** The lookup of entry `index` by its name, as a client that knows the name asks for it. */
function entryByNamePath(data: SeededData, index: number): string {
  const query = encodeURIComponent(`SecretName -eq "${entryName(index)}"`);
  return `${entriesPath(providerOfEntry(data, index))}?QueryString=${query}`;
}

/** A PUT that gives entry `index` a new value (the description it was seeded with stays). */
function entryUpdate(data: SeededData, index: number, value: string): LoadRequest {
  return {
    path: entriesPath(providerOfEntry(data, index)),
    body: JSON.stringify({
      SecretName: entryName(index),
      SecretValue: value,
      Description: `Benchmark entry ${index}`,
    }),
  };
}

const storeCount = 100;
// Keyfactor's built-in "JKS" store type.
const javaKeystoreType = 0;

/** Each request names a different, randomly chosen entry, so caches and hot pages cannot flatter the figure. */
export const strongroomScenarios: readonly ScenarioDefinition[] = [
  {
    id: 'health',
    title: 'GET Status/HealthCheck (authentication, which reads the database)',
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
        next: () => ({ path: entryByNamePath(data, randomIndex(data.entryCount)) }),
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
          counter += 1;
          return entryUpdate(data, randomIndex(data.entryCount), `changed-${runTag}-${counter}`);
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

/** How long the server remembers a verified credential (src/modules/security/authenticator.ts). */
const credentialLifetimeSeconds = 60;
const mixedWriteShare = 0.1;
// Argon2 hashes each new password and verifies each credential once, each run using about 19 MiB and a core
// for tens of milliseconds: two at a time keep two cores busy while adding little to the server's peak memory.
const userSetupConcurrency = 2;

/**
 * 90 % lookups by name and 10 % durable PUTs of random entries, each request as one of `users` local users
 * chosen at random, so the credential cache and the permission path serve many callers at once, not one.
 * Every user's credential is verified once before the load starts: the run measures the steady state in
 * which they are all remembered, not the first argon2 verification of each.
 */
export function mixedUsersScenario(options: {
  users: number;
  /** Seconds of load (warm-up and measured) that follow preparation. */
  loadSeconds: number;
  log: (line: string) => void;
}): ScenarioDefinition {
  const { users: userCount, loadSeconds, log } = options;
  return {
    id: 'mixed-users',
    title: `Mixed: 90 % GET by SecretName, 10 % durable PUT, as ${userCount.toLocaleString('en-US')} distinct users`,
    kind: 'write',
    async prepare(api, data, runTag) {
      if (data.entryCount === 0) return { skipped: 'no entries were seeded' };
      if (userCount === 0) return { skipped: 'no users were asked for (--users 0)' };
      const startedAt = performance.now();
      const users = await createEntryUsers(api, runTag, userCount);
      const createdAt = performance.now();
      // Each user reads an entry once, which also proves its role lets it in before anything is measured.
      await forEachIndex(userCount, userSetupConcurrency, async (index) => {
        const user = createApiClient(api.baseUrl, pick(users, index));
        await user.expectOk('GET', entryByNamePath(data, index % data.entryCount));
      });
      const warmedSeconds = (performance.now() - createdAt) / 1000;
      log(
        `    ${userCount} users created in ${((createdAt - startedAt) / 1000).toFixed(1)} s, each credential verified once in ${warmedSeconds.toFixed(1)} s`,
      );
      if (warmedSeconds + loadSeconds > credentialLifetimeSeconds) {
        log(
          `    the first credentials expire before the load ends (${credentialLifetimeSeconds} s after verification): the figures include their second verification`,
        );
      }
      const authorizations = users.map(basicAuthorization);
      let counter = 0;
      return {
        method: 'GET',
        next(): LoadRequest {
          const index = randomIndex(data.entryCount);
          const authorization = pick(authorizations, randomIndex(authorizations.length));
          if (Math.random() >= mixedWriteShare) {
            return { path: entryByNamePath(data, index), headers: { authorization } };
          }
          counter += 1;
          return {
            ...entryUpdate(data, index, `mixed-${runTag}-${counter}`),
            method: 'PUT',
            headers: { authorization, 'content-type': 'application/json' },
          };
        },
      };
    },
  };
}

/**
 * Local users `bench-<tag>-user-<i>`, each with a password of its own, and roles (as many as the claims per
 * role allow) granting each of them by name what reading and changing entries needs.
 */
async function createEntryUsers(api: ApiClient, runTag: string, count: number): Promise<Credentials[]> {
  const users = Array.from({ length: count }, (_, index) => ({
    username: `bench-${runTag}-user-${index}`,
    password: randomBytes(18).toString('base64url'),
  }));
  await forEachIndex(count, userSetupConcurrency, async (index) => {
    const { username, password } = pick(users, index);
    await api.expectOk('POST', '/strongroom/users', { Username: username, Password: password });
  });
  for (let first = 0; first < count; first += maxClaimsPerRole) {
    await createGlobalRole(api, {
      name: `bench-mixed-${runTag}-${first / maxClaimsPerRole}`,
      description: 'Benchmark mixed reads and writes',
      permissions: ['/pam/read/', '/pam/modify/'],
      claims: users.slice(first, first + maxClaimsPerRole).map((user) => ({
        ClaimType: 'User',
        ClaimValue: user.username,
        ProviderAuthenticationScheme: 'Basic',
      })),
    });
  }
  return users;
}

/** Runs `work` for every index below `count`, at most `concurrency` at a time. */
async function forEachIndex(
  count: number,
  concurrency: number,
  work: (index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (let index = next++; index < count; index = next++) await work(index);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

function pick<Item>(items: readonly Item[], index: number): Item {
  const item = items[index];
  if (item === undefined) throw new Error(`no item ${index} among ${items.length}`);
  return item;
}

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
  await createGlobalRole(api, {
    name: `bench-bearer-${runTag}`,
    description: 'Benchmark bearer reads',
    permissions: ['/pam/read/'],
    claims: [
      { ClaimType: 'OAuthClientId', ClaimValue: clientId, ProviderAuthenticationScheme: 'Strongroom' },
    ],
  });
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

interface RoleClaim {
  ClaimType: 'User' | 'OAuthClientId';
  ClaimValue: string;
  ProviderAuthenticationScheme: string;
}

/** A role in the Global permission set granting `permissions` to whoever its claims name. */
async function createGlobalRole(
  api: ApiClient,
  role: { name: string; description: string; permissions: string[]; claims: RoleClaim[] },
): Promise<void> {
  const sets = (await api.expectOk('GET', '/KeyfactorAPI/PermissionSets')) as { Id: string; Name: string }[];
  // Claims are a v2 field of a role, so this one call asks for version 2.
  const response = await fetch(`${api.baseUrl}/KeyfactorAPI/Security/Roles`, {
    method: 'POST',
    headers: { ...api.headers, 'x-keyfactor-api-version': '2', 'content-type': 'application/json' },
    body: JSON.stringify({
      Name: role.name,
      Description: role.description,
      PermissionSetId: sets.find((set) => set.Name === 'Global')?.Id,
      Permissions: role.permissions,
      Claims: role.claims.map((claim) => ({ ...claim, Description: '' })),
    }),
  });
  if (!response.ok) throw new Error(`creating the benchmark's role ${role.name} answered ${response.status}`);
}
