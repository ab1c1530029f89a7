/**
 * The PostgreSQL back end when the server ends its connections (a restart, a failover,
 * pg_terminate_backend): the register reports it and carries on with new connections.
 * The embedded database has no server to lose, so this runs on the PostgreSQL leg only.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { BACKEND, openTestDatabase } from '../helpers/db.ts';

test('an idle connection ended by the server is reported, not fatal, and the next query gets a new one', { skip: BACKEND !== 'postgres' && 'PostgreSQL only' }, async () => {
  const db = await openTestDatabase();
  try {
    // Two connections at once, so that one of them can end the other while it idles in the pool.
    const [a, b] = await Promise.all([
      db.query<{ pid: number }>('SELECT pg_backend_pid() AS pid, pg_sleep(0.05)'),
      db.query<{ pid: number }>('SELECT pg_backend_pid() AS pid, pg_sleep(0.05)'),
    ]);
    const pids = [a.rows[0]!.pid, b.rows[0]!.pid];
    assert.notEqual(pids[0], pids[1]);
    const warned = once(process, 'warning');
    const { rows } = await db.query<{ pid: number; ended: boolean }>(
      'SELECT pid, pg_terminate_backend(pid) AS ended FROM unnest($1::int[]) AS pid WHERE pid <> pg_backend_pid()',
      [pids],
    );
    assert.equal(rows.length, 1, 'one idle connection ended');
    assert.equal(rows[0]!.ended, true);
    const [warning] = (await warned) as [Error];
    assert.equal(warning.name, 'DatabaseConnectionWarning');
    assert.match(warning.message, /terminating connection/);
    const after = await Promise.all([db.query<{ one: number }>('SELECT 1 AS one'), db.query<{ one: number }>('SELECT 1 AS one')]);
    assert.deepEqual(after.map((r) => r.rows[0]!.one), [1, 1]);
  } finally {
    await db.close();
  }
});
