/** Helpers for tests of the loan history (src/reporting/history.ts) and what is read from it. */
import type { Queryable } from '../../src/db/database.ts';

/**
 * Moves the register's knowledge `days` back in time, as a test's clock would: every loan
 * version becomes known that much earlier, and so does the start of the history. A snapshot can
 * only be made of a day that has ended, and everything a test reports is known from today on,
 * so without this a test could order no snapshot of what it reported. (The history's start
 * moves back with the rest, as for a register that held loans before the history was kept and
 * knows them from when their backfill ended; one migrated with no loans knows every day from
 * 1900.) Ageing after each phase of reports puts the phases on different past days. A start
 * that is still `backfill from N` (a backfill running) is not a time and is left alone.
 */
export async function ageHistory(db: Queryable, days: number): Promise<void> {
  await db.query('UPDATE loan_versions SET known_from = known_from - make_interval(days => $1)', [days]);
  await db.query(
    `UPDATE register_settings
     SET value = to_char((value::timestamptz - make_interval(days => $1)) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
     WHERE key = 'loan_history_start' AND value NOT LIKE 'backfill%'`,
    [days],
  );
}
