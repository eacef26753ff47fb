import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely } from 'kysely';
import { createAuditSealer } from '../modules/audit/audit-sealer.js';
import { createAuditWriter } from '../modules/audit/audit-writer.js';
import { createGroupCommitter } from './group-commit.js';
import { createSqliteDialect, openSqliteReader } from './sqlite-dialect.js';
import type { GroupCommitter } from './group-commit.js';
import type { Storage } from './storage.js';
import { createStorage, isUniqueViolation } from './storage.js';

interface ItemDatabase {
  items: { name: string };
  parents: { id: number };
  children: { parent_id: number };
}

/** A real SQLite file with Strongroom's durability settings, and a record of every statement it ran. */
function openItemDatabase(directory: string): { db: Kysely<ItemDatabase>; statements: string[] } {
  const connection = new BetterSqlite3(join(directory, 'items.db'));
  connection.pragma('journal_mode = WAL');
  connection.pragma('synchronous = FULL');
  connection.pragma('foreign_keys = ON');
  connection.exec(`
    create table items (name text primary key);
    create table parents (id integer primary key);
    create table children (parent_id integer not null references parents (id) deferrable initially deferred);
  `);
  const statements: string[] = [];
  const db = new Kysely<ItemDatabase>({
    dialect: createSqliteDialect({ writer: connection, reader: openSqliteReader(connection) }),
    log: (event) => {
      if (event.level === 'query') statements.push(event.query.sql.toLowerCase());
    },
  });
  return { db, statements };
}

const insertItem = (name: string) => async (tx: Kysely<ItemDatabase>) => {
  await tx.insertInto('items').values({ name }).execute();
  return name;
};

async function storedNames(db: Kysely<ItemDatabase>): Promise<string[]> {
  const rows = await db.selectFrom('items').select('name').orderBy('name').execute();
  return rows.map((row) => row.name);
}

describe('group commit on SQLite', () => {
  let directory: string;
  let db: Kysely<ItemDatabase>;
  let statements: string[];
  let committer: GroupCommitter<ItemDatabase>;

  before(() => {
    directory = mkdtempSync(join(tmpdir(), 'strongroom-group-commit-'));
    ({ db, statements } = openItemDatabase(directory));
    committer = createGroupCommitter(db);
  });
  after(async () => {
    await db.destroy();
    rmSync(directory, { recursive: true, force: true });
  });

  test('concurrent works share one commit, and a failing work rejects only its own caller', async () => {
    await db.deleteFrom('items').execute();
    statements.length = 0;
    const outcomes = await Promise.allSettled(
      Array.from({ length: 40 }, (_, index) =>
        committer.run(async (tx) => {
          const name = await insertItem(`item-${String(index).padStart(2, '0')}`)(tx);
          // Every fifth work fails after writing, so its write must be undone while the others stay.
          if (index % 5 === 0) throw new Error(`work ${index} failed`);
          return name;
        }),
      ),
    );

    const expected: string[] = [];
    outcomes.forEach((outcome, index) => {
      if (index % 5 === 0) {
        assert.equal(outcome.status, 'rejected');
        assert.equal((outcome.reason as Error).message, `work ${index} failed`);
      } else {
        assert.deepEqual(outcome, { status: 'fulfilled', value: `item-${String(index).padStart(2, '0')}` });
        expected.push(`item-${String(index).padStart(2, '0')}`);
      }
    });
    assert.deepEqual(await storedNames(db), expected);
    assert.equal(statements.filter((statement) => statement === 'commit').length, 1);
  });

  test('a constraint violation in one work leaves the rest of the batch committed', async () => {
    await db.deleteFrom('items').execute();
    const outcomes = await Promise.allSettled([
      committer.run(insertItem('taken')),
      committer.run(insertItem('taken')),
      committer.run(insertItem('free')),
    ]);
    assert.deepEqual(
      outcomes.map((outcome) => outcome.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    );
    assert.ok(isUniqueViolation((outcomes[1] as PromiseRejectedResult).reason));
    assert.deepEqual(await storedNames(db), ['free', 'taken']);
  });

  test('when COMMIT fails, every caller in the batch rejects and nothing is kept', async () => {
    await db.deleteFrom('items').execute();
    // A deferred foreign key is checked only at COMMIT, so this batch fails there and nowhere earlier.
    const outcomes = await Promise.allSettled([
      committer.run(insertItem('before')),
      committer.run(async (tx) => {
        await tx.insertInto('children').values({ parent_id: 999 }).execute();
        return 'dangling';
      }),
      committer.run(insertItem('after')),
    ]);
    for (const outcome of outcomes) {
      assert.equal(outcome.status, 'rejected');
      assert.equal((outcome.reason as { code?: string }).code, 'SQLITE_CONSTRAINT_FOREIGNKEY');
    }
    assert.deepEqual(await storedNames(db), []);
    assert.deepEqual(await db.selectFrom('children').selectAll().execute(), []);
  });

  test('a lone work commits without a savepoint, and its failure rolls it back', async () => {
    await db.deleteFrom('items').execute();
    statements.length = 0;
    assert.equal(await committer.run(insertItem('alone')), 'alone');
    await assert.rejects(
      committer.run(async (tx) => {
        await insertItem('undone')(tx);
        throw new Error('changed my mind');
      }),
      /changed my mind/,
    );
    assert.deepEqual(await storedNames(db), ['alone']);
    assert.ok(!statements.some((statement) => statement.startsWith('savepoint')));
  });

  test('a work that starts another transaction gets its result from the next batch', async () => {
    await db.deleteFrom('items').execute();
    let inner: Promise<string> | undefined;
    const outer = await committer.run(async (tx) => {
      inner = committer.run(insertItem('inner'));
      return insertItem('outer')(tx);
    });
    assert.equal(outer, 'outer');
    assert.equal(await inner, 'inner');
    assert.deepEqual(await storedNames(db), ['inner', 'outer']);
  });

  test('settled waits until queued works are committed', async () => {
    await db.deleteFrom('items').execute();
    const pending = committer.run(insertItem('queued'));
    await committer.settled();
    assert.deepEqual(await storedNames(db), ['queued']);
    assert.equal(await pending, 'queued');
  });
});

describe('group commit in Strongroom storage', () => {
  let directory: string;
  let storage: Storage;
  const macKey = randomBytes(32);
  const now = () => new Date('2025-01-01T00:00:00Z');

  before(async () => {
    directory = mkdtempSync(join(tmpdir(), 'strongroom-group-commit-'));
    storage = await createStorage({ databaseUrl: undefined, dataDir: directory });
    await storage.migrate();
  });
  after(async () => {
    await storage.close();
    rmSync(directory, { recursive: true, force: true });
  });

  test('keeps exactly the successful changes and their audit entries, and the chain stays contiguous', async () => {
    const audit = createAuditWriter({ macKey, now });
    const outcomes = await Promise.allSettled(
      Array.from({ length: 30 }, (_, index) =>
        storage.transaction(async (tx) => {
          await tx
            .insertInto('strongroom_meta')
            .values({ key: `key-${index}`, value: 'v' })
            .execute();
          await audit.record(tx, {
            actor: 'tester',
            category: 'User',
            operation: 'Created',
            entityType: 'Test',
            auditIdentifier: `key-${index}`,
            immutableIdentifier: String(index),
          });
          if (index % 3 === 0) throw new Error(`work ${index} failed`);
          return index;
        }),
      ),
    );
    const succeeded = outcomes.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
    assert.deepEqual(
      succeeded,
      Array.from({ length: 30 }, (_, index) => index).filter((index) => index % 3 !== 0),
    );

    const keys = await storage.db
      .selectFrom('strongroom_meta')
      .select('key')
      .where('key', 'like', 'key-%')
      .execute();
    assert.deepEqual(keys.map((row) => row.key).sort(), succeeded.map((index) => `key-${index}`).sort());
    const audited = await storage.db
      .selectFrom('audit_log')
      .select('audit_identifier')
      .where('entity_type', '=', 'Test')
      .orderBy('id')
      .execute();
    assert.deepEqual(
      audited.map((row) => row.audit_identifier),
      succeeded.map((index) => `key-${index}`),
    );

    await createAuditSealer({ storage, macKey, now }).sealNow();
    const sequences = await storage.db.selectFrom('audit_log').select('sequence').orderBy('id').execute();
    assert.deepEqual(
      sequences.map((row) => row.sequence),
      sequences.map((_, index) => index + 1),
    );
  });

  test('a read made while a batch is open never sees its uncommitted changes', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const write = storage.transaction(async (tx) => {
      await tx.insertInto('strongroom_meta').values({ key: 'rolled-back', value: 'v' }).execute();
      await gate;
      throw new Error('abandoned after writing');
    });
    await new Promise((resolve) => setImmediate(resolve));
    // The batch now holds the connection with the row written; this read must wait and see it gone.
    const read = storage.db
      .selectFrom('strongroom_meta')
      .select('key')
      .where('key', '=', 'rolled-back')
      .execute();
    release();
    await assert.rejects(write, /abandoned after writing/);
    assert.deepEqual(await read, []);
  });
});
