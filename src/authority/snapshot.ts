/**
 * LoanStockSnapshot (authorities-and-bans.md; issue 11): every loan in the authority's scope
 * that was active as the register knew it at the end of a Finnish day, one NDJSON line each, in
 * loan order. Read from the loan history (src/reporting/history.ts), so that the same day
 * ordered again, whatever was reported since, gives byte-identical content: a correction made
 * later shows in later days' snapshots, never in a past one's.
 *
 *   {"recordType":"Loan","lender":{"businessId":"1234567-1"},"loanNumber":{"type":"Other","number":"…"},
 *    "loanType":"LumpSumLoan","currencyCode":"EUR","contractDate":"2024-05-02",
 *    "consumerCredit":{"loanConsumerProtectionAct":"ConsumerCredit"},"purposeOfUse":"Vehicle",
 *    "amountIssued":12000,"creditLimit":null,"monthlyInstalment":null,"balance":8400.5,"balanceDate":"2026-11-30",
 *    "delays":{"delayedAmount":null,"oldestOriginalDueDate":null,"isForeclosed":false},
 *    "borrowers":["PSN-…"],"guarantors":[]}
 *
 * Amounts are JSON numbers written from the exact decimals the lender reported (SQL numeric
 * text: no float ever holds them); `balance` is the latest payment's where one reported it.
 * Identity codes are the persons' or the authority's pseudonyms, as its scope says; with
 * consumer-credit-only scope, only ConsumerCredit and ResidentialPropertyConsumerCredit loans.
 * One INSERT … SELECT writes every line inside the database.
 */
import type { Queryable } from '../db/database.ts';
import { endOfFinnishDay, KNOWN_AT } from '../reporting/history.ts';
import { CONSUMER_CLASSES } from '../access/authority-scope.ts';
import type { Production } from './produce.ts';
import { pseudonymKey, pseudonymSql } from './pseudonyms.ts';

export const jsonText = (sql: string) => `coalesce(to_json(${sql})::text, 'null')`;
export const jsonNumber = (sql: string) => `coalesce((${sql})::text, 'null')`;
export const jsonDay = (sql: string) => `coalesce('"' || to_char(${sql}, 'YYYY-MM-DD') || '"', 'null')`;

/** A text[] of identity codes (SQL) as a JSON array, each code as it is or as `code(c)` makes it. */
function codeArray(sql: string, code: ((c: string) => string) | null): string {
  // Identity codes are validated (digits, letters, + - A): no character needs escaping.
  if (!code) return `CASE WHEN cardinality(${sql}) = 0 THEN '[]' ELSE '["' || array_to_string(${sql}, '","') || '"]' END`;
  return `coalesce((SELECT '[' || string_agg('"' || ${code('u.c')} || '"', ',' ORDER BY u.n) || ']' FROM unnest(${sql}) WITH ORDINALITY AS u(c, n)), '[]')`;
}

/** Writes the snapshot of the Finnish day p.period.end into p.deliveryId; returns how many lines. */
export async function produceLoanStockSnapshot(tx: Queryable, p: Production): Promise<number> {
  const params: unknown[] = [p.deliveryId, p.period.end, p.scope.loans === 'consumer' ? CONSUMER_CLASSES : null];
  let code: ((c: string) => string) | null = null;
  if (p.scope.identityCodes === 'pseudonyms') {
    const psn = pseudonymSql(await pseudonymKey(tx), p.organisationId);
    params.push(...psn.params);
    code = (c) => psn.sql(c, 4, 5);
  }
  const { rowCount } = await tx.query(
    `INSERT INTO data_delivery_lines (delivery_id, line_no, line)
     SELECT $1, row_number() OVER (ORDER BY v.loan_id),
       '{"recordType":"Loan","lender":{"businessId":' || ${jsonText('o.id_code')}
       || '},"loanNumber":{"type":' || ${jsonText('v.loan_number_type')} || ',"number":' || ${jsonText('v.loan_number')}
       || '},"loanType":' || ${jsonText('v.loan_type')} || ',"currencyCode":' || ${jsonText('v.currency_code')}
       || ',"contractDate":' || ${jsonDay('v.contract_date')}
       || ',"consumerCredit":{"loanConsumerProtectionAct":' || ${jsonText('v.consumer_class')} || '},"purposeOfUse":' || ${jsonText('v.purpose_of_use')}
       || ',"amountIssued":' || ${jsonNumber('v.amount_issued')} || ',"creditLimit":' || ${jsonNumber('v.credit_limit')}
       || ',"monthlyInstalment":' || ${jsonNumber('v.monthly_instalment')} || ',"balance":' || ${jsonNumber('v.balance')}
       || ',"balanceDate":' || ${jsonDay('v.balance_date')}
       || ',"delays":{"delayedAmount":' || ${jsonNumber('v.delayed_amount')} || ',"oldestOriginalDueDate":' || ${jsonDay('v.oldest_due_date')}
       || ',"isForeclosed":' || v.is_foreclosed::text
       || '},"borrowers":' || ${codeArray('v.borrowers', code)} || ',"guarantors":' || ${codeArray('v.guarantors', code)} || '}'
     FROM ${KNOWN_AT(endOfFinnishDay('$2::date'))} v JOIN organisations o ON o.id = v.lender_id
     WHERE v.status = 'Active' AND ($3::text[] IS NULL OR v.consumer_class = ANY($3::text[]))`,
    params,
  );
  return rowCount;
}
