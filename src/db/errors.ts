/**
 * Telling a failure that may pass (the database restarting, a lost connection, a deadlock)
 * from one that will come back on every try (the data or our code): the first is retried
 * later, the second ends the work item as failed so that the queue moves on.
 */

/** SQLSTATE classes that say nothing about the statement itself (PostgreSQL appendix A). */
const TRANSIENT_CLASSES = new Set([
  '08', // connection exception
  '40', // transaction rollback: serialization failure, deadlock
  '53', // insufficient resources: disk full, out of memory, too many connections
  '55', // object not in prerequisite state: lock not available
  '57', // operator intervention: admin shutdown, crash shutdown, cannot connect now
  '58', // system error (I/O)
]);

/** Node's errors of a connection to the database (not ENOENT, EACCES …, which would come back). */
const NETWORK_ERRORS = new Set(['ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'EAI_AGAIN']);

export function isTransientDatabaseError(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  if (!e || typeof e !== 'object') return false;
  const code = typeof e.code === 'string' ? e.code : '';
  if (code === '25006') return true; // a read-only server: ours was demoted or fenced; db/postgres.ts chooses again
  if (/^[0-9A-Z]{5}$/.test(code)) return TRANSIENT_CLASSES.has(code.slice(0, 2)) && code !== '57014'; // 57014: the statement was cancelled (its timeout): retrying it gives the same
  if (NETWORK_ERRORS.has(code)) return true; // the network, not the data
  return typeof e.message === 'string' && /Connection terminated|connection (?:is )?closed|Client has encountered a connection error|timeout exceeded when trying to connect/i.test(e.message);
}
