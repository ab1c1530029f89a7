/**
 * The reporting API's JSON schemas (reporting.md). They check structure, types, date formats
 * and code values only (A10, the whole batch); lengths, ranges, counts and cross-field checks
 * are the D rules of rules.ts, per report, after the 202.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { envelope, ExactNumberSchema, succeeded } from '../http/schemas.ts';

const Enum = <T extends string>(values: readonly T[], description?: string) =>
  Type.Unsafe<T>({ type: 'string', enum: [...values], ...(description ? { description } : {}) });
const DateField = (description?: string) => Type.String({ format: 'date', ...(description ? { description } : {}) });
const Amount = (description?: string) => ExactNumberSchema(description ? { description } : {});
const Obj = <P extends Record<string, TSchema>>(props: P, description?: string) =>
  Type.Object(props, { additionalProperties: false, ...(description ? { description } : {}) });

export const LOAN_TYPES = ['LumpSumLoan', 'RunningAccountLoan', 'Leasing', 'GuaranteeReceivable'] as const;
export const REPORT_TYPES = ['NewReport', 'ErrorCorrection', 'Cancellation', 'Unknown'] as const;
export const LOAN_NUMBER_TYPES = ['Iban', 'Bban', 'Other'] as const;
export const CONSUMER_PROTECTION_ACTS = ['ConsumerCredit', 'ResidentialPropertyConsumerCredit', 'OtherThanConsumerCredit', 'Unknown'] as const;
export const INTEREST_TYPES = ['Euribor', 'BankReferenceRate', 'OtherVariableReferenceRate', 'FixedInterest', 'InterestFree'] as const;
export const COLLATERAL_TYPES = [
  'ApartmentOrRealEstate', 'OtherImmovableProperty', 'InstalmentSaleItem', 'OtherMoveableProperty',
  'PersonalGuarantee', 'GovernmentGuarantee', 'OtherGuarantee', 'OtherCollateral',
] as const;
export const REPAYMENT_METHODS = ['FixedSizeAmortizations', 'FixedSizePayments', 'Annuities', 'Balloon', 'Bullet', 'Other'] as const;
export const PURPOSES_OF_USE = [
  'HomeLoan', 'HomeLoanForFirstHome', 'HomeLoanForLeisureHouse', 'HomeLoanForInvestment', 'StudentLoan',
  'LoanForVehicleOrCraft', 'OtherConsumerCredit', 'GuaranteeReceivable', 'LoanForBusinessActivities', 'OtherLoan',
] as const;

export type LoanType = (typeof LOAN_TYPES)[number];
export type ReportType = (typeof REPORT_TYPES)[number];

export const LoanNumber = Obj({
  type: Enum(LOAN_NUMBER_TYPES),
  number: Type.String({ description: '1–100 characters (D25)' }),
}, "The lender's unique id of the loan; the key of the loan together with the lender");

export const Person = Obj({
  idCodeType: Enum(['PersonalIdentityCode'] as const),
  idCode: Type.String({ description: 'Personal identity code (D04)' }),
});

export const Borrower = Obj({
  idCodeType: Enum(['PersonalIdentityCode'] as const),
  idCode: Type.String({ description: 'Personal identity code (D04)' }),
  businessId: Type.Optional(Type.String({ description: "Stage 2: the borrower's Business ID when the loan is for the borrower's business (D19)" })),
});

export const LumpSumLoanBlock = Obj({
  amountIssued: Type.Optional(Amount('Granted amount')),
  amountPaid: Type.Optional(Amount('Drawn so far; at most amountIssued (D02)')),
  balance: Type.Optional(Amount()),
  amortizationFrequency: Type.Optional(Type.Integer({ description: 'Months between instalments: 1 monthly, 3 quarterly, 12 yearly, 0 one repayment at the end' })),
  repaymentMethod: Type.Optional(Enum(REPAYMENT_METHODS)),
  plannedFinalDueDate: Type.Optional(DateField()),
  purposeOfUse: Type.Optional(Enum(PURPOSES_OF_USE)),
});

export const RunningAccountLoanBlock = Obj({
  creditLimit: Type.Optional(Amount('May be 0')),
  balance: Type.Optional(Amount('Amount drawn')),
  balanceDate: Type.Optional(DateField('Value date of the balance')),
});

export const LeasingContractBlock = Obj({
  contractPeriodStartDate: Type.Optional(DateField()),
  contractPeriodEndDate: Type.Optional(DateField()),
  monthlyInstalment: Type.Optional(Amount('Greater than zero (D10)')),
  transactionPrice: Type.Optional(Amount()),
});

export const LoanReport = Obj({
  reportReference: Type.String({ description: "The lender's id for this report, 1–100 characters; unique within the batch (D20)" }),
  reportType: Type.Optional(Enum(REPORT_TYPES, 'UpdateLoans only; absent or Unknown means NewReport')),
  loanNumber: LoanNumber,
  loanType: Enum(LOAN_TYPES),
  contractDate: DateField('Not in the future (D12)'),
  currencyCode: Type.Optional(Type.String({ description: 'ISO 4217; required in AddLoans (D16, D24)' })),
  isPeerToPeerLoanBroker: Type.Optional(Type.Boolean()),
  lenderMarketingName: Type.Optional(Type.String({ description: 'At most 200 characters (D25)' })),
  oneTimeServiceFees: Type.Optional(Amount()),
  isTransferredFromAnotherLender: Type.Optional(Type.Boolean()),
  borrowersCount: Type.Optional(Type.Integer({ description: 'All debtors, including any not reported; ≥ the number of borrowers (D05)' })),
  borrowers: Type.Array(Borrower),
  guarantors: Type.Optional(Type.Array(Person, { description: 'Natural persons who gave a guarantee or third-party pledge (our design)' })),
  consumerCredit: Obj({
    loanConsumerProtectionAct: Enum(CONSUMER_PROTECTION_ACTS),
    isGoodsOrServicesRelatedCredit: Type.Optional(Type.Boolean()),
  }),
  interest: Type.Optional(Obj({
    totalInterestRatePct: Type.Optional(Amount('Percentage, at most four decimals')),
    marginPct: Type.Optional(Amount('Percentage, at most four decimals')),
    interestType: Type.Optional(Enum(INTEREST_TYPES)),
    interestDeterminationPeriod: Type.Optional(Type.Integer({ description: 'Months; 0 for fixed or free' })),
  }, 'Required except for GuaranteeReceivable (D24)')),
  annualPercentageRate: Type.Optional(Amount('APR at the time of the contract, percentage')),
  isLoanWithCollateral: Type.Optional(Type.Boolean()),
  collaterals: Type.Optional(Type.Array(Obj({ collateralType: Enum(COLLATERAL_TYPES) }))),
  defermentPeriods: Type.Optional(Type.Array(Obj({ startDate: DateField(), endDate: DateField() }))),
  paymentPlan: Type.Optional(Obj({
    isInDebtArrangement: Type.Optional(Type.Boolean()),
    isInBusinessRestructuringProgram: Type.Optional(Type.Boolean()),
  })),
  lumpSumLoan: Type.Optional(LumpSumLoanBlock),
  runningAccountLoan: Type.Optional(RunningAccountLoanBlock),
  leasingContract: Type.Optional(LeasingContractBlock),
});
export type LoanReport = Static<typeof LoanReport>;

export const RepaymentReport = Obj({
  reportReference: Type.String(),
  reportType: Type.Optional(Enum(REPORT_TYPES)),
  loanNumber: LoanNumber,
  loanType: Enum(LOAN_TYPES),
  reportCreationTimeUtc: Type.Optional(Type.String({ format: 'date-time' })),
  lumpSumLoanRepayment: Type.Optional(Obj({
    paymentDate: DateField(),
    balance: Type.Optional(Amount('Balance after the payment')),
    amortizationPaid: Type.Optional(Amount()),
    interestPaid: Type.Optional(Amount()),
    otherExpenses: Type.Optional(Amount()),
  })),
  runningAccountLoanRepayment: Type.Optional(Obj({
    balanceDate: DateField(),
    balance: Type.Optional(Amount()),
    creditLimit: Type.Optional(Amount()),
    interestPaid: Type.Optional(Amount()),
    otherExpenses: Type.Optional(Amount()),
  })),
  leasingRepayment: Type.Optional(Obj({ paymentDate: DateField(), amountPaid: Type.Optional(Amount()) })),
});
export type RepaymentReport = Static<typeof RepaymentReport>;

export const DelayedRepaymentReport = Obj({
  reportReference: Type.String(),
  reportType: Type.Optional(Enum(REPORT_TYPES)),
  loanNumber: LoanNumber,
  isDelay: Type.Boolean({ description: 'true: the listed instalments are overdue; false: every delay is paid, clear them' }),
  delayedAmounts: Type.Optional(Type.Array(Obj({ delayedInstalment: Amount('> 0'), originalDueDate: DateField() }))),
  isForeclosed: Type.Optional(Type.Boolean()),
  foreclosureDate: Type.Optional(DateField()),
});
export type DelayedRepaymentReport = Static<typeof DelayedRepaymentReport>;

export const TerminationReport = Obj({
  reportReference: Type.String(),
  reportType: Type.Optional(Enum(REPORT_TYPES)),
  loanNumber: LoanNumber,
  termination: Obj({
    isTerminated: Type.Optional(Type.Boolean()),
    endDate: DateField('Not before contractDate (D15), not in the future (D12)'),
    isTransferredToAnotherLender: Type.Optional(Type.Boolean()),
  }),
});
export type TerminationReport = Static<typeof TerminationReport>;

export const BATCH_OPERATIONS = {
  AddLoans: { collection: 'loans', report: LoanReport },
  UpdateLoans: { collection: 'loans', report: LoanReport },
  Repayments: { collection: 'repayments', report: RepaymentReport },
  DelayedRepayments: { collection: 'delayedRepayments', report: DelayedRepaymentReport },
  TerminateLoans: { collection: 'loanTerminations', report: TerminationReport },
} as const;
export type BatchOperation = keyof typeof BATCH_OPERATIONS;

export function batchBody(operation: BatchOperation) {
  const { collection, report } = BATCH_OPERATIONS[operation];
  return Type.Object({ ...envelope, [collection]: Type.Array(report) }, { additionalProperties: false });
}

/** The BatchReference header: 1–100 of letters (å ä ö), digits, space and the listed punctuation. */
export const BATCH_REFERENCE_PATTERN = "^[A-Za-z0-9åäöÅÄÖ /\\\\|(){}\\[\\]%'_?!=,*+.:;&@$#-]{1,100}$";
export const BatchHeaders = Type.Object({
  batchreference: Type.String({ pattern: BATCH_REFERENCE_PATTERN, description: 'Chosen by the lender, unique per lender' }),
});

export const BATCH_STATUSES = ['Received', 'Processed', 'FinishedSuccess', 'FinishedPartialSuccess', 'FinishedFailed'] as const;
export type BatchStatus = (typeof BATCH_STATUSES)[number];

export const ErrorResponses = Type.Array(Type.Object({ fieldName: Type.Optional(Type.String()), errorCode: Type.String(), errorDescription: Type.String() }));

export const BatchAccepted = Type.Object({ batchReference: Type.String(), batchStatus: Enum(BATCH_STATUSES) });

export const GetBatchStatusRequest = Type.Object({ ...envelope, batchReference: Type.String() }, { additionalProperties: false });
export const BatchStatusAnswer = Type.Object({
  batchReference: Type.String(),
  batchStatus: Type.String({ description: 'Received, Processed, FinishedSuccess, FinishedPartialSuccess, FinishedFailed (NotFound with A40)' }),
  receivedTimeUtc: Type.Optional(Type.String()),
  reportCount: Type.Optional(Type.Integer()),
  acceptedCount: Type.Optional(Type.Integer()),
  rejectedCount: Type.Optional(Type.Integer()),
  rejectedReports: Type.Optional(Type.Array(Type.Object({ reportReference: Type.String(), errorResponses: ErrorResponses }))),
  errorResponses: Type.Optional(ErrorResponses),
});

export const GetLoanRequest = Type.Object({ ...envelope, loanNumber: LoanNumber }, { additionalProperties: false });
export const EnvelopeOnly = Type.Object({ ...envelope }, { additionalProperties: false });

/** The latest transaction of a loan: its date and the paid amounts (leasing: amountPaid only). GetLoan and the extract. */
export const RepaymentsPaidLast = Obj({
  paymentDate: DateField(),
  amortizationPaid: Type.Optional(Amount()),
  interestPaid: Type.Optional(Amount()),
  otherExpenses: Type.Optional(Amount()),
  amountPaid: Type.Optional(Amount('Leasing')),
}, 'The latest repayment reported');

export const DelayedAmount = Obj({ delayedInstalment: Amount(), originalDueDate: DateField() });

const L = LoanReport.properties;

/**
 * GetLoan's loan (reporting/loan-view.ts), in its order: the contract's groups as reported, the
 * type block with the current amounts, and the register's own state of the loan. Open
 * (additionalProperties): a group the contract gains later is shown, not dropped by the serialiser.
 */
export const LoanView = Type.Object(
  {
    loanNumber: LoanNumber,
    loanType: L.loanType,
    contractDate: DateField(),
    currencyCode: Type.String({ description: 'ISO 4217' }),
    isPeerToPeerLoanBroker: L.isPeerToPeerLoanBroker,
    lenderMarketingName: L.lenderMarketingName,
    oneTimeServiceFees: L.oneTimeServiceFees,
    isTransferredFromAnotherLender: L.isTransferredFromAnotherLender,
    borrowersCount: L.borrowersCount,
    borrowers: L.borrowers,
    guarantors: L.guarantors,
    consumerCredit: L.consumerCredit,
    interest: L.interest,
    annualPercentageRate: L.annualPercentageRate,
    isLoanWithCollateral: L.isLoanWithCollateral,
    collaterals: L.collaterals,
    defermentPeriods: L.defermentPeriods,
    paymentPlan: L.paymentPlan,
    lumpSumLoan: Type.Optional(LumpSumLoanBlock),
    runningAccountLoan: Type.Optional(RunningAccountLoanBlock),
    leasingContract: Type.Optional(LeasingContractBlock),
    loanStatus: Enum(['Active', 'Ended'] as const, 'Ended: terminated (or transferred to another lender)'),
    endDate: Type.Optional(DateField('When the loan ended')),
    isTransferredToAnotherLender: Type.Optional(Type.Boolean()),
    delayedAmounts: Type.Array(DelayedAmount, { description: 'Overdue instalments now (none once the loan has ended)' }),
    isForeclosed: Type.Boolean(),
    foreclosureDate: Type.Optional(DateField()),
    repaymentsPaidLast: Type.Optional(RepaymentsPaidLast),
    lastReportTimeUtc: Type.String({ format: 'date-time', description: 'When the latest accepted report on the loan was received' }),
  },
  { additionalProperties: true },
);

export const GetLoanAnswer = Type.Object({ ...succeeded, loan: LoanView });

export const ResetTestDataAnswer = Type.Object({
  ...succeeded,
  deleted: Type.Object({ loans: Type.Integer(), batches: Type.Integer() }, { description: "What was deleted: the caller's loans and batches" }),
});
