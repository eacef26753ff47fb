import { sql } from 'kysely';
import type { DatabaseExecutor } from '../../storage/storage.js';

/**
 * Read on every authenticated request, so it is written as plain SQL: the query builder would cost several
 * times what the single-row read itself costs.
 */
export async function readSecurityVersion(db: DatabaseExecutor): Promise<number> {
  const { rows } = await sql<{ version: number }>`select version from security_version where id = 1`.execute(
    db,
  );
  return Number(rows[0]?.version ?? 0);
}
