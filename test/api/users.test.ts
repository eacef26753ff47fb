import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { verify } from '@node-rs/argon2';
import { createAuthenticator } from '../../src/modules/security/authenticator.js';
import { globalPermissionSetId } from '../../src/modules/security/admin-bootstrap.js';
import { adminCredentials, describeEachDialect } from '../support/test-server.js';

describeEachDialect('local users', (server) => {
  test('creates a user whose password is never returned and who can then sign in', async () => {
    const password = 'canary-user-password-1a2b3c';
    const created = await server().request('POST', '/strongroom/users', {
      body: { username: 'carol', password, groups: ['pki-team'] },
    });
    assert.equal(created.status, 200);
    assert.deepEqual((created.body as { Username: string; Groups: string[] }).Groups, ['pki-team']);
    assert.ok(!created.text.includes(password));

    const asCarol = await server().request('GET', '/KeyfactorAPI/Security/My', {
      as: { username: 'carol', password },
    });
    assert.notEqual(asCarol.status, 401);
  });

  test('refuses a duplicate user name with 409, whatever its case', async () => {
    await server().request('POST', '/strongroom/users', {
      body: { Username: 'dave', Password: 'long-enough-password' },
    });
    const duplicate = await server().request('POST', '/strongroom/users', {
      body: { Username: 'DAVE', Password: 'long-enough-password' },
    });
    assert.equal(duplicate.status, 409);
    assert.match((duplicate.body as { Message: string }).Message, /DAVE/);
  });

  test('rejects a short password with 400 that names the field and does not echo it', async () => {
    const response = await server().request('POST', '/strongroom/users', {
      body: { Username: 'erin', Password: 'short-pw' },
    });
    assert.equal(response.status, 400);
    assert.match((response.body as { Message: string }).Message, /Password/);
    assert.ok(!response.text.includes('short-pw'));
  });

  test('a password change takes effect at once: the old password stops working', async () => {
    const user = await server().createUser('frank', ['/security/read/']);
    assert.equal((await server().request('GET', '/strongroom/users', { as: user })).status, 200);
    const changed = await server().request('PUT', '/strongroom/users/frank', {
      body: { Password: 'a-brand-new-password', Groups: [] },
    });
    assert.equal(changed.status, 200);
    assert.equal((await server().request('GET', '/strongroom/users', { as: user })).status, 401);
    const withNew = { username: 'frank', password: 'a-brand-new-password' };
    assert.equal((await server().request('GET', '/strongroom/users', { as: withNew })).status, 200);
  });

  test('a deleted user is refused at once, and nobody can delete their own account', async () => {
    const user = await server().createUser('gina', ['/security/read/']);
    assert.equal((await server().request('GET', '/strongroom/users', { as: user })).status, 200);
    assert.equal((await server().request('DELETE', '/strongroom/users/gina')).status, 204);
    assert.equal((await server().request('GET', '/strongroom/users', { as: user })).status, 401);
    const self = await server().request('DELETE', `/strongroom/users/${adminCredentials.username}`);
    assert.equal(self.status, 409);
  });

  test('grants, claims and users changed in the database by something else apply at the next request', async () => {
    const { db } = server().server.storage;
    const user = await server().createUser('kate', ['/security/read/'], ['auditors']);
    const readUsers = () => server().request('GET', '/strongroom/users', { as: user });
    // Each step first proves the caller is remembered, then changes a table behind the server's back.
    assert.equal((await readUsers()).status, 200);
    const role = await db
      .selectFrom('roles')
      .select('id')
      .where('name', '=', 'role-for-kate')
      .executeTakeFirstOrThrow();
    await db.deleteFrom('role_permissions').where('role_id', '=', role.id).execute();
    assert.equal((await readUsers()).status, 403);

    await db
      .insertInto('role_permissions')
      .values({ role_id: role.id, permission: '/security/read/' })
      .execute();
    assert.equal((await readUsers()).status, 200);
    await db.deleteFrom('role_claim_links').where('role_id', '=', role.id).execute();
    assert.equal((await readUsers()).status, 403);

    const claim = await db
      .insertInto('security_claims')
      .values({ claim_type: 'Group', claim_value: 'AUDITORS', provider_scheme: '', description: 'auditors' })
      .returning('id')
      .executeTakeFirstOrThrow();
    await db.insertInto('role_claim_links').values({ role_id: role.id, claim_id: claim.id }).execute();
    assert.equal((await readUsers()).status, 200);
    // Renaming a claim the caller is matched by is a change to security_claims alone.
    await db
      .updateTable('security_claims')
      .set({ claim_value: 'others' })
      .where('id', '=', claim.id)
      .execute();
    assert.equal((await readUsers()).status, 403);
    await db
      .updateTable('security_claims')
      .set({ claim_value: 'AUDITORS' })
      .where('id', '=', claim.id)
      .execute();
    assert.equal((await readUsers()).status, 200);
    await db.updateTable('users').set({ groups_json: '[]' }).where('username', '=', 'kate').execute();
    assert.equal((await readUsers()).status, 403);

    await db.deleteFrom('users').where('username', '=', 'kate').execute();
    assert.equal((await readUsers()).status, 401);
  });

  test('concurrent requests share one password verification, again after the remembered one expires', async () => {
    const user = await server().createUser('lena', []);
    let verifications = 0;
    let clock = Date.now();
    const authenticator = createAuthenticator({
      db: server().server.storage.db,
      cacheKey: randomBytes(32),
      now: () => new Date(clock),
      verifyPassword: (passwordHash, password) => {
        verifications += 1;
        return verify(passwordHash, password);
      },
    });
    const burst = () =>
      Promise.all(
        Array.from({ length: 20 }, () => authenticator.authenticateBasic(user.username, user.password)),
      );
    assert.ok((await burst()).every((actor) => actor.username === 'lena'));
    assert.equal(verifications, 1);
    clock += 61_000;
    await burst();
    assert.equal(verifications, 2);
    await assert.rejects(authenticator.authenticateBasic(user.username, 'not-the-password'), {
      code: 'unauthenticated',
    });
    assert.equal(verifications, 3);
  });

  test('reading users needs /security/read/ and changing them /security/modify/', async () => {
    const reader = await server().createUser('hank', ['/security/read/']);
    assert.equal((await server().request('GET', '/strongroom/users', { as: reader })).status, 200);
    const attempt = await server().request('POST', '/strongroom/users', {
      as: reader,
      body: { Username: 'ivy', Password: 'long-enough-password' },
    });
    assert.equal(attempt.status, 403);
    const nobody = await server().createUser('jack', []);
    assert.equal((await server().request('GET', '/strongroom/users', { as: nobody })).status, 403);
  });

  test('an unknown user is 404 with a message that names it', async () => {
    const response = await server().request('GET', '/strongroom/users/nobody-here');
    assert.equal(response.status, 404);
    assert.equal((response.body as { Message: string }).Message, "User 'nobody-here' was not found");
  });
});

describeEachDialect('protection against locking every operator out', (server) => {
  test('deleting or regrouping users is refused with 409 when it would leave nobody holding /', async () => {
    const rootByUser = await server().createUser('root-by-user', ['/']);
    const opsPassword = 'operators-password-1';
    await server().request('POST', '/strongroom/users', {
      body: { Username: 'ops', Password: opsPassword, Groups: ['operators'] },
    });
    const role = await server().request('POST', '/KeyfactorAPI/Security/Roles', {
      apiVersion: 2,
      body: {
        Name: 'Operators',
        Description: 'Everything, through a group',
        PermissionSetId: globalPermissionSetId,
        Permissions: ['/'],
        Claims: [
          {
            ClaimType: 'Group',
            ClaimValue: 'operators',
            ProviderAuthenticationScheme: 'Basic',
            Description: '',
          },
        ],
      },
    });
    assert.equal(role.status, 200, role.text);
    const ops = { username: 'ops', password: opsPassword };

    assert.equal(
      (await server().request('DELETE', `/strongroom/users/${adminCredentials.username}`, { as: ops }))
        .status,
      204,
    );
    assert.equal(
      (await server().request('DELETE', `/strongroom/users/${rootByUser.username}`, { as: ops })).status,
      204,
    );

    // ops is now the only holder of /, and only through its group.
    const regroup = await server().request('PUT', '/strongroom/users/ops', { as: ops, body: { Groups: [] } });
    assert.equal(regroup.status, 409);
    assert.match((regroup.body as { Message: string }).Message, /no user holding the permission \//);
    const after = await server().request('GET', '/strongroom/users/ops', { as: ops });
    assert.deepEqual((after.body as { Groups: string[] }).Groups, ['operators']);
  });
});
