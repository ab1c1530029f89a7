/**
 * The voluntary ban's storage: the ban in force, the person's consent, their history, the feed
 * rows companies read (feed.ts), and the log of deliveries. The operator's commands and the
 * e-service both change a person's state through `setBan`, `removeBan` and `setConsent`, which
 * run in the caller's transaction, so the change, its history, its feed row and the caller's
 * audit entry commit together.
 *
 * Every change first locks the person's row in `persons`: changes of one person are serialised,
 * and the feed's order for that person is their commit order (see 0008_ban_feed.sql).
 */
import type { Database, Queryable } from '../db/database.ts';
import { banFrom, feedEvent, hasLapsed, sameBan, type Ban, type BanReason, type BanState, type FeedChange } from './ban.ts';

/** Who made a change, as recorded in the history: the operator's name, a person, or the register itself. */
export const BY_REGISTER = 'register (the end date passed)';

/**
 * Locks the person's row (made if missing) and reads their ban and consent. Two statements: under
 * READ COMMITTED a statement that waited for the lock still reads other tables as of its start,
 * so the ban is read by a statement that begins once the lock is held and sees what the
 * transaction that held it committed.
 */
async function lockPerson(tx: Queryable, person: string): Promise<{ state: BanState }> {
  const locked = await tx.query<{ consent: boolean }>(
    'INSERT INTO persons (person) VALUES ($1) ON CONFLICT (person) DO UPDATE SET person = EXCLUDED.person RETURNING ban_consent AS consent',
    [person],
  );
  const { rows } = await tx.query<{ reason: BanReason; startDate: string; endDate: string | null }>(
    'SELECT reason, start_date AS "startDate", end_date AS "endDate" FROM voluntary_bans WHERE person = $1',
    [person],
  );
  const b = rows[0];
  return { state: { consent: locked.rows[0]!.consent, ban: b ? { reason: b.reason, startDate: b.startDate, endDate: b.endDate } : null } };
}

type HistoryChange = 'Set' | 'Changed' | 'Removed' | 'Ended' | 'ConsentGiven' | 'ConsentWithdrawn';

/**
 * Stores the person's new state (locked by lockPerson), its history entries, and the feed row the
 * change produces for the companies, if any. Returns that feed change.
 */
async function store(tx: Queryable, person: string, before: BanState, after: BanState, history: HistoryChange[], by: string): Promise<FeedChange | null> {
  if (after.ban === null) {
    if (before.ban !== null) await tx.query('DELETE FROM voluntary_bans WHERE person = $1', [person]);
  } else if (before.ban === null || !sameBan(before.ban, after.ban)) {
    await tx.query(
      `INSERT INTO voluntary_bans (person, reason, start_date, end_date, set_by) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (person) DO UPDATE SET reason = EXCLUDED.reason, start_date = EXCLUDED.start_date, end_date = EXCLUDED.end_date,
         set_at = now(), set_by = EXCLUDED.set_by`,
      [person, after.ban.reason, after.ban.startDate, after.ban.endDate, by],
    );
  }
  if (after.consent !== before.consent) await tx.query('UPDATE persons SET ban_consent = $2 WHERE person = $1', [person, after.consent]);
  // The history keeps the ban each entry is about (for Removed and Ended: the one that ended).
  const about = after.ban ?? before.ban;
  await tx.query(
    `INSERT INTO voluntary_ban_changes (person, change, reason, start_date, end_date, changed_by)
     SELECT $1, c, $3, $4, $5, $6 FROM unnest($2::text[]) WITH ORDINALITY AS h(c, n) ORDER BY n`,
    [person, history, about?.reason ?? null, about?.startDate ?? null, about?.endDate ?? null, by],
  );
  const event = feedEvent(before, after);
  if (event === null) return null;
  // pos: this transaction's id, or the person's previous pos if higher (a transaction that took
  // its id before an earlier change of this person committed still sorts after it).
  await tx.query(
    `WITH f AS (
       INSERT INTO ban_feed (pos, person, change, reason, start_date, end_date)
       SELECT greatest(pg_current_xact_id(), coalesce((SELECT pos FROM ban_feed WHERE id = p.ban_feed_id), '0'::xid8)), $1, $2, $3, $4, $5
       FROM persons p WHERE p.person = $1
       RETURNING id
     )
     UPDATE persons SET ban_feed_id = (SELECT id FROM f) WHERE person = $1`,
    [person, event.change, event.reason, event.startDate, event.endDate],
  );
  return event.change;
}

export interface BanChangeResult {
  /** What happened to the ban: 'Set' when the person had none, 'Unchanged' when it already was so (nothing is written), else 'Changed'. */
  change: 'Set' | 'Changed' | 'Unchanged';
  ban: Ban;
  consent: boolean;
  /** What the credit information companies receive of it, or null (no consent in force). */
  delivered: FeedChange | null;
}

/**
 * Sets or changes a person's ban, on `today`; `consent` true gives the consent with it, false
 * withdraws it, undefined leaves it as it is. Run it in a transaction.
 */
export async function setBan(
  tx: Queryable,
  person: string,
  input: { reason: string; startDate?: string; endDate?: string; consent?: boolean },
  by: string,
  today: string,
): Promise<BanChangeResult> {
  const ban = banFrom(input, today);
  const { state: before } = await lockPerson(tx, person);
  const after: BanState = { ban, consent: input.consent ?? before.consent };
  const consentChanged = after.consent !== before.consent;
  if (before.ban && sameBan(before.ban, ban) && !consentChanged) return { change: 'Unchanged', ban, consent: after.consent, delivered: null };
  const change = before.ban ? 'Changed' : 'Set';
  const history: HistoryChange[] = before.ban && sameBan(before.ban, ban) ? [] : [change];
  if (consentChanged) history.push(after.consent ? 'ConsentGiven' : 'ConsentWithdrawn');
  const delivered = await store(tx, person, before, after, history, by);
  return { change, ban, consent: after.consent, delivered };
}

/** Removes a person's ban; false when they had none. Run it in a transaction. */
export async function removeBan(tx: Queryable, person: string, by: string): Promise<{ removed: boolean; delivered: FeedChange | null }> {
  const { state: before } = await lockPerson(tx, person);
  if (!before.ban) return { removed: false, delivered: null };
  return { removed: true, delivered: await store(tx, person, before, { ...before, ban: null }, ['Removed'], by) };
}

/**
 * Gives or withdraws the person's consent to passing their ban to credit information companies,
 * whether or not they have a ban now. `changed` false when it already was so. Run it in a transaction.
 */
export async function setConsent(tx: Queryable, person: string, give: boolean, by: string): Promise<{ changed: boolean; consent: boolean; delivered: FeedChange | null }> {
  const { state: before } = await lockPerson(tx, person);
  if (before.consent === give) return { changed: false, consent: give, delivered: null };
  const delivered = await store(tx, person, before, { ...before, consent: give }, [give ? 'ConsentGiven' : 'ConsentWithdrawn'], by);
  return { changed: true, consent: give, delivered };
}

/**
 * Ends the fixed-term bans whose end date is before `today` (they end by themselves the day
 * after their end date): at most `limit` of them, in one transaction, recorded as 'Ended' by the
 * register, and delivered to the companies as Removed where consent is in force. Returns how
 * many ended. A person locked by another change is left for the next round.
 */
export async function endLapsedBans(db: Database, today: string, limit = 500): Promise<number> {
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<{ person: string }>(
      `SELECT p.person FROM persons p
       WHERE p.person IN (SELECT person FROM voluntary_bans WHERE end_date < $1::date ORDER BY end_date LIMIT $2)
       ORDER BY p.person FOR UPDATE SKIP LOCKED`,
      [today, limit],
    );
    let ended = 0;
    for (const { person } of rows) {
      const { state: before } = await lockPerson(tx, person);
      if (!before.ban || !hasLapsed(before.ban, today)) continue; // changed meanwhile
      await store(tx, person, before, { ...before, ban: null }, ['Ended'], BY_REGISTER);
      ended++;
    }
    return ended;
  });
}

/** The person's ban and consent now. */
export async function findBanState(db: Queryable, person: string): Promise<BanState & { setAt: string | null; setBy: string | null }> {
  const { rows } = await db.query<{ consent: boolean | null; reason: BanReason | null; startDate: string | null; endDate: string | null; setAt: Date | null; setBy: string | null }>(
    `SELECT p.ban_consent AS consent, b.reason, b.start_date AS "startDate", b.end_date AS "endDate", b.set_at AS "setAt", b.set_by AS "setBy"
     FROM (SELECT $1::text AS person) q LEFT JOIN persons p ON p.person = q.person LEFT JOIN voluntary_bans b ON b.person = q.person`,
    [person],
  );
  const r = rows[0]!;
  return {
    consent: r.consent ?? false,
    ban: r.reason ? { reason: r.reason, startDate: r.startDate!, endDate: r.endDate } : null,
    setAt: r.setAt?.toISOString() ?? null,
    setBy: r.setBy,
  };
}

export interface BanHistoryEntry {
  change: HistoryChange;
  reason: BanReason | null;
  startDate: string | null;
  endDate: string | null;
  changedAt: string;
  changedBy: string;
}

/** Every change of the person's ban and consent, oldest first, with who made it. */
export async function banHistory(db: Queryable, person: string): Promise<BanHistoryEntry[]> {
  const { rows } = await db.query<Omit<BanHistoryEntry, 'changedAt'> & { changedAt: Date }>(
    `SELECT change, reason, start_date AS "startDate", end_date AS "endDate", changed_at AS "changedAt", changed_by AS "changedBy"
     FROM voluntary_ban_changes WHERE person = $1 ORDER BY id`,
    [person],
  );
  return rows.map((r) => ({ ...r, changedAt: r.changedAt.toISOString() }));
}

export interface BanDelivery {
  deliveredAt: string;
  organisation: { name: string; idCodeType: string; idCode: string };
  change: FeedChange;
  reason: BanReason | null;
  startDate: string | null;
  endDate: string | null;
  changeTimeUtc: string;
  /** Delivered as part of a resync (the company started again without a cursor). */
  resync: boolean;
}

export interface BanDeliveryEntry {
  /** Where the next page starts after this entry (digits and dots: no person in it). */
  cursor: string;
  deliveredAt: Date;
  company: string;
  change: FeedChange;
}

/**
 * The deliveries of a person's ban changes to credit information companies, newest first,
 * `limit` of them after the entry whose `cursor` is `before`: a range read of the person's index.
 */
export async function banDeliveriesAbout(db: Queryable, person: string, limit: number, before?: string): Promise<BanDeliveryEntry[]> {
  const parts = before?.match(/^(\d{1,19})\.(\d{1,19})\.(\d{1,19})$/);
  // Anything else (another's cursor is harmless: the person's own rows only) is the first page.
  const at = parts && parts.slice(1).every((p) => BigInt(p) <= 9223372036854775807n) ? parts : undefined;
  const { rows } = await db.query<{ micros: string; feedId: string; organisationId: string; deliveredAt: Date; company: string; change: FeedChange }>(
    `SELECT (extract(epoch FROM d.delivered_at) * 1000000)::bigint::text AS micros, d.feed_id::text AS "feedId", d.organisation_id::text AS "organisationId",
       d.delivered_at AS "deliveredAt", o.name AS company, CASE WHEN d.resync THEN 'Set' ELSE f.change END AS change
     FROM ban_deliveries d JOIN organisations o ON o.id = d.organisation_id JOIN ban_feed f ON f.id = d.feed_id
     WHERE d.person = $1 AND ($2::bigint IS NULL OR ((extract(epoch FROM d.delivered_at) * 1000000)::bigint, d.feed_id, d.organisation_id) < ($2::bigint, $3::bigint, $4::bigint))
     ORDER BY d.delivered_at DESC, d.feed_id DESC, d.organisation_id DESC LIMIT $5`,
    [person, at?.[1] ?? null, at?.[2] ?? null, at?.[3] ?? null, limit],
  );
  return rows.map((r) => ({ cursor: `${r.micros}.${r.feedId}.${r.organisationId}`, deliveredAt: r.deliveredAt, company: r.company, change: r.change }));
}

/** Which credit information company received which of the person's changes, and when; oldest first. */
export async function deliveriesOf(db: Queryable, person: string): Promise<BanDelivery[]> {
  const { rows } = await db.query<{
    deliveredAt: Date; name: string; idCodeType: string; idCode: string; change: FeedChange; reason: BanReason | null;
    startDate: string | null; endDate: string | null; changeTime: Date; resync: boolean;
  }>(
    `SELECT d.delivered_at AS "deliveredAt", o.name, o.id_code_type AS "idCodeType", o.id_code AS "idCode",
       CASE WHEN d.resync THEN 'Set' ELSE f.change END AS change, f.reason, f.start_date AS "startDate", f.end_date AS "endDate",
       f.change_time AS "changeTime", d.resync
     FROM ban_deliveries d JOIN organisations o ON o.id = d.organisation_id JOIN ban_feed f ON f.id = d.feed_id
     WHERE d.person = $1 ORDER BY d.delivered_at, f.id`,
    [person],
  );
  return rows.map((r) => ({
    deliveredAt: r.deliveredAt.toISOString(),
    organisation: { name: r.name, idCodeType: r.idCodeType, idCode: r.idCode },
    change: r.change,
    reason: r.reason,
    startDate: r.startDate,
    endDate: r.endDate,
    changeTimeUtc: r.changeTime.toISOString(),
    resync: r.resync,
  }));
}
