import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { localProviderTypeId } from '../../src/modules/pam-providers/pam-provider-type-builtins.js';
import { describeEachDialect } from '../support/test-server.js';
import type { Credentials } from '../support/test-server.js';

interface AuditLogEntry {
  Id: number;
  Category: number;
  Operation: number;
  Level: number;
  User: string | null;
  AuditIdentifier: string | null;
  Message: string | null;
}

/** The value of one detail in an entry's XML message. */
function detail(entry: AuditLogEntry, name: string): string | undefined {
  return new RegExp(`<${name}>([^<]*)</${name}>`).exec(entry.Message ?? '')?.[1];
}

describeEachDialect('denied requests are audited as authorization failures', (server) => {
  let reader: Credentials;
  let providerId: number;

  const failures = async (user: string) => {
    const response = await server().request(
      'GET',
      `/KeyfactorAPI/Audit?ReturnLimit=1000&QueryString=${encodeURIComponent('Category -eq "Authorization Failure"')}`,
    );
    assert.equal(response.status, 200, response.text);
    return (response.body as AuditLogEntry[]).filter((entry) => entry.User === user);
  };

  before(async () => {
    const provider = await server().request('POST', '/KeyfactorAPI/PamProviders', {
      body: { Name: 'denied-audit-local', ProviderType: { Id: localProviderTypeId } },
    });
    assert.equal(provider.status, 200, provider.text);
    providerId = (provider.body as { Id: number }).Id;
    reader = await server().createUser('denied-reader', [`/pam/read/${providerId}/`]);
  });

  test('a wrong password is one Warning entry naming the user and the route, never the password', async () => {
    const password = 'wrong-password-canary-4711';
    const response = await server().request('GET', '/strongroom/users', {
      as: { username: reader.username, password },
    });
    assert.equal(response.status, 401);
    const [entry, ...others] = await failures(reader.username);
    assert.ok(entry);
    assert.equal(others.length, 0);
    assert.equal(entry.Category, 2012);
    assert.equal(entry.Operation, 5);
    assert.equal(entry.Level, 1);
    assert.equal(entry.AuditIdentifier, 'GET /strongroom/users');
    assert.equal(detail(entry, 'Reason'), 'SignInFailed');
    assert.equal(detail(entry, 'Count'), '1');
    assert.ok(!JSON.stringify(entry).includes(password));
  });

  test('an unknown user is recorded under the name it claimed', async () => {
    const response = await server().request('GET', '/strongroom/users', {
      as: { username: 'nobody-by-that-name', password: 'whatever-password' },
    });
    assert.equal(response.status, 401);
    const [entry] = await failures('nobody-by-that-name');
    assert.ok(entry);
    assert.equal(detail(entry, 'Reason'), 'SignInFailed');
  });

  test('no credentials at all is a challenge, not a failed sign-in', async () => {
    const before = await server().request('GET', '/KeyfactorAPI/Audit?ReturnLimit=1');
    const response = await server().request('GET', '/strongroom/users', { as: null });
    assert.equal(response.status, 401);
    const after = await server().request('GET', '/KeyfactorAPI/Audit?ReturnLimit=1');
    assert.deepEqual(after.body, before.body);
  });

  test('a 403 at the route names the route template and the missing permission, not the values', async () => {
    const response = await server().request('DELETE', `/KeyfactorAPI/PamProviders/${providerId}`, {
      as: reader,
      body: { Password: 'body-canary-value' },
    });
    assert.equal(response.status, 403);
    const [entry] = await failures(reader.username).then((list) =>
      list.filter((item) => detail(item, 'Reason') === 'PermissionMissing'),
    );
    assert.ok(entry);
    assert.equal(entry.AuditIdentifier, 'DELETE /KeyfactorAPI/PamProviders/:id');
    assert.equal(detail(entry, 'MissingPermission'), '/pam/modify/');
    assert.ok(!(entry.Message ?? '').includes(`/PamProviders/${providerId}`));
    assert.ok(!JSON.stringify(entry).includes('body-canary-value'));
  });

  test('a 403 from a service names the scoped permission the caller lacks', async () => {
    const editor = await server().createUser('denied-half-editor', [
      `/pam/read/${providerId}/`,
      '/pam/modify/999/',
    ]);
    const response = await server().request(
      'POST',
      `/KeyfactorAPI/PamProviders/Local/${providerId}/Entries`,
      {
        as: editor,
        body: { SecretName: 'denied-entry', SecretValue: 'secret-canary-value-9' },
      },
    );
    assert.equal(response.status, 403, response.text);
    const [entry, ...others] = await failures(editor.username);
    assert.ok(entry);
    assert.equal(others.length, 0);
    assert.equal(detail(entry, 'MissingPermission'), `/pam/modify/${providerId}/`);
    assert.ok(!JSON.stringify(entry).includes('secret-canary-value-9'));
  });

  test('a burst of the same denial is one entry now and one with the count of repeats later', async () => {
    const burster = await server().createUser('denied-burster', []);
    const started = await failures(burster.username);
    assert.equal(started.length, 0);
    for (let attempt = 0; attempt < 25; attempt += 1) {
      const response = await server().request('GET', '/strongroom/users', { as: burster });
      assert.equal(response.status, 403);
    }
    const during = await failures(burster.username);
    assert.equal(during.length, 1);
    assert.equal(detail(during[0]!, 'Count'), '1');

    // Stopping the server writes the counts it still holds; none is lost.
    await server().restart();
    const after = await failures(burster.username);
    assert.equal(after.length, 2);
    const counts = after.map((entry) => Number(detail(entry, 'Count'))).sort((a, b) => a - b);
    assert.deepEqual(counts, [1, 24]);
  });

  test('successful requests write no authorization failure', async () => {
    const before = (await failures(reader.username)).length;
    const response = await server().request('GET', `/KeyfactorAPI/PamProviders/${providerId}`, {
      as: reader,
    });
    assert.equal(response.status, 200, response.text);
    assert.equal((await failures(reader.username)).length, before);
  });
});
