/**
 * Retention and erasure (issue 13; docs/retention.md). What the register keeps, it keeps for a
 * configured period (config.ts RetentionConfig), then erases in the background:
 *
 * - an ended or cancelled loan, once it ended more than `endedLoanDays` ago AND the register
 *   learnt of its last change more than that ago (a lender reporting an end late, with a past
 *   end date, does not shorten the period): the loan, its parties, payments and history. It
 *   left extracts and the person's view at once when it ended (they read active loans only);
 * - the disclosure logs after `logDays`: extracts (who asked, what they received), authorities'
 *   PersonLoans disclosures, the ban's deliveries to credit information companies, authorities'
 *   downloads; and finished notifications of extracts;
 * - received batches (the reports as they came) and their outcomes after `batchDays`; the loans'
 *   state derived from them stays as long as the loans do.
 *
 * Each kind is erased in bounded batches (ERASE_AT_ONCE rows a transaction), so that erasure
 * never holds locks or a transaction for long; every pass that erased something is recorded in
 * erasure_log as counts, never as content. Time comes in as `now` (the job's clock; the tests'
 * clock). An active loan is never a candidate, nor anything younger than its period.
 *
 * A loan erased ended before the horizon, so every Finnish day from the horizon on still reads
 * the same from the history; the days before it no longer can: the history's start moves to the
 * horizon (orders for earlier days are refused with D12, not answered with fewer loans).
 */
import type { RetentionConfig } from '../config.ts';
import { finnishDate } from '../common/dates.ts';
import type { Database, Queryable } from '../db/database.ts';

/** Rows erased at most in one transaction of one kind (for batches: reports, see BATCH_REPORTS). */
export const ERASE_AT_ONCE = 1000;
/** Batches are erased with their reports: at most about this many reports a transaction (one batch at least). */
export const BATCH_REPORTS = 20_000;

const DAY_MS = 86_400_000;

export interface Horizons {
  /** Loans that ended before this Finnish day (and were last changed before endedLoans) are erased. */
  endedLoanDay: string;
  endedLoans: Date;
  logs: Date;
  batches: Date;
}

/** The moments before which each kind is due for erasure, `now` less its period. */
export function horizons(now: Date, r: RetentionConfig): Horizons {
  const endedLoans = new Date(now.getTime() - r.endedLoanDays * DAY_MS);
  return {
    endedLoanDay: finnishDate(endedLoans),
    endedLoans,
    logs: new Date(now.getTime() - r.logDays * DAY_MS),
    batches: new Date(now.getTime() - r.batchDays * DAY_MS),
  };
}

/**
 * The smallest version-7 UUID of a moment: every extract reference made before it sorts below
 * (common/uuid.ts), so the log's primary key finds them without an index on their time.
 */
export function uuidV7Floor(at: Date): string {
  const hex = Math.max(0, Math.floor(at.getTime())).toString(16).padStart(12, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-0000-0000-000000000000`;
}

export type ErasureKind = 'ended loans' | 'extracts' | 'authority disclosures' | 'ban deliveries' | 'delivery downloads' | 'notifications' | 'batches';

const HISTORY_START = `to_char($1::timestamptz AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/** Ended loans: ERASE_AT_ONCE of them, oldest end first, each with its parties, payments and history. */
async function eraseEndedLoans(tx: Queryable, h: Horizons): Promise<number> {
  const { rows } = await tx.query<{ n: number }>(
    `WITH doomed AS (
       SELECT l.id FROM loans l
       WHERE l.status <> 'Active' AND coalesce(l.end_date, l.contract_date) < $1::date
         AND NOT EXISTS (SELECT 1 FROM loan_versions v WHERE v.loan_id = l.id AND v.known_from >= $2::timestamptz)
       ORDER BY coalesce(l.end_date, l.contract_date), l.id
       LIMIT $3 FOR UPDATE SKIP LOCKED),
     versions AS (DELETE FROM loan_versions WHERE loan_id IN (SELECT id FROM doomed)),
     erased AS (DELETE FROM loans WHERE id IN (SELECT id FROM doomed) RETURNING id)
     SELECT count(*)::int AS n FROM erased`,
    [h.endedLoanDay, h.endedLoans.toISOString(), ERASE_AT_ONCE],
  );
  const n = rows[0]!.n;
  if (n > 0) {
    // The days before the horizon can no longer be read as they were known (see the file's comment).
    await tx.query(
      `UPDATE register_settings SET value = ${HISTORY_START}
       WHERE key = 'loan_history_start' AND value NOT LIKE 'backfill%' AND value < ${HISTORY_START}`,
      [h.endedLoans.toISOString()],
    );
  }
  return n;
}

async function deleteCount(tx: Queryable, sql: string, params: unknown[]): Promise<number> {
  const { rows } = await tx.query<{ n: number }>(`WITH erased AS (${sql} RETURNING 1) SELECT count(*)::int AS n FROM erased`, params);
  return rows[0]!.n;
}

const ERASERS: Record<ErasureKind, (tx: Queryable, h: Horizons) => Promise<number>> = {
  'ended loans': eraseEndedLoans,
  extracts: (tx, h) =>
    deleteCount(tx, `DELETE FROM extracts WHERE extract_reference IN (
        SELECT extract_reference FROM extracts WHERE extract_reference < $1::uuid AND created_at < $2::timestamptz ORDER BY extract_reference LIMIT $3)`,
      [uuidV7Floor(h.logs), h.logs.toISOString(), ERASE_AT_ONCE]),
  'authority disclosures': (tx, h) =>
    deleteCount(tx, `DELETE FROM authority_disclosures WHERE delivery_id IN (
        SELECT delivery_id FROM authority_disclosures WHERE disclosed_at < $1::timestamptz LIMIT $2)`, [h.logs.toISOString(), ERASE_AT_ONCE]),
  'ban deliveries': async (tx, h) => {
    // The log is append-only (migration 0008) but for this: the trigger lets DELETE through in this transaction only.
    await tx.query(`SELECT set_config('pcr.erasure', 'on', true)`);
    // By company, through its (organisation_id, delivered_at) index: there are few companies.
    return deleteCount(tx, `DELETE FROM ban_deliveries WHERE ctid = ANY(ARRAY(
        SELECT b.ctid FROM organisations o CROSS JOIN LATERAL (
          SELECT ctid FROM ban_deliveries d WHERE d.organisation_id = o.id AND d.delivered_at < $1::timestamptz LIMIT $2) b
        LIMIT $2))`, [h.logs.toISOString(), ERASE_AT_ONCE]);
  },
  'delivery downloads': (tx, h) =>
    deleteCount(tx, `DELETE FROM data_delivery_log WHERE id IN (SELECT id FROM data_delivery_log WHERE downloaded_at < $1::timestamptz ORDER BY id LIMIT $2)`,
      [h.logs.toISOString(), ERASE_AT_ONCE]),
  notifications: (tx, h) =>
    deleteCount(tx, `DELETE FROM notification_outbox WHERE id IN (
        SELECT id FROM notification_outbox WHERE state <> 'Pending' AND coalesce(delivered_at, ended_at) < $1::timestamptz LIMIT $2)`,
      [h.logs.toISOString(), ERASE_AT_ONCE]),
  batches: async (tx, h) => {
    // Finished batches only (a batch still waiting is work, not a record), with their reports' outcomes (ON DELETE CASCADE).
    const { rows } = await tx.query<{ id: number; reports: number }>(
      `SELECT id, report_count AS reports FROM batches WHERE received_at < $1::timestamptz AND status <> 'Received'
       ORDER BY received_at, id LIMIT $2 FOR UPDATE SKIP LOCKED`, [h.batches.toISOString(), ERASE_AT_ONCE]);
    const ids: number[] = [];
    let reports = 0;
    for (const r of rows) {
      if (ids.length > 0 && reports + r.reports > BATCH_REPORTS) break;
      ids.push(Number(r.id));
      reports += r.reports;
    }
    if (ids.length === 0) return 0;
    const n = await deleteCount(tx, 'DELETE FROM batches WHERE id = ANY($1::bigint[])', [ids]);
    await tx.query(`DELETE FROM batch_refusals WHERE (organisation_id, batch_reference) IN (
        SELECT organisation_id, batch_reference FROM batch_refusals WHERE refused_at < $1::timestamptz LIMIT $2)`, [h.batches.toISOString(), ERASE_AT_ONCE]);
    return n;
  },
};

export const ERASURE_KINDS = Object.keys(ERASERS) as ErasureKind[];

/**
 * One bounded step of each kind, each in its own transaction, recorded in erasure_log when it
 * erased anything; returns the counts (kinds that erased nothing are left out).
 */
export async function erasePass(db: Database, retention: RetentionConfig, now: Date): Promise<Partial<Record<ErasureKind, number>>> {
  const h = horizons(now, retention);
  const horizonOf = (kind: ErasureKind) => (kind === 'ended loans' ? h.endedLoans : kind === 'batches' ? h.batches : h.logs);
  const counts: Partial<Record<ErasureKind, number>> = {};
  for (const kind of ERASURE_KINDS) {
    const n = await db.transaction(async (tx) => {
      const erased = await ERASERS[kind](tx, h);
      if (erased > 0) {
        await tx.query('INSERT INTO erasure_log (at, kind, horizon, erased) VALUES ($1, $2, $3, $4)', [now.toISOString(), kind, horizonOf(kind).toISOString(), erased]);
      }
      return erased;
    });
    if (n > 0) counts[kind] = n;
  }
  return counts;
}

/** What erasure has done: per kind, the rows erased and the last pass, since `since` (for `pcr retention status`). */
export async function erasureSummary(db: Queryable, since: Date): Promise<{ kind: string; erased: number; lastAt: Date; lastHorizon: Date }[]> {
  const { rows } = await db.query<{ kind: string; erased: number; lastAt: Date; lastHorizon: Date }>(
    `SELECT kind, sum(erased)::int AS erased, max(at) AS "lastAt", max(horizon) AS "lastHorizon" FROM erasure_log WHERE at >= $1 GROUP BY kind ORDER BY kind`,
    [since.toISOString()],
  );
  return rows;
}
