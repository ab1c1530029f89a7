/**
 * The loan history (src/reporting/history.ts) at the database: every batch transaction appends
 * one version per loan it changed or paid, with the exact state (the latest payment's balance,
 * the open delays' exact sum, the parties); a bisected batch leaves one version per loan, of
 * what it applied; and the backfill gives each loan of a database from before the history its
 * first version, a chunk at a time, while no snapshot is produced until it has ended.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { addOrganisation, organisationRef } from '../../src/access/organisations.ts';
import { addDays, validateOrder } from '../../src/authority/orders.ts';
import { claimDelivery, placeOrder } from '../../src/authority/store.ts';
import { finnishDate } from '../../src/common/dates.ts';
import type { Database } from '../../src/db/database.ts';
import { backfillChunk, historyStart } from '../../src/reporting/history.ts';
import { processBatch } from '../../src/reporting/processor.ts';
import { receiveBatch } from '../../src/reporting/store.ts';
import { openTestDatabase } from '../helpers/db.ts';
import { uniqueBusinessId } from '../helpers/register.ts';
import { COLLECTION, leasingContract, lumpSumLoan, runningAccountLoan, testPerson, type Json, type Op } from '../helpers/reports.ts';

let db: Database;
let lenderId: number;
let lenderCode: string;
const today = finnishDate();
const person = () => ({ idCodeType: 'PersonalIdentityCode', idCode: testPerson() });
const num = (l: Json) => (l.loanNumber as { number: string }).number;

before(async () => {
  db = await openTestDatabase();
  lenderCode = uniqueBusinessId();
  lenderId = Number((await addOrganisation(db, { ref: organisationRef('BusinessId', lenderCode), name: 'History Bank', roles: ['lender'] })).id);
});
after(() => db.close());

/** Stores a batch as the API would and processes it (the worker's path); returns its outcome. */
async function batch(op: Op, reports: Json[]): Promise<{ status: string; rejected: Record<string, string> }> {
  const rawBody = JSON.stringify({ targetEnvironment: 'Test', owner: {}, [COLLECTION[op]]: reports });
  const received = await receiveBatch(db, { organisationId: lenderId, operation: op, batchReference: `h-${randomUUID()}`, rawBody, reportCount: reports.length });
  assert.equal(await processBatch(db, received.id, { environment: 'Test' }), true);
  const { rows } = await db.query<{ status: string }>('SELECT status FROM batches WHERE id = $1', [received.id]);
  const rejected = await db.query<{ ref: string; code: string }>(`SELECT report_reference AS ref, errors->0->>'errorCode' AS code FROM reports WHERE batch_id = $1 AND status = 'rejected'`, [received.id]);
  return { status: rows[0]!.status, rejected: Object.fromEntries(rejected.rows.map((r) => [r.ref, r.code])) };
}
async function ok(op: Op, reports: Json[]): Promise<void> {
  const r = await batch(op, reports);
  assert.deepEqual(r, { status: 'FinishedSuccess', rejected: {} }, op);
}

interface Version {
  number: string; knownFrom: string; lenderId: number; loanNumberType: string; loanType: string; currency: string; contractDate: string;
  status: string; endDate: string | null; transferred: boolean; consumerClass: string; purposeOfUse: string | null; amountIssued: string | null;
  creditLimit: string | null; monthlyInstalment: string | null; balance: string | null; balanceDate: string | null; delayedAmount: string | null;
  oldestDueDate: string | null; isForeclosed: boolean; borrowers: string[]; guarantors: string[];
}
const VERSION = `l.loan_number AS number, v.known_from::text AS "knownFrom", v.lender_id::int AS "lenderId", v.loan_number_type AS "loanNumberType",
  v.loan_type AS "loanType", v.currency_code AS currency, to_char(v.contract_date, 'YYYY-MM-DD') AS "contractDate", v.status,
  to_char(v.end_date, 'YYYY-MM-DD') AS "endDate", v.transferred, v.consumer_class AS "consumerClass", v.purpose_of_use AS "purposeOfUse",
  v.amount_issued::text AS "amountIssued", v.credit_limit::text AS "creditLimit", v.monthly_instalment::text AS "monthlyInstalment",
  v.balance::text AS balance, to_char(v.balance_date, 'YYYY-MM-DD') AS "balanceDate", v.delayed_amount::text AS "delayedAmount",
  to_char(v.oldest_due_date, 'YYYY-MM-DD') AS "oldestDueDate", v.is_foreclosed AS "isForeclosed", v.borrowers, v.guarantors`;

/** Every version of the loans, oldest first. */
async function versionsOf(...loans: Json[]): Promise<Version[]> {
  const { rows } = await db.query<Version>(
    `SELECT ${VERSION} FROM loan_versions v JOIN loans l ON l.id = v.loan_id WHERE l.loan_number = ANY($1::text[]) ORDER BY v.known_from, l.id`,
    [loans.map(num)],
  );
  return rows;
}
const byNumber = (rows: Version[]) => new Map(rows.map((r) => [r.number, r]));
const without = (v: Version, ...keys: (keyof Version)[]) => Object.fromEntries(Object.entries(v).filter(([k]) => !keys.includes(k as keyof Version)));

const lumpSum = (amountIssued: number, balance: number, purposeOfUse = 'OtherConsumerCredit') =>
  ({ amountIssued, amountPaid: amountIssued, balance, amortizationFrequency: 1, repaymentMethod: 'Annuities', plannedFinalDueDate: '2032-03-01', purposeOfUse });
const codesOf = (l: Json, group: 'borrowers' | 'guarantors') => ((l[group] ?? []) as { idCode: string }[]).map((p) => p.idCode);
const pay = (l: Json, paymentDate: string, balance: number) =>
  ({ reportReference: `p-${num(l)}-${paymentDate}`, loanNumber: l.loanNumber, loanType: 'LumpSumLoan', lumpSumLoanRepayment: { paymentDate, balance, amortizationPaid: 10, interestPaid: 1 } });

const loans = {
  shared: lumpSumLoan({ borrowers: [person(), person()], borrowersCount: 2, guarantors: [person()], lumpSumLoan: lumpSum(20000, 18500.5) }),
  account: runningAccountLoan(),
  leasing: leasingContract({ consumerCredit: { loanConsumerProtectionAct: 'OtherThanConsumerCredit', isGoodsOrServicesRelatedCredit: false } }),
};

test('a batch appends one version per loan, known from its transaction, with the exact state: amounts, the parties, every column', async () => {
  await ok('AddLoans', Object.values(loans));
  const rows = await versionsOf(...Object.values(loans));
  assert.equal(rows.length, 3, 'one version per loan');
  assert.equal(new Set(rows.map((r) => r.knownFrom)).size, 1, 'known from the one transaction');
  const common = { lenderId, loanNumberType: 'Other', currency: 'EUR', contractDate: '2025-03-01', status: 'Active', endDate: null, transferred: false, delayedAmount: null, oldestDueDate: null, isForeclosed: false };
  const got = byNumber(rows);
  assert.deepEqual(without(got.get(num(loans.shared))!, 'knownFrom'), {
    ...common, number: num(loans.shared), loanType: 'LumpSumLoan', consumerClass: 'ConsumerCredit', purposeOfUse: 'OtherConsumerCredit',
    amountIssued: '20000', creditLimit: null, monthlyInstalment: null, balance: '18500.5', balanceDate: null,
    borrowers: codesOf(loans.shared, 'borrowers'), guarantors: codesOf(loans.shared, 'guarantors'),
  });
  assert.equal(got.get(num(loans.shared))!.borrowers.length, 2);
  assert.deepEqual(without(got.get(num(loans.account))!, 'knownFrom'), {
    ...common, number: num(loans.account), loanType: 'RunningAccountLoan', consumerClass: 'ConsumerCredit', purposeOfUse: null,
    amountIssued: null, creditLimit: '5000', monthlyInstalment: null, balance: '1200.25', balanceDate: '2026-10-31',
    borrowers: codesOf(loans.account, 'borrowers'), guarantors: [],
  });
  assert.deepEqual(without(got.get(num(loans.leasing))!, 'knownFrom'), {
    ...common, number: num(loans.leasing), loanType: 'Leasing', consumerClass: 'OtherThanConsumerCredit', purposeOfUse: null,
    amountIssued: '15000', creditLimit: null, monthlyInstalment: '310', balance: null, balanceDate: null,
    borrowers: codesOf(loans.leasing, 'borrowers'), guarantors: [],
  });

  // Delays: the open ones' exact sum (0.1 + 0.2 is not 0.30000000000000004 here) and the oldest due date; only the loans it changed.
  const due = [addDays(today, -70), addDays(today, -100)];
  await ok('DelayedRepayments', [
    { reportReference: 'd1', loanNumber: loans.shared.loanNumber, isDelay: true, delayedAmounts: [{ delayedInstalment: 0.1, originalDueDate: due[0] }, { delayedInstalment: 0.2, originalDueDate: due[1] }], isForeclosed: true, foreclosureDate: due[0] },
  ]);
  const after = await versionsOf(...Object.values(loans));
  assert.equal(after.length, 4, 'one more version, of the one loan the batch changed');
  const latest = after.at(-1)!;
  assert.equal(latest.number, num(loans.shared));
  assert.ok(latest.knownFrom > rows[0]!.knownFrom);
  assert.deepEqual([latest.delayedAmount, latest.oldestDueDate, latest.isForeclosed, latest.balance], ['0.3', due[1], true, '18500.5']);
  assert.deepEqual(latest.guarantors, codesOf(loans.shared, 'guarantors'));
});

test('a batch of Repayments only (no loan row changes) appends versions with the latest payment\'s balance; one per loan however many payments', async () => {
  const before = (await versionsOf(...Object.values(loans))).length;
  await ok('Repayments', [
    pay(loans.shared, addDays(today, -10), 18000.1),
    pay(loans.shared, addDays(today, -5), 17500.75), // the latest: its balance
    { reportReference: 'acc', loanNumber: loans.account.loanNumber, loanType: 'RunningAccountLoan', runningAccountLoanRepayment: { balanceDate: addDays(today, -4), balance: 99.99, creditLimit: 7000 } },
  ]);
  const rows = await versionsOf(...Object.values(loans));
  assert.equal(rows.length, before + 2, 'one version each for the two loans paid, none for the leasing');
  const got = byNumber(rows.slice(-2));
  assert.deepEqual([got.get(num(loans.shared))!.balance, got.get(num(loans.shared))!.balanceDate], ['17500.75', addDays(today, -5)]);
  assert.equal(got.get(num(loans.shared))!.delayedAmount, '0.3', 'the rest of the state carried over');
  assert.deepEqual([got.get(num(loans.account))!.balance, got.get(num(loans.account))!.balanceDate, got.get(num(loans.account))!.creditLimit], ['99.99', addDays(today, -4), '7000']);

  // A payment dated before the latest: a new version, the balance still the latest payment's.
  await ok('Repayments', [pay(loans.shared, addDays(today, -20), 19000)]);
  const back = (await versionsOf(loans.shared)).at(-1)!;
  assert.deepEqual([back.balance, back.balanceDate], ['17500.75', addDays(today, -5)]);
});

test('a repayment\'s version (the balance columns sent, the rest copied from the previous version) equals the full state: the parties, the delay, the contract\'s credit limit again when a payment names none; a loan with no version yet is written in full', async () => {
  const sharedBefore = (await versionsOf(loans.shared)).at(-1)!;
  await ok('Repayments', [
    pay(loans.shared, addDays(today, -1), 17000),
    { reportReference: 'acc2', loanNumber: loans.account.loanNumber, loanType: 'RunningAccountLoan', runningAccountLoanRepayment: { balanceDate: addDays(today, -1), balance: 55.5 } },
  ]);
  const shared = (await versionsOf(loans.shared)).at(-1)!;
  assert.deepEqual([shared.balance, shared.balanceDate], ['17000', addDays(today, -1)]);
  assert.deepEqual(without(shared, 'knownFrom', 'balance', 'balanceDate'), without(sharedBefore, 'knownFrom', 'balance', 'balanceDate'), 'every other column as before');
  assert.deepEqual(shared.borrowers, codesOf(loans.shared, 'borrowers'));
  assert.deepEqual(shared.guarantors, codesOf(loans.shared, 'guarantors'));
  const account = (await versionsOf(loans.account)).at(-1)!;
  const contractLimit = String((loans.account.runningAccountLoan as { creditLimit: number }).creditLimit);
  assert.deepEqual([account.balance, account.creditLimit], ['55.5', contractLimit], 'no credit limit in the payment: the contract\'s, not the earlier payment\'s 7000');

  // A history being backfilled: the loan has no version yet, so there is nothing to copy from.
  await db.query('DELETE FROM loan_versions WHERE loan_id = (SELECT id FROM loans WHERE loan_number = $1)', [num(loans.shared)]);
  await ok('Repayments', [pay(loans.shared, today, 16500.25)]);
  const full = await versionsOf(loans.shared);
  assert.equal(full.length, 1, 'a version all the same');
  assert.deepEqual(without(full[0]!, 'knownFrom', 'balance', 'balanceDate'), without(shared, 'knownFrom', 'balance', 'balanceDate'), 'the full state, computed from the loan');
  assert.deepEqual([full[0]!.balance, full[0]!.balanceDate], ['16500.25', today]);
});

test('a bisected batch (one report the database refuses) leaves one version per loan, of the state applied, and none for the refused report', async () => {
  // A real trigger stands for whatever a report could still make the database refuse.
  await db.exec(`
    CREATE FUNCTION test_payment_fault() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.data->>'balance' = '666' THEN RAISE EXCEPTION 'injected: this payment cannot be stored' USING ERRCODE = '22023'; END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER test_payment_fault BEFORE INSERT ON payments FOR EACH ROW EXECUTE FUNCTION test_payment_fault();`);
  const a = lumpSumLoan();
  const poisoned = lumpSumLoan();
  await ok('AddLoans', [a, poisoned]);
  const before = await versionsOf(a, poisoned);
  // Halved: [a first, poison] fails → [a first] applied, [poison] rejected; then [a second] applied in the same transaction.
  const r = await batch('Repayments', [pay(a, addDays(today, -9), 900), pay(poisoned, addDays(today, -9), 666), pay(a, addDays(today, -8), 800)]);
  assert.deepEqual(r, { status: 'FinishedPartialSuccess', rejected: { [`p-${num(poisoned)}-${addDays(today, -9)}`]: 'A99' } });
  const added = (await versionsOf(a, poisoned)).slice(before.length);
  assert.deepEqual(added.map((v) => [v.number, v.balance, v.balanceDate]), [[num(a), '800', addDays(today, -8)]], 'one version of a, its final state; none of the refused loan');
  await db.exec('DROP TRIGGER test_payment_fault ON payments; DROP FUNCTION test_payment_fault();');
});

test('backfill: a database from before the history gets one version per loan, a chunk at a time; a loan changed meanwhile keeps its own; no snapshot until it ends', async () => {
  // More loans than a chunk (2000), by one batch; some paid and delayed before.
  const many = Array.from({ length: 2001 }, (_, i) => lumpSumLoan(i % 500 === 0 ? { lumpSumLoan: lumpSum(1000 + i, 500.5 + i) } : {}));
  await ok('AddLoans', many);
  await ok('Repayments', [pay(many[1]!, addDays(today, -3), 4321.09)]);
  await ok('DelayedRepayments', [{ reportReference: 'd', loanNumber: many[2]!.loanNumber, isDelay: true, delayedAmounts: [{ delayedInstalment: 12.34, originalDueDate: addDays(today, -61) }] }]);

  // What the register knew, per loan: its latest version (without the time).
  const latest = async () => {
    const { rows } = await db.query<Version>(`SELECT DISTINCT ON (v.loan_id) ${VERSION} FROM loan_versions v JOIN loans l ON l.id = v.loan_id ORDER BY v.loan_id, v.known_from DESC`);
    return new Map(rows.map((r) => [r.number, without(r, 'knownFrom')]));
  };
  const states = await latest();
  const loanCount = Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM loans')).rows[0]!.n);
  assert.equal(states.size, loanCount);

  // As a register upgraded from before the history: no versions, the backfill to run.
  await db.query('DELETE FROM loan_versions');
  await db.query(`UPDATE register_settings SET value = 'backfill from 0' WHERE key = 'loan_history_start'`);
  assert.equal(await historyStart(db), null, 'no history start while the backfill runs');

  // A snapshot of yesterday is due, but is not produced while the backfill runs.
  const authority = await addOrganisation(db, { ref: organisationRef('BusinessId', uniqueBusinessId()), name: 'History Authority', roles: ['authority'] });
  const v = validateOrder({ type: 'LoanStockSnapshot', recurrence: 'Daily' }, 'Test', addDays(today, -1));
  assert.ok('order' in v, JSON.stringify(v));
  const { orderId } = await placeOrder(db, Number(authority.id), v.order);
  const deliveryId = randomUUID();
  await db.query('INSERT INTO data_deliveries (id, order_id, period_start, period_end, knowledge_day) VALUES ($1, $2, $3, $3, $3)', [deliveryId, orderId, addDays(today, -1)]);
  assert.equal(await claimDelivery(db), undefined, 'not claimed while the history is being completed');

  // A batch meanwhile: the loan it changes has its own version, which the backfill leaves alone.
  const changed = many[3]!;
  await ok('Repayments', [pay(changed, addDays(today, -2), 1.23)]);
  const own = await versionsOf(changed);
  assert.deepEqual(own.map((r) => r.balance), ['1.23']);

  const beforeBackfill = (await db.query<{ t: Date }>('SELECT now() AS t')).rows[0]!.t;
  const steps: string[] = [];
  for (let i = 0; i < 10 && steps.at(-1) !== 'done'; i++) {
    steps.push(await backfillChunk(db));
    if (steps.at(-1) !== 'done') assert.equal(await claimDelivery(db), undefined, 'not claimed between chunks');
  }
  assert.equal(steps.at(-1), 'done', JSON.stringify(steps));
  assert.ok(steps.length >= 2 && steps.slice(0, -1).every((s) => s === 'more'), `a chunk per transaction: ${steps}`);
  assert.equal(await backfillChunk(db), 'idle', 'nothing left to do');

  const counts = await db.query<{ n: string }>('SELECT count(*) AS n FROM loans l WHERE (SELECT count(*) FROM loan_versions v WHERE v.loan_id = l.id) <> 1');
  assert.equal(Number(counts.rows[0]!.n), 0, 'every loan has exactly one version');
  assert.deepEqual((await versionsOf(changed)).map((r) => [r.knownFrom, r.balance]), own.map((r) => [r.knownFrom, r.balance]), 'the changed loan keeps only its own');
  const now = await latest();
  states.set(num(changed), without(own[0]!, 'knownFrom'));
  assert.deepEqual(now, states, 'each backfilled version is the state a batch would have written (latest payment\'s balance, delays)');

  const start = await historyStart(db);
  assert.ok(start instanceof Date && start >= beforeBackfill, `complete from the last chunk on: ${start?.toISOString()}`);
  assert.equal(await claimDelivery(db), deliveryId, 'claimed once the history is complete');
});
