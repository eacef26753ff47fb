import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import BetterSqlite3 from 'better-sqlite3';
import Fastify from 'fastify';

/**
 * The reference points every Strongroom figure is divided by, run as a child process of the benchmark so
 * it competes for the same cores as Strongroom does. Plain: what Fastify alone answers on this machine.
 * With `--commit-dir`: the same route, but each request first commits one row to SQLite with the durability
 * Strongroom promises (WAL, synchronous=FULL), which shows the ceiling of one fsync per request.
 */
const { values } = parseArgs({
  options: { port: { type: 'string' }, 'commit-dir': { type: 'string' } },
});
const port = Number(values.port);
const commitDir = values['commit-dir'];

let commitOne: () => void = () => undefined;
if (commitDir !== undefined) {
  mkdirSync(commitDir, { recursive: true });
  const connection = new BetterSqlite3(join(commitDir, 'baseline.db'));
  connection.pragma('journal_mode = WAL');
  connection.pragma('synchronous = FULL');
  connection.exec('create table if not exists hits (id integer primary key, at text not null)');
  const insert = connection.prepare('insert into hits (at) values (?)');
  commitOne = () => {
    insert.run(new Date().toISOString());
  };
}

const app = Fastify({ logger: false });
app.get('/', async () => {
  commitOne();
  return { hello: 'world' };
});
await app.listen({ host: '127.0.0.1', port });
process.on('SIGTERM', () => {
  app.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
