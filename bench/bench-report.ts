import type { LoadFigures } from './load-runner.js';

export interface MachineDescription {
  cpus: number;
  cpuModel: string;
  memoryBytes: number;
  node: string;
  kernel: string;
}

export interface ScenarioResult {
  id: string;
  title: string;
  kind: 'baseline' | 'read' | 'write';
  figures?: LoadFigures;
  /** Requests per second divided by the plain baseline's, measured in the same run. */
  ratio?: number;
  /**
   * The Strongroom process's resident memory right after the scenario, and the most it has held since it
   * started; the scenario where the second one grows is the one that needed the memory.
   */
  serverMemory?: { rssBytes: number; peakRssBytes: number };
  skipped?: string;
}

export interface TargetResult {
  name: string;
  value: string;
  target: string;
  met: boolean;
}

export interface BenchResult {
  startedAt: string;
  command: string;
  /** The commit the run measured (uncommitted changes, if any, are not recorded). */
  commit: string | undefined;
  machine: MachineDescription;
  settings: {
    dialect: 'sqlite' | 'postgres';
    entries: number;
    providers: number;
    /** Distinct users of the mixed scenario; absent from results older than that scenario. */
    users?: number;
    connections: number;
    durationSeconds: number;
    warmupSeconds: number;
    logLevel: string;
    profiled: boolean;
  };
  /** The plain baseline is measured before and after Strongroom; ratios divide by the mean of the two. */
  baselineRequestsPerSecond: number;
  scenarios: ScenarioResult[];
  seeding: { entries: number; seconds: number; entriesPerSecond: number };
  server: {
    startupMs: number;
    /** After start-up, how long the server kept a core busy with work of its own before it went idle. */
    settleMs: number;
    /** Resident memory once that background work was done, and the most it had reached by then. */
    settledRssBytes: number;
    settledPeakRssBytes: number;
    rssBytes: number;
    peakRssBytes: number;
    databaseBytes: number;
  };
  targets: TargetResult[];
}

const mebibyte = 1024 * 1024;

export function formatMarkdown(result: BenchResult): string {
  const { machine, settings, server, seeding } = result;
  const lines = [
    `Strongroom benchmark: ${settings.dialect}, ${settings.entries.toLocaleString('en-US')} entries in ${settings.providers} providers, ${settings.connections} connections, ${settings.durationSeconds} s per scenario${settings.profiled ? ' (CPU-profiled, slower)' : ''}`,
    '',
    `Machine: ${machine.cpus} CPUs (${machine.cpuModel}), ${(machine.memoryBytes / 1024 ** 3).toFixed(1)} GiB memory, Node ${machine.node}, Linux ${machine.kernel}. Run ${result.startedAt} with \`${result.command}\` on commit ${result.commit ?? 'unknown'}.`,
    '',
  ];
  // PostgreSQL works in processes of its own, so its CPU time is shown beside the server's.
  const showDatabaseCpu = settings.dialect === 'postgres';
  lines.push(
    `| scenario | req/s | × baseline | p50 ms | p99 ms | server CPU µs/req |${showDatabaseCpu ? ' PostgreSQL CPU µs/req |' : ''} statements/req | non-2xx | errors |`,
    `|---|--:|--:|--:|--:|--:|${showDatabaseCpu ? '--:|' : ''}--:|--:|--:|`,
  );
  for (const scenario of result.scenarios) {
    const figures = scenario.figures;
    if (figures === undefined) {
      lines.push(
        `| ${scenario.title} | skipped: ${scenario.skipped ?? ''} | | | | |${showDatabaseCpu ? ' |' : ''} | | |`,
      );
      continue;
    }
    lines.push(
      `| ${scenario.title} | ${Math.round(figures.requestsPerSecond).toLocaleString('en-US')} | ${scenario.ratio?.toFixed(2) ?? ''} | ${figures.latencyP50Ms.toFixed(2)} | ${figures.latencyP99Ms.toFixed(2)} | ${figures.serverCpuMicrosPerRequest?.toFixed(0) ?? ''} |${showDatabaseCpu ? ` ${figures.databaseCpuMicrosPerRequest?.toFixed(0) ?? ''} |` : ''} ${figures.databaseStatementsPerRequest?.toFixed(2) ?? ''} | ${figures.non2xx} | ${figures.errors} |`,
    );
  }
  lines.push(
    '',
    `Server: start-up to healthy ${Math.round(server.startupMs)} ms on the seeded database, then ${Math.round(server.settleMs)} ms of background work (the audit chain check) before it was idle (RSS then ${(server.settledRssBytes / mebibyte).toFixed(0)} MiB, peak so far ${(server.settledPeakRssBytes / mebibyte).toFixed(0)} MiB); RSS ${(server.rssBytes / mebibyte).toFixed(0)} MiB after the scenarios (peak ${(server.peakRssBytes / mebibyte).toFixed(0)} MiB); database ${(server.databaseBytes / mebibyte).toFixed(1)} MiB. Seeding through the API: ${seeding.entries.toLocaleString('en-US')} entries in ${seeding.seconds.toFixed(1)} s (${Math.round(seeding.entriesPerSecond).toLocaleString('en-US')}/s).`,
    '',
    '| target | value | goal | met |',
    '|---|--:|--:|:-:|',
    ...result.targets.map(
      (target) =>
        `| ${target.name} | ${target.value} | ${target.target} | ${target.met ? 'yes' : '**no**'} |`,
    ),
    '',
  );
  return lines.join('\n');
}
