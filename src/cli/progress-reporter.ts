export interface ProgressReporter {
  update(done: number, total: number): void;
  finish(): void;
}

const barWidth = 30;
const lineIntervalMs = 2000;
const redrawIntervalMs = 100;

function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const whole = Math.max(0, Math.round(seconds));
  const minutes = Math.floor(whole / 60);
  return minutes > 0 ? `${minutes}m${String(whole % 60).padStart(2, '0')}s` : `${whole}s`;
}

/**
 * Count, rate and time left for a long job. On a terminal it redraws one bar in place; otherwise (a log
 * file, CI, a pipe) it writes a plain line every two seconds, which reads well in a log and costs nothing.
 */
export function createProgressReporter(options: {
  label: string;
  unit: string;
  stream: NodeJS.WriteStream;
  now?: () => number;
}): ProgressReporter {
  const { label, unit, stream } = options;
  const now = options.now ?? (() => Date.now());
  const startedAt = now();
  let lastWrittenAt = 0;
  let last = { done: 0, total: 0 };
  let drewBar = false;

  function describe(done: number, total: number): { percent: string; rest: string } {
    const elapsedSeconds = (now() - startedAt) / 1000;
    const rate = elapsedSeconds > 0 ? done / elapsedSeconds : 0;
    const left = rate > 0 ? (total - done) / rate : Number.POSITIVE_INFINITY;
    const percent = total > 0 ? `${Math.floor((done / total) * 100)}%` : '100%';
    return {
      percent,
      rest: `${done}/${total} ${unit}, ${Math.round(rate)} ${unit}/s, ${formatDuration(left)} left`,
    };
  }

  function write(force: boolean): void {
    const { done, total } = last;
    const { percent, rest } = describe(done, total);
    if (stream.isTTY) {
      if (!force && now() - lastWrittenAt < redrawIntervalMs) return;
      const filled = total > 0 ? Math.round((done / total) * barWidth) : barWidth;
      const bar = `${'#'.repeat(filled)}${'.'.repeat(barWidth - filled)}`;
      stream.write(`\r${label} [${bar}] ${percent.padStart(4)} ${rest}\u001b[K`);
      drewBar = true;
    } else {
      if (!force && now() - lastWrittenAt < lineIntervalMs) return;
      stream.write(`${label}: ${percent} ${rest}\n`);
    }
    lastWrittenAt = now();
  }

  return {
    update(done, total) {
      last = { done, total };
      write(false);
    },
    finish() {
      write(true);
      if (drewBar) stream.write('\n');
    },
  };
}
