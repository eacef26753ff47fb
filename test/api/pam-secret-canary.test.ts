import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { localProviderTypeId } from '../../src/modules/pam-providers/pam-provider-type-builtins.js';
import type { TestServer } from '../support/test-server.js';
import { startTestServer, testDialects } from '../support/test-server.js';

const vaultTypeId = 'de8dd7b6-5987-4233-ac2f-60aea68c1b4e';
const delineaTypeId = 'b399f738-62bb-433a-a4b2-abf3f0438300';
const pamTables = [
  'pam_provider_types',
  'pam_provider_type_params',
  'pam_providers',
  'pam_provider_param_values',
  'local_entries',
  'local_entry_versions',
  'audit_log',
] as const;

/** Every spelling a leaked secret could take: as is, base64, hex, and JSON-escaped (with and without \u escapes). */
function leakForms(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8');
  const jsonEscaped = JSON.stringify(secret).slice(1, -1);
  const asciiJson = jsonEscaped.replace(
    /[^\x20-\x7e]/g,
    (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return [
    secret,
    bytes.toString('base64'),
    bytes.toString('base64url'),
    bytes.toString('hex'),
    jsonEscaped,
    asciiJson,
  ];
}

for (const dialect of testDialects()) {
  describe(`PAM secrets never leak [${dialect}]`, () => {
    let harness: TestServer;
    before(async () => {
      // Trace level makes the server log as much as it ever will, so the log check is as strict as it can be.
      harness = await startTestServer(dialect, { logLevel: 'trace' });
    });
    after(async () => {
      await harness.close();
    });

    test('a secret written through any PAM endpoint never appears in a response, a log line, an audit row or the database', async () => {
      const canaries = new Map<string, string>();
      const canary = (label: string) => {
        // Quotes, a backslash and a non-ASCII letter make the JSON-escaped form differ from the plain one.
        const secret = `canary-${label}-${randomBytes(12).toString('hex')}"\\é`;
        canaries.set(label, secret);
        return secret;
      };
      const transcript: string[] = [];
      const call = async (
        method: string,
        url: string,
        options: Parameters<TestServer['request']>[2] = {},
      ) => {
        const response = await harness.request(method, url, options);
        transcript.push(
          `${method} ${url} ${response.status} ${JSON.stringify(response.headers)} ${response.text}`,
        );
        return response;
      };
      const vaultValues = (token: string) => [
        { Value: 'https://vault.example', ProviderTypeParam: { Name: 'Host' } },
        { Value: token, ProviderTypeParam: { Name: 'Token' } },
      ];

      const vault = await call('POST', '/KeyfactorAPI/PamProviders', {
        body: {
          Name: 'canary-vault',
          ProviderType: { Id: vaultTypeId },
          ProviderTypeParamValues: vaultValues(canary('provider-post')),
        },
      });
      assert.equal(vault.status, 200, vault.text);
      const vaultId = (vault.body as { Id: number }).Id;
      const put = (apiVersion: 1 | 2, token: string) =>
        call('PUT', '/KeyfactorAPI/PamProviders', {
          apiVersion,
          body: {
            Id: vaultId,
            Name: 'canary-vault',
            Remote: false,
            ProviderType: { Id: vaultTypeId },
            ProviderTypeParamValues: vaultValues(token),
          },
        });
      assert.equal((await put(1, canary('provider-put-v1'))).status, 200);
      assert.equal((await put(2, canary('provider-put-v2'))).status, 200);
      const delinea = await call('POST', '/KeyfactorAPI/PamProviders', {
        apiVersion: 2,
        body: {
          name: 'canary-delinea',
          providerType: { id: delineaTypeId },
          providerTypeParamValues: [
            { value: canary('provider-username'), providerTypeParam: { id: -1, name: 'Username' } },
            { value: canary('provider-password'), providerTypeParam: { id: -1, name: 'Password' } },
          ],
        },
      });
      assert.equal(delinea.status, 200, delinea.text);
      const refusedProvider = await call('POST', '/KeyfactorAPI/PamProviders', {
        body: {
          Name: 'canary-refused',
          ProviderType: { Id: vaultTypeId },
          ProviderTypeParamValues: [
            ...vaultValues(canary('provider-refused')),
            { Value: 'x', ProviderTypeParam: { Name: 'Unknown' } },
          ],
        },
      });
      assert.equal(refusedProvider.status, 400);

      const local = await call('POST', '/KeyfactorAPI/PamProviders', {
        body: { Name: 'canary-local', ProviderType: { Id: localProviderTypeId } },
      });
      const entries = `/KeyfactorAPI/PamProviders/Local/${(local.body as { Id: number }).Id}/Entries`;
      const history = `/strongroom/pam-providers/${(local.body as { Id: number }).Id}/entries/canary-entry`;
      assert.equal(
        (
          await call('POST', entries, {
            body: { SecretName: 'canary-entry', SecretValue: canary('entry-post'), Description: 'd' },
          })
        ).status,
        200,
      );
      const etag = String((await call('GET', history)).headers.etag);
      assert.equal(
        (
          await call('PUT', entries, {
            body: { SecretName: 'canary-entry', SecretValue: canary('entry-put') },
          })
        ).status,
        200,
      );
      assert.equal(
        (
          await call('PUT', `${entries}/canary-entry`, {
            body: { SecretName: 'canary-entry', SecretValue: canary('entry-put-path') },
          })
        ).status,
        200,
      );
      const refusals = [
        await call('PUT', entries, {
          headers: { 'if-match': etag },
          body: { SecretName: 'canary-entry', SecretValue: canary('entry-412') },
        }),
        await call('POST', entries, { body: { SecretName: '', SecretValue: canary('entry-post-400') } }),
        await call('POST', entries, {
          body: { SecretName: 'canary-entry', SecretValue: canary('entry-post-409') },
        }),
        await call('PUT', entries, {
          body: {
            SecretName: 'canary-entry',
            SecretValue: canary('entry-put-400'),
            Description: 'x'.repeat(2001),
          },
        }),
        await call('PUT', `${entries}/other`, {
          body: { SecretName: 'canary-entry', SecretValue: canary('entry-put-mismatch') },
        }),
        await call('PUT', entries, {
          rawBody: `{"SecretName":"canary-entry","SecretValue":${JSON.stringify(canary('entry-bad-json'))},`,
        }),
      ];
      assert.deepEqual(
        refusals.map((response) => response.status),
        [412, 400, 409, 400, 400, 400],
      );
      assert.equal((await call('POST', `${history}/versions/1/restore`)).status, 200);
      for (const url of [
        '/KeyfactorAPI/PamProviders',
        `/KeyfactorAPI/PamProviders/${vaultId}`,
        entries,
        history,
        `${history}/versions`,
      ]) {
        for (const apiVersion of [1, 2] as const)
          assert.equal((await call('GET', url, { apiVersion })).status, 200);
      }

      const { storage } = harness.server;
      const auditRows = JSON.stringify(await storage.db.selectFrom('audit_log').selectAll().execute());
      let databaseText: string;
      if (dialect === 'sqlite') {
        databaseText = ['strongroom.db', 'strongroom.db-wal', 'strongroom.db-shm']
          .map((name) => join(harness.database.dataDir, name))
          .filter((file) => existsSync(file))
          .map((file) => readFileSync(file).toString('latin1'))
          .join('\n');
      } else {
        const dumps = await Promise.all(
          pamTables.map((table) =>
            sql<{ row: string }>`select t::text as row from ${sql.table(table)} t`.execute(storage.db),
          ),
        );
        databaseText = dumps.flatMap((dump) => dump.rows.map((row) => row.row)).join('\n');
      }
      const places = {
        responses: transcript.join('\n'),
        logs: harness.logs(),
        audit: auditRows,
        database: databaseText,
      };
      assert.ok(
        places.logs.length > 0 && places.database.includes('canary-entry'),
        'the places searched are not empty',
      );

      for (const [label, secret] of canaries) {
        for (const form of leakForms(secret)) {
          for (const [place, text] of Object.entries(places)) {
            // SQLite pages are bytes, read as latin1, so the UTF-8 encoding of the form is what could appear.
            const haystack =
              place === 'database' && dialect === 'sqlite' ? Buffer.from(text, 'latin1') : text;
            const found =
              typeof haystack === 'string'
                ? haystack.includes(form)
                : haystack.includes(Buffer.from(form, 'utf8'));
            assert.ok(!found, `the '${label}' secret appears in the ${place} as ${JSON.stringify(form)}`);
          }
        }
      }
    });
  });
}
