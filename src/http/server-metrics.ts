import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { MetricsRecorder } from './metrics-recorder.js';
import { authenticationFailureReasons } from './metrics-recorder.js';

/** Values that are read when scraped rather than counted as they happen. */
export interface ObservedValues {
  auditSealerLag(): Promise<{ unchainedEntries: number; oldestUnchainedAgeSeconds: number }>;
  /** Undefined where the database has no pool (SQLite: one writer connection and one reader). */
  databasePool(): { open: number; idle: number; waiting: number } | undefined;
  dataKeys(): Promise<{ storedVersions: number; activeVersion: number }>;
}

export interface ServerMetrics extends MetricsRecorder {
  readonly contentType: string;
  /** Starts reporting the values read at scrape time; the composition root calls it once they exist. */
  observe(values: ObservedValues): void;
  /** The Prometheus text exposition of every metric. */
  render(): Promise<string>;
}

// Methods a client can send that Fastify routes; anything else is folded into one label value.
const knownMethods = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
/** The route label of requests no route matched, so unknown paths cannot each create a series. */
export const unmatchedRouteLabel = '(unmatched)';

/**
 * One registry per server rather than prom-client's global one, so several servers in one process (tests,
 * a future embedded use) do not share or double-register their metrics.
 */
export function createServerMetrics(): ServerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const requestsTotal = new Counter({
    name: 'strongroom_http_requests_total',
    help: 'HTTP requests answered, by method, route template and status code',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const requestDuration = new Histogram({
    name: 'strongroom_http_request_duration_seconds',
    help: 'Time from receiving a request to answering it, by method, route template and status code',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const batchSize = new Histogram({
    name: 'strongroom_group_commit_batch_size',
    help: 'Transactions carried by one group commit',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
    registers: [registry],
  });
  const batchWait = new Histogram({
    name: 'strongroom_group_commit_wait_seconds',
    help: 'How long the oldest transaction of a group commit waited for the commit to start',
    buckets: [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [registry],
  });
  const authenticationFailures = new Counter({
    name: 'strongroom_authentication_failures_total',
    help: 'Refused Basic authentications, by reason',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  const lockouts = new Counter({
    name: 'strongroom_authentication_lockouts_total',
    help: 'Times an account was locked after repeated failures',
    registers: [registry],
  });
  const cacheLookups = new Counter({
    name: 'strongroom_credential_cache_lookups_total',
    help: 'Authentications answered from the verified-credential cache (hit) or not (miss)',
    labelNames: ['result'] as const,
    registers: [registry],
  });
  const databaseStatements = new Counter({
    name: 'strongroom_database_statements_total',
    help: 'Statements sent to the database (on PostgreSQL each is a round trip, BEGIN and COMMIT included)',
    registers: [registry],
  });
  // Created with every label value, so a dashboard sees zeros rather than missing series before the first event.
  for (const reason of authenticationFailureReasons) authenticationFailures.inc({ reason }, 0);
  for (const result of ['hit', 'miss']) cacheLookups.inc({ result }, 0);
  const cacheHits = cacheLookups.labels({ result: 'hit' });
  const cacheMisses = cacheLookups.labels({ result: 'miss' });
  // Every request records into one series of each; finding it by a key string skips prom-client hashing the
  // label object on every call. The labels come from closed sets, so this map is bounded like the series are.
  const requestSeries = new Map<
    string,
    { count: { inc(): void }; duration: { observe(value: number): void } }
  >();

  return {
    contentType: registry.contentType,
    requestAnswered(method, routeTemplate, statusCode, seconds) {
      const methodLabel = knownMethods.has(method) ? method : 'OTHER';
      const route = routeTemplate ?? unmatchedRouteLabel;
      const key = `${methodLabel} ${statusCode} ${route}`;
      let series = requestSeries.get(key);
      if (series === undefined) {
        const labels = { method: methodLabel, route, status: statusCode };
        series = { count: requestsTotal.labels(labels), duration: requestDuration.labels(labels) };
        requestSeries.set(key, series);
      }
      series.count.inc();
      series.duration.observe(seconds);
    },
    groupCommitBatch(size, waitSeconds) {
      batchSize.observe(size);
      batchWait.observe(waitSeconds);
    },
    authenticationFailed: (reason) => authenticationFailures.inc({ reason }),
    accountLocked: () => lockouts.inc(),
    credentialCacheLookup: (isHit) => (isHit ? cacheHits : cacheMisses).inc(),
    databaseStatement: () => databaseStatements.inc(),
    observe(values) {
      // Both audit gauges are collected together in one scrape; they share one query.
      let lagInFlight: ReturnType<ObservedValues['auditSealerLag']> | undefined;
      const sealerLag = () => {
        lagInFlight ??= values.auditSealerLag().finally(() => (lagInFlight = undefined));
        return lagInFlight;
      };
      new Gauge({
        name: 'strongroom_audit_unchained_entries',
        help: 'Audit entries recorded but not yet chained by the sealer',
        registers: [registry],
        async collect() {
          this.set((await sealerLag()).unchainedEntries);
        },
      });
      new Gauge({
        name: 'strongroom_audit_oldest_unchained_age_seconds',
        help: 'Age of the oldest audit entry not yet chained (0 when none is waiting)',
        registers: [registry],
        async collect() {
          this.set((await sealerLag()).oldestUnchainedAgeSeconds);
        },
      });
      new Gauge({
        name: 'strongroom_database_connections',
        help: 'Database pool connections by state (open, idle) and requests waiting for one (waiting)',
        labelNames: ['state'] as const,
        registers: [registry],
        collect() {
          const pool = values.databasePool();
          if (pool === undefined) return;
          this.set({ state: 'open' }, pool.open);
          this.set({ state: 'idle' }, pool.idle);
          this.set({ state: 'waiting' }, pool.waiting);
        },
      });
      new Gauge({
        name: 'strongroom_data_key_versions',
        help: 'Data key versions stored (values sealed under any of them can be opened)',
        registers: [registry],
        async collect() {
          this.set((await values.dataKeys()).storedVersions);
        },
      });
      new Gauge({
        name: 'strongroom_data_key_active_version',
        help: 'The data key version new values are sealed with',
        registers: [registry],
        async collect() {
          this.set((await values.dataKeys()).activeVersion);
        },
      });
    },
    render: () => registry.metrics(),
  };
}
