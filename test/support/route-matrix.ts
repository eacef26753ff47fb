import { globalPermissionSetId } from '../../src/modules/security/admin-bootstrap.js';
import { localProviderTypeId } from '../../src/modules/pam-providers/pam-provider-type-builtins.js';

/**
 * The authorization matrix: one row per route of the served OpenAPI document, saying what a route needs and
 * how to aim a request at one object. `test/api/authorization-matrix.test.ts` sends each row's request as six
 * callers and fails for any route in the document that has no row here, so a new route needs a row.
 *
 * Adding a row: the method and the path exactly as the OpenAPI document prints them, the access it declares,
 * and `prepare`, which creates (through the fixtures) whatever the request acts on and returns the request.
 * A mutation's `prepare` makes a fresh object each time, because the allowed callers really change it.
 */

/** Creates objects as the administrator. Every name carries `marker`, so a denied answer can be searched for it. */
export interface MatrixFixtures {
  readonly marker: string;
  /** A PAM provider and a certificate store container the "other object" caller holds grants on. */
  readonly otherProviderId: number;
  readonly otherContainerId: number;
  unique(prefix: string): string;
  provider(): Promise<number>;
  /** An entry of the provider, changed until it has this many versions (one when none). */
  entry(providerId: number, versions?: number): Promise<string>;
  /** A container for stores of the given type (JKS when none). */
  container(storeType?: number): Promise<number>;
  /** A store in the container, of the given type (JKS when none); a type from `storeType` has a secret property ServerPassword. */
  store(containerId: number, storeType?: number): Promise<string>;
  storeType(): Promise<number>;
  providerType(): Promise<string>;
  role(): Promise<number>;
  claim(): Promise<number>;
  identity(): Promise<number>;
  user(): Promise<string>;
  /** An OAuth client of the built-in token issuer, and its secret. */
  oauthClient(): Promise<{ clientId: string; clientSecret: string }>;
  /** An OpenID Connect provider (aimed at the test's oidc-provider) with a fresh scheme; returns its id. */
  identityProvider(): Promise<{ id: string; scheme: string }>;
  /** A create or replace body for an identity provider with this scheme, aimed at the test's oidc-provider. */
  identityProviderBody(scheme: string): Record<string, unknown>;
  /** A session cookie header value (`name=value`) for a user signed in with these credentials. */
  sessionCookie(credentials: { username: string; password: string }): Promise<string>;
  /** A data key version nothing is sealed with any more (a newer one was rotated in and rewrapped to). */
  retirableKeyVersion(): Promise<number>;
  /** A permission set (its id) holding `/pam/`. */
  permissionSet(): Promise<string>;
}

export interface PreparedRequest {
  url: string;
  body?: unknown;
  /** A body sent as it is (a form), with `headers` naming its content type. */
  rawBody?: string;
  headers?: Record<string, string>;
  /** The provider or container a scoped route acts on: "this object" callers hold grants on it. */
  scopeId?: number;
}

/**
 * - public / authenticated: no permission, or any signed-in caller.
 * - global: the permission, held globally. The "other object" caller holds `insufficient` (a neighbouring
 *   grant, or the same permission for another object) and must get 403.
 * - scoped: the permission globally or for the object (`scopeId`). The "other object" caller holds it for
 *   another provider or container and gets `whenOther`: 404 or 403 (or 400 where the object is named in the
 *   body), `list`/`shared` when the route answers 2xx without this object's data, or `ignored` when it
 *   answers 2xx and changes nothing.
 */
type OtherOutcome = 404 | 403 | 400 | 'list' | 'shared' | 'ignored';

/**
 * - self-authenticating: a route open at the authentication hook that checks credentials the request itself
 *   carries (a password in a sign-in body, an OAuth client's secret in a token form, a session cookie).
 *   The request is sent without the caller's Authorization header; `prepare` is handed what the caller
 *   presents instead: nothing ("no credentials"), a wrong secret ("wrong password") or valid credentials
 *   (every other caller, who must succeed). The first two must get 401, see nothing and change nothing; the
 *   refusal body is Keyfactor's `{ErrorCode, Message}` or, for the token endpoint, RFC 6749's
 *   `{error, error_description}`.
 */
export type Presented =
  | { kind: 'none' }
  | { kind: 'wrong'; username: string }
  | { kind: 'valid'; username: string; password: string };

export type MatrixAccess =
  /** `status`: what every caller gets for a route that needs more than a request can carry (a sign-in flow). */
  | { kind: 'public'; status?: number }
  | { kind: 'authenticated' }
  | { kind: 'global'; permission: string; insufficient: string }
  | {
      kind: 'scoped';
      permission: string;
      area: 'pam' | 'stores';
      whenOther: OtherOutcome;
    }
  | { kind: 'self-authenticating'; refusal: 'keyfactor' | 'oauth' };

export interface MatrixRow {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  access: MatrixAccess;
  apiVersion?: 1 | 2;
  /** `presented` is given to self-authenticating rows only. */
  prepare(fixtures: MatrixFixtures, presented?: Presented): Promise<PreparedRequest>;
}

const api = '/KeyfactorAPI';
const signedIn: MatrixAccess = { kind: 'authenticated' };
const securityRead: MatrixAccess = {
  kind: 'global',
  permission: '/security/read/',
  insufficient: '/auditing/read/',
};
const securityModify: MatrixAccess = {
  kind: 'global',
  permission: '/security/modify/',
  insufficient: '/security/read/',
};
const auditRead: MatrixAccess = {
  kind: 'global',
  permission: '/auditing/read/',
  insufficient: '/security/read/',
};
const pamModifyGlobal: MatrixAccess = {
  kind: 'global',
  permission: '/pam/modify/',
  insufficient: '/pam/modify/1/',
};
const storesModifyGlobal: MatrixAccess = {
  kind: 'global',
  permission: '/certificate_stores/modify/',
  insufficient: '/certificate_stores/modify/1/',
};
const resolve: MatrixAccess = {
  kind: 'global',
  permission: '/strongroom/resolve/',
  insufficient: '/certificate_stores/modify/',
};
const identityRead: MatrixAccess = {
  kind: 'global',
  permission: '/identity_providers/read/',
  insufficient: '/security/read/',
};
const identityModify: MatrixAccess = {
  kind: 'global',
  permission: '/identity_providers/modify/',
  insufficient: '/identity_providers/read/',
};
const metricsRead: MatrixAccess = {
  kind: 'global',
  permission: '/strongroom/metrics/',
  insufficient: '/auditing/read/',
};
const keysAdministration: MatrixAccess = {
  kind: 'global',
  permission: '/strongroom/keys/',
  insufficient: '/strongroom/resolve/',
};
const signInAccess: MatrixAccess = { kind: 'self-authenticating', refusal: 'keyfactor' };
const pam = (permission: 'read' | 'modify', whenOther: OtherOutcome): MatrixAccess => ({
  kind: 'scoped',
  permission: `/pam/${permission}/`,
  area: 'pam',
  whenOther,
});
const stores = (permission: 'read' | 'modify', whenOther: OtherOutcome): MatrixAccess => ({
  kind: 'scoped',
  permission: `/certificate_stores/${permission}/`,
  area: 'stores',
  whenOther,
});

const fixed = (url: string, body?: unknown) => () =>
  Promise.resolve(body === undefined ? { url } : { url, body });

const roleBody = (fixtures: MatrixFixtures, id?: number) => ({
  ...(id === undefined ? {} : { Id: id }),
  Name: fixtures.unique('role'),
  Description: 'matrix',
  PermissionSetId: globalPermissionSetId,
  Permissions: [],
  Claims: [],
});

async function inContainer(fixtures: MatrixFixtures, build: (storeId: string) => PreparedRequest) {
  const containerId = await fixtures.container();
  return { ...build(await fixtures.store(containerId)), scopeId: containerId };
}

async function inProvider(
  fixtures: MatrixFixtures,
  build: (providerId: number, secretName: string) => PreparedRequest,
) {
  const providerId = await fixtures.provider();
  return { ...build(providerId, await fixtures.entry(providerId)), scopeId: providerId };
}

function presentedOrThrow(presented: Presented | undefined): Presented {
  if (presented === undefined)
    throw new Error('a self-authenticating row is prepared with what the caller presents');
  return presented;
}

async function tokenRequest(fixtures: MatrixFixtures, presented: Presented | undefined) {
  const shown = presentedOrThrow(presented);
  const fields = new URLSearchParams({ grant_type: 'client_credentials' });
  if (shown.kind !== 'none') {
    const client = await fixtures.oauthClient();
    fields.set('client_id', client.clientId);
    fields.set('client_secret', shown.kind === 'valid' ? client.clientSecret : 'not-the-client-secret');
  }
  return {
    url: '/strongroom/oauth/token',
    rawBody: fields.toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  };
}

function signInRequest(fixtures: MatrixFixtures, presented: Presented | undefined) {
  const shown = presentedOrThrow(presented);
  const body =
    shown.kind === 'valid'
      ? { Username: shown.username, Password: shown.password }
      : {
          Username: shown.kind === 'wrong' ? shown.username : fixtures.unique('nobody'),
          Password: 'not-the-password',
        };
  return Promise.resolve({ url: '/strongroom/session', body });
}

async function signOutRequest(fixtures: MatrixFixtures, presented: Presented | undefined) {
  const shown = presentedOrThrow(presented);
  if (shown.kind === 'none') return { url: '/strongroom/session' };
  const cookie =
    shown.kind === 'valid'
      ? await fixtures.sessionCookie(shown)
      : `strongroom_session=${fixtures.unique('forged-session')}`;
  return { url: '/strongroom/session', headers: { cookie } };
}

const client = (fixtures: MatrixFixtures) => fixtures.oauthClient().then((created) => created.clientId);

const entries = (providerId: number) => `${api}/PamProviders/Local/${providerId}/Entries`;
const history = (providerId: number, secretName: string) =>
  `/strongroom/pam-providers/${providerId}/entries/${encodeURIComponent(secretName)}`;

export const routeMatrix: readonly MatrixRow[] = [
  // Status
  {
    method: 'GET',
    path: `${api}/Status/HealthCheck`,
    access: signedIn,
    prepare: fixed(`${api}/Status/HealthCheck`),
  },
  {
    method: 'GET',
    path: `${api}/Status/Endpoints`,
    access: signedIn,
    prepare: fixed(`${api}/Status/Endpoints`),
  },

  // Local users
  { method: 'GET', path: '/strongroom/users', access: securityRead, prepare: fixed('/strongroom/users') },
  {
    method: 'GET',
    path: '/strongroom/users/{username}',
    access: securityRead,
    prepare: async (fx) => ({ url: `/strongroom/users/${await fx.user()}` }),
  },
  {
    method: 'POST',
    path: '/strongroom/users',
    access: securityModify,
    prepare: (fx) =>
      Promise.resolve({
        url: '/strongroom/users',
        body: { Username: fx.unique('user'), Password: 'matrix-password-1', Groups: [] },
      }),
  },
  {
    method: 'PUT',
    path: '/strongroom/users/{username}',
    access: securityModify,
    prepare: async (fx) => ({ url: `/strongroom/users/${await fx.user()}`, body: { Groups: ['matrix'] } }),
  },
  {
    method: 'DELETE',
    path: '/strongroom/users/{username}',
    access: securityModify,
    prepare: async (fx) => ({ url: `/strongroom/users/${await fx.user()}` }),
  },

  // Security roles
  {
    method: 'GET',
    path: `${api}/Security/Roles`,
    access: securityRead,
    prepare: fixed(`${api}/Security/Roles`),
  },
  {
    method: 'GET',
    path: `${api}/Security/Roles/{id}`,
    access: securityRead,
    prepare: async (fx) => ({ url: `${api}/Security/Roles/${await fx.role()}` }),
  },
  {
    method: 'POST',
    path: `${api}/Security/Roles`,
    access: securityModify,
    apiVersion: 2,
    prepare: (fx) => Promise.resolve({ url: `${api}/Security/Roles`, body: roleBody(fx) }),
  },
  {
    method: 'PUT',
    path: `${api}/Security/Roles`,
    access: securityModify,
    apiVersion: 2,
    prepare: async (fx) => ({ url: `${api}/Security/Roles`, body: roleBody(fx, await fx.role()) }),
  },
  {
    method: 'DELETE',
    path: `${api}/Security/Roles/{id}`,
    access: securityModify,
    prepare: async (fx) => ({ url: `${api}/Security/Roles/${await fx.role()}` }),
  },
  ...(['PamProviders', 'Containers', 'Global', 'Identities'] as const).flatMap((sub): MatrixRow[] => {
    const path = sub === 'Identities' ? 'Identities' : `Permissions/${sub}`;
    const body = sub === 'Identities' ? { Ids: [] } : [];
    return [
      {
        method: 'GET',
        path: `${api}/Security/Roles/{id}/${path}`,
        access: securityRead,
        prepare: async (fx) => ({ url: `${api}/Security/Roles/${await fx.role()}/${path}` }),
      },
      ...(['POST', 'PUT'] as const)
        .filter((method) => method === 'PUT' || sub === 'Containers' || sub === 'Global')
        .map((method): MatrixRow => ({
          method,
          path: `${api}/Security/Roles/{id}/${path}`,
          access: securityModify,
          prepare: async (fx) => ({ url: `${api}/Security/Roles/${await fx.role()}/${path}`, body }),
        })),
    ];
  }),
  {
    method: 'GET',
    path: `${api}/Security/Roles/{id}/Permissions`,
    access: securityRead,
    prepare: async (fx) => ({ url: `${api}/Security/Roles/${await fx.role()}/Permissions` }),
  },
  {
    method: 'POST',
    path: `${api}/Security/Roles/{id}/Copy`,
    access: securityModify,
    prepare: async (fx) => ({
      url: `${api}/Security/Roles/${await fx.role()}/Copy`,
      body: { Name: fx.unique('copy'), Description: 'matrix' },
    }),
  },
  {
    method: 'GET',
    path: `${api}/Security/Containers/{id}/Roles`,
    access: securityRead,
    prepare: async (fx) => ({ url: `${api}/Security/Containers/${await fx.container()}/Roles` }),
  },
  { method: 'GET', path: `${api}/Security/My`, access: signedIn, prepare: fixed(`${api}/Security/My`) },
  {
    method: 'GET',
    path: `${api}/Security/My/Permissions`,
    access: signedIn,
    prepare: fixed(`${api}/Security/My/Permissions`),
  },
  { method: 'GET', path: `${api}/Permissions`, access: signedIn, prepare: fixed(`${api}/Permissions`) },
  {
    method: 'GET',
    path: `${api}/PermissionSets`,
    access: securityRead,
    prepare: fixed(`${api}/PermissionSets`),
  },
  {
    method: 'GET',
    path: `${api}/PermissionSets/{id}`,
    access: securityRead,
    prepare: fixed(`${api}/PermissionSets/${globalPermissionSetId}`),
  },
  {
    method: 'GET',
    path: '/strongroom/access',
    access: securityRead,
    prepare: async (fx) => ({ url: `/strongroom/access?object=pam-provider:${await fx.provider()}` }),
  },

  // Claims and identities
  {
    method: 'GET',
    path: `${api}/Security/Claims`,
    access: securityRead,
    prepare: fixed(`${api}/Security/Claims`),
  },
  {
    method: 'POST',
    path: `${api}/Security/Claims`,
    access: securityModify,
    prepare: (fx) =>
      Promise.resolve({
        url: `${api}/Security/Claims`,
        body: {
          ClaimType: 'OAuthRole',
          ClaimValue: fx.unique('claim'),
          ProviderAuthenticationScheme: 'Bearer',
          Description: '',
        },
      }),
  },
  {
    method: 'PUT',
    path: `${api}/Security/Claims`,
    access: securityModify,
    prepare: async (fx) => ({
      url: `${api}/Security/Claims`,
      body: { Id: await fx.claim(), Description: 'matrix' },
    }),
  },
  {
    method: 'GET',
    path: `${api}/Security/Claims/Roles`,
    access: securityRead,
    prepare: fixed(
      `${api}/Security/Claims/Roles?ClaimType=User&ClaimValue=admin&ProviderAuthenticationScheme=Basic`,
    ),
  },
  {
    method: 'GET',
    path: `${api}/Security/Claims/{id}`,
    access: securityRead,
    prepare: async (fx) => ({ url: `${api}/Security/Claims/${await fx.claim()}` }),
  },
  {
    method: 'DELETE',
    path: `${api}/Security/Claims/{id}`,
    access: securityModify,
    prepare: async (fx) => ({ url: `${api}/Security/Claims/${await fx.claim()}` }),
  },
  {
    method: 'GET',
    path: `${api}/Security/Identities`,
    access: securityRead,
    prepare: fixed(`${api}/Security/Identities`),
  },
  {
    method: 'POST',
    path: `${api}/Security/Identities`,
    access: securityModify,
    prepare: (fx) =>
      Promise.resolve({ url: `${api}/Security/Identities`, body: { AccountName: fx.unique('identity') } }),
  },
  {
    method: 'GET',
    path: `${api}/Security/Identities/Lookup`,
    access: securityRead,
    prepare: fixed(`${api}/Security/Identities/Lookup?accountName=admin`),
  },
  {
    method: 'GET',
    path: `${api}/Security/Identities/{id}`,
    access: securityRead,
    prepare: async (fx) => ({ url: `${api}/Security/Identities/${await fx.identity()}` }),
  },
  {
    method: 'DELETE',
    path: `${api}/Security/Identities/{id}`,
    access: securityModify,
    prepare: async (fx) => ({ url: `${api}/Security/Identities/${await fx.identity()}` }),
  },

  // PAM provider types and providers
  {
    method: 'GET',
    path: `${api}/PamProviders/Types`,
    access: pam('read', 'shared'),
    prepare: async (fx) => ({ url: `${api}/PamProviders/Types`, scopeId: await fx.provider() }),
  },
  {
    method: 'GET',
    path: `${api}/PamProviders/Types/{id}`,
    access: pam('read', 'shared'),
    prepare: async (fx) => ({
      url: `${api}/PamProviders/Types/${localProviderTypeId}`,
      scopeId: await fx.provider(),
    }),
  },
  {
    method: 'POST',
    path: `${api}/PamProviders/Types`,
    access: pamModifyGlobal,
    prepare: (fx) =>
      Promise.resolve({
        url: `${api}/PamProviders/Types`,
        body: { Name: fx.unique('type'), Parameters: [] },
      }),
  },
  {
    method: 'DELETE',
    path: `${api}/PamProviders/Types/{id}`,
    access: pamModifyGlobal,
    prepare: async (fx) => ({ url: `${api}/PamProviders/Types/${await fx.providerType()}` }),
  },
  {
    method: 'GET',
    path: `${api}/PamProviders`,
    access: pam('read', 'list'),
    prepare: async (fx) => ({ url: `${api}/PamProviders`, scopeId: await fx.provider() }),
  },
  {
    method: 'POST',
    path: `${api}/PamProviders`,
    access: pamModifyGlobal,
    prepare: (fx) =>
      Promise.resolve({
        url: `${api}/PamProviders`,
        body: { Name: fx.unique('provider'), ProviderType: { Id: localProviderTypeId } },
      }),
  },
  {
    method: 'PUT',
    path: `${api}/PamProviders`,
    access: pam('modify', 404),
    prepare: async (fx) => {
      const id = await fx.provider();
      return {
        url: `${api}/PamProviders`,
        body: {
          Id: id,
          Name: fx.unique('provider'),
          Remote: false,
          ProviderType: { Id: localProviderTypeId },
        },
        scopeId: id,
      };
    },
  },
  {
    method: 'GET',
    path: `${api}/PamProviders/{id}`,
    access: pam('read', 404),
    prepare: async (fx) => {
      const id = await fx.provider();
      return { url: `${api}/PamProviders/${id}`, scopeId: id };
    },
  },
  {
    method: 'DELETE',
    path: `${api}/PamProviders/{id}`,
    access: pam('modify', 404),
    prepare: async (fx) => {
      const id = await fx.provider();
      return { url: `${api}/PamProviders/${id}`, scopeId: id };
    },
  },

  // Local PAM entries
  {
    method: 'GET',
    path: `${api}/PamProviders/Local/{providerId}/Entries`,
    access: pam('read', 404),
    prepare: (fx) => inProvider(fx, (id) => ({ url: entries(id) })),
  },
  {
    method: 'POST',
    path: `${api}/PamProviders/Local/{providerId}/Entries`,
    access: pam('modify', 404),
    prepare: async (fx) => {
      const id = await fx.provider();
      return {
        url: entries(id),
        body: { SecretName: fx.unique('entry'), SecretValue: 'matrix-value' },
        scopeId: id,
      };
    },
  },
  {
    method: 'PUT',
    path: `${api}/PamProviders/Local/{providerId}/Entries`,
    access: pam('modify', 404),
    prepare: (fx) =>
      inProvider(fx, (id, name) => ({
        url: entries(id),
        body: { SecretName: name, SecretValue: 'changed' },
      })),
  },
  {
    method: 'DELETE',
    path: `${api}/PamProviders/Local/{providerId}/Entries`,
    access: pam('modify', 404),
    prepare: (fx) =>
      inProvider(fx, (id, name) => ({ url: `${entries(id)}?secretName=${encodeURIComponent(name)}` })),
  },
  {
    method: 'PUT',
    path: `${api}/PamProviders/Local/{providerId}/Entries/{secretName}`,
    access: pam('modify', 404),
    prepare: (fx) =>
      inProvider(fx, (id, name) => ({
        url: `${entries(id)}/${encodeURIComponent(name)}`,
        body: { SecretValue: 'changed' },
      })),
  },
  {
    method: 'DELETE',
    path: `${api}/PamProviders/Local/{providerId}/Entries/{secretName}`,
    access: pam('modify', 404),
    prepare: (fx) => inProvider(fx, (id, name) => ({ url: `${entries(id)}/${encodeURIComponent(name)}` })),
  },
  {
    method: 'GET',
    path: '/strongroom/pam-providers/{providerId}/entries/{secretName}',
    access: pam('read', 404),
    prepare: (fx) => inProvider(fx, (id, name) => ({ url: history(id, name) })),
  },
  {
    method: 'GET',
    path: '/strongroom/pam-providers/{providerId}/entries/{secretName}/versions',
    access: pam('read', 404),
    prepare: (fx) => inProvider(fx, (id, name) => ({ url: `${history(id, name)}/versions` })),
  },
  {
    method: 'POST',
    path: '/strongroom/pam-providers/{providerId}/entries/{secretName}/versions/{version}/restore',
    access: pam('modify', 404),
    prepare: async (fx) => {
      const providerId = await fx.provider();
      const name = await fx.entry(providerId, 2);
      return { url: `${history(providerId, name)}/versions/1/restore`, scopeId: providerId };
    },
  },

  // Certificate store types
  {
    method: 'GET',
    path: `${api}/CertificateStoreTypes`,
    access: stores('read', 'shared'),
    prepare: async (fx) => ({ url: `${api}/CertificateStoreTypes`, scopeId: await fx.container() }),
  },
  {
    method: 'GET',
    path: `${api}/CertificateStoreTypes/{id}`,
    access: stores('read', 'shared'),
    prepare: async (fx) => ({ url: `${api}/CertificateStoreTypes/0`, scopeId: await fx.container() }),
  },
  {
    method: 'GET',
    path: `${api}/CertificateStoreTypes/Name/{name}`,
    access: stores('read', 'shared'),
    prepare: async (fx) => ({ url: `${api}/CertificateStoreTypes/Name/JKS`, scopeId: await fx.container() }),
  },
  {
    method: 'POST',
    path: `${api}/CertificateStoreTypes`,
    access: storesModifyGlobal,
    prepare: (fx) => {
      const name = fx.unique('st');
      return Promise.resolve({
        url: `${api}/CertificateStoreTypes`,
        body: { Name: name, ShortName: name.slice(-20) },
      });
    },
  },
  {
    method: 'PUT',
    path: `${api}/CertificateStoreTypes`,
    access: storesModifyGlobal,
    prepare: async (fx) => {
      const name = fx.unique('st');
      return {
        url: `${api}/CertificateStoreTypes`,
        body: { StoreType: await fx.storeType(), Name: name, ShortName: name.slice(-20) },
      };
    },
  },
  {
    method: 'DELETE',
    path: `${api}/CertificateStoreTypes`,
    access: storesModifyGlobal,
    prepare: async (fx) => ({ url: `${api}/CertificateStoreTypes`, body: [await fx.storeType()] }),
  },
  {
    method: 'DELETE',
    path: `${api}/CertificateStoreTypes/{id}`,
    access: storesModifyGlobal,
    prepare: async (fx) => ({ url: `${api}/CertificateStoreTypes/${await fx.storeType()}` }),
  },

  // Certificate store containers
  {
    method: 'GET',
    path: `${api}/CertificateStoreContainers`,
    access: stores('read', 'list'),
    prepare: async (fx) => ({ url: `${api}/CertificateStoreContainers`, scopeId: await fx.container() }),
  },
  {
    method: 'POST',
    path: `${api}/CertificateStoreContainers`,
    access: storesModifyGlobal,
    prepare: (fx) =>
      Promise.resolve({ url: `${api}/CertificateStoreContainers`, body: { Name: fx.unique('container') } }),
  },
  {
    method: 'PUT',
    path: `${api}/CertificateStoreContainers`,
    access: stores('modify', 404),
    prepare: async (fx) => {
      const id = await fx.container();
      return {
        url: `${api}/CertificateStoreContainers`,
        body: { Id: id, Name: fx.unique('container') },
        scopeId: id,
      };
    },
  },
  {
    method: 'GET',
    path: `${api}/CertificateStoreContainers/{id}`,
    access: stores('read', 404),
    prepare: async (fx) => {
      const id = await fx.container();
      return { url: `${api}/CertificateStoreContainers/${id}`, scopeId: id };
    },
  },
  {
    method: 'DELETE',
    path: `${api}/CertificateStoreContainers/{id}`,
    access: stores('modify', 404),
    prepare: async (fx) => {
      const id = await fx.container();
      return { url: `${api}/CertificateStoreContainers/${id}`, scopeId: id };
    },
  },

  // Certificate stores
  {
    method: 'GET',
    path: `${api}/CertificateStores`,
    access: stores('read', 'list'),
    prepare: (fx) => inContainer(fx, () => ({ url: `${api}/CertificateStores` })),
  },
  {
    method: 'POST',
    path: `${api}/CertificateStores`,
    access: stores('modify', 400),
    prepare: async (fx) => {
      const id = await fx.container();
      return {
        url: `${api}/CertificateStores`,
        body: {
          ClientMachine: fx.unique('host'),
          Storepath: '/matrix.jks',
          CertStoreType: 0,
          ContainerId: id,
        },
        scopeId: id,
      };
    },
  },
  {
    method: 'PUT',
    path: `${api}/CertificateStores`,
    access: stores('modify', 404),
    prepare: (fx) =>
      inContainer(fx, (id) => ({
        url: `${api}/CertificateStores`,
        body: { Id: id, CreateIfMissing: true },
      })),
  },
  {
    method: 'DELETE',
    path: `${api}/CertificateStores`,
    // Keyfactor's bulk delete skips ids it cannot act on, so another container's caller gets 204 and deletes nothing.
    access: stores('modify', 'ignored'),
    prepare: (fx) => inContainer(fx, (id) => ({ url: `${api}/CertificateStores`, body: [id] })),
  },
  {
    method: 'GET',
    path: `${api}/CertificateStores/{id}`,
    access: stores('read', 404),
    prepare: (fx) => inContainer(fx, (id) => ({ url: `${api}/CertificateStores/${id}` })),
  },
  {
    method: 'DELETE',
    path: `${api}/CertificateStores/{id}`,
    access: stores('modify', 404),
    prepare: (fx) => inContainer(fx, (id) => ({ url: `${api}/CertificateStores/${id}` })),
  },
  {
    method: 'PUT',
    path: `${api}/CertificateStores/AssignContainer`,
    access: stores('modify', 404),
    prepare: async (fx) => {
      const request = await inContainer(fx, (id) => ({
        url: `${api}/CertificateStores/AssignContainer`,
        body: [id],
      }));
      return { ...request, body: { KeystoreIds: request.body, CertStoreContainerId: request.scopeId } };
    },
  },
  {
    method: 'PUT',
    path: `${api}/CertificateStores/Password`,
    access: storesModifyGlobal,
    prepare: (fx) =>
      inContainer(fx, (id) => ({
        url: `${api}/CertificateStores/Password`,
        body: { CertStoreId: id, NewPassword: { SecretValue: 'matrix-password' } },
      })),
  },
  {
    method: 'POST',
    path: '/strongroom/certificate-stores/{id}/password/resolve',
    access: resolve,
    prepare: (fx) =>
      inContainer(fx, (id) => ({ url: `/strongroom/certificate-stores/${id}/password/resolve` })),
  },
  {
    method: 'POST',
    path: '/strongroom/certificate-stores/{id}/properties/{name}/resolve',
    access: resolve,
    prepare: async (fx) => {
      const storeType = await fx.storeType();
      const containerId = await fx.container(storeType);
      const storeId = await fx.store(containerId, storeType);
      return {
        url: `/strongroom/certificate-stores/${storeId}/properties/ServerPassword/resolve`,
        scopeId: containerId,
      };
    },
  },

  // Audit
  { method: 'GET', path: `${api}/Audit`, access: auditRead, prepare: fixed(`${api}/Audit`) },
  {
    method: 'GET',
    path: `${api}/Audit/Download`,
    access: auditRead,
    prepare: fixed(`${api}/Audit/Download`),
  },
  {
    method: 'GET',
    path: `${api}/Audit/RelatedEntities`,
    access: auditRead,
    prepare: fixed(`${api}/Audit/RelatedEntities`),
  },
  { method: 'GET', path: `${api}/Audit/{id}`, access: auditRead, prepare: fixed(`${api}/Audit/1`) },
  {
    method: 'GET',
    path: `${api}/Audit/{id}/Validate`,
    access: auditRead,
    prepare: fixed(`${api}/Audit/1/Validate`),
  },
  {
    method: 'GET',
    path: '/strongroom/audit/verify',
    access: auditRead,
    prepare: fixed('/strongroom/audit/verify'),
  },

  // Probes and metrics
  {
    method: 'GET',
    path: '/strongroom/health/live',
    access: { kind: 'public' },
    prepare: fixed('/strongroom/health/live'),
  },
  {
    method: 'GET',
    path: '/strongroom/health/ready',
    access: { kind: 'public' },
    prepare: fixed('/strongroom/health/ready'),
  },
  { method: 'GET', path: '/metrics', access: metricsRead, prepare: fixed('/metrics') },

  // Data keys
  { method: 'GET', path: '/strongroom/keys', access: keysAdministration, prepare: fixed('/strongroom/keys') },
  {
    method: 'POST',
    path: '/strongroom/keys/rotate',
    access: keysAdministration,
    prepare: fixed('/strongroom/keys/rotate'),
  },
  {
    method: 'POST',
    path: '/strongroom/keys/rewrap',
    access: keysAdministration,
    prepare: fixed('/strongroom/keys/rewrap'),
  },
  {
    method: 'DELETE',
    path: '/strongroom/keys/{version}',
    access: keysAdministration,
    prepare: async (fixtures) => ({ url: `/strongroom/keys/${await fixtures.retirableKeyVersion()}` }),
  },

  // OAuth clients and the built-in token issuer
  {
    method: 'GET',
    path: '/strongroom/oauth/clients',
    access: securityRead,
    prepare: fixed('/strongroom/oauth/clients'),
  },
  {
    method: 'GET',
    path: '/strongroom/oauth/clients/{clientId}',
    access: securityRead,
    prepare: async (fx) => ({ url: `/strongroom/oauth/clients/${await client(fx)}` }),
  },
  {
    method: 'POST',
    path: '/strongroom/oauth/clients',
    access: securityModify,
    prepare: (fx) =>
      Promise.resolve({
        url: '/strongroom/oauth/clients',
        body: { ClientId: fx.unique('client'), Description: 'matrix' },
      }),
  },
  {
    method: 'PUT',
    path: '/strongroom/oauth/clients/{clientId}',
    access: securityModify,
    prepare: async (fx) => ({
      url: `/strongroom/oauth/clients/${await client(fx)}`,
      body: { Description: 'changed', Enabled: false },
    }),
  },
  {
    method: 'DELETE',
    path: '/strongroom/oauth/clients/{clientId}',
    access: securityModify,
    prepare: async (fx) => ({ url: `/strongroom/oauth/clients/${await client(fx)}` }),
  },
  {
    method: 'POST',
    path: '/strongroom/oauth/clients/{clientId}/secret',
    access: securityModify,
    prepare: async (fx) => ({ url: `/strongroom/oauth/clients/${await client(fx)}/secret` }),
  },
  {
    method: 'GET',
    path: '/strongroom/oauth/jwks',
    access: { kind: 'public' },
    prepare: fixed('/strongroom/oauth/jwks'),
  },
  {
    method: 'GET',
    path: '/.well-known/oauth-authorization-server',
    access: { kind: 'public' },
    prepare: fixed('/.well-known/oauth-authorization-server'),
  },
  {
    method: 'GET',
    path: '/.well-known/openid-configuration',
    access: { kind: 'public' },
    prepare: fixed('/.well-known/openid-configuration'),
  },
  {
    method: 'POST',
    path: '/strongroom/oauth/signing-key/rotate',
    access: securityModify,
    prepare: fixed('/strongroom/oauth/signing-key/rotate'),
  },
  {
    method: 'POST',
    path: '/strongroom/oauth/token',
    access: { kind: 'self-authenticating', refusal: 'oauth' },
    prepare: tokenRequest,
  },

  // Identity providers
  {
    method: 'GET',
    path: `${api}/Identity/Providers`,
    access: identityRead,
    prepare: fixed(`${api}/Identity/Providers`),
  },
  {
    method: 'GET',
    path: `${api}/Identity/Providers/{id}`,
    access: identityRead,
    prepare: async (fx) => ({ url: `${api}/Identity/Providers/${(await fx.identityProvider()).id}` }),
  },
  {
    method: 'POST',
    path: `${api}/Identity/Providers`,
    access: identityModify,
    prepare: (fx) =>
      Promise.resolve({
        url: `${api}/Identity/Providers`,
        body: fx.identityProviderBody(fx.unique('idp')),
      }),
  },
  {
    method: 'PUT',
    path: `${api}/Identity/Providers/{id}`,
    access: identityModify,
    prepare: async (fx) => {
      const { id, scheme } = await fx.identityProvider();
      return {
        url: `${api}/Identity/Providers/${id}`,
        body: { ...fx.identityProviderBody(scheme), DisplayName: fx.unique('renamed') },
      };
    },
  },

  // Portal sessions
  { method: 'POST', path: '/strongroom/session', access: signInAccess, prepare: signInRequest },
  { method: 'GET', path: '/strongroom/session', access: signedIn, prepare: fixed('/strongroom/session') },
  { method: 'DELETE', path: '/strongroom/session', access: signInAccess, prepare: signOutRequest },
  // Permission set changes
  {
    method: 'POST',
    path: `${api}/PermissionSets`,
    access: securityModify,
    prepare: async (fx) => ({
      url: `${api}/PermissionSets`,
      body: { Name: fx.unique('set'), Permissions: ['/pam/'] },
    }),
  },
  {
    method: 'PUT',
    path: `${api}/PermissionSets`,
    access: securityModify,
    prepare: async (fx) => ({
      url: `${api}/PermissionSets`,
      body: { Id: await fx.permissionSet(), Permissions: ['/pam/read/'] },
    }),
  },
  {
    method: 'DELETE',
    path: `${api}/PermissionSets/{id}`,
    access: securityModify,
    prepare: async (fx) => ({ url: `${api}/PermissionSets/${await fx.permissionSet()}` }),
  },

  // Portal sign-in at external identity providers (portal-external-sign-in.test.ts runs the whole flow)
  {
    method: 'GET',
    path: '/strongroom/session/providers',
    access: { kind: 'public' },
    prepare: fixed('/strongroom/session/providers'),
  },
  {
    method: 'GET',
    path: '/strongroom/session/external/callback',
    access: { kind: 'public', status: 401 },
    prepare: fixed('/strongroom/session/external/callback?state=unknown&code=unknown'),
  },
  {
    method: 'GET',
    path: '/strongroom/session/external/{scheme}',
    access: { kind: 'public', status: 404 },
    prepare: fixed('/strongroom/session/external/NoSuchProvider'),
  },
];
