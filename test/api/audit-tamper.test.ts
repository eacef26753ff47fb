import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import type { Selectable } from 'kysely';
import { deriveSubkey } from '../../src/crypto/master-key.js';
import { auditEntryHash } from '../../src/modules/audit/audit-chain.js';
import { writeAuditCheckpoint } from '../../src/modules/audit/audit-sealer.js';
import type { AuditLogTable } from '../../src/storage/database-schema.js';
import { describeEachDialect } from '../support/test-server.js';
import type { TestServer } from '../support/test-server.js';

type AuditRow = Selectable<AuditLogTable>;

interface VerifyResponse {
  Intact: boolean;
  FindingCount: number;
  Findings: { Kind: string; EntryId: number | null; Sequence: number | null; Message: string }[];
}

const projectRoot = fileURLToPath(new URL('../..', import.meta.url));

/** Runs the real CLI in a child process against the test database, as an operator would. */
function runCli(server: TestServer, args: readonly string[]): Promise<{ code: number; output: string }> {
  const env: NodeJS.ProcessEnv = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('STRONGROOM_')),
  );
  env.STRONGROOM_DATA_DIR = server.database.dataDir;
  env.STRONGROOM_MASTER_KEY = server.database.masterKey.toString('base64');
  if (server.database.databaseUrl !== undefined) env.STRONGROOM_DATABASE_URL = server.database.databaseUrl;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', join(projectRoot, 'src/cli/strongroom.ts'), 'audit', ...args],
      { cwd: projectRoot, env },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
        resolve({ code, output: `${stdout}${stderr}` });
      },
    );
  });
}

async function fullCheck(server: TestServer): Promise<VerifyResponse> {
  const response = await server.request('GET', '/strongroom/audit/verify');
  assert.equal(response.status, 200, response.text);
  return response.body as VerifyResponse;
}

async function validate(server: TestServer, id: number): Promise<string> {
  const response = await server.request('GET', `/KeyfactorAPI/Audit/${id}/Validate`);
  assert.equal(response.status, 200, response.text);
  return response.text;
}

async function chainedRows(server: TestServer): Promise<AuditRow[]> {
  await fullCheck(server); // chains anything still waiting
  return server.server.storage.db
    .selectFrom('audit_log')
    .selectAll()
    .where('sequence', 'is not', null)
    .orderBy('sequence')
    .execute();
}

function rowAt(rows: readonly AuditRow[], index: number): AuditRow {
  const row = rows.at(index);
  assert.ok(row !== undefined, `no audit row at ${index}`);
  return row;
}

/**
 * Applies a tampering, checks what each detector says, then puts every row back (and drops checkpoints
 * the server signed meanwhile), so each scenario starts from an intact chain and proves it is intact again.
 */
async function tamperAndRestore(
  server: TestServer,
  tamper: () => Promise<() => Promise<void>>,
  check: () => Promise<void>,
): Promise<void> {
  const checkpointsBefore = await server.server.storage.db
    .selectFrom('audit_checkpoints')
    .select('id')
    .execute();
  const restore = await tamper();
  try {
    await check();
  } finally {
    await restore();
    // The server may have been restarted meanwhile, so its current database handle is used.
    await server.server.storage.db
      .deleteFrom('audit_checkpoints')
      .where('id', 'not in', checkpointsBefore.map((row) => row.id).concat(-1))
      .execute();
  }
  const after = await fullCheck(server);
  assert.equal(after.Intact, true, `not intact after restoring: ${JSON.stringify(after.Findings)}`);
}

async function reinsert(server: TestServer, rows: readonly AuditRow[]): Promise<void> {
  for (const row of rows) await server.server.storage.db.insertInto('audit_log').values(row).execute();
}

/** One way of tampering: what it does, how to undo it, and what each detector must then report. */
interface Tampering {
  restore: () => Promise<void>;
  /** Entries whose Validate must now answer false. */
  invalidIds: number[];
  /** The full check's findings this tampering causes, as [kind, entry id or sequence]. */
  findings: [string, number | null][];
  /** A line the CLI must print about it. */
  cliLine: RegExp;
}

type Tamper = (server: TestServer, rows: readonly AuditRow[]) => Promise<Tampering>;

const editField: Tamper = async (server, rows) => {
  const target = rowAt(rows, 1);
  const db = () => server.server.storage.db;
  await db()
    .updateTable('audit_log')
    .set({ audit_identifier: 'someone-else' })
    .where('id', '=', target.id)
    .execute();
  return {
    restore: async () => {
      await db()
        .updateTable('audit_log')
        .set({ audit_identifier: target.audit_identifier })
        .where('id', '=', target.id)
        .execute();
    },
    invalidIds: [target.id],
    findings: [['altered', target.id]],
    cliLine: new RegExp(`Entry ${target.id} \\(sequence ${target.sequence}\\) was altered`),
  };
};

const deleteRow: Tamper = async (server, rows) => {
  const deleted = rowAt(rows, 4);
  const next = rowAt(rows, 5);
  await server.server.storage.db.deleteFrom('audit_log').where('id', '=', deleted.id).execute();
  return {
    restore: () => reinsert(server, [deleted]),
    invalidIds: [next.id],
    findings: [['missing', next.id]],
    cliLine: new RegExp(`sequence ${deleted.sequence} is missing before Entry ${next.id}`),
  };
};

const swapPair: Tamper = async (server, rows) => {
  const first = rowAt(rows, 7);
  const second = rowAt(rows, 8);
  const third = rowAt(rows, 9);
  const setSequence = (id: number, sequence: number | null) =>
    server.server.storage.db.updateTable('audit_log').set({ sequence }).where('id', '=', id).execute();
  await setSequence(first.id, -1);
  await setSequence(second.id, first.sequence);
  await setSequence(first.id, second.sequence);
  return {
    restore: async () => {
      await setSequence(first.id, -1);
      await setSequence(second.id, second.sequence);
      await setSequence(first.id, first.sequence);
    },
    invalidIds: [first.id, second.id, third.id],
    findings: [
      ['broken-link', second.id],
      ['altered', second.id],
      ['broken-link', first.id],
      ['altered', first.id],
      ['broken-link', third.id],
    ],
    cliLine: new RegExp(`Entry ${second.id} \\(sequence ${first.sequence}\\) does not link`),
  };
};

/** Appends an entry whose keyless hash links correctly (all an attacker without the key can do) and moves the head to it. */
const insertRow: Tamper = async (server, rows) => {
  const last = rowAt(rows, -1);
  const db = () => server.server.storage.db;
  const head = await db().selectFrom('audit_head').selectAll().executeTakeFirstOrThrow();
  const forged = {
    id: last.id + 1000,
    timestamp: new Date().toISOString(),
    category: 2100,
    operation: 3,
    level: 0,
    userName: 'admin',
    entityType: 'User',
    auditIdentifier: 'tamper-0',
    immutableIdentifier: '2',
    outcome: 'Success',
    message: '{}',
  };
  const link = { sequence: (last.sequence ?? 0) + 1, previousHash: last.entry_hash ?? '' };
  const entryHash = auditEntryHash(forged, link);
  await db()
    .insertInto('audit_log')
    .values({
      id: forged.id,
      timestamp: forged.timestamp,
      category: forged.category,
      operation: forged.operation,
      level: forged.level,
      user_name: forged.userName,
      entity_type: forged.entityType,
      audit_identifier: forged.auditIdentifier,
      immutable_identifier: forged.immutableIdentifier,
      outcome: forged.outcome,
      message: forged.message,
      record_mac: randomBytes(32).toString('hex'),
      sequence: link.sequence,
      previous_hash: link.previousHash,
      entry_hash: entryHash,
      mac: randomBytes(32).toString('hex'),
    })
    .execute();
  await db().updateTable('audit_head').set({ sequence: link.sequence, entry_hash: entryHash }).execute();
  return {
    restore: async () => {
      await db().deleteFrom('audit_log').where('id', '=', forged.id).execute();
      await db()
        .updateTable('audit_head')
        .set({ sequence: head.sequence, entry_hash: head.entry_hash })
        .execute();
    },
    invalidIds: [forged.id],
    findings: [['unsigned', forged.id]],
    cliLine: new RegExp(`Entry ${forged.id} \\(sequence ${link.sequence}\\) was not signed by this server`),
  };
};

/** Checkpoints the head, then removes the last two entries and rewinds the head, as a careful attacker would. */
const truncateTail: Tamper = async (server, rows) => {
  const db = () => server.server.storage.db;
  await writeAuditCheckpoint(db(), deriveSubkey(server.database.masterKey, 'audit-mac'), () => new Date());
  const removed = rows.slice(-2);
  const newLast = rowAt(rows, -3);
  const head = await db().selectFrom('audit_head').selectAll().executeTakeFirstOrThrow();
  await db()
    .deleteFrom('audit_log')
    .where(
      'id',
      'in',
      removed.map((row) => row.id),
    )
    .execute();
  await db()
    .updateTable('audit_head')
    .set({ sequence: newLast.sequence ?? 0, entry_hash: newLast.entry_hash ?? '' })
    .execute();
  return {
    restore: async () => {
      await reinsert(server, removed);
      await db()
        .updateTable('audit_head')
        .set({ sequence: head.sequence, entry_hash: head.entry_hash })
        .execute();
    },
    invalidIds: [],
    findings: [['truncated', head.sequence]],
    cliLine: new RegExp(`records sequence ${head.sequence}: entries were removed from the end`),
  };
};

async function expectDetected(server: TestServer, tampering: Tampering): Promise<void> {
  for (const id of tampering.invalidIds) assert.equal(await validate(server, id), 'false', `Validate ${id}`);
  const report = await fullCheck(server);
  assert.equal(report.Intact, false);
  assert.deepEqual(
    report.Findings.map((finding) => [
      finding.Kind,
      finding.Kind === 'truncated' ? finding.Sequence : finding.EntryId,
    ]),
    tampering.findings,
  );
}

describeEachDialect('audit chain tampering', (server) => {
  test('an intact chain passes the full check and the offline CLI, which exits 0', async () => {
    for (let index = 0; index < 10; index += 1) {
      const response = await server().request('POST', '/strongroom/users', {
        body: { Username: `tamper-${index}`, Password: 'long-enough-password' },
      });
      assert.equal(response.status, 200);
    }
    assert.equal((await fullCheck(server())).Intact, true);
    const result = await runCli(server(), ['verify']);
    assert.equal(result.code, 0, result.output);
    assert.match(result.output, /^Audit chain intact: \d+ chained entries/);
  });

  const scenarios: [string, Tamper][] = [
    ['a tampered field fails Validate of that entry and the full check names it', editField],
    ['a deleted row fails Validate of the next entry and the full check names that entry', deleteRow],
    [
      'a swapped pair fails Validate of both and of the next entry, and the full check names all three',
      swapPair,
    ],
    ['an inserted row with a correct keyless hash fails Validate and the full check by its MAC', insertRow],
    ['a truncated tail below a signed checkpoint fails the full check', truncateTail],
  ];
  for (const [name, tamper] of scenarios) {
    test(name, async () => {
      const rows = await chainedRows(server());
      let tampering: Tampering | undefined;
      await tamperAndRestore(
        server(),
        async () => {
          tampering = await tamper(server(), rows);
          return tampering.restore;
        },
        () => expectDetected(server(), tampering as Tampering),
      );
    });
  }

  test('the offline CLI exits 1 and names each break: edited, deleted, swapped, inserted and truncated', async () => {
    const rows = await chainedRows(server());
    const tamperings: Tampering[] = [];
    await tamperAndRestore(
      server(),
      async () => {
        // Truncation first: the forged entry then takes the place of the removed ones.
        for (const tamper of [editField, deleteRow, swapPair, truncateTail]) {
          tamperings.push(await tamper(server(), rows));
        }
        tamperings.push(await insertRow(server(), rows.slice(0, -2)));
        return async () => {
          for (const tampering of [...tamperings].reverse()) await tampering.restore();
        };
      },
      async () => {
        const result = await runCli(server(), ['verify']);
        assert.equal(result.code, 1, result.output);
        const first = tamperings[0] as Tampering;
        assert.match(
          result.output,
          new RegExp(`First broken link at entry ${String(first.findings[0]?.[1])}:`),
        );
        for (const tampering of tamperings) assert.match(result.output, tampering.cliLine);
      },
    );
  });

  test('a server started on a tampered log keeps serving and logs the finding', async () => {
    const rows = await chainedRows(server());
    let tampering: Tampering | undefined;
    await tamperAndRestore(
      server(),
      async () => {
        tampering = await editField(server(), rows);
        return tampering.restore;
      },
      async () => {
        await server().restart();
        const deadline = Date.now() + 10_000;
        const logged = () => (tampering as Tampering).cliLine.test(server().logs());
        while (!logged() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
        assert.ok(logged(), 'the start-up check logged no finding');
        assert.match(server().logs(), /audit chain verification found 1 problem/);
        assert.equal((await server().request('GET', '/KeyfactorAPI/Audit')).status, 200);
        const created = await server().request('POST', '/strongroom/users', {
          body: { Username: 'after-tampering', Password: 'long-enough-password' },
        });
        assert.equal(created.status, 200);
      },
    );
  });

  test('an export verifies without the database, and the same export tampered does not', async () => {
    const file = join(server().database.dataDir, `export-${randomBytes(4).toString('hex')}.jsonl`);
    const exported = await runCli(server(), ['export', '--output', file]);
    assert.equal(exported.code, 0, exported.output);
    assert.match(exported.output, /^Exported \d+ chained entries/);

    const lines = readFileSync(file, 'utf8').split('\n');
    const index = lines.findIndex((line) => line.includes('"auditIdentifier":"tamper-2"'));
    assert.ok(index > 0);
    const entry = JSON.parse(lines[index] ?? '') as { id: number };
    lines[index] = (lines[index] ?? '').replace('"tamper-2"', '"tamper-x"');
    const tampered = `${file}.tampered`;
    writeFileSync(tampered, lines.join('\n'));

    const [intact, broken] = await Promise.all([
      runCli(server(), ['verify', '--file', file]),
      runCli(server(), ['verify', '--file', tampered]),
    ]);
    assert.equal(intact.code, 0, intact.output);
    assert.match(intact.output, /hashes, links and MACs checked/);
    assert.equal(broken.code, 1, broken.output);
    assert.match(broken.output, new RegExp(`First broken link at entry ${entry.id}: .*altered`));
  });
});
