import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { StrongroomProcess } from '../support/strongroom-process.js';
import {
  createLocalProvider,
  createStore,
  resolveLocalEntry,
  startStrongroom,
  verifiedAuditChain,
} from '../support/strongroom-process.js';

/**
 * Needs the primary and synchronous standby of scripts/failover-clusters.sh (`create` as root; .ci/run does
 * it), named by STRONGROOM_FAILOVER_PRIMARY_URL and STRONGROOM_FAILOVER_STANDBY_URL. The test fails over for
 * real, so the clusters must be created afresh before each run.
 */
const primaryAdminUrl = process.env.STRONGROOM_FAILOVER_PRIMARY_URL;
const standbyAdminUrl = process.env.STRONGROOM_FAILOVER_STANDBY_URL;
const clusterScript = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'scripts',
  'failover-clusters.sh',
);
const writerCount = 8;

function clusters(command: 'stop-primary' | 'start-primary' | 'promote-standby'): void {
  execFileSync(clusterScript, [command], { stdio: 'pipe' });
}

async function queryOne<T>(url: string, text: string): Promise<T | undefined> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text)).rows[0] as T | undefined;
  } finally {
    await client.end();
  }
}

function withDatabase(url: string, database: string): string {
  const changed = new URL(url);
  changed.pathname = `/${database}`;
  return changed.toString();
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolveWait) => setTimeout(resolveWait, 100));
  }
}

/** The value each entry must hold: the acknowledged one, or one whose write got no 2xx (it may or may not be there). */
interface Expectation {
  acknowledged: string | undefined;
  unacknowledged: string | undefined;
}

/**
 * Writers create entries one after another until one is refused. The primary is stopped after a random
 * number of acknowledged writes, so it goes away in the middle of some of them.
 */
async function writeUntilRefused(
  server: StrongroomProcess,
  providerId: number,
  phase: string,
  entries: Map<string, Expectation>,
  outage: () => void,
): Promise<{ refusals: number[] }> {
  const stopAt = writerCount * 2 + Math.floor(Math.random() * writerCount * 4);
  let acknowledged = 0;
  const refusals: number[] = [];
  await Promise.all(
    Array.from({ length: writerCount }, async (_, writer) => {
      for (let sequence = 0; ; sequence += 1) {
        const secretName = `${phase}-w${writer}-${sequence}`;
        const value = `${secretName}-${randomBytes(4).toString('hex')}`;
        const expectation: Expectation = { acknowledged: undefined, unacknowledged: value };
        entries.set(secretName, expectation);
        const answer = await server.request(
          'POST',
          `/KeyfactorAPI/PamProviders/Local/${providerId}/Entries`,
          {
            body: { SecretName: secretName, SecretValue: value },
          },
        );
        if (answer.status !== 200) {
          refusals.push(answer.status ?? 0);
          return;
        }
        expectation.acknowledged = value;
        expectation.unacknowledged = undefined;
        acknowledged += 1;
        if (acknowledged === stopAt) outage();
      }
    }),
  );
  return { refusals };
}

async function expectUnavailable(server: StrongroomProcess): Promise<void> {
  for (const [method, path] of [
    ['GET', '/KeyfactorAPI/Status/HealthCheck'],
    ['GET', '/strongroom/users'],
    ['POST', '/strongroom/users'],
  ] as const) {
    const answer = await server.request(method, path, {
      ...(method === 'POST' ? { body: { Username: 'while-away', Password: 'long-enough-password' } } : {}),
    });
    assert.equal(answer.status, 503, `${method} ${path}: ${answer.text}`);
    assert.equal(answer.json<{ ErrorCode: string }>().ErrorCode, '0xA0110009');
    assert.equal(typeof answer.json<{ Message: unknown }>().Message, 'string');
  }
  // Still the same process: the lost connections did not take it down.
  process.kill(server.pid, 0);
}

test(
  'a PostgreSQL failover to a synchronous standby loses no acknowledged write; while the database is away the server answers 503 and recovers by itself',
  {
    skip:
      (primaryAdminUrl === undefined || standbyAdminUrl === undefined) &&
      'STRONGROOM_FAILOVER_PRIMARY_URL and STRONGROOM_FAILOVER_STANDBY_URL are not set (see scripts/failover-clusters.sh)',
  },
  async (t) => {
    if (primaryAdminUrl === undefined || standbyAdminUrl === undefined) return;
    const replication = await queryOne<{ sync_state: string }>(
      primaryAdminUrl,
      'select sync_state from pg_stat_replication',
    ).catch(() => undefined);
    assert.equal(
      replication?.sync_state,
      'sync',
      'the primary has no synchronous standby: run scripts/failover-clusters.sh create (as root) first',
    );

    const databaseName = `strongroom_failover_${randomBytes(4).toString('hex')}`;
    await queryOne(primaryAdminUrl, `create database ${databaseName}`);
    const dataDir = mkdtempSync(join(tmpdir(), 'strongroom-failover-'));
    const database = { dataDir, masterKey: randomBytes(32) };
    const logFile = join(dataDir, 'server.log');
    const primaryUrl = withDatabase(primaryAdminUrl, databaseName);
    let server = await startStrongroom({ database, databaseUrl: primaryUrl, logFile });
    try {
      const providerId = await createLocalProvider(server, 'failover');
      const entries = new Map<string, Expectation>();

      // First the primary restarts: the same server answers 503 meanwhile and serves again by itself after.
      let restarted: Promise<void> | undefined;
      const restart = await writeUntilRefused(server, providerId, 'restart', entries, () => {
        clusters('stop-primary');
        restarted = expectUnavailable(server).then(() => clusters('start-primary'));
      });
      await restarted;
      t.diagnostic(`writes refused while the primary restarted: ${restart.refusals.join(', ')}`);
      assert.ok(
        restart.refusals.every((status) => status === 503),
        'a refused write was not a 503',
      );
      await waitFor(
        'the server serves again',
        async () => (await server.request('GET', '/KeyfactorAPI/Status/HealthCheck')).status === 204,
      );

      // Then the primary is lost for good: the standby is promoted and the server restarted pointing at it.
      const failover = await writeUntilRefused(server, providerId, 'failover', entries, () =>
        clusters('stop-primary'),
      );
      assert.ok(
        failover.refusals.every((status) => status === 503),
        'a refused write was not a 503',
      );
      await expectUnavailable(server);
      clusters('promote-standby');
      await waitFor('the standby accepts writes', async () => {
        const row = await queryOne<{ recovering: boolean }>(
          standbyAdminUrl,
          'select pg_is_in_recovery() as recovering',
        ).catch(() => undefined);
        return row?.recovering === false;
      });
      await server.kill('SIGKILL');
      server = await startStrongroom({
        database,
        databaseUrl: withDatabase(standbyAdminUrl, databaseName),
        logFile,
      });

      const acknowledged = [...entries.values()].filter((entry) => entry.acknowledged !== undefined).length;
      t.diagnostic(`${acknowledged} acknowledged writes to check on the promoted standby`);
      assert.ok(acknowledged >= writerCount * 4);
      const readerStoreId = await createStore(server, 'failover-reader');
      for (const [secretName, expectation] of entries) {
        const actual = await resolveLocalEntry(server, readerStoreId, providerId, secretName);
        const allowed =
          expectation.acknowledged === undefined
            ? [undefined, expectation.unacknowledged]
            : [expectation.acknowledged];
        assert.ok(allowed.includes(actual ?? undefined), `${secretName} holds ${String(actual)}`);
      }
      const audit = await verifiedAuditChain(server);
      assert.equal(audit.Intact, true, JSON.stringify(audit.Findings));
      assert.equal(audit.FindingCount, 0);
      assert.equal(audit.PendingEntries, 0);
      assert.ok(audit.EntriesChecked >= acknowledged);
    } catch (error) {
      t.diagnostic(server.logTail());
      throw error;
    } finally {
      await server.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
);
