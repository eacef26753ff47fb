// Runs every *.test.ts under src/ and test/ with Node's own test runner. Node 20's --test does not
// expand globs itself, so the file list is gathered here.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

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

const requested = process.argv.slice(2);
const files =
  requested.length === 0
    ? ['src', 'test'].flatMap((directory) => collectTests(directory, slowSuites)).sort()
    : requested.flatMap((path) => (statSync(path).isDirectory() ? collectTests(path) : [path]));
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-reporter=spec', ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
