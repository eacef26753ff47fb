import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { performance } from 'node:perf_hooks';

export interface ProcessMemory {
  rssBytes: number;
  /** The most the process has held at once since it started (VmHWM). */
  peakRssBytes: number;
}

export interface ServerProcess {
  readonly pid: number;
  readonly baseUrl: string;
  /** From spawning the process to the first successful readiness probe. */
  readonly readyMs: number;
  memory(): ProcessMemory;
  stop(): Promise<void>;
}

export interface ServerProcessOptions {
  /** Arguments after `node`, e.g. `['dist/strongroom.mjs', 'serve']`. */
  nodeArguments: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  port: number;
  /** Everything the process writes goes here, so a failed start can be explained. */
  logFile: string;
  /** Resolves true once the server answers as expected. */
  isReady(baseUrl: string): Promise<boolean>;
  readyTimeoutMs?: number;
}

const probeIntervalMs = 5;
// Linux reports process times in USER_HZ, which is 100 on every architecture Node runs on.
const clockTicksPerSecond = 100;

/** Asks the kernel for a free loopback port. Another process could take it before the server binds, which is fine here. */
export async function findFreePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => {
        if (address !== null && typeof address === 'object') resolvePort(address.port);
        else reject(new Error('could not find a free port'));
      });
    });
  });
}

/** One HTTP request with a fresh connection; undefined when nothing answers yet. */
export function httpStatus(url: string, headers: Record<string, string> = {}): Promise<number | undefined> {
  return new Promise((resolveStatus) => {
    const outgoing = request(url, { headers, agent: false, timeout: 2000 }, (response) => {
      response.resume();
      response.on('end', () => resolveStatus(response.statusCode));
    });
    outgoing.on('error', () => resolveStatus(undefined));
    outgoing.on('timeout', () => outgoing.destroy());
    outgoing.end();
  });
}

export async function startServerProcess(options: ServerProcessOptions): Promise<ServerProcess> {
  const logDescriptor = openSync(options.logFile, 'a');
  const startedAt = performance.now();
  const child = spawn(process.execPath, options.nodeArguments, {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', logDescriptor, logDescriptor],
  });
  closeSync(logDescriptor);
  const exited = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)));
  let exitCode: number | null | undefined;
  void exited.then((code) => {
    exitCode = code;
  });
  const baseUrl = `http://127.0.0.1:${options.port}`;
  const deadline = startedAt + (options.readyTimeoutMs ?? 120_000);

  while (!(await options.isReady(baseUrl))) {
    if (exitCode !== undefined || performance.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(
        `${options.nodeArguments.join(' ')} did not become ready (${exitCode === undefined ? 'timed out' : `exit code ${String(exitCode)}`}):\n${logTail(options.logFile)}`,
      );
    }
    await new Promise((resolveWait) => setTimeout(resolveWait, probeIntervalMs));
  }
  const readyMs = performance.now() - startedAt;
  const pid = child.pid;
  if (pid === undefined) throw new Error('the server process has no pid');

  return {
    pid,
    baseUrl,
    readyMs,
    memory: () => readProcessMemory(pid),
    stop: () => stopProcess(child, exited),
  };
}

async function stopProcess(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const forced = setTimeout(() => child.kill('SIGKILL'), 30_000);
  await exited;
  clearTimeout(forced);
}

/** Linux reports resident memory per process in /proc; values there are in kB. */
export function readProcessMemory(pid: number): ProcessMemory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string): number => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status);
    return match?.[1] === undefined ? 0 : Number(match[1]) * 1024;
  };
  return { rssBytes: field('VmRSS'), peakRssBytes: field('VmHWM') };
}

/** CPU time the process has used so far, user and system, in microseconds. */
export function readProcessCpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name in parentheses may contain spaces, so fields are counted from after it.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const userTicks = Number(fields[11]);
  const systemTicks = Number(fields[12]);
  return ((userTicks + systemTicks) * 1e6) / clockTicksPerSecond;
}

function logTail(logFile: string): string {
  try {
    return readFileSync(logFile, 'utf8').split('\n').slice(-30).join('\n');
  } catch {
    return '(no output)';
  }
}
