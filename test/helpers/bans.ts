/** Helpers for tests of the voluntary ban feed. */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Queryable } from '../../src/db/database.ts';

/**
 * Waits until the oldest running transaction of the cluster is past every feed row, so a page
 * read now may deliver all of them. The test databases of one run share a PostgreSQL cluster,
 * whose transaction ids are common to all of them: a transaction open in another test file
 * holds the mark back for as long as it is open (src/bans/feed.ts). This waits for that; it
 * asserts nothing.
 */
export async function feedMarkPassed(db: Queryable): Promise<void> {
  for (let i = 0; i < 6000; i++) {
    const { rows } = await db.query<{ ok: boolean }>(
      `SELECT pg_snapshot_xmin(pg_current_snapshot()) > coalesce((SELECT max(pos) FROM ban_feed), '0'::xid8) AS ok`,
    );
    if (rows[0]!.ok) return;
    await sleep(10);
  }
  throw new Error('some transaction kept the feed mark back for a minute');
}
