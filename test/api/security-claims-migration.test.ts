import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Migrator, sql } from 'kysely';
import { createMigrations } from '../../src/storage/migrations.js';
import { createStorage } from '../../src/storage/storage.js';
import { createTestDatabase, testDialects } from '../support/test-server.js';

for (const dialect of testDialects()) {
  test(`007-legacy-security turns role claims into shared claims and links, keeping every grant [${dialect}]`, async () => {
    const database = await createTestDatabase(dialect);
    const storage = await createStorage({ databaseUrl: database.databaseUrl, dataDir: database.dataDir });
    try {
      const migrator = new Migrator({
        db: storage.db,
        provider: { getMigrations: () => Promise.resolve(createMigrations(dialect)) },
      });
      const before = await migrator.migrateTo('005-local-entry-version-archive');
      assert.equal(before.error, undefined);
      await sql`insert into permission_sets (id, name) values ('set', 'Global')`.execute(storage.db);
      await sql`insert into roles (name, description, permission_set_id) values ('one', '', 'set'), ('two', '', 'set')`.execute(
        storage.db,
      );
      // The same group twice in different case, once per role, and a user claim the second role also holds.
      await sql`insert into role_claims (role_id, claim_type, claim_value, provider_scheme, description) values
        (1, 'Group', 'PKI', 'Basic', 'first'),
        (1, 'User', 'alice', 'Basic', ''),
        (2, 'Group', 'pki', 'BASIC', 'second'),
        (2, 'OAuthRole', 'pki', 'Basic', '')`.execute(storage.db);
      const versionBefore = await sql<{ version: number }>`select version from security_version`.execute(
        storage.db,
      );

      assert.equal((await migrator.migrateToLatest()).error, undefined);

      const claims = await storage.db.selectFrom('security_claims').selectAll().orderBy('id').execute();
      assert.deepEqual(
        claims.map((claim) => [
          claim.claim_type,
          claim.claim_value,
          claim.provider_scheme,
          claim.description,
        ]),
        [
          ['Group', 'PKI', 'Basic', 'first'],
          ['User', 'alice', 'Basic', ''],
          ['OAuthRole', 'pki', 'Basic', ''],
        ],
      );
      const links = await storage.db
        .selectFrom('role_claim_links')
        .innerJoin('security_claims', 'security_claims.id', 'role_claim_links.claim_id')
        .select(['role_id', 'claim_type'])
        .orderBy('role_id')
        .orderBy('claim_type')
        .execute();
      assert.deepEqual(
        links.map((link) => `${link.role_id}:${link.claim_type}`),
        ['1:Group', '1:User', '2:Group', '2:OAuthRole'],
      );

      // The new tables bump the security version like the tables the authenticator read before.
      const claimId = claims[0]?.id ?? 0;
      await storage.db.deleteFrom('role_claim_links').where('claim_id', '=', claimId).execute();
      await storage.db
        .updateTable('security_claims')
        .set({ description: 'x' })
        .where('id', '=', claimId)
        .execute();
      const versionAfter = await sql<{ version: number }>`select version from security_version`.execute(
        storage.db,
      );
      assert.ok(Number(versionAfter.rows[0]?.version) >= Number(versionBefore.rows[0]?.version) + 2);
      await assert.rejects(
        storage.db
          .insertInto('security_claims')
          .values({ claim_type: 'User', claim_value: 'ALICE', provider_scheme: 'basic', description: '' })
          .execute(),
        'a claim differing only in case is refused',
      );
    } finally {
      await storage.close();
      await database.drop();
    }
  });
}
