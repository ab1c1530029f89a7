/**
 * What the e-service shows a person, read through the register's own read models (the extract's
 * reading of a person's loans, without logging an extract: the person is looking at their own
 * data), for the person of the session only: nothing here takes another identifier.
 */
import { organisationNames } from '../access/organisations.ts';
import { scaledToText, toScaled } from '../common/decimal.ts';
import type { Queryable } from '../db/database.ts';
import { extractLoan } from '../extract/content.ts';
import { extractContentFor, extractsAbout, readExtractData, type ExtractLogEntry } from '../extract/store.ts';
import type { AskedRow, LoanRow } from './views.ts';

/** Entries of "Who has asked" a page. */
export const ASKED_PAGE = 20;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const helsinki = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Helsinki', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });
const asked = (e: ExtractLogEntry): AskedRow => ({ extractReference: e.extractReference, when: helsinki.format(e.createdAt), lender: e.lender, purposes: e.purposes });

/**
 * The extracts about the person, a page from after `before` (the previous page's last entry's
 * reference, as the page's link carries it; anything that is not a reference is the first page).
 */
export async function personExtracts(db: Queryable, person: string, before?: string): Promise<{ rows: AskedRow[]; older: string | null }> {
  const entries = await extractsAbout(db, person, ASKED_PAGE + 1, before && UUID.test(before) ? before : undefined);
  const shown = entries.slice(0, ASKED_PAGE);
  const last = shown.at(-1);
  return { rows: shown.map(asked), older: entries.length > ASKED_PAGE && last ? last.extractReference : null };
}

/** One extract about the person, as the lender received it; undefined for another person's. */
export async function personExtract(db: Queryable, person: string, reference: string): Promise<{ row: AskedRow; content: string } | undefined> {
  if (!UUID.test(reference)) return undefined;
  const e = await extractContentFor(db, person, reference);
  return e ? { row: asked(e), content: e.content } : undefined;
}

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
