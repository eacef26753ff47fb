import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchResult, TargetResult } from './bench-report.js';

/** The targets of issue 6, checked against one run. Figures are reported whether or not they are met. */
export function evaluateTargets(result: BenchResult, resultsDir: string): TargetResult[] {
  const sqlite = result.settings.dialect === 'sqlite';
  const targets: TargetResult[] = [];
  const scenario = (id: string) => result.scenarios.find((entry) => entry.id === id);
  const readRatio = sqlite ? 0.5 : 0.4;
  for (const id of ['entries-page', 'entries-by-name']) {
    const read = scenario(id);
    if (read?.figures === undefined || read.ratio === undefined) continue;
    targets.push({
      name: `${read.title}: × baseline`,
      value: read.ratio.toFixed(2),
      target: `≥ ${readRatio}`,
      met: read.ratio >= readRatio,
    });
    if (!sqlite) continue;
    targets.push({
      name: `${read.title}: p99`,
      value: `${read.figures.latencyP99Ms.toFixed(2)} ms`,
      target: '≤ 10 ms',
      met: read.figures.latencyP99Ms <= 10,
    });
  }
  const put = scenario('entry-put');
  if (put?.figures !== undefined && put.ratio !== undefined) {
    const floor = sqlite ? 4000 : 2000;
    targets.push({
      name: 'durable PUT of a local entry: req/s',
      value: Math.round(put.figures.requestsPerSecond).toLocaleString('en-US'),
      target: `≥ ${floor.toLocaleString('en-US')}`,
      met: put.figures.requestsPerSecond >= floor,
    });
    if (sqlite) {
      targets.push({
        name: 'durable PUT of a local entry: × baseline',
        value: put.ratio.toFixed(2),
        target: '≥ 0.3',
        met: put.ratio >= 0.3,
      });
    }
  }
  const errors = result.scenarios.reduce(
    (total, entry) => total + (entry.figures === undefined ? 0 : entry.figures.non2xx + entry.figures.errors),
    0,
  );
  targets.push({
    name: 'non-2xx responses and errors',
    value: String(errors),
    target: '0',
    met: errors === 0,
  });
  targets.push({
    name: 'start-up to healthy on the seeded database',
    value: `${Math.round(result.server.startupMs)} ms`,
    target: '≤ 1000 ms',
    met: result.server.startupMs <= 1000,
  });
  targets.push({
    name: 'peak server RSS',
    value: `${(result.server.peakRssBytes / 1024 / 1024).toFixed(0)} MiB`,
    target: '≤ 300 MB',
    met: result.server.peakRssBytes <= 300_000_000,
  });
  targets.push(...compareWithSmallerRun(result, resultsDir));
  return targets;
}

/** The large run must stay within 1.5× of the 100,000-entry run on the same database, ratio for ratio. */
function compareWithSmallerRun(result: BenchResult, resultsDir: string): TargetResult[] {
  const referenceFile = join(resultsDir, `${result.settings.dialect}-100000.json`);
  if (result.settings.entries <= 100_000 || !existsSync(referenceFile)) return [];
  const reference = JSON.parse(readFileSync(referenceFile, 'utf8')) as BenchResult;
  return result.scenarios.flatMap((scenario) => {
    const before = reference.scenarios.find((entry) => entry.id === scenario.id)?.ratio;
    if (scenario.kind === 'baseline' || scenario.ratio === undefined || before === undefined) return [];
    const slowdown = before / scenario.ratio;
    return [
      {
        name: `${scenario.title}: slowdown from 100,000 entries`,
        value: `${slowdown.toFixed(2)}×`,
        target: '≤ 1.5×',
        met: slowdown <= 1.5,
      },
    ];
  });
}
