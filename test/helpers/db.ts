/**
 * The back-end matrix (after Kysely's test setup): every test opens its database through
 * here, and `npm test` runs the whole suite once with PCR_TEST_DB=pglite and once with
 * PCR_TEST_DB=postgres. Each test database starts from a migrated template.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import type { Database, Queryable } from '../../src/db/database.ts';
import { loadMigrations, migrate } from '../../src/db/migrate.ts';
import { openPglite } from '../../src/db/pglite.ts';
import { openPostgres } from '../../src/db/postgres.ts';

export type Backend = 'pglite' | 'postgres';
export const BACKEND: Backend = process.env.PCR_TEST_DB === 'postgres' ? 'postgres' : 'pglite';

const migrationsHash = createHash('sha256')
  .update(loadMigrations().map((m) => `${m.version}:${m.sql}`).join('\n'))
  .digest('hex')
  .slice(0, 12);

function pgUrl(database: string): string {
  const base = process.env.PCR_TEST_PG_URL;
  if (!base) throw new Error('PCR_TEST_PG_URL is not set: run the suite through npm test, which starts PostgreSQL');
  const u = new URL(base);
  u.pathname = `/${database}`;
  return u.toString();
}

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: pgUrl('postgres') });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

let pgTemplateReady: Promise<string> | undefined;
async function pgTemplate(): Promise<string> {
  const name = `pcr_template_${migrationsHash}`;
  const client = new pg.Client({ connectionString: pgUrl('postgres') });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock(4242)');
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount === 0) {
      await client.query(`CREATE DATABASE ${name}`);
      const db = await openPostgres(pgUrl(name), { max: 1 });
      await migrate(db);
      await db.close();
    }
    await client.query('SELECT pg_advisory_unlock(4242)');
  } finally {
    await client.end();
  }
  return name;
}

let pgliteTemplate: Promise<Blob> | undefined;
async function pgliteTemplateBlob(): Promise<Blob> {
  const dir = join(process.cwd(), '.test-cache');
  const file = join(dir, `pglite-template-${migrationsHash}.tar.gz`);
  if (existsSync(file)) return new Blob([readFileSync(file)]);
  const db = await openPglite();
  await migrate(db);
  const dump = await db.pglite.dumpDataDir('gzip');
  await db.close();
  mkdirSync(dir, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, Buffer.from(await dump.arrayBuffer()));
  renameSync(tmp, file);
  return dump;
}

/** A fresh, migrated database of the back end under test. Closing it drops it. */
export async function openTestDatabase(): Promise<Database> {
  if (BACKEND === 'pglite') {
    pgliteTemplate ??= pgliteTemplateBlob();
    return openPglite({ loadDataDir: await pgliteTemplate });
  }
  pgTemplateReady ??= pgTemplate();
  const template = await pgTemplateReady;
  return ownedPgDatabase(`t_${randomBytes(6).toString('hex')}`, template);
}

/** Creates a database (from a template, or empty) that is dropped when closed. */
async function ownedPgDatabase(name: string, template?: string): Promise<Database> {
  await adminQuery(`CREATE DATABASE ${name}${template ? ` TEMPLATE ${template}` : ''}`);
  const db = await openPostgres(pgUrl(name));
  return {
    ...db,
    async close() {
      await db.close();
      await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

/** An empty database (no schema at all), for migration tests. */
export async function openEmptyDatabase(): Promise<Database> {
  if (BACKEND === 'pglite') return openPglite();
  return ownedPgDatabase(`e_${randomBytes(6).toString('hex')}`);
}

/** A fresh migrated PostgreSQL database by URL (for spawned `pcr` processes); undefined on the embedded back end. */
export async function createTestDatabaseUrl(): Promise<{ url: string; drop(): Promise<void> } | undefined> {
  if (BACKEND === 'pglite') return undefined;
  pgTemplateReady ??= pgTemplate();
  const template = await pgTemplateReady;
  const name = `c_${randomBytes(6).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${name} TEMPLATE ${template}`);
  return { url: pgUrl(name), drop: () => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

/** Counts every SQL statement sent, inside transactions too. */
export function counting(db: Database): { db: Database; count: () => number } {
  let n = 0;
  const wrap = (q: Queryable): Queryable => ({
    query: (sql, params) => (n++, q.query(sql, params)),
    exec: (sql) => (n++, q.exec(sql)),
    queryUtf8: (sql, params) => (n++, q.queryUtf8(sql, params)),
  });
  return { db: { ...db, ...wrap(db), transaction: (fn) => db.transaction((tx) => fn(wrap(tx))) }, count: () => n };
}
