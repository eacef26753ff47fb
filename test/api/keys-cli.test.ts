import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { generateMasterKey, keyCheckValue } from '../../src/crypto/master-key.js';
import { openEverySealedValue } from '../support/sealed-values.js';
import { createLocalEntry, createLocalProvider } from '../support/store-fixtures.js';
import { describeEachDialect } from '../support/test-server.js';

const projectRoot = join(import.meta.dirname, '..', '..');
const cli = ['--import', 'tsx', join(projectRoot, 'src', 'cli', 'strongroom.ts')];

interface CliRun {
  exited: Promise<number | null>;
  kill(): void;
  output(): { stdout: string; stderr: string };
}

describeEachDialect('keys commands', (server) => {
  let expected: Map<string, string>;

  function environment(extra: Record<string, string> = {}): Record<string, string> {
    const { database } = server();
    return {
      PATH: process.env.PATH ?? '',
      STRONGROOM_DATA_DIR: database.dataDir,
      STRONGROOM_MASTER_KEY: database.masterKey.toString('base64'),
      ...(database.databaseUrl === undefined ? {} : { STRONGROOM_DATABASE_URL: database.databaseUrl }),
      ...extra,
    };
  }

  function start(args: string[], extra: Record<string, string> = {}): CliRun {
    const child = spawn(process.execPath, [...cli, ...args], {
      env: environment(extra),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    return {
      exited: new Promise((resolve) => child.on('exit', (code) => resolve(code))),
      kill: () => child.kill('SIGKILL'),
      output: () => ({ stdout, stderr }),
    };
  }

  async function run(args: string[], extra: Record<string, string> = {}) {
    const started = start(args, extra);
    const code = await started.exited;
    return { code, ...started.output() };
  }

  async function versions(): Promise<Map<number, number>> {
    const opened = await openEverySealedValue(server().server.storage.db, server().database.masterKey);
    assert.deepEqual(opened.plaintexts, expected, 'a value was lost or no longer opens');
    return opened.versions;
  }

  before(async () => {
    const provider = await createLocalProvider(server());
    for (let index = 0; index < 200; index += 1) {
      await createLocalEntry(server(), provider, `bulk-${index}`, `bulk-value-${index}`);
    }
    expected = (await openEverySealedValue(server().server.storage.db, server().database.masterKey))
      .plaintexts;
  });

  test('rewrap killed with kill -9 at random points, then resumed, loses nothing and leaves nothing behind', async () => {
    const rotated = await run(['keys', 'rotate']);
    assert.equal(rotated.code, 0, rotated.stderr);
    assert.match(rotated.stdout, /Created data key version 2/);
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const rewrap = start(['keys', 'rewrap', '--batch-size', '5']);
      const deadline = Date.now() + 30_000;
      // Killed once it is under way (its first progress line), after a random further moment.
      while (!/Rewrapping/.test(rewrap.output().stderr) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 300)));
      rewrap.kill();
      await rewrap.exited;
      await versions();
    }
    // The lease of the killed run holds for a while; the resumed run waits for it instead of refusing.
    const resumed = await run(['keys', 'rewrap']);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stdout, /0 left on older versions/);
    assert.deepEqual([...(await versions())], [[2, expected.size]]);
    const status = await run(['keys', 'status']);
    assert.match(status.stdout, /version 1: seals 0 value\(s\)/);
    assert.match(status.stdout, new RegExp(`version 2 \\(active\\): seals ${expected.size} value\\(s\\)`));
    assert.match(status.stdout, /Rewrap to version 2: finished/);
  });

  test('two rewraps at once: the second waits for the first and reseals nothing twice', async () => {
    assert.equal((await run(['keys', 'rotate'])).code, 0);
    const [first, second] = await Promise.all([
      run(['keys', 'rewrap', '--batch-size', '10']),
      run(['keys', 'rewrap', '--batch-size', '10']),
    ]);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(second.code, 0, second.stderr);
    const counts = [first.stdout, second.stdout].map((text) => Number(/Resealed (\d+)/.exec(text)?.[1]));
    assert.equal(counts[0]! + counts[1]!, expected.size, `${first.stdout}\n${second.stdout}`);
    assert.deepEqual([...(await versions())], [[3, expected.size]]);
  });

  test('retire refuses a version in use and removes one that seals nothing', async () => {
    const refused = await run(['keys', 'retire', '3']);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /'3' is the active key/);
    const retired = await run(['keys', 'retire', '1']);
    assert.equal(retired.code, 0, retired.stderr);
    assert.equal((await run(['keys', 'retire', 'abc'])).code, 2);
  });

  test('rotate-master with a key that is not 32 bytes of base64 is refused and changes nothing', async () => {
    const checkBefore = keyCheckValue(server().database.masterKey);
    const badFile = join(server().database.dataDir, 'bad.key');
    for (const content of ['not base64 at all!', Buffer.alloc(16, 1).toString('base64'), '']) {
      writeFileSync(badFile, content);
      const refused = await run(['keys', 'rotate-master', '--new-key-file', badFile]);
      assert.equal(refused.code, 2);
      assert.match(refused.stderr, /The new master key (was refused|file)|new master key/);
      assert.ok(!refused.stderr.includes(content) || content === '', 'the key text is echoed');
    }
    const missing = await run([
      'keys',
      'rotate-master',
      '--new-key-file',
      join(server().database.dataDir, 'nope'),
    ]);
    assert.match(missing.stderr, /could not be read/);
    const neither = await run(['keys', 'rotate-master']);
    assert.match(neither.stderr, /--new-key-file F or STRONGROOM_NEW_MASTER_KEY/);
    const meta = await server()
      .server.storage.db.selectFrom('strongroom_meta')
      .select('value')
      .where('key', '=', 'master_key_check')
      .executeTakeFirstOrThrow();
    assert.equal(meta.value, checkBefore);
    await versions();
  });

  test('rotate-master from the environment: the old key is refused afterwards, the new one opens everything', async () => {
    const newKey = generateMasterKey();
    const rotated = await run(['keys', 'rotate-master'], {
      STRONGROOM_NEW_MASTER_KEY: newKey.toString('base64'),
    });
    assert.equal(rotated.code, 0, rotated.stderr);
    const withOld = await run(['keys', 'status']);
    assert.equal(withOld.code, 2);
    assert.match(withOld.stderr, /master key does not match this database/);
    const withNew = await run(['keys', 'status'], { STRONGROOM_MASTER_KEY: newKey.toString('base64') });
    assert.equal(withNew.code, 0, withNew.stderr);
    const opened = await openEverySealedValue(server().server.storage.db, newKey);
    assert.deepEqual(opened.plaintexts, expected);
    const verified = await run(['audit', 'verify'], { STRONGROOM_MASTER_KEY: newKey.toString('base64') });
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);
  });
});
