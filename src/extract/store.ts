/**
 * Reading one person's data for an extract (a constant number of index lookups, one
 * statement), and the disclosure log with its notification, written in the same transaction.
 */
import { randomUUID } from 'node:crypto';
import { finnishDate } from '../common/dates.ts';
import type { Database, Queryable } from '../db/database.ts';
import { buildExtract, incomeWindow, type ExtractData, type ExtractRequest } from './content.ts';

const READ_PERSON = `
SELECT
  (SELECT coalesce(json_agg(json_build_object(
      'role', lp.role, 'lenderId', l.lender_id, 'loanType', l.loan_type, 'contractDate', l.contract_date,
      'currencyCode', l.currency_code, 'contract', l.contract, 'delays', l.delays,
      'lastPayment', (SELECT p.data FROM payments p WHERE p.loan_id = l.id ORDER BY p.payment_date DESC LIMIT 1))
      ORDER BY l.contract_date, l.id), '[]'::json)
   FROM loan_parties lp JOIN loans l ON l.id = lp.loan_id
   WHERE lp.person = $1 AND l.status = 'Active') AS loans,
  (SELECT coalesce(json_agg(json_build_object(
      'year', i.year, 'month', i.month, 'wagesGrossAmount', i.wages_gross_amount, 'wagesNetAmount', i.wages_net_amount,
      'benefitsGrossAmount', i.benefits_gross_amount, 'benefitsNetAmount', i.benefits_net_amount, 'accuracyDenied', i.accuracy_denied)
      ORDER BY i.year, i.month), '[]'::json)
   FROM income_months i
   WHERE i.person = $1 AND (i.year, i.month) >= ($2::int, $3::int) AND (i.year, i.month) <= ($4::int, $5::int)) AS income,
  (SELECT json_build_object('reason', b.reason, 'startDate', b.start_date, 'endDate', b.end_date)
   FROM voluntary_bans b WHERE b.person = $1 AND b.start_date <= $6::date AND (b.end_date IS NULL OR b.end_date >= $6::date)) AS ban,
  (SELECT s.date_of_death FROM persons s WHERE s.person = $1) AS "dateOfDeath"`;

export { READ_PERSON as READ_PERSON_FOR_TEST };

export async function readExtractData(db: Queryable, person: string, today: string): Promise<ExtractData> {
  const w = incomeWindow(today);
  const { rows } = await db.query<ExtractData>(READ_PERSON, [
    person, Math.floor(w.first / 12), (w.first % 12) + 1, Math.floor(w.last / 12), (w.last % 12) + 1, today,
  ]);
  return rows[0]!;
}

/**
 * Produces an extract and logs it: who, when, purposes, lenderReference and the exact text
 * disclosed, plus the person's notification for tomorrow (at most one a day), in one
 * transaction. The text returned is the text logged.
 */
export async function produceExtract(
  db: Database,
  input: { organisationId: number; request: ExtractRequest },
  now = new Date(),
): Promise<{ extractReference: string; content: string }> {
  const today = finnishDate(now);
  const extractReference = randomUUID();
  return db.transaction(async (tx) => {
    const data = await readExtractData(tx, input.request.person, today);
    const content = JSON.stringify(buildExtract(data, input.request, { extractReference, createdAt: now, today }));
    const tomorrow = new Date(Date.parse(`${today}T12:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
    await tx.query(
      `WITH logged AS (
         INSERT INTO extracts (extract_reference, organisation_id, person, purposes, lender_reference, created_at, content)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING person)
       INSERT INTO notification_outbox (person, notify_on)
       SELECT person, $8::date FROM logged
       WHERE NOT EXISTS (SELECT 1 FROM persons s WHERE s.person = logged.person AND s.notifications_off)
       ON CONFLICT (person, notify_on) DO UPDATE SET extract_count = notification_outbox.extract_count + 1`,
      [extractReference, input.organisationId, input.request.person, input.request.purposes, input.request.lenderReference ?? null, now, content, tomorrow],
    );
    return { extractReference, content };
  });
}

/** The invoice basis: extracts per lender in a month (yyyy-MM, Finnish time). */
export async function billing(db: Queryable, month: string): Promise<{ businessId: string; name: string; extracts: number }[]> {
  const { rows } = await db.query<{ businessId: string; name: string; extracts: number }>(
    `SELECT o.id_code AS "businessId", o.name, count(*)::int AS extracts
     FROM extracts e JOIN organisations o ON o.id = e.organisation_id
     WHERE e.created_at >= ($1::date::timestamp AT TIME ZONE 'Europe/Helsinki')
       AND e.created_at < (($1::date + interval '1 month')::timestamp AT TIME ZONE 'Europe/Helsinki')
     GROUP BY o.id_code, o.name ORDER BY o.id_code`,
    [`${month}-01`],
  );
  return rows;
}
