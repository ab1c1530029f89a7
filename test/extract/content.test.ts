/** The extract's content rules, without a server. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildExtract, incomeWindow, monthIndex, type PartyLoan } from '../../src/extract/content.ts';
import type { StoredContract } from '../../src/reporting/rules.ts';

const person = '010190-923E';
const meta = { extractReference: 'ref', createdAt: new Date('2026-01-10T09:00:00Z'), today: '2026-01-10' };
const request = { person, purposes: ['NewConsumerCredit'], owner: { idCodeType: 'BusinessId', idCode: '1234567-1' } };

function loan(overrides: Omit<Partial<PartyLoan>, 'contract'> & { contract?: Partial<StoredContract> } = {}): PartyLoan {
  const { contract, ...rest } = overrides;
  return {
    role: 'borrower', lenderId: 1, loanType: 'LumpSumLoan', contractDate: '2025-01-01', currencyCode: 'EUR',
    contract: {
      loanType: 'LumpSumLoan', contractDate: '2025-01-01', borrowers: [{ idCodeType: 'PersonalIdentityCode', idCode: person }],
      consumerCredit: { loanConsumerProtectionAct: 'ConsumerCredit' }, lumpSumLoan: { amountIssued: 1000, balance: 800 }, ...contract,
    },
    delays: { delayedAmounts: [], isForeclosed: false },
    lastPayment: null,
    ...rest,
  };
}

test('summary: lenders, counts and exact per-currency sums of latest payments and leasing instalments', () => {
  const loans: PartyLoan[] = [
    loan({ lenderId: 1, lastPayment: { loanType: 'LumpSumLoan', paymentDate: '2025-12-01', amortizationPaid: 0.1, interestPaid: 0.2, otherExpenses: 0.3 } }),
    loan({ lenderId: 2, lastPayment: { loanType: 'LumpSumLoan', paymentDate: '2025-12-02', amortizationPaid: 500, interestPaid: 12.4 } }),
    loan({ lenderId: 2, currencyCode: 'SEK', lastPayment: { loanType: 'LumpSumLoan', paymentDate: '2025-12-03', amortizationPaid: 1000.01 } }),
    loan({ lenderId: 3, loanType: 'Leasing', contract: { loanType: 'Leasing', lumpSumLoan: undefined, leasingContract: { monthlyInstalment: 155.55 } }, lastPayment: { loanType: 'Leasing', paymentDate: '2025-12-04', amountPaid: 155.55 } }),
    loan({ lenderId: 3, loanType: 'Leasing', contract: { loanType: 'Leasing', lumpSumLoan: undefined, leasingContract: { monthlyInstalment: 154.45 } } }),
    loan({ lenderId: 4, role: 'guarantor' }),
  ];
  const x = buildExtract({ loans, income: [], ban: null, dateOfDeath: null }, request, meta);
  assert.deepEqual(x.creditInformationSummary, {
    lendersCount: 3,
    loanContractsCount: 5,
    guaranteedLoanContractsCount: 1,
    repaymentsPaidLastAmount: [{ currencyCode: 'EUR', sum: 668.55 }, { currencyCode: 'SEK', sum: 1000.01 }],
    sumOfMonthlyLeasingInstalments: [{ currencyCode: 'EUR', sum: 310 }],
  });
  assert.equal(x.loans.length, 5);
  assert.equal(x.guaranteedLoans.length, 1);
});

test('sums are exact where binary floats are not: 0.10 + 0.20 is 0.30', () => {
  const x = buildExtract({ loans: [loan({ lastPayment: { loanType: 'LumpSumLoan', paymentDate: '2025-12-01', amortizationPaid: 0.1, interestPaid: 0.2 } })], income: [], ban: null, dateOfDeath: null }, request, meta);
  assert.deepEqual(x.creditInformationSummary.repaymentsPaidLastAmount, [{ currencyCode: 'EUR', sum: 0.3 }]);
  assert.notEqual(0.1 + 0.2, 0.3);
});

test('a person who is only a guarantor: no loans, one guaranteed loan, lendersCount 0', () => {
  const x = buildExtract({ loans: [loan({ role: 'guarantor' })], income: [], ban: null, dateOfDeath: null }, request, meta);
  assert.equal(x.creditInformationSummary.lendersCount, 0);
  assert.equal(x.creditInformationSummary.loanContractsCount, 0);
  assert.equal(x.creditInformationSummary.guaranteedLoanContractsCount, 1);
  assert.deepEqual(x.loans, []);
  assert.equal(x.guaranteedLoans.length, 1);
});

test('a person with nothing gets a valid, empty extract', () => {
  const x = buildExtract({ loans: [], income: [], ban: null, dateOfDeath: null }, request, meta);
  assert.deepEqual(x.creditInformationSummary, { lendersCount: 0, loanContractsCount: 0, guaranteedLoanContractsCount: 0, repaymentsPaidLastAmount: [], sumOfMonthlyLeasingInstalments: [] });
  assert.deepEqual([x.loans, x.guaranteedLoans, x.incomeData], [[], [], []]);
  assert.equal('voluntaryBanOnCredits' in x, false);
  assert.equal('deceasedPerson' in x, false);
});

test('income: the twelve full months before the request month, across a year boundary, oldest first, gaps left out', () => {
  const w = incomeWindow('2026-01-10');
  assert.equal(w.first, monthIndex(2025, 1));
  assert.equal(w.last, monthIndex(2025, 12));
  const month = (year: number, m: number, denied = false) => ({ year, month: m, wagesGrossAmount: 3500, wagesNetAmount: 2600, benefitsGrossAmount: 0, benefitsNetAmount: 0, accuracyDenied: denied });
  const income = [month(2026, 1), month(2025, 12), month(2025, 3, true), month(2025, 1), month(2024, 12)];
  const x = buildExtract({ loans: [], income, ban: null, dateOfDeath: null }, request, meta);
  assert.deepEqual(x.incomeData.map((m) => `${m.year}-${m.month}`), ['2025-1', '2025-3', '2025-12']);
  assert.equal((x.incomeData[1] as { accuracyDenied?: boolean }).accuracyDenied, true);
  assert.equal('accuracyDenied' in x.incomeData[0]!, false);
});

test('a loan shows current and future deferments only, its business information, and never its lender', () => {
  const l = loan({ contract: {
    defermentPeriods: [{ startDate: '2025-01-01', endDate: '2025-06-30' }, { startDate: '2026-01-01', endDate: '2026-03-31' }, { startDate: '2026-06-01', endDate: '2026-07-31' }],
    borrowers: [{ idCodeType: 'PersonalIdentityCode', idCode: person, businessId: '1234567-1' }],
  } });
  const shown = buildExtract({ loans: [l], income: [], ban: null, dateOfDeath: null }, request, meta).loans[0]!;
  assert.deepEqual(shown.defermentPeriods, [{ startDate: '2026-01-01', endDate: '2026-03-31' }, { startDate: '2026-06-01', endDate: '2026-07-31' }]);
  assert.deepEqual(shown.businessInformation, { borrowerBusinessId: '1234567-1' });
  assert.equal(JSON.stringify(shown).includes('lender'), false);
});

test('the ban in force and a date of death are shown', () => {
  const x = buildExtract({ loans: [], income: [], ban: { reason: 'ControlOfPersonalFinances', startDate: '2026-01-01', endDate: null }, dateOfDeath: '2026-01-05' }, request, meta);
  assert.deepEqual(x.voluntaryBanOnCredits, { isInEffect: true, reason: 'ControlOfPersonalFinances', startDate: '2026-01-01', endDate: null });
  assert.deepEqual(x.deceasedPerson, { dateOfDeath: '2026-01-05' });
});
