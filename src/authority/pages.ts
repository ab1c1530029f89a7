/**
 * How a delivery's content is kept: as pages (data_delivery_pages, migration 0011), each at most
 * PAGE_LINES lines, its bytes exactly as GetDataDelivery sends them. Producers write them
 * (produce.ts, snapshot.ts); here they are numbered, hashed and read.
 */
import { createHash } from 'node:crypto';
import type { Database, Queryable } from '../db/database.ts';

/** Lines per page of a delivery's content at most (each line is bounded: a page is a few MB at most). */
export const PAGE_LINES = 10_000;

/**
 * Where a producer writes pages: in transactions of their own, `parallel` at a time, where the
 * back end runs several transactions at once (PostgreSQL: a national snapshot on every core),
 * else in the production's transaction. The delivery is not Ready until every page is written,
 * and a production that dies leaves pages that its next attempt deletes first (store.ts).
 */
export interface Pages {
  /** Lines per page at most (PAGE_LINES; smaller in tests, so that a few loans make several pages). */
  lines: number;
  parallel: number;
  run<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
}

/** Pages as the database allows: `workers` at a time in transactions of their own, or one at a time in `tx`. */
export function pagesFor(db: Database, tx: Queryable, workers: number, lines = PAGE_LINES): Pages {
  // The production holds one connection; the page writers take others, leaving one for requests.
  const parallel = Math.min(workers, db.concurrency - 2);
  return parallel >= 1 ? { lines, parallel, run: (fn) => db.transaction(fn) } : { lines, parallel: 1, run: (fn) => fn(tx) };
}

/**
 * The lines written into data_delivery_lines as pages of `lines` (one statement), and the
 * lines deleted.
 */
export async function linesToPages(tx: Queryable, deliveryId: string, lines: number): Promise<void> {
  await tx.query(
    `INSERT INTO data_delivery_pages (delivery_id, page_no, line_count, body)
     SELECT delivery_id, ((line_no - 1) / $2 + 1)::int, count(*)::int, convert_to(string_agg(line || E'\\n', '' ORDER BY line_no), 'UTF8')
     FROM data_delivery_lines WHERE delivery_id = $1 GROUP BY 1, 2`,
    [deliveryId, lines],
  );
  await tx.query('DELETE FROM data_delivery_lines WHERE delivery_id = $1', [deliveryId]);
}

/**
 * Numbers the delivery's pages 1, 2, … in their order (a producer may leave gaps: a snapshot's
 * range of loans with no line in it has no page); returns how many pages and lines there are.
 */
export async function numberPages(tx: Queryable, deliveryId: string): Promise<{ pages: number; lines: number }> {
  const { rows } = await tx.query<{ pages: number; last: number | null; lines: number }>(
    'SELECT count(*)::int AS pages, max(page_no) AS last, coalesce(sum(line_count), 0)::int AS lines FROM data_delivery_pages WHERE delivery_id = $1', [deliveryId]);
  const { pages, last, lines } = rows[0]!;
  if (pages > 0 && last !== pages) {
    // Through negative numbers, so that no two pages hold one number in between.
    await tx.query(
      `UPDATE data_delivery_pages p SET page_no = -r.n
       FROM (SELECT page_no, row_number() OVER (ORDER BY page_no) AS n FROM data_delivery_pages WHERE delivery_id = $1) r
       WHERE p.delivery_id = $1 AND p.page_no = r.page_no`,
      [deliveryId],
    );
    await tx.query('UPDATE data_delivery_pages SET page_no = -page_no WHERE delivery_id = $1', [deliveryId]);
  }
  return { pages, lines };
}

/**
 * The SHA-256 of the content when its pages are written several at a time, out of order: page
 * k (from 0) is hashed once every page before it has been. A writer asks for room before it
 * takes another page, so that no more than a few written pages wait in memory.
 */
export class InOrderHash {
  readonly #hash = createHash('sha256');
  readonly #waiting = new Map<number, string>();
  #next = 0;
  #wake: (() => void)[] = [];
  #stopped = false;

  add(k: number, text: string): void {
    this.#waiting.set(k, text);
    for (let t = this.#waiting.get(this.#next); t !== undefined; t = this.#waiting.get(this.#next)) {
      this.#hash.update(t);
      this.#waiting.delete(this.#next++);
    }
    for (const wake of this.#wake.splice(0)) wake();
  }

  /** Resolves once fewer than `max` pages wait, or the writing has stopped (a writer failed: the page awaited never comes). */
  async room(max: number): Promise<void> {
    while (!this.#stopped && this.#waiting.size >= max) await new Promise<void>((resolve) => this.#wake.push(resolve));
  }

  stop(): void {
    this.#stopped = true;
    for (const wake of this.#wake.splice(0)) wake();
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  /** The hash of pages 0 … count − 1 (all of them must have been added). */
  digest(count: number): string {
    if (this.#next !== count) throw new Error(`pages hashed: ${this.#next} of ${count}`);
    return this.#hash.digest('hex');
  }
}

/** One page's content (page from 1), or undefined. */
export async function pageText(db: Queryable, deliveryId: string, page: number): Promise<string | undefined> {
  return (await db.queryUtf8('SELECT body FROM data_delivery_pages WHERE delivery_id = $1 AND page_no = $2', [deliveryId, page]))[0];
}

/** The SHA-256 (hex) of the whole content: the pages in order, read one at a time (never the whole in memory). */
export async function contentSha256(tx: Queryable, deliveryId: string, pages: number): Promise<string> {
  const hash = createHash('sha256');
  for (let page = 1; page <= pages; page++) hash.update((await pageText(tx, deliveryId, page))!);
  return hash.digest('hex');
}

/** Deletes the content of deliveries (their pages and any lines a producer left). */
export async function deleteContent(tx: Queryable, deliveryIds: string[]): Promise<void> {
  await tx.query('DELETE FROM data_delivery_pages WHERE delivery_id = ANY($1::uuid[])', [deliveryIds]);
  await tx.query('DELETE FROM data_delivery_lines WHERE delivery_id = ANY($1::uuid[])', [deliveryIds]);
}
