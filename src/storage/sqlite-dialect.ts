import BetterSqlite3 from 'better-sqlite3';
import { CompiledQuery, SqliteAdapter, SqliteIntrospector, SqliteQueryCompiler } from 'kysely';
import type { DatabaseConnection, Dialect, Driver, Kysely, QueryResult } from 'kysely';
import type { StatementCache } from './sqlite-statement-cache.js';
import { withStatementCache } from './sqlite-statement-cache.js';

export interface SqliteDialectOptions {
  /**
   * Runs every transaction and every change. Its file must be in WAL mode, which is what lets the reader,
   * opened on the same file, read while it writes.
   */
  writer: BetterSqlite3.Database;
  /** Runs plain reads made outside a transaction; see `openSqliteReader`. */
  reader: BetterSqlite3.Database;
  /** Called once for every statement Kysely runs, wherever it runs. */
  onStatement?: () => void;
}

const readerBusyTimeoutMs = 5000;

/** A connection to the writer's file that can only read. */
export function openSqliteReader(writer: BetterSqlite3.Database): BetterSqlite3.Database {
  const reader = new BetterSqlite3(writer.name);
  reader.pragma(`busy_timeout = ${readerBusyTimeoutMs}`);
  reader.pragma('query_only = ON');
  return reader;
}

/**
 * SQLite with one connection writing and a second one reading beside it.
 *
 * On one connection a read that arrives while a transaction is open waits for it to commit, and every read
 * outside a transaction is a transaction of its own (SQLite takes and drops the WAL read lock each time,
 * two system calls, more than the indexed read itself costs). Here a read made outside a transaction goes to
 * the reader, which never waits for the writer (WAL lets them run side by side) and keeps one read
 * transaction open for the rest of the event loop's turn, so the reads of the requests handled in that turn
 * share its lock.
 *
 * That shared read transaction is a snapshot, and it must never hide a commit this process has acknowledged.
 * Every commit and every change made outside a transaction ends the snapshot before it runs (which also lets
 * the checkpoint that may follow a commit copy the whole WAL back) and moves the writer's generation on, and
 * a snapshot taken in an earlier generation is never read again. A commit made by another process (the CLI)
 * is seen from the next turn on.
 */
export function createSqliteDialect(options: SqliteDialectOptions): Dialect {
  return {
    createDriver: () => new TwoConnectionDriver(options),
    createQueryCompiler: () => new SqliteQueryCompiler(),
    createAdapter: () => new SqliteAdapter(),
    createIntrospector: (db: Kysely<unknown>) => new SqliteIntrospector(db),
  };
}

const readStatement = /^\s*(select|with)\b/i;

class TwoConnectionDriver implements Driver {
  readonly #writer: StatementCache;
  readonly #reader: StatementCache;
  readonly #onStatement: () => void;
  readonly #writerLock = new WriterLock();
  readonly #snapshot: ReadSnapshot;
  /**
   * Sessions are used again rather than made per query: Kysely remembers every connection it is given in a
   * WeakSet, and a new key per query would leave the garbage collector an ephemeron to process for each.
   */
  readonly #idleSessions: Session[] = [];
  /** Moves on with every change the writer commits; a snapshot from an earlier generation is stale. */
  #generation = 0;

  constructor(options: SqliteDialectOptions) {
    this.#writer = withStatementCache(options.writer);
    this.#reader = withStatementCache(options.reader);
    this.#onStatement = options.onStatement ?? noop;
    this.#snapshot = new ReadSnapshot(this.#reader);
  }

  async init(): Promise<void> {}

  acquireConnection(): Promise<DatabaseConnection> {
    return Promise.resolve(this.#idleSessions.pop() ?? new Session(this));
  }

  // Transaction control goes through the connection's executeQuery, like any statement, so Kysely logs it.
  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    const session = asSession(connection);
    await session.takeWriter();
    try {
      await connection.executeQuery(CompiledQuery.raw('begin'));
    } catch (error) {
      session.letGoOfWriter();
      throw error;
    }
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await this.#finish(connection, 'commit');
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await this.#finish(connection, 'rollback');
  }

  async savepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`savepoint ${quoteName(name)}`));
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`rollback to ${quoteName(name)}`));
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`release ${quoteName(name)}`));
  }

  // Ending a transaction is a statement that may or may not end it (a COMMIT can fail), so it runs as a
  // statement of a transaction begun by hand would.
  async #finish(connection: DatabaseConnection, command: 'commit' | 'rollback'): Promise<void> {
    asSession(connection).endingTransaction();
    await connection.executeQuery(CompiledQuery.raw(command));
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    const session = asSession(connection);
    session.release();
    this.#idleSessions.push(session);
    return Promise.resolve();
  }

  async destroy(): Promise<void> {
    this.#snapshot.end();
    this.#reader.close();
    this.#writer.close();
    return Promise.resolve();
  }

  acquireWriter(): Promise<void> {
    return this.#writerLock.acquire();
  }

  releaseWriter(): void {
    this.#writerLock.release();
  }

  /** Called just before the writer may make a change visible: no snapshot may outlive it. */
  beforeWriterCommit(): void {
    this.#snapshot.end();
  }

  afterWriterCommit(): void {
    this.#generation += 1;
  }

  countStatement(): void {
    this.#onStatement();
  }

  /** A read-only statement prepared on the reader for `sql`, or undefined when `sql` may change something. */
  readerStatement(sql: string): BetterSqlite3.Statement | undefined {
    if (!readStatement.test(sql)) return undefined;
    const statement = this.#reader.prepare(sql);
    return statement.readonly ? statement : undefined;
  }

  readOnSnapshot(statement: BetterSqlite3.Statement, parameters: readonly unknown[]): QueryResult<unknown> {
    this.#snapshot.hold(this.#generation);
    return { rows: rowsOf(statement, parameters) };
  }

  writerStatement(sql: string): BetterSqlite3.Statement {
    return this.#writer.prepare(sql);
  }

  get writerInTransaction(): boolean {
    return this.#writer.inTransaction;
  }
}

/**
 * One use of the database as Kysely sees it: a single query, a transaction, or `db.connection()`. A session
 * holds the writer from the start of its transaction to its end; a session that begins one by hand (a
 * migration's `sql\`begin\``) holds it until the writer is out of that transaction again, and reads on the
 * writer meanwhile, since only the writer sees what that transaction has changed.
 */
class Session implements DatabaseConnection {
  readonly #driver: TwoConnectionDriver;
  /**
   * Whether this session holds the writer, and for what: a transaction Kysely runs, whose statements commit
   * nothing, or statements any of which may commit (a change on its own, a transaction begun by hand, the
   * end of a transaction), after each of which the writer is let go if it is out of the transaction.
   */
  #writer: 'none' | 'transaction' | 'statementwise' = 'none';

  constructor(driver: TwoConnectionDriver) {
    this.#driver = driver;
  }

  async takeWriter(): Promise<void> {
    await this.#driver.acquireWriter();
    this.#writer = 'transaction';
  }

  endingTransaction(): void {
    this.#writer = 'statementwise';
  }

  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    const { sql, parameters } = compiledQuery;
    if (this.#writer === 'transaction') return this.#runOnWriter(sql, parameters) as QueryResult<R>;
    if (this.#writer === 'none') {
      const read = this.#driver.readerStatement(sql);
      if (read !== undefined) {
        this.#driver.countStatement();
        return this.#driver.readOnSnapshot(read, parameters) as QueryResult<R>;
      }
      await this.#driver.acquireWriter();
      this.#writer = 'statementwise';
    }
    // A COMMIT that fails (a deferred constraint, a busy or full disk) leaves the transaction open; the session
    // keeps the writer until it is rolled back, so no other session's statement runs inside it.
    try {
      this.#driver.beforeWriterCommit();
      return this.#runOnWriter(sql, parameters) as QueryResult<R>;
    } finally {
      this.#driver.afterWriterCommit();
      if (!this.#driver.writerInTransaction) this.letGoOfWriter();
    }
  }

  // Streaming would keep a statement running on the reader across turns, holding its snapshot; every result
  // this server streams is read in bounded batches anyway.
  async *streamQuery<R>(compiledQuery: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    yield await this.executeQuery<R>(compiledQuery);
  }

  /** A session given back while still in a transaction begun by hand leaves nothing half done behind it. */
  release(): void {
    if (this.#writer === 'none') return;
    try {
      if (this.#driver.writerInTransaction) this.#runOnWriter('rollback', []);
    } finally {
      this.letGoOfWriter();
    }
  }

  #runOnWriter(sql: string, parameters: readonly unknown[]): QueryResult<unknown> {
    this.#driver.countStatement();
    // A migration's change to a table changes what `select *` returns.
    if (schemaChange.test(sql)) columnNamesOf = new WeakMap();
    const statement = this.#driver.writerStatement(sql);
    if (statement.reader) return { rows: rowsOf(statement, parameters) };
    const { changes, lastInsertRowid } = statement.run(parameters);
    return { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] };
  }

  letGoOfWriter(): void {
    if (this.#writer === 'none') return;
    this.#writer = 'none';
    this.#driver.releaseWriter();
  }
}

/**
 * The reader's read transaction. It begins with the first read after the last one ended and ends at the end of
 * the event loop's turn, at the writer's next commit, or when the reader is closed.
 */
class ReadSnapshot {
  readonly #begin: BetterSqlite3.Statement;
  readonly #commit: BetterSqlite3.Statement;
  readonly #reader: StatementCache;
  #generation = -1;
  #isEndScheduled = false;

  constructor(reader: StatementCache) {
    this.#reader = reader;
    this.#begin = reader.prepare('begin');
    this.#commit = reader.prepare('commit');
  }

  hold(generation: number): void {
    if (this.#reader.inTransaction) {
      if (this.#generation === generation) return;
      this.#commit.run();
    }
    this.#begin.run();
    this.#generation = generation;
    if (!this.#isEndScheduled) {
      this.#isEndScheduled = true;
      setImmediate(this.#endOfTurn);
    }
  }

  end(): void {
    if (this.#reader.inTransaction) this.#commit.run();
  }

  readonly #endOfTurn = (): void => {
    this.#isEndScheduled = false;
    this.end();
  };
}

/** Hands the writer to one session at a time, in the order they asked. */
class WriterLock {
  #isHeld = false;
  readonly #waiting: (() => void)[] = [];

  acquire(): Promise<void> {
    if (!this.#isHeld) {
      this.#isHeld = true;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  release(): void {
    const next = this.#waiting.shift();
    if (next === undefined) this.#isHeld = false;
    else next();
  }
}

let columnNamesOf = new WeakMap<BetterSqlite3.Statement, readonly string[]>();
const schemaChange = /^\s*(create|alter|drop)\b/i;

/**
 * The rows of a statement that returns them, as objects keyed by column name. better-sqlite3 builds those
 * objects through V8's API one property at a time, which cost a quarter of reading a page of 50 entries; the
 * same rows fetched as arrays and turned into objects here cost less, and objects of one statement share a
 * shape.
 */
function rowsOf(statement: BetterSqlite3.Statement, parameters: readonly unknown[]): unknown[] {
  let names = columnNamesOf.get(statement);
  if (names === undefined) statement.raw(true);
  const rows = statement.all(parameters) as unknown[][];
  // Names are read after running: SQLite prepares a statement again, as it runs, after a schema change (a
  // migration's, or one made elsewhere), and `select *` may then have other columns.
  if (names === undefined || (rows.length > 0 && rows[0]?.length !== names.length)) {
    names = columnNames(statement);
  }
  const objects = new Array<Record<string, unknown>>(rows.length);
  // Assigning a `__proto__` key would set the prototype instead of adding a column.
  const isPlain = !names.includes('__proto__');
  for (let index = 0; index < rows.length; index += 1) {
    const values = rows[index] as unknown[];
    if (isPlain) {
      const row: Record<string, unknown> = {};
      for (let column = 0; column < names.length; column += 1) row[names[column] as string] = values[column];
      objects[index] = row;
    } else {
      objects[index] = Object.fromEntries(names.map((name, column) => [name, values[column]]));
    }
  }
  return objects;
}

function columnNames(statement: BetterSqlite3.Statement): readonly string[] {
  const names = statement.columns().map((column) => column.name);
  columnNamesOf.set(statement, names);
  return names;
}

function asSession(connection: DatabaseConnection): Session {
  if (!(connection instanceof Session)) throw new TypeError('not a connection of this SQLite driver');
  return connection;
}

/** Savepoint names come from code, never from a request; quoting keeps any name a name. */
function quoteName(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function noop(): void {}
