import { createHash } from 'node:crypto';
import type pg from 'pg';

const defaultPerConnection = 200;
const namesRemembered = 2000;

/**
 * PostgreSQL parses and plans an unnamed statement every time it runs. The server sends the same few SQL
 * texts over and over (Kysely produces one text per query shape, with `$n` parameters), so each connection
 * prepares a text under a name derived from it the second time it sees it, and afterwards only binds and
 * executes. A connection prepares at most `perConnection` texts, which bounds the memory a client could
 * make each backend hold by sending many differently shaped filters; past that, texts run unnamed as before.
 * PostgreSQL re-plans a prepared statement by itself when a table it reads is altered.
 */
export function prepareRepeatedStatements(
  pool: pg.Pool,
  options: { perConnection?: number; onStatement?: () => void } = {},
): void {
  const { perConnection = defaultPerConnection, onStatement } = options;
  const seen = new Map<string, string | null>();

  // The first sighting records the text; the second gives it a name. One-off texts never take a name.
  function nameFor(text: string): string | undefined {
    const known = seen.get(text);
    if (known !== undefined && known !== null) return known;
    if (seen.size >= namesRemembered) seen.clear();
    if (known === null) {
      const name = `sr_${createHash('sha256').update(text).digest('base64url').slice(0, 22)}`;
      seen.set(text, name);
      return name;
    }
    seen.set(text, null);
    return undefined;
  }

  pool.on('connect', (client) => {
    const prepared = new Set<string>();
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as { query: unknown }).query = (config: unknown, values?: unknown, callback?: unknown) => {
      onStatement?.();
      if (typeof config !== 'string' || !Array.isArray(values)) return query(config, values, callback);
      const name = nameFor(config);
      if (name === undefined || (!prepared.has(name) && prepared.size >= perConnection)) {
        return query(config, values, callback);
      }
      prepared.add(name);
      return query({ name, text: config, values }, callback);
    };
  });
}
