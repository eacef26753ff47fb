import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { MonotonicWindow } from './load-runner.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  startTime: number;
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

interface Share {
  name: string;
  microseconds: number;
}

const topCount = 15;

/**
 * Where a server's CPU went while it served one scenario: self time grouped by package or source file,
 * the functions with the most self time, and the inclusive time of our own functions (so "authentication
 * costs 30%" is read off the profile, not guessed). Idle time is left out of every share, and only samples
 * taken inside `window` count, so start-up and warm-up do not blur the picture of the measured load.
 */
export function summarizeProfile(profile: CpuProfile, window: MonotonicWindow): string {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<number, number>();
  let sampledAt = profile.startTime;
  profile.samples.forEach((id, index) => {
    const delta = profile.timeDeltas[index] ?? 0;
    sampledAt += delta;
    if (sampledAt < window.startMicros || sampledAt > window.endMicros) return;
    self.set(id, (self.get(id) ?? 0) + delta);
  });

  const areas = new Map<string, number>();
  const functions = new Map<string, number>();
  let busy = 0;
  for (const [id, microseconds] of self) {
    const node = byId.get(id);
    if (node === undefined || node.callFrame.functionName === '(idle)') continue;
    busy += microseconds;
    add(areas, areaOf(node.callFrame.url, node.callFrame.functionName), microseconds);
    add(functions, functionLabel(node), microseconds);
  }

  // Inclusive time of our own code: each sample counts once for every distinct src/ function on its stack.
  const parents = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
  const inclusive = new Map<string, number>();
  for (const [id, microseconds] of self) {
    if (byId.get(id)?.callFrame.functionName === '(idle)') continue;
    const seen = new Set<string>();
    for (let current: number | undefined = id; current !== undefined; current = parents.get(current)) {
      const node = byId.get(current);
      if (node === undefined || !node.callFrame.url.includes('/src/')) continue;
      const label = functionLabel(node);
      if (!seen.has(label)) {
        seen.add(label);
        add(inclusive, label, microseconds);
      }
    }
  }

  const percent = (microseconds: number) => `${((100 * microseconds) / Math.max(busy, 1)).toFixed(1)}%`;
  const list = (shares: Map<string, number>) =>
    top(shares)
      .map((share) => `    ${percent(share.microseconds).padStart(6)}  ${share.name}`)
      .join('\n');
  return [
    `  busy CPU ${(busy / 1e6).toFixed(1)} s`,
    '  self time by area:',
    list(areas),
    '  self time by function:',
    list(functions),
    '  inclusive time of Strongroom functions:',
    list(inclusive),
  ].join('\n');
}

/**
 * Summarizes the main thread's profile a server process left in `directory` when it exited. Node names
 * each file CPU.<date>.<time>.<pid>.<thread>.<sequence>.cpuprofile; the main thread is thread 0 (tsx's
 * module loader runs on a thread of its own and leaves a second file).
 */
export function summarizeProfileDirectory(directory: string, window: MonotonicWindow): string {
  const file = readdirSync(directory).find((name) => /\.\d+\.0\.\d+\.cpuprofile$/.test(name));
  if (file === undefined) return '  (the server left no profile)';
  return summarizeProfile(JSON.parse(readFileSync(join(directory, file), 'utf8')) as CpuProfile, window);
}

function areaOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  const packageMatch = /.*\/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (packageMatch?.[1] !== undefined) return packageMatch[1];
  if (url.startsWith('node:')) return 'node internals';
  const source = /\/((?:src|bench)\/.*)$/.exec(url);
  return source?.[1] ?? url;
}

function functionLabel(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const place = url === '' ? '' : ` ${areaOf(url, functionName)}:${lineNumber + 1}`;
  return `${functionName === '' ? '(anonymous)' : functionName}${place}`;
}

function add(totals: Map<string, number>, key: string, microseconds: number): void {
  totals.set(key, (totals.get(key) ?? 0) + microseconds);
}

function top(totals: Map<string, number>): Share[] {
  return [...totals]
    .map(([name, microseconds]) => ({ name, microseconds }))
    .sort((left, right) => right.microseconds - left.microseconds)
    .slice(0, topCount);
}
