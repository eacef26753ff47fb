import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, release, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createApiClient, keyfactorHeaders } from './api-client.js';
import type { NamedResult } from './bench-compare.js';
import { formatComparison, readResultFile } from './bench-compare.js';
import { createBenchDatabase } from './bench-database.js';
import type { BenchResult, MachineDescription, ScenarioResult } from './bench-report.js';
import { formatMarkdown } from './bench-report.js';
import { mixedUsersScenario, strongroomScenarios } from './bench-scenarios.js';
import { evaluateTargets } from './bench-targets.js';
import type { ScenarioDefinition } from './bench-scenarios.js';
import type { SeededData } from './entry-seeder.js';
import { seedLocalEntries } from './entry-seeder.js';
import type { LoadFigures, LoadSettings, MonotonicWindow } from './load-runner.js';
import { runLoad } from './load-runner.js';
import { summarizeProfileDirectory } from './profile-summary.js';
import type { ServerProcess } from './server-process.js';
import { findFreePort, httpStatus, readProcessCpuMicros, startServerProcess } from './server-process.js';

const usage = `npm run bench -- [options]

  --entries N       local entries to seed (default 100000; 2000 with --quick)
  --providers N     LocalDB providers to spread them over (default 10)
  --users N         distinct local users of the mixed scenario (default 1000; 100 with --quick)
  --connections N   concurrent connections per scenario (default 50)
  --duration S      seconds measured per scenario (default 10; 2 with --quick)
  --warmup S        seconds of unmeasured load before each (default 2; 0.5 with --quick)
  --quick           a small data set and short scenarios: the whole run takes under a minute
  --profile         run each Strongroom scenario on its own server under --cpu-prof and summarize
                    (from the TypeScript sources, so the profile names files and packages)
  --log-level L     the server's STRONGROOM_LOG_LEVEL (default info, as shipped)
  --compare FILE    print each scenario's figures beside those in FILE, an earlier results JSON (e.g.
                    bench/results/sqlite-100000.json), on the console and in latest.md
  --against FILE    with --compare OLD: compare OLD with FILE, another results JSON, without running
                    anything (nothing is written)

SQLite in a temporary directory by default. With STRONGROOM_DATABASE_URL=postgres://… set, a fresh
database is created on that server for the run and dropped afterwards.`;

const { values: flags } = parseArgs({
  options: {
    entries: { type: 'string' },
    providers: { type: 'string' },
    users: { type: 'string' },
    connections: { type: 'string' },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    quick: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    'log-level': { type: 'string' },
    compare: { type: 'string' },
    against: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (flags.help) {
  process.stdout.write(`${usage}\n`);
  process.exit(0);
}

function failUsage(message: string): never {
  process.stderr.write(`${message}\n\n${usage}\n`);
  process.exit(2);
}

function readResultOrExit(path: string): NamedResult {
  try {
    return { name: path, result: readResultFile(path) };
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(2);
  }
}

if (flags.against !== undefined && flags.compare === undefined) failUsage('--against needs --compare OLD');
// Read before anything runs, so a wrong path fails at once rather than after the whole run.
const earlierResult = flags.compare === undefined ? undefined : readResultOrExit(flags.compare);
if (earlierResult !== undefined && flags.against !== undefined) {
  process.stdout.write(formatComparison(earlierResult, readResultOrExit(flags.against)));
  process.exit(0);
}

function numberFlag(name: string, text: string | undefined, fallback: number, min: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < min) failUsage(`--${name} must be a number of at least ${min}`);
  return value;
}

const quick = flags.quick;
const settings = {
  entries: Math.floor(numberFlag('entries', flags.entries, quick ? 2000 : 100_000, 0)),
  providers: Math.floor(numberFlag('providers', flags.providers, 10, 1)),
  users: Math.floor(numberFlag('users', flags.users, quick ? 100 : 1000, 0)),
  connections: Math.floor(numberFlag('connections', flags.connections, 50, 1)),
  durationSeconds: numberFlag('duration', flags.duration, quick ? 2 : 10, 1),
  warmupSeconds: numberFlag('warmup', flags.warmup, quick ? 0.5 : 2, 0),
  logLevel: flags['log-level'] ?? 'info',
  profiled: flags.profile,
};

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const resultsDir = join(projectRoot, 'bench', 'results');
const runDir = mkdtempSync(join(tmpdir(), 'strongroom-bench-'));
const runTag = randomBytes(4).toString('hex');
const credentials = { username: 'bench-admin', password: randomBytes(18).toString('base64url') };
const masterKey = randomBytes(32).toString('base64');
const log = (line: string) => process.stderr.write(`${line}\n`);

// What `npm start` runs, built once here so that building is not counted as start-up.
const strongroomLaunch = buildStrongroom(projectRoot);
const database = await createBenchDatabase(join(runDir, 'data'), process.env.STRONGROOM_DATABASE_URL);
const running = new Set<ServerProcess>();
const scenarios: readonly ScenarioDefinition[] = [
  ...strongroomScenarios,
  mixedUsersScenario({
    users: settings.users,
    loadSeconds: settings.warmupSeconds + settings.durationSeconds,
    log,
  }),
];

/**
 * Builds the server as `npm start` does and returns the arguments its start script gives node, without the
 * command, so the benchmark runs exactly what users run.
 */
function buildStrongroom(root: string): string[] {
  execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: root, stdio: 'inherit' });
  const { scripts } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  const [program, ...launch] = (scripts.start ?? '').split(/\s+/);
  if (program !== 'node' || launch.pop() !== 'serve') {
    throw new Error(`npm start is expected to be "node ... serve", not "${scripts.start ?? ''}"`);
  }
  return launch;
}

async function startStrongroom(purpose: string, profileDir?: string): Promise<ServerProcess> {
  const port = await findFreePort();
  // Only what this run decides reaches the server, whatever STRONGROOM_* the caller's shell has set.
  const env: NodeJS.ProcessEnv = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('STRONGROOM_')),
  );
  Object.assign(env, database.env, {
    STRONGROOM_HOST: '127.0.0.1',
    STRONGROOM_PORT: String(port),
    STRONGROOM_MASTER_KEY: masterKey,
    STRONGROOM_ADMIN_USERNAME: credentials.username,
    STRONGROOM_ADMIN_PASSWORD: credentials.password,
    STRONGROOM_LOG_LEVEL: settings.logLevel,
    // No load balancer has to notice the stop, so the server closes at once instead of after the grace period.
    STRONGROOM_SHUTDOWN_GRACE_SECONDS: '0',
  });
  const headers = keyfactorHeaders(credentials);
  const server = await startServerProcess({
    nodeArguments:
      profileDir === undefined
        ? [...strongroomLaunch, 'serve']
        : // Profiles are read per source file and package, which one bundled file would hide.
          ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, '--import', 'tsx', 'src/cli/strongroom.ts', 'serve'],
    cwd: projectRoot,
    env,
    port,
    logFile: join(runDir, `strongroom-${purpose}.log`),
    isReady: async (baseUrl) =>
      (await httpStatus(`${baseUrl}/KeyfactorAPI/Status/HealthCheck`, headers)) === 204,
  });
  running.add(server);
  return server;
}

async function stop(server: ServerProcess): Promise<void> {
  await server.stop();
  running.delete(server);
}

/**
 * Waits until the server stops working on its own (the audit chain check it runs after start-up, JIT
 * warm-up), so that work is not charged to the first scenario. Returns how long that took.
 */
async function waitUntilIdle(server: ServerProcess): Promise<number> {
  const intervalMs = 250;
  const startedAt = Date.now();
  let before = readProcessCpuMicros(server.pid);
  for (;;) {
    await new Promise((resolveWait) => setTimeout(resolveWait, intervalMs));
    const now = readProcessCpuMicros(server.pid);
    const busyShare = (now - before) / (intervalMs * 1000);
    before = now;
    if (busyShare < 0.05 || Date.now() - startedAt > 300_000) return Date.now() - startedAt - intervalMs;
  }
}

async function measureBaseline(purpose: string, commitDir?: string): Promise<LoadFigures> {
  const port = await findFreePort();
  const server = await startServerProcess({
    nodeArguments: [
      '--import',
      'tsx',
      'bench/baseline-server.ts',
      `--port=${port}`,
      ...(commitDir === undefined ? [] : [`--commit-dir=${commitDir}`]),
    ],
    cwd: projectRoot,
    env: process.env,
    port,
    logFile: join(runDir, `baseline-${purpose}.log`),
    isReady: async (baseUrl) => (await httpStatus(baseUrl)) === 200,
  });
  running.add(server);
  try {
    const { figures } = await runLoad(loadSettings(server, {}), {
      method: 'GET',
      next: () => ({ path: '/' }),
    });
    return figures;
  } finally {
    await stop(server);
  }
}

/** The server's own count of database statements, from its metrics; undefined where it reports none. */
async function databaseStatementCount(baseUrl: string): Promise<number | undefined> {
  const response = await fetch(`${baseUrl}/metrics`, { headers: keyfactorHeaders(credentials) });
  const text = await response.text();
  if (response.status !== 200) return undefined;
  const line = /^strongroom_database_statements_total (\d+)$/m.exec(text);
  return line?.[1] === undefined ? undefined : Number(line[1]);
}

function loadSettings(server: ServerProcess, headers: Record<string, string>): LoadSettings {
  return {
    baseUrl: server.baseUrl,
    serverPid: server.pid,
    databaseStatements: () => databaseStatementCount(server.baseUrl),
    connections: settings.connections,
    durationSeconds: settings.durationSeconds,
    warmupSeconds: settings.warmupSeconds,
    headers,
  };
}

/** One scenario's result, with the server's memory right after it and the profiled time window. */
async function measureScenario(
  server: ServerProcess,
  scenario: ScenarioDefinition,
  data: SeededData,
): Promise<{ result: ScenarioResult; window?: MonotonicWindow }> {
  const { id, title, kind } = scenario;
  const api = createApiClient(server.baseUrl, credentials);
  log(`  ${title}`);
  const load = await scenario.prepare(api, data, runTag);
  if ('skipped' in load) {
    log(`    skipped: ${load.skipped}`);
    return { result: { id, title, kind, skipped: load.skipped, serverMemory: server.memory() } };
  }
  const { figures, window } = await runLoad(
    { ...loadSettings(server, api.headers), databasePids: () => database.backendPids() },
    load,
  );
  return { result: { id, title, kind, figures, serverMemory: server.memory() }, window };
}

/** The commit measured, so a figure can be traced to its code; undefined outside a git checkout. */
function sourceCommit(): string | undefined {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: projectRoot,
      encoding: 'utf8',
    }).trim();
  } catch {
    return undefined;
  }
}

function describeMachine(): MachineDescription {
  return {
    cpus: availableParallelism(),
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    memoryBytes: totalmem(),
    node: process.versions.node,
    kernel: release(),
  };
}

async function run(): Promise<BenchResult> {
  const startedAt = new Date().toISOString();
  const commit = sourceCommit();
  log(`Strongroom benchmark on ${database.dialect}; temporary files in ${runDir}`);
  log('baseline: Fastify hello world');
  const baselineBefore = await measureBaseline('before');
  log('baseline: hello world + one durable SQLite commit per request');
  const commitBaseline = await measureBaseline('commit', join(runDir, 'commit-baseline'));

  log(`seeding ${settings.entries} entries in ${settings.providers} providers through the API`);
  const seeder = await startStrongroom('seed');
  const seeded = await seedLocalEntries(
    createApiClient(seeder.baseUrl, credentials),
    {
      baseUrl: seeder.baseUrl,
      connections: settings.connections,
      headers: keyfactorHeaders(credentials),
    },
    { providers: settings.providers, entries: settings.entries, runTag },
  );
  await stop(seeder);

  log('start-up on the seeded database');
  const first = await startStrongroom('serve');
  const startupMs = first.readyMs;
  const settleMs = await waitUntilIdle(first);
  const settled = first.memory();
  const memory = { rssBytes: 0, peakRssBytes: 0 };
  const noteMemory = (server: ServerProcess) => {
    const current = server.memory();
    memory.rssBytes = Math.max(memory.rssBytes, current.rssBytes);
    memory.peakRssBytes = Math.max(memory.peakRssBytes, current.peakRssBytes);
  };

  const measured: ScenarioResult[] = [];
  const profileSummaries: string[] = [];
  if (!settings.profiled) {
    for (const scenario of scenarios) {
      measured.push((await measureScenario(first, scenario, seeded)).result);
    }
    noteMemory(first);
    await stop(first);
  } else {
    // A profile covers a process's whole life, so each scenario gets a process of its own.
    noteMemory(first);
    await stop(first);
    for (const scenario of scenarios) {
      const profileDir = join(resultsDir, 'profiles', `${database.dialect}-${scenario.id}`);
      rmSync(profileDir, { recursive: true, force: true });
      const server = await startStrongroom(`profile-${scenario.id}`, profileDir);
      await waitUntilIdle(server);
      const { result, window } = await measureScenario(server, scenario, seeded);
      measured.push(result);
      noteMemory(server);
      await stop(server);
      if (window !== undefined) {
        profileSummaries.push(`${scenario.title}\n${summarizeProfileDirectory(profileDir, window)}`);
      }
    }
    const summary = profileSummaries.join('\n\n');
    writeFileSync(join(resultsDir, 'profiles', `${database.dialect}-summary.txt`), `${summary}\n`);
    log(summary);
  }

  log('baseline: Fastify hello world, again');
  const baselineAfter = await measureBaseline('after');
  const baselineRequestsPerSecond = (baselineBefore.requestsPerSecond + baselineAfter.requestsPerSecond) / 2;
  const ratio = (figures: LoadFigures | undefined) =>
    figures === undefined ? undefined : figures.requestsPerSecond / baselineRequestsPerSecond;

  const result: BenchResult = {
    startedAt,
    command: ['npm run bench', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(
      ' ',
    ),
    commit,
    machine: describeMachine(),
    settings: { dialect: database.dialect, ...settings },
    baselineRequestsPerSecond,
    scenarios: [
      {
        id: 'baseline-before',
        title: 'baseline: Fastify hello world (before)',
        kind: 'baseline',
        figures: baselineBefore,
        ratio: ratio(baselineBefore),
      },
      {
        id: 'baseline-after',
        title: 'baseline: Fastify hello world (after)',
        kind: 'baseline',
        figures: baselineAfter,
        ratio: ratio(baselineAfter),
      },
      {
        id: 'baseline-commit',
        title: 'baseline: hello world + 1 SQLite commit (fsync) per request',
        kind: 'baseline',
        figures: commitBaseline,
        ratio: ratio(commitBaseline),
      },
      ...measured.map((entry) => ({
        ...entry,
        ...(entry.figures === undefined ? {} : { ratio: ratio(entry.figures) }),
      })),
    ],
    seeding: {
      entries: seeded.entryCount,
      seconds: seeded.seconds,
      entriesPerSecond: seeded.entriesPerSecond,
    },
    server: {
      startupMs,
      settleMs,
      settledRssBytes: settled.rssBytes,
      settledPeakRssBytes: settled.peakRssBytes,
      rssBytes: memory.rssBytes,
      peakRssBytes: memory.peakRssBytes,
      databaseBytes: await database.sizeBytes(),
    },
    targets: [],
  };
  result.targets = evaluateTargets(result, resultsDir);
  return result;
}

try {
  const result = await run();
  const comparison =
    earlierResult === undefined ? '' : `\n${formatComparison(earlierResult, { name: 'this run', result })}`;
  const markdown = `${formatMarkdown(result)}${comparison}`;
  mkdirSync(resultsDir, { recursive: true });
  const json = `${JSON.stringify(result, null, 2)}\n`;
  writeFileSync(join(resultsDir, 'latest.json'), json);
  writeFileSync(join(resultsDir, 'latest.md'), markdown);
  // Only full runs are kept by size: they are what a later, larger run compares itself with.
  if (!quick && !settings.profiled) {
    const name = `${result.settings.dialect}-${result.settings.entries}`;
    writeFileSync(join(resultsDir, `${name}.json`), json);
    writeFileSync(join(resultsDir, `${name}.md`), markdown);
  }
  process.stdout.write(`\n${markdown}`);
} finally {
  for (const server of running) await server.stop();
  await database.drop();
  rmSync(runDir, { recursive: true, force: true });
}
