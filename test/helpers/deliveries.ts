/** Helpers for tests that place authorities' orders. */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Queryable } from '../../src/db/database.ts';

/**
 * Waits until the background runner has produced every delivery there is to produce (none
 * Pending or InProgress), so that a test comparing the database before and after a later request
 * sees only that request's writes. Bounded: fails after a minute.
 */
export async function deliveriesSettled(db: Queryable): Promise<void> {
  for (let i = 0; i < 6000; i++) {
    const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM data_deliveries WHERE status IN ('Pending', 'InProgress')`);
    if (rows[0]!.n === 0) return;
    await sleep(10);
  }
  throw new Error('deliveries were still being produced after a minute');
}
