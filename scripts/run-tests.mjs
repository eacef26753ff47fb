// Runs every *.test.ts under src/, bench/ and test/ with Node's own test runner. Node 20's --test does not
// expand globs itself, so the file list is gathered here. The durability tests (test/durability: real server
// processes killed and restarted, several nodes, a database failover) are slow and run on their own with
// `--durability` (`npm run test:durability`), one file at a time.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { buildPortal } from './build-portal.mjs';

// test/durability holds the slow end-to-end runs (100,000 entries through backup and restore); they run
// only when asked for: `npm run test:durability`.
const slowSuites = new Set([join('test', 'durability')]);

function collectTests(directory, skipped = new Set()) {
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name);
    if (statSync(path).isDirectory()) return skipped.has(path) ? [] : collectTests(path, skipped);
    return name.endsWith('.test.ts') ? [path] : [];
  });
}

const durability = process.argv[2] === '--durability';
const requested = process.argv.slice(durability ? 3 : 2);
const files =
  requested.length > 0
    ? requested.flatMap((path) => (statSync(path).isDirectory() ? collectTests(path) : [path]))
    : durability
      ? collectTests(join('test', 'durability')).sort()
      : ['src', 'bench', 'test'].flatMap((directory) => collectTests(directory, slowSuites)).sort();
// Built once here rather than by each test file that serves the portal, which would race when run in parallel.
await buildPortal();
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', `--test-concurrency=${durability ? 1 : 2}`, '--test-reporter=spec', ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
