import { createHash } from 'node:crypto';
import pg from 'pg';
import type { Database, Queryable, QueryResult } from './database.ts';
import { typeParsers } from './database.ts';

const types = {
  getTypeParser(oid: number, format?: string) {
    const custom = typeParsers[oid];
    if (custom && format !== 'binary') return custom;
    return pg.types.getTypeParser(oid, format as 'text');
  },
};

/**
 * Statements with parameters are prepared once per connection (named by their text's hash)
 * and then only bound and executed: the hot paths (extracts, batches) skip parsing and planning.
 */
const statementNames = new Map<string, string>();
function statementName(sql: string): string {
  let name = statementNames.get(sql);
  if (!name) {
    name = `s${createHash('sha1').update(sql).digest('hex').slice(0, 16)}`;
    statementNames.set(sql, name);
  }
  return name;
}

function wrap(client: pg.Pool | pg.PoolClient): Queryable {
  return {
    async query<T>(sql: string, params: unknown[] = []): Promise<QueryResult<T>> {
      const r = params.length > 0 ? await client.query({ name: statementName(sql), text: sql, values: params }) : await client.query(sql);
      return { rows: r.rows as T[], rowCount: r.rowCount ?? r.rows.length };
    },
    async exec(sql: string): Promise<void> {
      await client.query(sql);
    },
    async queryUtf8(sql: string, params: unknown[] = []): Promise<string[]> {
      // `binary` (the result format) is in pg's query options, not in its types. A connection in
      // text mode hands a binary value over decoded as UTF-8 (pg's parser for a type without a
      // binary parser): the bytea's bytes are the text.
      const config = { name: statementName(`binary ${sql}`), text: sql, values: params, binary: true } as pg.QueryConfig;
      const r = await client.query(config);
      return r.rows.map((row: Record<string, unknown>) => Object.values(row)[0] as string);
    },
  };
}

/** The production back end: a connection pool to a PostgreSQL server. */
export async function openPostgres(url: string, opts: { max?: number } = {}): Promise<Database & { pool: pg.Pool }> {
  const max = opts.max ?? 10;
  const pool = new pg.Pool({ connectionString: url, max, types });
  // An idle connection the server ends (a restart, pg_terminate_backend, a failover) is an
  // 'error' on the pool; unhandled it would end the whole process. The pool has already
  // discarded that connection and the next query opens a new one, so it is only reported.
  pool.on('error', (err) => process.emitWarning(`An idle PostgreSQL connection was closed by the server: ${err.message}`, 'DatabaseConnectionWarning'));
  // pool.end() resolves before the connections it closes have gone; close() waits for them,
  // so whoever drops or stops the database next does not cut them mid-close.
  const open = new Set<pg.Client>();
  pool.on('connect', (client) => {
    open.add(client);
    client.once('end', () => open.delete(client));
  });
  // Fail fast with a clear message when the server cannot be reached.
  const probe = await pool.connect();
  probe.release();
  const base = wrap(pool);
  return {
    kind: 'postgres',
    concurrency: max,
    pool,
    ...base,
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    async transaction(fn) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await fn(wrap(client));
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw err;
      } finally {
        client.release();
      }
    },
    async close() {
      const closing = [...open].map((client) => new Promise((resolve) => client.once('end', resolve)));
      await pool.end();
      await Promise.all(closing);
    },
  };
}
