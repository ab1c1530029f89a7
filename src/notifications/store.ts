/**
 * The notification outbox (migrations 0003, 0013): one row per person and day of notification,
 * written by the disclosure log (extract/store.ts) for the day after the extracts, its count of
 * extracts growing while that day has not come. Here: claiming due rows for delivery, ending
 * them, and the operator's view.
 *
 * Claims are leases: a claim sets `claimed_until` (and a claim id) in a short transaction, with
 * FOR UPDATE SKIP LOCKED, so that of several register processes one takes a row; the message is
 * sent outside any transaction; the row is ended afterwards. A process that dies meanwhile leaves
 * the row claimed until the lease runs out, then another takes it again: at least once, with the
 * same id as the message's external id, which makes the repeat harmless.
 */
import { randomUUID } from 'node:crypto';
import type { Database, Queryable } from '../db/database.ts';
import { finnishDate } from '../common/dates.ts';
import { redact } from './adapters.ts';

export type OutboxState = 'Pending' | 'Sent' | 'Skipped' | 'GaveUp';

/**
 * A day's rows become due this long after its midnight in Finland: a register process whose clock
 * is a little behind may still be logging extracts of the day before into them.
 */
export const DAY_START_GRACE_MS = 15 * 60_000;

/** The last notify_on due at `now`. */
export function dueDay(now: Date): string {
  return finnishDate(new Date(now.getTime() - DAY_START_GRACE_MS));
}

export interface ClaimedNotification {
  id: string;
  person: string;
  notifyOn: string;
  extractCount: number;
  /** The attempts made before this claim (startAttempt counts the next, just before it is made). */
  attempts: number;
  claim: string;
  notificationsOff: boolean;
  deceased: boolean;
}

/**
 * Rows still Pending whose attempts are used up: the last attempt never ended (the process
 * stopped while sending, or the limit was lowered). Given up rather than sent once more: a
 * message that stops the register each time must not stop it for ever.
 */
const GIVE_UP_UNFINISHED = `
UPDATE notification_outbox SET state = 'GaveUp', ended_at = $2, claimed_until = NULL, claim = NULL,
  last_error = left(coalesce(last_error || '; ', '') || 'attempt ' || attempts || ' did not finish (the register stopped while sending?) and no attempts are left', 500)
WHERE state = 'Pending' AND notify_on <= $1::date AND attempts >= $3
  AND (claimed_until IS NULL OR claimed_until <= $2) AND (next_attempt_at IS NULL OR next_attempt_at <= $2)`;

/**
 * The next due rows, at most one per person and none of a person sent a message today (Finnish
 * time): a person's older row goes first, and a backlog (the register was stopped for days)
 * reaches the person one day at a time. $1 the last due day, $2 now, $3 the lease's end, $4 how
 * many, $5 the claim id, $6 the attempts allowed, $7 today.
 */
const CLAIM = `
WITH due AS (
  SELECT o.person, o.notify_on FROM notification_outbox o
  WHERE o.state = 'Pending' AND o.notify_on <= $1::date AND o.attempts < $6
    AND (o.next_attempt_at IS NULL OR o.next_attempt_at <= $2)
    AND (o.claimed_until IS NULL OR o.claimed_until <= $2)
    AND NOT EXISTS (SELECT 1 FROM notification_outbox e WHERE e.person = o.person AND e.state = 'Pending' AND e.notify_on < o.notify_on)
    AND NOT EXISTS (SELECT 1 FROM notification_outbox s WHERE s.person = o.person AND s.state = 'Sent'
                    AND s.delivered_at >= ($7::date::timestamp AT TIME ZONE 'Europe/Helsinki'))
  ORDER BY o.notify_on, o.person
  LIMIT $4
  FOR UPDATE OF o SKIP LOCKED)
UPDATE notification_outbox o SET claimed_until = $3, claim = $5
FROM due WHERE o.person = due.person AND o.notify_on = due.notify_on
RETURNING o.id, o.person, o.notify_on AS "notifyOn", o.extract_count AS "extractCount", o.attempts, o.claim,
  coalesce((SELECT p.notifications_off FROM persons p WHERE p.person = o.person), false) AS "notificationsOff",
  EXISTS (SELECT 1 FROM persons p WHERE p.person = o.person AND p.date_of_death IS NOT NULL) AS deceased`;

/** Claims up to `limit` due rows for `leaseMs`; gives up the rows whose last attempt never ended. */
export async function claimDue(db: Database, opts: { now: Date; limit: number; leaseMs: number; maxAttempts: number }): Promise<{ claimed: ClaimedNotification[]; unfinished: number }> {
  const { now } = opts;
  return db.transaction(async (tx) => {
    const gaveUp = await tx.query(GIVE_UP_UNFINISHED, [dueDay(now), now, opts.maxAttempts]);
    const { rows } = await tx.query<ClaimedNotification>(CLAIM, [
      dueDay(now), now, new Date(now.getTime() + opts.leaseMs), opts.limit, randomUUID(), opts.maxAttempts, finnishDate(now),
    ]);
    return { claimed: rows.sort((a, b) => (a.notifyOn < b.notifyOn ? -1 : a.notifyOn > b.notifyOn ? 1 : 0)), unfinished: gaveUp.rowCount };
  });
}

/**
 * Counts the attempt about to be made on a claimed row, just before its message is handed over
 * (not when the rows are claimed: a process stopping after the first of its claimed rows would
 * otherwise have spent an attempt of each of the others, which were never tried). Answers the
 * attempt's number, or undefined when the claim was lost meanwhile (its lease ran out and
 * another process took the row, or ended it). Counted before the message is sent, so that a
 * message that stops the register each time runs out of attempts (GIVE_UP_UNFINISHED).
 */
export async function startAttempt(db: Queryable, row: Pick<ClaimedNotification, 'id' | 'claim'>): Promise<number | undefined> {
  const { rows } = await db.query<{ attempts: number }>(
    `UPDATE notification_outbox SET attempts = attempts + 1 WHERE id = $1 AND claim = $2 AND state = 'Pending' RETURNING attempts`,
    [row.id, row.claim],
  );
  return rows[0]?.attempts;
}

/** Delivered: Sent, whoever held the row (delivered is the truth even if a slower attempt gave it up meanwhile). */
export async function markSent(db: Queryable, id: string, at: Date, notifiedCount: number): Promise<boolean> {
  const r = await db.query(
    `UPDATE notification_outbox SET state = 'Sent', delivered_at = $2, notified_count = $3, claimed_until = NULL, claim = NULL, next_attempt_at = NULL, ended_at = NULL
     WHERE id = $1 AND state <> 'Sent'`,
    [id, at, notifiedCount],
  );
  return r.rowCount === 1;
}

/** Not sent: the person switched notifications off (or died) before it was. */
export async function markSkipped(db: Queryable, row: Pick<ClaimedNotification, 'id' | 'claim'>, at: Date, reason: 'NotificationsOff' | 'Deceased'): Promise<boolean> {
  const r = await db.query(
    `UPDATE notification_outbox SET state = 'Skipped', skip_reason = $3, ended_at = $4, claimed_until = NULL, claim = NULL
     WHERE id = $1 AND claim = $2 AND state = 'Pending'`,
    [row.id, row.claim, reason, at],
  );
  return r.rowCount === 1;
}

/** The attempt failed: retried at `retryAt`, or (retryAt null) given up. The error is stored redacted. */
export async function markFailed(db: Queryable, row: Pick<ClaimedNotification, 'id' | 'claim'>, at: Date, error: string, retryAt: Date | null): Promise<boolean> {
  const r = await db.query(
    `UPDATE notification_outbox SET last_error = $3, claimed_until = NULL, claim = NULL,
       next_attempt_at = $4::timestamptz, state = CASE WHEN $4::timestamptz IS NULL THEN 'GaveUp' ELSE 'Pending' END,
       ended_at = CASE WHEN $4::timestamptz IS NULL THEN $5::timestamptz END
     WHERE id = $1 AND claim = $2 AND state = 'Pending'`,
    [row.id, row.claim, redact(error, 500), retryAt, at],
  );
  return r.rowCount === 1;
}

export interface OutboxStatus {
  /** Pending, their day not yet due. */
  waiting: number;
  /** Due, not yet tried. */
  due: number;
  /** Due, tried and failed at least once (or being tried again now). */
  retrying: number;
  /** Being sent by a register process now (its lease runs). */
  inFlight: number;
  sent: number;
  skipped: number;
  gaveUp: number;
  /** The oldest notify_on of the rows due, or null. */
  oldestDue: string | null;
  /** When the next retry is due, or null. */
  nextRetryAt: string | null;
}

export interface GaveUpRow {
  externalId: string;
  notifyOn: string;
  extractCount: number;
  attempts: number;
  lastError: string | null;
  gaveUpAt: string;
  /** Only when asked for (--show-identity-codes). */
  person?: string;
}

export async function outboxStatus(db: Queryable, now: Date): Promise<OutboxStatus> {
  const { rows } = await db.query<Record<keyof OutboxStatus, unknown>>(
    `SELECT
       count(*) FILTER (WHERE state = 'Pending' AND notify_on > $1::date)::int AS waiting,
       count(*) FILTER (WHERE state = 'Pending' AND notify_on <= $1::date AND attempts = 0)::int AS due,
       count(*) FILTER (WHERE state = 'Pending' AND notify_on <= $1::date AND attempts > 0)::int AS retrying,
       count(*) FILTER (WHERE state = 'Pending' AND claimed_until > $2)::int AS "inFlight",
       count(*) FILTER (WHERE state = 'Sent')::int AS sent,
       count(*) FILTER (WHERE state = 'Skipped')::int AS skipped,
       count(*) FILTER (WHERE state = 'GaveUp')::int AS "gaveUp",
       min(notify_on) FILTER (WHERE state = 'Pending' AND notify_on <= $1::date) AS "oldestDue",
       min(next_attempt_at) FILTER (WHERE state = 'Pending' AND next_attempt_at > $2) AS "nextRetryAt"
     FROM notification_outbox`,
    [dueDay(now), now],
  );
  const r = rows[0]!;
  return {
    waiting: r.waiting as number,
    due: r.due as number,
    retrying: r.retrying as number,
    inFlight: r.inFlight as number,
    sent: r.sent as number,
    skipped: r.skipped as number,
    gaveUp: r.gaveUp as number,
    oldestDue: (r.oldestDue as string | null) ?? null,
    nextRetryAt: r.nextRetryAt ? (r.nextRetryAt as Date).toISOString() : null,
  };
}

/** The rows given up, the latest first. */
export async function gaveUpRows(db: Queryable, opts: { limit: number; withPerson: boolean }): Promise<GaveUpRow[]> {
  const { rows } = await db.query<Omit<GaveUpRow, 'gaveUpAt'> & { gaveUpAt: Date; person: string }>(
    `SELECT id::text AS "externalId", notify_on AS "notifyOn", extract_count AS "extractCount", attempts, last_error AS "lastError",
       ended_at AS "gaveUpAt", person
     FROM notification_outbox WHERE state = 'GaveUp' ORDER BY ended_at DESC, id LIMIT $1`,
    [opts.limit],
  );
  return rows.map(({ person, gaveUpAt, ...r }) => ({ ...r, gaveUpAt: gaveUpAt.toISOString(), ...(opts.withPerson ? { person } : {}) }));
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isExternalId = (s: string) => UUID.test(s);

export interface RetriedRow {
  externalId: string;
  notifyOn: string;
  attempts: number;
  lastError: string | null;
}

/**
 * Puts rows given up back to be sent (all attempts again): one by its external id, or all of
 * them. Answers the rows as they were, for the audit trail.
 */
export async function retryGaveUp(db: Queryable, which: { id: string } | { all: true }): Promise<RetriedRow[]> {
  const { rows } = await db.query<RetriedRow>(
    `WITH before AS (
       SELECT person, notify_on, attempts, last_error FROM notification_outbox
       WHERE state = 'GaveUp' AND ($1::uuid IS NULL OR id = $1::uuid) FOR UPDATE)
     UPDATE notification_outbox o SET state = 'Pending', attempts = 0, next_attempt_at = NULL, ended_at = NULL, claimed_until = NULL, claim = NULL
     FROM before WHERE o.person = before.person AND o.notify_on = before.notify_on
     RETURNING o.id::text AS "externalId", o.notify_on AS "notifyOn", before.attempts, before.last_error AS "lastError"`,
    ['id' in which ? which.id : null],
  );
  return rows;
}
