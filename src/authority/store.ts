/**
 * Orders and deliveries in the database. Every query that reads an authority's data takes the
 * authority's organisation id and scopes itself: another authority's order or delivery is
 * exactly as absent as one that does not exist.
 */
import { authorityScope, type AuthorityScope } from '../access/authority-scope.ts';
import { uuidV7 } from '../common/uuid.ts';
import type { Database, Queryable } from '../db/database.ts';
import { onStandby } from '../db/standby.ts';
import { KNOWLEDGE_FINAL } from '../reporting/history.ts';
import { knowledgeDay, nextPeriod, periodsDue, type OrderableType, type OrderParameters, type Period, type Recurrence, type ValidOrder } from './orders.ts';
import { produceContent } from './produce.ts';
import { contentSha256, deleteContent, numberPages, pageText, pagesFor } from './pages.ts';
export { historyFrom } from './produce.ts';
export { PAGE_LINES } from './pages.ts';

/** How many pages a producer writes at a time where the database runs several transactions at once (pages.ts). */
export const PAGE_WRITERS = 2;

/** How long a ready delivery is kept. */
export const KEEP_DAYS = 90;

export type DeliveryStatus = 'Pending' | 'InProgress' | 'Ready' | 'Failed' | 'Expired';

export interface DeliveryView {
  deliveryId: string;
  periodStart: string;
  periodEnd: string;
  status: DeliveryStatus;
  createdAt: string;
  readyAt: string | null;
  expiresAt: string | null;
  rowCount: number | null;
  pageCount: number | null;
  contentSha256: string | null;
}

export interface OrderView {
  orderId: string;
  type: string;
  recurrence: Recurrence;
  state: 'Active' | 'Cancelled';
  legalBasis: string | null;
  caseReference: string | null;
  placedAt: string;
}

/**
 * Places an order; a one-off order's delivery is pending at once, a recurring one's come as its
 * periods end. Run it in a transaction.
 */
export async function placeOrder(tx: Queryable, organisationId: number, order: ValidOrder): Promise<{ orderId: string; deliveryId: string | null }> {
  const orderId = uuidV7();
  const once = order.recurrence === 'Once';
  await tx.query(
    `INSERT INTO authority_orders (id, organisation_id, order_type, parameters, legal_basis, case_reference, recurrence, next_period)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [orderId, organisationId, order.parameters.type, JSON.stringify(order.parameters), order.legalBasis, order.caseReference, order.recurrence, once ? null : order.firstPeriod.start],
  );
  const deliveryId = once ? await addDelivery(tx, orderId, order.parameters.type, order.firstPeriod) : null;
  return { orderId, deliveryId };
}

async function addDelivery(tx: Queryable, orderId: string, type: OrderableType, p: Period): Promise<string | null> {
  const { rows } = await tx.query<{ id: string }>(
    `INSERT INTO data_deliveries (id, order_id, period_start, period_end, knowledge_day) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (order_id, period_start) DO NOTHING RETURNING id`,
    [uuidV7(), orderId, p.start, p.end, knowledgeDay(type, p)],
  );
  return rows[0]?.id ?? null;
}



const ORDER_COLUMNS = `o.id AS "orderId", o.order_type AS type, o.recurrence, o.state, o.legal_basis AS "legalBasis", o.case_reference AS "caseReference", o.placed_at AS "placedAt"`;
const DELIVERY_COLUMNS = `d.id AS "deliveryId", d.period_start AS "periodStart", d.period_end AS "periodEnd", d.status, d.created_at AS "createdAt",
  d.ready_at AS "readyAt", d.expires_at AS "expiresAt", d.row_count AS "rowCount", d.page_count AS "pageCount", d.content_sha256 AS "contentSha256"`;

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** The organisation's order and its deliveries, newest first (at most `max`); undefined when it has no such order. */
export async function orderOf(db: Queryable, organisationId: number, orderId: string, max = 400): Promise<{ order: OrderView; deliveries: DeliveryView[] } | undefined> {
  const { rows } = await db.query<OrderView & { placedAt: Date }>(`SELECT ${ORDER_COLUMNS} FROM authority_orders o WHERE o.id = $1 AND o.organisation_id = $2`, [orderId, organisationId]);
  const order = rows[0];
  if (!order) return undefined;
  const d = await db.query<DeliveryView & { createdAt: Date; readyAt: Date | null; expiresAt: Date | null }>(
    `SELECT ${DELIVERY_COLUMNS} FROM data_deliveries d WHERE d.order_id = $1 ORDER BY d.period_start DESC LIMIT $2`,
    [orderId, max],
  );
  return {
    order: { ...order, placedAt: order.placedAt.toISOString() },
    deliveries: d.rows.map((r) => ({ ...r, createdAt: r.createdAt.toISOString(), readyAt: iso(r.readyAt), expiresAt: iso(r.expiresAt) })),
  };
}

export type PageResult =
  | { found: false }
  | { found: true; ready: false; status: DeliveryStatus }
  | { found: true; ready: true; pageCount: number; page?: never; outOfRange: true }
  | { found: true; ready: true; pageCount: number; body: string; rows: number; contentSha256: string; format: 'NDJSON' | 'CSV' };

/**
 * One page (from 1) of a ready delivery of the organisation's order, logged as downloaded with
 * the order's legal basis and case reference, in the transaction that reads it. With `reads` (a
 * standby: Register.readDb), the page is read there and only the log is written to `db`: a
 * standby cannot lock the delivery row, and needs not — its snapshot holds the delivery and its
 * pages together, or neither (an expiry not replayed yet is a moment's lag, not a torn read).
 */
export async function readPage(db: Database, organisationId: number, orderId: string, deliveryId: string, page: number, reads: Database = db): Promise<PageResult> {
  const fromPrimary = () => db.transaction(async (tx) => logged(tx, await pageOf(tx, organisationId, orderId, deliveryId, page, true)));
  const read = await onStandby(reads, db, (tx) => pageOf(tx, organisationId, orderId, deliveryId, page, false));
  // A delivery the standby does not hold as ready yet (replication lag) is read on the primary,
  // which has just listed it as Ready: the two never disagree in one answer.
  if (!read || !read.result.found || !read.result.ready) return fromPrimary();
  return logged(db, read);

  async function logged(tx: Queryable, r: { result: PageResult; log?: unknown[] }): Promise<PageResult> {
    if (r.log) {
      await tx.query(
        `INSERT INTO data_delivery_log (organisation_id, order_id, delivery_id, page, rows_sent, legal_basis, case_reference, content_sha256)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, r.log);
    }
    return r.result;
  }
}

/** The page and, when it is sent, the values of its log entry. `lock`: hold the delivery (FOR SHARE) so that it cannot expire meanwhile. */
async function pageOf(tx: Queryable, organisationId: number, orderId: string, deliveryId: string, page: number, lock: boolean): Promise<{ result: PageResult; log?: unknown[] }> {
  const { rows } = await tx.query<{ status: DeliveryStatus; pageCount: number | null; sha: string | null; legalBasis: string | null; caseReference: string | null; format: string | null; lines: number | null }>(
    `SELECT d.status, d.page_count AS "pageCount", d.content_sha256 AS sha, o.legal_basis AS "legalBasis", o.case_reference AS "caseReference",
       o.parameters->>'format' AS format,
       (SELECT p.line_count FROM data_delivery_pages p WHERE p.delivery_id = d.id AND p.page_no = $4) AS lines
     FROM data_deliveries d JOIN authority_orders o ON o.id = d.order_id
     WHERE d.id = $1 AND d.order_id = $2 AND o.organisation_id = $3
     ${lock ? 'FOR SHARE OF d' : ''}`, // the delivery cannot expire between this and the page's read
    [deliveryId, orderId, organisationId, page],
  );
  const d = rows[0];
  if (!d) return { result: { found: false } };
  if (d.status !== 'Ready') return { result: { found: true, ready: false, status: d.status } };
  const pageCount = d.pageCount ?? 0;
  if (page > Math.max(1, pageCount)) return { result: { found: true, ready: true, pageCount, outOfRange: true } };
  // An empty delivery has one page, with nothing in it.
  const body = d.lines === null ? '' : (await pageText(tx, deliveryId, page))!;
  const rowsSent = d.lines ?? 0;
  return {
    result: { found: true, ready: true, pageCount, body, rows: rowsSent, contentSha256: d.sha!, format: d.format === 'CSV' ? 'CSV' : 'NDJSON' },
    log: [organisationId, orderId, deliveryId, page, rowsSent, d.legalBasis, d.caseReference, d.sha],
  };
}

// ---- the background work (job.ts)

/**
 * Creates the deliveries of recurring orders whose periods have ended by `today`, each period
 * once (the unique key), whichever process does it and however late; moves each order's next
 * period on. Returns how many deliveries it created.
 */
export async function scheduleRecurring(db: Database, today: string, limit = 50): Promise<number> {
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<{ id: string; type: OrderableType; recurrence: Exclude<Recurrence, 'Once'>; next: string }>(
      `SELECT id, order_type AS type, recurrence, next_period AS next FROM authority_orders
       WHERE state = 'Active' AND recurrence <> 'Once' AND next_period < $1::date
       ORDER BY next_period LIMIT $2 FOR UPDATE SKIP LOCKED`,
      [today, limit],
    );
    let created = 0;
    for (const o of rows) {
      const due = periodsDue(o.recurrence, o.next, today);
      if (due.length === 0) continue;
      for (const p of due) if (await addDelivery(tx, o.id, o.type, p)) created++;
      await tx.query('UPDATE authority_orders SET next_period = $2 WHERE id = $1', [o.id, nextPeriod(o.recurrence, due[due.length - 1]!).start]);
    }
    return created;
  });
}

/** Claims the oldest pending delivery (or one whose producer died) that can be produced now: marks it InProgress. */
export async function claimDelivery(db: Database): Promise<string | undefined> {
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<{ id: string }>(
      `SELECT id FROM data_deliveries d WHERE status IN ('Pending', 'InProgress') AND (knowledge_day IS NULL OR ${KNOWLEDGE_FINAL('d.knowledge_day')})
       ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED`,
    );
    const id = rows[0]?.id;
    if (id) await tx.query(`UPDATE data_deliveries SET status = 'InProgress', attempts = attempts + 1 WHERE id = $1`, [id]);
    return id;
  });
}

/**
 * Produces a claimed delivery in a transaction holding its row: the pages (a snapshot's in
 * transactions of their own, PAGE_WRITERS at a time: pages.ts), the content's SHA-256 (a
 * snapshot's hashed as its pages are written, the others' read back a page at a time: never the
 * whole content in memory), then Ready with its expiry.
 * Another process finds the row locked, or no longer InProgress, and leaves it.
 */
export async function produceDelivery(db: Database, deliveryId: string, now: Date, opts: { pageLines?: number } = {}): Promise<'produced' | 'taken'> {
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<{ organisationId: number; parameters: OrderParameters; scope: Record<string, unknown> | null; start: string; end: string }>(
      `SELECT o.organisation_id AS "organisationId", o.parameters, p.scope, d.period_start AS start, d.period_end AS "end"
       FROM data_deliveries d JOIN authority_orders o ON o.id = d.order_id
       LEFT JOIN data_permissions p ON p.organisation_id = o.organisation_id AND p.permission = 'authority'
       WHERE d.id = $1 AND d.status = 'InProgress' FOR UPDATE OF d SKIP LOCKED`,
      [deliveryId],
    );
    const d = rows[0];
    if (!d) return 'taken';
    // This transaction holds the row while the page writers work in their own (pages.ts): idle
    // for minutes on a national snapshot, which a session timeout must not end.
    await tx.query('SET LOCAL idle_in_transaction_session_timeout = 0');
    // The scope as it is now: a permission narrowed or revoked since the order narrows what is produced.
    const scope: AuthorityScope = authorityScope(d.scope ?? {});
    const pages = pagesFor(db, tx, PAGE_WRITERS, opts.pageLines);
    // What an earlier attempt that died left (where pages commit on their own, before any is written).
    await pages.run((t) => deleteProduced(t, [deliveryId]));
    const sha = d.scope === null ? null : await produceContent(tx, { deliveryId, organisationId: d.organisationId, period: { start: d.start, end: d.end }, scope, parameters: d.parameters, producedAt: now }, pages);
    const { pages: pageCount, lines } = await numberPages(tx, deliveryId);
    await tx.query(
      `UPDATE data_deliveries SET status = 'Ready', ready_at = $2, expires_at = $2::timestamptz + make_interval(hours => 24 * $3),
         row_count = $4, page_count = $5, content_sha256 = $6, failure = NULL WHERE id = $1`,
      [deliveryId, now, KEEP_DAYS, lines, pageCount, sha ?? (await contentSha256(tx, deliveryId, pageCount))],
    );
    if (d.parameters.type === 'PersonLoans') await recordDisclosure(tx, deliveryId);
    return 'produced';
  });
}

/**
 * What a production writes: the content, and the persons a snapshot with identity codes
 * recorded as disclosed to (snapshot.ts; written by the page writers, which commit on their own).
 * Deleted when the production fails or starts again; an expired delivery keeps its persons (it was delivered).
 */
async function deleteProduced(tx: Queryable, deliveryIds: string[]): Promise<void> {
  await deleteContent(tx, deliveryIds);
  await tx.query('DELETE FROM authority_snapshot_disclosures WHERE delivery_id = ANY($1::uuid[])', [deliveryIds]);
}

/** A PersonLoans delivery is shown to the person like an extract: which authority, when, on which basis. */
async function recordDisclosure(tx: Queryable, deliveryId: string): Promise<void> {
  await tx.query(
    `INSERT INTO authority_disclosures (delivery_id, organisation_id, person, legal_basis, case_reference)
     SELECT d.id, o.organisation_id, o.parameters->>'person', o.legal_basis, o.case_reference
     FROM data_deliveries d JOIN authority_orders o ON o.id = d.order_id WHERE d.id = $1
     ON CONFLICT (delivery_id) DO NOTHING`,
    [deliveryId],
  );
}

export interface DisclosureEntry {
  deliveryId: string;
  disclosedAt: Date;
  authority: string;
  /** PersonLoans: the person's loans; LoanStockSnapshot: every loan in the authority's scope, the person's among them, with identity codes. */
  kind: 'PersonLoans' | 'LoanStockSnapshot';
  /** The order's (always there for PersonLoans; a snapshot's order may have none). */
  legalBasis: string | null;
  caseReference: string | null;
  /** A snapshot's day (yyyy-mm-dd), null for PersonLoans. */
  snapshotDay: string | null;
}

/** A snapshot's persons count once it was delivered: not while it is produced (or after it failed: its rows are deleted then). */
const DELIVERED = `d.status IN ('Ready', 'Expired')`;

/**
 * The authorities' deliveries about a person, newest first, `limit` of them after the one
 * `before` (the previous page's last, the person's own; any other finds nothing): their
 * PersonLoans deliveries and the snapshots with identity codes they were in, merged. Each is
 * a range read of the person's index, at most `limit` entries of each, whatever the person's
 * history beyond; the cursor is found by its exact key (a snapshot's row is at its ready_at).
 */
export async function disclosuresAbout(db: Queryable, person: string, limit: number, before?: string): Promise<DisclosureEntry[]> {
  const { rows } = await db.query<DisclosureEntry>(
    `WITH c AS (
       SELECT a.disclosed_at AS at, a.delivery_id AS id FROM authority_disclosures a WHERE a.person = $1 AND a.delivery_id = $2::uuid
       UNION ALL
       SELECT s.disclosed_at, s.delivery_id FROM data_deliveries d JOIN authority_snapshot_disclosures s
         ON s.person = $1 AND s.disclosed_at = d.ready_at AND s.delivery_id = d.id
       WHERE d.id = $2::uuid AND ${DELIVERED}),
     loans AS (
       SELECT a.delivery_id, a.disclosed_at, a.organisation_id, 'PersonLoans' AS kind, a.legal_basis, a.case_reference, NULL::date AS day
       FROM authority_disclosures a
       WHERE a.person = $1 AND ($2::uuid IS NULL OR (a.disclosed_at, a.delivery_id) < (SELECT at, id FROM c))
       ORDER BY a.disclosed_at DESC, a.delivery_id DESC LIMIT $3),
     snapshots AS (
       SELECT s.delivery_id, s.disclosed_at, o.organisation_id, 'LoanStockSnapshot' AS kind, o.legal_basis, o.case_reference, d.period_end AS day
       FROM authority_snapshot_disclosures s JOIN data_deliveries d ON d.id = s.delivery_id JOIN authority_orders o ON o.id = d.order_id
       WHERE s.person = $1 AND ($2::uuid IS NULL OR (s.disclosed_at, s.delivery_id) < (SELECT at, id FROM c)) AND ${DELIVERED}
       ORDER BY s.disclosed_at DESC, s.delivery_id DESC LIMIT $3)
     SELECT e.delivery_id AS "deliveryId", e.disclosed_at AS "disclosedAt", g.name AS authority, e.kind,
       e.legal_basis AS "legalBasis", e.case_reference AS "caseReference", to_char(e.day, 'YYYY-MM-DD') AS "snapshotDay"
     FROM (SELECT * FROM loans UNION ALL SELECT * FROM snapshots) e JOIN organisations g ON g.id = e.organisation_id
     ORDER BY e.disclosed_at DESC, e.delivery_id DESC LIMIT $3`,
    [person, before ?? null, limit],
  );
  return rows;
}

/** A delivery that cannot be produced ends Failed, with the reason (never content). */
export async function failDelivery(db: Database, deliveryId: string, reason: string): Promise<void> {
  await db.transaction(async (tx) => {
    // Only an attempt still in progress: another process may have produced it meanwhile.
    const { rowCount } = await tx.query(`UPDATE data_deliveries SET status = 'Failed', failure = $2 WHERE id = $1 AND status = 'InProgress'`, [deliveryId, reason.slice(0, 500)]);
    if (rowCount > 0) await deleteProduced(tx, [deliveryId]); // the pages (and persons) written before it failed
  });
}

/** Deletes the content of deliveries kept KEEP_DAYS (status Expired; the record and the log stay). Returns how many. */
export async function expireDeliveries(db: Database, now: Date, limit = 100): Promise<number> {
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<{ id: string }>(
      `SELECT id FROM data_deliveries WHERE status = 'Ready' AND expires_at <= $1 ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
      [now, limit],
    );
    if (rows.length === 0) return 0;
    const ids = rows.map((r) => r.id);
    await deleteContent(tx, ids);
    await tx.query(`UPDATE data_deliveries SET status = 'Expired' WHERE id = ANY($1::uuid[])`, [ids]);
    return ids.length;
  });
}

// ---- the operator's view

export interface OrderListing extends OrderView {
  authority: { businessId: string; name: string };
  deliveries: number;
  ready: number;
  cancelledBy: string | null;
}

/** Every order (the operator's list), newest first. */
export async function listOrders(db: Queryable, opts: { organisationId?: number; limit?: number } = {}): Promise<OrderListing[]> {
  const { rows } = await db.query<OrderListing & { placedAt: Date; businessId: string; name: string }>(
    `SELECT ${ORDER_COLUMNS}, g.id_code AS "businessId", g.name, o.cancelled_by AS "cancelledBy",
       (SELECT count(*)::int FROM data_deliveries d WHERE d.order_id = o.id) AS deliveries,
       (SELECT count(*)::int FROM data_deliveries d WHERE d.order_id = o.id AND d.status = 'Ready') AS ready
     FROM authority_orders o JOIN organisations g ON g.id = o.organisation_id
     WHERE ($1::bigint IS NULL OR o.organisation_id = $1) ORDER BY o.placed_at DESC LIMIT $2`,
    [opts.organisationId ?? null, opts.limit ?? 100],
  );
  return rows.map(({ businessId, name, ...r }) => ({ ...r, placedAt: r.placedAt.toISOString(), authority: { businessId, name } }));
}

/** Cancels a recurring or pending order: no new deliveries; pending ones are not produced. False when there is no such active order. */
export async function cancelOrder(tx: Queryable, orderId: string, by: string): Promise<boolean> {
  const { rowCount } = await tx.query(
    `UPDATE authority_orders SET state = 'Cancelled', cancelled_at = now(), cancelled_by = $2 WHERE id = $1 AND state = 'Active'`,
    [orderId, by],
  );
  if (rowCount === 0) return false;
  const { rows } = await tx.query<{ id: string }>(
    `UPDATE data_deliveries SET status = 'Failed', failure = 'The order was cancelled' WHERE order_id = $1 AND status IN ('Pending', 'InProgress') RETURNING id`, [orderId]);
  if (rows.length > 0) await deleteProduced(tx, rows.map((r) => r.id)); // what an attempt that died wrote
  return true;
}

