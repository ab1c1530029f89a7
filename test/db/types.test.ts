/**
 * Both back ends return the same JavaScript types (src/db/database.ts typeParsers): int8 as a
 * number, numeric and date as exact strings, bytea as a Buffer with exactly the stored bytes,
 * whether read as a column or bound as a parameter and read back.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Database } from '../../src/db/database.ts';
import { typeParsers, TYPE_OIDS } from '../../src/db/database.ts';
import { openTestDatabase } from '../helpers/db.ts';

let db: Database;
before(async () => {
  db = await openTestDatabase();
});
after(() => db.close());

const every = Buffer.from(Array.from({ length: 512 }, (_, i) => i % 256));

test('bytea comes back as a Buffer of exactly its bytes: every byte value, empty, NULL', async () => {
  const { rows } = await db.query<{ a: Buffer; empty: Buffer; none: Buffer | null; literal: Buffer }>(
    "SELECT $1::bytea AS a, ''::bytea AS empty, NULL::bytea AS none, '\\x00ff5c78'::bytea AS literal", [every]);
  const r = rows[0]!;
  assert.ok(Buffer.isBuffer(r.a) && Buffer.isBuffer(r.empty) && Buffer.isBuffer(r.literal));
  assert.ok(r.a.equals(every));
  assert.equal(r.empty.length, 0);
  assert.equal(r.none, null);
  assert.deepEqual([...r.literal], [0x00, 0xff, 0x5c, 0x78]);
});

test('bytea inside a row of a larger result: each row its own bytes', async () => {
  const { rows } = await db.query<{ n: number; b: Buffer }>('SELECT n, decode(repeat(lpad(to_hex(n), 2, \'0\'), n), \'hex\') AS b FROM generate_series(1, 200) AS n ORDER BY n');
  assert.equal(rows.length, 200);
  for (const { n, b } of rows) assert.ok(b.equals(Buffer.alloc(n, n)), `row ${n}`);
});

test('the other overridden types: int8 a number, numeric and date exact strings', async () => {
  const { rows } = await db.query<{ i: number; m: string; d: string }>("SELECT 9007199254740991::int8 AS i, 12345678901234567890.01::numeric AS m, '2026-02-28'::date AS d");
  assert.deepEqual(rows[0], { i: 9007199254740991, m: '12345678901234567890.01', d: '2026-02-28' });
});

test('the bytea parser alone: hex text and the old escape format', () => {
  const parse = typeParsers[TYPE_OIDS.bytea]!;
  assert.deepEqual([...(parse('\\x0001ff') as Buffer)], [0, 1, 255]);
  assert.deepEqual([...(parse('a\\000\\\\b') as Buffer)], [0x61, 0, 0x5c, 0x62]);
});

test('a large answer (many chunks from the embedded database) comes back whole: every row, every character', async () => {
  const { rows } = await db.query<{ n: number; t: string }>(
    "SELECT n, repeat('äö€' || n::text, 40) AS t FROM generate_series(1, 20000) AS n ORDER BY n");
  assert.equal(rows.length, 20000);
  for (const r of [rows[0]!, rows[9999]!, rows[19999]!]) assert.equal(r.t, `äö€${r.n}`.repeat(40));
  assert.ok(rows.every((r, i) => r.n === i + 1 && r.t.length === `äö€${r.n}`.repeat(40).length));
});

test('a failing statement throws PostgreSQL\'s error with its code and changes nothing; the next statement runs', async () => {
  // A table of its own (not TEMP: on PostgreSQL each statement may take another connection of the pool).
  const t = `t_types_${process.pid}_${Date.now()}`;
  await db.query(`CREATE TABLE ${t} (id int PRIMARY KEY)`);
  try {
    await db.query(`INSERT INTO ${t} VALUES ($1)`, [1]);
    await assert.rejects(db.query(`INSERT INTO ${t} VALUES ($1), ($2)`, [2, 1]), (e: Error & { code?: string }) => e.code === '23505' && /duplicate key/.test(e.message));
    await assert.rejects(db.query('SELECT $1::int AS v', ['not a number']), (e: Error & { code?: string }) => e.code === '22P02');
    const { rows } = await db.query<{ id: number }>(`SELECT id FROM ${t} ORDER BY id`);
    assert.deepEqual(rows.map((r) => r.id), [1]);
    assert.equal((await db.query(`UPDATE ${t} SET id = id + 10`)).rowCount, 1);
  } finally {
    await db.query(`DROP TABLE ${t}`);
  }
});
