import { PGlite, type Transaction } from '@electric-sql/pglite';
import type { Database, Queryable, QueryResult } from './database.ts';
import { typeParsers } from './database.ts';

const utf8 = new TextDecoder('utf-8', { fatal: true });

function wrap(q: PGlite | Transaction): Queryable {
  return {
    async query<T>(sql: string, params: unknown[] = []): Promise<QueryResult<T>> {
      const r = await q.query<T>(sql, params);
      return { rows: r.rows, rowCount: r.affectedRows ?? r.rows.length };
    },
    async exec(sql: string): Promise<void> {
      await q.exec(sql);
    },
    async queryUtf8(sql: string, params: unknown[] = []): Promise<string[]> {
      const r = await q.query<Record<string, unknown>>(sql, params);
      return r.rows.map((row) => utf8.decode(Object.values(row)[0] as Uint8Array));
    },
  };
}

/**
 * The embedded back end. `dataDir` persists the database in a folder; without it the
 * database lives in memory. `loadDataDir` starts from a dump (the tests' migrated template).
 */
export async function openPglite(opts: { dataDir?: string; loadDataDir?: Blob | File } = {}): Promise<Database & { pglite: PGlite }> {
  const pglite = new PGlite({
    ...(opts.dataDir ? { dataDir: opts.dataDir } : {}),
    parsers: typeParsers,
    ...(opts.loadDataDir ? { loadDataDir: opts.loadDataDir } : {}),
  });
  await pglite.waitReady;
  const base = wrap(pglite);
  return {
    kind: 'pglite',
    concurrency: 1,
    pglite,
    ...base,
    transaction: (fn) => pglite.transaction((tx) => fn(wrap(tx))),
    close: () => pglite.close(),
  };
}
