/**
 * The example requests and answers of the API reference, one set per operation. Written by
 * hand as a lender's developer would read them, attached to the route schemas with
 * withExamples(), and validated against those schemas by test/http/openapi.test.ts. The
 * identity codes are test codes (individual number 900–999), the Business IDs have valid
 * check digits, the references and UUIDs are made up.
 */

const env = { targetEnvironment: 'Test', owner: { idCodeType: 'BusinessId', idCode: '1234567-1' } } as const;
const person = { idCodeType: 'PersonalIdentityCode', idCode: '150385-958X' } as const;
const loanNumber = { type: 'Other', number: 'LOAN-2026-000123' } as const;
const ok = { statusMessage: 'The request succeeded', correlationId: '5b0a4c53-2a7e-4f37-9a53-0f4f7b8d2c11' } as const;

const loanReport = {
  reportReference: 'r-000123-1',
  loanNumber,
  loanType: 'LumpSumLoan',
  contractDate: '2026-03-15',
  currencyCode: 'EUR',
  borrowersCount: 1,
  borrowers: [person],
  consumerCredit: { loanConsumerProtectionAct: 'ConsumerCredit', isGoodsOrServicesRelatedCredit: false },
  interest: { totalInterestRatePct: 6.25, marginPct: 3.1, interestType: 'Euribor', interestDeterminationPeriod: 12 },
  annualPercentageRate: 7.02,
  isLoanWithCollateral: false,
  lumpSumLoan: {
    amountIssued: 15000,
    amountPaid: 15000,
    balance: 14210.35,
    amortizationFrequency: 1,
    repaymentMethod: 'Annuities',
    plannedFinalDueDate: '2031-03-15',
    purposeOfUse: 'LoanForVehicleOrCraft',
  },
};

const accepted = { batchReference: '2026-11-30 loans 1', batchStatus: 'Received' };

export const EXAMPLES = {
  AddLoans: { request: { ...env, loans: [loanReport] }, answer: accepted },
  UpdateLoans: { request: { ...env, loans: [{ ...loanReport, reportReference: 'r-000123-2', reportType: 'ErrorCorrection', annualPercentageRate: 7.05 }] }, answer: accepted },
  Repayments: {
    request: {
      ...env,
      repayments: [
        {
          reportReference: 'p-000123-2026-11',
          loanNumber,
          loanType: 'LumpSumLoan',
          lumpSumLoanRepayment: { paymentDate: '2026-11-15', balance: 13980.1, amortizationPaid: 230.25, interestPaid: 74.01, otherExpenses: 2.5 },
        },
      ],
    },
    answer: accepted,
  },
  DelayedRepayments: {
    request: { ...env, delayedRepayments: [{ reportReference: 'd-000123-1', loanNumber, isDelay: true, delayedAmounts: [{ delayedInstalment: 306.76, originalDueDate: '2026-09-15' }] }] },
    answer: accepted,
  },
  TerminateLoans: {
    request: { ...env, loanTerminations: [{ reportReference: 't-000123', loanNumber, termination: { isTerminated: true, endDate: '2026-11-28' } }] },
    answer: accepted,
  },
  GetBatchStatus: {
    request: { ...env, batchReference: '2026-11-30 loans 1' },
    answer: {
      batchReference: '2026-11-30 loans 1',
      batchStatus: 'FinishedPartialSuccess',
      receivedTimeUtc: '2026-11-30T08:15:02.118Z',
      reportCount: 2,
      acceptedCount: 1,
      rejectedCount: 1,
      rejectedReports: [{ reportReference: 'r-000124-1', errorResponses: [{ fieldName: 'loans[1].loanNumber', errorCode: 'D01', errorDescription: 'Loan number already exists for this lender' }] }],
    },
    refusal: {
      statusMessage: 'The request was rejected',
      correlationId: ok.correlationId,
      errorResponses: [{ fieldName: 'batchReference', errorCode: 'A40', errorDescription: 'No batch with that reference from this owner' }],
      batchReference: 'no-such-batch',
      batchStatus: 'NotFound',
    },
  },
  GetLoan: {
    request: { ...env, loanNumber },
    answer: {
      ...ok,
      loan: {
        loanNumber,
        loanType: 'LumpSumLoan',
        contractDate: '2026-03-15',
        currencyCode: 'EUR',
        borrowersCount: 1,
        borrowers: [person],
        consumerCredit: loanReport.consumerCredit,
        interest: loanReport.interest,
        annualPercentageRate: 7.02,
        isLoanWithCollateral: false,
        lumpSumLoan: { ...loanReport.lumpSumLoan, balance: 13980.1 },
        loanStatus: 'Active',
        delayedAmounts: [],
        isForeclosed: false,
        repaymentsPaidLast: { paymentDate: '2026-11-15', amortizationPaid: 230.25, interestPaid: 74.01, otherExpenses: 2.5 },
        lastReportTimeUtc: '2026-11-16T06:00:41.502Z',
      },
    },
  },
  ResetTestData: { request: env, answer: { ...ok, deleted: { loans: 12, batches: 3 } } },
  Servicebreak: {
    refusal: { statusMessage: 'The request was rejected', correlationId: ok.correlationId, errorResponses: [{ errorCode: 'A90', errorDescription: 'Service break; retry after the time in Retry-After' }] },
  },
  GetCreditRegisterExtract: {
    request: { ...env, request: { ...person, creditRegisterExtractPurpose: ['NewConsumerCredit'], lenderReference: 'application 2026-4471' } },
    answer: {
      ...ok,
      creditRegisterExtract: {
        extractReference: 'b1f0e2a4-6c1d-4d0e-8f5a-2c9e7d3b4a61',
        creationTimeUtc: '2026-11-30T09:12:44.031Z',
        personRequested: person,
        owner: env.owner,
        creditRegisterExtractPurpose: ['NewConsumerCredit'],
        lenderReference: 'application 2026-4471',
        creditInformationSummary: {
          lendersCount: 1,
          loanContractsCount: 1,
          guaranteedLoanContractsCount: 0,
          repaymentsPaidLastAmount: [{ currencyCode: 'EUR', sum: 306.76 }],
          sumOfMonthlyLeasingInstalments: [],
        },
        loans: [
          {
            loanType: 'LumpSumLoan',
            contractDate: '2026-03-15',
            borrowersCount: 1,
            currencyCode: 'EUR',
            consumerCredit: loanReport.consumerCredit,
            isLoanWithCollateral: false,
            collaterals: [],
            interest: loanReport.interest,
            defermentPeriods: [],
            lumpSumLoan: { amountIssued: 15000, amountPaid: 15000, balance: 13980.1, plannedFinalDueDate: '2031-03-15', amortizationFrequency: 1, repaymentMethod: 'Annuities', purposeOfUse: 'LoanForVehicleOrCraft' },
            repaymentsPaidLast: { paymentDate: '2026-11-15', amortizationPaid: 230.25, interestPaid: 74.01, otherExpenses: 2.5 },
            delayedAmounts: [],
            isForeclosed: false,
          },
        ],
        guaranteedLoans: [],
        incomeData: [{ year: 2026, month: 10, wagesGrossAmount: 3850, wagesNetAmount: 2790.42, benefitsGrossAmount: 0, benefitsNetAmount: 0 }],
      },
    },
  },
  IncomeFeed: {
    request: { ...env, incomeMonths: [{ idCode: person.idCode, year: 2026, month: 10, wagesGrossAmount: 3850, wagesNetAmount: 2790.42, benefitsGrossAmount: 0, benefitsNetAmount: 0 }] },
    answer: { ...ok, acceptedCount: 1, rejectedCount: 0, rejected: [] },
  },
  GetVoluntaryBanChanges: {
    request: { ...env, cursor: null, limit: 500 },
    answer: {
      ...ok,
      changes: [{ personIdCode: person.idCode, change: 'Set', reason: 'ControlOfPersonalFinances', startDate: '2026-11-01', endDate: null, changeTimeUtc: '2026-10-31T14:02:10.511Z' }],
      nextCursor: 'eyJ2IjoxLCJzIjoxMjM0NX0',
      moreAvailable: false,
    },
  },
  OrderData: {
    request: { ...env, order: { type: 'PersonLoans', legalBasis: 'Act on the Positive Credit Register, section 21', caseReference: 'FIN-2026-118', ...person } },
    answer: { ...ok, orderId: '0f5e6a8c-3b1d-4e7a-9c2f-6d8b1a4e3c77' },
  },
  GetDataDelivery: {
    request: { ...env, orderId: '0f5e6a8c-3b1d-4e7a-9c2f-6d8b1a4e3c77' },
    answer: {
      ...ok,
      order: { orderId: '0f5e6a8c-3b1d-4e7a-9c2f-6d8b1a4e3c77', type: 'PersonLoans', recurrence: 'Once', state: 'Active', legalBasis: 'Act on the Positive Credit Register, section 21', caseReference: 'FIN-2026-118', placedAt: '2026-11-30T09:30:00.000Z' },
      deliveries: [
        {
          deliveryId: '7a2c9e14-5b3f-4d61-8e07-1c4a9b2d6f38',
          periodStart: '2026-11-30',
          periodEnd: '2026-11-30',
          status: 'Ready',
          createdAt: '2026-11-30T09:30:00.000Z',
          readyAt: '2026-11-30T09:30:04.250Z',
          expiresAt: '2027-02-28T09:30:04.250Z',
          rowCount: 2,
          pageCount: 1,
          contentSha256: '9f2b5c0d1e8a7f6b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3',
        },
      ],
    },
  },
  RetrieveCertificate: {
    request: { transferId: 'T-7HQ2-9KXM', transferPassword: 'correct-horse-battery-staple', csr: '-----BEGIN CERTIFICATE REQUEST-----\nMIIC…\n-----END CERTIFICATE REQUEST-----\n' },
    answer: { certificate: '-----BEGIN CERTIFICATE-----\nMIID…\n-----END CERTIFICATE-----\n', caChain: ['-----BEGIN CERTIFICATE-----\nMIIF…\n-----END CERTIFICATE-----\n'], serial: '4f1a9c0e2b7d', notAfter: '2027-11-30T09:00:00.000Z' },
  },
  RenewCertificate: {
    request: { csr: '-----BEGIN CERTIFICATE REQUEST-----\nMIIC…\n-----END CERTIFICATE REQUEST-----\n' },
    answer: { certificate: '-----BEGIN CERTIFICATE-----\nMIID…\n-----END CERTIFICATE-----\n', caChain: ['-----BEGIN CERTIFICATE-----\nMIIF…\n-----END CERTIFICATE-----\n'], serial: '5c2e8d1f3a90', notAfter: '2028-01-15T10:00:00.000Z' },
  },
  WhoAmI: {
    answer: {
      organisation: { idCodeType: 'BusinessId', idCode: '1234567-1', name: 'Example Bank Oyj', roles: ['lender'], businessId: '1234567-1' },
      certificate: { serial: '4f1a9c0e2b7d', usage: 'reporting', environment: 'Test', notAfter: '2027-11-30T09:00:00.000Z' },
      permissions: [{ permission: 'reporting', purposes: [], scope: {} }],
    },
  },
};
