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
 *
 * Page k holds the lines of the loans with ids from k·n + 1 to (k + 1)·n, n = PAGE_LINES (so at
 * most n lines, and a page's content depends on nothing but the day and the scope; a range with
 * no line has no page, and the pages are numbered without gaps at the end: pages.ts).
 * Each page is one INSERT … SELECT inside the database, and pages are written `pages.parallel` at
 * a time: a national snapshot's 1 250 pages on every core the server has.
 *
 * With real identity codes, the same statement records every borrower and guarantor of the
 * page's loans in authority_snapshot_disclosures (migration 0017), from the very rows it writes:
 * the persons shown the delivery in the e-service are exactly those it disclosed, by
 * construction. A pseudonymised snapshot identifies no one and records nobody.
 */
import type { Queryable } from '../db/database.ts';
import { endOfFinnishDay, KNOWN_AT } from '../reporting/history.ts';
import { CONSUMER_CLASSES } from '../access/authority-scope.ts';
import type { Production } from './produce.ts';
import { InOrderHash, type Pages } from './pages.ts';
import { pseudonymKey, pseudonymSql } from './pseudonyms.ts';

export const jsonText = (sql: string) => `coalesce(to_json(${sql})::text, 'null')`;
/** A value of a code list (loan types, currencies, …: letters and digits only) as a JSON string, or null. */
const jsonCode = (sql: string) => `coalesce('"' || ${sql} || '"', 'null')`;
export const jsonNumber = (sql: string) => `coalesce((${sql})::text, 'null')`;
export const jsonDay = (sql: string) => `coalesce('"' || to_char(${sql}, 'YYYY-MM-DD') || '"', 'null')`;

/** A text[] of identity codes (SQL) as a JSON array, each code as it is or as `code(c)` makes it. */
function codeArray(sql: string, code: ((c: string) => string) | null): string {
  // Identity codes are validated (digits, letters, + - A): no character needs escaping.
  if (!code) return `CASE WHEN cardinality(${sql}) = 0 THEN '[]' ELSE '["' || array_to_string(${sql}, '","') || '"]' END`;
  // Most loans have one borrower and no guarantor: those need no subquery.
  return `CASE cardinality(${sql}) WHEN 0 THEN '[]' WHEN 1 THEN '["' || ${code(`${sql}[1]`)} || '"]'
    ELSE (SELECT '[' || string_agg('"' || ${code('u.c')} || '"', ',' ORDER BY u.n) || ']' FROM unnest(${sql}) WITH ORDINALITY AS u(c, n)) END`;
}

/**
 * Writes the snapshot of the Finnish day p.period.end into p.deliveryId's pages; returns the
 * content's SHA-256, hashed from each page as it is written (the statement returns it), so that
 * nothing is read back.
 */
export async function produceLoanStockSnapshot(tx: Queryable, p: Production, pages: Pages): Promise<string> {
  const { sql, params } = await snapshotPageSql(tx, p);
  const { rows } = await tx.query<{ last: number | null }>('SELECT max(loan_id) AS last FROM loan_versions');
  const size = pages.lines;
  const ranges = Math.ceil((rows[0]!.last ?? 0) / size);
  const hash = new InOrderHash();
  let next = 0;
  let failure: { err: unknown } | undefined;
  // A writer that fails stops the others before they take another page, and the production
  // fails only once none is still writing: no page commits after it (the next attempt, or the
  // failure, deletes what was written).
  const writer = async () => {
    for (;;) {
      await hash.room(2 * pages.parallel);
      const k = next++;
      if (hash.stopped || k >= ranges) return;
      try {
        const written = await pages.run(async (t) => {
          // A page's lines (about 5 MB) are sorted for string_agg in memory, not in a temporary file.
          await t.query(`SET LOCAL work_mem = '64MB'`);
          return t.queryUtf8(sql, [...params, k + 1, k * size + 1, (k + 1) * size + 1]);
        });
        hash.add(k, written[0] ?? '');
      } catch (err) {
        failure ??= { err };
        hash.stop();
        return;
      }
    }
  };
  await Promise.all(Array.from({ length: pages.parallel }, writer));
  if (failure) throw failure.err;
  return hash.digest(ranges);
}

/**
 * The loans of one page (SQL: a SELECT of loan_id, borrowers, guarantors and the NDJSON `line`):
 * those in the range [$from, $to) active at the end of the day $2 as the register knew it, within
 * the scope ($3: the consumer classes, or null for every loan). The one selection of a snapshot,
 * for its lines and for the persons it discloses.
 */
function pageLoansSql(code: ((c: string) => string) | null, from: string, to: string): string {
  return `SELECT v.loan_id, v.borrowers, v.guarantors,
       '{"recordType":"Loan","lender":{"businessId":' || ${jsonCode('o.id_code')}
       || '},"loanNumber":{"type":' || ${jsonCode('v.loan_number_type')} || ',"number":' || ${jsonText('v.loan_number')}
       || '},"loanType":' || ${jsonCode('v.loan_type')} || ',"currencyCode":' || ${jsonCode('v.currency_code')}
       || ',"contractDate":' || ${jsonDay('v.contract_date')}
       || ',"consumerCredit":{"loanConsumerProtectionAct":' || ${jsonCode('v.consumer_class')} || '},"purposeOfUse":' || ${jsonCode('v.purpose_of_use')}
       || ',"amountIssued":' || ${jsonNumber('v.amount_issued')} || ',"creditLimit":' || ${jsonNumber('v.credit_limit')}
       || ',"monthlyInstalment":' || ${jsonNumber('v.monthly_instalment')} || ',"balance":' || ${jsonNumber('v.balance')}
       || ',"balanceDate":' || ${jsonDay('v.balance_date')}
       || ',"delays":{"delayedAmount":' || ${jsonNumber('v.delayed_amount')} || ',"oldestOriginalDueDate":' || ${jsonDay('v.oldest_due_date')}
       || ',"isForeclosed":' || v.is_foreclosed::text
       || '},"borrowers":' || ${codeArray('v.borrowers', code)} || ',"guarantors":' || ${codeArray('v.guarantors', code)} || E'}\\n' AS line
       FROM ${KNOWN_AT(endOfFinnishDay('$2::date'))} v JOIN organisations o ON o.id = v.lender_id
       WHERE v.loan_id >= ${from} AND v.loan_id < ${to} AND v.status = 'Active' AND ($3::text[] IS NULL OR v.consumer_class = ANY($3::text[]))`;
}

/** The statement that writes one page: its parameters, then the page number and the range of loan ids [from, to). */
export async function snapshotPageSql(tx: Queryable, p: Production): Promise<{ sql: string; params: unknown[] }> {
  const params: unknown[] = [p.deliveryId, p.period.end, p.scope.loans === 'consumer' ? CONSUMER_CLASSES : null];
  let code: ((c: string) => string) | null = null;
  if (p.scope.identityCodes === 'pseudonyms') {
    const psn = pseudonymSql(await pseudonymKey(tx), p.organisationId);
    params.push(...psn.params);
    code = (c) => psn.sql(c, 4, 5);
  } else {
    // Every page's rows carry one time (the production's), so that a person's entry is one whatever pages name them.
    params.push((p.producedAt ?? new Date()).toISOString());
  }
  const n = params.length;
  // The persons of the page's loans (the page's rows are read once: a CTE named twice is
  // materialised; a data-modifying CTE runs whether or not anything reads it). A person another
  // page has recorded is left (the unique key); in person order, so that two pages written at
  // once wait for each other, if at all, in one order, never each for the other.
  const persons = code ? '' : `,
     persons AS (INSERT INTO authority_snapshot_disclosures (delivery_id, person, disclosed_at)
       SELECT DISTINCT $1::uuid, c.person, $4::timestamptz FROM s, unnest(s.borrowers || s.guarantors) AS c(person) ORDER BY 2
       ON CONFLICT DO NOTHING)`;
  const sql = `WITH s AS (${pageLoansSql(code, `$${n + 2}`, `$${n + 3}`)})${persons}
     INSERT INTO data_delivery_pages (delivery_id, page_no, line_count, body)
     SELECT $1, $${n + 1}, count(*), convert_to(string_agg(s.line, '' ORDER BY s.loan_id), 'UTF8') FROM s
     HAVING count(*) > 0
     RETURNING body`;
  return { sql, params };
}
