import assert from 'node:assert/strict';
import { openLiveKeyRing } from '../../src/modules/keys/key-ring.js';
import { sealedColumns } from '../../src/modules/keys/sealed-column-registry.js';
import type { RowKey } from '../../src/modules/keys/sealed-value-repository.js';
import { readSealedPage } from '../../src/modules/keys/sealed-value-repository.js';
import type { DatabaseExecutor } from '../../src/storage/storage.js';
import type { TestServer } from './test-server.js';
import {
  createLocalEntry,
  createLocalProvider,
  createStore,
  expectStatus,
  uniqueName,
} from './store-fixtures.js';

/** Opens every value the sealed-column registry names; plaintext by location, and key version counts. */
export async function openEverySealedValue(
  db: DatabaseExecutor,
  masterKey: Buffer,
): Promise<{ plaintexts: Map<string, string>; versions: Map<number, number> }> {
  const keyRing = await openLiveKeyRing({ db, masterKey, warn: () => undefined });
  const plaintexts = new Map<string, string>();
  const versions = new Map<number, number>();
  const note = (
    location: { table: string; rowId: string; column: string },
    sealed: Buffer,
    where: string,
  ) => {
    const version = keyRing.keyVersionOf(sealed);
    versions.set(version, (versions.get(version) ?? 0) + 1);
    plaintexts.set(
      `${where} ${location.table}/${location.rowId}/${location.column}`,
      keyRing.open(sealed, location),
    );
  };
  for (const column of sealedColumns) {
    let after: RowKey | undefined;
    for (;;) {
      const page = await readSealedPage(db, column, { after, below: undefined, limit: 500 });
      if (page.length === 0) break;
      after = page.at(-1)?.key;
      for (const row of page) {
        const where = `${column.table}.${column.column}[${row.key.join(',')}]`;
        if (column.form === 'sealed') {
          note(column.locationOf(row.fields), row.value as Buffer, where);
          continue;
        }
        for (const parameter of JSON.parse(String(row.value)) as { name: string; sealedValue?: string }[]) {
          if (parameter.sealedValue === undefined) continue;
          note(
            column.locationOf(row.fields, parameter.name),
            Buffer.from(parameter.sealedValue, 'base64'),
            where,
          );
        }
      }
    }
  }
  return { plaintexts, versions };
}

/**
 * One value in every sealed column: local entries with earlier versions, a provider's secret parameter,
 * a store password, a secret-typed parameter of a PAM reference and the built-in token issuer's signing key.
 */
export async function seedEverySealedColumn(server: TestServer, entries = 6): Promise<void> {
  expectStatus(await server.request('POST', '/strongroom/oauth/signing-key/rotate'), 200);
  const localProvider = await createLocalProvider(server);
  for (let index = 0; index < entries; index += 1) {
    await createLocalEntry(server, localProvider, `entry-${index}`, `value-${index}`);
  }
  for (let index = 0; index < 2; index += 1) {
    expectStatus(
      await server.request('PUT', `/KeyfactorAPI/PamProviders/Local/${localProvider}/Entries`, {
        body: { SecretName: `entry-${index}`, SecretValue: `value-${index}-changed` },
      }),
      200,
    );
  }
  expectStatus(
    await server.request('POST', '/KeyfactorAPI/PamProviders', {
      body: {
        Name: uniqueName('vault'),
        Remote: false,
        ProviderType: { Id: 'de8dd7b6-5987-4233-ac2f-60aea68c1b4e' },
        ProviderTypeParamValues: [
          { Value: 'https://vault.example:8200', ProviderTypeParam: { Name: 'Host' } },
          { Value: 'vault-root-token', ProviderTypeParam: { Name: 'Token' } },
          { Value: 'kv', ProviderTypeParam: { Name: 'Path' } },
        ],
      },
    }),
    200,
  );
  await createStore(server, { Password: { SecretValue: 'stored-store-password' } });
  const type = await server.request('POST', '/KeyfactorAPI/PamProviders/Types', {
    body: {
      Name: uniqueName('token-type'),
      Parameters: [
        { Name: 'Path', DataType: 1, InstanceLevel: true },
        { Name: 'AccessToken', DataType: 2, InstanceLevel: true },
      ],
    },
  });
  expectStatus(type, 200);
  const provider = await server.request('POST', '/KeyfactorAPI/PamProviders', {
    body: {
      Name: uniqueName('token-provider'),
      Remote: true,
      ProviderType: { Id: (type.body as { Id: string }).Id },
    },
  });
  expectStatus(provider, 200);
  await createStore(server, {
    Password: {
      Provider: (provider.body as { Id: number }).Id,
      Parameters: { Path: 'apps/jks', AccessToken: 'instance-access-token' },
    },
  });
}

export function assertEveryColumnSeeded(plaintexts: Map<string, string>): void {
  for (const column of sealedColumns) {
    assert.ok(
      [...plaintexts.keys()].some((key) => key.startsWith(`${column.table}.${column.column}[`)),
      `no value seeded in ${column.table}.${column.column}`,
    );
  }
}
