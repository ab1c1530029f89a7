/**
 * MonthlyAggregates (authorities-and-bans.md; issue 11): per month, loan type, purpose of use,
 * consumer-credit class and currency, the table a statistics office publishes:
 *
 *   newLoans, amountIssued, creditLimitGranted   loans whose contract date is in the month (not
 *                                                cancelled): lump sums issued and leasing
 *                                                transaction prices; running accounts' limits
 *   stockLoans, stockBalance                     loans outstanding at the month's end: contract
 *                                                date by then, not ended by then, not cancelled
 *   loansWithOpenDelay60, delayedAmount          of those, loans with a delay open at the month's
 *                                                end whose oldest instalment was due 60 days before
 *
 * Each month is read from the register's knowledge at the end of the day after it (orders.ts
 * knowledgeDay: a loan made on the month's last day is reported by the next day), so a month's
 * figures are the same in a one-off and a recurring order and when ordered again. Sums are
 * exact per currency (SQL numeric, two decimals, as strings in NDJSON so that no reader makes a
 * float of them); a group appears when any of its counts is not zero. Lines by month, then the
 * groups in code-point order. As CSV (format CSV): a header line, then one row per group.
 * With consumer-credit-only scope, only consumer credit is counted. One INSERT … SELECT.
 */
import type { Queryable } from '../db/database.ts';
import { endOfFinnishDay } from '../reporting/history.ts';
import { monthsOf } from './orders.ts';
import { CONSUMER_CLASSES } from '../access/authority-scope.ts';
import type { Production } from './produce.ts';
import { jsonText } from './snapshot.ts';

export const CSV_HEADER = 'month,loanType,purposeOfUse,consumerCredit,currencyCode,newLoans,amountIssued,creditLimitGranted,stockLoans,stockBalance,loansWithOpenDelay60,delayedAmount';

const money = (sql: string) => `round(coalesce(${sql}, 0), 2)::text`;

const AGGREGATE = `
WITH months AS (
  SELECT m::date AS first, (m + interval '1 month' - interval '1 day')::date AS last FROM unnest($2::date[]) AS u(m)
), known AS (
  SELECT mo.first, mo.last, v.* FROM months mo
  CROSS JOIN LATERAL (SELECT DISTINCT ON (loan_id) * FROM loan_versions
    WHERE known_from < ${endOfFinnishDay('mo.last + 1')} ORDER BY loan_id, known_from DESC) v
  WHERE v.status <> 'Cancelled' AND ($3::text[] IS NULL OR v.consumer_class = ANY($3::text[]))
), flagged AS (
  SELECT k.*, k.contract_date BETWEEN k.first AND k.last AS is_new,
    k.contract_date <= k.last AND (k.end_date IS NULL OR k.end_date > k.last) AS in_stock
  FROM known k
), groups AS (
  SELECT first, loan_type, purpose_of_use, consumer_class, currency_code,
    count(*) FILTER (WHERE is_new) AS new_loans,
    sum(amount_issued) FILTER (WHERE is_new) AS amount_issued,
    sum(credit_limit) FILTER (WHERE is_new) AS credit_limit,
    count(*) FILTER (WHERE in_stock) AS stock_loans,
    sum(balance) FILTER (WHERE in_stock) AS stock_balance,
    count(*) FILTER (WHERE in_stock AND delayed_amount IS NOT NULL AND oldest_due_date <= last - 60) AS delayed_loans,
    sum(delayed_amount) FILTER (WHERE in_stock AND delayed_amount IS NOT NULL AND oldest_due_date <= last - 60) AS delayed_amount
  FROM flagged WHERE is_new OR in_stock
  GROUP BY first, loan_type, purpose_of_use, consumer_class, currency_code
)`;

const NDJSON_LINE = `'{"recordType":"MonthlyAggregate","month":"' || to_char(g.first, 'YYYY-MM') || '","loanType":' || ${jsonText('g.loan_type')}
  || ',"purposeOfUse":' || ${jsonText('g.purpose_of_use')} || ',"consumerCredit":' || ${jsonText('g.consumer_class')}
  || ',"currencyCode":' || ${jsonText('g.currency_code')} || ',"newLoans":' || g.new_loans
  || ',"amountIssued":"' || ${money('g.amount_issued')} || '","creditLimitGranted":"' || ${money('g.credit_limit')}
  || '","stockLoans":' || g.stock_loans || ',"stockBalance":"' || ${money('g.stock_balance')}
  || '","loansWithOpenDelay60":' || g.delayed_loans || ',"delayedAmount":"' || ${money('g.delayed_amount')} || '"}'`;

/** Code values are letters and digits only: a CSV field needs no quoting (purposeOfUse empty when none). */
const CSV_LINE = `to_char(g.first, 'YYYY-MM') || ',' || g.loan_type || ',' || coalesce(g.purpose_of_use, '') || ',' || g.consumer_class
  || ',' || g.currency_code || ',' || g.new_loans || ',' || ${money('g.amount_issued')} || ',' || ${money('g.credit_limit')}
  || ',' || g.stock_loans || ',' || ${money('g.stock_balance')} || ',' || g.delayed_loans || ',' || ${money('g.delayed_amount')}`;

/** Writes the months of p.period into p.deliveryId; returns how many lines. */
export async function produceMonthlyAggregates(tx: Queryable, p: Production, format: 'NDJSON' | 'CSV'): Promise<number> {
  const csv = format === 'CSV';
  const { rowCount } = await tx.query(
    `${AGGREGATE}
     INSERT INTO data_delivery_lines (delivery_id, line_no, line)
     SELECT $1, ${csv ? 1 : 0} + row_number() OVER (ORDER BY g.first, g.loan_type COLLATE "C", g.purpose_of_use COLLATE "C" NULLS FIRST,
       g.consumer_class COLLATE "C", g.currency_code COLLATE "C"), ${csv ? CSV_LINE : NDJSON_LINE}
     FROM groups g`,
    [p.deliveryId, monthsOf(p.period), p.scope.loans === 'consumer' ? CONSUMER_CLASSES : null],
  );
  if (!csv) return rowCount;
  await tx.query('INSERT INTO data_delivery_lines (delivery_id, line_no, line) VALUES ($1, 1, $2)', [p.deliveryId, CSV_HEADER]);
  return rowCount + 1;
}
