import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createAuditSealer } from '../../src/modules/audit/audit-sealer.js';
import { createAuditWriter } from '../../src/modules/audit/audit-writer.js';
import type { Storage } from '../../src/storage/storage.js';
import { createStorage } from '../../src/storage/storage.js';
import type { TestDatabase, TestServer } from '../support/test-server.js';
import {
  createTestDatabase,
  describeEachDialect,
  startTestServer,
  testDialects,
} from '../support/test-server.js';

/** The sample lines of one metric family, without HELP and TYPE lines. */
function samples(text: string, name: string): string[] {
  return text.split('\n').filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `));
}

/** The value of the one sample whose name and labels are exactly `series`. */
function sampleValue(text: string, series: string): number {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  assert.ok(line !== undefined, `no sample ${series}`);
  return Number(line.slice(series.length + 1));
}

async function scrape(server: TestServer): Promise<string> {
  const response = await server.request('GET', '/metrics');
  assert.equal(response.status, 200, response.text);
  assert.match(String(response.headers['content-type']), /^text\/plain; version=0\.0\.4/);
  return response.text;
}

describeEachDialect('metrics', (server) => {
  test('GET /metrics needs credentials and /strongroom/metrics/; the administrator holds it', async () => {
    const anonymous = await server().request('GET', '/metrics', { as: null });
    assert.equal(anonymous.status, 401);
    assert.deepEqual(Object.keys(anonymous.body as object).sort(), ['ErrorCode', 'Message']);

    const reader = await server().createUser('pam-reader', ['/pam/read/']);
    const refused = await server().request('GET', '/metrics', { as: reader });
    assert.equal(refused.status, 403);
    assert.doesNotMatch(refused.text, /strongroom_http/);

    const scraper = await server().createUser('scraper', ['/strongroom/metrics/']);
    const allowed = await server().request('GET', '/metrics', { as: scraper });
    assert.equal(allowed.status, 200);
    assert.match(allowed.text, /^# HELP /m);

    assert.match(await scrape(server()), /strongroom_http_requests_total/);
  });

  test('requests are counted and timed by method, route template and status, never by the URL', async () => {
    const missingProvider = await server().request('GET', '/KeyfactorAPI/PamProviders/987654');
    assert.equal(missingProvider.status, 404);
    const text = await scrape(server());
    const series =
      'strongroom_http_requests_total{method="GET",route="/KeyfactorAPI/PamProviders/:id",status="404"}';
    assert.equal(sampleValue(text, series), 1);
    assert.ok(
      sampleValue(
        text,
        'strongroom_http_request_duration_seconds_count{method="GET",route="/KeyfactorAPI/PamProviders/:id",status="404"}',
      ) >= 1,
    );
    assert.doesNotMatch(text, /987654/);
  });

  test('100 requests to unknown paths add no series: they share one "(unmatched)" route label', async () => {
    const seriesBefore = samples(await scrape(server()), 'strongroom_http_requests_total');
    await server().request('GET', `/unknown/${randomBytes(8).toString('hex')}`);
    const withUnmatched = samples(await scrape(server()), 'strongroom_http_requests_total');
    for (let index = 0; index < 100; index += 1) {
      const path = `/${randomBytes(6).toString('hex')}/${randomBytes(6).toString('hex')}?x=${index}`;
      const response = await server().request(index % 2 === 0 ? 'GET' : 'POST', path);
      assert.equal(response.status, 404);
    }
    const text = await scrape(server());
    const seriesAfter = samples(text, 'strongroom_http_requests_total');
    // At most the unmatched series of this test (GET and POST) and the scrapes' own /metrics series are new.
    const added = seriesAfter
      .map((line) => line.slice(0, line.lastIndexOf(' ')))
      .filter((name) => !seriesBefore.some((line) => line.startsWith(`${name} `)));
    for (const name of added) assert.match(name, /route="\(unmatched\)"|route="\/metrics"/);
    assert.ok(seriesAfter.length <= withUnmatched.length + 1, `${seriesAfter.length} series after 100 paths`);
    assert.ok(
      sampleValue(text, 'strongroom_http_requests_total{method="GET",route="(unmatched)",status="404"}') >=
        51,
    );
    assert.doesNotMatch(text, /unknown\//);
  });

  test('authentication failures, lockouts and credential-cache hits are counted without naming anyone', async () => {
    const victim = await server().createUser('lockout-victim', []);
    const before = await scrape(server());
    const failures = (text: string, reason: string) =>
      sampleValue(text, `strongroom_authentication_failures_total{reason="${reason}"}`);
    const lockouts = (text: string) => sampleValue(text, 'strongroom_authentication_lockouts_total');
    const hits = (text: string) =>
      sampleValue(text, 'strongroom_credential_cache_lookups_total{result="hit"}');

    for (let attempt = 0; attempt < 5; attempt += 1) {
      const refused = await server().request('GET', '/KeyfactorAPI/Status/HealthCheck', {
        as: { username: victim.username, password: 'not-the-password' },
      });
      assert.equal(refused.status, 401);
    }
    const whileLocked = await server().request('GET', '/KeyfactorAPI/Status/HealthCheck', { as: victim });
    assert.equal(whileLocked.status, 401);
    await server().request('GET', '/KeyfactorAPI/Status/HealthCheck', {
      as: { username: 'nobody-by-this-name', password: 'whatever-it-is' },
    });

    const after = await scrape(server());
    assert.equal(failures(after, 'wrong_password') - failures(before, 'wrong_password'), 5);
    assert.equal(failures(after, 'locked') - failures(before, 'locked'), 1);
    assert.equal(failures(after, 'unknown_user') - failures(before, 'unknown_user'), 1);
    assert.equal(lockouts(after) - lockouts(before), 1);
    // Nothing changes between these: the administrator's credential is answered from the cache.
    await server().request('GET', '/KeyfactorAPI/Status/HealthCheck');
    const cached = await scrape(server());
    assert.ok(hits(cached) - hits(after) >= 2);
    assert.doesNotMatch(after, /lockout-victim|nobody-by-this-name|not-the-password/);
  });

  test('audit sealer lag, data keys and the database are reported', async () => {
    await server().createUser('audited-change', []);
    const text = await scrape(server());
    assert.ok(sampleValue(text, 'strongroom_audit_unchained_entries') >= 0);
    assert.ok(sampleValue(text, 'strongroom_audit_oldest_unchained_age_seconds') >= 0);
    assert.equal(sampleValue(text, 'strongroom_data_key_versions'), 1);
    assert.equal(sampleValue(text, 'strongroom_data_key_active_version'), 1);
    assert.match(text, /^process_cpu_user_seconds_total /m);
    assert.match(text, /^nodejs_eventloop_lag_seconds /m);
    if (server().dialect === 'postgres') {
      assert.ok(sampleValue(text, 'strongroom_database_connections{state="open"}') >= 1);
      assert.ok(sampleValue(text, 'strongroom_database_connections{state="idle"}') >= 0);
      assert.ok(sampleValue(text, 'strongroom_database_connections{state="waiting"}') >= 0);
    } else {
      // SQLite commits through the group committer: each user creation was one batch at least.
      assert.ok(sampleValue(text, 'strongroom_group_commit_batch_size_count') >= 1);
      assert.ok(sampleValue(text, 'strongroom_group_commit_wait_seconds_count') >= 1);
    }
  });
});

for (const dialect of testDialects()) {
  describe(`audit sealer lag [${dialect}]`, () => {
    let database: TestDatabase | undefined;
    let storage: Storage | undefined;
    before(async () => {
      database = await createTestDatabase(dialect);
      storage = await createStorage({ databaseUrl: database.databaseUrl, dataDir: database.dataDir });
      await storage.migrate();
    });
    after(async () => {
      await storage?.close();
      await database?.drop();
    });

    test('counts entries recorded but not chained and the age of the oldest, and drops to 0 once chained', async () => {
      assert.ok(storage !== undefined);
      const macKey = randomBytes(32);
      let clock = Date.parse('2026-01-01T00:00:00Z');
      const now = () => new Date(clock);
      // A sealer that is not started stands for a node that recorded entries and stopped before chaining.
      const sealer = createAuditSealer({ storage, macKey, now });
      const writer = createAuditWriter({ macKey, now });
      assert.deepEqual(await sealer.lag(), { unchainedEntries: 0, oldestUnchainedAgeSeconds: 0 });
      await storage.transaction(async (tx) => {
        for (const name of ['first', 'second']) {
          await writer.record(tx, {
            actor: 'tester',
            category: 'User',
            operation: 'Created',
            entityType: 'Test',
            auditIdentifier: name,
            immutableIdentifier: name,
          });
        }
      });
      clock += 42_000;
      assert.deepEqual(await sealer.lag(), { unchainedEntries: 2, oldestUnchainedAgeSeconds: 42 });
      assert.equal(await sealer.sealNow(), 2);
      assert.deepEqual(await sealer.lag(), { unchainedEntries: 0, oldestUnchainedAgeSeconds: 0 });
    });
  });
}

describeEachDialect('health probes', (server) => {
  test('live and ready answer without credentials with one status word and nothing else', async () => {
    for (const [path, word] of [
      ['/strongroom/health/live', 'live'],
      ['/strongroom/health/ready', 'ready'],
    ] as const) {
      const response = await server().request('GET', path, { as: null, headers: {} });
      assert.equal(response.status, 200, response.text);
      assert.deepEqual(response.body, { Status: word });
      assert.doesNotMatch(response.text, /0\.1\.0|sqlite|postgres/i);
    }
  });

  test('ready turns 503 the moment shutdown begins, while live still answers', async () => {
    server().server.beginShutdown();
    const ready = await server().request('GET', '/strongroom/health/ready', { as: null });
    assert.equal(ready.status, 503);
    assert.deepEqual(ready.body, { Status: 'unavailable' });
    assert.equal((await server().request('GET', '/strongroom/health/live', { as: null })).status, 200);
    // Requests are still served until the listener closes.
    assert.equal((await server().request('GET', '/KeyfactorAPI/Status/HealthCheck')).status, 204);
  });
});

for (const dialect of testDialects()) {
  describe(`metrics on the loopback port [${dialect}]`, () => {
    let server: TestServer | undefined;
    before(async () => {
      server = await startTestServer(dialect, { metricsPort: 0 });
    });
    after(async () => {
      await server?.close();
    });

    test('serves GET /metrics on 127.0.0.1 without credentials, and nothing else', async () => {
      const listener = server?.server.metricsListener;
      assert.ok(listener !== undefined);
      assert.match(listener.address, /^http:\/\/127\.0\.0\.1:\d+$/);
      const metrics = await fetch(`${listener.address}/metrics`);
      assert.equal(metrics.status, 200);
      assert.match(await metrics.text(), /strongroom_http_requests_total|strongroom_audit_unchained_entries/);
      for (const path of ['/strongroom/health/ready', '/KeyfactorAPI/Status/HealthCheck', '/metrics/x']) {
        const other: Response = await fetch(`${listener.address}${path}`);
        assert.equal(other.status, 404, path);
        await other.text();
      }
      const post = await fetch(`${listener.address}/metrics`, { method: 'POST' });
      assert.equal(post.status, 404);
      await post.text();
    });
  });
}
