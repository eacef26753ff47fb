import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import type { PamReferenceResolver } from '../../src/modules/pam-providers/pam-reference.js';
import { createPamReferenceResolver } from '../../src/modules/pam-providers/pam-reference-resolver.js';
import { localProviderTypeId } from '../../src/modules/pam-providers/pam-provider-type-builtins.js';
import { openKeyRing } from '../../src/startup/key-setup.js';
import { assertKeyfactorShape } from '../support/keyfactor-openapi.js';
import type { ApiResponse, Credentials } from '../support/test-server.js';
import { describeEachDialect } from '../support/test-server.js';

interface EntryBody {
  ProviderId: number;
  SecretName: string;
  Description: string | null;
}

interface MetadataBody extends EntryBody {
  Version: number;
  UpdatedBy: string;
}

const message = (response: ApiResponse) => (response.body as { Message: string }).Message;

describeEachDialect('local PAM entries', (server) => {
  let localId: number;
  let secondLocalId: number;
  let vaultId: number;
  let resolver: PamReferenceResolver;
  let editor: Credentials;
  let reader: Credentials;

  const entries = (providerId: number = localId) => `/KeyfactorAPI/PamProviders/Local/${providerId}/Entries`;
  const history = (name: string, providerId: number = localId) =>
    `/strongroom/pam-providers/${providerId}/entries/${encodeURIComponent(name)}`;
  const create = (name: string, value: string, description?: string, providerId = localId) =>
    server().request('POST', entries(providerId), {
      body: {
        SecretName: name,
        SecretValue: value,
        ...(description === undefined ? {} : { Description: description }),
      },
    });
  const valueOf = (name: string, providerId = localId) => resolver.resolveLocalSecret(providerId, name);
  /** The details of the local-entry audit entries of one operation on the named entry. */
  const entryAuditDetails = async (operation: number, secretName: string) => {
    const rows = await server()
      .server.storage.db.selectFrom('audit_log')
      .select('message')
      .where('category', '=', 2103)
      .where('operation', '=', operation)
      .where('audit_identifier', '=', secretName)
      .execute();
    return rows.map((row) => JSON.parse(row.message) as Record<string, unknown>);
  };
  const metadata = async (name: string, providerId = localId) =>
    (await server().request('GET', history(name, providerId))).body as MetadataBody;

  before(async () => {
    const provider = async (body: unknown) => {
      const response = await server().request('POST', '/KeyfactorAPI/PamProviders', { body });
      assert.equal(response.status, 200, response.text);
      return (response.body as { Id: number }).Id;
    };
    localId = await provider({ Name: 'entries-local', ProviderType: { Id: localProviderTypeId } });
    secondLocalId = await provider({ Name: 'entries-local-2', ProviderType: { Id: localProviderTypeId } });
    vaultId = await provider({
      Name: 'entries-vault',
      Remote: true,
      ProviderType: { Id: 'de8dd7b6-5987-4233-ac2f-60aea68c1b4e' },
    });
    const { storage } = server().server;
    resolver = createPamReferenceResolver({
      storage,
      cipher: await openKeyRing(storage, server().database.masterKey, new Date()),
    });
    editor = await server().createUser('entry-editor', [`/pam/read/${localId}/`, `/pam/modify/${localId}/`]);
    // Changing another provider gets it past the route's check, so the provider-level 403 is what answers.
    reader = await server().createUser('entry-reader', [
      `/pam/read/${localId}/`,
      `/pam/modify/${secondLocalId}/`,
    ]);
  });

  test('POST stores a secret and answers 200 with ProviderId, SecretName and Description only', async () => {
    const response = await create('db-password', 'S3cret!', 'Main database');
    assert.equal(response.status, 200);
    assert.deepEqual(response.body, {
      ProviderId: localId,
      SecretName: 'db-password',
      Description: 'Main database',
    });
    assertKeyfactorShape(1, 'POST', '/PamProviders/Local/{providerId}/Entries', response.body);
    assert.equal(await valueOf('db-password'), 'S3cret!');
    const noDescription = await create('no-description', 'v');
    assert.deepEqual(noDescription.body, {
      ProviderId: localId,
      SecretName: 'no-description',
      Description: null,
    });
  });

  test('names are exact: a duplicate is a 409, a name differing only in case is another entry', async () => {
    await create('api-key', 'one');
    const duplicate = await create('api-key', 'two');
    assert.equal(duplicate.status, 409);
    assert.equal(message(duplicate), `A secret named 'api-key' already exists in PAM provider '${localId}'`);
    assert.equal(await valueOf('api-key'), 'one');
    const otherCase = await create('API-KEY', 'three');
    assert.equal(otherCase.status, 200);
    assert.equal(await valueOf('API-KEY'), 'three');
    assert.equal(await valueOf('api-key'), 'one');
    assert.equal(await resolver.localEntryExists(server().server.storage.db, localId, 'Api-Key'), false);
  });

  test('GET lists metadata only, filters on SecretName and Description without regard to case, sorts and pages', async () => {
    await create('list-b', 'v', 'Beta for the web tier');
    await create('list-a', 'v', 'Alpha for the WEB tier');
    await create('list-c', 'v');
    const names = async (query: string) => {
      const response = await server().request('GET', `${entries()}?${query}`);
      assert.equal(response.status, 200, response.text);
      assertKeyfactorShape(1, 'GET', '/PamProviders/Local/{providerId}/Entries', response.body);
      return (response.body as EntryBody[]).map((entry) => entry.SecretName);
    };
    const filter = (text: string) => `QueryString=${encodeURIComponent(text)}`;
    assert.deepEqual(await names(filter('SecretName -startswith "LIST-"')), ['list-a', 'list-b', 'list-c']);
    assert.deepEqual(await names(`${filter('SecretName -startswith "list-"')}&SortAscending=1`), [
      'list-c',
      'list-b',
      'list-a',
    ]);
    assert.deepEqual(await names(filter('Description -contains "web"')), ['list-a', 'list-b']);
    assert.deepEqual(await names(filter('Description -contains "web" AND SecretName -eq "list-b"')), [
      'list-b',
    ]);
    assert.deepEqual(await names(`${filter('Description -contains "tier"')}&SortField=description`), [
      'list-a',
      'list-b',
    ]);
    assert.deepEqual(
      await names(`${filter('Description -contains "tier"')}&SortField=Description&SortAscending=1`),
      ['list-b', 'list-a'],
    );
    assert.deepEqual(
      await names(`${filter('SecretName -startswith "list-"')}&ReturnLimit=2&PageReturned=2`),
      ['list-c'],
    );
    const listed = await server().request('GET', entries());
    assert.ok(
      (listed.body as EntryBody[]).every(
        (entry) => Object.keys(entry).join() === 'ProviderId,SecretName,Description',
      ),
    );
    // Keyfactor's Go client escapes the '?' it glues onto the path.
    const goClient = await server().request('GET', `${entries()}%3FReturnLimit=1`);
    assert.equal((goClient.body as EntryBody[]).length, 1);
  });

  test('PUT replaces Description (absent clears it) and keeps the secret when SecretValue is absent or null', async () => {
    await create('put-target', 'original', 'first description');
    const kept = await server().request('PUT', entries(), {
      body: { SecretName: 'put-target', Description: 'second' },
    });
    assert.equal(kept.status, 200);
    assert.deepEqual(kept.body, { ProviderId: localId, SecretName: 'put-target', Description: 'second' });
    assertKeyfactorShape(1, 'PUT', '/PamProviders/Local/{providerId}/Entries', kept.body);
    assert.equal(await valueOf('put-target'), 'original');

    const cleared = await server().request('PUT', entries(), {
      body: { SecretName: 'put-target', SecretValue: null },
    });
    assert.equal((cleared.body as EntryBody).Description, null);
    assert.equal(await valueOf('put-target'), 'original');

    const replaced = await server().request('PUT', entries(), {
      body: { secretName: 'put-target', secretValue: 'rotated', description: 'third' },
    });
    assert.equal(replaced.status, 200);
    assert.equal(await valueOf('put-target'), 'rotated');
    assert.equal((await metadata('put-target')).Version, 4);
  });

  test("the path form used by Keyfactor's Go client updates and deletes the entry the path names", async () => {
    await create('path-form', 'before');
    const updated = await server().request('PUT', `${entries()}/path-form`, {
      body: { SecretName: 'path-form', SecretValue: 'after', Description: 'via path' },
    });
    assert.equal(updated.status, 200);
    assert.deepEqual(updated.body, { ProviderId: localId, SecretName: 'path-form', Description: 'via path' });
    assert.equal(await valueOf('path-form'), 'after');

    const withoutName = await server().request('PUT', `${entries()}/path-form`, {
      body: { Description: 'x' },
    });
    assert.equal(withoutName.status, 200);

    const mismatch = await server().request('PUT', `${entries()}/path-form`, {
      body: { SecretName: 'other-name', SecretValue: 'nope' },
    });
    assert.equal(mismatch.status, 400);
    assert.equal(
      message(mismatch),
      "'SecretName' in the body ('other-name') does not match the secret named in the path ('path-form')",
    );
    assert.equal(await valueOf('path-form'), 'after');

    await create('Mixed Case/Name', 'v');
    const encoded = `${entries()}/${encodeURIComponent('Mixed Case/Name')}`;
    assert.equal((await server().request('PUT', encoded, { body: { Description: 'ok' } })).status, 200);
    assert.equal((await server().request('DELETE', encoded)).status, 204);
    assert.equal((await server().request('DELETE', `${entries()}/path-form`)).status, 204);
    assert.equal(await valueOf('path-form'), undefined);
    assert.equal((await server().request('DELETE', `${entries()}/path-form`)).status, 404);
  });

  test('DELETE ?secretName= removes the entry with its history and answers 204', async () => {
    await create('to-delete', 'v');
    const response = await server().request('DELETE', `${entries()}?secretName=to-delete`);
    assert.equal(response.status, 204);
    assert.equal(response.text, '');
    assert.equal(await valueOf('to-delete'), undefined);
    const again = await server().request('DELETE', `${entries()}?SecretName=to-delete`);
    assert.equal(again.status, 404);
    assert.equal(message(again), `Secret 'to-delete' was not found in PAM provider '${localId}'`);
    const missingName = await server().request('DELETE', entries());
    assert.equal(missingName.status, 400);
    assert.equal(message(missingName), "'secretName' is required");
  });

  test('a provider that is not local is a 400 saying so; an unknown provider or entry is a 404', async () => {
    const notLocal = await server().request('GET', entries(vaultId));
    assert.equal(notLocal.status, 400);
    assert.match(message(notLocal), /is of type 'Hashicorp-Vault', not the local type 'LocalDB'/);
    assert.equal((await create('x', 'v', undefined, vaultId)).status, 400);

    const unknown = await server().request('GET', entries(424242));
    assert.equal(unknown.status, 404);
    assert.equal(message(unknown), "PAM provider '424242' was not found");
    assert.equal((await create('x', 'v', undefined, 424242)).status, 404);

    const unknownEntry = await server().request('PUT', entries(), { body: { SecretName: 'never-created' } });
    assert.equal(unknownEntry.status, 404);
    assert.equal(message(unknownEntry), `Secret 'never-created' was not found in PAM provider '${localId}'`);

    // A caller allowed to change every provider goes straight to the entry; a miss must still be explained.
    for (const method of ['PUT', 'DELETE'] as const) {
      const target = (providerId: number) =>
        method === 'PUT' ? `${entries(providerId)}/x` : `${entries(providerId)}?secretName=x`;
      const body = method === 'PUT' ? { body: { SecretValue: 'v' } } : {};
      const notLocalWrite = await server().request(method, target(vaultId), body);
      assert.equal(notLocalWrite.status, 400, method);
      assert.match(message(notLocalWrite), /is of type 'Hashicorp-Vault', not the local type 'LocalDB'/);
      const unknownWrite = await server().request(method, target(424242), body);
      assert.equal(unknownWrite.status, 404, method);
      assert.equal(message(unknownWrite), "PAM provider '424242' was not found");
    }
  });

  test('bad input is a 4xx with a Message naming the field, and leaves the data as it was', async () => {
    await create('guarded', 'guarded-value', 'guarded description');
    const snapshot = async () => ({
      list: (await server().request('GET', entries())).body,
      metadata: await metadata('guarded'),
      value: await valueOf('guarded'),
    });
    const before = await snapshot();
    const long = (length: number) => 'x'.repeat(length);
    const cases: [string, string, unknown, RegExp][] = [
      [
        'POST',
        '/KeyfactorAPI/PamProviders/Local/abc/Entries',
        { SecretName: 'n', SecretValue: 'v' },
        /'providerId' must be of type integer/,
      ],
      [
        'POST',
        '/KeyfactorAPI/PamProviders/Local/0/Entries',
        { SecretName: 'n', SecretValue: 'v' },
        /'providerId' must be >= 1/,
      ],
      [
        'POST',
        '/KeyfactorAPI/PamProviders/Local/2147483648/Entries',
        { SecretName: 'n', SecretValue: 'v' },
        /'providerId' must be <= 2147483647/,
      ],
      [
        'PUT',
        '/KeyfactorAPI/PamProviders/Local/-1/Entries',
        { SecretName: 'guarded' },
        /'providerId' must be >= 1/,
      ],
      ['POST', entries(), { SecretName: '', SecretValue: 'v' }, /'SecretName' must not be empty/],
      [
        'POST',
        entries(),
        { SecretName: long(401), SecretValue: 'v' },
        /'SecretName' must be at most 400 characters long/,
      ],
      ['POST', entries(), { SecretValue: 'v' }, /'SecretName' is required/],
      ['POST', entries(), { SecretName: 'n' }, /'SecretValue' is required/],
      ['POST', entries(), { SecretName: 'n', SecretValue: '' }, /'SecretValue' must not be empty/],
      ['POST', entries(), { SecretName: 'n', SecretValue: 12345 }, /'SecretValue' must be of type string/],
      [
        'POST',
        entries(),
        { SecretName: 'n', SecretValue: 'v', Description: long(2001) },
        /'Description' must be at most 2000 characters long/,
      ],
      [
        'PUT',
        entries(),
        { SecretName: 'guarded', Description: long(2001) },
        /'Description' must be at most 2000 characters long/,
      ],
      [
        'PUT',
        entries(),
        { SecretName: 'guarded', SecretValue: 12345 },
        /'SecretValue' must be of type string/,
      ],
      [
        'PUT',
        entries(),
        { SecretName: 'guarded', SecretValue: ['a'] },
        /'SecretValue' must be of type string/,
      ],
      ['PUT', entries(), { SecretName: '' }, /'SecretName' must not be empty/],
      ['PUT', entries(), { SecretName: long(401) }, /'SecretName' must be at most 400 characters long/],
      ['PUT', entries(), { Description: 'no name' }, /'SecretName' is required/],
      [
        'PUT',
        `${entries()}/guarded`,
        { SecretName: 'guarded', SecretValue: 7 },
        /'SecretValue' must be of type string/,
      ],
      ['DELETE', `${entries()}?secretName=`, undefined, /'secretName' must not be empty/],
      [
        'GET',
        `${entries()}?QueryString=${encodeURIComponent('Value -eq "x"')}`,
        undefined,
        /unknown field 'Value'; allowed fields are Description, SecretName/,
      ],
      ['GET', `${entries()}?ReturnLimit=0`, undefined, /'ReturnLimit' must be >= 1/],
      ['GET', `${entries()}?ReturnLimit=100000`, undefined, /'ReturnLimit' must be <= 5000/],
      ['GET', `${entries()}?PageReturned=0`, undefined, /'PageReturned' must be >= 1/],
      [
        'GET',
        `${entries()}?SortField=SecretValue`,
        undefined,
        /SortField 'SecretValue' is not a field of this list/,
      ],
    ];
    for (const [method, url, body, expected] of cases) {
      const response = await server().request(method, url, body === undefined ? {} : { body });
      assert.equal(
        response.status,
        400,
        `${method} ${url.slice(0, 80)} ${JSON.stringify(body)?.slice(0, 60)}`,
      );
      assert.match(message(response), expected);
    }
    const invalidJson = await server().request('PUT', entries(), { rawBody: '{"SecretName": "guarded",' });
    assert.equal(invalidJson.status, 400);
    assert.deepEqual(await snapshot(), before);
  });

  test('per-provider grants: allowed on its provider, 404 on another, 403 when it may only read', async () => {
    await create('shared', 'v');
    await create('elsewhere', 'v', undefined, secondLocalId);
    const created = await server().request('POST', entries(), {
      as: editor,
      body: { SecretName: 'by-editor', SecretValue: 'v' },
    });
    assert.equal(created.status, 200);
    const updated = await server().request('PUT', entries(), {
      as: editor,
      body: { SecretName: 'by-editor', Description: 'd' },
    });
    assert.equal(updated.status, 200);
    assert.equal((await metadata('by-editor')).UpdatedBy, 'entry-editor');

    const hidden = await server().request('GET', entries(secondLocalId), { as: editor });
    assert.equal(hidden.status, 404);
    assert.equal(message(hidden), `PAM provider '${secondLocalId}' was not found`);
    const hiddenWrite = await server().request('PUT', entries(secondLocalId), {
      as: editor,
      body: { SecretName: 'elsewhere' },
    });
    assert.equal(hiddenWrite.status, 404);
    assert.equal(
      (await server().request('GET', history('elsewhere', secondLocalId), { as: editor })).status,
      404,
    );

    assert.equal((await server().request('GET', entries(), { as: reader })).status, 200);
    assert.equal((await server().request('GET', history('shared'), { as: reader })).status, 200);
    const readOnly = await server().request('PUT', entries(), { as: reader, body: { SecretName: 'shared' } });
    assert.equal(readOnly.status, 403);
    assert.equal(message(readOnly), `You may read PAM provider '${localId}' but not change it`);
    assert.equal((await server().request('DELETE', `${entries()}/shared`, { as: reader })).status, 403);
    assert.equal(
      (await server().request('POST', entries(), { as: reader, body: { SecretName: 'r', SecretValue: 'v' } }))
        .status,
      403,
    );
    assert.equal((await server().request('GET', entries(), { as: null })).status, 401);
    assert.equal(await valueOf('shared'), 'v');
  });

  test('every change is audited with the fields it changed, never the value', async () => {
    await create('audited', 'audited-value-1');
    await server().request('PUT', entries(), {
      body: { SecretName: 'audited', SecretValue: 'audited-value-2', Description: 'd' },
    });
    await server().request('PUT', entries(), { body: { SecretName: 'audited', Description: 'd' } });
    await server().request('DELETE', `${entries()}?secretName=audited`);
    const rows = await server()
      .server.storage.db.selectFrom('audit_log')
      .select(['operation', 'user_name', 'message'])
      .where('category', '=', 2103)
      .where('audit_identifier', '=', 'audited')
      .orderBy('id')
      .execute();
    assert.deepEqual(
      rows.map((row) => [
        row.operation,
        row.user_name,
        (JSON.parse(row.message) as { changedFields?: string[] }).changedFields,
      ]),
      [
        [1, 'admin', undefined],
        [2, 'admin', ['Description', 'SecretValue']],
        [2, 'admin', []],
        [3, 'admin', undefined],
      ],
    );
    assert.ok(rows.every((row) => !row.message.includes('audited-value')));
  });

  test('the Strongroom read endpoint gives the version and an ETag; If-Match makes a stale PUT fail with 412', async () => {
    await create('concurrent', 'v1', 'd1');
    const first = await server().request('GET', history('concurrent'));
    assert.equal(first.status, 200);
    assert.equal((first.body as MetadataBody).Version, 1);
    const etag = String(first.headers.etag);
    assert.match(etag, /^"\d+\.1"$/);

    const fresh = await server().request('PUT', entries(), {
      headers: { 'if-match': etag },
      body: { SecretName: 'concurrent', SecretValue: 'v2', Description: 'd2' },
    });
    assert.equal(fresh.status, 200);

    const stale = await server().request('PUT', `${entries()}/concurrent`, {
      headers: { 'if-match': etag },
      body: { SecretName: 'concurrent', SecretValue: 'v3', Description: 'lost update' },
    });
    assert.equal(stale.status, 412);
    assert.match(message(stale), /has changed since the version named in If-Match/);
    assert.equal(await valueOf('concurrent'), 'v2');
    const now = await server().request('GET', history('concurrent'));
    assert.equal((now.body as MetadataBody).Description, 'd2');
    assert.notEqual(now.headers.etag, etag);

    const star = await server().request('PUT', entries(), {
      headers: { 'if-match': '*' },
      body: { SecretName: 'concurrent', Description: 'd3' },
    });
    assert.equal(star.status, 200);
    assert.equal((await server().request('GET', history('missing-entry'))).status, 404);
  });

  test('versions list who changed what and when; restore rolls back as a new, audited version', async () => {
    await create('rotating', 'value-1', 'one');
    await server().request('PUT', entries(), {
      body: { SecretName: 'rotating', SecretValue: 'value-2', Description: 'two' },
    });
    await server().request('PUT', entries(), {
      as: editor,
      body: { SecretName: 'rotating', SecretValue: 'value-3', Description: 'three' },
    });

    const versions = await server().request('GET', `${history('rotating')}/versions`);
    assert.equal(versions.status, 200);
    assert.deepEqual(
      (
        versions.body as { Version: number; ChangedBy: string; IsCurrent: boolean; Description: string }[]
      ).map((version) => [version.Version, version.ChangedBy, version.IsCurrent, version.Description]),
      [
        [3, 'entry-editor', true, 'three'],
        [2, 'admin', false, 'two'],
        [1, 'admin', false, 'one'],
      ],
    );
    assert.ok(!versions.text.includes('value-'));

    const restored = await server().request('POST', `${history('rotating')}/versions/1/restore`);
    assert.equal(restored.status, 200);
    assert.deepEqual(
      [(restored.body as MetadataBody).Version, (restored.body as MetadataBody).Description],
      [4, 'one'],
    );
    assert.match(String(restored.headers.etag), /^"\d+\.4"$/);
    assert.equal(await valueOf('rotating'), 'value-1');

    const current = await server().request('POST', `${history('rotating')}/versions/4/restore`);
    assert.equal(current.status, 409);
    const unknown = await server().request('POST', `${history('rotating')}/versions/99/restore`);
    assert.equal(unknown.status, 404);
    const stale = await server().request('POST', `${history('rotating')}/versions/2/restore`, {
      headers: { 'if-match': '"1.1"' },
    });
    assert.equal(stale.status, 412);
    const denied = await server().request('POST', `${history('rotating')}/versions/2/restore`, {
      as: reader,
    });
    assert.equal(denied.status, 403);
    assert.equal(await valueOf('rotating'), 'value-1');

    const audit = await entryAuditDetails(12, 'rotating');
    assert.equal(audit.length, 1);
    assert.deepEqual(audit[0], {
      providerId: localId,
      restoredVersion: 1,
      version: 4,
    });
  });

  test('history keeps only the configured number of earlier versions, pruning older ones as it goes', async () => {
    await create('pruned', 'value-0');
    for (let index = 1; index <= 12; index += 1) {
      await server().request('PUT', entries(), {
        body: { SecretName: 'pruned', SecretValue: `value-${index}` },
      });
    }
    const versions = (await server().request('GET', `${history('pruned')}/versions`)).body as {
      Version: number;
    }[];
    assert.deepEqual(
      versions.map((version) => version.Version),
      [13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3],
    );
    assert.equal((await server().request('POST', `${history('pruned')}/versions/2/restore`)).status, 404);
    assert.equal((await server().request('POST', `${history('pruned')}/versions/3/restore`)).status, 200);
    assert.equal(await valueOf('pruned'), 'value-2');
  });

  test('concurrent updates of one entry all land, each as its own version with its own audit entry', async () => {
    await create('contended', 'value-0');
    const updates = 12;
    const statuses = await Promise.all(
      Array.from({ length: updates }, async (_, index) => {
        const response = await server().request('PUT', entries(), {
          body: { SecretName: 'contended', SecretValue: `value-${index + 1}`, Description: `d${index}` },
        });
        return response.status;
      }),
    );
    assert.deepEqual(new Set(statuses), new Set([200]));
    const versions = (await server().request('GET', `${history('contended')}/versions`)).body as {
      Version: number;
    }[];
    assert.deepEqual(
      versions.map((version) => version.Version),
      Array.from({ length: 11 }, (_, index) => updates + 1 - index),
    );
    const audit = await entryAuditDetails(2, 'contended');
    const recordedVersions = audit.map((details) => details.version as number);
    assert.deepEqual(
      recordedVersions.sort((a, b) => a - b),
      Array.from({ length: updates }, (_, index) => index + 2),
    );
  });

  test('the reference resolver describes providers for the certificate-stores area', async () => {
    const { db } = server().server.storage;
    const local = await resolver.describeProvider(db, localId);
    assert.deepEqual(local, {
      id: localId,
      name: 'entries-local',
      isLocal: true,
      remote: false,
      instanceParameters: [
        { id: local?.instanceParameters[0]?.id, name: 'SecretName', displayName: 'Secret Name', dataType: 1 },
      ],
    });
    const vault = await resolver.describeProvider(db, vaultId);
    assert.equal(vault?.isLocal, false);
    assert.equal(vault?.remote, true);
    assert.deepEqual(
      vault?.instanceParameters.map((param) => param.name),
      ['Secret', 'Key'],
    );
    assert.equal(await resolver.describeProvider(db, 999999), undefined);
    assert.equal(await resolver.localEntryExists(db, localId, 'db-password'), true);
    assert.equal(await resolver.resolveLocalSecret(localId, 'nope'), undefined);
  });

  // Last, because restarting replaces the storage the resolver above reads through.
  test('a lower number of kept versions applies at the next change, and 0 keeps none', async () => {
    const change = async (value: string) => {
      const response = await server().request('PUT', entries(), {
        body: { SecretName: 'kept', SecretValue: value },
      });
      assert.equal(response.status, 200, response.text);
    };
    const versions = async () =>
      ((await server().request('GET', `${history('kept')}/versions`)).body as { Version: number }[]).map(
        (version) => version.Version,
      );
    await create('kept', 'value-0');
    for (let index = 1; index <= 4; index += 1) await change(`value-${index}`);
    assert.deepEqual(await versions(), [5, 4, 3, 2, 1]);
    await server().restart({ secretVersionsKept: 2 });
    await change('value-5');
    assert.deepEqual(await versions(), [6, 5, 4]);
    await server().restart({ secretVersionsKept: 0 });
    await change('value-6');
    assert.deepEqual(await versions(), [7]);
  });
});
