/**
 * The business rules on one report (the D codes of error-codes.md), as pure functions: no
 * database, no clock of their own. Each returns the problems found and the report in its
 * stored form (amounts exact, dates yyyy-MM-dd, identity codes in upper case).
 * Rules that need the stored loan (D01, D03, D09 for payments, D13, D14, D22, D23) are in apply.ts.
 */
import { toScaled, scaledToText, type NumericInput } from '../common/decimal.ts';
import type { RuleCode } from '../common/errors.ts';
import { FIRST_DATE, LAST_DATE, toDateOnly } from '../common/dates.ts';
import { isValidBusinessId } from '../identity/business-id.ts';
import { parsePersonalIdentityCode } from '../identity/personal-identity-code.ts';
import type { Environment } from '../access/pki.ts';
import { CURRENCY_CODES } from './currencies.ts';
import type { DelayedRepaymentReport, LoanReport, LoanType, RepaymentReport, ReportType, TerminationReport } from './schemas.ts';

export const KELA_BUSINESS_ID = '0246246-0';
export const CONSUMER_PURPOSES_OF_USE = ['HomeLoan', 'HomeLoanForFirstHome', 'HomeLoanForLeisureHouse', 'HomeLoanForInvestment', 'StudentLoan', 'LoanForVehicleOrCraft', 'OtherConsumerCredit'];
export const NON_CONSUMER_PURPOSES_OF_USE = ['LoanForBusinessActivities', 'OtherLoan', 'GuaranteeReceivable'];
/** Amounts at or above this are refused as out of range (D17): it keeps every amount exact as a JSON number. */
export const MAX_AMOUNT_CENTS = 10n ** 15n;
export const DELAY_MIN_DAYS = 60;


export interface RuleContext {
  environment: Environment;
  /** Business ID of the reporting lender. */
  lenderBusinessId: string;
  /** Today's date in Finland, yyyy-MM-dd. */
  today: string;
}

export interface Problem {
  fieldName?: string;
  errorCode: RuleCode;
  errorDescription: string;
}

class Checker {
  readonly problems: Problem[] = [];
  add(errorCode: RuleCode, fieldName: string | undefined, errorDescription: string): void {
    this.problems.push({ ...(fieldName ? { fieldName } : {}), errorCode, errorDescription });
  }

  amount(value: NumericInput | undefined, field: string, opts: { positive?: boolean } = {}): number | undefined {
    if (value === undefined) return undefined;
    const cents = toScaled(value, 2);
    if (cents === null) return this.add('D17', field, `${field} has more than two decimals`), undefined;
    if (cents < 0n) return this.add('D17', field, `${field} may not be negative`), undefined;
    if (cents >= MAX_AMOUNT_CENTS) return this.add('D17', field, `${field} is out of range`), undefined;
    if (opts.positive && cents === 0n) return this.add('D17', field, `${field} must be greater than zero`), undefined;
    return Number(scaledToText(cents, 2));
  }

  percentage(value: NumericInput | undefined, field: string): number | undefined {
    if (value === undefined) return undefined;
    const scaled = toScaled(value, 4);
    if (scaled === null || scaled >= 10n ** 10n || scaled <= -(10n ** 10n)) return this.add('D17', field, `${field} is a percentage with at most four decimals`), undefined;
    return Number(scaledToText(scaled, 4));
  }

  text(value: string | undefined, field: string, max: number): void {
    if (value === undefined) return;
    if (value.length === 0 || value.length > max) this.add('D25', field, `${field} must be 1–${max} characters`);
  }

  date(value: string | undefined, field: string, ctx: RuleContext, opts: { notFuture?: boolean; notBefore?: [string | undefined, string] } = {}): string | undefined {
    if (value === undefined) return undefined;
    const d = toDateOnly(value);
    if (d < FIRST_DATE || d > LAST_DATE) {
      this.add('D27', field, `${field} is outside the years ${FIRST_DATE.slice(0, 4)}–${LAST_DATE.slice(0, 4)}`);
      return d;
    }
    if (opts.notFuture && d > ctx.today) this.add('D12', field, `${field} is in the future`);
    const [limit, what] = opts.notBefore ?? [undefined, ''];
    if (limit && d < limit) this.add('D09', field, `${field} is before ${what}`);
    return d;
  }

  person(idCode: string, field: string, ctx: RuleContext): string {
    const p = parsePersonalIdentityCode(idCode);
    if (!p.ok) this.add('D04', field, 'Invalid personal identity code');
    else if (ctx.environment === 'Test' && !p.value.isTestCode) this.add('D04', field, 'Only test identity codes (individual number 900–999) are accepted in the Test environment');
    else if (ctx.environment === 'Production' && p.value.isTestCode) this.add('D04', field, 'Test identity codes are not accepted in the Production environment');
    return idCode.toUpperCase();
  }
}

export function effectiveReportType(t: ReportType | undefined): Exclude<ReportType, 'Unknown'> {
  return t === undefined || t === 'Unknown' ? 'NewReport' : t;
}

export interface LoanKey {
  type: string;
  number: string;
}

function loanKey(c: Checker, loanNumber: LoanKey): LoanKey {
  c.text(loanNumber.number, 'loanNumber.number', 100);
  return { type: loanNumber.type, number: loanNumber.number };
}

/** The contract data of a loan as the register keeps it: the report's groups, amounts exact. */
export interface StoredContract {
  loanType: LoanType;
  contractDate: string;
  currencyCode?: string;
  isPeerToPeerLoanBroker?: boolean;
  lenderMarketingName?: string;
  oneTimeServiceFees?: number;
  isTransferredFromAnotherLender?: boolean;
  borrowersCount?: number;
  borrowers: { idCodeType: 'PersonalIdentityCode'; idCode: string; businessId?: string }[];
  guarantors?: { idCodeType: 'PersonalIdentityCode'; idCode: string }[];
  consumerCredit: { loanConsumerProtectionAct: string; isGoodsOrServicesRelatedCredit?: boolean };
  interest?: { totalInterestRatePct?: number; marginPct?: number; interestType?: string; interestDeterminationPeriod?: number };
  annualPercentageRate?: number;
  isLoanWithCollateral?: boolean;
  collaterals?: { collateralType: string }[];
  defermentPeriods?: { startDate: string; endDate: string }[];
  paymentPlan?: { isInDebtArrangement?: boolean; isInBusinessRestructuringProgram?: boolean };
  lumpSumLoan?: {
    amountIssued?: number; amountPaid?: number; balance?: number; amortizationFrequency?: number;
    repaymentMethod?: string; plannedFinalDueDate?: string; purposeOfUse?: string;
  };
  runningAccountLoan?: { creditLimit?: number; balance?: number; balanceDate?: string };
  leasingContract?: { contractPeriodStartDate?: string; contractPeriodEndDate?: string; monthlyInstalment?: number; transactionPrice?: number };
}

const BLOCK_OF: Record<LoanType, 'lumpSumLoan' | 'runningAccountLoan' | 'leasingContract'> = {
  LumpSumLoan: 'lumpSumLoan',
  GuaranteeReceivable: 'lumpSumLoan',
  RunningAccountLoan: 'runningAccountLoan',
  Leasing: 'leasingContract',
};

function omitUndefined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

/** AddLoans and UpdateLoans: one loan report. */
export function checkLoanReport(r: LoanReport, operation: 'AddLoans' | 'UpdateLoans', ctx: RuleContext): { problems: Problem[]; key: LoanKey; contract: StoredContract } {
  const c = new Checker();
  c.text(r.reportReference, 'reportReference', 100);
  const key = loanKey(c, r.loanNumber);
  const contractDate = c.date(r.contractDate, 'contractDate', ctx, { notFuture: true })!;

  // D11: the type block matches loanType.
  const block = BLOCK_OF[r.loanType];
  if (!r[block]) c.add('D11', block, `${r.loanType} needs the ${block} block`);
  for (const other of ['lumpSumLoan', 'runningAccountLoan', 'leasingContract'] as const) {
    if (other !== block && r[other]) c.add('D11', other, `A ${r.loanType} may not carry the ${other} block`);
  }

  if (r.currencyCode !== undefined && !CURRENCY_CODES.has(r.currencyCode)) c.add('D16', 'currencyCode', `Unknown currency code ${r.currencyCode}`);
  if (operation === 'AddLoans' && r.currencyCode === undefined) c.add('D24', 'currencyCode', 'currencyCode is required in AddLoans');
  c.text(r.lenderMarketingName, 'lenderMarketingName', 200);

  // Borrowers and guarantors (D04, D05, D19).
  if (r.borrowers.length === 0) c.add('D05', 'borrowers', 'At least one borrower must be listed');
  const seen = new Set<string>();
  const borrowers = r.borrowers.map((b, i) => {
    const idCode = c.person(b.idCode, `borrowers[${i}].idCode`, ctx);
    if (seen.has(idCode)) c.add('D05', `borrowers[${i}].idCode`, 'A borrower is listed twice');
    seen.add(idCode);
    if (b.businessId !== undefined && !isValidBusinessId(b.businessId)) c.add('D19', `borrowers[${i}].businessId`, 'Invalid Business ID');
    return omitUndefined({ idCodeType: 'PersonalIdentityCode' as const, idCode, businessId: b.businessId });
  });
  if (r.borrowersCount !== undefined && r.borrowersCount < Math.max(1, r.borrowers.length)) {
    c.add('D05', 'borrowersCount', r.borrowersCount < 1 ? 'borrowersCount must be at least 1' : 'borrowersCount is less than the number of borrowers listed');
  }
  const guarantorSeen = new Set<string>();
  const guarantors = r.guarantors?.map((g, i) => {
    const idCode = c.person(g.idCode, `guarantors[${i}].idCode`, ctx);
    if (guarantorSeen.has(idCode)) c.add('D05', `guarantors[${i}].idCode`, 'A guarantor is listed twice');
    guarantorSeen.add(idCode);
    return { idCodeType: 'PersonalIdentityCode' as const, idCode };
  });

  // D06, D07: the purpose of use fits the act, and GuaranteeReceivable is Kela's.
  const act = r.consumerCredit.loanConsumerProtectionAct;
  const purpose = r.lumpSumLoan?.purposeOfUse;
  if (act === 'Unknown') c.add('D06', 'consumerCredit.loanConsumerProtectionAct', 'loanConsumerProtectionAct must be known');
  else if (purpose) {
    const allowed = act === 'OtherThanConsumerCredit' ? NON_CONSUMER_PURPOSES_OF_USE : CONSUMER_PURPOSES_OF_USE;
    if (!allowed.includes(purpose)) c.add('D06', 'lumpSumLoan.purposeOfUse', `purposeOfUse ${purpose} does not fit ${act}`);
  }
  const isKela = ctx.lenderBusinessId === KELA_BUSINESS_ID;
  if (r.loanType === 'GuaranteeReceivable') {
    if (!isKela) c.add('D07', 'loanType', 'Only Kela reports GuaranteeReceivable');
    else if (purpose !== undefined && purpose !== 'GuaranteeReceivable') c.add('D07', 'lumpSumLoan.purposeOfUse', 'A GuaranteeReceivable has purposeOfUse GuaranteeReceivable');
  } else if (purpose === 'GuaranteeReceivable') {
    c.add('D07', 'lumpSumLoan.purposeOfUse', isKela ? 'purposeOfUse GuaranteeReceivable needs loanType GuaranteeReceivable' : 'Only Kela reports GuaranteeReceivable');
  }
  if (r.loanType !== 'GuaranteeReceivable' && !r.interest) c.add('D24', 'interest', 'interest is required except for GuaranteeReceivable');

  // D21: collateral consistency.
  const hasCollaterals = (r.collaterals?.length ?? 0) > 0;
  if (r.isLoanWithCollateral === true && !hasCollaterals) c.add('D21', 'collaterals', 'isLoanWithCollateral is true but no collateral type is given');
  if (r.isLoanWithCollateral !== true && hasCollaterals) c.add('D21', 'collaterals', 'Collaterals are given but isLoanWithCollateral is not true');

  // D18: periods.
  const defermentPeriods = r.defermentPeriods?.map((p, i) => {
    const startDate = c.date(p.startDate, `defermentPeriods[${i}].startDate`, ctx)!;
    const endDate = c.date(p.endDate, `defermentPeriods[${i}].endDate`, ctx)!;
    if (endDate < startDate) c.add('D18', `defermentPeriods[${i}].endDate`, 'endDate is before startDate');
    return { startDate, endDate };
  });

  const interest = r.interest
    ? omitUndefined({
        totalInterestRatePct: c.percentage(r.interest.totalInterestRatePct, 'interest.totalInterestRatePct'),
        marginPct: c.percentage(r.interest.marginPct, 'interest.marginPct'),
        interestType: r.interest.interestType,
        interestDeterminationPeriod: r.interest.interestDeterminationPeriod,
      })
    : undefined;

  let lumpSumLoan: StoredContract['lumpSumLoan'];
  if (r.lumpSumLoan) {
    const l = r.lumpSumLoan;
    const amountIssued = c.amount(l.amountIssued, 'lumpSumLoan.amountIssued');
    const amountPaid = c.amount(l.amountPaid, 'lumpSumLoan.amountPaid');
    if (amountIssued !== undefined && amountPaid !== undefined && toScaled(amountPaid, 2)! > toScaled(amountIssued, 2)!) {
      c.add('D02', 'lumpSumLoan.amountPaid', 'amountPaid may not be more than amountIssued');
    }
    if (l.amortizationFrequency !== undefined && l.amortizationFrequency < 0) c.add('D17', 'lumpSumLoan.amortizationFrequency', 'amortizationFrequency may not be negative');
    lumpSumLoan = omitUndefined({
      amountIssued,
      amountPaid,
      balance: c.amount(l.balance, 'lumpSumLoan.balance'),
      amortizationFrequency: l.amortizationFrequency,
      repaymentMethod: l.repaymentMethod,
      plannedFinalDueDate: c.date(l.plannedFinalDueDate, 'lumpSumLoan.plannedFinalDueDate', ctx, { notBefore: [contractDate, 'contractDate'] }),
      purposeOfUse: l.purposeOfUse,
    });
  }
  const runningAccountLoan = r.runningAccountLoan
    ? omitUndefined({
        creditLimit: c.amount(r.runningAccountLoan.creditLimit, 'runningAccountLoan.creditLimit'),
        balance: c.amount(r.runningAccountLoan.balance, 'runningAccountLoan.balance'),
        balanceDate: c.date(r.runningAccountLoan.balanceDate, 'runningAccountLoan.balanceDate', ctx, { notFuture: true }),
      })
    : undefined;
  let leasingContract: StoredContract['leasingContract'];
  if (r.leasingContract) {
    const lc = r.leasingContract;
    const start = c.date(lc.contractPeriodStartDate, 'leasingContract.contractPeriodStartDate', ctx);
    const end = c.date(lc.contractPeriodEndDate, 'leasingContract.contractPeriodEndDate', ctx);
    if (start && end && end < start) c.add('D18', 'leasingContract.contractPeriodEndDate', 'contractPeriodEndDate is before contractPeriodStartDate');
    const monthly = c.amount(lc.monthlyInstalment, 'leasingContract.monthlyInstalment');
    if (lc.monthlyInstalment === undefined || monthly === 0) c.add('D10', 'leasingContract.monthlyInstalment', 'Leasing monthlyInstalment must be greater than zero');
    leasingContract = omitUndefined({
      contractPeriodStartDate: start,
      contractPeriodEndDate: end,
      monthlyInstalment: monthly,
      transactionPrice: c.amount(lc.transactionPrice, 'leasingContract.transactionPrice'),
    });
  }

  const contract: StoredContract = omitUndefined({
    loanType: r.loanType,
    contractDate,
    currencyCode: r.currencyCode,
    isPeerToPeerLoanBroker: r.isPeerToPeerLoanBroker,
    lenderMarketingName: r.lenderMarketingName,
    oneTimeServiceFees: c.amount(r.oneTimeServiceFees, 'oneTimeServiceFees'),
    isTransferredFromAnotherLender: r.isTransferredFromAnotherLender,
    borrowersCount: r.borrowersCount,
    borrowers,
    guarantors,
    consumerCredit: omitUndefined({ ...r.consumerCredit }),
    interest,
    annualPercentageRate: c.percentage(r.annualPercentageRate, 'annualPercentageRate'),
    isLoanWithCollateral: r.isLoanWithCollateral,
    collaterals: r.collaterals?.map((x) => ({ collateralType: x.collateralType })),
    defermentPeriods,
    paymentPlan: r.paymentPlan ? omitUndefined({ ...r.paymentPlan }) : undefined,
    lumpSumLoan,
    runningAccountLoan,
    leasingContract,
  });
  return { problems: c.problems, key, contract };
}

/** A payment transaction as kept: identified by its loan and date. Amounts exact. */
export interface StoredTransaction {
  loanType: LoanType;
  paymentDate: string;
  balance?: number;
  amortizationPaid?: number;
  interestPaid?: number;
  otherExpenses?: number;
  creditLimit?: number;
  amountPaid?: number;
}

export function checkRepayment(r: RepaymentReport, ctx: RuleContext): { problems: Problem[]; key: LoanKey; transaction: StoredTransaction } {
  const c = new Checker();
  c.text(r.reportReference, 'reportReference', 100);
  const key = loanKey(c, r.loanNumber);
  const blocks = { lumpSumLoanRepayment: r.lumpSumLoanRepayment, runningAccountLoanRepayment: r.runningAccountLoanRepayment, leasingRepayment: r.leasingRepayment };
  const expected = r.loanType === 'RunningAccountLoan' ? 'runningAccountLoanRepayment' : r.loanType === 'Leasing' ? 'leasingRepayment' : 'lumpSumLoanRepayment';
  for (const [name, value] of Object.entries(blocks)) {
    if (name !== expected && value) c.add('D11', name, `A ${r.loanType} payment may not carry the ${name} block`);
  }
  const transaction: StoredTransaction = { loanType: r.loanType, paymentDate: '' };
  if (r.lumpSumLoanRepayment && expected === 'lumpSumLoanRepayment') {
    const b = r.lumpSumLoanRepayment;
    Object.assign(transaction, omitUndefined({
      paymentDate: c.date(b.paymentDate, 'lumpSumLoanRepayment.paymentDate', ctx, { notFuture: true }),
      balance: c.amount(b.balance, 'lumpSumLoanRepayment.balance'),
      amortizationPaid: c.amount(b.amortizationPaid, 'lumpSumLoanRepayment.amortizationPaid'),
      interestPaid: c.amount(b.interestPaid, 'lumpSumLoanRepayment.interestPaid'),
      otherExpenses: c.amount(b.otherExpenses, 'lumpSumLoanRepayment.otherExpenses'),
    }));
  } else if (r.runningAccountLoanRepayment && expected === 'runningAccountLoanRepayment') {
    const b = r.runningAccountLoanRepayment;
    Object.assign(transaction, omitUndefined({
      paymentDate: c.date(b.balanceDate, 'runningAccountLoanRepayment.balanceDate', ctx, { notFuture: true }),
      balance: c.amount(b.balance, 'runningAccountLoanRepayment.balance'),
      creditLimit: c.amount(b.creditLimit, 'runningAccountLoanRepayment.creditLimit'),
      interestPaid: c.amount(b.interestPaid, 'runningAccountLoanRepayment.interestPaid'),
      otherExpenses: c.amount(b.otherExpenses, 'runningAccountLoanRepayment.otherExpenses'),
    }));
  } else if (r.leasingRepayment && expected === 'leasingRepayment') {
    Object.assign(transaction, omitUndefined({
      paymentDate: c.date(r.leasingRepayment.paymentDate, 'leasingRepayment.paymentDate', ctx, { notFuture: true }),
      amountPaid: c.amount(r.leasingRepayment.amountPaid, 'leasingRepayment.amountPaid'),
    }));
  } else {
    c.add('D11', expected, `A ${r.loanType} payment needs the ${expected} block`);
  }
  return { problems: c.problems, key, transaction };
}

export interface StoredDelays {
  delayedAmounts: { delayedInstalment: number; originalDueDate: string }[];
  isForeclosed: boolean;
  foreclosureDate?: string;
}

function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

export function checkDelay(r: DelayedRepaymentReport, ctx: RuleContext): { problems: Problem[]; key: LoanKey; delays: StoredDelays } {
  const c = new Checker();
  c.text(r.reportReference, 'reportReference', 100);
  const key = loanKey(c, r.loanNumber);
  const delayedAmounts: StoredDelays['delayedAmounts'] = [];
  if (r.isDelay) {
    if (!r.delayedAmounts || r.delayedAmounts.length === 0) c.add('D24', 'delayedAmounts', 'delayedAmounts are required when isDelay is true');
    r.delayedAmounts?.forEach((d, i) => {
      const due = c.date(d.originalDueDate, `delayedAmounts[${i}].originalDueDate`, ctx, { notFuture: true })!;
      if (daysBetween(due, ctx.today) < DELAY_MIN_DAYS) c.add('D08', `delayedAmounts[${i}].originalDueDate`, `The instalment is less than ${DELAY_MIN_DAYS} days past its original due date`);
      const amount = c.amount(d.delayedInstalment, `delayedAmounts[${i}].delayedInstalment`, { positive: true });
      if (amount !== undefined) delayedAmounts.push({ delayedInstalment: amount, originalDueDate: due });
    });
  }
  if (r.isForeclosed && r.foreclosureDate === undefined) c.add('D24', 'foreclosureDate', 'foreclosureDate is required when isForeclosed is true');
  const foreclosureDate = c.date(r.foreclosureDate, 'foreclosureDate', ctx, { notFuture: true });
  return { problems: c.problems, key, delays: omitUndefined({ delayedAmounts, isForeclosed: r.isForeclosed === true, foreclosureDate: r.isForeclosed ? foreclosureDate : undefined }) };
}

export function checkTermination(r: TerminationReport, ctx: RuleContext): { problems: Problem[]; key: LoanKey; endDate: string; transferred: boolean } {
  const c = new Checker();
  c.text(r.reportReference, 'reportReference', 100);
  const key = loanKey(c, r.loanNumber);
  const endDate = c.date(r.termination.endDate, 'termination.endDate', ctx, { notFuture: true })!;
  return { problems: c.problems, key, endDate, transferred: r.termination.isTransferredToAnotherLender === true };
}

/** D09 for payments and delays, D15 for endings: dates against the stored loan's contract date. */
export function checkAgainstContractDate(contractDate: string, date: string | undefined, field: string, code: 'D09' | 'D15'): Problem | undefined {
  if (!date || date >= contractDate) return undefined;
  return { fieldName: field, errorCode: code, errorDescription: code === 'D15' ? 'endDate is before contractDate' : `${field} is before the contract date` };
}
