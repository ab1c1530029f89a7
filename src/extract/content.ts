/**
 * What a credit register extract contains (extract.md "Response"), as pure functions of the
 * data read for one person: the loans and guaranteed loans, the summary with exact
 * per-currency sums, the income window, the ban in force, a known death.
 */
import { scaledToText, toScaled } from '../common/decimal.ts';
import type { StoredContract, StoredDelays, StoredTransaction } from '../reporting/rules.ts';
import { canonicalContract, currentBlocks, repaymentsPaidLast } from '../reporting/loan-view.ts';

export interface PartyLoan {
  role: 'borrower' | 'guarantor';
  lenderId: number;
  loanType: string;
  contractDate: string;
  currencyCode: string;
  contract: StoredContract;
  delays: StoredDelays;
  lastPayment: StoredTransaction | null;
}

export interface IncomeMonth {
  year: number;
  month: number;
  wagesGrossAmount: number;
  wagesNetAmount: number;
  benefitsGrossAmount: number;
  benefitsNetAmount: number;
  accuracyDenied: boolean;
}

export interface BanInForce {
  reason: string;
  startDate: string;
  endDate: string | null;
}

export interface ExtractData {
  loans: PartyLoan[];
  income: IncomeMonth[];
  ban: BanInForce | null;
  dateOfDeath: string | null;
}

export interface ExtractRequest {
  person: string;
  purposes: string[];
  owner: { idCodeType: string; idCode: string; countryCode?: string };
  lenderReference?: string;
}

/** The twelve full calendar months before the month of `today` (yyyy-MM-dd), as month numbers year*12+month-1. */
export function incomeWindow(today: string): { first: number; last: number } {
  const year = Number(today.slice(0, 4));
  const month = Number(today.slice(5, 7));
  const current = year * 12 + (month - 1);
  return { first: current - 12, last: current - 1 };
}

export const monthIndex = (year: number, month: number) => year * 12 + (month - 1);

const BLOCK_FIELDS = {
  lumpSumLoan: ['amountIssued', 'amountPaid', 'balance', 'plannedFinalDueDate', 'amortizationFrequency', 'repaymentMethod', 'purposeOfUse'],
  runningAccountLoan: ['creditLimit', 'balance', 'balanceDate'],
  leasingContract: ['contractPeriodStartDate', 'contractPeriodEndDate', 'monthlyInstalment'],
} as const;

function pick<T extends object>(o: T | undefined, keys: readonly string[]): Partial<T> | undefined {
  if (!o) return undefined;
  const out: Record<string, unknown> = {};
  for (const k of keys) if ((o as Record<string, unknown>)[k] !== undefined) out[k] = (o as Record<string, unknown>)[k];
  return out as Partial<T>;
}

/** One loan as the extract shows it: no lender, no loan number; current amounts; current and future deferments only. */
export function extractLoan(l: PartyLoan, person: string, today: string) {
  const c = canonicalContract(l.contract);
  const blocks = currentBlocks(c, l.lastPayment);
  const business = c.borrowers.find((b) => b.idCode === person)?.businessId;
  const out: Record<string, unknown> = {
    loanType: l.loanType,
    contractDate: l.contractDate,
    borrowersCount: c.borrowersCount ?? c.borrowers.length,
    currencyCode: l.currencyCode,
    consumerCredit: c.consumerCredit,
    isLoanWithCollateral: c.isLoanWithCollateral ?? false,
    collaterals: c.collaterals ?? [],
    ...(c.interest ? { interest: c.interest } : {}),
    defermentPeriods: (c.defermentPeriods ?? []).filter((p) => p.endDate >= today),
    ...(c.paymentPlan ? { paymentPlan: c.paymentPlan } : {}),
  };
  for (const block of Object.keys(BLOCK_FIELDS) as (keyof typeof BLOCK_FIELDS)[]) {
    const value = pick(blocks[block], BLOCK_FIELDS[block]);
    if (value) out[block] = value;
  }
  const paid = repaymentsPaidLast(l.lastPayment);
  if (paid) out.repaymentsPaidLast = paid;
  out.delayedAmounts = l.delays.delayedAmounts;
  out.isForeclosed = l.delays.isForeclosed;
  if (l.delays.foreclosureDate) out.foreclosureDate = l.delays.foreclosureDate;
  if (business) out.businessInformation = { borrowerBusinessId: business };
  return out;
}

/** The paid amount of a loan's latest transaction, in cents: amortisation + interest + other costs (leasing: the amount paid). */
export function latestPaidCents(t: StoredTransaction | null): bigint {
  if (!t) return 0n;
  const parts = t.loanType === 'Leasing' ? [t.amountPaid] : [t.amortizationPaid, t.interestPaid, t.otherExpenses];
  return parts.reduce<bigint>((sum, v) => sum + (v === undefined ? 0n : toScaled(v, 2)!), 0n);
}

function perCurrency(entries: [string, bigint][]): { currencyCode: string; sum: number }[] {
  const sums = new Map<string, bigint>();
  for (const [currency, cents] of entries) sums.set(currency, (sums.get(currency) ?? 0n) + cents);
  return [...sums.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([currencyCode, cents]) => ({ currencyCode, sum: Number(scaledToText(cents, 2)) }));
}

export function creditInformationSummary(loans: PartyLoan[], guaranteed: PartyLoan[]) {
  return {
    lendersCount: new Set(loans.map((l) => l.lenderId)).size,
    loanContractsCount: loans.length,
    guaranteedLoanContractsCount: guaranteed.length,
    repaymentsPaidLastAmount: perCurrency(loans.filter((l) => l.lastPayment).map((l) => [l.currencyCode, latestPaidCents(l.lastPayment)])),
    sumOfMonthlyLeasingInstalments: perCurrency(
      loans.filter((l) => l.loanType === 'Leasing' && l.contract.leasingContract?.monthlyInstalment !== undefined)
        .map((l) => [l.currencyCode, toScaled(l.contract.leasingContract!.monthlyInstalment!, 2)!]),
    ),
  };
}

/** The income months an extract of `today` shows: the window's months held, oldest first (`accuracyDenied` only where true). */
export function extractIncome(income: IncomeMonth[], today: string) {
  const window = incomeWindow(today);
  return income
    .filter((m) => monthIndex(m.year, m.month) >= window.first && monthIndex(m.year, m.month) <= window.last)
    .sort((a, b) => monthIndex(a.year, a.month) - monthIndex(b.year, b.month))
    .map(({ accuracyDenied, ...m }) => ({ ...m, ...(accuracyDenied ? { accuracyDenied: true } : {}) }));
}

export function buildExtract(data: ExtractData, request: ExtractRequest, meta: { extractReference: string; createdAt: Date; today: string }) {
  const borrowerLoans = data.loans.filter((l) => l.role === 'borrower');
  const guaranteed = data.loans.filter((l) => l.role === 'guarantor');
  const income = extractIncome(data.income, meta.today);
  return {
    extractReference: meta.extractReference,
    creationTimeUtc: meta.createdAt.toISOString(),
    personRequested: { idCodeType: 'PersonalIdentityCode', idCode: request.person },
    owner: request.owner,
    creditRegisterExtractPurpose: request.purposes,
    ...(request.lenderReference !== undefined ? { lenderReference: request.lenderReference } : {}),
    ...(data.dateOfDeath ? { deceasedPerson: { dateOfDeath: data.dateOfDeath } } : {}),
    ...(data.ban ? { voluntaryBanOnCredits: { isInEffect: true, reason: data.ban.reason, startDate: data.ban.startDate, endDate: data.ban.endDate } } : {}),
    creditInformationSummary: creditInformationSummary(borrowerLoans, guaranteed),
    loans: borrowerLoans.map((l) => extractLoan(l, request.person, meta.today)),
    guaranteedLoans: guaranteed.map((l) => extractLoan(l, request.person, meta.today)),
    incomeData: income,
  };
}
