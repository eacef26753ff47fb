import { Command } from 'commander';
import { registerAuditCommands } from './audit-commands.js';
import { registerBackupCommands } from './backup-commands.js';
import { registerKeyCommands } from './key-commands.js';
import { ConfigError, loadConfig } from '../config/app-config.js';
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
    const address = await server.app.listen({ host: config.host, port: config.port });
    const out = (line: string) => process.stdout.write(`${line}\n`);
    out(`Strongroom ${strongroomVersion} is listening on ${address}`);
    out(`  database: ${server.storage.location}`);
    out(`  API reference: ${address}/KeyfactorAPI/swagger`);
    if (server.bootstrap !== undefined) {
      out(`  administrator: ${server.bootstrap.username}`);
      if (server.bootstrap.generatedPassword !== undefined) {
        out(`  generated password (shown once, change it): ${server.bootstrap.generatedPassword}`);
      }
    }
    let closing = false;
    const shutdown = (signal: string) => {
      if (closing) return;
      closing = true;
      out(`Received ${signal}; finishing requests in flight and closing`);
      server.close().then(
        () => process.exit(0),
        (error: unknown) => {
          process.stderr.write(`Shutdown failed: ${String(error)}\n`);
          process.exit(1);
        },
      );
    };
    process.on('SIGTERM', () => shutdown('SIGTERM'));
    process.on('SIGINT', () => shutdown('SIGINT'));
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
registerKeyCommands(program);
registerBackupCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof ConfigError || error instanceof StartupError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  throw error;
}
