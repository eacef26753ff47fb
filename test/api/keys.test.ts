import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { generateMasterKey } from '../../src/crypto/master-key.js';
import { createAuditWriter } from '../../src/modules/audit/audit-writer.js';
import { openLiveKeyRing } from '../../src/modules/keys/key-ring.js';
import { createKeyService } from '../../src/modules/keys/key-service.js';
import { loadAuditMacKey, StartupError } from '../../src/startup/key-setup.js';
import { createServer } from '../../src/startup/server.js';
import { createStorage } from '../../src/storage/storage.js';
import {
  assertEveryColumnSeeded,
  openEverySealedValue,
  seedEverySealedColumn,
} from '../support/sealed-values.js';
import { createLocalEntry, createLocalProvider, expectStatus, message } from '../support/store-fixtures.js';
import type { Credentials, TestServer } from '../support/test-server.js';
import { describeEachDialect, testConfig } from '../support/test-server.js';

interface StatusBody {
  ActiveKeyVersion: number;
  Versions: { KeyVersion: number; SealedCount: number; IsActive: boolean }[];
  Rewrap: {
    IsRunning: boolean;
    TargetVersion: number | null;
    RowsRewrapped: number;
    FinishedAt: string | null;
  };
}

const keys = '/strongroom/keys';

async function status(server: TestServer): Promise<StatusBody> {
  const response = await server.request('GET', keys);
  expectStatus(response, 200);
  return response.body as StatusBody;
}

/** A second process's view of the same database, as the CLI opens it. */
async function outsideKeyService(server: TestServer, masterKey = server.database.masterKey) {
  const storage = await createStorage({
    databaseUrl: server.database.databaseUrl,
    dataDir: server.database.dataDir,
  });
  const keyRing = await openLiveKeyRing({ db: storage.db, masterKey, warn: () => undefined });
  const auditMacKey = await loadAuditMacKey(storage.db, masterKey);
  const service = createKeyService({
    storage,
    keyRing,
    masterKey,
    audit: createAuditWriter({ macKey: auditMacKey, now: () => new Date() }),
    now: () => new Date(),
  });
  return { service, storage, keyRing };
}

async function keyVersionOfEntry(server: TestServer, secretName: string): Promise<number> {
  const row = await server.server.storage.db
    .selectFrom('local_entries')
    .select('value_sealed')
    .where('secret_name', '=', secretName)
    .executeTakeFirstOrThrow();
  return Buffer.from(row.value_sealed).readUInt32BE(1);
}

describeEachDialect('data key rotation and rewrap', (server) => {
  let operator: Credentials;
  let resolver: Credentials;
  let areaAdministrator: Credentials;
  let expected: Map<string, string>;

  before(async () => {
    await seedEverySealedColumn(server());
    operator = await server().createUser('key-operator', ['/strongroom/keys/']);
    resolver = await server().createUser('key-resolver', ['/strongroom/resolve/']);
    areaAdministrator = await server().createUser('key-area-admin', [
      '/pam/',
      '/certificate_stores/',
      '/security/',
      '/auditing/',
      '/system_settings/',
    ]);
    expected = (await openEverySealedValue(server().server.storage.db, server().database.masterKey))
      .plaintexts;
    assertEveryColumnSeeded(expected);
  });

  test('every keys route needs /strongroom/keys/, which no other grant implies', async () => {
    const routes: [string, string][] = [
      ['GET', keys],
      ['POST', `${keys}/rotate`],
      ['POST', `${keys}/rewrap`],
      ['DELETE', `${keys}/1`],
    ];
    for (const [method, url] of routes) {
      assert.equal((await server().request(method, url, { as: null })).status, 401, `${method} ${url}`);
      for (const caller of [resolver, areaAdministrator]) {
        const refused = await server().request(method, url, { as: caller });
        assert.equal(refused.status, 403, `${method} ${url} as ${caller.username}`);
      }
    }
    const allowed = await server().request('GET', keys, { as: operator });
    expectStatus(allowed, 200);
    assert.equal((allowed.body as StatusBody).ActiveKeyVersion, 1);
  });

  test('status counts every sealed value under version 1 before any rotation', async () => {
    const body = await status(server());
    assert.deepEqual(
      body.Versions.map((version) => [version.KeyVersion, version.SealedCount, version.IsActive]),
      [[1, expected.size, true]],
    );
    assert.equal(body.Rewrap.TargetVersion, null);
  });

  test('a rotation made by another process reaches this node at its next request', async () => {
    const outside = await outsideKeyService(server());
    try {
      assert.deepEqual(await outside.service.rotate('outside-operator'), { keyVersion: 2 });
    } finally {
      await outside.storage.close();
    }
    const provider = await createLocalProvider(server());
    await createLocalEntry(server(), provider, 'written-after-rotation', 'new-value');
    assert.equal(await keyVersionOfEntry(server(), 'written-after-rotation'), 2);
    assert.equal(await keyVersionOfEntry(server(), 'entry-3'), 1);
    expected.set(
      [
        ...(
          await openEverySealedValue(server().server.storage.db, server().database.masterKey)
        ).plaintexts.keys(),
      ].find((key) => key.includes('written-after-rotation')) ?? 'missing',
      'new-value',
    );
  });

  test('retiring is refused for the active version, a version still in use and an unknown one', async () => {
    const active = await server().request('DELETE', `${keys}/2`, { as: operator });
    expectStatus(active, 409);
    assert.match(message(active), /'2' is the active key/);
    const inUse = await server().request('DELETE', `${keys}/1`, { as: operator });
    expectStatus(inUse, 409);
    assert.match(message(inUse), /'1' still seals \d+ value\(s\); run a rewrap first/);
    const unknown = await server().request('DELETE', `${keys}/77`, { as: operator });
    expectStatus(unknown, 404);
    expectStatus(await server().request('DELETE', `${keys}/0`, { as: operator }), 400);
    assert.equal((await status(server())).Versions.length, 2);
  });

  test('after rotate and rewrap every secret opens to its old value and nothing is left on version 1', async () => {
    const response = await server().request('POST', `${keys}/rewrap`, { as: operator });
    expectStatus(response, 200);
    const summary = response.body as {
      TargetVersion: number;
      Rewrapped: number;
      Remaining: number;
      Stopped: boolean;
    };
    assert.equal(summary.TargetVersion, 2);
    assert.equal(summary.Remaining, 0);
    assert.equal(summary.Stopped, false);
    assert.equal(summary.Rewrapped, expected.size - 1);
    const after = await openEverySealedValue(server().server.storage.db, server().database.masterKey);
    assert.deepEqual(after.plaintexts, expected);
    assert.deepEqual([...after.versions], [[2, expected.size]]);
    const body = await status(server());
    assert.deepEqual(
      body.Versions.map((version) => [version.KeyVersion, version.SealedCount]),
      [
        [1, 0],
        [2, expected.size],
      ],
    );
    assert.equal(body.Rewrap.RowsRewrapped, expected.size - 1);
    assert.notEqual(body.Rewrap.FinishedAt, null);
    assert.equal(body.Rewrap.IsRunning, false);
  });

  test('a second rewrap finds nothing to do, and the old version can then be retired', async () => {
    const again = await server().request('POST', `${keys}/rewrap`, { as: operator });
    expectStatus(again, 200);
    assert.equal((again.body as { Rewrapped: number }).Rewrapped, 0);
    expectStatus(await server().request('DELETE', `${keys}/1`, { as: operator }), 204);
    assert.deepEqual(
      (await status(server())).Versions.map((version) => version.KeyVersion),
      [2],
    );
    const after = await openEverySealedValue(server().server.storage.db, server().database.masterKey);
    assert.deepEqual(after.plaintexts, expected);
  });

  test('two rewraps at once never reseal a value twice: one refuses while the other holds the lease', async () => {
    expectStatus(await server().request('POST', `${keys}/rotate`, { as: operator }), 200);
    const [first, second] = await Promise.all([
      server().request('POST', `${keys}/rewrap`, { as: operator }),
      server().request('POST', `${keys}/rewrap`, { as: operator }),
    ]);
    const statuses = [first.status, second.status].sort();
    const rewrapped = [first, second]
      .filter((response) => response.status === 200)
      .reduce((sum, response) => sum + (response.body as { Rewrapped: number }).Rewrapped, 0);
    assert.equal(rewrapped, expected.size, `statuses ${statuses.join(',')}`);
    for (const response of [first, second]) {
      if (response.status !== 200) {
        expectStatus(response, 409);
        assert.match(message(response), /Another rewrap is running/);
      }
    }
    const after = await openEverySealedValue(server().server.storage.db, server().database.masterKey);
    assert.deepEqual([...after.versions], [[3, expected.size]]);
  });

  test('each step is audited under the data key category, with no key material', async () => {
    const rows = await server()
      .server.storage.db.selectFrom('audit_log')
      .select(['operation', 'entity_type', 'immutable_identifier', 'message'])
      .where('category', '=', 2130)
      .orderBy('id')
      .execute();
    const steps = rows.map((row) => `${row.operation}:${row.entity_type}:${row.immutable_identifier}`);
    assert.ok(steps.includes('1:DataKey:2'), steps.join(' '));
    assert.ok(steps.includes('2:DataKeyRewrap:2'), steps.join(' '));
    assert.ok(steps.includes('3:DataKey:1'), steps.join(' '));
    const text = JSON.stringify(rows);
    for (const secret of expected.values()) assert.ok(!text.includes(secret));
  });
});

describeEachDialect('master key rotation', (server) => {
  let expected: Map<string, string>;
  const newKey = generateMasterKey();

  before(async () => {
    await seedEverySealedColumn(server(), 2);
    expected = (await openEverySealedValue(server().server.storage.db, server().database.masterKey))
      .plaintexts;
  });

  test('a running node keeps serving after rotate-master, logs that it needs a restart, and a start with the old key is refused', async () => {
    const oldKey = server().database.masterKey;
    const client = await server().request('POST', '/strongroom/oauth/clients', {
      body: { ClientId: 'survives-master-rotation', Description: 'client made before the rotation' },
    });
    expectStatus(client, 200);
    const clientSecret = (client.body as { ClientSecret: string }).ClientSecret;
    const outside = await outsideKeyService(server());
    try {
      assert.deepEqual(await outside.service.rotateMaster('outside-operator', newKey), { dataKeys: 1 });
      await assert.rejects(
        outside.service.rotateMaster('outside-operator', newKey),
        /current master key does not match this database; nothing was changed/,
      );
    } finally {
      await outside.storage.close();
    }
    // The running node still holds its unwrapped data keys.
    const provider = await createLocalProvider(server());
    await createLocalEntry(server(), provider, 'after-master-rotation', 'still-written');
    assert.match(server().logs(), /master key of this database was rotated/);

    await assert.rejects(
      createServer({ config: testConfig(server().database), warn: () => undefined }),
      (error: unknown) => error instanceof StartupError && /does not match this database/.test(error.message),
    );
    await server().restart({ masterKey: { source: 'env', key: newKey } });
    const reopened = await openEverySealedValue(server().server.storage.db, newKey);
    for (const [location, value] of expected) assert.equal(reopened.plaintexts.get(location), value);
    await assert.rejects(openEverySealedValue(server().server.storage.db, oldKey), /could not be unwrapped/);
    // The audit chain signed before the rotation still verifies with the kept audit key.
    const verify = await server().request('GET', '/strongroom/audit/verify');
    expectStatus(verify, 200);
    assert.equal((verify.body as { Intact: boolean }).Intact, true, verify.text);
    // A client secret issued before the rotation is still accepted: its keyed hash is checked with the kept key.
    const token = await server().request('POST', '/strongroom/oauth/token', {
      as: null,
      rawBody: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: 'survives-master-rotation',
        client_secret: clientSecret,
      }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expectStatus(token, 200);
  });

  test('a new master key equal to the current one is refused', async () => {
    const outside = await outsideKeyService(server(), newKey);
    try {
      await assert.rejects(
        outside.service.rotateMaster('outside-operator', newKey),
        /same as the current one/,
      );
    } finally {
      await outside.storage.close();
    }
  });
});
