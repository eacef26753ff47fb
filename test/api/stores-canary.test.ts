import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { sql } from 'kysely';
import type { StoreBody } from '../support/store-fixtures.js';
import {
  createContainer,
  createLocalEntry,
  createLocalProvider,
  expectStatus,
  stores,
  uniqueName,
} from '../support/store-fixtures.js';
import type { ApiResponse, RequestOptions } from '../support/test-server.js';
import { describeEachDialect } from '../support/test-server.js';

/**
 * A canary is random, so finding it anywhere means it leaked. The quote and backslash make its JSON-escaped
 * spellings differ from the plain one, and each spelling is looked for separately.
 */
function makeCanary(): { core: string; full: string } {
  const core = `cnry${randomBytes(10).toString('hex')}`;
  return { core, full: `${core}"q\\s` };
}

/** Every way a value could be written down: as text, JSON-escaped (once or twice), base64 at any alignment, hex. */
function spellings(canary: { core: string; full: string }): string[] {
  const forms = new Set<string>();
  const once = JSON.stringify(canary.full).slice(1, -1);
  forms.add(canary.core).add(canary.full).add(once).add(JSON.stringify(once).slice(1, -1));
  for (const text of [canary.core, canary.full]) {
    const bytes = Buffer.from(text, 'utf8');
    forms.add(bytes.toString('hex')).add(bytes.toString('hex').toUpperCase());
    for (let offset = 0; offset < 3; offset++) {
      const shifted = Buffer.concat([Buffer.alloc(offset), bytes]);
      // Only the characters that depend on the canary's bytes alone are kept.
      for (const encoding of ['base64', 'base64url'] as const) {
        forms.add(shifted.toString(encoding).slice(offset === 0 ? 0 : 4, -4));
      }
    }
  }
  return [...forms];
}

function findLeaks(haystack: string, canaries: { core: string; full: string }[], where: string): string[] {
  return canaries.flatMap((canary) =>
    spellings(canary)
      .filter((form) => haystack.includes(form))
      .map((form) => `${where} contains ${form}`),
  );
}

describeEachDialect('secret canary', (server) => {
  test('store passwords and secret properties never appear in responses, logs, audit rows or the database', async () => {
    const canaries = Array.from({ length: 9 }, makeCanary);
    const [
      createPassword,
      createServerPassword,
      createServerUsername,
      endpointPassword,
      updatePassword,
      updateProperty,
      rejectedProperties,
      rejectedBoth,
      rejectedLong,
    ] = canaries.map((canary) => canary.full) as [
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    const responses: ApiResponse[] = [];
    const call = async (method: string, url: string, options: RequestOptions = {}) => {
      const response = await server().request(method, url, options);
      responses.push(response);
      return response;
    };

    const provider = await createLocalProvider(server());
    await createLocalEntry(server(), provider, 'canary-entry', 'not-a-store-secret');
    const container = await createContainer(server(), uniqueName('canary'));
    const created = await call('POST', stores, {
      body: {
        ClientMachine: 'canary-host',
        Storepath: '/canary.jks',
        CertStoreType: 0,
        ContainerId: container,
        Password: { SecretValue: createPassword },
        Properties: JSON.stringify({
          ServerPassword: { value: { SecretValue: createServerPassword } },
          ServerUsername: { Value: { SecretValue: createServerUsername } },
        }),
      },
    });
    expectStatus(created, 200);
    const storeId = (created.body as StoreBody).Id;
    expectStatus(
      await call('PUT', `${stores}/Password`, {
        body: { CertStoreId: storeId, NewPassword: { SecretValue: endpointPassword } },
      }),
      204,
    );
    expectStatus(
      await call('PUT', stores, {
        body: {
          Id: storeId,
          Password: { SecretValue: updatePassword },
          Properties: JSON.stringify({
            ServerPassword: { value: { SecretValue: updateProperty } },
            ServerUsername: { value: { Provider: provider, Parameters: { SecretName: 'canary-entry' } } },
          }),
        },
      }),
      200,
    );

    // Refused requests must not echo what they carried either.
    const rejected = [
      await call('PUT', stores, {
        body: {
          Id: storeId,
          Properties: `{"ServerPassword": {"value": {"SecretValue": "${rejectedProperties}`,
        },
      }),
      await call('PUT', `${stores}/Password`, {
        body: { CertStoreId: storeId, NewPassword: { SecretValue: rejectedBoth, Provider: provider } },
      }),
      await call('PUT', `${stores}/Password`, {
        body: { CertStoreId: storeId, NewPassword: { SecretValue: rejectedLong + 'x'.repeat(16400) } },
      }),
      await call('POST', stores, {
        body: {
          ClientMachine: 'canary-host',
          Storepath: '/canary.jks',
          CertStoreType: 0,
          Password: { SecretValue: rejectedBoth },
        },
      }),
    ];
    assert.deepEqual(
      rejected.map((response) => response.status),
      [400, 400, 400, 409],
    );

    expectStatus(await call('GET', `${stores}/${storeId}`), 200);
    expectStatus(await call('GET', stores), 200);
    expectStatus(await call('GET', `/KeyfactorAPI/CertificateStoreContainers/${container}`), 200);
    expectStatus(await call('GET', '/KeyfactorAPI/Audit'), 200);

    // Resolution is the one place a value may leave, and only in its own response.
    const resolved = await server().request(
      'POST',
      `/strongroom/certificate-stores/${storeId}/password/resolve`,
    );
    assert.deepEqual(resolved.body, { Password: updatePassword });
    const property = await server().request(
      'POST',
      `/strongroom/certificate-stores/${storeId}/properties/ServerPassword/resolve`,
    );
    assert.deepEqual(property.body, { Name: 'ServerPassword', Value: updateProperty });

    // The detector itself must see a value in every spelling, or finding nothing would prove nothing.
    assert.notDeepEqual(findLeaks(resolved.text, canaries, 'resolution'), []);
    const probe = canaries[0] as { core: string; full: string };
    for (const spelled of [
      `x${Buffer.from(`ab${probe.full}`).toString('base64')}`,
      Buffer.from(probe.core).toString('hex'),
      JSON.stringify(JSON.stringify({ probe: probe.full })),
    ]) {
      assert.notDeepEqual(findLeaks(spelled, [probe], 'probe'), [], spelled);
    }

    const leaks: string[] = [];
    for (const response of responses) {
      leaks.push(
        ...findLeaks(`${JSON.stringify(response.headers)}\n${response.text}`, canaries, 'a response'),
      );
    }
    leaks.push(...findLeaks(server().logs(), canaries, 'the server log'));
    const auditRows = await server().server.storage.db.selectFrom('audit_log').selectAll().execute();
    assert.ok(auditRows.length > 0);
    leaks.push(...findLeaks(JSON.stringify(auditRows), canaries, 'audit_log'));

    if (server().dialect === 'sqlite') {
      for (const file of ['strongroom.db', 'strongroom.db-wal']) {
        const path = join(server().database.dataDir, file);
        if (!existsSync(path)) continue;
        leaks.push(...findLeaks(readFileSync(path).toString('latin1'), canaries, file));
      }
    } else {
      const tables = await sql<{ table_name: string }>`
        select table_name from information_schema.tables where table_schema = 'public'`.execute(
        server().server.storage.db,
      );
      assert.ok(tables.rows.length > 10);
      for (const { table_name: table } of tables.rows) {
        const rows = await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(
          server().server.storage.db,
        );
        const text = JSON.stringify(rows.rows, (_key, value: unknown) =>
          value !== null && typeof value === 'object' && 'type' in value && value.type === 'Buffer'
            ? Buffer.from((value as unknown as { data: number[] }).data).toString('latin1')
            : value,
        );
        leaks.push(...findLeaks(text, canaries, `table ${table}`));
      }
    }
    assert.deepEqual(leaks, []);
  });
});
