/**
 * GetVoluntaryBanChanges: a credit information company pages through the changes of the bans
 * it may see (persons whose consent is in force at the change), and every delivery is logged.
 *
 * Why it never skips nor repeats: a feed row's pos is at least its writer's transaction id, so
 * every row a reader cannot see yet (its writer still running, or not yet started) has a pos
 * at or above the oldest running transaction id, pg_snapshot_xmin(pg_current_snapshot()). The
 * reader delivers only rows below that mark, in (pos, id) order, after its cursor: all of them
 * are committed, and no row committed later can sort before them.
 *
 * Without a cursor the company (re)starts: first the current state of every consented ban as
 * of a mark `w` (each person's latest feed row, if it is below `w` and a Set or Changed), by
 * person, delivered as Set; then the changes from `w` on. A person whose latest row is at or
 * above `w` is left to the changes, which carry the whole ban; so every person's last delivery
 * is their state now.
 */
import type { Environment } from '../common/environment.ts';
import { RegisterError } from '../common/errors.ts';
import type { Database, Queryable } from '../db/database.ts';
import { onStandby } from '../db/standby.ts';
import type { BanReason, FeedChange } from './ban.ts';
import { newCursorKey, openCursor, sealCursor, type Position } from './cursor.ts';

export const DEFAULT_LIMIT = 1000;
export const MAX_LIMIT = 10_000;

export interface DeliveredChange {
  personIdCode: string;
  change: FeedChange;
  reason: BanReason | null;
  startDate: string | null;
  endDate: string | null;
  changeTimeUtc: string;
}

export interface ChangesPage {
  changes: DeliveredChange[];
  nextCursor: string;
  /** More changes were ready when this page was read: ask again at once (our addition). */
  moreAvailable: boolean;
}

interface Row {
  id: number;
  pos: string;
  person: string;
  change: FeedChange;
  reason: BanReason | null;
  startDate: string | null;
  endDate: string | null;
  changeTime: Date;
}

const COLUMNS = `f.id, f.pos::text AS pos, f.person, f.change, f.reason, f.start_date AS "startDate", f.end_date AS "endDate", f.change_time AS "changeTime"`;

/**
 * The current state of consented bans, as of mark $1, of persons after $2; not a ban past its end
 * date ($4 is today) that the ban endings job has not ended yet (its Removed follows in the changes).
 */
const SNAPSHOT = `SELECT ${COLUMNS}
  FROM persons p JOIN ban_feed f ON f.id = p.ban_feed_id
  WHERE p.ban_consent AND p.person > $2 AND f.pos < $1::xid8 AND f.change IN ('Set', 'Changed') AND (f.end_date IS NULL OR f.end_date >= $4::date)
  ORDER BY p.person LIMIT $3`;

/** The changes after ($1, $2) below the oldest running transaction. */
const CHANGES = `SELECT ${COLUMNS}
  FROM ban_feed f
  WHERE (f.pos, f.id) > ($1::xid8, $2::bigint) AND f.pos < (SELECT pg_snapshot_xmin(pg_current_snapshot()))
  ORDER BY f.pos, f.id LIMIT $3`;

/**
 * The mark (the oldest running transaction id), the next transaction id not yet given, and the
 * highest position in the feed. In a database with its own history every position is below the
 * next id (a position is a transaction id already given, or an earlier row's); a position at or
 * above it means the ids went back: the database was restored from a logical dump, or to an
 * earlier point, without raising the epoch (docs/backup.md). One index lookup.
 */
const STATE = `SELECT pg_snapshot_xmin(s)::text AS w, pg_snapshot_xmax(s)::text AS next, (SELECT max(pos) FROM ban_feed)::text AS top
  FROM pg_current_snapshot() AS s`;

/** The feed cannot be read until the operator has raised the transaction id epoch (docs/backup.md): every page would mislead. */
export const FEED_HELD = "The change feed is held: the register's database was restored without its transaction history, and its changes cannot be ordered until the operator raises the transaction id epoch (docs/backup.md). Try again later.";
/** A cursor from beyond this database's history: changes made now would sort before it and be missed. */
export const CURSOR_AHEAD = "cursor is ahead of this register's change feed (its database was restored to an earlier point): start again without a cursor, a full resync";

export class BanFeed {
  private key: Promise<Buffer> | undefined;

  /**
   * `reads`: where the pages are read (a standby, Register.readDb; `db` by default). The mark
   * holds on a hot standby too: a transaction the primary committed but the standby has not
   * replayed is still running in the standby's snapshot, so its rows are at or above the mark
   * there, and a page from the standby is a page the primary would have given a moment earlier.
   * The delivery log is written on `db`, after the read.
   */
  constructor(
    private readonly db: Database,
    private readonly environment: Environment,
    private readonly reads: Database = db,
  ) {}

  /** The register's cursor key, made by the first process that needs it and shared through the database. */
  private cursorKey(): Promise<Buffer> {
    this.key ??= (async () => {
      await this.db.query(`INSERT INTO register_settings (key, value) VALUES ('ban_feed_cursor_key', $1) ON CONFLICT (key) DO NOTHING`, [newCursorKey().toString('base64')]);
      const { rows } = await this.db.query<{ value: string }>(`SELECT value FROM register_settings WHERE key = 'ban_feed_cursor_key'`);
      return Buffer.from(rows[0]!.value, 'base64');
    })().catch((err: unknown) => {
      this.key = undefined;
      throw err;
    });
    return this.key;
  }

  /** Where a cursor points; a refusal when it is not this register's, or was given to another organisation. */
  private async position(organisationId: number, cursor: string | null | undefined): Promise<Position | null> {
    if (cursor === undefined || cursor === null || cursor === '') return null;
    const c = openCursor(await this.cursorKey(), cursor);
    if (!c || c.environment !== this.environment) {
      throw new RegisterError('A10', 'cursor is not one this register gave: pass nextCursor exactly as received, or none to start again', 'cursor');
    }
    if (c.organisationId !== organisationId) throw new RegisterError('A22', 'cursor was given to another organisation', 'cursor');
    return c.position;
  }

  /** One page of at most `limit` changes for the organisation, on `today` (Finnish), logged as delivered to it. */
  async read(organisationId: number, cursor: string | null | undefined, limit: number, today: string): Promise<ChangesPage> {
    const start = await this.position(organisationId, cursor);
    const key = await this.cursorKey();
    const read = await onStandby(this.reads, this.db, (tx) => this.page(tx, organisationId, start, limit, today, key));
    if (read) {
      await logDeliveries(this.db, organisationId, read.resync, read.changes);
      return read.page;
    }
    return this.db.transaction(async (tx) => {
      const { page, resync, changes } = await this.page(tx, organisationId, start, limit, today, key);
      await logDeliveries(tx, organisationId, resync, changes);
      return page;
    });
  }

  /** The page after `start` (null: a resync from the start), and the rows it holds, read in `tx`. */
  private async page(tx: Queryable, organisationId: number, start: Position | null, limit: number, today: string, key: Buffer): Promise<{ page: ChangesPage; resync: Row[]; changes: Row[] }> {
    // Nothing is written before the reads: this transaction takes no id that would hold the mark back.
    const state = (await tx.query<{ w: string; next: string; top: string | null }>(STATE)).rows[0]!;
    const next = BigInt(state.next);
    if (state.top !== null && BigInt(state.top) >= next) throw new RegisterError('A90', FEED_HELD, undefined, { 'Retry-After': '3600' });
    if (start && BigInt(start.phase === 'feed' ? start.pos : start.w) >= next) throw new RegisterError('A10', CURSOR_AHEAD, 'cursor');
    let position: Position = start ?? { phase: 'snapshot', w: state.w, after: '' };
    const resync: Row[] = [];
    if (position.phase === 'snapshot') {
      const rows = (await tx.query<Row>(SNAPSHOT, [position.w, position.after, limit + 1, today])).rows;
      resync.push(...rows.slice(0, limit));
      position = rows.length > limit ? { ...position, after: resync[resync.length - 1]!.person } : { phase: 'feed', pos: position.w, id: 0 };
    }
    const changes: Row[] = [];
    let more = position.phase === 'snapshot';
    if (position.phase === 'feed' && resync.length < limit) {
      const room = limit - resync.length;
      const rows = (await tx.query<Row>(CHANGES, [position.pos, position.id, room + 1])).rows;
      changes.push(...rows.slice(0, room));
      more = rows.length > room;
      const last = changes[changes.length - 1];
      if (last) position = { phase: 'feed', pos: last.pos, id: last.id };
    } else if (position.phase === 'feed') {
      more = true;
    }
    return {
      page: {
        changes: [...resync.map((r) => delivered(r, 'Set')), ...changes.map((r) => delivered(r, r.change))],
        nextCursor: sealCursor(key, { organisationId, environment: this.environment, position }),
        moreAvailable: more,
      },
      resync,
      changes,
    };
  }
}

function delivered(r: Row, change: FeedChange): DeliveredChange {
  return { personIdCode: r.person, change, reason: r.reason, startDate: r.startDate, endDate: r.endDate, changeTimeUtc: r.changeTime.toISOString() };
}

/** One statement for the page: which company received which person's change, now. */
async function logDeliveries(tx: Queryable, organisationId: number, resync: Row[], changes: Row[]): Promise<void> {
  if (resync.length + changes.length === 0) return;
  const all = [...resync, ...changes];
  await tx.query(
    `INSERT INTO ban_deliveries (organisation_id, person, feed_id, resync, delivered_at)
     SELECT $1, u.person, u.feed_id, u.resync, now() FROM unnest($2::text[], $3::bigint[], $4::boolean[]) AS u(person, feed_id, resync)`,
    [organisationId, all.map((r) => r.person), all.map((r) => r.id), all.map((_, i) => i < resync.length)],
  );
}
