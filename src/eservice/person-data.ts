/**
 * What the e-service shows a person, read through the register's own read models (the extract's
 * reading of a person's loans, without logging an extract: the person is looking at their own
 * data; the extract, authority and ban logs), for the person of the session only: nothing here
 * takes another identifier, and a cursor naming another person's entry finds nothing.
 */
import { recordPersonAction } from '../audit/audit.ts';
import { disclosuresAbout, type DisclosureEntry } from '../authority/store.ts';
import { banDeliveriesAbout } from '../bans/store.ts';
import { scaledToText, toScaled } from '../common/decimal.ts';
import type { Queryable } from '../db/database.ts';
import { extractIncome, extractLoan, type PartyLoan } from '../extract/content.ts';
import { findPerson, setNotifications } from '../extract/persons.ts';
import { extractContentFor, extractsAbout, incomeOf, partyLoansOf, type ExtractLogEntry } from '../extract/store.ts';
import type { AskedRow, AuthorityRow, CompanyRow, GuaranteeRow, IncomeRow, LoanRow } from './views.ts';

/** Entries of each list of "Who has asked" a page. */
export const ASKED_PAGE = 20;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const helsinki = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Helsinki', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });
const asked = (e: ExtractLogEntry): AskedRow => ({ extractReference: e.extractReference, when: helsinki.format(e.createdAt), lender: e.lender, purposes: e.purposes });

/** One page of a newest-first list: its rows, and the cursor of the next (older) page if there is one. */
export interface Listing<T> {
  rows: T[];
  older: string | null;
}

async function listing<E, T>(read: (limit: number) => Promise<E[]>, cursor: (e: E) => string, row: (e: E) => T): Promise<Listing<T>> {
  const entries = await read(ASKED_PAGE + 1);
  const shown = entries.slice(0, ASKED_PAGE);
  const last = shown.at(-1);
  return { rows: shown.map(row), older: entries.length > ASKED_PAGE && last !== undefined ? cursor(last) : null };
}

/** An authority's delivery as a row of the list; a snapshot (every loan in the authority's scope, the person's among them) with its day, which the page names in the person's language. */
function authorityRow(e: DisclosureEntry): AuthorityRow {
  return {
    when: helsinki.format(e.disclosedAt), authority: e.authority, legalBasis: e.legalBasis ?? '', caseReference: e.caseReference ?? '',
    snapshotDay: e.kind === 'PersonLoans' ? null : e.snapshotDay,
  };
}

/** The cursors of the three lists of "Who has asked" (anything that is not a cursor is the first page). */
export interface AskedCursors {
  extracts?: string;
  authorities?: string;
  companies?: string;
}

/** Who has asked: the extracts, the authorities' deliveries and the ban's deliveries to credit information companies. */
export async function personAsked(db: Queryable, person: string, c: AskedCursors): Promise<{ extracts: Listing<AskedRow>; authorities: Listing<AuthorityRow>; companies: Listing<CompanyRow> }> {
  const uuid = (s?: string) => (s && UUID.test(s) ? s : undefined);
  const [extracts, authorities, companies] = await Promise.all([
    listing((n) => extractsAbout(db, person, n, uuid(c.extracts)), (e) => e.extractReference, asked),
    listing((n) => disclosuresAbout(db, person, n, uuid(c.authorities)), (e) => e.deliveryId, authorityRow),
    listing((n) => banDeliveriesAbout(db, person, n, c.companies), (e) => e.cursor,
      (e): CompanyRow => ({ when: helsinki.format(e.deliveredAt), company: e.company, change: e.change })),
  ]);
  return { extracts, authorities, companies };
}

/** One extract about the person, as the lender received it; undefined for another person's. */
export async function personExtract(db: Queryable, person: string, reference: string): Promise<{ row: AskedRow; content: string } | undefined> {
  if (!UUID.test(reference)) return undefined;
  const e = await extractContentFor(db, person, reference);
  return e ? { row: asked(e), content: e.content } : undefined;
}

const text = (v: unknown): string | null => (v === undefined || v === null ? null : String(v));
type Block = Record<string, unknown> | undefined;

/** A loan as the extract shows it (extract/content.ts), for a page: the values as the lender reported them, null where left out. */
function shownLoan(l: PartyLoan, person: string, today: string, lender: string): LoanRow {
  const e = extractLoan(l, person, today) as Record<string, unknown> & {
    lumpSumLoan?: Block; runningAccountLoan?: Block; leasingContract?: Block; interest?: Block; paymentPlan?: Block;
    delayedAmounts: { delayedInstalment: number; originalDueDate: string }[]; defermentPeriods: { startDate: string; endDate: string }[];
  };
  const balance = text(e.lumpSumLoan?.balance ?? e.runningAccountLoan?.balance);
  const delayed = e.delayedAmounts.reduce((s, d) => s + toScaled(d.delayedInstalment, 2)!, 0n);
  return {
    lender,
    loanType: l.loanType,
    contractDate: l.contractDate,
    currencyCode: l.currencyCode,
    borrowersCount: Number(e.borrowersCount),
    amountIssued: text(e.lumpSumLoan?.amountIssued),
    creditLimit: text(e.runningAccountLoan?.creditLimit),
    monthlyInstalment: text(e.leasingContract?.monthlyInstalment),
    contractEndDate: text(e.leasingContract?.contractPeriodEndDate),
    balance,
    interestRate: text(e.interest?.totalInterestRatePct),
    interestType: text(e.interest?.interestType),
    repaymentMethod: text(e.lumpSumLoan?.repaymentMethod),
    amortizationFrequency: text(e.lumpSumLoan?.amortizationFrequency),
    finalDueDate: text(e.lumpSumLoan?.plannedFinalDueDate),
    debtArrangement: e.paymentPlan?.isInDebtArrangement === true || e.paymentPlan?.isInBusinessRestructuringProgram === true,
    delayed: e.delayedAmounts.length > 0 ? scaledToText(delayed, 2) : null,
    delayedSince: e.delayedAmounts.map((d) => d.originalDueDate).sort()[0] ?? null,
    foreclosed: e.isForeclosed === true,
    deferments: e.defermentPeriods.map((p) => ({ startDate: p.startDate, endDate: p.endDate })),
  };
}

async function partyLoans(db: Queryable, person: string, today: string, role: PartyLoan['role']): Promise<LoanRow[]> {
  return (await partyLoansOf(db, person, role)).map((l) => shownLoan(l, person, today, l.lenderName));
}

/** The outstanding balance per currency (exact: cents), of the loans whose lenders reported one. */
function totals(loans: LoanRow[]): { currencyCode: string; balance: string }[] {
  const sums = new Map<string, bigint>();
  for (const l of loans) if (l.balance !== null) sums.set(l.currencyCode, (sums.get(l.currencyCode) ?? 0n) + toScaled(l.balance, 2)!);
  return [...sums].sort(([a], [b]) => a.localeCompare(b)).map(([currencyCode, cents]) => ({ currencyCode, balance: scaledToText(cents, 2) }));
}

/** The person's active loans as a borrower, and the balance per currency. */
export async function personLoans(db: Queryable, person: string, today: string): Promise<{ loans: LoanRow[]; totals: { currencyCode: string; balance: string }[] }> {
  const loans = await partyLoans(db, person, today, 'borrower');
  return { loans, totals: totals(loans) };
}

/** The active loans the person guarantees: lender, debtors, balance. */
export async function personGuarantees(db: Queryable, person: string, today: string): Promise<GuaranteeRow[]> {
  return (await partyLoans(db, person, today, 'guarantor')).map((l) => ({
    lender: l.lender, loanType: l.loanType, contractDate: l.contractDate, currencyCode: l.currencyCode, borrowersCount: l.borrowersCount, balance: l.balance,
  }));
}

/** The income months an extract made today would show, oldest first. */
export async function personIncome(db: Queryable, person: string, today: string): Promise<IncomeRow[]> {
  return extractIncome(await incomeOf(db, person, today), today).map((m) => ({
    month: `${m.year}-${String(m.month).padStart(2, '0')}`,
    wagesGross: String(m.wagesGrossAmount), wagesNet: String(m.wagesNetAmount),
    benefitsGross: String(m.benefitsGrossAmount), benefitsNet: String(m.benefitsNetAmount),
    accuracyDenied: 'accuracyDenied' in m,
  }));
}

export async function personNotifications(db: Queryable, person: string): Promise<boolean> {
  return (await findPerson(db, person)).notifications;
}

/** The person switches their extract notifications on or off; recorded as done by them. Run it in a transaction. */
export async function setPersonNotifications(tx: Queryable, person: string, on: boolean): Promise<void> {
  const before = await personNotifications(tx, person);
  await setNotifications(tx, person, on);
  await recordPersonAction(tx, { action: `person notifications ${on ? 'on' : 'off'}`, person, before: { notifications: before }, after: { notifications: on } });
}
