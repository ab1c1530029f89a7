/**
 * The sharding plan (src/db/sharding-plan.ts, docs/sharding.md) against the live schema of a
 * migrated database on the back end under test: every table has a decision, every distributed
 * table's keys include its distribution column (or the plan says why not), foreign keys follow
 * Citus's rules, and no recorded exception is stale.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Database } from '../../src/db/database.ts';
import { citusStatements, SHARDING_PLAN, type TablePlacement } from '../../src/db/sharding-plan.ts';
import { openTestDatabase } from '../helpers/db.ts';

interface UniqueIndex { table: string; name: string; primary: boolean; columns: (string | null)[] }
interface ForeignKey { table: string; name: string; columns: string[]; refTable: string; refColumns: string[] }

let db: Database;
let tables: string[];
let columns: Map<string, Map<string, string>>;
let uniques: UniqueIndex[];
let foreignKeys: ForeignKey[];

before(async () => {
  db = await openTestDatabase();
  tables = (await db.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY 1`,
  )).rows.map((r) => r.name);
  columns = new Map();
  for (const r of (await db.query<{ table: string; column: string; type: string }>(
    `SELECT table_name AS table, column_name AS column, data_type AS type FROM information_schema.columns WHERE table_schema = 'public'`,
  )).rows) {
    if (!columns.has(r.table)) columns.set(r.table, new Map());
    columns.get(r.table)!.set(r.column, r.type);
  }
  // An index key of 0 is an expression: no column (null), which never counts as the distribution column.
  uniques = (await db.query<UniqueIndex>(
    `SELECT t.relname AS table, i.relname AS name, x.indisprimary AS primary,
       array(SELECT a.attname::text FROM unnest(x.indkey::int2[]) WITH ORDINALITY k(attnum, n)
             LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum ORDER BY k.n) AS columns
     FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
     JOIN pg_namespace n ON n.oid = t.relnamespace
     WHERE n.nspname = 'public' AND x.indisunique ORDER BY 1, 2`,
  )).rows;
  foreignKeys = (await db.query<ForeignKey>(
    `SELECT t.relname AS table, c.conname AS name, r.relname AS "refTable",
       array(SELECT a.attname::text FROM unnest(c.conkey) WITH ORDINALITY k(attnum, n) JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum ORDER BY k.n) AS columns,
       array(SELECT a.attname::text FROM unnest(c.confkey) WITH ORDINALITY k(attnum, n) JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.attnum ORDER BY k.n) AS "refColumns"
     FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid JOIN pg_class r ON r.oid = c.confrelid
     JOIN pg_namespace n ON n.oid = t.relnamespace
     WHERE n.nspname = 'public' AND c.contype = 'f' ORDER BY 1, 2`,
  )).rows;
});
after(() => db.close());

const plan = (table: string): TablePlacement => SHARDING_PLAN[table]!;

test('every table of the schema has a decision in the sharding plan, and the plan names no table that is gone', () => {
  const undecided = tables.filter((t) => !Object.hasOwn(SHARDING_PLAN, t));
  assert.deepEqual(undecided, [], `tables without a decision in src/db/sharding-plan.ts (distributed by which column, reference, or local, and why; docs/sharding.md): ${undecided.join(', ')}`);
  const gone = Object.keys(SHARDING_PLAN).filter((t) => !tables.includes(t));
  assert.deepEqual(gone, [], `the sharding plan names tables the schema no longer has: ${gone.join(', ')}`);
  for (const [table, p] of Object.entries(SHARDING_PLAN)) assert.ok(p.why.length > 20, `${table}: the plan says why`);
});

test("each distributed table has its distribution column, and its group's columns are of one type (co-location needs it)", () => {
  const groupTypes = new Map<string, Set<string>>();
  for (const [table, p] of Object.entries(SHARDING_PLAN)) {
    if (p.kind !== 'distributed') continue;
    const type = columns.get(table)?.get(p.column);
    assert.ok(type, `${table} has no column ${p.column}, the plan's distribution column`);
    if (!groupTypes.has(p.group)) groupTypes.set(p.group, new Set());
    groupTypes.get(p.group)!.add(`${type}`);
  }
  for (const [group, types] of groupTypes) assert.equal(types.size, 1, `group ${group} mixes column types ${[...types].join(', ')}`);
});

test('the primary key and every unique index of a distributed table include its distribution column, or the plan records why not', () => {
  const violations: string[] = [];
  for (const u of uniques) {
    const p = plan(u.table);
    if (!p || p.kind !== 'distributed') continue;
    if (u.columns.includes(p.column)) continue;
    if (p.exceptions?.some((e) => e.constraint === u.name)) continue;
    violations.push(`${u.table}.${u.name} (${u.primary ? 'primary key' : 'unique'} on ${u.columns.map((c) => c ?? '<expression>').join(', ')}) lacks ${p.column}`);
  }
  assert.deepEqual(violations, [], 'add the distribution column to these keys, or record the exception and its fix in src/db/sharding-plan.ts');
  for (const [table, p] of Object.entries(SHARDING_PLAN)) {
    if (p.kind !== 'distributed') continue;
    // A distributed table without a primary key is allowed (Citus does not need one), where the plan says why.
    const hasKey = uniques.some((u) => u.table === table && u.primary);
    if (!hasKey) assert.ok(p.withoutPrimaryKey, `${table} has no primary key, and the plan does not say why`);
    else assert.equal(p.withoutPrimaryKey, undefined, `${table} has a primary key now: remove withoutPrimaryKey from the plan`);
  }
});

test("foreign keys follow Citus's rules: to a reference table, or between co-located tables on their distribution columns, never between distributed and local", () => {
  const violations: string[] = [];
  for (const fk of foreignKeys) {
    const from = plan(fk.table);
    const to = plan(fk.refTable);
    if (!from || !to) continue; // the first test names them
    if (from.exceptions?.some((e) => e.constraint === fk.name)) continue;
    const describe = `${fk.table}.${fk.name} (${fk.columns.join(', ')}) → ${fk.refTable} (${fk.refColumns.join(', ')})`;
    if (to.kind === 'reference') continue;
    if (from.kind === 'reference') violations.push(`${describe}: a reference table may reference only reference tables`);
    else if (from.kind === 'local' && to.kind === 'local') continue;
    else if (from.kind === 'distributed' && to.kind === 'distributed') {
      const i = fk.columns.indexOf(from.column);
      if (from.group !== to.group) violations.push(`${describe}: the tables are not co-located (${from.group}, ${to.group})`);
      else if (i < 0 || fk.refColumns[i] !== to.column) violations.push(`${describe}: does not join ${from.column} to ${to.column}`);
    } else violations.push(`${describe}: between a ${from.kind} and a ${to.kind} table`);
  }
  assert.deepEqual(violations, [], 'change these foreign keys, or record the exception and its fix in src/db/sharding-plan.ts');
});

test('no exception in the plan is stale: each names a constraint that exists and still breaks the rule', () => {
  const stale: string[] = [];
  for (const [table, p] of Object.entries(SHARDING_PLAN)) {
    for (const e of p.exceptions ?? []) {
      assert.ok(e.why.length > 20 && e.fix.length > 20, `${table}.${e.constraint}: the exception says why and how it goes`);
      const u = uniques.find((x) => x.table === table && x.name === e.constraint);
      const fk = foreignKeys.find((x) => x.table === table && x.name === e.constraint);
      if (!u && !fk) stale.push(`${table}.${e.constraint} does not exist`);
      else if (u && p.kind === 'distributed' && u.columns.includes(p.column)) stale.push(`${table}.${e.constraint} includes ${p.column} now`);
      else if (u && p.kind !== 'distributed') stale.push(`${table}.${e.constraint}: a ${p.kind} table needs no key exception`);
    }
  }
  assert.deepEqual(stale, [], 'remove these exceptions from src/db/sharding-plan.ts');
});

test('the Citus statements place every table once, each group led by its first table', () => {
  const statements = citusStatements();
  assert.equal(statements.length, Object.keys(SHARDING_PLAN).length);
  assert.ok(statements.includes("SELECT create_distributed_table('persons', 'person');"));
  assert.ok(statements.includes("SELECT create_distributed_table('extracts', 'person', colocate_with => 'persons');"));
  assert.ok(statements.includes("SELECT create_distributed_table('payments', 'loan_id', colocate_with => 'loans');"));
  assert.ok(statements.includes("SELECT create_reference_table('organisations');"));
  // Reference tables first: a distributed table's foreign key to one needs it to be one already.
  const lastReference = statements.map((s) => s.includes('create_reference_table')).lastIndexOf(true);
  const firstDistributed = statements.findIndex((s) => s.includes('create_distributed_table'));
  assert.ok(lastReference < firstDistributed);
});
