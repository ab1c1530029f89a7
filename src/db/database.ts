/**
 * The one small interface both storage back ends implement: PostgreSQL through `pg`
 * (production) and embedded PGlite (the default). One SQL dialect: PostgreSQL's.
 * Both back ends return the same JavaScript types: int8 as number, numeric and date as
 * strings (exact, no time-zone shifts), timestamptz as Date, json/jsonb parsed, bytea as a Buffer.
 */
import pg from 'pg';

export type Row = Record<string, unknown>;

export interface QueryResult<T> {
  rows: T[];
  rowCount: number;
}

export interface Queryable {
  query<T = Row>(sql: string, params?: unknown[]): Promise<QueryResult<T>>;
  /** Runs one or more statements without parameters. */
  exec(sql: string): Promise<void>;
  /**
   * The first column of each row, a bytea holding UTF-8 text, as that text: read in the
   * protocol's binary format where the back end has one, so a large value is not hex-encoded
   * and decoded on the way (a delivery's pages).
   */
  queryUtf8(sql: string, params?: unknown[]): Promise<string[]>;
}

export interface Database extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  /** How many transactions can run at once (the pool's connections; PGlite runs one at a time). */
  readonly concurrency: number;
  /** Runs fn in one transaction: committed when fn resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** The connection pool's use (PostgreSQL): connections open, idle, and callers waiting for one. */
  poolStats?(): { total: number; idle: number; waiting: number };
  close(): Promise<void>;
}

/**
 * Marks a statement whose best plan does not depend on its parameters' values (a lookup by a
 * person or a key): the embedded back end then plans it once, as a generic plan, instead of
 * again on every run. PostgreSQL re-plans a prepared statement with its values ("custom plans")
 * whenever its generic plan looks dearer, which the page statements' plans do; PGlite plans on
 * the register's one thread, where that was a fifth of an e-service page's CPU
 * (docs/benchmarks.md). On PostgreSQL the mark is a comment, and the server plans as it will.
 * Not for statements over arrays of a batch or ranges of time: their plans do depend on the
 * values (planning every reporting statement generically made reporting on PGlite slower).
 */
export const GENERIC_PLAN = '/* generic plan */ ';

/** sql, marked as planned once (GENERIC_PLAN). */
export function planOnce(sql: string): string {
  return GENERIC_PLAN + sql;
}

/** Type OIDs whose parsing both back ends override the same way. */
export const TYPE_OIDS = { int8: 20, numeric: 1700, date: 1082, bytea: 17 } as const;

export const typeParsers: Record<number, (value: string) => unknown> = {
  [TYPE_OIDS.int8]: (v) => Number(v),
  [TYPE_OIDS.numeric]: (v) => v,
  [TYPE_OIDS.date]: (v) => v,
  // To bytes with node-postgres's own parser (Buffer.from(hex, 'hex'), natively), for PGlite too:
  // PGlite's makes a Uint8Array with a parseInt per byte, about 60 µs for a 400-byte packed
  // contract against 2 µs, a good part of an e-service page's CPU.
  [TYPE_OIDS.bytea]: pg.types.getTypeParser(TYPE_OIDS.bytea, 'text') as (value: string) => Buffer,
};
