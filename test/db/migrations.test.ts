/** Migrations on an empty and on an up-to-date database, and a database newer than the code, on the back end under test. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadMigrations, migrate, SchemaTooNewError } from '../../src/db/migrate.ts';
import { openEmptyDatabase, openTestDatabase } from '../helpers/db.ts';

const latest = loadMigrations().at(-1)!.version;

test('an empty database gets every migration, in order', async () => {
  const db = await openEmptyDatabase();
  try {
    const result = await migrate(db);
    assert.deepEqual(result.applied, loadMigrations().map((m) => m.version));
    const { rows } = await db.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
    assert.deepEqual(rows.map((r) => r.version), result.applied);
    const tables = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM information_schema.tables WHERE table_name IN ('organisations', 'certificates', 'data_permissions')`);
    assert.equal(tables.rows[0]!.n, 3);
  } finally {
    await db.close();
  }
});

test('an up-to-date database gets nothing, and migrating twice changes nothing', async () => {
  const db = await openTestDatabase();
  try {
    assert.deepEqual((await migrate(db)).applied, []);
    assert.deepEqual((await migrate(db)).applied, []);
    const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM schema_migrations');
    assert.equal(rows[0]!.n, loadMigrations().length);
  } finally {
    await db.close();
  }
});

test('a database newer than the code is refused with a clear message, and left alone', async () => {
  const db = await openTestDatabase();
  try {
    await db.query(`INSERT INTO schema_migrations (version, name) VALUES ($1, 'from_the_future')`, [latest + 1]);
    await assert.rejects(migrate(db), (err: Error) => err instanceof SchemaTooNewError && /newer than this register's code/.test(err.message));
    const { rows } = await db.query<{ n: number }>('SELECT max(version)::int AS n FROM schema_migrations');
    assert.equal(rows[0]!.n, latest + 1);
  } finally {
    await db.close();
  }
});

test('a failing migration leaves the database as it was', async () => {
  const db = await openTestDatabase();
  try {
    const broken = [...loadMigrations(), { version: latest + 1, name: 'broken', sql: 'CREATE TABLE half_done (x int); SELECT no_such_function();' }];
    await assert.rejects(migrate(db, broken));
    const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM information_schema.tables WHERE table_name = 'half_done'`);
    assert.equal(rows[0]!.n, 0);
    const v = await db.query<{ n: number }>('SELECT max(version)::int AS n FROM schema_migrations');
    assert.equal(v.rows[0]!.n, latest);
  } finally {
    await db.close();
  }
});
