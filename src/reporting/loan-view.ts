/** A loan as the register holds it now: the shape GetLoan answers with (and the extract builds on). */
import type { TSchema } from '@sinclair/typebox';
import type { LoanState } from './apply.ts';
import type { StoredContract, StoredTransaction } from './rules.ts';
import { LoanReport } from './schemas.ts';

/**
 * JSON read back from jsonb has PostgreSQL's key order (by length); answers use the order of
 * the API schema, as a lender's developer reads it in the reference. Keys the schema does not
 * name follow in their own order.
 */
export function inSchemaOrder<T>(value: T, schema: TSchema): T {
  return orderer(schema)(value) as T;
}

type Orderer = (value: unknown) => unknown;
const orderers = new WeakMap<TSchema, Orderer>();

/**
 * The ordering function of a schema, made once per schema: its keys and the orderers of their
 * schemas are looked up once, not on every value (an extract orders every loan it shows).
 */
function orderer(schema: TSchema): Orderer {
  let order = orderers.get(schema);
  if (order) return order;
  const props = schema.properties as Record<string, TSchema> | undefined;
  const keys = props ? Object.keys(props) : [];
  const children: Orderer[] = [];
  const items = schema.items as TSchema | undefined;
  order = (value) => {
    if (Array.isArray(value)) return items ? value.map(orderer(items)) : value;
    if (!value || typeof value !== 'object' || !props) return value;
    const v = value as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    let named = 0;
    for (let i = 0; i < keys.length; i++) {
      const field = v[keys[i]!];
      if (field === undefined) continue;
      out[keys[i]!] = (children[i] ??= orderer(props[keys[i]!]!))(field);
      named++;
    }
    // Keys the schema does not name (or names with an undefined value) keep their order after the named ones.
    if (named !== Object.keys(v).length) for (const key of Object.keys(v)) if (!(key in out)) out[key] = v[key];
    return out;
  };
  orderers.set(schema, order);
  return order;
}

export function canonicalContract(c: StoredContract): StoredContract {
  return inSchemaOrder(c, LoanReport);
}

/** A loan as GetLoan and extracts read it: its state, with its latest transaction and last report time. */
export type LoanViewRow = Omit<LoanState, 'id' | 'lenderId' | 'dirty' | 'partiesChanged'> & {
  lastPayment: StoredTransaction | null;
  lastReportAt: Date;
};

/** Columns of a loan row `l` for loanView(): the latest transaction and the latest accepted report come from their tables. */
export const LOAN_VIEW_COLUMNS = `l.loan_number_type AS "loanNumberType", l.loan_number AS "loanNumber", l.loan_type AS "loanType", l.currency_code AS "currencyCode",
  l.contract_date AS "contractDate", l.status, l.end_date AS "endDate", l.transferred_to_another_lender AS "transferredToAnotherLender",
  l.contract, l.delays,
  (SELECT p.data FROM payments p WHERE p.loan_id = l.id ORDER BY p.payment_date DESC LIMIT 1) AS "lastPayment",
  (SELECT max(b.received_at) FROM reports r JOIN batches b ON b.id = r.batch_id WHERE r.loan_id = l.id AND r.status = 'accepted') AS "lastReportAt"`;

/** The latest transaction: its date and the three paid amounts (leasing: the amount paid). */
export function repaymentsPaidLast(t: StoredTransaction | null) {
  if (!t) return undefined;
  if (t.loanType === 'Leasing') return { paymentDate: t.paymentDate, amountPaid: t.amountPaid ?? 0 };
  return { paymentDate: t.paymentDate, amortizationPaid: t.amortizationPaid ?? 0, interestPaid: t.interestPaid ?? 0, otherExpenses: t.otherExpenses ?? 0 };
}

/** The type block with its current amounts: the latest transaction's balance (and credit limit) supersede the contract's. */
export function currentBlocks(contract: StoredContract, t: StoredTransaction | null): Pick<StoredContract, 'lumpSumLoan' | 'runningAccountLoan' | 'leasingContract'> {
  const out: Pick<StoredContract, 'lumpSumLoan' | 'runningAccountLoan' | 'leasingContract'> = {};
  if (contract.lumpSumLoan) out.lumpSumLoan = { ...contract.lumpSumLoan, ...(t?.balance !== undefined ? { balance: t.balance } : {}) };
  if (contract.runningAccountLoan) {
    out.runningAccountLoan = {
      ...contract.runningAccountLoan,
      ...(t?.balance !== undefined ? { balance: t.balance, balanceDate: t.paymentDate } : {}),
      ...(t?.creditLimit !== undefined ? { creditLimit: t.creditLimit } : {}),
    };
  }
  if (contract.leasingContract) out.leasingContract = { ...contract.leasingContract };
  return out;
}

export function loanView(row: LoanViewRow) {
  const contract = canonicalContract(row.contract);
  const { loanType: _t, contractDate: _d, currencyCode: _c, lumpSumLoan: _l, runningAccountLoan: _r, leasingContract: _x, ...groups } = contract;
  const active = row.status === 'Active';
  return {
    loanNumber: { type: row.loanNumberType, number: row.loanNumber },
    loanType: row.loanType,
    contractDate: row.contractDate,
    currencyCode: row.currencyCode,
    ...groups,
    ...currentBlocks(contract, row.lastPayment),
    loanStatus: active ? 'Active' : 'Ended',
    ...(row.endDate ? { endDate: row.endDate } : {}),
    ...(row.transferredToAnotherLender ? { isTransferredToAnotherLender: true } : {}),
    delayedAmounts: active ? row.delays.delayedAmounts : [],
    isForeclosed: row.delays.isForeclosed,
    ...(row.delays.foreclosureDate ? { foreclosureDate: row.delays.foreclosureDate } : {}),
    ...(row.lastPayment ? { repaymentsPaidLast: repaymentsPaidLast(row.lastPayment) } : {}),
    lastReportTimeUtc: row.lastReportAt.toISOString(),
  };
}
