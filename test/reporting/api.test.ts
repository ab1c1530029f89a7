/** The reporting API as real clients use it: casing, .NET forms, idempotent re-sends, refusals, history and state. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { OrganisationRef } from '../../src/access/organisations.ts';
import type { HttpsJsonClient } from '../../src/common/https-client.ts';
import { ownerOf, startTestRegister, type TestRegister } from '../helpers/register.ts';
import {
  batchRequest, getLoan, leasingContract, lumpSumLoan, newLoanNumber, postBatch, report, runningAccountLoan,
  testPerson, waitForBatch, type BatchStatusBody, type Json,
} from '../helpers/reports.ts';

let reg: TestRegister;
let lender: { ref: OrganisationRef; client: HttpsJsonClient };
before(async () => {
  reg = await startTestRegister({ env: { PCR_MAX_REPORTS_PER_BATCH: '50' } });
  lender = await reg.lender();
});
after(() => reg.close());

type Refusal = { errorResponses: { errorCode: string; fieldName?: string }[]; batchStatus?: string };
const code = (body: unknown) => (body as Refusal).errorResponses[0]!.errorCode;
const field = (body: unknown) => (body as Refusal).errorResponses[0]!.fieldName;
const num = (loan: Json) => (loan.loanNumber as { number: string }).number;

function pascal(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(pascal);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k[0]!.toUpperCase() + k.slice(1), pascal(v)]));
  }
  return value;
}

test('a .NET client: PascalCase names, nulls, date-times in date fields and 7 fractional digits are accepted; answers are camelCase', async () => {
  const loan = lumpSumLoan({ contractDate: '2025-03-01T00:00:00', lenderMarketingName: null, annualPercentageRate: 6.1234 });
  const body = pascal(batchRequest(lender.ref, 'AddLoans', [loan])) as Json;
  const res = await lender.client.post<BatchStatusBody>('/AddLoans', body, { BatchReference: 'Batch_AddLoans_20260115220000_ä1b2 (x)' });
  assert.equal(res.status, 202, res.text);
  assert.deepEqual(Object.keys(res.body), ['batchReference', 'batchStatus']);
  const status = await waitForBatch(lender.client, lender.ref, 'Batch_AddLoans_20260115220000_ä1b2 (x)');
  assert.equal(status.batchStatus, 'FinishedSuccess', JSON.stringify(status));
  const payment = { reportReference: 'p1', loanNumber: loan.loanNumber, loanType: 'LumpSumLoan', reportCreationTimeUtc: '2026-01-15T22:00:03.1234567Z', lumpSumLoanRepayment: { paymentDate: '2025-04-01', balance: 9000.0, amortizationPaid: 1000.0, interestPaid: 45.5, otherExpenses: null } };
  const s2 = await report(lender.client, lender.ref, 'Repayments', [pascal(payment) as Json]);
  assert.equal(s2.batchStatus, 'FinishedSuccess', JSON.stringify(s2));
  const got = await getLoan(lender.client, lender.ref, num(loan));
  assert.equal(got.body.loan.contractDate, '2025-03-01');
  assert.deepEqual(got.body.loan.repaymentsPaidLast, { paymentDate: '2025-04-01', amortizationPaid: 1000, interestPaid: 45.5, otherExpenses: 0 });
  assert.equal((got.body.loan.lumpSumLoan as Json).balance, 9000, 'the latest transaction gives the current balance');
  assert.equal(got.body.loan.annualPercentageRate, 6.1234);
});

test('an unknown or duplicated property, in any casing, is A10 naming it, and nothing of the batch is stored', async () => {
  const unknown = await postBatch(lender.client, lender.ref, 'AddLoans', [lumpSumLoan(), { ...lumpSumLoan(), surprise: true }]);
  assert.equal(unknown.status, 400);
  assert.equal(code(unknown.body), 'A10');
  assert.equal(field(unknown.body), 'loans[1].surprise');
  const loan = lumpSumLoan();
  const text = JSON.stringify(batchRequest(lender.ref, 'AddLoans', [loan])).replace('"contractDate":"2025-03-01"', '"contractDate":"2025-03-01","ContractDate":"2025-03-01"');
  const dup = await lender.client.post('/AddLoans', text, { BatchReference: 'dup-1' });
  assert.equal(code(dup.body), 'A10');
  assert.equal(field(dup.body), 'loans[0].contractDate');
  assert.equal((await getLoan(lender.client, lender.ref, num(loan))).status, 404, 'nothing stored');
  const badCode = await postBatch(lender.client, lender.ref, 'AddLoans', [lumpSumLoan({ loanType: 'Mortgage' })]);
  assert.equal(code(badCode.body), 'A10');
  const badDate = await postBatch(lender.client, lender.ref, 'AddLoans', [lumpSumLoan({ contractDate: '2025-02-30' })]);
  assert.equal(code(badDate.body), 'A10');
  const notMidnight = await postBatch(lender.client, lender.ref, 'AddLoans', [lumpSumLoan({ contractDate: '2025-02-03T10:00:00' })]);
  assert.equal(code(notMidnight.body), 'A10');
  const stringAmount = await postBatch(lender.client, lender.ref, 'AddLoans', [lumpSumLoan({ oneTimeServiceFees: '12.50' })]);
  assert.equal(code(stringAmount.body), 'A10');
});

test('every code value of every code list is accepted', async () => {
  const consumer = ['HomeLoan', 'HomeLoanForFirstHome', 'HomeLoanForLeisureHouse', 'HomeLoanForInvestment', 'StudentLoan', 'LoanForVehicleOrCraft', 'OtherConsumerCredit'];
  const business = ['LoanForBusinessActivities', 'OtherLoan'];
  const collaterals = ['ApartmentOrRealEstate', 'OtherImmovableProperty', 'InstalmentSaleItem', 'OtherMoveableProperty', 'PersonalGuarantee', 'GovernmentGuarantee', 'OtherGuarantee', 'OtherCollateral'];
  const interestTypes = ['Euribor', 'BankReferenceRate', 'OtherVariableReferenceRate', 'FixedInterest', 'InterestFree'];
  const methods = ['FixedSizeAmortizations', 'FixedSizePayments', 'Annuities', 'Balloon', 'Bullet', 'Other'];
  const numberTypes = ['Iban', 'Bban', 'Other'];
  const loans: Json[] = [];
  consumer.forEach((purposeOfUse, i) => loans.push(lumpSumLoan({
    consumerCredit: { loanConsumerProtectionAct: i % 2 ? 'ConsumerCredit' : 'ResidentialPropertyConsumerCredit', isGoodsOrServicesRelatedCredit: i % 2 === 0 },
    lumpSumLoan: { amountIssued: 1000, purposeOfUse, repaymentMethod: methods[i % methods.length] },
    interest: { interestType: interestTypes[i % interestTypes.length], totalInterestRatePct: 3, interestDeterminationPeriod: 0 },
    isLoanWithCollateral: true, collaterals: [{ collateralType: collaterals[i]! }, { collateralType: collaterals[(i + 1) % 8]! }],
    loanNumber: { type: numberTypes[i % 3], number: newLoanNumber() },
  })));
  business.forEach((purposeOfUse) => loans.push(lumpSumLoan({ consumerCredit: { loanConsumerProtectionAct: 'OtherThanConsumerCredit' }, lumpSumLoan: { amountIssued: 1, purposeOfUse, repaymentMethod: 'Other' } })));
  loans.push(runningAccountLoan(), leasingContract(), lumpSumLoan({ interest: { interestType: 'InterestFree' }, isPeerToPeerLoanBroker: true, paymentPlan: { isInDebtArrangement: true, isInBusinessRestructuringProgram: false } }));
  const status = await report(lender.client, lender.ref, 'AddLoans', loans);
  assert.equal(status.batchStatus, 'FinishedSuccess', JSON.stringify(status.rejectedReports));
  for (const reportType of ['NewReport', 'ErrorCorrection', 'Unknown']) {
    const s = await report(lender.client, lender.ref, 'UpdateLoans', [{ ...loans[0]!, reportType }]);
    assert.equal(s.batchStatus, 'FinishedSuccess', reportType);
  }
});

test('a re-sent batch reference with the same body is the same batch; with another body 409 A30', async () => {
  const loan = lumpSumLoan();
  const first = await postBatch(lender.client, lender.ref, 'AddLoans', [loan], 'resend-1');
  assert.equal(first.status, 202);
  await waitForBatch(lender.client, lender.ref, 'resend-1');
  const again = await postBatch(lender.client, lender.ref, 'AddLoans', [loan], 'resend-1');
  assert.equal(again.status, 202);
  assert.equal(again.body.batchStatus, 'FinishedSuccess', 'the same batch, already processed');
  const status = await waitForBatch(lender.client, lender.ref, 'resend-1');
  assert.equal(status.acceptedCount, 1, 'not applied twice (a second AddLoans would be D01)');
  const other = await postBatch(lender.client, lender.ref, 'AddLoans', [lumpSumLoan()], 'resend-1');
  assert.equal(other.status, 409);
  assert.equal(code(other.body), 'A30');
  const still = await waitForBatch(lender.client, lender.ref, 'resend-1');
  assert.equal(still.batchStatus, 'FinishedSuccess');
  assert.equal(still.reportCount, 1);
});

test('BatchReference missing or malformed → 400 A11', async () => {
  const missing = await lender.client.post('/AddLoans', batchRequest(lender.ref, 'AddLoans', [lumpSumLoan()]));
  assert.equal(missing.status, 400);
  assert.equal(code(missing.body), 'A11');
  const bad = await postBatch(lender.client, lender.ref, 'AddLoans', [lumpSumLoan()], 'no<angle>brackets');
  assert.equal(code(bad.body), 'A11');
  const long = await postBatch(lender.client, lender.ref, 'AddLoans', [lumpSumLoan()], 'x'.repeat(101));
  assert.equal(code(long.body), 'A11');
});

test('more reports than the limit → 413 A12', async () => {
  const res = await postBatch(lender.client, lender.ref, 'AddLoans', Array.from({ length: 51 }, () => lumpSumLoan()));
  assert.equal(res.status, 413);
  assert.equal(code(res.body), 'A12');
});

test('a wrong content type → 415 A13', async () => {
  const res = await lender.client.request('POST', '/AddLoans', 'x', { 'content-type': 'text/plain', BatchReference: 'ct-1' });
  assert.equal(res.status, 415);
  assert.equal(code(res.body), 'A13');
});

test('the other targetEnvironment → 400 A20', async () => {
  const res = await lender.client.post('/AddLoans', batchRequest(lender.ref, 'AddLoans', [lumpSumLoan()], 'Production'), { BatchReference: 'env-1' });
  assert.equal(res.status, 400);
  assert.equal(code(res.body), 'A20');
});

test("another organisation as owner → 403 A21", async () => {
  const other = await reg.lender();
  const res = await lender.client.post('/AddLoans', batchRequest(other.ref, 'AddLoans', [lumpSumLoan()]), { BatchReference: 'owner-1' });
  assert.equal(res.status, 403);
  assert.equal(code(res.body), 'A21');
});

test('no reporting permission → 403 A22', async () => {
  const ref = await reg.organisation({ permissions: [{ permission: 'extract', purposes: ['consumer'] }] });
  const client = await reg.client(ref, 'reporting');
  const res = await client.post('/AddLoans', batchRequest(ref, 'AddLoans', [lumpSumLoan()]), { BatchReference: 'perm-1' });
  assert.equal(res.status, 403);
  assert.equal(code(res.body), 'A22');
  const loan = await client.post('/GetLoan', { targetEnvironment: 'Test', owner: ownerOf(ref), loanNumber: { type: 'Other', number: 'x' } });
  assert.equal(code(loan.body), 'A22');
});

test('a data-use certificate on a reporting operation → 403 A24', async () => {
  const dataUse = await reg.client(lender.ref, 'data-use');
  for (const path of ['/AddLoans', '/UpdateLoans', '/Repayments', '/DelayedRepayments', '/TerminateLoans', '/GetBatchStatus', '/GetLoan']) {
    const res = await dataUse.post(path, {}, { BatchReference: 'usage-1' });
    assert.equal(res.status, 403, path);
    assert.equal(code(res.body), 'A24', path);
  }
});

test('no client certificate on a reporting operation → 401 A23, with batchStatus on GetBatchStatus', async () => {
  const anon = reg.anonymous();
  const res = await anon.post('/AddLoans', batchRequest(lender.ref, 'AddLoans', [lumpSumLoan()]), { BatchReference: 'anon-1' });
  assert.equal(res.status, 401);
  assert.equal(code(res.body), 'A23');
  const status = await anon.post<Refusal>('/GetBatchStatus', { targetEnvironment: 'Test', owner: ownerOf(lender.ref), batchReference: 'anon-1' });
  assert.equal(status.status, 401);
  assert.equal(status.body.batchStatus, 'NotFound');
});

test('a batch refused at the door is remembered: GetBatchStatus 200 FinishedFailed with its errors; an accepted one takes its place', async () => {
  const refused = await lender.client.post('/AddLoans', batchRequest(lender.ref, 'AddLoans', [lumpSumLoan()], 'Production'), { BatchReference: 'door-1' });
  assert.equal(refused.status, 400);
  const status = await lender.client.post<BatchStatusBody>('/GetBatchStatus', { targetEnvironment: 'Test', owner: ownerOf(lender.ref), batchReference: 'door-1' });
  assert.equal(status.status, 200);
  assert.equal(status.body.batchStatus, 'FinishedFailed');
  assert.equal(status.body.errorResponses![0]!.errorCode, 'A20');
  const accepted = await postBatch(lender.client, lender.ref, 'AddLoans', [lumpSumLoan()], 'door-1');
  assert.equal(accepted.status, 202);
  assert.equal((await waitForBatch(lender.client, lender.ref, 'door-1')).batchStatus, 'FinishedSuccess');
});

test('GetBatchStatus: an unknown reference is 400 A40 NotFound, and another lender\'s batch is unknown', async () => {
  const unknown = await lender.client.post<Refusal>('/GetBatchStatus', { targetEnvironment: 'Test', owner: ownerOf(lender.ref), batchReference: 'never-sent' });
  assert.equal(unknown.status, 400);
  assert.equal(code(unknown.body), 'A40');
  assert.equal(unknown.body.batchStatus, 'NotFound');
  const other = await reg.lender();
  await postBatch(other.client, other.ref, 'AddLoans', [lumpSumLoan()], 'theirs-1');
  const theirs = await lender.client.post<Refusal>('/GetBatchStatus', { targetEnvironment: 'Test', owner: ownerOf(lender.ref), batchReference: 'theirs-1' });
  assert.equal(code(theirs.body), 'A40');
  const malformed = await lender.client.post<Refusal>('/GetBatchStatus', { targetEnvironment: 'Test', owner: ownerOf(lender.ref) });
  assert.equal(malformed.status, 400);
  assert.equal(malformed.body.batchStatus, 'NotFound', 'every answer carries batchStatus');
});

test("GetLoan: another lender's loan is indistinguishable from no loan (D03)", async () => {
  const other = await reg.lender();
  const theirs = lumpSumLoan();
  await report(other.client, other.ref, 'AddLoans', [theirs]);
  const a = await getLoan(lender.client, lender.ref, num(theirs));
  const b = await getLoan(lender.client, lender.ref, 'no-such-loan');
  assert.equal(a.status, 404);
  assert.equal(b.status, 404);
  const strip = (x: unknown) => ({ ...(x as Json), correlationId: undefined });
  assert.deepEqual(strip(a.body), strip(b.body));
  assert.equal(code(a.body), 'D03');
});

test('UpdateLoans: NewReport and ErrorCorrection replace the contract data (currency kept); Cancellation removes the loan; history stays', async () => {
  const loan = lumpSumLoan({ guarantors: [{ idCodeType: 'PersonalIdentityCode', idCode: testPerson() }] });
  await report(lender.client, lender.ref, 'AddLoans', [loan]);
  const update = { ...loan, currencyCode: undefined, reportType: 'NewReport', guarantors: undefined, interest: { totalInterestRatePct: 4.25, interestType: 'FixedInterest', interestDeterminationPeriod: 0 } };
  assert.equal((await report(lender.client, lender.ref, 'UpdateLoans', [update])).batchStatus, 'FinishedSuccess');
  let got = (await getLoan(lender.client, lender.ref, num(loan))).body.loan;
  assert.equal(got.currencyCode, 'EUR');
  assert.deepEqual(got.interest, { totalInterestRatePct: 4.25, interestType: 'FixedInterest', interestDeterminationPeriod: 0 });
  assert.equal(got.guarantors, undefined, 'an optional group left out is cleared');
  const correction = { ...update, reportType: 'ErrorCorrection', lumpSumLoan: { amountIssued: 12000, purposeOfUse: 'OtherConsumerCredit' } };
  assert.equal((await report(lender.client, lender.ref, 'UpdateLoans', [correction])).batchStatus, 'FinishedSuccess');
  got = (await getLoan(lender.client, lender.ref, num(loan))).body.loan;
  assert.equal((got.lumpSumLoan as Json).amountIssued, 12000);
  assert.equal((await report(lender.client, lender.ref, 'UpdateLoans', [{ ...update, reportType: 'Cancellation' }])).batchStatus, 'FinishedSuccess');
  assert.equal((await getLoan(lender.client, lender.ref, num(loan))).status, 404);
  const history = await reg.register.db.query<{ reportType: string; status: string }>(
    `SELECT r.report_type AS "reportType", r.status FROM reports r JOIN batches b ON b.id = r.batch_id WHERE r.loan_number = $1 ORDER BY b.id, r.seq`, [num(loan)]);
  assert.deepEqual(history.rows.map((r) => r.reportType), ['NewReport', 'NewReport', 'ErrorCorrection', 'Cancellation']);
  assert.ok(history.rows.every((r) => r.status === 'accepted'));
});

test('Repayments: a second NewReport for the same date replaces the first; ErrorCorrection replaces; Cancellation removes', async () => {
  const loan = lumpSumLoan();
  await report(lender.client, lender.ref, 'AddLoans', [loan]);
  const pay = (date: string, amortizationPaid: number, extra: Json = {}) => ({ reportReference: `p-${date}-${amortizationPaid}`, loanNumber: loan.loanNumber, loanType: 'LumpSumLoan', lumpSumLoanRepayment: { paymentDate: date, balance: 9000 - amortizationPaid, amortizationPaid, interestPaid: 10.1, otherExpenses: 2.2 }, ...extra });
  await report(lender.client, lender.ref, 'Repayments', [pay('2025-05-01', 100), pay('2025-06-01', 200)]);
  await report(lender.client, lender.ref, 'Repayments', [pay('2025-06-01', 200)]); // the export day re-run
  let got = (await getLoan(lender.client, lender.ref, num(loan))).body.loan;
  assert.deepEqual(got.repaymentsPaidLast, { paymentDate: '2025-06-01', amortizationPaid: 200, interestPaid: 10.1, otherExpenses: 2.2 });
  const { rows } = await reg.register.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM payments p JOIN loans l ON l.id = p.loan_id WHERE l.loan_number = $1`, [num(loan)]);
  assert.equal(rows[0]!.n, 2);
  await report(lender.client, lender.ref, 'Repayments', [pay('2025-06-01', 250, { reportType: 'ErrorCorrection' })]);
  got = (await getLoan(lender.client, lender.ref, num(loan))).body.loan;
  assert.equal((got.repaymentsPaidLast as Json).amortizationPaid, 250);
  await report(lender.client, lender.ref, 'Repayments', [pay('2025-06-01', 0, { reportType: 'Cancellation' })]);
  got = (await getLoan(lender.client, lender.ref, num(loan))).body.loan;
  assert.equal((got.repaymentsPaidLast as Json).paymentDate, '2025-05-01', 'the latest remaining transaction');
});

test('DelayedRepayments replace the open delays; isDelay false clears them; termination closes them and its Cancellation restores the loan', async () => {
  const loan = lumpSumLoan();
  await report(lender.client, lender.ref, 'AddLoans', [loan]);
  const due = new Date(Date.now() - 90 * 86_400_000).toISOString().slice(0, 10);
  await report(lender.client, lender.ref, 'DelayedRepayments', [{ reportReference: 'd1', loanNumber: loan.loanNumber, isDelay: true, delayedAmounts: [{ delayedInstalment: 300.1, originalDueDate: due }], isForeclosed: true, foreclosureDate: due }]);
  let got = (await getLoan(lender.client, lender.ref, num(loan))).body.loan;
  assert.deepEqual(got.delayedAmounts, [{ delayedInstalment: 300.1, originalDueDate: due }]);
  assert.equal(got.isForeclosed, true);
  await report(lender.client, lender.ref, 'TerminateLoans', [{ reportReference: 't1', loanNumber: loan.loanNumber, termination: { isTerminated: true, endDate: '2026-01-31' } }]);
  got = (await getLoan(lender.client, lender.ref, num(loan))).body.loan;
  assert.equal(got.loanStatus, 'Ended');
  assert.equal(got.endDate, '2026-01-31');
  assert.deepEqual(got.delayedAmounts, [], 'open delays close with the loan');
  await report(lender.client, lender.ref, 'TerminateLoans', [{ reportReference: 't2', reportType: 'Cancellation', loanNumber: loan.loanNumber, termination: { endDate: '2026-01-31' } }]);
  got = (await getLoan(lender.client, lender.ref, num(loan))).body.loan;
  assert.equal(got.loanStatus, 'Active');
  await report(lender.client, lender.ref, 'DelayedRepayments', [{ reportReference: 'd2', loanNumber: loan.loanNumber, isDelay: false }]);
  got = (await getLoan(lender.client, lender.ref, num(loan))).body.loan;
  assert.deepEqual(got.delayedAmounts, []);
});

test('a transfer: the old lender ends the loan as transferred, the new one adds it; it lives on with its history', async () => {
  const buyer = await reg.lender();
  const person = testPerson();
  const loan = lumpSumLoan({ borrowers: [{ idCodeType: 'PersonalIdentityCode', idCode: person }] });
  await report(lender.client, lender.ref, 'AddLoans', [loan]);
  await report(lender.client, lender.ref, 'TerminateLoans', [{ reportReference: 't', loanNumber: loan.loanNumber, termination: { isTerminated: true, endDate: '2026-02-01', isTransferredToAnotherLender: true } }]);
  const status = await report(buyer.client, buyer.ref, 'AddLoans', [{ ...loan, isTransferredFromAnotherLender: true }]);
  assert.equal(status.batchStatus, 'FinishedSuccess', JSON.stringify(status));
  assert.equal((await getLoan(buyer.client, buyer.ref, num(loan))).body.loan.loanStatus, 'Active');
  assert.equal((await getLoan(lender.client, lender.ref, num(loan))).status, 404);
  const { rows } = await reg.register.db.query<{ n: number }>('SELECT count(DISTINCT loan_id)::int AS n FROM reports WHERE loan_number = $1', [num(loan)]);
  assert.equal(rows[0]!.n, 1, 'one loan, its history under one id');
});

test('every report records the date of its event next to its received time', async () => {
  const loan = lumpSumLoan({ contractDate: '2025-07-07' });
  await report(lender.client, lender.ref, 'AddLoans', [loan]);
  await report(lender.client, lender.ref, 'Repayments', [{ reportReference: 'p', loanNumber: loan.loanNumber, loanType: 'LumpSumLoan', lumpSumLoanRepayment: { paymentDate: '2025-08-08', balance: 1 } }]);
  await report(lender.client, lender.ref, 'TerminateLoans', [{ reportReference: 't', loanNumber: loan.loanNumber, termination: { endDate: '2025-09-09' } }]);
  const { rows } = await reg.register.db.query<{ eventDate: string; receivedAt: Date }>(
    `SELECT r.event_date AS "eventDate", b.received_at AS "receivedAt" FROM reports r JOIN batches b ON b.id = r.batch_id WHERE r.loan_number = $1 ORDER BY b.id`, [num(loan)]);
  assert.deepEqual(rows.map((r) => r.eventDate), ['2025-07-07', '2025-08-08', '2025-09-09']);
  assert.ok(rows.every((r) => r.receivedAt instanceof Date));
});

test("batches of one lender take effect in the order received", async () => {
  const loan = lumpSumLoan();
  const a = await postBatch(lender.client, lender.ref, 'AddLoans', [loan]);
  const b = await postBatch(lender.client, lender.ref, 'Repayments', [{ reportReference: 'p', loanNumber: loan.loanNumber, loanType: 'LumpSumLoan', lumpSumLoanRepayment: { paymentDate: '2025-05-05', balance: 7 } }]);
  const c = await postBatch(lender.client, lender.ref, 'TerminateLoans', [{ reportReference: 't', loanNumber: loan.loanNumber, termination: { endDate: '2025-06-06' } }]);
  for (const r of [a, b, c]) assert.equal((await waitForBatch(lender.client, lender.ref, r.reference)).batchStatus, 'FinishedSuccess');
});

test('ResetTestData deletes the lender\'s own test data only; Servicebreak answers 503 A90 with Retry-After', async () => {
  const other = await reg.lender();
  const mine = lumpSumLoan();
  const theirs = lumpSumLoan();
  await report(lender.client, lender.ref, 'AddLoans', [mine]);
  await report(other.client, other.ref, 'AddLoans', [theirs]);
  const reset = await other.client.post<{ deleted: { loans: number } }>('/ResetTestData', { targetEnvironment: 'Test', owner: ownerOf(other.ref) });
  assert.equal(reset.status, 200);
  assert.ok(reset.body.deleted.loans >= 1);
  assert.equal((await getLoan(other.client, other.ref, num(theirs))).status, 404);
  assert.equal((await getLoan(lender.client, lender.ref, num(mine))).status, 200);
  const brk = await reg.anonymous().post('/Servicebreak', {});
  assert.equal(brk.status, 503);
  assert.equal(code(brk.body), 'A90');
  assert.equal(brk.headers['retry-after'], '60');
});

test('a 10 000-report batch over TLS is received and processed', async () => {
  const big = await reg.lender();
  const local = await startTestRegister();
  try {
    const l = await local.lender();
    const loans = Array.from({ length: 10_000 }, () => lumpSumLoan());
    const status = await report(l.client, l.ref, 'AddLoans', loans);
    assert.equal(status.batchStatus, 'FinishedSuccess');
    assert.equal(status.acceptedCount, 10_000);
  } finally {
    await local.close();
  }
  assert.ok(big.ref);
});

test('GetLoan answers in the order of the API schema, nested groups too', async () => {
  const loan = lumpSumLoan();
  await report(lender.client, lender.ref, 'AddLoans', [loan]);
  const got = (await getLoan(lender.client, lender.ref, num(loan))).body.loan;
  const keys = Object.keys(got);
  assert.deepEqual(keys.slice(0, 4), ['loanNumber', 'loanType', 'contractDate', 'currencyCode']);
  assert.ok(keys.indexOf('borrowersCount') < keys.indexOf('borrowers') && keys.indexOf('borrowers') < keys.indexOf('consumerCredit') && keys.indexOf('consumerCredit') < keys.indexOf('interest'));
  assert.deepEqual(Object.keys(got.interest as Json), ['totalInterestRatePct', 'marginPct', 'interestType', 'interestDeterminationPeriod']);
  assert.deepEqual(Object.keys(got.lumpSumLoan as Json), ['amountIssued', 'amountPaid', 'balance', 'amortizationFrequency', 'repaymentMethod', 'plannedFinalDueDate', 'purposeOfUse']);
});
