/**
 * Applying a batch's reports, in their order, to the loans they concern: the rules that need
 * the stored loan (D01, D03, D09, D13, D14, D15, D20, D22, D23) and the resulting new state.
 * Works on state loaded beforehand and returns every change, so that the processor reads and
 * writes a whole batch in a handful of SQL statements. No I/O here.
 */
import type { Problem, RuleContext, StoredContract, StoredDelays, StoredTransaction } from './rules.ts';
import { checkAgainstContractDate, checkDelay, checkLoanReport, checkRepayment, checkTermination, effectiveReportType } from './rules.ts';
import type { BatchOperation, DelayedRepaymentReport, LoanReport, RepaymentReport, TerminationReport } from './schemas.ts';

export interface LoanState {
  /** Database id; undefined for a loan added in this batch. */
  id?: number;
  lenderId: number;
  loanNumberType: string;
  loanNumber: string;
  loanType: string;
  currencyCode: string;
  contractDate: string;
  status: 'Active' | 'Ended' | 'Cancelled';
  endDate: string | null;
  transferredToAnotherLender: boolean;
  contract: StoredContract;
  delays: StoredDelays;
  /** Set when this batch changed the loan; partiesChanged when its borrowers or guarantors changed. */
  dirty?: boolean;
  partiesChanged?: boolean;
}

export interface PaymentChange {
  loan: LoanState;
  paymentDate: string;
  /** The new transaction, or null to remove it. */
  data: StoredTransaction | null;
}

export interface ReportOutcome {
  seq: number;
  status: 'accepted' | 'rejected';
  errors: Problem[] | null;
  reportType: string;
  loan?: LoanState;
  eventDate: string | null;
}

export interface BatchInput {
  operation: BatchOperation;
  lenderId: number;
  reports: { seq: number; payload: unknown }[];
  /** This lender's loans with the batch's loan numbers. */
  loans: Map<string, LoanState>;
  /** Other lenders' ended, transferred loans with the batch's loan numbers (transfer candidates). */
  transferable: Map<string, LoanState>;
  /** Which (loan id, payment date) transactions exist already. */
  existingPayments: Set<string>;
  /**
   * The reportReferences that appear more than once in the whole batch (D20). Absent: counted
   * from `reports`; given when the batch is applied a report at a time (the processor's
   * isolation of a failing batch), so that each report is judged as in the whole batch.
   */
  duplicateReferences?: ReadonlySet<string>;
}

/** The reportReferences that appear more than once among the reports (D20). */
export function duplicateReferences(reports: readonly { payload: unknown }[]): Set<string> {
  const seen = new Set<string>();
  const twice = new Set<string>();
  for (const { payload } of reports) {
    const ref = (payload as { reportReference: string }).reportReference;
    if (seen.has(ref)) twice.add(ref);
    else seen.add(ref);
  }
  return twice;
}

export interface BatchResult {
  outcomes: ReportOutcome[];
  /** Loans this batch created or changed. */
  changed: LoanState[];
  payments: PaymentChange[];
}

const paymentKey = (loan: LoanState, date: string) => `${loan.id ?? `new:${loan.loanNumber}`}|${date}`;

function reject(seq: number, reportType: string, errors: Problem[]): ReportOutcome {
  return { seq, status: 'rejected', errors, reportType, eventDate: null };
}

const problem = (errorCode: Problem['errorCode'], errorDescription: string, fieldName?: string): Problem => ({ ...(fieldName ? { fieldName } : {}), errorCode, errorDescription });

function sameBorrowers(a: StoredContract, b: StoredContract): boolean {
  const x = a.borrowers.map((p) => p.idCode).sort();
  const y = b.borrowers.map((p) => p.idCode).sort();
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

export function applyBatch(input: BatchInput, ctx: RuleContext): BatchResult {
  const outcomes: ReportOutcome[] = [];
  const changed = new Set<LoanState>();
  const payments = new Map<string, PaymentChange>();
  const paymentExists = (loan: LoanState, date: string) => {
    const pending = payments.get(paymentKey(loan, date));
    if (pending) return pending.data !== null;
    return loan.id !== undefined && input.existingPayments.has(`${loan.id}|${date}`);
  };
  const touch = (loan: LoanState) => {
    loan.dirty = true;
    changed.add(loan);
  };
  const duplicated = input.duplicateReferences ?? duplicateReferences(input.reports);

  for (const { seq, payload } of input.reports) {
    const reportType = effectiveReportType((payload as { reportType?: 'NewReport' }).reportType);
    const duplicate = duplicated.has((payload as { reportReference: string }).reportReference)
      ? [problem('D20', 'reportReference appears twice in the batch', 'reportReference')]
      : [];

    /** Records the report as rejected when there are problems; tells whether it did. */
    const refuse = (errors: Problem[]): boolean => {
      if (errors.length === 0) return false;
      outcomes.push(reject(seq, reportType, errors));
      return true;
    };

    /** The stored loan a change report is about: D03 when absent (another lender's loan is absent too), D13 when ended. */
    const existingLoan = (number: string, allowEnded: boolean): LoanState | Problem => {
      const loan = input.loans.get(number);
      if (!loan || loan.status === 'Cancelled') return problem('D03', 'No such loan for this lender', 'loanNumber');
      if (loan.status === 'Ended' && !allowEnded) return problem('D13', 'The loan has ended; it can no longer be changed', 'loanNumber');
      return loan;
    };

    switch (input.operation) {
      case 'AddLoans':
      case 'UpdateLoans': {
        const r = payload as LoanReport;
        const { problems, key, contract } = checkLoanReport(r, input.operation, ctx);
        if (refuse([...duplicate, ...problems])) continue;
        if (input.operation === 'AddLoans') {
          const own = input.loans.get(key.number);
          if (own && own.status !== 'Cancelled') {
            outcomes.push(reject(seq, reportType, [problem('D01', 'Loan number already exists for this lender', 'loanNumber')]));
            continue;
          }
          let loan: LoanState;
          const candidate = input.transferable.get(key.number);
          if (r.isTransferredFromAnotherLender && candidate) {
            if (candidate.status !== 'Ended' || !candidate.transferredToAnotherLender || !sameBorrowers(candidate.contract, contract)) {
              outcomes.push(reject(seq, reportType, [problem('D14', 'Transfer conditions not met: the stored loan must have ended as transferred, with the same borrowers', 'isTransferredFromAnotherLender')]));
              continue;
            }
            // The loan lives on under the new lender, with its history.
            loan = candidate;
            input.transferable.delete(key.number);
            loan.lenderId = input.lenderId;
            loan.partiesChanged = true;
          } else if (own) {
            loan = own; // a cancelled loan number reported again: it starts anew
            loan.partiesChanged = true;
          } else {
            loan = {
              lenderId: input.lenderId, loanNumberType: key.type, loanNumber: key.number, loanType: r.loanType,
              currencyCode: contract.currencyCode!, contractDate: contract.contractDate, status: 'Active', endDate: null,
              transferredToAnotherLender: false, contract, delays: { delayedAmounts: [], isForeclosed: false }, partiesChanged: true,
            };
          }
          Object.assign(loan, {
            loanNumberType: key.type, loanType: r.loanType, currencyCode: contract.currencyCode!, contractDate: contract.contractDate,
            status: 'Active', endDate: null, transferredToAnotherLender: false, contract,
          });
          input.loans.set(key.number, loan);
          touch(loan);
          outcomes.push({ seq, status: 'accepted', errors: null, reportType, loan, eventDate: contract.contractDate });
          continue;
        }
        // UpdateLoans
        const found = existingLoan(key.number, false);
        if ('errorCode' in found) {
          refuse([found]);
          continue;
        }
        if (reportType === 'Cancellation') {
          found.status = 'Cancelled';
        } else {
          const before = found.contract;
          contract.currencyCode ??= before.currencyCode;
          found.contract = contract;
          found.loanType = contract.loanType;
          found.contractDate = contract.contractDate;
          found.currencyCode = contract.currencyCode ?? found.currencyCode;
          found.partiesChanged = true;
        }
        touch(found);
        outcomes.push({ seq, status: 'accepted', errors: null, reportType, loan: found, eventDate: null });
        continue;
      }
      case 'Repayments': {
        const r = payload as RepaymentReport;
        const { problems, key, transaction } = checkRepayment(r, ctx);
        if (refuse([...duplicate, ...problems])) continue;
        const found = existingLoan(key.number, false);
        if ('errorCode' in found) {
          refuse([found]);
          continue;
        }
        const errors: Problem[] = [];
        if (found.loanType !== r.loanType) errors.push(problem('D22', `The loan is a ${found.loanType}, not a ${r.loanType}`, 'loanType'));
        const early = checkAgainstContractDate(found.contractDate, transaction.paymentDate, 'paymentDate', 'D09');
        if (early) errors.push(early);
        if (reportType !== 'NewReport' && !paymentExists(found, transaction.paymentDate)) {
          errors.push(problem('D23', `No transaction of this loan on ${transaction.paymentDate} to ${reportType === 'Cancellation' ? 'cancel' : 'correct'}`, 'paymentDate'));
        }
        if (refuse(errors)) continue;
        // A payment changes the loan's transactions only, never its row.
        payments.set(paymentKey(found, transaction.paymentDate), { loan: found, paymentDate: transaction.paymentDate, data: reportType === 'Cancellation' ? null : transaction });
        outcomes.push({ seq, status: 'accepted', errors: null, reportType, loan: found, eventDate: transaction.paymentDate });
        continue;
      }
      case 'DelayedRepayments': {
        const r = payload as DelayedRepaymentReport;
        const { problems, key, delays } = checkDelay(r, ctx);
        if (refuse([...duplicate, ...problems])) continue;
        const found = existingLoan(key.number, false);
        if ('errorCode' in found) {
          refuse([found]);
          continue;
        }
        const errors = delays.delayedAmounts
          .map((d, i) => checkAgainstContractDate(found.contractDate, d.originalDueDate, `delayedAmounts[${i}].originalDueDate`, 'D09'))
          .filter((p): p is Problem => p !== undefined);
        const early = checkAgainstContractDate(found.contractDate, delays.foreclosureDate, 'foreclosureDate', 'D09');
        if (early) errors.push(early);
        if (refuse(errors)) continue;
        found.delays = reportType === 'Cancellation' ? { delayedAmounts: [], isForeclosed: false } : delays;
        touch(found);
        const eventDate = delays.foreclosureDate ?? delays.delayedAmounts.map((d) => d.originalDueDate).sort().at(-1) ?? null;
        outcomes.push({ seq, status: 'accepted', errors: null, reportType, loan: found, eventDate });
        continue;
      }
      case 'TerminateLoans': {
        const r = payload as TerminationReport;
        const { problems, key, endDate, transferred } = checkTermination(r, ctx);
        if (refuse([...duplicate, ...problems])) continue;
        const found = existingLoan(key.number, reportType !== 'NewReport');
        if ('errorCode' in found) {
          refuse([found]);
          continue;
        }
        if (reportType === 'Cancellation') {
          if (found.status !== 'Ended') {
            outcomes.push(reject(seq, reportType, [problem('D23', 'The loan has no termination to cancel', 'loanNumber')]));
            continue;
          }
          Object.assign(found, { status: 'Active', endDate: null, transferredToAnotherLender: false });
        } else {
          const early = checkAgainstContractDate(found.contractDate, endDate, 'termination.endDate', 'D15');
          if (early) {
            outcomes.push(reject(seq, reportType, [early]));
            continue;
          }
          Object.assign(found, { status: 'Ended', endDate, transferredToAnotherLender: transferred });
        }
        touch(found);
        outcomes.push({ seq, status: 'accepted', errors: null, reportType, loan: found, eventDate: endDate });
        continue;
      }
    }
  }
  return { outcomes, changed: [...changed], payments: [...payments.values()] };
}
