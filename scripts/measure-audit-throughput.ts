// Measures what auditing costs writes, as shipped: changes per second with and without an audit entry in
// the same transaction, how long the sealer takes to chain what was recorded, and audited HTTP changes per
// second through the whole server. SQLite always; PostgreSQL too when STRONGROOM_TEST_DATABASE_URL names a
// server where databases may be created.
//
//   node --import tsx scripts/measure-audit-throughput.ts [--seconds 5] [--concurrency 32]
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import Fastify from 'fastify';
import { deriveSubkey } from '../src/crypto/master-key.js';
import type { ApiInstance } from '../src/http/app.js';
import { createAuditModule } from '../src/modules/audit/audit-module.js';
import { hasPendingEntries } from '../src/modules/audit/audit-repository.js';
import { createServer } from '../src/startup/server.js';
import type { Storage } from '../src/storage/storage.js';
import { createStorage } from '../src/storage/storage.js';
import type { DialectName } from '../test/support/test-server.js';
import {
  adminCredentials,
  basicAuthorization,
  createTestDatabase,
  testConfig,
  testDialects,
} from '../test/support/test-server.js';

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '5' }, concurrency: { type: 'string', default: '32' } },
});
const seconds = Number(values.seconds);
const concurrency = Number(values.concurrency);

/** Changes per second over `durationMs`, with `concurrency` workers each running one change after another. */
async function forEachWorker(durationMs: number, work: (worker: number) => Promise<void>): Promise<number> {
  let done = 0;
  const end = Date.now() + durationMs;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      while (Date.now() < end) {
        await work(worker);
        done += 1;
        // Requests arrive through I/O, so the event loop turns between them; a bare loop of promises
        // would never let timers (the sealer's among them) run.
        await new Promise((resolve) => setImmediate(resolve));
      }
    }),
  );
  return (done * 1000) / durationMs;
}

/**
 * Alternates one-second slices of each variant and averages them, so a change in machine load during the
 * run affects both alike; the figures are meant as a ratio more than as absolutes.
 */
async function alternate(variants: readonly ((worker: number) => Promise<void>)[]): Promise<number[]> {
  const totals = variants.map(() => 0);
  for (let round = 0; round < seconds; round += 1) {
    for (const [index, variant] of variants.entries()) {
      totals[index] = (totals[index] ?? 0) + (await forEachWorker(1000, variant));
    }
  }
  return totals.map((total) => total / seconds);
}

async function seedRows(storage: Storage): Promise<void> {
  for (let worker = 0; worker < concurrency; worker += 1) {
    await storage.db
      .insertInto('users')
      .values({
        username: `bench-${worker}`,
        password_hash: 'x',
        groups_json: '[]',
        failed_attempts: 0,
        locked_until: null,
        created_at: new Date().toISOString(),
        updated_at: new Date().toISOString(),
      })
      .execute();
  }
}

/** One small change per transaction, with or without its audit entry: the cost of auditing alone. */
async function measureTransactions(dialect: DialectName) {
  const database = await createTestDatabase(dialect);
  const storage = await createStorage({ databaseUrl: database.databaseUrl, dataDir: database.dataDir });
  await storage.migrate();
  await seedRows(storage);
  const audit = createAuditModule({
    storage,
    macKey: deriveSubkey(database.masterKey, 'audit-mac'),
    now: () => new Date(),
  });
  // The sealer starts with the HTTP app, so the module is mounted on a bare one.
  const app = Fastify({ logger: false }) as unknown as ApiInstance;
  audit.registrar(app);
  await app.ready();
  try {
    const change = (worker: number, withAudit: boolean) =>
      storage.transaction(async (tx) => {
        await tx
          .updateTable('users')
          .set({ groups_json: JSON.stringify([randomBytes(4).toString('hex')]) })
          .where('username', '=', `bench-${worker}`)
          .execute();
        if (withAudit) {
          await audit.writer.record(tx, {
            actor: 'bench',
            category: 'User',
            operation: 'Updated',
            entityType: 'User',
            auditIdentifier: `bench-${worker}`,
            immutableIdentifier: String(worker),
            details: { groups: ['x'] },
          });
        }
      });
    const [withoutAudit = 0, withAudit = 0] = await alternate([
      (worker) => change(worker, false),
      (worker) => change(worker, true),
    ]);
    const loadEnded = Date.now();
    while (await hasPendingEntries(storage.db)) await new Promise((resolve) => setTimeout(resolve, 5));
    return { withoutAudit, withAudit, chainedAfterMs: Date.now() - loadEnded };
  } finally {
    await app.close();
    await storage.close();
    await database.drop();
  }
}

/** Audited changes through the whole server: authentication, validation, the change and its entry. */
async function measureHttp(dialect: DialectName): Promise<number> {
  const database = await createTestDatabase(dialect);
  const server = await createServer({
    config: testConfig(database, { logLevel: 'warn' }),
    warn: () => undefined,
  });
  try {
    await seedRows(server.storage);
    const authorization = basicAuthorization(adminCredentials);
    return await forEachWorker(seconds * 1000, async (worker) => {
      const response = await server.app.inject({
        method: 'PUT',
        url: `/strongroom/users/bench-${worker}`,
        headers: { authorization, 'content-type': 'application/json' },
        payload: JSON.stringify({ Groups: [randomBytes(4).toString('hex')] }),
      });
      if (response.statusCode !== 200)
        throw new Error(`PUT answered ${response.statusCode}: ${response.body}`);
    });
  } finally {
    await server.close();
    await database.drop();
  }
}

const round = (value: number) => Math.round(value).toLocaleString('en');
const out = (line: string) => process.stdout.write(`${line}\n`);
out(`${concurrency} concurrent writers; ${seconds} alternating one-second slices per variant\n`);
out('| database | changes/s without audit | with audit | ratio | chained after load | HTTP PUT user/s |');
out('| --- | --- | --- | --- | --- | --- |');
for (const dialect of testDialects()) {
  const transactions = await measureTransactions(dialect);
  const http = await measureHttp(dialect);
  out(
    `| ${dialect} | ${round(transactions.withoutAudit)} | ${round(transactions.withAudit)} | ` +
      `${(transactions.withAudit / transactions.withoutAudit).toFixed(2)} | ${transactions.chainedAfterMs} ms | ${round(http)} |`,
  );
}
