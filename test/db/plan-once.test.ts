/**
 * Statements marked planOnce (src/db/database.ts): on the embedded back end they are planned
 * once, generically, instead of with each run's values; the setting that does it never outlives
 * the statement, whether it succeeds or fails, inside a transaction or not; and they answer what
 * the same statement unmarked answers, on both back ends.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Database } from '../../src/db/database.ts';
import { planOnce } from '../../src/db/database.ts';
import { BACKEND, openTestDatabase } from '../helpers/db.ts';

let db: Database;
before(async () => {
  db = await openTestDatabase();
});
after(() => db.close());

const mode = async () => (await db.query<{ m: string }>('SELECT current_setting(\'plan_cache_mode\') AS m')).rows[0]!.m;

/** How the embedded database planned the prepared statement whose text contains `tag`. */
async function plans(tag: string): Promise<{ generic: number; custom: number }> {
  const { rows } = await db.query<{ generic: string; custom: string }>(
    `SELECT generic_plans AS generic, custom_plans AS custom FROM pg_prepared_statements WHERE statement LIKE '%' || $1 || '%' AND statement NOT LIKE '%pg_prepared_statements%'`, [tag]);
  assert.equal(rows.length, 1, `one prepared statement tagged ${tag}`);
  return { generic: Number(rows[0]!.generic), custom: Number(rows[0]!.custom) };
}

const sql = (tag: string) => `SELECT n + $1::int AS v, '${tag}' AS tag FROM generate_series(1, 3) AS n WHERE n >= $2::int ORDER BY n`;

test('a marked statement answers as the unmarked one does', async () => {
  for (const [a, b] of [[10, 1], [20, 2], [30, 4]]) {
    const plain = await db.query<{ v: number }>(sql('same-a'), [a, b]);
    const marked = await db.query<{ v: number }>(planOnce(sql('same-b')), [a, b]);
    assert.deepEqual(marked.rows.map((r) => r.v), plain.rows.map((r) => r.v));
    assert.equal(marked.rowCount, plain.rowCount);
  }
  const inTx = await db.transaction((tx) => tx.query<{ v: number }>(planOnce(sql('same-b')), [5, 2]));
  assert.deepEqual(inTx.rows.map((r) => r.v), [7, 8]);
  assert.equal(await mode(), 'auto');
});

test('the embedded database plans a marked statement once, generically, and an unmarked one with its values', { skip: BACKEND !== 'pglite' && 'how PostgreSQL plans is its own (the mark is a comment there)' }, async () => {
  for (let i = 0; i < 8; i++) {
    await db.query(planOnce(sql('generic-tag')), [i, 1]);
    await db.query(sql('custom-tag'), [i, 1]);
  }
  const marked = await plans('generic-tag');
  assert.equal(marked.custom, 0, 'never planned with its values');
  assert.ok(marked.generic >= 1);
  const unmarked = await plans('custom-tag');
  assert.ok(unmarked.custom >= 5, `PostgreSQL's own choice: custom plans first (${JSON.stringify(unmarked)})`);
  assert.equal(await mode(), 'auto');
});

test('the setting never outlives a marked statement that fails, in a transaction or not', async () => {
  const failing = planOnce('SELECT 1 / $1::int AS v');
  await assert.rejects(db.query(failing, [0]), /division by zero/);
  assert.equal(await mode(), 'auto');
  await assert.rejects(db.transaction(async (tx) => {
    await tx.query(planOnce(sql('tx-tag')), [1, 1]);
    await tx.query(failing, [0]);
  }), /division by zero/);
  assert.equal(await mode(), 'auto');
  // And the connection goes on as before.
  assert.deepEqual((await db.query<{ v: number }>(failing, [2])).rows, [{ v: 0 }]);
  assert.equal(await mode(), 'auto');
});
