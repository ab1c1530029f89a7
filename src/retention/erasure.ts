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
 * - received batches (the reports as they came) and their outcomes after `batchDays`, and only
 *   once none of the loans their reports concern is left in the register: what a lender
 *   reported about a loan still there is kept as it came, however old (spec README, "What the
 *   register keeps");
 * - the e-service's rows that hold an identity code and can no longer be used: sessions idle
 *   longer than a session may be, logins under way older than a login may take, and the Test
 *   identity provider's expired rows. Each is deleted when its own token comes back too, but a
 *   person who just closes the browser never comes back.
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
import { NUMERIC_OPTIONS, type RetentionConfig } from '../config.ts';
import { finnishDate } from '../common/dates.ts';
import type { Database, Queryable } from '../db/database.ts';

/** Rows erased at most in one transaction of one kind (for batches: reports, see BATCH_REPORTS). */
export const ERASE_AT_ONCE = 1000;
/** Batches are erased with their reports: at most about this many reports a transaction (one batch at least). */
export const BATCH_REPORTS = 20_000;

/**
 * The longest a session may idle and still be used: the largest PCR_SESSION_IDLE_MINUTES. The
 * erasure uses the idle time in force when it is given (ErasureOptions), this bound otherwise: it
 * never ends a session that findSession would still accept, whatever the setting.
 */
export const MAX_SESSION_IDLE_MS = NUMERIC_OPTIONS.PCR_SESSION_IDLE_MINUTES.max * 60_000;
/** A login under way is taken only within this long of its start (eservice/sessions.ts takeLogin: 10 minutes). */
export const LOGIN_VALID_MS = 10 * 60_000;
/**
 * The e-service's rows carry the database's time (now()); the horizons are the register's clock.
 * A row is erased only this long after it could last have been used, so that a register clock a
 * little ahead of the database's never ends a session still in use.
 */
export const CLOCK_MARGIN_MS = 60_000;

const DAY_MS = 86_400_000;

export interface ErasureOptions {
  /** The sessions' idle time in force (config sessionIdleMs); MAX_SESSION_IDLE_MS when not given. */
  sessionIdleMs?: number;
}

export interface Horizons {
  /** Loans that ended before this Finnish day (and were last changed before endedLoans) are erased. */
  endedLoanDay: string;
  endedLoans: Date;
  logs: Date;
  batches: Date;
  /** Sessions last seen before this have idled longer than a session may. */
  sessions: Date;
  /** Logins under way started before this can no longer be taken. */
  logins: Date;
  /** The Test identity provider's rows that expired before this. */
  testIdp: Date;
}

/** The moments before which each kind is due for erasure, `now` less its period. */
export function horizons(now: Date, r: RetentionConfig, o: ErasureOptions = {}): Horizons {
  const endedLoans = new Date(now.getTime() - r.endedLoanDays * DAY_MS);
  const at = (ms: number) => new Date(now.getTime() - ms);
  return {
    endedLoanDay: finnishDate(endedLoans),
    endedLoans,
    logs: at(r.logDays * DAY_MS),
    batches: at(r.batchDays * DAY_MS),
    sessions: at((o.sessionIdleMs ?? MAX_SESSION_IDLE_MS) + CLOCK_MARGIN_MS),
    logins: at(LOGIN_VALID_MS + CLOCK_MARGIN_MS),
    testIdp: at(CLOCK_MARGIN_MS),
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

export type ErasureKind =
  | 'ended loans' | 'extracts' | 'authority disclosures' | 'authority snapshot disclosures' | 'ban deliveries' | 'delivery downloads' | 'notifications' | 'batches'
  | 'e-service sessions' | 'e-service logins' | 'test identity provider';

/** What one bounded step of a kind did: rows erased, and whether more of it may be due now. */
interface Step {
  erased: number;
  more: boolean;
}

/** register_settings: the last batch id the batches' erasure has looked at (migration 0016). */
const SWEPT_KEY = 'retention_batches_swept';

const HISTORY_START = `to_char($1::timestamptz AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/**
 * Ended loans: ERASE_AT_ONCE of them, oldest end first, each with its parties, payments and
 * history. The batches that reported them are queued for the batches' erasure to look at again
 * (they may have been kept for these loans only).
 */
async function eraseEndedLoans(tx: Queryable, h: Horizons): Promise<Step> {
  // Not while another process's batches' erasure runs (it holds the cursor's row FOR UPDATE): it
  // may have found a batch kept for one of these loans and be about to drop the batch's queue
  // entry, on which this transaction's ON CONFLICT DO NOTHING below would rely; the batch would
  // then be kept for good. A batches' step is bounded: the wait is short.
  await tx.query(`SELECT 1 FROM register_settings WHERE key = '${SWEPT_KEY}' FOR SHARE`);
  const { rows } = await tx.query<{ id: string }>(
    `WITH doomed AS (
       SELECT l.id FROM loans l
       WHERE l.status <> 'Active' AND coalesce(l.end_date, l.contract_date) < $1::date
         -- Its newest version, from loan_versions_key loan by loan (a scalar subquery: never an anti-join
         -- that the planner may choose to feed with a scan of every version after the horizon).
         AND coalesce((SELECT v.known_from FROM loan_versions v WHERE v.loan_id = l.id ORDER BY v.known_from DESC LIMIT 1), '-infinity') < $2::timestamptz
       ORDER BY coalesce(l.end_date, l.contract_date), l.id
       LIMIT $3 FOR UPDATE SKIP LOCKED),
     versions AS (DELETE FROM loan_versions WHERE loan_id IN (SELECT id FROM doomed)),
     erased AS (DELETE FROM loans WHERE id IN (SELECT id FROM doomed) RETURNING id)
     SELECT id::text AS id FROM erased`,
    [h.endedLoanDay, h.endedLoans.toISOString(), ERASE_AT_ONCE],
  );
  const n = rows.length;
  if (n > 0) {
    // Their reports through reports_loan (loan_id, batch_id), the ids as a parameter: the planner
    // knows there are at most ERASE_AT_ONCE of them and never walks the national table instead.
    await tx.query(
      `INSERT INTO batch_erasure_rechecks (batch_id) SELECT DISTINCT batch_id FROM reports WHERE loan_id = ANY($1::bigint[]) ON CONFLICT DO NOTHING`,
      [rows.map((r) => r.id)],
    );
    // The days before the horizon can no longer be read as they were known (see the file's comment).
    await tx.query(
      `UPDATE register_settings SET value = ${HISTORY_START}
       WHERE key = 'loan_history_start' AND value NOT LIKE 'backfill%' AND value < ${HISTORY_START}`,
      [h.endedLoans.toISOString()],
    );
  }
  return { erased: n, more: n >= ERASE_AT_ONCE };
}

/** Runs a bounded DELETE (its LIMIT is `limit`); more may be due when it took as many as it could. */
async function deleteCount(tx: Queryable, sql: string, params: unknown[], limit = ERASE_AT_ONCE): Promise<Step> {
  const { rows } = await tx.query<{ n: number }>(`WITH erased AS (${sql} RETURNING 1) SELECT count(*)::int AS n FROM erased`, params);
  const n = rows[0]!.n;
  return { erased: n, more: n >= limit };
}

/**
 * Finished batches past their period none of whose reports concerns a loan still in the register,
 * with their reports' outcomes (ON DELETE CASCADE); then refused batches' records past theirs.
 *
 * A batch is looked at once when its period has passed (a sweep in id order from the cursor in
 * register_settings), and again only when one of its loans is erased (eraseEndedLoans queues it
 * in batch_erasure_rechecks): the batches kept for active loans, most old ones after some years,
 * are never walked again pass after pass. A batch still waiting to be processed is work, never
 * erased: the sweep queues it and passes on (one stuck batch must not stop the erasure of the
 * rest). Each pass looks at about BATCH_REPORTS reports at most (one batch at least), so that
 * the check of their loans and the delete stay bounded. One process at a time: the cursor's row
 * is locked, and another process skips its turn.
 */
async function eraseBatches(tx: Queryable, h: Horizons): Promise<Step> {
  const cursor = await tx.query<{ value: string }>(`SELECT value FROM register_settings WHERE key = '${SWEPT_KEY}' FOR UPDATE SKIP LOCKED`);
  if (cursor.rows.length === 0) return { erased: 0, more: false };
  const swept = BigInt(cursor.rows[0]!.value);
  const horizon = h.batches.toISOString();
  const candidates: string[] = [];
  let reports = 0;
  /** Whether a batch of `n` reports still fits this pass (the first always does). */
  const fits = (n: number) => candidates.length === 0 || reports + n <= BATCH_REPORTS;
  let more = false;

  // Batches queued again because one of their loans was erased; then those batches, by id (two
  // statements, so that the batches are looked up one by one and never merged with a walk of the table).
  const queued = (await tx.query<{ id: string }>('SELECT batch_id::text AS id FROM batch_erasure_rechecks ORDER BY batch_id LIMIT $1', [ERASE_AT_ONCE])).rows;
  const found = new Map<string, { due: boolean; reports: number }>();
  if (queued.length > 0) {
    const { rows } = await tx.query<{ id: string; due: boolean; reports: number }>(
      `SELECT id::text AS id, received_at < $2::timestamptz AND status <> 'Received' AS due, report_count AS reports FROM batches WHERE id = ANY($1::bigint[])`,
      [queued.map((q) => q.id), horizon],
    );
    for (const r of rows) found.set(r.id, r);
  }
  const done: string[] = [];
  let budgetSpent = false;
  for (const { id } of queued) {
    const q = found.get(id);
    if (!q) done.push(id); // erased already
    else if (q.due) {
      if (!fits(q.reports)) {
        budgetSpent = true;
        break;
      }
      candidates.push(id);
      reports += q.reports;
      done.push(id); // erased below, or kept for a loan still there: that loan's erasure queues it again
    } else if (BigInt(id) > swept) done.push(id); // the sweep will come to it
    // Else it stays queued: still waiting to be processed, or not past a period lengthened since the sweep passed it.
  }
  if (done.length > 0) {
    await tx.query('DELETE FROM batch_erasure_rechecks WHERE batch_id = ANY($1::bigint[])', [done]);
    more ||= budgetSpent || queued.length >= ERASE_AT_ONCE;
  }

  // The sweep: batches whose period has passed since the last pass, in id order, up to the first that has not.
  let last = swept;
  if (!budgetSpent) {
    const next = await tx.query<{ id: string; past: boolean; waiting: boolean; reports: number }>(
      `SELECT id::text AS id, received_at < $2::timestamptz AS past, status = 'Received' AS waiting, report_count AS reports
       FROM batches WHERE id > $1::bigint ORDER BY batches.id LIMIT $3`, // by the column, not by its text
      [swept.toString(), horizon, ERASE_AT_ONCE],
    );
    const waiting: string[] = [];
    let stopped = false;
    for (const b of next.rows) {
      if (!b.past) {
        stopped = true;
        break;
      }
      if (b.waiting) waiting.push(b.id);
      else if (fits(b.reports)) {
        candidates.push(b.id);
        reports += b.reports;
      } else {
        stopped = true;
        more = true;
        break;
      }
      last = BigInt(b.id);
    }
    if (!stopped && next.rows.length >= ERASE_AT_ONCE) more = true;
    if (waiting.length > 0) await tx.query('INSERT INTO batch_erasure_rechecks (batch_id) SELECT unnest($1::bigint[]) ON CONFLICT DO NOTHING', [waiting]);
    if (last !== swept) await tx.query(`UPDATE register_settings SET value = $1 WHERE key = '${SWEPT_KEY}'`, [last.toString()]);
  }

  let erased = 0;
  if (candidates.length > 0) {
    // Through reports' primary key (batch_id, seq) and loans' (id): a batch's own reports, each loan by id.
    const { rows } = await tx.query<{ n: number }>(
      `WITH erasable AS (
         SELECT b.id FROM batches b WHERE b.id = ANY($1::bigint[])
           AND NOT EXISTS (SELECT 1 FROM reports r JOIN loans l ON l.id = r.loan_id WHERE r.batch_id = b.id)),
       erased AS (DELETE FROM batches WHERE id IN (SELECT id FROM erasable) RETURNING 1)
       SELECT count(*)::int AS n FROM erased`,
      [candidates],
    );
    erased = rows[0]!.n;
  }
  await tx.query(`DELETE FROM batch_refusals WHERE (organisation_id, batch_reference) IN (
      SELECT organisation_id, batch_reference FROM batch_refusals WHERE refused_at < $1::timestamptz LIMIT $2)`, [horizon, ERASE_AT_ONCE]);
  return { erased, more };
}

const ERASERS: Record<ErasureKind, (tx: Queryable, h: Horizons) => Promise<Step>> = {
  'ended loans': eraseEndedLoans,
  extracts: (tx, h) =>
    deleteCount(tx, `DELETE FROM extracts WHERE extract_reference IN (
        SELECT extract_reference FROM extracts WHERE extract_reference < $1::uuid AND created_at < $2::timestamptz ORDER BY extract_reference LIMIT $3)`,
      [uuidV7Floor(h.logs), h.logs.toISOString(), ERASE_AT_ONCE]),
  'authority disclosures': (tx, h) =>
    deleteCount(tx, `DELETE FROM authority_disclosures WHERE delivery_id IN (
        SELECT delivery_id FROM authority_disclosures WHERE disclosed_at < $1::timestamptz LIMIT $2)`, [h.logs.toISOString(), ERASE_AT_ONCE]),
  // A snapshot's persons (migration 0017) a delivery at a time, through the delivery's index: the
  // table's other index leads with the person, so "every row before the horizon" would scan it.
  'authority snapshot disclosures': (tx, h) =>
    deleteCount(tx, `DELETE FROM authority_snapshot_disclosures WHERE ctid = ANY(ARRAY(
        SELECT s.ctid FROM (SELECT id FROM data_deliveries WHERE ready_at < $1::timestamptz ORDER BY ready_at) d
          CROSS JOIN LATERAL (SELECT ctid FROM authority_snapshot_disclosures s WHERE s.delivery_id = d.id LIMIT $2) s
        LIMIT $2))`, [h.logs.toISOString(), ERASE_AT_ONCE]),
  'ban deliveries': async (tx, h) => {
    // The log is append-only (migration 0008) but for this: the trigger lets DELETE through in this transaction only.
    await tx.query(`SELECT set_config('pcr.erasure', 'on', true)`);
    // By company, through its (organisation_id, delivered_at) index: there are few companies.
    return deleteCount(tx, `DELETE FROM ban_deliveries WHERE ctid = ANY(ARRAY(
        SELECT b.ctid FROM organisations o CROSS JOIN LATERAL (
          SELECT ctid FROM ban_deliveries d WHERE d.organisation_id = o.id AND d.delivered_at < $1::timestamptz LIMIT $2) b
        LIMIT $2))`, [h.logs.toISOString(), ERASE_AT_ONCE]);
  },
  // The first ERASE_AT_ONCE rows by id (the order they were written in) and of those the ones past
  // their period: a bounded walk of the primary key, where "all rows before the horizon" would walk
  // the whole log when few are due (the log has no index on its time).
  'delivery downloads': (tx, h) =>
    deleteCount(tx, `DELETE FROM data_delivery_log WHERE id IN (
        SELECT id FROM (SELECT id, downloaded_at FROM data_delivery_log ORDER BY id LIMIT $2) first WHERE downloaded_at < $1::timestamptz)`,
      [h.logs.toISOString(), ERASE_AT_ONCE]),
  notifications: (tx, h) =>
    deleteCount(tx, `DELETE FROM notification_outbox WHERE id IN (
        SELECT id FROM notification_outbox WHERE state <> 'Pending' AND coalesce(delivered_at, ended_at) < $1::timestamptz LIMIT $2)`,
      [h.logs.toISOString(), ERASE_AT_ONCE]),
  batches: eraseBatches,
  // Oldest first through eservice_sessions_last_seen; the outer condition again, in case the row changed meanwhile.
  'e-service sessions': (tx, h) =>
    deleteCount(tx, `DELETE FROM eservice_sessions WHERE ctid = ANY(ARRAY(
        SELECT ctid FROM eservice_sessions WHERE last_seen_at < $1::timestamptz ORDER BY last_seen_at LIMIT $2)) AND last_seen_at < $1::timestamptz`,
      [h.sessions.toISOString(), ERASE_AT_ONCE]),
  // Logins under way and the Test provider's rows have no index on their time: each table holds
  // minutes of logins once this erasure runs, and the Test provider's is empty in Production.
  'e-service logins': (tx, h) =>
    deleteCount(tx, `DELETE FROM eservice_logins WHERE ctid = ANY(ARRAY(
        SELECT ctid FROM eservice_logins WHERE created_at < $1::timestamptz LIMIT $2))`,
      [h.logins.toISOString(), ERASE_AT_ONCE]),
  'test identity provider': (tx, h) =>
    deleteCount(tx, `DELETE FROM test_idp_payloads WHERE ctid = ANY(ARRAY(
        SELECT ctid FROM test_idp_payloads WHERE expires_at < $1::timestamptz LIMIT $2)) AND expires_at < $1::timestamptz`,
      [h.testIdp.toISOString(), ERASE_AT_ONCE]),
};

export const ERASURE_KINDS = Object.keys(ERASERS) as ErasureKind[];

const HORIZON_OF: Record<ErasureKind, (h: Horizons) => Date> = {
  'ended loans': (h) => h.endedLoans,
  extracts: (h) => h.logs,
  'authority disclosures': (h) => h.logs,
  'authority snapshot disclosures': (h) => h.logs,
  'ban deliveries': (h) => h.logs,
  'delivery downloads': (h) => h.logs,
  notifications: (h) => h.logs,
  batches: (h) => h.batches,
  'e-service sessions': (h) => h.sessions,
  'e-service logins': (h) => h.logins,
  'test identity provider': (h) => h.testIdp,
};

/** What a pass erased per kind (kinds that erased nothing left out), and whether more is due at once. */
export interface PassResult {
  counts: Partial<Record<ErasureKind, number>>;
  /** Some kind stopped at its bound (or the batches' sweep has more to look at): run the next pass now, not after a rest. */
  more: boolean;
}

/**
 * One bounded step of each kind, each in its own transaction, recorded in erasure_log when it
 * erased anything.
 */
export async function eraseStep(db: Database, retention: RetentionConfig, now: Date, o: ErasureOptions = {}): Promise<PassResult> {
  const h = horizons(now, retention, o);
  const counts: Partial<Record<ErasureKind, number>> = {};
  let more = false;
  for (const kind of ERASURE_KINDS) {
    const step = await db.transaction(async (tx) => {
      const s = await ERASERS[kind](tx, h);
      if (s.erased > 0) {
        await tx.query('INSERT INTO erasure_log (at, kind, horizon, erased) VALUES ($1, $2, $3, $4)', [now.toISOString(), kind, HORIZON_OF[kind](h).toISOString(), s.erased]);
      }
      return s;
    });
    if (step.erased > 0) counts[kind] = step.erased;
    more ||= step.more;
  }
  return { counts, more };
}

/** One pass (eraseStep); returns the counts (kinds that erased nothing are left out). */
export async function erasePass(db: Database, retention: RetentionConfig, now: Date, o: ErasureOptions = {}): Promise<Partial<Record<ErasureKind, number>>> {
  return (await eraseStep(db, retention, now, o)).counts;
}

/** What erasure has done: per kind, the rows erased and the last pass, since `since` (for `pcr retention status`). */
export async function erasureSummary(db: Queryable, since: Date): Promise<{ kind: string; erased: number; lastAt: Date; lastHorizon: Date }[]> {
  const { rows } = await db.query<{ kind: string; erased: number; lastAt: Date; lastHorizon: Date }>(
    `SELECT kind, sum(erased)::int AS erased, max(at) AS "lastAt", max(horizon) AS "lastHorizon" FROM erasure_log WHERE at >= $1 GROUP BY kind ORDER BY kind`,
    [since.toISOString()],
  );
  return rows;
}
