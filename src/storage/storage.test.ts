import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { sql } from 'kysely';
import { createStorage } from './storage.js';

let dataDir: string;

before(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'strongroom-storage-'));
});
after(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

test('a name lookup in a large provider reads its index once the database is reopened, not the whole provider', async () => {
  const filled = await createStorage({ databaseUrl: undefined, dataDir });
  await filled.migrate();
  await filled.transaction(async (tx) => {
    await sql`insert into pam_provider_types (id, name, is_builtin, created_at) values ('type', 'Type', 0, '')`.execute(
      tx,
    );
    await sql`insert into pam_providers (name, type_id, area, remote, created_at, updated_at) values ('one', 'type', 0, 0, '', '')`.execute(
      tx,
    );
    for (let index = 0; index < 5000; index += 1) {
      await sql`insert into local_entries (provider_id, secret_name, value_sealed, version, created_at, updated_at, updated_by)
        values (1, ${`entry-${index}`}, x'00', 1, '', '', '')`.execute(tx);
    }
  });
  await filled.close();

  const reopened = await createStorage({ databaseUrl: undefined, dataDir });
  try {
    // The shape the list layer produces for `SecretName -eq "…"`: a filter on the lowered name, sorted by name.
    const plan = await sql<{ detail: string }>`explain query plan
      select id from local_entries where provider_id = 1 and lower(secret_name) = lower('entry-42')
      order by secret_name asc nulls first, id asc limit 50`.execute(reopened.db);
    assert.match(plan.rows.map((row) => row.detail).join('\n'), /local_entries_name_search/);
  } finally {
    await reopened.close();
  }
});
