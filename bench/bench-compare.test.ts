import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { formatComparison, readResultFile } from './bench-compare.js';
import type { BenchResult, ScenarioResult } from './bench-report.js';
import type { LoadFigures } from './load-runner.js';

function figures(requestsPerSecond: number, cpu: number, databaseCpu = 0, statements?: number): LoadFigures {
  return {
    requests: requestsPerSecond * 10,
    requestsPerSecond,
    latencyP50Ms: 2,
    latencyP99Ms: 10,
    latencyMaxMs: 30,
    serverCpuMicrosPerRequest: cpu,
    databaseCpuMicrosPerRequest: databaseCpu,
    ...(statements === undefined ? {} : { databaseStatementsPerRequest: statements }),
    non2xx: 0,
    errors: 0,
    statusCodes: {},
  };
}

function scenario(id: string, load?: LoadFigures, ratio?: number): ScenarioResult {
  return {
    id,
    title: `title of ${id}`,
    kind: 'read',
    ...(load === undefined ? { skipped: 'not served' } : { figures: load }),
    ...(ratio === undefined ? {} : { ratio }),
  };
}

function run(scenarios: ScenarioResult[], overrides: Partial<BenchResult['settings']> = {}): BenchResult {
  return {
    startedAt: '2026-12-01T00:00:00.000Z',
    command: 'npm run bench',
    commit: 'abc1234',
    machine: { cpus: 2, cpuModel: 'EPYC', memoryBytes: 1, node: '20', kernel: '6' },
    settings: {
      dialect: 'sqlite',
      entries: 100_000,
      providers: 10,
      connections: 50,
      durationSeconds: 10,
      warmupSeconds: 2,
      logLevel: 'info',
      profiled: false,
      ...overrides,
    },
    baselineRequestsPerSecond: 20_000,
    scenarios,
    seeding: { entries: 100_000, seconds: 40, entriesPerSecond: 2500 },
    server: {
      startupMs: 700,
      settleMs: 3000,
      settledRssBytes: 1,
      settledPeakRssBytes: 1,
      rssBytes: 1,
      peakRssBytes: 1,
      databaseBytes: 1,
    },
    targets: [],
  };
}

const tableRows = (text: string) => text.split('\n').filter((line) => line.startsWith('| title of'));

test('each figure of a scenario both runs have is shown then → now with the change as a ratio', () => {
  const text = formatComparison(
    { name: 'old.json', result: run([scenario('health', figures(8000, 407, 0, 2), 0.4)]) },
    { name: 'this run', result: run([scenario('health', figures(12_000, 210, 0, 1), 0.6)]) },
  );
  assert.deepEqual(tableRows(text), [
    '| title of health | 8,000 → 12,000 (1.50×) | 0.40 → 0.60 (1.50×) | 10.00 → 10.00 (1.00×) | 407 → 210 (0.52×) | 2.00 → 1.00 (0.50×) |',
  ]);
  assert.match(
    text,
    /\| scenario \| req\/s \| × baseline \| p99 ms \| server CPU µs\/req \| statements\/req \|\n/,
  );
  assert.doesNotMatch(text, /PostgreSQL/);
  assert.doesNotMatch(text, /differ/);
});

test('scenarios are matched by id; one missing on either side is named and shown with a dash', () => {
  const text = formatComparison(
    {
      name: 'old.json',
      result: run([scenario('health', figures(8000, 400)), scenario('retired', figures(100, 900))]),
    },
    {
      name: 'this run',
      result: run([scenario('mixed-users', figures(3000, 300)), scenario('health', figures(9000, 350))]),
    },
  );
  assert.deepEqual(
    tableRows(text).map((row) => row.split(' | ').slice(0, 2).join(' | ')),
    [
      '| title of mixed-users (not in old.json) | – → 3,000',
      '| title of health | 8,000 → 9,000 (1.13×)',
      '| title of retired (not in this run) | 100 → –',
    ],
  );
});

test('a skipped scenario says so instead of a figure', () => {
  const text = formatComparison(
    { name: 'old.json', result: run([scenario('bearer')]) },
    { name: 'new.json', result: run([scenario('bearer', figures(5000, 250))]) },
  );
  assert.match(tableRows(text)[0] ?? '', /^\| title of bearer \| skipped → 5,000 \|/);
});

test('PostgreSQL CPU is a column when either run is on PostgreSQL, and blank for the SQLite side', () => {
  const text = formatComparison(
    { name: 'sqlite.json', result: run([scenario('put', figures(1800, 520))]) },
    {
      name: 'postgres.json',
      result: run([scenario('put', figures(600, 1300, 1000))], { dialect: 'postgres' }),
    },
  );
  assert.match(text, /\| server CPU µs\/req \| PostgreSQL CPU µs\/req \| statements\/req \|\n/);
  assert.match(tableRows(text)[0] ?? '', /\| 520 → 1,300 \(2\.50×\) \| – → 1,000 \| – → – \|$/);
  assert.match(text, /The runs differ in database \(sqlite → postgres\)/);
});

test('settings that differ are named, but not one an older result file lacks', () => {
  const text = formatComparison(
    { name: 'old.json', result: run([], { entries: 100_000 }) },
    { name: 'this run', result: run([], { entries: 2000, durationSeconds: 2, users: 100 }) },
  );
  assert.match(text, /differ in entries \(100000 → 2000\), seconds per scenario \(10 → 2\), so/);
});

test('a file that is not a benchmark result is refused with its name', () => {
  const directory = mkdtempSync(join(tmpdir(), 'bench-compare-'));
  try {
    const notResult = join(directory, 'other.json');
    writeFileSync(notResult, '{"name": "strongroom"}');
    assert.throws(() => readResultFile(notResult), /other\.json is not a result of npm run bench/);
    const notJson = join(directory, 'broken.json');
    writeFileSync(notJson, '{');
    assert.throws(() => readResultFile(notJson), /broken\.json is not JSON/);
    assert.throws(() => readResultFile(join(directory, 'absent.json')), /absent\.json cannot be read/);
    const result = join(directory, 'result.json');
    writeFileSync(result, JSON.stringify(run([scenario('health', figures(1, 1))])));
    assert.equal(readResultFile(result).scenarios[0]?.id, 'health');
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});
