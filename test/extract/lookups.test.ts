/** An extract costs a constant amount of database work, whatever the person's or the register's size. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { OrganisationRef } from '../../src/access/organisations.ts';
import { finnishDate } from '../../src/common/dates.ts';
import type { HttpsJsonClient } from '../../src/common/https-client.ts';
import { incomeWindow } from '../../src/extract/content.ts';
import { produceExtracts, READ_PERSON_FOR_TEST } from '../../src/extract/store.ts';
import { counting } from '../helpers/db.ts';
import { startTestRegister, type TestRegister } from '../helpers/register.ts';
import { lumpSumLoan, report, testPerson } from '../helpers/reports.ts';

let reg: TestRegister;
let bank: { ref: OrganisationRef; client: HttpsJsonClient };
let bankId: number;
before(async () => {
  reg = await startTestRegister();
  bank = await reg.lender();
  bankId = (await reg.register.db.query<{ id: number }>('SELECT id FROM organisations WHERE id_code = $1', [bank.ref.idCode])).rows[0]!.id;
});
after(() => reg.close());

async function personWithLoans(n: number): Promise<string> {
  const p = testPerson();
  const loans = Array.from({ length: n }, () => lumpSumLoan({ borrowers: [{ idCodeType: 'PersonalIdentityCode', idCode: p }] }));
  assert.equal((await report(bank.client, bank.ref, 'AddLoans', loans)).batchStatus, 'FinishedSuccess');
  const payments = loans.map((l, i) => ({ reportReference: `p${i}`, loanNumber: l.loanNumber, loanType: 'LumpSumLoan', lumpSumLoanRepayment: { paymentDate: '2025-05-05', balance: 100, amortizationPaid: 1, interestPaid: 1 } }));
  assert.equal((await report(bank.client, bank.ref, 'Repayments', payments)).batchStatus, 'FinishedSuccess');
  return p;
}

async function statementsFor(persons: string[]): Promise<number> {
  const c = counting(reg.register.db);
  const produced = await produceExtracts(c.db, persons.map((person) => ({ organisationId: bankId, request: { person, purposes: ['NewConsumerCredit'], owner: { idCodeType: 'BusinessId', idCode: bank.ref.idCode } } })));
  assert.equal(produced.length, persons.length);
  return c.count();
}

test('extracts are the same few statements for a person with one loan as for one with forty, and for one person as for twenty', async () => {
  const one = await personWithLoans(1);
  const forty = await personWithLoans(40);
  const small = await statementsFor([one]);
  assert.equal(await statementsFor([forty]), small, '40 loans cost no more statements than 1');
  const many = await Promise.all(Array.from({ length: 19 }, () => personWithLoans(2)));
  assert.equal(await statementsFor([forty, ...many]), small, 'twenty persons in one group commit cost no more statements than one');
  assert.ok(small <= 5, `a handful: ${small}`);
});

type PlanNode = { 'Node Type': string; 'Relation Name'?: string; 'Index Cond'?: string; 'Recheck Cond'?: string; Plans?: PlanNode[] };

test('the extract read is index lookups only: no table is scanned whole, even where the planner may not avoid it otherwise', async () => {
  const p = await personWithLoans(3);
  const w = incomeWindow(finnishDate());
  /** Carries the plan out of the transaction, which is rolled back: the rows made for the planner go with it. */
  class Planned extends Error {
    constructor(readonly scans: { table: string; scan: string; lookup: boolean }[]) {
      super('planned');
    }
  }
  const scans = await reg.register.db.transaction(async (tx) => {
    // Scans of a whole table (or a whole index, to feed a hash or merge join) are made dear, so
    // that where the indexes allow lookups the plan shows them; a missing index still shows as a
    // scan. Which join the planner would prefer depends on the statistics of the moment (the
    // test database holds what this file's tests wrote: a few dozen loans, which a planner may
    // rightly walk whole), which is not what this test is about: so the register is given
    // twenty thousand other loans, as the national register has millions, and its statistics.
    await tx.query(
      `INSERT INTO loans (lender_id, loan_number_type, loan_number, loan_type, currency_code, contract_date, status, end_date, transferred_to_another_lender, contract, delays)
       SELECT lender_id, loan_number_type, 'planner-' || g, loan_type, currency_code, contract_date, status, end_date, transferred_to_another_lender, contract, delays
       FROM (SELECT * FROM loans LIMIT 1) l CROSS JOIN generate_series(1, 20000) g`);
    await tx.exec('ANALYZE loans; ANALYZE loan_parties; ANALYZE payments');
    await tx.exec('SET LOCAL enable_seqscan = off; SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off');
    const { rows } = await tx.query<{ 'QUERY PLAN': unknown }>(`EXPLAIN (FORMAT JSON) ${READ_PERSON_FOR_TEST}`, [
      [p], Math.floor(w.first / 12), (w.first % 12) + 1, Math.floor(w.last / 12), (w.last % 12) + 1, finnishDate(),
    ]);
    const raw = rows[0]!['QUERY PLAN'];
    const plan = (typeof raw === 'string' ? JSON.parse(raw) : raw) as { Plan: PlanNode }[];
    const found: { table: string; scan: string; lookup: boolean }[] = [];
    const walk = (node: PlanNode) => {
      // A lookup: an index scan with a condition on the index (not a walk through the whole index).
      if (node['Relation Name']) found.push({ table: node['Relation Name'], scan: node['Node Type'], lookup: node['Index Cond'] !== undefined || node['Recheck Cond'] !== undefined });
      node.Plans?.forEach(walk);
    };
    walk(plan[0]!.Plan);
    throw new Planned(found);
  }).then(() => assert.fail('the transaction is rolled back'), (err: unknown) => {
    if (err instanceof Planned) return err.scans;
    throw err;
  });
  assert.equal((await reg.register.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM loans WHERE loan_number LIKE 'planner-%'`)).rows[0]!.n, 0, 'the planner\'s loans are gone with the transaction');
  const tables = new Set(scans.map((s) => s.table));
  for (const t of ['loan_parties', 'loans', 'payments', 'income_months', 'voluntary_bans', 'persons']) assert.ok(tables.has(t), `${t} is read: ${JSON.stringify(scans)}`);
  assert.deepEqual(scans.filter((s) => !s.lookup), [], 'with sequential scans disabled, every table is read through an index condition');
});
