import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

const projectRoot = join(import.meta.dirname, '..', '..');
const fromSources = ['--import', 'tsx', join(projectRoot, 'src', 'cli', 'strongroom.ts')];
const fromBundle = [join(projectRoot, 'dist', 'strongroom.mjs')];

function runCli(args: string[], env: Record<string, string>, launcher: string[] = fromSources) {
  const child = spawn(process.execPath, [...launcher, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, output: () => ({ stdout, stderr }) };
}

for (const [launchedFrom, launcher] of [
  ['the sources', fromSources],
  ['the bundle npm start builds and runs', fromBundle],
] as const) {
  test(`serve from ${launchedFrom} starts on an empty data directory with no other set-up, then stops cleanly on SIGTERM`, async () => {
    if (launcher === fromBundle) {
      const build = spawnSync(process.execPath, [join(projectRoot, 'scripts', 'build.mjs')], {
        encoding: 'utf8',
      });
      assert.equal(build.status, 0, build.stderr);
    }
    const dataDir = mkdtempSync(join(tmpdir(), 'strongroom-cli-'));
    try {
      const run = runCli(
        ['serve'],
        { STRONGROOM_DATA_DIR: dataDir, STRONGROOM_PORT: '0', STRONGROOM_LOG_LEVEL: 'warn' },
        launcher,
      );
      const deadline = Date.now() + 30_000;
      while (!run.output().stdout.includes('generated password') && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const { stdout, stderr } = run.output();
      const address = /listening on (http:\/\/\S+)/.exec(stdout)?.[1];
      const password = /generated password[^:]*: (\S+)/.exec(stdout)?.[1];
      assert.ok(address !== undefined && password !== undefined, stdout + stderr);
      assert.match(stderr, /master key was configured, so one was generated/);
      assert.equal(statSync(join(dataDir, 'master.key')).mode & 0o777, 0o600);

      const response = await fetch(`${address}/KeyfactorAPI/Status/HealthCheck`, {
        headers: {
          'x-keyfactor-requested-with': 'APIClient',
          authorization: `Basic ${Buffer.from(`admin:${password}`).toString('base64')}`,
        },
      });
      assert.equal(response.status, 204);

      run.child.kill('SIGTERM');
      assert.equal(await run.exited, 0);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
}

test('invalid configuration is refused before start, listing every problem and echoing no secret', async () => {
  const masterKey = `not-a-key-${randomBytes(4).toString('hex')}`;
  const run = runCli(['serve'], {
    STRONGROOM_PORT: 'eighty',
    STRONGROOM_MASTER_KEY: masterKey,
    STRONGROOM_ADMIN_USERNAME: 'root',
  });
  assert.equal(await run.exited, 2);
  const { stderr } = run.output();
  assert.match(stderr, /STRONGROOM_PORT/);
  assert.match(stderr, /STRONGROOM_MASTER_KEY/);
  assert.match(stderr, /STRONGROOM_ADMIN_PASSWORD/);
  assert.ok(!stderr.includes(masterKey));
});

test('serve exits 1 with one line, not a stack trace, when its database cannot be reached', async () => {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  const databasePassword = `pw-${randomBytes(6).toString('hex')}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'strongroom-cli-'));
  try {
    const run = runCli(['serve'], {
      STRONGROOM_DATA_DIR: dataDir,
      STRONGROOM_PORT: '0',
      STRONGROOM_MASTER_KEY: randomBytes(32).toString('base64'),
      STRONGROOM_DATABASE_URL: `postgres://strongroom:${databasePassword}@127.0.0.1:${port}/strongroom`,
    });
    assert.equal(await run.exited, 1);
    const { stderr } = run.output();
    assert.equal(stderr, 'The database cannot be reached (ECONNREFUSED); start again once it is up\n');
    assert.ok(!stderr.includes(databasePassword));
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('migrate brings an empty database up to date and exits', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'strongroom-cli-'));
  try {
    const run = runCli(['migrate'], { STRONGROOM_DATA_DIR: dataDir });
    assert.equal(await run.exited, 0);
    assert.match(run.output().stdout, /is up to date/);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
