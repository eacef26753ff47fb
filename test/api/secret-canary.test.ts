import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { sql } from 'kysely';
import { openKeyRing } from '../../src/startup/key-setup.js';
import { ensurePortalBuilt } from '../support/portal-bundle.js';
import { describeEachDialect } from '../support/test-server.js';
import type { ApiResponse, RequestOptions, TestServer } from '../support/test-server.js';

/**
 * The leak canary. Every endpoint that accepts a secret writes random high-entropy values through it, and
 * requests that must fail carry more of them. Then every response body, the server's whole log, every
 * audit row and the raw database (SQLite's file and WAL; every PostgreSQL table as text) are searched
 * for each value in every encoding it could leak in. Any hit fails the suite.
 *
 * Adding an endpoint that takes a secret = adding one entry to `secretWriters`.
 */

interface CanaryRequest extends RequestOptions {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  url: string;
  /** The status the request must get; a secret that was not stored proves nothing. */
  status: number;
  /**
   * Set on the one answer whose purpose is to hand out a secret (a new client secret, an access token). That
   * answer is left out of the scan; the secret it carries is planted and searched for everywhere else.
   */
  handsOutSecret?: boolean;
}

interface CanaryApi {
  /** A fresh canary value. `headerSafe` leaves out the non-ASCII character, for values sent in headers. */
  secret(options?: { headerSafe?: boolean }): string;
  send(request: CanaryRequest): Promise<ApiResponse>;
  /** A name that is not secret, written beside secrets: the scan must find it, proving it reads that data. */
  unique(prefix: string): string;
  /** A secret the server produced (a client secret, a token, a key), to be searched for like the others. */
  plant(value: string): void;
  /** The server under test, for writers that must read a server-made secret where only it can. */
  server(): TestServer;
}

interface SecretWriter {
  name: string;
  run(api: CanaryApi): Promise<void>;
}

/** Thrown when the route a writer needs is not served, so the writer is reported as skipped, not passed. */
class MissingEndpoint extends Error {}

function idOf(response: ApiResponse): string | number {
  return (response.body as { Id: string | number }).Id;
}

async function typeIdByName(api: CanaryApi, name: string): Promise<string> {
  const types = await api.send({ method: 'GET', url: '/KeyfactorAPI/PamProviders/Types', status: 200 });
  const type = (types.body as { Id: string; Name: string }[]).find((item) => item.Name === name);
  assert.ok(type !== undefined, `the built-in PAM provider type ${name} is missing`);
  return type.Id;
}

/** A body cut off inside the secret: invalid JSON that still carries the value. */
function truncatedJson(body: Record<string, unknown>): string {
  const text = JSON.stringify(body);
  return text.slice(0, text.length - 2);
}

const secretWriters: SecretWriter[] = [
  {
    name: 'user passwords (/strongroom/users)',
    async run(api) {
      const username = api.unique('canary-user');
      const first = api.secret();
      await api.send({
        method: 'POST',
        url: '/strongroom/users',
        body: { Username: username, Password: first },
        status: 200,
      });
      const changed = api.secret();
      await api.send({
        method: 'PUT',
        url: `/strongroom/users/${username}`,
        body: { Password: changed },
        status: 200,
      });
      await api.send({
        method: 'GET',
        url: '/KeyfactorAPI/Status/Endpoints',
        as: { username, password: changed },
        status: 200,
      });
      await api.send({
        method: 'GET',
        url: '/KeyfactorAPI/Status/Endpoints',
        as: { username, password: api.secret() },
        status: 401,
      });
      await api.send({
        method: 'GET',
        url: '/KeyfactorAPI/Status/Endpoints',
        as: { username: api.secret(), password: api.secret() },
        status: 401,
      });
      await api.send({
        method: 'GET',
        url: '/KeyfactorAPI/Status/Endpoints',
        as: null,
        headers: { authorization: `Bearer ${api.secret({ headerSafe: true })}` },
        status: 401,
      });
      await api.send({
        method: 'POST',
        url: '/strongroom/users',
        body: { Username: username, Password: api.secret() },
        status: 409,
      });
      await api.send({
        method: 'POST',
        url: '/strongroom/users',
        body: { Username: 'not a name!', Password: api.secret() },
        status: 400,
      });
      await api.send({
        method: 'POST',
        url: '/strongroom/users',
        body: { Username: 'x', Password: api.secret().padEnd(1100, 'x') },
        status: 400,
      });
      await api.send({
        method: 'POST',
        url: '/strongroom/users',
        body: { Username: 'x', Password: [api.secret()] },
        status: 400,
      });
      await api.send({
        method: 'PUT',
        url: '/strongroom/users/no-such-canary',
        body: { Password: api.secret() },
        status: 404,
      });
      await api.send({
        method: 'POST',
        url: '/strongroom/users',
        rawBody: truncatedJson({ Username: 'x', Password: api.secret() }),
        status: 400,
      });
    },
  },
  {
    name: 'local PAM entries (SecretValue)',
    async run(api) {
      const localType = await typeIdByName(api, 'LocalDB');
      const provider = await api.send({
        method: 'POST',
        url: '/KeyfactorAPI/PamProviders',
        body: {
          Name: api.unique('canary-local'),
          ProviderType: { Id: localType },
          ProviderTypeParamValues: [],
        },
        status: 200,
      });
      const entries = `/KeyfactorAPI/PamProviders/Local/${idOf(provider)}/Entries`;
      const name = 'canary-entry';
      const history = `/strongroom/pam-providers/${idOf(provider)}/entries/${name}`;
      await api.send({
        method: 'POST',
        url: entries,
        body: { SecretName: name, SecretValue: api.secret(), Description: 'canary' },
        status: 200,
      });
      const firstVersion = await api.send({ method: 'GET', url: history, status: 200 });
      await api.send({
        method: 'PUT',
        url: entries,
        body: { SecretName: name, SecretValue: api.secret() },
        status: 200,
      });
      await api.send({
        method: 'PUT',
        url: `${entries}/${name}`,
        body: { SecretValue: api.secret() },
        status: 200,
      });
      await api.send({
        method: 'PUT',
        url: `${entries}/${name}`,
        body: { SecretName: name, SecretValue: api.secret() },
        status: 200,
      });
      await api.send({
        method: 'PUT',
        url: entries,
        headers: { 'if-match': String(firstVersion.headers.etag) },
        body: { SecretName: name, SecretValue: api.secret() },
        status: 412,
      });
      await api.send({
        method: 'POST',
        url: entries,
        body: { SecretName: '', SecretValue: api.secret() },
        status: 400,
      });
      await api.send({
        method: 'PUT',
        url: entries,
        body: { SecretName: name, SecretValue: api.secret(), Description: 'x'.repeat(2001) },
        status: 400,
      });
      await api.send({
        method: 'PUT',
        url: entries,
        rawBody: truncatedJson({ SecretName: name, SecretValue: api.secret() }),
        status: 400,
      });
      await api.send({ method: 'POST', url: `${history}/versions/1/restore`, status: 200 });
      for (const url of [entries, history, `${history}/versions`]) {
        for (const apiVersion of [1, 2] as const) {
          await api.send({ method: 'GET', url, apiVersion, status: 200 });
        }
      }
      await api.send({
        method: 'POST',
        url: entries,
        body: { SecretName: name, SecretValue: api.secret() },
        status: 409,
      });
      await api.send({
        method: 'POST',
        url: entries,
        body: { SecretName: 'n'.repeat(401), SecretValue: api.secret() },
        status: 400,
      });
      await api.send({
        method: 'POST',
        url: entries,
        body: { SecretName: 'typed', SecretValue: api.secret(), Description: 7 },
        status: 400,
      });
      await api.send({
        method: 'PUT',
        url: entries,
        body: { SecretName: 'no-such-entry', SecretValue: api.secret() },
        status: 404,
      });
      await api.send({
        method: 'PUT',
        url: `${entries}/other-name`,
        body: { SecretName: name, SecretValue: api.secret() },
        status: 400,
      });
      await api.send({
        method: 'POST',
        url: '/KeyfactorAPI/PamProviders/Local/2147483000/Entries',
        body: { SecretName: 'x', SecretValue: api.secret() },
        status: 404,
      });
      await api.send({
        method: 'POST',
        url: entries,
        rawBody: truncatedJson({ SecretName: 'x', SecretValue: api.secret() }),
        status: 400,
      });
    },
  },
  {
    name: 'PAM provider secret parameters (Hashicorp-Vault Token, Delinea-SecretServer Username and Password)',
    async run(api) {
      const vaultType = await typeIdByName(api, 'Hashicorp-Vault');
      const name = api.unique('canary-vault');
      const body = (token: string, extra: object[] = []) => ({
        Name: name,
        ProviderType: { Id: vaultType },
        ProviderTypeParamValues: [
          { Value: 'https://vault.example', ProviderTypeParam: { Name: 'Host' } },
          { Value: token, ProviderTypeParam: { Name: 'Token' } },
          { Value: 'secret/', ProviderTypeParam: { Name: 'Path' } },
          ...extra,
        ],
      });
      const created = await api.send({
        method: 'POST',
        url: '/KeyfactorAPI/PamProviders',
        body: body(api.secret()),
        status: 200,
      });
      await api.send({
        method: 'PUT',
        url: '/KeyfactorAPI/PamProviders',
        body: { ...body(api.secret()), Id: idOf(created) },
        status: 200,
      });
      await api.send({
        method: 'PUT',
        url: '/KeyfactorAPI/PamProviders',
        apiVersion: 2,
        body: { ...body(api.secret()), Id: idOf(created), Remote: false },
        status: 200,
      });
      await api.send({
        method: 'POST',
        url: '/KeyfactorAPI/PamProviders',
        body: body(api.secret()),
        status: 409,
      });
      await api.send({
        method: 'POST',
        url: '/KeyfactorAPI/PamProviders',
        body: {
          ...body(api.secret(), [{ Value: api.secret(), ProviderTypeParam: { Name: 'NoSuchParameter' } }]),
          Name: 'canary-rejected',
        },
        status: 400,
      });
      await api.send({
        method: 'PUT',
        url: '/KeyfactorAPI/PamProviders',
        body: { ...body(api.secret()), Id: 2147483000 },
        status: 404,
      });
      await api.send({
        method: 'POST',
        url: '/KeyfactorAPI/PamProviders',
        rawBody: truncatedJson(body(api.secret())),
        status: 400,
      });
      // Version 2 clients send camelCase names; secret parameters arrive through that spelling too.
      const delineaType = await typeIdByName(api, 'Delinea-SecretServer');
      await api.send({
        method: 'POST',
        url: '/KeyfactorAPI/PamProviders',
        apiVersion: 2,
        body: {
          name: api.unique('canary-delinea'),
          providerType: { id: delineaType },
          providerTypeParamValues: [
            { value: api.secret(), providerTypeParam: { id: -1, name: 'Username' } },
            { value: api.secret(), providerTypeParam: { id: -1, name: 'Password' } },
          ],
        },
        status: 200,
      });
      for (const url of ['/KeyfactorAPI/PamProviders', `/KeyfactorAPI/PamProviders/${idOf(created)}`]) {
        for (const apiVersion of [1, 2] as const) {
          await api.send({ method: 'GET', url, apiVersion, status: 200 });
        }
      }
    },
  },
  {
    name: 'certificate store Password and secret Properties',
    // The resolve endpoints (/strongroom/certificate-stores/{id}/.../resolve) return real values by design,
    // so this writer never calls them: their responses would be reported as leaks.
    async run(api) {
      const properties = () =>
        JSON.stringify({
          ServerUsername: { value: { SecretValue: api.secret() } },
          ServerPassword: { value: { SecretValue: api.secret() } },
          ServerUseSsl: 'true',
        });
      const container = await api.send({
        method: 'POST',
        url: '/KeyfactorAPI/CertificateStoreContainers',
        body: { Name: api.unique('canary-container'), CertStoreType: 0 },
        status: 200,
      });
      const storepath = `/opt/${api.unique('canary')}.jks`;
      const created = await api.send({
        method: 'POST',
        url: '/KeyfactorAPI/CertificateStores',
        body: {
          ClientMachine: 'canary-host',
          Storepath: storepath,
          CertStoreType: 0,
          ContainerId: idOf(container),
          // Keyfactor clients write the property's value as `value` or `Value`; both must be protected.
          Properties: JSON.stringify({
            ServerUsername: { Value: { SecretValue: api.secret() } },
            ServerPassword: { value: { SecretValue: api.secret() } },
          }),
          Password: { SecretValue: api.secret() },
        },
        status: 200,
      });
      const id = idOf(created);
      await api.send({
        method: 'PUT',
        url: '/KeyfactorAPI/CertificateStores',
        body: { Id: id, Properties: properties(), Password: { SecretValue: api.secret() } },
        status: 200,
      });
      // A PAM reference names a local entry whose value is itself a canary: reading the store must not
      // reveal it.
      const localType = await typeIdByName(api, 'LocalDB');
      const provider = await api.send({
        method: 'POST',
        url: '/KeyfactorAPI/PamProviders',
        body: {
          Name: api.unique('canary-store-local'),
          ProviderType: { Id: localType },
          ProviderTypeParamValues: [],
        },
        status: 200,
      });
      await api.send({
        method: 'POST',
        url: `/KeyfactorAPI/PamProviders/Local/${idOf(provider)}/Entries`,
        body: { SecretName: 'canary-store-entry', SecretValue: api.secret() },
        status: 200,
      });
      await api.send({
        method: 'PUT',
        url: '/KeyfactorAPI/CertificateStores',
        body: {
          Id: id,
          Password: { SecretValue: api.secret() },
          Properties: JSON.stringify({
            ServerPassword: { value: { SecretValue: api.secret() } },
            ServerUsername: {
              value: { Provider: idOf(provider), Parameters: { SecretName: 'canary-store-entry' } },
            },
          }),
        },
        status: 200,
      });
      await api.send({
        method: 'PUT',
        url: '/KeyfactorAPI/CertificateStores/Password',
        body: { CertStoreId: id, NewPassword: { SecretValue: api.secret(), Provider: idOf(provider) } },
        status: 400,
      });
      await api.send({
        method: 'PUT',
        url: '/KeyfactorAPI/CertificateStores/Password',
        body: { CertStoreId: id, NewPassword: { SecretValue: api.secret() + 'x'.repeat(16400) } },
        status: 400,
      });
      await api.send({
        method: 'POST',
        url: '/KeyfactorAPI/CertificateStores',
        body: {
          ClientMachine: 'canary-host',
          Storepath: storepath,
          CertStoreType: 0,
          Password: { SecretValue: api.secret() },
        },
        status: 409,
      });
      await api.send({
        method: 'PUT',
        url: '/KeyfactorAPI/CertificateStores/Password',
        body: { CertStoreId: id, NewPassword: { SecretValue: api.secret() } },
        status: 204,
      });
      await api.send({
        method: 'PUT',
        url: '/KeyfactorAPI/CertificateStores/Password',
        body: {
          CertStoreId: '00000000-0000-4000-8000-000000000000',
          NewPassword: { SecretValue: api.secret() },
        },
        status: 404,
      });
      await api.send({
        method: 'PUT',
        url: '/KeyfactorAPI/CertificateStores',
        body: {
          Id: '00000000-0000-4000-8000-000000000000',
          Properties: properties(),
          Password: { SecretValue: api.secret() },
        },
        status: 404,
      });
      await api.send({
        method: 'POST',
        url: '/KeyfactorAPI/CertificateStores',
        body: {
          ClientMachine: 'canary-host',
          Storepath: '/opt/x.jks',
          CertStoreType: 987654,
          Properties: properties(),
          Password: { SecretValue: api.secret() },
        },
        status: 400,
      });
      await api.send({
        method: 'PUT',
        url: '/KeyfactorAPI/CertificateStores',
        body: {
          Id: id,
          Properties: JSON.stringify({ NoSuchProperty: { value: { SecretValue: api.secret() } } }),
        },
        status: 400,
      });
      await api.send({
        method: 'PUT',
        url: '/KeyfactorAPI/CertificateStores',
        body: {
          Id: id,
          Properties: `{"ServerPassword": {"value": {"SecretValue": ${JSON.stringify(api.secret())}`,
        },
        status: 400,
      });
      await api.send({
        method: 'PUT',
        url: '/KeyfactorAPI/CertificateStores/Password',
        rawBody: truncatedJson({ CertStoreId: id, NewPassword: { SecretValue: api.secret() } }),
        status: 400,
      });
      for (const url of [
        `/KeyfactorAPI/CertificateStores/${id}`,
        '/KeyfactorAPI/CertificateStores',
        `/KeyfactorAPI/CertificateStoreContainers/${idOf(container)}`,
      ]) {
        await api.send({ method: 'GET', url, status: 200 });
      }
    },
  },
  {
    name: 'OAuth client secrets, access tokens and the signing key (/strongroom/oauth)',
    async run(api) {
      const clientId = api.unique('canary-client');
      const created = await api.send({
        method: 'POST',
        url: '/strongroom/oauth/clients',
        body: { ClientId: clientId, Description: api.unique('canary-client-description') },
        status: 200,
        handsOutSecret: true,
      });
      const firstSecret = (created.body as { ClientSecret: string }).ClientSecret;
      api.plant(firstSecret);
      const rotated = await api.send({
        method: 'POST',
        url: `/strongroom/oauth/clients/${clientId}/secret`,
        status: 200,
        handsOutSecret: true,
      });
      const secret = (rotated.body as { ClientSecret: string }).ClientSecret;
      api.plant(secret);
      const form = { 'content-type': 'application/x-www-form-urlencoded' };
      const basic = (id: string, value: string) =>
        `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(value)}`).toString('base64')}`;
      const issued = await api.send({
        method: 'POST',
        url: '/strongroom/oauth/token',
        as: null,
        rawBody: 'grant_type=client_credentials&scope=canary',
        headers: { ...form, authorization: basic(clientId, secret) },
        status: 200,
        handsOutSecret: true,
      });
      const token = (issued.body as { access_token: string }).access_token;
      api.plant(token);
      const posted = await api.send({
        method: 'POST',
        url: '/strongroom/oauth/token',
        as: null,
        rawBody: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: clientId,
          client_secret: secret,
        }).toString(),
        headers: form,
        status: 200,
        handsOutSecret: true,
      });
      api.plant((posted.body as { access_token: string }).access_token);
      await api.send({
        method: 'GET',
        url: '/KeyfactorAPI/Security/My',
        as: null,
        headers: { authorization: `Bearer ${token}` },
        status: 200,
      });
      for (const [id, value] of [
        [clientId, firstSecret],
        [clientId, api.secret()],
        ['canary-unknown-client', api.secret()],
      ] as const) {
        await api.send({
          method: 'POST',
          url: '/strongroom/oauth/token',
          as: null,
          rawBody: new URLSearchParams({
            grant_type: 'client_credentials',
            client_id: id,
            client_secret: value,
          }).toString(),
          headers: form,
          status: 401,
        });
      }
      await api.send({
        method: 'POST',
        url: '/strongroom/oauth/token',
        as: null,
        rawBody: new URLSearchParams({ grant_type: api.secret(), client_secret: api.secret() }).toString(),
        headers: form,
        status: 400,
      });
      await api.send({
        method: 'POST',
        url: '/strongroom/oauth/token',
        as: null,
        rawBody: 'grant_type=client_credentials',
        headers: { ...form, authorization: basic(clientId, api.secret()) },
        status: 401,
      });
      await api.send({ method: 'GET', url: `/strongroom/oauth/clients/${clientId}`, status: 200 });
      await api.send({ method: 'GET', url: '/strongroom/oauth/jwks', as: null, status: 200 });
      await api.send({ method: 'POST', url: '/strongroom/oauth/signing-key/rotate', status: 200 });
      // The private half of every signing key, opened the way only the server can, must appear nowhere.
      const server = api.server();
      const cipher = await openKeyRing(server.server.storage, server.database.masterKey, new Date());
      const keys = await server.server.storage.db.selectFrom('oauth_signing_keys').selectAll().execute();
      assert.ok(keys.length >= 2, 'no signing key was created');
      for (const key of keys) {
        const location = { table: 'oauth_signing_keys', rowId: key.kid, column: 'private_jwk_sealed' };
        const privateJwk = JSON.parse(cipher.open(key.private_jwk_sealed, location)) as { d: string };
        api.plant(privateJwk.d);
      }
    },
  },
];

/**
 * Every way a value could appear: as written, JSON-escaped once or twice (a secret inside the
 * `Properties` JSON string), with non-ASCII escaped, hex, and base64 at each byte alignment (a value
 * inside a larger encoded blob, such as a logged Basic authorization header). The random middle alone
 * also counts, which catches a value echoed half-escaped or cut short.
 */
function leakForms(secret: string): Map<string, string> {
  const bytes = Buffer.from(secret, 'utf8');
  const json = JSON.stringify(secret).slice(1, -1);
  const forms = new Map<string, string>([
    ['plain', secret],
    // A server-made value (a token, a key) may hold a short piece between dashes that would match anything.
    ['random part', (secret.split('-')[1]?.length ?? 0) >= 16 ? (secret.split('-')[1] ?? secret) : secret],
    ['JSON-escaped', json],
    ['JSON-escaped twice', JSON.stringify(json).slice(1, -1)],
    [
      'JSON-escaped, ASCII only',
      json.replace(
        /[\u0080-\uffff]/g,
        (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`,
      ),
    ],
    ['hex', bytes.toString('hex')],
    ['HEX', bytes.toString('hex').toUpperCase()],
  ]);
  for (const offset of [0, 1, 2]) {
    const shifted = Buffer.concat([Buffer.alloc(offset), bytes]);
    for (const encoding of ['base64', 'base64url'] as const) {
      // Only the characters made of the value's bits alone are certain; the edges depend on neighbours.
      forms.set(
        `${encoding} at offset ${offset}`,
        shifted.toString(encoding).slice(Math.ceil((offset * 8) / 6), -4),
      );
    }
  }
  return forms;
}

interface Haystack {
  where: string;
  content: Buffer;
}

function findLeaks(secrets: readonly string[], haystacks: readonly Haystack[]): string[] {
  const leaks: string[] = [];
  for (const secret of secrets) {
    for (const [form, text] of leakForms(secret)) {
      const needle = Buffer.from(text);
      for (const haystack of haystacks) {
        if (haystack.content.includes(needle)) leaks.push(`${secret} (${form}) in ${haystack.where}`);
      }
    }
  }
  return leaks;
}

async function databaseContents(server: TestServer): Promise<Haystack[]> {
  if (server.dialect === 'sqlite') {
    const directory = server.database.dataDir;
    return readdirSync(directory)
      .filter((name) => name.startsWith('strongroom.db'))
      .map((name) => ({ where: `database file ${name}`, content: readFileSync(join(directory, name)) }));
  }
  const db = server.server.storage.db;
  const tables = await sql<{ table_name: string }>`
    select table_name from information_schema.tables
    where table_schema = 'public' and table_type = 'BASE TABLE'`.execute(db);
  const haystacks: Haystack[] = [];
  for (const { table_name: table } of tables.rows) {
    const rows = await sql<{ row: string }>`select t::text as row from ${sql.table(table)} t`.execute(db);
    haystacks.push({
      where: `table ${table}`,
      content: Buffer.from(rows.rows.map((row) => row.row).join('\n')),
    });
  }
  return haystacks;
}

test('the scan finds a value planted in each encoding it claims to cover', () => {
  const secret = `Canary-${randomBytes(20).toString('hex')}-"\\/é`;
  const planted = [
    `authorization: Basic ${Buffer.from(`user:${secret}`).toString('base64')}`,
    `authorization: Basic ${Buffer.from(`us:${secret}`).toString('base64')}`,
    `authorization: Basic ${Buffer.from(`u:${secret}`).toString('base64')}`,
    JSON.stringify({ Properties: JSON.stringify({ ServerPassword: secret }) }),
    JSON.stringify({ value: secret }).replace('é', '\\u00e9'),
    `\\x${Buffer.from(`prefix${secret}`).toString('hex')}`,
    Buffer.from(secret).toString('base64url'),
    `truncated echo: ${secret.slice(0, 50)}`,
  ];
  for (const text of planted) {
    assert.notDeepEqual(findLeaks([secret], [{ where: 'planted', content: Buffer.from(text) }]), [], text);
  }
  assert.deepEqual(findLeaks([secret], [{ where: 'unrelated', content: randomBytes(4096) }]), []);
});

await ensurePortalBuilt();

describeEachDialect(
  'secret canary',
  (server) => {
    const secrets: string[] = [];
    const markers: string[] = [];
    const responses: { where: string; text: string }[] = [];

    const api: CanaryApi = {
      secret(options = {}) {
        const value = `Canary-${randomBytes(20).toString('hex')}-"\\/${options.headerSafe === true ? '' : 'é'}`;
        secrets.push(value);
        return value;
      },
      async send(request) {
        const { method, url, status, handsOutSecret, ...options } = request;
        const response = await server().request(method, url, options);
        if (handsOutSecret !== true) {
          responses.push({
            where: `response to ${method} ${url}`,
            text: `${JSON.stringify(response.headers)}\n${response.text}`,
          });
        }
        if (
          response.status === 404 &&
          /^No endpoint matches/.test((response.body as { Message?: string }).Message ?? '')
        ) {
          throw new MissingEndpoint(`${method} ${url} is not served by this build`);
        }
        assert.equal(response.status, status, `${method} ${url}: ${response.text}`);
        return response;
      },
      unique(prefix) {
        const marker = `${prefix}-${randomBytes(4).toString('hex')}`;
        markers.push(marker);
        return marker;
      },
      plant(value) {
        secrets.push(value);
      },
      server,
    };

    for (const writer of secretWriters) {
      test(`writes secrets and provokes errors with them: ${writer.name}`, async (context) => {
        try {
          await writer.run(api);
        } catch (error) {
          if (!(error instanceof MissingEndpoint)) throw error;
          context.skip(error.message);
        }
      });
    }

    test('no secret appears in any response, log line, audit row, metric or database table or file, in any encoding', async () => {
      await api.send({ method: 'GET', url: '/KeyfactorAPI/Audit?ReturnLimit=5000', status: 200 });
      await api.send({ method: 'GET', url: '/KeyfactorAPI/Audit/Download', status: 200 });
      await api.send({ method: 'GET', url: '/strongroom/audit/verify', status: 200 });
      const auditRows = await server().server.storage.db.selectFrom('audit_log').selectAll().execute();
      assert.ok(auditRows.length > secretWriters.length, 'the writers recorded no audit entries');
      const database = await databaseContents(server());
      for (const marker of markers) {
        assert.ok(
          database.some((haystack) => haystack.content.includes(marker)),
          `the database scan did not find '${marker}', so it cannot vouch for the secrets written beside it`,
        );
      }
      const places: Record<string, Haystack[]> = {
        responses: responses.map(({ where, text }) => ({ where, content: Buffer.from(text) })),
        'server log': [{ where: 'the server log', content: Buffer.from(server().logs()) }],
        'audit log': auditRows.map((row) => ({
          where: `audit entry ${row.id}`,
          content: Buffer.from(JSON.stringify(row)),
        })),
      };
      for (const [place, haystacks] of Object.entries(places)) {
        assert.ok(
          markers.some((marker) => haystacks.some((haystack) => haystack.content.includes(marker))),
          `no marker was found in the ${place}, so the scan of it cannot vouch for anything`,
        );
      }
      // Metrics carry no marker (no label comes from a request), so the scrape is checked to be a real one.
      const metrics = await server().request('GET', '/metrics');
      assert.match(metrics.text, /strongroom_authentication_failures_total/);
      const haystacks: Haystack[] = [
        ...Object.values(places).flat(),
        { where: 'the metrics', content: Buffer.from(metrics.text) },
        ...database,
      ];
      assert.ok(secrets.length >= 20, `only ${secrets.length} secrets were written`);
      const leaks = findLeaks(secrets, haystacks);
      assert.deepEqual(leaks, [], `secrets leaked:\n${leaks.join('\n')}`);
    });
    // Trace level makes the server log as much as it ever will, so the log check is as strict as it can be.
  },
  { logLevel: 'trace' },
);
