import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Database } from './database.ts';

const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** The migrations shipped with this code, in order: files `NNNN_name.sql`. */
export function loadMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((f) => ({ version: Number(f.slice(0, 4)), name: f.slice(5, -4), sql: readFileSync(dir + f, 'utf8') }));
}

export class SchemaTooNewError extends Error {}

/**
 * Brings the schema up to date: every pending migration in one transaction (all of them or
 * none), under an advisory lock so that two processes starting at once do not both apply
 * them; the second waits, then finds nothing left to do. A database whose schema is newer
 * than this code is refused: running old code on it could corrupt it.
 */
export async function migrate(db: Database, migrations = loadMigrations()): Promise<{ applied: number[]; version: number }> {
  await db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
  const latest = migrations.at(-1)?.version ?? 0;
  const applied: number[] = [];
  await db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(7301)');
    const { rows } = await tx.query<{ version: number }>('SELECT coalesce(max(version), 0)::int AS version FROM schema_migrations');
    const current = rows[0]!.version;
    if (current > latest) {
      throw new SchemaTooNewError(
        `The database schema is at version ${current}, newer than this register's code knows (${latest}). ` +
          'Run the register version that created it, or a newer one.',
      );
    }
    for (const m of migrations) {
      if (m.version <= current) continue;
      await tx.exec(m.sql);
      await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      applied.push(m.version);
    }
  });
  return { applied, version: latest };
}
