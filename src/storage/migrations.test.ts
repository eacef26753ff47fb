import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Migrator, sql } from 'kysely';
import { createTestDatabase, testDialects } from '../../test/support/test-server.js';
import { createMigrations } from './migrations.js';
import { createStorage } from './storage.js';

for (const dialect of testDialects()) {
  test(`006-fidelity keeps every container, its id and the stores that point at it [${dialect}]`, async () => {
    const database = await createTestDatabase(dialect);
    const storage = await createStorage({ databaseUrl: database.databaseUrl, dataDir: database.dataDir });
    try {
      const migrator = new Migrator({
        db: storage.db,
        provider: { getMigrations: () => Promise.resolve(createMigrations(dialect)) },
      });
      const { error } = await migrator.migrateTo('005-local-entry-version-archive');
      assert.equal(error, undefined);
      const db = storage.db;
      await sql`insert into certificate_store_types (store_type, name, short_name, private_key_allowed, add_supported, remove_supported, definition_json)
        values (0, 'Java Keystore', 'JKS', 0, 0, 0, '{}')`.execute(db);
      for (const [id, name] of [
        [3, 'kept'],
        [7, 'deleted-later'],
      ] as const) {
        await sql`insert into certificate_store_containers (id, name, cert_store_type, overwrite_schedules, schedule_json, has_schedule)
          values (${id}, ${name}, 0, 1, ${'{"Interval":{"Minutes":5}}'}, 1)`.execute(db);
      }
      await sql`delete from certificate_store_containers where id = 7`.execute(db);
      await sql`insert into certificate_stores (id, container_id, client_machine, storepath, cert_store_type, approved, create_if_missing, properties_json, agent_assigned, created_at, updated_at)
        values ('s1', 3, 'host', '/p', 0, 1, 0, '{}', 0, '', '')`.execute(db);

      await storage.migrate();

      const rows = await sql<{
        id: number;
        name: string;
        cert_store_type: number | null;
        schedule_json: string;
      }>`
        select id, name, cert_store_type, schedule_json from certificate_store_containers order by id`.execute(
        db,
      );
      assert.deepEqual(rows.rows, [
        { id: 3, name: 'kept', cert_store_type: 0, schedule_json: '{"Interval":{"Minutes":5}}' },
      ]);
      const untyped = await sql<{
        id: number;
      }>`insert into certificate_store_containers (name, cert_store_type, overwrite_schedules)
        values ('untyped', null, 0) returning id`.execute(db);
      if (dialect === 'sqlite') {
        // AUTOINCREMENT's counter survived the rebuild, so a deleted container's id is not handed out again.
        assert.equal(untyped.rows[0]?.id, 8);
      }
      await assert.rejects(
        sql`insert into certificate_stores (id, container_id, client_machine, storepath, cert_store_type, approved, create_if_missing, properties_json, agent_assigned, created_at, updated_at)
          values ('s2', 999, 'host', '/q', 0, 1, 0, '{}', 0, '', '')`.execute(db),
        'the stores table still refuses a container that does not exist',
      );
      await assert.rejects(
        sql`delete from certificate_store_containers where id = 3`.execute(db),
        'a container that holds a store still cannot be deleted',
      );
      await assert.rejects(
        sql`insert into certificate_store_containers (name, overwrite_schedules) values ('KEPT', 0)`.execute(
          db,
        ),
        'names stay unique without regard to case',
      );
    } finally {
      await storage.close();
      await database.drop();
    }
  });
}
