import { Command } from 'commander';
import { registerAuditCommands } from './audit-commands.js';
import { registerDevCertCommand } from './dev-cert-commands.js';
import { registerBackupCommands } from './backup-commands.js';
import { registerKeyCommands } from './key-commands.js';
import { ConfigError, loadConfig } from '../config/app-config.js';
import { isDatabaseUnavailable } from '../storage/database-availability.js';
import { createStorage } from '../storage/storage.js';
import { StartupError } from '../startup/key-setup.js';
import { createServer, strongroomVersion } from '../startup/server.js';

const program = new Command('strongroom')
  .description('A Keyfactor Command compatible secrets service for certificate infrastructure')
  .version(strongroomVersion);

program
  .command('serve')
  .description('start the server (configuration comes from STRONGROOM_* environment variables)')
  .action(async () => {
    const config = loadConfig(process.env);
    const server = await createServer({ config });
    const listening = await server.app.listen({ host: config.host, port: config.port });
    // Fastify names the scheme from its own https option, which is not used (the server is built in app.ts).
    const address = config.tls === undefined ? listening : listening.replace(/^http:/, 'https:');
    const out = (line: string) => process.stdout.write(`${line}\n`);
    out(`Strongroom ${strongroomVersion} is listening on ${address}`);
    out(`  database: ${server.storage.location}`);
    out(`  portal: ${address}/`);
    out(`  API reference: ${address}/KeyfactorAPI/swagger`);
    if (server.metricsListener !== undefined) out(`  metrics: ${server.metricsListener.address}/metrics`);
    if (server.bootstrap !== undefined) {
      out(`  administrator: ${server.bootstrap.username}`);
      if (server.bootstrap.generatedPassword !== undefined) {
        out(`  generated password (shown once, change it): ${server.bootstrap.generatedPassword}`);
      }
    }
    let closeTimer: NodeJS.Timeout | undefined;
    const close = () => {
      clearTimeout(closeTimer);
      out('Closing: new connections are refused; finishing requests in flight and pending commits');
      server.close().then(
        () => process.exit(0),
        (error: unknown) => {
          process.stderr.write(`Shutdown failed: ${String(error)}\n`);
          process.exit(1);
        },
      );
    };
    // Load balancers first see the readiness probe fail and stop sending; only then does the listener close,
    // so no client is refused while it is still being sent here. A second signal skips the rest of the wait.
    const shutdown = (signal: string) => {
      if (closeTimer !== undefined) {
        close();
        return;
      }
      server.beginShutdown();
      out(`Received ${signal}; not ready from now on, closing in ${config.shutdownGraceSeconds} s`);
      closeTimer = setTimeout(close, config.shutdownGraceSeconds * 1000);
    };
    process.on('SIGTERM', () => shutdown('SIGTERM'));
    process.on('SIGINT', () => shutdown('SIGINT'));
    // Certificate renewal tools (certbot, cert-manager sidecars) signal HUP after writing new files.
    process.on('SIGHUP', () => {
      if (config.tls === undefined) {
        out('Received SIGHUP; no TLS is configured, so there is nothing to reload');
        return;
      }
      try {
        server.reloadTls();
        out('Received SIGHUP; reloaded the TLS certificate and key for new connections');
      } catch (error) {
        process.stderr.write(
          `TLS reload failed, still serving the previous certificate: ${String((error as Error).message)}\n`,
        );
      }
    });
  });

program
  .command('migrate')
  .description('bring the database schema up to date and exit')
  .action(async () => {
    const config = loadConfig(process.env);
    const storage = await createStorage({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
    try {
      await storage.migrate();
      process.stdout.write(`Database ${storage.location} is up to date\n`);
    } finally {
      await storage.close();
    }
  });

registerAuditCommands(program);
registerDevCertCommand(program);
registerKeyCommands(program);
registerBackupCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof ConfigError || error instanceof StartupError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  if (isDatabaseUnavailable(error)) {
    // A supervisor restarts the process; the operator needs the reason, not a stack trace.
    const { code, message } = error as { code?: unknown; message?: unknown };
    process.stderr.write(
      `The database cannot be reached (${String(code ?? message)}); start again once it is up\n`,
    );
    process.exit(1);
  }
  throw error;
}
