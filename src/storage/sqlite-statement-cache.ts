import type BetterSqlite3 from 'better-sqlite3';

const defaultCapacity = 500;

/** A connection whose statements are prepared once per distinct SQL text. */
export interface StatementCache {
  prepare(sql: string): BetterSqlite3.Statement;
  readonly inTransaction: boolean;
  close(): void;
}

/**
 * Kysely prepares every query it runs, and preparing (parsing and planning the SQL) costs SQLite more than
 * running the small indexed statements a request needs. Kysely's SQL for a given query shape is always the
 * same text with `?` parameters, so a statement prepared once can serve every later request of that shape.
 * The least recently used statements are dropped past `capacity`, which bounds the cache even where the
 * number of shapes is open-ended (filters built from a QueryString, `in` lists of different lengths).
 */
export function withStatementCache(
  connection: BetterSqlite3.Database,
  options: { capacity?: number } = {},
): StatementCache {
  const { capacity = defaultCapacity } = options;
  const statements = new Map<string, BetterSqlite3.Statement>();
  return {
    close() {
      statements.clear();
      connection.close();
    },
    get inTransaction() {
      return connection.inTransaction;
    },
    prepare(sql) {
      const cached = statements.get(sql);
      // A statement still being iterated cannot run again until its iterator finishes.
      if (cached !== undefined && !cached.busy) {
        statements.delete(sql);
        statements.set(sql, cached);
        return cached;
      }
      const statement = connection.prepare(sql);
      if (cached === undefined) {
        if (statements.size >= capacity) {
          const oldest = statements.keys().next();
          if (oldest.done !== true) statements.delete(oldest.value);
        }
        statements.set(sql, statement);
      }
      return statement;
    },
  };
}
