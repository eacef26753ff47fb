import { readFileSync } from 'node:fs';
import type { BenchResult, ScenarioResult } from './bench-report.js';

/** A run's results with the name the comparison calls it by (a file name, or "this run"). */
export interface NamedResult {
  name: string;
  result: BenchResult;
}

interface Figure {
  heading: string;
  read(scenario: ScenarioResult, result: BenchResult): number | undefined;
  format(value: number): string;
}

const wholeNumber = (value: number) => Math.round(value).toLocaleString('en-US');
const twoDecimals = (value: number) => value.toFixed(2);

const sharedFigures: Figure[] = [
  { heading: 'req/s', read: (scenario) => scenario.figures?.requestsPerSecond, format: wholeNumber },
  { heading: '× baseline', read: (scenario) => scenario.ratio, format: twoDecimals },
  { heading: 'p99 ms', read: (scenario) => scenario.figures?.latencyP99Ms, format: twoDecimals },
  {
    heading: 'server CPU µs/req',
    read: (scenario) => scenario.figures?.serverCpuMicrosPerRequest,
    format: wholeNumber,
  },
];
const statementsFigure: Figure = {
  heading: 'statements/req',
  read: (scenario) => scenario.figures?.databaseStatementsPerRequest,
  format: twoDecimals,
};
const databaseFigure: Figure = {
  heading: 'PostgreSQL CPU µs/req',
  // SQLite runs inside the server, whose CPU time already includes it.
  read: (scenario, result) =>
    result.settings.dialect === 'postgres' ? scenario.figures?.databaseCpuMicrosPerRequest : undefined,
  format: wholeNumber,
};

/** Reads a results JSON that `npm run bench` wrote, or says plainly why the file is not one. */
export function readResultFile(path: string): BenchResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`${path} cannot be read: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`${path} is not JSON: ${(error as Error).message}`);
  }
  const candidate = parsed as Partial<BenchResult> | null;
  if (typeof candidate?.settings !== 'object' || !Array.isArray(candidate.scenarios)) {
    throw new Error(`${path} is not a result of npm run bench (it has no settings and scenarios)`);
  }
  return candidate as BenchResult;
}

/**
 * A Markdown table of every scenario's figures in an earlier run beside a later one's, matched by scenario
 * id, each cell `earlier → later (later ÷ earlier)`. A scenario only one run has is listed with a dash on
 * the other side; results from before a scenario existed simply lack it.
 */
export function formatComparison(earlier: NamedResult, later: NamedResult): string {
  const showsDatabase = [earlier, later].some(({ result }) => result.settings.dialect === 'postgres');
  const figures = [...sharedFigures, ...(showsDatabase ? [databaseFigure] : []), statementsFigure];
  const lines = [
    `Compared with ${earlier.name} (${describeRun(earlier.result)}); now ${later.name} (${describeRun(later.result)}). Each cell is then → now (now ÷ then).`,
    '',
  ];
  const differences = settingDifferences(earlier.result, later.result);
  if (differences.length > 0) {
    lines.push(`The runs differ in ${differences.join(', ')}, so not every change below is the code's.`, '');
  }
  lines.push(
    `| scenario | ${figures.map((figure) => figure.heading).join(' | ')} |`,
    `|---|${figures.map(() => '--:|').join('')}`,
  );
  for (const { title, then, now } of matchScenarios(earlier, later)) {
    const cells = figures.map((figure) =>
      compareFigure(
        figure,
        { result: earlier.result, scenario: then },
        { result: later.result, scenario: now },
      ),
    );
    lines.push(`| ${title} | ${cells.join(' | ')} |`);
  }
  lines.push('');
  return lines.join('\n');
}

/** Every scenario of the later run in its order, then those only the earlier run has. */
function matchScenarios(
  earlier: NamedResult,
  later: NamedResult,
): { title: string; then?: ScenarioResult; now?: ScenarioResult }[] {
  const earlierById = new Map(earlier.result.scenarios.map((scenario) => [scenario.id, scenario]));
  const laterIds = new Set(later.result.scenarios.map((scenario) => scenario.id));
  return [
    ...later.result.scenarios.map((now) => {
      const then = earlierById.get(now.id);
      return { title: then === undefined ? `${now.title} (not in ${earlier.name})` : now.title, then, now };
    }),
    ...earlier.result.scenarios
      .filter((then) => !laterIds.has(then.id))
      .map((then) => ({ title: `${then.title} (not in ${later.name})`, then })),
  ];
}

/** One run's side of a row: the run, and its scenario when it has one. */
interface Side {
  result: BenchResult;
  scenario: ScenarioResult | undefined;
}

function compareFigure(figure: Figure, then: Side, now: Side): string {
  const read = ({ result, scenario }: Side) =>
    scenario === undefined ? undefined : figure.read(scenario, result);
  const show = (side: Side, value: number | undefined) => {
    if (value !== undefined) return figure.format(value);
    return side.scenario?.skipped === undefined ? '–' : 'skipped';
  };
  const before = read(then);
  const after = read(now);
  const change =
    before === undefined || after === undefined || before === 0 ? '' : ` (${(after / before).toFixed(2)}×)`;
  return `${show(then, before)} → ${show(now, after)}${change}`;
}

function describeRun(result: BenchResult): string {
  const { settings } = result;
  return `${settings.dialect}, ${settings.entries.toLocaleString('en-US')} entries, ${settings.durationSeconds} s per scenario, commit ${result.commit ?? 'unknown'}, ${result.startedAt}`;
}

/** Settings that change the figures by themselves, named where the two runs used different ones. */
function settingDifferences(earlier: BenchResult, later: BenchResult): string[] {
  const compared: [string, (result: BenchResult) => unknown][] = [
    ['database', (result) => result.settings.dialect],
    ['entries', (result) => result.settings.entries],
    ['connections', (result) => result.settings.connections],
    ['seconds per scenario', (result) => result.settings.durationSeconds],
    ['log level', (result) => result.settings.logLevel],
    ['profiling', (result) => result.settings.profiled],
    ['users of the mixed scenario', (result) => result.settings.users],
    ['machine', (result) => `${result.machine.cpus} ${result.machine.cpuModel}`],
  ];
  // Results from before a setting existed lack it, which is no difference in how the run was made.
  return compared
    .filter(
      ([, read]) => read(earlier) !== undefined && read(later) !== undefined && read(earlier) !== read(later),
    )
    .map(([name, read]) => `${name} (${String(read(earlier))} → ${String(read(later))})`);
}
