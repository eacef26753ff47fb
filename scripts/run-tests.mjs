// Runs every *.test.ts under src/ and test/ with Node's own test runner. Node 20's --test does not
// expand globs itself, so the file list is gathered here.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { buildPortal } from './build-portal.mjs';

function collectTests(directory) {
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name);
    if (statSync(path).isDirectory()) return collectTests(path);
    return name.endsWith('.test.ts') ? [path] : [];
  });
}

const requested = process.argv.slice(2);
const files = requested.length > 0 ? requested : ['src', 'test'].flatMap(collectTests).sort();
// Built once here rather than by each test file that serves the portal, which would race when run in parallel.
await buildPortal();
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-reporter=spec', ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
