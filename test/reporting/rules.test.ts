/**
 * Every D rule of reporting, each with one report that triggers it and one that passes it,
 * over the real API: sent in batches, read back from GetBatchStatus.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { organisationRef, type OrganisationRef } from '../../src/access/organisations.ts';
import type { HttpsJsonClient } from '../../src/common/https-client.ts';
import { makePersonalIdentityCode } from '../../src/identity/personal-identity-code.ts';
import { startTestRegister, type TestRegister } from '../helpers/register.ts';
import { finnishDate } from '../../src/common/dates.ts';
import { leasingContract, lumpSumLoan, newLoanNumber, rejectedCodes, report, runningAccountLoan, testPerson, type Json } from '../helpers/reports.ts';

let reg: TestRegister;
let lender: { ref: OrganisationRef; client: HttpsJsonClient };
before(async () => {
  reg = await startTestRegister();
  lender = await reg.lender();
});
after(() => reg.close());

const future = () => {
  const d = new Date(Date.now() + 5 * 86_400_000);
  return d.toISOString().slice(0, 10);
};
// Days before the register's today, which is the date in Finland (between 22:00 and 24:00 UTC a day ahead of UTC).
const daysAgo = (n: number) => new Date(Date.parse(`${finnishDate()}T12:00:00Z`) - n * 86_400_000).toISOString().slice(0, 10);

/** Sends [bad, good] and expects the bad one rejected with exactly `code`, the good one accepted. */
async function rule(code: string, bad: Json, good: Json, op: 'AddLoans' | 'UpdateLoans' | 'Repayments' | 'DelayedRepayments' | 'TerminateLoans' = 'AddLoans', who = lender) {
  bad.reportReference = `bad-${code}-${newLoanNumber()}`;
  good.reportReference = `good-${code}-${newLoanNumber()}`;
  const status = await report(who.client, who.ref, op, [bad, good]);
  const codes = rejectedCodes(status);
  assert.deepEqual(Object.keys(codes), [bad.reportReference], JSON.stringify(status));
  assert.ok(codes[bad.reportReference as string]!.includes(code), `expected ${code}, got ${codes[bad.reportReference as string]}`);
  assert.equal(status.batchStatus, 'FinishedPartialSuccess');
  assert.equal(status.acceptedCount, 1);
}

async function addLoan(loan: Json = lumpSumLoan()): Promise<Json> {
  const s = await report(lender.client, lender.ref, 'AddLoans', [loan]);
  assert.equal(s.batchStatus, 'FinishedSuccess', JSON.stringify(s));
  return loan;
}
const payment = (loan: Json, block: Json, extra: Json = {}): Json => ({ reportReference: 'p', loanNumber: loan.loanNumber, loanType: loan.loanType, lumpSumLoanRepayment: block, ...extra });

test('D01 loan number already exists for this lender', async () => {
  const existing = await addLoan();
  await rule('D01', lumpSumLoan({ loanNumber: existing.loanNumber }), lumpSumLoan());
});

test('D02 amountPaid more than amountIssued', async () => {
  await rule('D02', lumpSumLoan({ lumpSumLoan: { amountIssued: 1000, amountPaid: 1000.01, purposeOfUse: 'OtherConsumerCredit' } }), lumpSumLoan({ lumpSumLoan: { amountIssued: 1000, amountPaid: 1000.0, purposeOfUse: 'OtherConsumerCredit' } }));
});

test('D03 no such loan for this lender — also when another lender has it', async () => {
  const other = await reg.lender();
  const theirs = lumpSumLoan();
  assert.equal((await report(other.client, other.ref, 'AddLoans', [theirs])).batchStatus, 'FinishedSuccess');
  const mine = await addLoan();
  await rule('D03', lumpSumLoan({ loanNumber: theirs.loanNumber }), lumpSumLoan({ loanNumber: mine.loanNumber }), 'UpdateLoans');
});

test('D04 invalid identity code, or a real code in the Test environment', async () => {
  await rule('D04', lumpSumLoan({ borrowers: [{ idCodeType: 'PersonalIdentityCode', idCode: '010190-923F' }] }), lumpSumLoan());
  const real = makePersonalIdentityCode('1980-05-05', 123);
  await rule('D04', lumpSumLoan({ borrowers: [{ idCodeType: 'PersonalIdentityCode', idCode: real }] }), lumpSumLoan());
  await rule('D04', lumpSumLoan({ borrowers: [{ idCodeType: 'PersonalIdentityCode', idCode: '' }] }), lumpSumLoan());
  await rule('D04', lumpSumLoan({ guarantors: [{ idCodeType: 'PersonalIdentityCode', idCode: 'nobody' }] }), lumpSumLoan({ guarantors: [{ idCodeType: 'PersonalIdentityCode', idCode: testPerson() }] }));
});

test('D05 borrowersCount below the borrowers listed, a borrower twice, none listed', async () => {
  const a = testPerson();
  const b = testPerson();
  const two = [{ idCodeType: 'PersonalIdentityCode', idCode: a }, { idCodeType: 'PersonalIdentityCode', idCode: b }];
  await rule('D05', lumpSumLoan({ borrowersCount: 1, borrowers: two }), lumpSumLoan({ borrowersCount: 3, borrowers: two }));
  await rule('D05', lumpSumLoan({ borrowersCount: 2, borrowers: [two[0], { ...two[0]!, idCode: a.toLowerCase() }] }), lumpSumLoan({ borrowersCount: 2, borrowers: two }));
  await rule('D05', lumpSumLoan({ borrowers: [] }), lumpSumLoan());
  await rule('D05', lumpSumLoan({ borrowersCount: 0 }), lumpSumLoan());
});

test('D06 purposeOfUse does not fit the act; Unknown act', async () => {
  await rule('D06', lumpSumLoan({ lumpSumLoan: { amountIssued: 1, purposeOfUse: 'LoanForBusinessActivities' } }), lumpSumLoan({ consumerCredit: { loanConsumerProtectionAct: 'OtherThanConsumerCredit' }, lumpSumLoan: { amountIssued: 1, purposeOfUse: 'LoanForBusinessActivities' } }));
  await rule('D06', lumpSumLoan({ consumerCredit: { loanConsumerProtectionAct: 'OtherThanConsumerCredit' }, lumpSumLoan: { amountIssued: 1, purposeOfUse: 'HomeLoan' } }), lumpSumLoan({ consumerCredit: { loanConsumerProtectionAct: 'ResidentialPropertyConsumerCredit' }, lumpSumLoan: { amountIssued: 1, purposeOfUse: 'HomeLoan' } }));
  await rule('D06', lumpSumLoan({ consumerCredit: { loanConsumerProtectionAct: 'Unknown' } }), lumpSumLoan());
});

test('D07 GuaranteeReceivable only from Kela, with its own purpose', async () => {
  const receivable = (extra: Json = {}) => lumpSumLoan({
    loanType: 'GuaranteeReceivable', interest: undefined,
    consumerCredit: { loanConsumerProtectionAct: 'OtherThanConsumerCredit' },
    lumpSumLoan: { amountIssued: 2000, balance: 2000, purposeOfUse: 'GuaranteeReceivable' }, ...extra,
  });
  await rule('D07', receivable(), lumpSumLoan());
  const kelaRef = organisationRef('BusinessId', '0246246-0');
  await reg.organisation({ businessId: '0246246-0', name: 'Kela', roles: ['lender', 'income-source'], permissions: [{ permission: 'reporting' }] });
  const kela = { ref: kelaRef, client: await reg.client(kelaRef, 'reporting') };
  await rule('D07', receivable({ lumpSumLoan: { amountIssued: 2000, purposeOfUse: 'OtherLoan' } }), receivable(), 'AddLoans', kela);
});

test('D08 a delayed instalment less than 60 days overdue', async () => {
  const loan = await addLoan();
  const delay = (due: string): Json => ({ reportReference: 'd', loanNumber: loan.loanNumber, isDelay: true, delayedAmounts: [{ delayedInstalment: 250.5, originalDueDate: due }] });
  await rule('D08', delay(daysAgo(59)), delay(daysAgo(61)), 'DelayedRepayments');
});

test('D09 a payment date or due date before the contract date', async () => {
  const loan = await addLoan();
  await rule('D09', payment(loan, { paymentDate: '2025-02-28', balance: 9000 }), payment(loan, { paymentDate: '2025-03-01', balance: 9000 }), 'Repayments');
  await rule('D09', lumpSumLoan({ lumpSumLoan: { amountIssued: 1, plannedFinalDueDate: '2024-01-01', purposeOfUse: 'OtherConsumerCredit' } }), lumpSumLoan());
  const delay = (due: string): Json => ({ reportReference: 'd', loanNumber: loan.loanNumber, isDelay: true, delayedAmounts: [{ delayedInstalment: 1, originalDueDate: due }] });
  await rule('D09', delay('2025-01-01'), delay('2025-04-01'), 'DelayedRepayments');
});

test('D10 leasing monthlyInstalment must be greater than zero', async () => {
  await rule('D10', leasingContract({ leasingContract: { monthlyInstalment: 0, contractPeriodStartDate: '2025-01-01', contractPeriodEndDate: '2026-01-01' } }), leasingContract());
});

test('D11 the type block does not match loanType', async () => {
  await rule('D11', lumpSumLoan({ loanType: 'RunningAccountLoan' }), runningAccountLoan());
  await rule('D11', { ...lumpSumLoan(), leasingContract: { monthlyInstalment: 1 } }, lumpSumLoan());
  const loan = await addLoan();
  await rule('D11', { reportReference: 'x', loanNumber: loan.loanNumber, loanType: 'LumpSumLoan', leasingRepayment: { paymentDate: '2025-05-01', amountPaid: 1 } }, payment(loan, { paymentDate: '2025-05-01', balance: 1 }), 'Repayments');
});

test('D12 a date in the future', async () => {
  await rule('D12', lumpSumLoan({ contractDate: future() }), lumpSumLoan());
  const loan = await addLoan();
  await rule('D12', payment(loan, { paymentDate: future(), balance: 1 }), payment(loan, { paymentDate: daysAgo(1), balance: 1 }), 'Repayments');
});

test('D13 an ended loan can no longer be changed', async () => {
  const ended = await addLoan();
  const active = await addLoan();
  assert.equal((await report(lender.client, lender.ref, 'TerminateLoans', [{ reportReference: 't', loanNumber: ended.loanNumber, termination: { isTerminated: true, endDate: daysAgo(2) } }])).batchStatus, 'FinishedSuccess');
  await rule('D13', { ...ended }, { ...active }, 'UpdateLoans');
  await rule('D13', payment(ended, { paymentDate: daysAgo(3), balance: 0 }), payment(active, { paymentDate: daysAgo(3), balance: 0 }), 'Repayments');
});

test('D14 transfer conditions not met', async () => {
  const seller = await reg.lender();
  const person = testPerson();
  const sold = lumpSumLoan({ borrowers: [{ idCodeType: 'PersonalIdentityCode', idCode: person }] });
  const stillActive = lumpSumLoan();
  assert.equal((await report(seller.client, seller.ref, 'AddLoans', [sold, stillActive])).batchStatus, 'FinishedSuccess');
  assert.equal((await report(seller.client, seller.ref, 'TerminateLoans', [{ reportReference: 't', loanNumber: sold.loanNumber, termination: { isTerminated: true, endDate: daysAgo(1), isTransferredToAnotherLender: true } }])).batchStatus, 'FinishedSuccess');
  await rule('D14', lumpSumLoan({ loanNumber: stillActive.loanNumber, isTransferredFromAnotherLender: true }), lumpSumLoan({ loanNumber: sold.loanNumber, isTransferredFromAnotherLender: true, borrowers: [{ idCodeType: 'PersonalIdentityCode', idCode: person }] }));
});

test('D15 an end date before the contract date', async () => {
  const a = await addLoan();
  const b = await addLoan();
  await rule('D15', { reportReference: 't', loanNumber: a.loanNumber, termination: { isTerminated: true, endDate: '2025-02-01' } }, { reportReference: 't', loanNumber: b.loanNumber, termination: { isTerminated: true, endDate: '2025-03-01' } }, 'TerminateLoans');
});

test('D16 an unknown currency code', async () => {
  await rule('D16', lumpSumLoan({ currencyCode: 'EUX' }), lumpSumLoan({ currencyCode: 'SEK' }));
});

test('D17 a negative amount, or more than two decimals', async () => {
  await rule('D17', lumpSumLoan({ oneTimeServiceFees: -1 }), lumpSumLoan({ oneTimeServiceFees: 0 }));
  await rule('D17', lumpSumLoan({ lumpSumLoan: { amountIssued: 100.001, purposeOfUse: 'OtherConsumerCredit' } }), lumpSumLoan({ lumpSumLoan: { amountIssued: 100.1, purposeOfUse: 'OtherConsumerCredit' } }));
  await rule('D17', lumpSumLoan({ interest: { totalInterestRatePct: 1.23456 } }), lumpSumLoan({ interest: { totalInterestRatePct: 1.2345 } }));
});

test('D18 a period that ends before it starts', async () => {
  await rule('D18', lumpSumLoan({ defermentPeriods: [{ startDate: '2026-06-01', endDate: '2026-05-31' }] }), lumpSumLoan({ defermentPeriods: [{ startDate: '2026-06-01', endDate: '2026-06-01' }] }));
  await rule('D18', leasingContract({ leasingContract: { monthlyInstalment: 1, contractPeriodStartDate: '2026-01-01', contractPeriodEndDate: '2025-12-31' } }), leasingContract());
});

test("D19 an invalid Business ID of a borrower", async () => {
  const b = (businessId: string) => lumpSumLoan({ borrowers: [{ idCodeType: 'PersonalIdentityCode', idCode: testPerson(), businessId }] });
  await rule('D19', b('1234567-2'), b('1234567-1'));
});

test('D20 a reportReference twice in the batch rejects both', async () => {
  const a = lumpSumLoan({ reportReference: 'same' });
  const b = lumpSumLoan({ reportReference: 'same' });
  const c = lumpSumLoan();
  const status = await report(lender.client, lender.ref, 'AddLoans', [a, b, c]);
  assert.equal(status.rejectedCount, 2);
  assert.deepEqual(status.rejectedReports!.map((r) => r.errorResponses[0]!.errorCode), ['D20', 'D20']);
  assert.equal(status.acceptedCount, 1);
});

test('D21 collateral flag and collaterals disagree', async () => {
  await rule('D21', lumpSumLoan({ isLoanWithCollateral: true }), lumpSumLoan({ isLoanWithCollateral: true, collaterals: [{ collateralType: 'ApartmentOrRealEstate' }] }));
  await rule('D21', lumpSumLoan({ isLoanWithCollateral: false, collaterals: [{ collateralType: 'OtherCollateral' }] }), lumpSumLoan({ isLoanWithCollateral: false, collaterals: [] }));
});

test("D22 a payment's loanType does not match the loan", async () => {
  const loan = await addLoan();
  const ra = await addLoan(runningAccountLoan());
  await rule('D22', { reportReference: 'p', loanNumber: loan.loanNumber, loanType: 'RunningAccountLoan', runningAccountLoanRepayment: { balanceDate: '2025-06-30', balance: 1 } }, { reportReference: 'p', loanNumber: ra.loanNumber, loanType: 'RunningAccountLoan', runningAccountLoanRepayment: { balanceDate: '2025-06-30', balance: 1 } }, 'Repayments');
});

test('D23 correcting or cancelling a transaction that does not exist', async () => {
  const loan = await addLoan();
  assert.equal((await report(lender.client, lender.ref, 'Repayments', [payment(loan, { paymentDate: '2025-04-01', balance: 9000, amortizationPaid: 100 })])).batchStatus, 'FinishedSuccess');
  await rule('D23', payment(loan, { paymentDate: '2025-04-02', balance: 1 }, { reportType: 'ErrorCorrection' }), payment(loan, { paymentDate: '2025-04-01', balance: 8999 }, { reportType: 'ErrorCorrection' }), 'Repayments');
  await rule('D23', payment(loan, { paymentDate: '2025-04-03' }, { reportType: 'Cancellation' }), payment(loan, { paymentDate: '2025-04-01' }, { reportType: 'Cancellation' }), 'Repayments');
});

test('D24 a required value is missing', async () => {
  await rule('D24', lumpSumLoan({ currencyCode: undefined }), lumpSumLoan());
  await rule('D24', lumpSumLoan({ interest: undefined }), lumpSumLoan());
  const loan = await addLoan();
  await rule('D24', { reportReference: 'd', loanNumber: loan.loanNumber, isDelay: true }, { reportReference: 'd', loanNumber: loan.loanNumber, isDelay: false }, 'DelayedRepayments');
});

test('D25 a text that is empty or too long', async () => {
  await rule('D25', lumpSumLoan({ lenderMarketingName: 'x'.repeat(201) }), lumpSumLoan({ lenderMarketingName: 'x'.repeat(200) }));
  await rule('D25', lumpSumLoan({ loanNumber: { type: 'Other', number: '' } }), lumpSumLoan());
});

test('D27 a date outside the years 1900–2199, year 0000 included (which the database has no date for)', async () => {
  await rule('D27', lumpSumLoan({ contractDate: '0000-01-01' }), lumpSumLoan({ contractDate: '1900-01-01' }));
  await rule('D27', lumpSumLoan({ contractDate: '1899-12-31' }), lumpSumLoan());
  await rule('D27', lumpSumLoan({ lumpSumLoan: { ...(lumpSumLoan().lumpSumLoan as Json), plannedFinalDueDate: '9999-12-31' } }), lumpSumLoan({ lumpSumLoan: { ...(lumpSumLoan().lumpSumLoan as Json), plannedFinalDueDate: '2199-12-31' } }));
  await rule('D27', lumpSumLoan({ defermentPeriods: [{ startDate: '0001-01-01', endDate: '2026-01-01' }] }), lumpSumLoan({ defermentPeriods: [{ startDate: '2025-06-01', endDate: '2026-01-01' }] }));
  await rule('D27', leasingContract({ leasingContract: { contractPeriodStartDate: '2025-03-01', contractPeriodEndDate: '0000-02-29', monthlyInstalment: 1 } }), leasingContract());
  const loan = await addLoan();
  await rule('D27', payment(loan, { paymentDate: '0000-06-01', balance: 1 }), payment(loan, { paymentDate: daysAgo(1), balance: 1 }), 'Repayments');
});

test('a batch whose every report is rejected is FinishedFailed; all accepted is FinishedSuccess', async () => {
  const failed = await report(lender.client, lender.ref, 'AddLoans', [lumpSumLoan({ currencyCode: 'XXX' })]);
  assert.equal(failed.batchStatus, 'FinishedFailed');
  const ok = await report(lender.client, lender.ref, 'AddLoans', [lumpSumLoan(), runningAccountLoan(), leasingContract()]);
  assert.equal(ok.batchStatus, 'FinishedSuccess');
  assert.equal(ok.acceptedCount, 3);
});
