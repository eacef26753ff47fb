import autocannon from 'autocannon';
import type { AutocannonRequest } from 'autocannon';
import { readProcessCpuMicros } from './server-process.js';

export interface LoadRequest {
  /** Replaces the scenario's method, for scenarios that mix reads and writes. */
  method?: 'GET' | 'PUT' | 'POST';
  path: string;
  body?: string;
  /** Replaces the run's headers of the same name (a bearer token instead of Basic). */
  headers?: Record<string, string>;
}

export interface LoadScenario {
  /** Every request's method, unless the request names its own. */
  method: 'GET' | 'PUT' | 'POST';
  /** Called once per request, so every request may carry a different path or body. */
  next(): LoadRequest;
}

export interface LoadSettings {
  baseUrl: string;
  connections: number;
  durationSeconds: number;
  /** Load applied and thrown away first, so the JIT and caches are warm when measuring starts. */
  warmupSeconds: number;
  headers: Record<string, string>;
  /** The server's process, whose CPU time per request is reported beside the rates. */
  serverPid?: number;
  /** Database processes serving it (PostgreSQL backends on this machine), reported the same way. */
  databasePids?: () => Promise<number[]>;
  /** The server's count of statements sent to its database so far (its metrics), when it reports one. */
  databaseStatements?: () => Promise<number | undefined>;
}

export interface LoadFigures {
  requests: number;
  requestsPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  latencyMaxMs: number;
  /**
   * The server's CPU time divided by the requests it answered. On a shared, noisy machine this moves far
   * less than requests per second do, so it shows whether a change made the server itself cheaper.
   */
  serverCpuMicrosPerRequest: number | undefined;
  /** The same for the database's own processes, when they run on this machine; 0 for SQLite. */
  databaseCpuMicrosPerRequest: number | undefined;
  /**
   * Statements the server sent to its database per request, background work (the audit sealer) included;
   * on PostgreSQL each is a round trip.
   */
  databaseStatementsPerRequest?: number | undefined;
  non2xx: number;
  errors: number;
  statusCodes: Record<string, number>;
}

/** When the measured load ran, in microseconds of the monotonic clock that V8's CPU profiles also use. */
export interface MonotonicWindow {
  startMicros: number;
  endMicros: number;
}

export async function runLoad(
  settings: LoadSettings,
  scenario: LoadScenario,
): Promise<{ figures: LoadFigures; window: MonotonicWindow }> {
  if (settings.warmupSeconds > 0) await drive(settings, scenario, { duration: settings.warmupSeconds });
  const startMicros = monotonicMicros();
  const figures = await drive(settings, scenario, { duration: settings.durationSeconds });
  return { figures, window: { startMicros, endMicros: monotonicMicros() } };
}

function monotonicMicros(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/** Sends exactly `amount` requests as fast as the connections allow; for seeding. */
export function runAmount(
  settings: Omit<LoadSettings, 'durationSeconds' | 'warmupSeconds'>,
  scenario: LoadScenario,
  amount: number,
): Promise<LoadFigures> {
  return drive({ ...settings, durationSeconds: 0, warmupSeconds: 0 }, scenario, { amount });
}

async function drive(
  settings: LoadSettings,
  scenario: LoadScenario,
  limit: { duration: number } | { amount: number },
): Promise<LoadFigures> {
  const headers =
    scenario.method === 'GET'
      ? settings.headers
      : { ...settings.headers, 'content-type': 'application/json' };
  const request: AutocannonRequest = {
    method: scenario.method,
    headers,
    setupRequest(outgoing) {
      const next = scenario.next();
      if (next.method !== undefined) outgoing.method = next.method;
      outgoing.path = next.path;
      if (next.body !== undefined) outgoing.body = next.body;
      if (next.headers !== undefined) outgoing.headers = { ...outgoing.headers, ...next.headers };
      return outgoing;
    },
  };
  // autocannon's own histogram has whole-millisecond resolution; sub-millisecond latencies need the raw times.
  const latencies: number[] = [];
  const instance = autocannon({
    url: settings.baseUrl,
    connections: settings.connections,
    timeout: 30,
    requests: [request],
    ...limit,
  });
  instance.on('response', (_client, _status, _bytes, responseTime) => {
    latencies.push(responseTime);
  });
  const cpuBefore = settings.serverPid === undefined ? undefined : readProcessCpuMicros(settings.serverPid);
  // Backends are read once the load has opened its connections, so the pool's are among them.
  const databasePids = (await settings.databasePids?.()) ?? [];
  const databaseCpuBefore = totalCpuMicros(databasePids);
  const statementsBefore = await settings.databaseStatements?.();
  const result = await instance;
  const statementsAfter = await settings.databaseStatements?.();
  const cpuMicros =
    settings.serverPid === undefined || cpuBefore === undefined
      ? undefined
      : readProcessCpuMicros(settings.serverPid) - cpuBefore;
  const databaseCpuMicros = totalCpuMicros(databasePids) - databaseCpuBefore;
  latencies.sort((left, right) => left - right);
  const statusCodes: Record<string, number> = {};
  for (const [code, stats] of Object.entries(result.statusCodeStats)) statusCodes[code] = stats.count;
  return {
    requests: result.requests.total,
    requestsPerSecond: result.requests.total / result.duration,
    latencyP50Ms: percentile(latencies, 0.5),
    latencyP99Ms: percentile(latencies, 0.99),
    latencyMaxMs: latencies.at(-1) ?? 0,
    serverCpuMicrosPerRequest:
      cpuMicros === undefined || result.requests.total === 0 ? undefined : cpuMicros / result.requests.total,
    databaseCpuMicrosPerRequest:
      settings.databasePids === undefined || result.requests.total === 0
        ? undefined
        : databaseCpuMicros / result.requests.total,
    databaseStatementsPerRequest:
      statementsBefore === undefined || statementsAfter === undefined || result.requests.total === 0
        ? undefined
        : (statementsAfter - statementsBefore) / result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    statusCodes,
  };
}

/** Processes that exit during the run (a pool closing an idle connection) simply stop counting. */
function totalCpuMicros(pids: readonly number[]): number {
  let total = 0;
  for (const pid of pids) {
    try {
      total += readProcessCpuMicros(pid);
    } catch {
      // Gone since it was listed.
    }
  }
  return total;
}

function percentile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return 0;
  const index = Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1);
  return sorted[Math.max(0, index)] ?? 0;
}
