/**
 * Producing a delivery's content, kept as pages (data_delivery_pages: at most PAGE_LINES lines
 * each, as GetDataDelivery sends them), inside the database wherever it can (INSERT … SELECT),
 * so that a large delivery is never held in the register's memory. LoanStockSnapshot writes its
 * pages itself, several at a time (snapshot.ts); the other order types write lines into
 * data_delivery_lines (line_no from 1), which become pages at the end. Every producer works
 * within the authority's scope: with consumer-credit-only scope no other loan reaches a line.
 */
import { CONSUMER_CLASSES, type AuthorityScope } from '../access/authority-scope.ts';
import type { Queryable } from '../db/database.ts';
import { linesToPages, type Pages } from './pages.ts';
import { unpackContract } from '../reporting/packed-contract.ts';
import { finnishDate } from '../common/dates.ts';
import { historyStart } from '../reporting/history.ts';
import { knowledgeDay, type OrderParameters, type Period } from './orders.ts';

/** The first Finnish day whose end the loan history covers (orders.ts validateOrder), or null while it is being completed. */
export async function historyFrom(tx: Queryable): Promise<string | null> {
  const start = await historyStart(tx);
  return start ? finnishDate(start) : null;
}
import { produceLateReporting } from './late-reporting.ts';
import { produceLoanStockSnapshot } from './snapshot.ts';
import { produceMonthlyAggregates } from './aggregates.ts';
import { pseudonym, pseudonymKey } from './pseudonyms.ts';

export interface Production {
  deliveryId: string;
  /** The authority the delivery is for. */
  organisationId: number;
  period: Period;
  scope: AuthorityScope;
  parameters: OrderParameters;
  /**
   * When the delivery is produced (its ready_at): the time of the persons' entries a snapshot
   * with identity codes records (snapshot.ts). Unset: when its statements are made.
   */
  producedAt?: Date;
}


/** How identity codes appear in the authority's lines: as they are, or as its pseudonyms. */
export async function identityCodesFor(tx: Queryable, p: Production): Promise<(code: string) => string> {
  if (p.scope.identityCodes === 'codes') return (code) => code;
  const key = await pseudonymKey(tx);
  return (code) => pseudonym(key, p.organisationId, code);
}

/** Writes the delivery's pages; returns the content's SHA-256 where the producer hashed it while writing, else null. */
export async function produceContent(tx: Queryable, p: Production, pages: Pages): Promise<string | null> {
  if (p.parameters.type === 'LoanStockSnapshot') {
    await requireHistory(tx, p);
    return produceLoanStockSnapshot(tx, p, pages);
  }
  await produceLines(tx, p);
  await linesToPages(tx, p.deliveryId, pages.lines);
  return null;
}

async function requireHistory(tx: Queryable, p: Production): Promise<void> {
  const known = knowledgeDay(p.parameters.type, p.period);
  if (known !== null) {
    // A recurring order placed while the history was being completed may reach a day it does not cover.
    const from = await historyFrom(tx);
    if (from === null || known < from) throw new Error(`The register knows loan states over time from ${from ?? 'a day not yet reached'} on; the end of ${known} is before that`);
  }
}

/** The lines of every order type but LoanStockSnapshot, written into data_delivery_lines; returns how many. */
async function produceLines(tx: Queryable, p: Production): Promise<number> {
  await requireHistory(tx, p);
  switch (p.parameters.type) {
    case 'PersonLoans':
      return producePersonLoans(tx, p, p.parameters.person);
    case 'LoanStockSnapshot':
      throw new Error('A LoanStockSnapshot writes pages');
    case 'MonthlyAggregates':
      return produceMonthlyAggregates(tx, p, p.parameters.format);
    case 'LateReporting':
      return produceLateReporting(tx, p);
  }
}

/** Lines written from the register's memory, in one statement (for small deliveries: one person's). */
export async function insertLines(tx: Queryable, deliveryId: string, lines: string[]): Promise<number> {
  if (lines.length === 0) return 0;
  await tx.query(
    `INSERT INTO data_delivery_lines (delivery_id, line_no, line) SELECT $1, n, line FROM unnest($2::text[]) WITH ORDINALITY AS u(line, n)`,
    [deliveryId, lines],
  );
  return lines.length;
}

/**
 * PersonLoans: the person's loans and guarantees as the register holds them (active and ended;
 * not cancelled ones, which never existed), with the lender's name, the contract as reported,
 * delays and the latest payment; then the person's income months. One line each, loans by
 * contract date. Ended loans are there as long as the register keeps them (erasure after the
 * retention period is the register's, not the order's).
 */
async function producePersonLoans(tx: Queryable, p: Production, person: string): Promise<number> {
  const { rows } = await tx.query<{
    role: string; lenderBusinessId: string; lenderName: string; loanNumberType: string; loanNumber: string; status: string;
    endDate: string | null; transferred: boolean; contract: Uint8Array; delays: unknown; lastPayment: unknown;
  }>(
    `SELECT lp.role, o.id_code AS "lenderBusinessId", o.name AS "lenderName", l.loan_number_type AS "loanNumberType", l.loan_number AS "loanNumber",
       l.status, l.end_date AS "endDate", l.transferred_to_another_lender AS transferred, l.contract, l.delays,
       (SELECT p.data FROM payments p WHERE p.loan_id = l.id ORDER BY p.payment_date DESC LIMIT 1) AS "lastPayment"
     FROM loan_parties lp JOIN loans l ON l.id = lp.loan_id JOIN organisations o ON o.id = l.lender_id
     WHERE lp.person = $1 AND l.status <> 'Cancelled'
     ORDER BY l.contract_date, l.id, lp.role`,
    [person],
  );
  const code = await identityCodesFor(tx, p);
  const lines: string[] = [JSON.stringify({ recordType: 'Person', personIdCode: code(person) })];
  for (const r of rows) {
    const contract = unpackContract(r.contract);
    if (p.scope.loans === 'consumer' && !CONSUMER_CLASSES.includes(contract.consumerCredit.loanConsumerProtectionAct)) continue;
    // Every identity code in the contract (co-borrowers, guarantors) as the scope says.
    for (const b of contract.borrowers) b.idCode = code(b.idCode);
    for (const g of contract.guarantors ?? []) g.idCode = code(g.idCode);
    lines.push(JSON.stringify({
      recordType: r.role === 'guarantor' ? 'Guarantee' : 'Loan',
      lender: { businessId: r.lenderBusinessId, name: r.lenderName },
      loanNumber: { type: r.loanNumberType, number: r.loanNumber },
      status: r.status,
      endDate: r.endDate,
      isTransferredToAnotherLender: r.transferred,
      contract,
      delays: r.delays,
      lastPayment: r.lastPayment ?? null,
    }));
  }
  const income = await tx.query<Record<string, unknown>>(
    `SELECT year, month, wages_gross_amount::text AS "wagesGrossAmount", wages_net_amount::text AS "wagesNetAmount",
       benefits_gross_amount::text AS "benefitsGrossAmount", benefits_net_amount::text AS "benefitsNetAmount", accuracy_denied AS "accuracyDenied", source
     FROM income_months WHERE person = $1 ORDER BY year, month`,
    [person],
  );
  for (const m of income.rows) lines.push(JSON.stringify({ recordType: 'IncomeMonth', ...m }));
  return insertLines(tx, p.deliveryId, lines);
}
