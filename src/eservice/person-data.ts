/**
 * What the e-service shows a person, read through the register's own read models (the extract's
 * reading of a person's loans, without logging an extract: the person is looking at their own
 * data), for the person of the session only: nothing here takes another identifier.
 */
import { organisationNames } from '../access/organisations.ts';
import { scaledToText, toScaled } from '../common/decimal.ts';
import type { Queryable } from '../db/database.ts';
import { extractLoan } from '../extract/content.ts';
import { readExtractData } from '../extract/store.ts';
import type { LoanRow } from './views.ts';

const text = (v: unknown): string | null => (v === undefined || v === null ? null : String(v));

/** The person's active loans as a borrower, and the balance per currency (exact: cents). */
export async function personLoans(db: Queryable, person: string, today: string): Promise<{ loans: LoanRow[]; totals: { currencyCode: string; balance: string }[] }> {
  const data = (await readExtractData(db, [person], today)).get(person);
  const borrowed = (data?.loans ?? []).filter((l) => l.role === 'borrower');
  const names = await organisationNames(db, borrowed.map((l) => l.lenderId));
  const sums = new Map<string, bigint>();
  const loans = borrowed.map((l) => {
    const e = extractLoan(l, person, today) as Record<string, Record<string, unknown> | undefined> & { delayedAmounts?: { delayedInstalment: number }[] };
    const balance = text(e.lumpSumLoan?.balance ?? e.runningAccountLoan?.balance);
    if (balance !== null) sums.set(l.currencyCode, (sums.get(l.currencyCode) ?? 0n) + toScaled(balance, 2)!);
    const delayed = (e.delayedAmounts ?? []).reduce((s, d) => s + toScaled(d.delayedInstalment, 2)!, 0n);
    return {
      lender: names.get(l.lenderId) ?? '',
      loanType: l.loanType,
      contractDate: l.contractDate,
      currencyCode: l.currencyCode,
      amountIssued: text(e.lumpSumLoan?.amountIssued),
      balance,
      creditLimit: text(e.runningAccountLoan?.creditLimit),
      delayed: (e.delayedAmounts ?? []).length > 0 ? scaledToText(delayed, 2) : null,
    };
  });
  return { loans, totals: [...sums].sort(([a], [b]) => a.localeCompare(b)).map(([currencyCode, cents]) => ({ currencyCode, balance: scaledToText(cents, 2) })) };
}
