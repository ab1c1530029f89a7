/**
 * LoanStockSnapshot and MonthlyAggregates over mutual TLS (authorities-and-bans.md; issue 11):
 * read from the loan history (src/reporting/history.ts) as the register knew it at the end of a
 * past Finnish day, so a day ordered again gives the same bytes whatever was reported since.
 * The register's knowledge is moved back in time with ageHistory (test/helpers/history.ts)
 * between phases of reports, so that each phase is known from a different past day.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import pg from 'pg';
import type { OrganisationRef } from '../../src/access/organisations.ts';
import { CSV_HEADER } from '../../src/authority/aggregates.ts';
import { authorityOrdersJob } from '../../src/authority/job.ts';
import { addDays, monthEnd, validateOrder } from '../../src/authority/orders.ts';
import { pseudonym, pseudonymKey } from '../../src/authority/pseudonyms.ts';
import { cancelOrder, claimDelivery, failDelivery, historyFrom, placeOrder, produceDelivery, scheduleRecurring } from '../../src/authority/store.ts';
import { produceLoanStockSnapshot } from '../../src/authority/snapshot.ts';
import { authorityScope } from '../../src/access/authority-scope.ts';
import type { Queryable } from '../../src/db/database.ts';
import { finnishDate } from '../../src/common/dates.ts';
import type { HttpsJsonClient, JsonResponse } from '../../src/common/https-client.ts';
import { knowledgeFinal } from '../../src/reporting/history.ts';
import { BACKEND } from '../helpers/db.ts';
import { ageHistory } from '../helpers/history.ts';
import { ownerOf, startTestRegister, type TestRegister } from '../helpers/register.ts';
import { leasingContract, lumpSumLoan, report, runningAccountLoan, testPerson, type Json } from '../helpers/reports.ts';

type ErrorBody = { errorResponses?: { fieldName?: string; errorCode: string; errorDescription: string }[] };
type Delivery = { deliveryId: string; periodStart: string; periodEnd: string; status: string; rowCount: number | null; pageCount: number | null; contentSha256: string | null };
type DeliveryAnswer = ErrorBody & { deliveries: Delivery[] };
type Authority = { ref: OrganisationRef; client: HttpsJsonClient; id: number };
type Lender = { ref: OrganisationRef; client: HttpsJsonClient };

const today = finnishDate();
const person = () => ({ idCodeType: 'PersonalIdentityCode', idCode: testPerson() });
const num = (l: Json) => (l.loanNumber as { number: string }).number;
/** Anything shaped like a personal identity code. */
const ID_CODE = /\d{6}[-+A-FU-Y]\d{3}[0-9A-Y]/;

async function newAuthority(reg: TestRegister, grant: string[]): Promise<Authority> {
  const ref = await reg.organisation({ roles: ['authority'] });
  const r = await reg.cli(['permission', 'grant', '--business-id', ref.idCode, '--permission', 'authority', ...grant]);
  assert.equal(r.exitCode, 0, r.stderr);
  const { rows } = await reg.register.db.query<{ id: number }>('SELECT id FROM organisations WHERE id_code = $1', [ref.idCode]);
  return { ref, client: await reg.client(ref, 'data-use'), id: Number(rows[0]!.id) };
}

const orderData = (a: Authority, order: Json) =>
  a.client.post<ErrorBody & { orderId: string }>('/OrderData', { targetEnvironment: 'Test', owner: ownerOf(a.ref), order });
const getDelivery = (a: Authority, body: Json) =>
  a.client.post<DeliveryAnswer>('/GetDataDelivery', { targetEnvironment: 'Test', owner: ownerOf(a.ref), ...body });
const codes = (res: JsonResponse<ErrorBody>) => (res.body.errorResponses ?? []).map((e) => [e.fieldName, e.errorCode]);

/** Polls until the order's delivery for `periodStart` (or its newest) has left Pending/InProgress. */
async function settled(reg: TestRegister, a: Authority, orderId: string, periodStart?: string): Promise<Delivery> {
  for (let i = 0; i < 400; i++) {
    const res = await getDelivery(a, { orderId });
    assert.equal(res.status, 200, res.text);
    const d = periodStart ? res.body.deliveries.find((x) => x.periodStart === periodStart) : res.body.deliveries[0];
    if (d && d.status !== 'Pending' && d.status !== 'InProgress') return d;
    reg.server.worker.wake();
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`order ${orderId}: delivery not produced`);
}

/** The content of a ready delivery (one page), checked against its hash and row count. */
async function download(a: Authority, orderId: string, d: Delivery): Promise<{ text: string; contentType: string }> {
  assert.equal(d.status, 'Ready', JSON.stringify(d));
  assert.ok((d.pageCount ?? 0) <= 1, 'one page');
  const res = await getDelivery(a, { orderId, deliveryId: d.deliveryId });
  assert.equal(res.status, 200, res.text);
  const text = res.text;
  const sha = createHash('sha256').update(text).digest('hex');
  assert.equal(d.contentSha256, sha, 'contentSha256 is the hash of the content');
  assert.equal(res.headers['x-content-sha256'], sha);
  assert.equal(d.rowCount, text.split('\n').filter((l) => l !== '').length);
  return { text, contentType: String(res.headers['content-type']) };
}

/** Places a one-off order over mutual TLS and downloads its delivery once produced. */
async function ordered(reg: TestRegister, a: Authority, order: Json): Promise<{ text: string; contentType: string; delivery: Delivery }> {
  const placed = await orderData(a, order);
  assert.equal(placed.status, 200, placed.text);
  const delivery = await settled(reg, a, placed.body.orderId);
  return { ...(await download(a, placed.body.orderId, delivery)), delivery };
}

const snapshotOf = (reg: TestRegister, a: Authority, day: string) => ordered(reg, a, { type: 'LoanStockSnapshot', snapshotDate: day });
const linesOf = (text: string) => text.split('\n').filter((l) => l !== '');

// ---- LoanStockSnapshot

let reg: TestRegister;
let bank: Lender;
let finance: Lender;
/** Every loan, every scope: identity codes delivered. */
let codesAuthority: Authority;
let consumerAuthority: Authority;
/** The default scope's identity codes: pseudonyms. */
let pseudonymAuthority: Authority;

/** A loan as the snapshot shows it: its lender, the report, and what happened to it since. */
interface Expected {
  lender: Lender;
  loan: Json;
  balance?: number;
  balanceDate?: string | null;
  creditLimit?: number | null;
  delays?: { delayedAmount: number; oldestOriginalDueDate: string; isForeclosed: boolean };
}

/** The snapshot line of a loan, keys in the order of src/authority/snapshot.ts's doc comment. */
function snapshotLine(e: Expected, code: (c: string) => string = (c) => c): string {
  const l = e.loan;
  const lump = l.lumpSumLoan as Json | undefined;
  const running = l.runningAccountLoan as Json | undefined;
  const leasing = l.leasingContract as Json | undefined;
  return JSON.stringify({
    recordType: 'Loan',
    lender: { businessId: e.lender.ref.idCode },
    loanNumber: { type: 'Other', number: num(l) },
    loanType: l.loanType,
    currencyCode: l.currencyCode,
    contractDate: l.contractDate,
    consumerCredit: { loanConsumerProtectionAct: (l.consumerCredit as Json).loanConsumerProtectionAct },
    purposeOfUse: lump?.purposeOfUse ?? null,
    amountIssued: lump?.amountIssued ?? leasing?.transactionPrice ?? null,
    creditLimit: e.creditLimit !== undefined ? e.creditLimit : (running?.creditLimit ?? null),
    monthlyInstalment: leasing?.monthlyInstalment ?? null,
    balance: e.balance ?? lump?.balance ?? running?.balance ?? null,
    balanceDate: e.balanceDate !== undefined ? e.balanceDate : (running?.balanceDate ?? null),
    delays: e.delays ?? { delayedAmount: null, oldestOriginalDueDate: null, isForeclosed: false },
    borrowers: (l.borrowers as { idCode: string }[]).map((b) => code(b.idCode)),
    guarantors: ((l.guarantors ?? []) as { idCode: string }[]).map((g) => code(g.idCode)),
  });
}

/** The expected lines in loan order (the register's loan ids). */
async function expectedLines(loans: Expected[], code?: (c: string) => string): Promise<string[]> {
  const { rows } = await reg.register.db.query<{ id: string; number: string }>('SELECT id::text, loan_number AS number FROM loans WHERE loan_number = ANY($1::text[])', [loans.map((e) => num(e.loan))]);
  const id = new Map(rows.map((r) => [r.number, BigInt(r.id)]));
  return [...loans].sort((a, b) => (id.get(num(a.loan))! < id.get(num(b.loan))! ? -1 : 1)).map((e) => snapshotLine(e, code));
}

const consumer = (act: string) => ({ loanConsumerProtectionAct: act, isGoodsOrServicesRelatedCredit: false });
const lumpSum = (purposeOfUse: string, amountIssued: number, balance: number) =>
  ({ amountIssued, amountPaid: amountIssued, balance, amortizationFrequency: 1, repaymentMethod: 'Annuities', plannedFinalDueDate: '2032-03-01', purposeOfUse });

const loans = {
  coBorrowed: lumpSumLoan({ borrowers: [person(), person()], borrowersCount: 2, guarantors: [person()], lumpSumLoan: lumpSum('OtherConsumerCredit', 20000, 18500.5) }),
  housing: lumpSumLoan({ consumerCredit: consumer('ResidentialPropertyConsumerCredit'), lumpSumLoan: lumpSum('HomeLoan', 180000, 172345.67) }),
  account: runningAccountLoan(),
  business: lumpSumLoan({ consumerCredit: consumer('OtherThanConsumerCredit'), lumpSumLoan: lumpSum('LoanForBusinessActivities', 50000, 42000) }),
  leasing: leasingContract({ consumerCredit: consumer('OtherThanConsumerCredit') }),
  delayed: lumpSumLoan({ lumpSumLoan: lumpSum('LoanForVehicleOrCraft', 15000, 9000.1) }),
  corrected: lumpSumLoan({ lumpSumLoan: lumpSum('OtherConsumerCredit', 3000, 2500) }),
  later: lumpSumLoan({ contractDate: addDays(today, -2), lumpSumLoan: lumpSum('StudentLoan', 4000, 4000) }),
};
const due = { first: addDays(today, -120), second: addDays(today, -75) };
const corrections = { amountIssued: 3500, balance: 3100.55 };

/** The first states (known from four days ago on, after the ageing) and the changes (from yesterday on). */
let first: Expected[];
let changed: Expected[];
let oldSnapshot: Awaited<ReturnType<typeof snapshotOf>>;

before(async () => {
  reg = await startTestRegister();
  bank = await reg.lender();
  finance = await reg.lender();
  const orders = ['--orders', 'LoanStockSnapshot,MonthlyAggregates'];
  codesAuthority = await newAuthority(reg, ['--scope', 'all', ...orders, '--identity-codes', 'codes']);
  consumerAuthority = await newAuthority(reg, ['--scope', 'consumer', ...orders, '--identity-codes', 'codes']);
  pseudonymAuthority = await newAuthority(reg, ['--scope', 'all', ...orders]); // pseudonyms is the default
  const ok = async (l: Lender, op: Parameters<typeof report>[2], reports: Json[]) => {
    const s = await report(l.client, l.ref, op, reports);
    assert.equal(s.batchStatus, 'FinishedSuccess', `${op}: ${JSON.stringify(s.rejectedReports ?? s.errorResponses)}`);
  };

  // Phase 1: the first states.
  await ok(bank, 'AddLoans', [loans.coBorrowed, loans.housing, loans.account, loans.business]);
  await ok(finance, 'AddLoans', [loans.leasing, loans.delayed, loans.corrected]);
  await ageHistory(reg.register.db, 3);

  // Phase 2: a repayment of each kind, a correction, an ending, a delay, a new loan.
  await ok(bank, 'Repayments', [
    { reportReference: 'p1', loanNumber: loans.coBorrowed.loanNumber, loanType: 'LumpSumLoan', lumpSumLoanRepayment: { paymentDate: addDays(today, -3), balance: 18100.25, amortizationPaid: 400.25, interestPaid: 80 } },
    { reportReference: 'p2', loanNumber: loans.account.loanNumber, loanType: 'RunningAccountLoan', runningAccountLoanRepayment: { balanceDate: addDays(today, -2), balance: 777.77, creditLimit: 6000 } },
  ]);
  await ok(bank, 'TerminateLoans', [{ reportReference: 't1', loanNumber: loans.business.loanNumber, termination: { isTerminated: true, endDate: addDays(today, -2) } }]);
  await ok(finance, 'UpdateLoans', [{ ...loans.corrected, currencyCode: undefined, reportType: 'ErrorCorrection', lumpSumLoan: { ...(loans.corrected.lumpSumLoan as Json), ...corrections } }]);
  await ok(finance, 'DelayedRepayments', [{ reportReference: 'd1', loanNumber: loans.delayed.loanNumber, isDelay: true, delayedAmounts: [{ delayedInstalment: 100.25, originalDueDate: due.second }, { delayedInstalment: 150.5, originalDueDate: due.first }], isForeclosed: false }]);
  await ok(bank, 'AddLoans', [loans.later]);
  await ageHistory(reg.register.db, 1);

  first = [
    { lender: bank, loan: loans.coBorrowed },
    { lender: bank, loan: loans.housing },
    { lender: bank, loan: loans.account },
    { lender: bank, loan: loans.business },
    { lender: finance, loan: loans.leasing },
    { lender: finance, loan: loans.delayed },
    { lender: finance, loan: loans.corrected },
  ];
  changed = [
    { lender: bank, loan: loans.coBorrowed, balance: 18100.25, balanceDate: addDays(today, -3) },
    { lender: bank, loan: loans.housing },
    { lender: bank, loan: loans.account, balance: 777.77, balanceDate: addDays(today, -2), creditLimit: 6000 },
    // business: ended, absent
    { lender: finance, loan: loans.leasing },
    { lender: finance, loan: loans.delayed, delays: { delayedAmount: 250.75, oldestOriginalDueDate: due.first, isForeclosed: false } },
    { lender: finance, loan: { ...loans.corrected, lumpSumLoan: { ...(loans.corrected.lumpSumLoan as Json), ...corrections } } },
    { lender: bank, loan: loans.later },
  ];
});
after(async () => {
  await reg.close();
  await agg?.close();
});

test('LoanStockSnapshot of a past day: the first states only; of yesterday: the changes (ended loan absent, new balances, the delay, the correction, the new loan)', async () => {
  oldSnapshot = await snapshotOf(reg, codesAuthority, addDays(today, -3));
  assert.match(oldSnapshot.contentType, /^application\/x-ndjson/);
  assert.deepEqual(linesOf(oldSnapshot.text), await expectedLines(first));
  assert.equal(oldSnapshot.delivery.periodStart, addDays(today, -3));

  const recent = await snapshotOf(reg, codesAuthority, addDays(today, -1));
  assert.deepEqual(linesOf(recent.text), await expectedLines(changed));
});

test('LoanStockSnapshot ordered again after further reports (a correction of a loan in it, a repayment, a new loan): the same bytes, hash and row count', async () => {
  const s1 = await report(finance.client, finance.ref, 'UpdateLoans', [{ ...loans.leasing, currencyCode: undefined, reportType: 'ErrorCorrection', leasingContract: { ...(loans.leasing.leasingContract as Json), transactionPrice: 17000, monthlyInstalment: 333.33 } }]);
  assert.equal(s1.batchStatus, 'FinishedSuccess', JSON.stringify(s1.rejectedReports));
  const s2 = await report(bank.client, bank.ref, 'Repayments', [{ reportReference: 'p3', loanNumber: loans.housing.loanNumber, loanType: 'LumpSumLoan', lumpSumLoanRepayment: { paymentDate: today, balance: 171000 } }]);
  assert.equal(s2.batchStatus, 'FinishedSuccess', JSON.stringify(s2.rejectedReports));
  assert.equal((await report(bank.client, bank.ref, 'AddLoans', [lumpSumLoan()])).batchStatus, 'FinishedSuccess');

  const again = await snapshotOf(reg, codesAuthority, addDays(today, -3));
  assert.notEqual(again.delivery.deliveryId, oldSnapshot.delivery.deliveryId, 'another order, another delivery');
  assert.equal(again.text, oldSnapshot.text, 'byte-identical');
  assert.equal(again.delivery.contentSha256, oldSnapshot.delivery.contentSha256);
  assert.equal(again.delivery.rowCount, oldSnapshot.delivery.rowCount);
  // The correction is in the register now, so a snapshot read from the loans themselves would differ.
  const { rows } = await reg.register.db.query<{ price: string }>(
    `SELECT amount_issued::text AS price FROM loan_versions v JOIN loans l ON l.id = v.loan_id WHERE l.loan_number = $1 ORDER BY known_from DESC LIMIT 1`, [num(loans.leasing)]);
  assert.equal(rows[0]!.price, '17000');
});

test('LoanStockSnapshot with --scope consumer: only ConsumerCredit and ResidentialPropertyConsumerCredit loans', async () => {
  const got = await snapshotOf(reg, consumerAuthority, addDays(today, -1));
  const want = changed.filter((e) => ['ConsumerCredit', 'ResidentialPropertyConsumerCredit'].includes((e.loan.consumerCredit as Json).loanConsumerProtectionAct as string));
  assert.ok(want.length >= 4 && want.length < changed.length);
  assert.deepEqual(linesOf(got.text), await expectedLines(want));
});

test('LoanStockSnapshot with pseudonyms (the default): no identity code anywhere; each borrower and guarantor is the JS pseudonym() of the authority', async () => {
  const got = await snapshotOf(reg, pseudonymAuthority, addDays(today, -1));
  assert.ok(!ID_CODE.test(got.text), 'no identity code, not a co-borrower\'s nor a guarantor\'s');
  const key = await pseudonymKey(reg.register.db);
  const code = (c: string) => pseudonym(key, pseudonymAuthority.id, c);
  assert.deepEqual(linesOf(got.text), await expectedLines(changed, code), 'the SQL pseudonyms equal the JS ones');
  const guarantor = (JSON.parse(linesOf(got.text).find((l) => l.includes(num(loans.coBorrowed)))!) as { guarantors: string[] }).guarantors[0]!;
  assert.match(guarantor, /^PSN-[0-9a-f]{32}$/);
  const other = pseudonym(key, codesAuthority.id, (loans.coBorrowed.guarantors as { idCode: string }[])[0]!.idCode);
  assert.notEqual(guarantor, other, 'another authority has another pseudonym');
});

test('LoanStockSnapshot in pages of one loan\'s range each (written two at a time on PostgreSQL): the ranges without a line have no page, the pages are numbered 1…n, and their concatenation is the one-page content with the same hash', async () => {
  const { db } = reg.register;
  const whole = await snapshotOf(reg, codesAuthority, addDays(today, -1));
  // A delivery the register's runner leaves alone (its knowledge day has not ended), produced here with a page per loan id.
  const v = validateOrder({ type: 'LoanStockSnapshot', snapshotDate: addDays(today, -1) }, 'Test', today, await historyFrom(db));
  assert.ok('order' in v, JSON.stringify(v));
  const deliveryId = randomUUID();
  // One transaction, and the order's next period out of the runner's reach: otherwise the runner
  // could schedule this period itself (the same unique key) while this insert checks the order (a deadlock).
  const orderId = await db.transaction(async (tx) => {
    const placed = await placeOrder(tx, codesAuthority.id, { ...v.order, recurrence: 'Daily' });
    await tx.query(`UPDATE authority_orders SET next_period = $2 WHERE id = $1`, [placed.orderId, addDays(today, 30)]);
    await tx.query(`INSERT INTO data_deliveries (id, order_id, period_start, period_end, knowledge_day, status) VALUES ($1, $2, $3, $3, $4, 'InProgress')`,
      [deliveryId, placed.orderId, addDays(today, -1), addDays(today, 1)]);
    return placed.orderId;
  });
  // What an attempt that died left: deleted before the pages are written.
  await db.query(`INSERT INTO data_delivery_pages (delivery_id, page_no, line_count, body) VALUES ($1, 7, 1, '\\x7b7d0a')`, [deliveryId]);
  assert.equal(await produceDelivery(db, deliveryId, new Date(), { pageLines: 1 }), 'produced');

  const loansInRegister = Number((await db.query<{ n: number }>('SELECT max(loan_id) AS n FROM loan_versions')).rows[0]!.n);
  const d = (await getDelivery(codesAuthority, { orderId })).body.deliveries.find((x) => x.deliveryId === deliveryId)!;
  assert.equal(d.status, 'Ready');
  assert.equal(d.rowCount, whole.delivery.rowCount);
  assert.equal(d.pageCount, whole.delivery.rowCount, 'one line a page');
  assert.ok(d.pageCount! < loansInRegister, 'ended loans and loans reported since have no page');
  let text = '';
  for (let page = 1; page <= d.pageCount!; page++) {
    const res = await getDelivery(codesAuthority, { orderId, deliveryId, page });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers['x-page-count'], String(d.pageCount));
    assert.equal(linesOf(res.text).length, 1, `page ${page}`);
    text += res.text;
  }
  assert.equal(text, whole.text, 'the pages in order are the one-page content');
  assert.equal(d.contentSha256, whole.delivery.contentSha256, 'and have its hash');
  const after = await getDelivery(codesAuthority, { orderId, deliveryId, page: d.pageCount! + 1 });
  assert.equal(after.status, 400, after.text);
  assert.deepEqual(codes(after), [['page', 'A10']]);
  assert.equal(await cancelOrder(db, orderId, 'test'), true);
});

test('a page writer that fails stops the others before they take another page; the production fails once none is writing; a failure or a cancellation deletes the pages, a Ready delivery is left alone', async () => {
  const { db } = reg.register;
  const deliveryId = randomUUID();
  let calls = 0;
  let running = 0;
  let overlapAfterFailure = false;
  let failed = false;
  const pages = {
    lines: 1,
    parallel: 2,
    run: async <T,>(fn: (tx: Queryable) => Promise<T>): Promise<T> => {
      if (failed) overlapAfterFailure = true;
      calls++;
      running++;
      try {
        if (calls === 3) {
          await new Promise((r) => setTimeout(r, 20));
          failed = true;
          throw new Error('page 3 failed');
        }
        return await db.transaction(fn);
      } finally {
        running--;
      }
    },
  };
  const production = { deliveryId, organisationId: codesAuthority.id, period: { start: addDays(today, -1), end: addDays(today, -1) }, scope: authorityScope({ loans: 'all', identityCodes: 'codes' }), parameters: { type: 'LoanStockSnapshot' as const, snapshotDate: addDays(today, -1) } };
  await assert.rejects(produceLoanStockSnapshot(db, production, pages), /page 3 failed/);
  assert.equal(running, 0, 'no writer is still writing when the production fails');
  assert.equal(overlapAfterFailure, false, 'no page was taken after the failure');
  // Pages 1 and 2, the failing 3, and at most 2 × parallel written ahead of it while it was slow.
  assert.ok(calls <= 3 + 2 * pages.parallel, `${calls} pages taken`);
  const taken = calls;
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(calls, taken, 'and none later');
  const left = async (id: string) => Number((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM data_delivery_pages WHERE delivery_id = $1', [id])).rows[0]!.n);
  assert.ok((await left(deliveryId)) > 0, 'the pages written before it are there until the delivery fails');

  // The delivery fails: its pages go. A Ready delivery (another process produced it meanwhile) is not failed.
  const v = validateOrder({ type: 'LoanStockSnapshot', snapshotDate: addDays(today, -1) }, 'Test', today, await historyFrom(db));
  assert.ok('order' in v, JSON.stringify(v));
  const { orderId } = await placeOrder(db, codesAuthority.id, { ...v.order, recurrence: 'Daily' });
  let day = 10; // each delivery of the order its own period (the key is order and period start)
  const insert = (id: string, status: string) => db.query(`INSERT INTO data_deliveries (id, order_id, period_start, period_end, knowledge_day, status) VALUES ($1, $2, $3, $3, $4, $5)`,
    [id, orderId, addDays(today, -day++), addDays(today, 1), status]);
  await insert(deliveryId, 'InProgress');
  await failDelivery(db, deliveryId, 'page 3 failed');
  assert.equal(await left(deliveryId), 0);
  const ready = randomUUID();
  await insert(ready, 'Ready');
  await db.query(`INSERT INTO data_delivery_pages (delivery_id, page_no, line_count, body) VALUES ($1, 1, 1, '\\x7b7d0a')`, [ready]);
  await failDelivery(db, ready, 'a late failure of another attempt');
  assert.equal((await db.query<{ status: string }>('SELECT status FROM data_deliveries WHERE id = $1', [ready])).rows[0]!.status, 'Ready');
  assert.equal(await left(ready), 1);
  // A cancelled order's delivery in progress loses what an attempt wrote.
  const leftOver = randomUUID();
  await insert(leftOver, 'InProgress');
  await db.query(`INSERT INTO data_delivery_pages (delivery_id, page_no, line_count, body) VALUES ($1, 1, 1, '\\x7b7d0a')`, [leftOver]);
  assert.equal(await cancelOrder(db, orderId, 'test'), true);
  assert.equal(await left(leftOver), 0);
  assert.equal(await left(ready), 1, 'a ready delivery keeps its content until it expires');
});

test('a snapshot of a day before the history starts is 400 D12; its first day can be ordered', async () => {
  const { db } = reg.register;
  // A fresh register's history covers every day (it had no loans before it); one upgraded while
  // it held loans knows their states from when its backfill ended: here, five days ago.
  const saved = (await db.query<{ value: string }>(`SELECT value FROM register_settings WHERE key = 'loan_history_start'`)).rows[0]!.value;
  await db.query(`UPDATE register_settings SET value = $1 WHERE key = 'loan_history_start'`, [new Date(Date.now() - 5 * 86_400_000).toISOString()]);
  try {
    const from = await historyFrom(db);
    assert.equal(from, finnishDate(new Date(Date.now() - 5 * 86_400_000)));
    const res = await orderData(codesAuthority, { type: 'LoanStockSnapshot', snapshotDate: addDays(from!, -1) });
    assert.equal(res.status, 400, res.text);
    assert.deepEqual(codes(res), [['order.snapshotDate', 'D12']]);
    const first = await orderData(codesAuthority, { type: 'LoanStockSnapshot', snapshotDate: from });
    assert.equal(first.status, 200, first.text);
    assert.equal((await settled(reg, codesAuthority, first.body.orderId)).status, 'Ready');
  } finally {
    await db.query(`UPDATE register_settings SET value = $1 WHERE key = 'loan_history_start'`, [saved]);
  }
});

test('not final yet: the knowledge at a moment to come is not final, and a delivery of today stays Pending while one of yesterday is produced', async () => {
  const { db } = reg.register;
  assert.equal(await knowledgeFinal(db, new Date(Date.now() + 60_000)), false, 'a moment not yet reached');
  // A recurring Daily snapshot placed today: its delivery for today is scheduled only tomorrow, so it is inserted here.
  const v = validateOrder({ type: 'LoanStockSnapshot', recurrence: 'Daily' }, 'Test', today);
  assert.ok('order' in v, JSON.stringify(v));
  const { orderId } = await placeOrder(db, codesAuthority.id, v.order);
  const delivery = async (day: string) => {
    const id = randomUUID();
    await db.query('INSERT INTO data_deliveries (id, order_id, period_start, period_end, knowledge_day) VALUES ($1, $2, $3, $3, $3)', [id, orderId, day]);
    return id;
  };
  const todays = await delivery(today);
  const yesterdays = await delivery(addDays(today, -1));
  const status = async (id: string) => (await db.query<{ status: string }>('SELECT status FROM data_deliveries WHERE id = $1', [id])).rows[0]!.status;
  const job = authorityOrdersJob(db, { now: () => new Date() });
  for (let i = 0; ; i++) {
    assert.ok(i < 50, 'the job became idle');
    const s = await job.runNext({ skip: [] });
    assert.notEqual(s.step, 'retry', JSON.stringify(s));
    if (s.step === 'idle') break;
  }
  assert.notEqual(await claimDelivery(db), todays, 'claimDelivery leaves it');
  assert.equal(await status(todays), 'Pending', 'today has not ended');
  // Yesterday's was claimable: by this job or by the register's own runner, it is produced.
  for (let i = 0; (await status(yesterdays)) !== 'Ready'; i++) {
    assert.ok(i < 400, `yesterday's delivery: ${await status(yesterdays)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.equal(await cancelOrder(db, orderId, 'test'), true); // no delivery is left Pending for ever
});

test('not final yet: a transaction open since before the moment holds the knowledge back until it commits', {
  skip: BACKEND === 'pglite' && 'PGlite has one connection: no other transaction can be open while the test asks',
}, async () => {
  const { db } = reg.register;
  const { rows } = await db.query<{ name: string }>('SELECT current_database() AS name');
  const url = new URL(process.env.PCR_TEST_PG_URL!);
  url.pathname = `/${rows[0]!.name}`;
  const other = new pg.Client({ connectionString: url.toString() });
  await other.connect();
  try {
    await other.query('BEGIN');
    const t0 = (await other.query<{ t0: Date }>('SELECT now() AS t0')).rows[0]!.t0;
    const moment = new Date(t0.getTime() + 5);
    await new Promise((r) => setTimeout(r, 30)); // the moment has passed
    assert.equal(await knowledgeFinal(db, moment), false, 'a transaction that began before the moment is open');
    await other.query('COMMIT');
    // The register's own runner may have a transaction of its own open for a moment: asked again, boundedly.
    let final = false;
    for (let i = 0; i < 100 && !final; i++) {
      final = await knowledgeFinal(db, moment);
      if (!final) await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(final, true, 'final once it has committed');
  } finally {
    await other.end();
  }
});

// ---- MonthlyAggregates (a register of its own: a month's figures count every loan in it)

/** The month two months ago: every delay 60 days before its end is valid on a report day today. */
const MONTH = (() => {
  const [y, m] = today.split('-').map(Number) as [number, number];
  const k = y * 12 + (m - 1) - 2;
  return `${Math.floor(k / 12)}-${String((k % 12) + 1).padStart(2, '0')}`;
})();
const FIRST = `${MONTH}-01`;
const LAST = monthEnd(FIRST);

let agg: TestRegister;
let aggAuthority: Authority;
let aggConsumer: Authority;
let aggOneOff: string;

const aggregateLine = (loanType: string, purposeOfUse: string | null, consumerCredit: string, currencyCode: string,
  newLoans: number, amountIssued: string, creditLimitGranted: string, stockLoans: number, stockBalance: string, loansWithOpenDelay60: number, delayedAmount: string) =>
  JSON.stringify({ recordType: 'MonthlyAggregate', month: MONTH, loanType, purposeOfUse, consumerCredit, currencyCode, newLoans, amountIssued, creditLimitGranted, stockLoans, stockBalance, loansWithOpenDelay60, delayedAmount });

/** The month's lines in their order (loan type, purpose — none first —, class, currency; code-point order). */
const AGGREGATES = [
  aggregateLine('Leasing', null, 'OtherThanConsumerCredit', 'EUR', 1, '15000.00', '0.00', 1, '0.00', 0, '0.00'),
  aggregateLine('LumpSumLoan', 'HomeLoan', 'ResidentialPropertyConsumerCredit', 'EUR', 1, '150000.00', '0.00', 1, '149000.00', 0, '0.00'),
  aggregateLine('LumpSumLoan', 'LoanForBusinessActivities', 'OtherThanConsumerCredit', 'EUR', 1, '25000.00', '0.00', 0, '0.00', 0, '0.00'),
  // 8500.50 × 3 + 1999.99; the delay due 60 days before the month's end counts, the one due 59 days before does not.
  aggregateLine('LumpSumLoan', 'OtherConsumerCredit', 'ConsumerCredit', 'EUR', 1, '2000.10', '0.00', 4, '27501.49', 1, '120.35'),
  aggregateLine('LumpSumLoan', 'OtherConsumerCredit', 'ConsumerCredit', 'SEK', 1, '3000.00', '0.00', 2, '8000.25', 0, '0.00'),
  aggregateLine('RunningAccountLoan', null, 'ConsumerCredit', 'EUR', 1, '0.00', '5000.00', 1, '1200.25', 0, '0.00'),
];

test('MonthlyAggregates: the month\'s exact figures per group, EUR and SEK kept apart, as NDJSON', async () => {
  agg = await startTestRegister();
  const lender = await agg.lender();
  aggAuthority = await newAuthority(agg, ['--scope', 'all', '--orders', 'MonthlyAggregates', '--identity-codes', 'codes']);
  aggConsumer = await newAuthority(agg, ['--scope', 'consumer', '--orders', 'MonthlyAggregates']);
  const ok = async (op: Parameters<typeof report>[2], reports: Json[]) => {
    const s = await report(lender.client, lender.ref, op, reports);
    assert.equal(s.batchStatus, 'FinishedSuccess', `${op}: ${JSON.stringify(s.rejectedReports ?? s.errorResponses)}`);
  };
  const old = '2024-06-01';
  const stock = { a1: lumpSumLoan({ contractDate: old }), a2: lumpSumLoan({ contractDate: old }), a3: lumpSumLoan({ contractDate: old }), sek: lumpSumLoan({ contractDate: old, currencyCode: 'SEK', lumpSumLoan: lumpSum('OtherConsumerCredit', 6000, 5000.25) }) };
  const fresh = {
    eur: lumpSumLoan({ contractDate: FIRST, lumpSumLoan: lumpSum('OtherConsumerCredit', 2000.1, 1999.99) }),
    sek: lumpSumLoan({ contractDate: LAST, currencyCode: 'SEK', lumpSumLoan: lumpSum('OtherConsumerCredit', 3000, 3000) }),
    account: runningAccountLoan({ contractDate: addDays(FIRST, 5), runningAccountLoan: { creditLimit: 5000, balance: 1200.25, balanceDate: addDays(FIRST, 5) } }),
    leasing: leasingContract({ contractDate: addDays(FIRST, 2), consumerCredit: consumer('OtherThanConsumerCredit') }),
    housing: lumpSumLoan({ contractDate: addDays(FIRST, 1), consumerCredit: consumer('ResidentialPropertyConsumerCredit'), lumpSumLoan: lumpSum('HomeLoan', 150000, 149000) }),
    ended: lumpSumLoan({ contractDate: addDays(FIRST, 3), consumerCredit: consumer('OtherThanConsumerCredit'), lumpSumLoan: lumpSum('LoanForBusinessActivities', 25000, 0) }),
    cancelled: lumpSumLoan({ contractDate: addDays(FIRST, 4), lumpSumLoan: lumpSum('OtherConsumerCredit', 99999, 99999) }),
  };
  const afterMonth = lumpSumLoan({ contractDate: addDays(LAST, 1) });
  await ok('AddLoans', [...Object.values(stock), ...Object.values(fresh), afterMonth]);
  await ok('DelayedRepayments', [
    { reportReference: 'd60', loanNumber: stock.a2.loanNumber, isDelay: true, delayedAmounts: [{ delayedInstalment: 120.35, originalDueDate: addDays(LAST, -60) }] },
    { reportReference: 'd59', loanNumber: stock.a3.loanNumber, isDelay: true, delayedAmounts: [{ delayedInstalment: 99.99, originalDueDate: addDays(LAST, -59) }] },
  ]);
  await ok('TerminateLoans', [{ reportReference: 'end', loanNumber: fresh.ended.loanNumber, termination: { isTerminated: true, endDate: addDays(FIRST, 10) } }]);
  await ok('UpdateLoans', [{ ...fresh.cancelled, currencyCode: undefined, reportType: 'Cancellation' }]);
  // Known two days before the month's end, as if reported then.
  const days = Math.round((Date.parse(today) - Date.parse(LAST)) / 86_400_000) + 2;
  await ageHistory(agg.register.db, days);

  const got = await ordered(agg, aggAuthority, { type: 'MonthlyAggregates', fromMonth: MONTH, toMonth: MONTH });
  assert.match(got.contentType, /^application\/x-ndjson/);
  assert.deepEqual(linesOf(got.text), AGGREGATES);
  aggOneOff = got.text;

  // Reported after the month's knowledge day: not in its figures.
  await ok('UpdateLoans', [{ ...stock.a1, currencyCode: undefined, reportType: 'ErrorCorrection', lumpSumLoan: lumpSum('OtherConsumerCredit', 10000, 1) }]);
  await ok('AddLoans', [lumpSumLoan({ contractDate: addDays(FIRST, 6) })]);
  const again = await ordered(agg, aggAuthority, { type: 'MonthlyAggregates', fromMonth: MONTH, toMonth: MONTH });
  assert.equal(again.text, aggOneOff, 'the same month ordered again: the same bytes');
});

test('MonthlyAggregates as CSV: text/csv, the header line, then the same rows', async () => {
  const got = await ordered(agg, aggAuthority, { type: 'MonthlyAggregates', fromMonth: MONTH, toMonth: MONTH, format: 'CSV' });
  assert.match(got.contentType, /^text\/csv/);
  const rows = AGGREGATES.map((l) => {
    const o = JSON.parse(l) as Record<string, unknown>;
    return Object.values(o).slice(1).map((v) => (v === null ? '' : String(v))).join(',');
  });
  assert.deepEqual(linesOf(got.text), [CSV_HEADER, ...rows]);
  assert.equal(rows[0], `${MONTH},Leasing,,OtherThanConsumerCredit,EUR,1,15000.00,0.00,1,0.00,0,0.00`);
});

test('MonthlyAggregates with --scope consumer: only the consumer-credit groups', async () => {
  const got = await ordered(agg, aggConsumer, { type: 'MonthlyAggregates', fromMonth: MONTH, toMonth: MONTH });
  const want = AGGREGATES.filter((l) => /"consumerCredit":"(ConsumerCredit|ResidentialPropertyConsumerCredit)"/.test(l));
  assert.equal(want.length, 4);
  assert.deepEqual(linesOf(got.text), want);
});

test('MonthlyAggregates: the delivery of a recurring Monthly order for the month has the one-off order\'s lines', async () => {
  const { db } = agg.register;
  const v = validateOrder({ type: 'MonthlyAggregates', recurrence: 'Monthly' }, 'Test', FIRST); // as if placed during the month
  assert.ok('order' in v, JSON.stringify(v));
  const { orderId } = await placeOrder(db, aggAuthority.id, v.order);
  await scheduleRecurring(db, today);
  const d = await settled(agg, aggAuthority, orderId, FIRST);
  assert.equal(d.periodEnd, LAST);
  const got = await download(aggAuthority, orderId, d);
  assert.equal(got.text, aggOneOff);
  await cancelOrder(db, orderId, 'test'); // the next month's delivery may wait for its knowledge day: not left Pending
});
