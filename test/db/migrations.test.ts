/** Migrations on an empty and on an up-to-date database, and a database newer than the code, on the back end under test. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadMigrations, migrate, SchemaTooNewError } from '../../src/db/migrate.ts';
import { BACKEND, openEmptyDatabase, openTestDatabase } from '../helpers/db.ts';

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

test('0004: jsonb contracts of an older register become plain (format 0), read the same, and pcr loans pack packs them', async () => {
  const { packPlainContracts } = await import('../../src/reporting/store.ts');
  const { unpackContract } = await import('../../src/reporting/packed-contract.ts');
  const db = await openEmptyDatabase();
  try {
    await migrate(db, loadMigrations().filter((m) => m.version < 4));
    const org = await db.query<{ id: number }>(`INSERT INTO organisations (id_code_type, id_code, name, roles) VALUES ('BusinessId', '1234567-1', 'Old Bank', '{lender}') RETURNING id`);
    const contracts = [1, 2, 3].map((i) => ({
      loanType: 'LumpSumLoan', contractDate: '2024-01-0' + i, currencyCode: 'EUR',
      borrowers: [{ idCodeType: 'PersonalIdentityCode', idCode: '010190-923E' }],
      consumerCredit: { loanConsumerProtectionAct: 'ConsumerCredit' },
      lumpSumLoan: { amountIssued: 1000 * i + 0.1, balance: 999999999999.99 },
    }));
    for (const [i, c] of contracts.entries()) {
      await db.query(
        `INSERT INTO loans (lender_id, loan_number_type, loan_number, loan_type, currency_code, contract_date, status, contract)
         VALUES ($1, 'Other', $2, 'LumpSumLoan', 'EUR', $3, 'Active', $4::jsonb)`,
        [org.rows[0]!.id, `old-${i}`, c.contractDate, JSON.stringify(c)],
      );
    }
    assert.deepEqual((await migrate(db)).applied, loadMigrations().filter((m) => m.version >= 4).map((m) => m.version));
    const stored = async () => (await db.query<{ contract: Uint8Array }>('SELECT contract FROM loans ORDER BY id')).rows.map((r) => r.contract);
    const plain = await stored();
    assert.deepEqual(plain.map((b) => b[0]), [0, 0, 0]);
    assert.deepEqual(plain.map(unpackContract), contracts);

    assert.deepEqual(await packPlainContracts(db, { batchSize: 2 }), { packed: 3 });
    const packed = await stored();
    assert.deepEqual(packed.map((b) => b[0]), [1, 1, 1]);
    assert.deepEqual(packed.map(unpackContract), contracts);
    assert.deepEqual(await packPlainContracts(db), { packed: 0 });
  } finally {
    await db.close();
  }
});

test('0005: the disclosure log is compressed with lz4 where the server has it, else with pglz, and reads back the same', async () => {
  const db = await openTestDatabase();
  try {
    const { rows } = await db.query<{ compression: string }>(
      `SELECT attcompression::text AS compression FROM pg_attribute WHERE attrelid = 'extracts'::regclass AND attname = 'content'`);
    // PostgreSQL 15 from Debian is built with lz4; the embedded database is not.
    assert.equal(rows[0]!.compression, BACKEND === 'postgres' ? 'l' : '');
    const text = JSON.stringify({ loans: Array.from({ length: 100 }, (_, i) => ({ loanNumber: `L-${i}`, balance: 1000 + i })) });
    const org = await db.query<{ id: number }>(`INSERT INTO organisations (id_code_type, id_code, name, roles) VALUES ('BusinessId', '7654321-8', 'Log Test', '{lender}') RETURNING id`);
    await db.query(
      `INSERT INTO extracts (extract_reference, organisation_id, person, purposes, created_at, content) VALUES (gen_random_uuid(), $1, '010101-123N', '{NewLoan}', now(), $2)`,
      [org.rows[0]!.id, text]);
    const stored = await db.query<{ content: string; compressed: string | null }>(`SELECT content, pg_column_compression(content) AS compressed FROM extracts`);
    assert.equal(stored.rows[0]!.content, text);
    assert.equal(stored.rows[0]!.compressed, BACKEND === 'postgres' ? 'lz4' : 'pglz');
  } finally {
    await db.close();
  }
});
