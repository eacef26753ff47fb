import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { newMasterKeyText } from '../config/app-config.js';
import { parseMasterKey } from '../crypto/master-key.js';
import { isAppError } from '../errors/app-error.js';
import type { KeyService } from '../modules/keys/key-service.js';
import { createKeyService, rewrapLeaseMs } from '../modules/keys/key-service.js';
import type { CommandContext } from './command-context.js';
import { CommandError, openCommandContext, out } from './command-context.js';
import { createProgressReporter } from './progress-reporter.js';

/** Runs a command on an open database; expected refusals print one line and exit 2. */
async function withKeyService(
  body: (service: KeyService, context: CommandContext) => Promise<void>,
): Promise<void> {
  try {
    const context = await openCommandContext();
    try {
      await body(createKeyService({ ...context, now: () => new Date() }), context);
    } finally {
      await context.storage.close();
    }
  } catch (error) {
    if (error instanceof CommandError || isAppError(error)) {
      process.stderr.write(`${error.message}\n`);
      process.exitCode = 2;
      return;
    }
    throw error;
  }
}

function readNewMasterKey(keyFile: string | undefined): Buffer {
  const fromEnvironment = newMasterKeyText(process.env);
  if (keyFile !== undefined && fromEnvironment !== undefined) {
    throw new CommandError(
      'Give the new master key either with --new-key-file or STRONGROOM_NEW_MASTER_KEY, not both',
    );
  }
  let text = fromEnvironment;
  if (keyFile !== undefined) {
    try {
      text = readFileSync(keyFile, 'utf8');
    } catch {
      throw new CommandError(`The new master key file ${keyFile} could not be read`);
    }
  }
  if (text === undefined) {
    throw new CommandError('Give the new master key with --new-key-file F or STRONGROOM_NEW_MASTER_KEY');
  }
  try {
    return parseMasterKey(text);
  } catch (error) {
    // parseMasterKey never quotes the key, so its reason is safe to show.
    throw new CommandError(
      `The new master key was refused: ${(error as Error).message}. Nothing was changed`,
    );
  }
}

export function registerKeyCommands(program: Command): void {
  const keys = program
    .command('keys')
    .description('rotate, rewrap and retire the keys that seal stored secrets');

  keys
    .command('status')
    .description('list data key versions, how many values each still seals, and the progress of a rewrap')
    .action(() =>
      withKeyService(async (service) => {
        const status = await service.status();
        out(`Active data key version: ${status.activeKeyVersion}`);
        for (const version of status.versions) {
          out(
            `  version ${version.keyVersion}${version.isActive ? ' (active)' : ''}: seals ${version.sealedCount} value(s), created ${version.createdAt}`,
          );
        }
        const { rewrap } = status;
        if (rewrap.targetVersion === null) {
          out('Rewrap: never run');
        } else {
          const state = rewrap.isRunning
            ? 'running'
            : rewrap.finishedAt !== null
              ? `finished at ${rewrap.finishedAt}`
              : 'stopped before the end (run `strongroom keys rewrap` to resume)';
          out(
            `Rewrap to version ${rewrap.targetVersion}: ${state}; ${rewrap.rowsRewrapped} value(s) resealed since ${rewrap.startedAt ?? '?'}`,
          );
        }
      }),
    );

  keys
    .command('rotate')
    .description(
      'create a new data key version; every server node seals new writes with it from its next request',
    )
    .action(() =>
      withKeyService(async (service, context) => {
        const { keyVersion } = await service.rotate(context.actor);
        out(
          `Created data key version ${keyVersion}; new writes are sealed with it. Run \`strongroom keys rewrap\` to reseal existing values.`,
        );
      }),
    );

  keys
    .command('rewrap')
    .description(
      'reseal every stored value under the newest data key, in small transactions while servers keep serving; ' +
        'safe to interrupt (Ctrl-C, a crash) and run again to resume',
    )
    .option('--batch-size <rows>', 'rows per transaction', (value) => Number.parseInt(value, 10), 200)
    .action((options: { batchSize: number }) =>
      withKeyService(async (service, context) => {
        if (!Number.isInteger(options.batchSize) || options.batchSize < 1 || options.batchSize > 10_000) {
          throw new CommandError('--batch-size must be an integer from 1 to 10000');
        }
        const controller = new AbortController();
        const stop = () => {
          process.stderr.write('\nStopping after the current batch; run the command again to resume\n');
          controller.abort();
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        const progress = createProgressReporter({
          label: 'Rewrapping',
          unit: 'values',
          stream: process.stderr,
        });
        try {
          const summary = await service.rewrap(context.actor, {
            batchSize: options.batchSize,
            // A rewrap killed with kill -9 leaves its lease until it runs out; waiting that long resumes it.
            waitForLeaseMs: rewrapLeaseMs + 5000,
            onProgress: ({ done, total }) => progress.update(done, total),
            signal: controller.signal,
          });
          progress.finish();
          out(
            `Resealed ${summary.rewrapped} value(s) under data key version ${summary.targetVersion}` +
              (summary.changedMeanwhile > 0
                ? `; ${summary.changedMeanwhile} changed by requests meanwhile (kept)`
                : '') +
              `; ${summary.remaining} left on older versions.`,
          );
          if (summary.stopped) {
            out('Stopped before the end: run `strongroom keys rewrap` again to resume.');
            process.exitCode = 1;
          }
        } finally {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
        }
      }),
    );

  keys
    .command('retire')
    .description('destroy an old data key version; refused while any value is still sealed with it')
    .argument('<version>', 'the data key version to retire')
    .action((version: string) =>
      withKeyService(async (service, context) => {
        const keyVersion = Number(version);
        if (!/^\d+$/.test(version) || !Number.isSafeInteger(keyVersion) || keyVersion < 1) {
          throw new CommandError(`'${version}' is not a data key version (a positive integer)`);
        }
        await service.retire(context.actor, keyVersion);
        out(`Retired data key version ${keyVersion}`);
      }),
    );

  keys
    .command('rotate-master')
    .description(
      'rewrap the data keys under a new master key in one transaction and update the key check value; ' +
        'afterwards only the new key opens the database',
    )
    .option(
      '--new-key-file <path>',
      'a file holding the new key (base64 of 32 bytes); or set STRONGROOM_NEW_MASTER_KEY',
    )
    .action((options: { newKeyFile?: string }) =>
      withKeyService(async (service, context) => {
        const newMasterKey = readNewMasterKey(options.newKeyFile);
        const { dataKeys } = await service.rotateMaster(context.actor, newMasterKey);
        out(`Rewrapped ${dataKeys} data key(s) under the new master key.`);
        out(
          'Now: put the new key where every node reads it (STRONGROOM_MASTER_KEY or the key file) and restart',
        );
        out(
          'each node. Running nodes keep serving with the data keys they hold; a start with the old key is refused.',
        );
      }),
    );
}
