/**
 * Reads that tolerate replication lag (Register.readDb): run on the standby in a transaction of
 * their own; undefined when there is no standby (`reads` is `db`) or it cannot be reached just
 * now (a transient error: the caller reads on the primary instead). Any other error is thrown.
 */
import type { Database, Queryable } from './database.ts';
import { isTransientDatabaseError } from './errors.ts';

export async function onStandby<T>(reads: Database, db: Database, fn: (tx: Queryable) => Promise<T>): Promise<T | undefined> {
  if (reads === db) return undefined;
  try {
    return await reads.transaction(fn);
  } catch (err) {
    if (!isTransientDatabaseError(err)) throw err;
    return undefined;
  }
}
