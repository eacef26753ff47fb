import type {
  KyselyPlugin,
  PluginTransformQueryArgs,
  PluginTransformResultArgs,
  QueryResult,
  RootOperationNode,
  UnknownRow,
} from 'kysely';

const rowLockModifiers = new Set([
  'ForUpdate',
  'ForNoKeyUpdate',
  'ForShare',
  'ForKeyShare',
  'NoWait',
  'SkipLocked',
]);

/**
 * Repositories take row locks with `select … for update`, which PostgreSQL needs and SQLite has no syntax
 * for. SQLite needs no row lock: it runs one writer at a time, and every transaction of this process runs on
 * its one writer connection, one after another. Dropping the clause there lets one query serve both databases.
 */
export const sqliteRowLocks: KyselyPlugin = {
  transformQuery({ node }: PluginTransformQueryArgs): RootOperationNode {
    if (node.kind !== 'SelectQueryNode' || node.endModifiers === undefined) return node;
    const endModifiers = node.endModifiers.filter(
      (modifier) => modifier.modifier === undefined || !rowLockModifiers.has(modifier.modifier),
    );
    return { ...node, endModifiers: endModifiers.length > 0 ? endModifiers : undefined };
  },
  transformResult({ result }: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return Promise.resolve(result);
  },
};
