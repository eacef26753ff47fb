/**
 * Failures that mean "the database cannot be reached or cannot take writes right now", as opposed to a
 * failure of the request itself. They pass once the database is back (a restart, a promoted standby), so
 * the HTTP layer answers them with 503 and the caller retries; the pool opens fresh connections by itself.
 */

/** Socket errors Node reports when the server is gone, refuses, or the network between is down. */
const socketErrorCodes: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * SQLSTATEs of a server that is shutting down, starting, recovering, full of connections, or a standby
 * that refuses writes (a client still pointed at a demoted primary during a failover).
 */
const unavailableSqlStates: ReadonlySet<string> = new Set([
  '57P01', // admin_shutdown: the server is stopping (or the session was terminated)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: starting up or in recovery
  '53300', // too_many_connections
  '25006', // read_only_sql_transaction: connected to a standby
]);

/** node-postgres reports a lost or never-made connection with these messages and no code. */
const driverConnectionMessages: readonly string[] = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error and is not queryable',
];

const causeDepthLimit = 5;

export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  if (depth > causeDepthLimit || typeof error !== 'object' || error === null) return false;
  const { code, message, cause, errors } = error as {
    code?: unknown;
    message?: unknown;
    cause?: unknown;
    errors?: unknown;
  };
  if (typeof code === 'string') {
    if (socketErrorCodes.has(code) || unavailableSqlStates.has(code)) return true;
    // Class 08 is "connection exception" in every SQLSTATE.
    if (/^08[0-9A-Z]{3}$/.test(code)) return true;
  }
  if (typeof message === 'string' && driverConnectionMessages.some((known) => message.startsWith(known))) {
    return true;
  }
  // Connecting to a name with several addresses fails with an AggregateError holding one error per address.
  if (Array.isArray(errors) && errors.some((inner) => isDatabaseUnavailable(inner, depth + 1))) return true;
  return isDatabaseUnavailable(cause, depth + 1);
}
