// Runs every *.test.ts under src/ and test/ with Node's own test runner. Node 20's --test does not
// expand globs itself, so the file list is gathered here. The durability tests (test/durability: real server
// processes killed and restarted, several nodes, a database failover) are slow and run on their own with
// `--durability` (`npm run test:durability`), one file at a time.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { buildPortal } from './build-portal.mjs';

const durabilityDirectory = join('test', 'durability');

function collectTests(directory, skipped) {
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name);
    if (path === skipped) return [];
    if (statSync(path).isDirectory()) return collectTests(path, skipped);
    return name.endsWith('.test.ts') ? [path] : [];
  });
}

const durability = process.argv[2] === '--durability';
const requested = process.argv.slice(durability ? 3 : 2);
const files =
  requested.length > 0
    ? requested
    : durability
      ? collectTests(durabilityDirectory).sort()
      : ['src', 'test'].flatMap((directory) => collectTests(directory, durabilityDirectory)).sort();
// Built once here rather than by each test file that serves the portal, which would race when run in parallel.
await buildPortal();
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', `--test-concurrency=${durability ? 1 : 2}`, '--test-reporter=spec', ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
