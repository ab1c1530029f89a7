/**
 * LateReporting (authorities-and-bans.md; issue 11): per lender and operation, the reports
 * received in the period after their reporting deadline (reporting.md "Reporting deadlines"),
 * with counts, the late share and the delay distribution, then the list of late reports.
 *
 * **Which reports count.** Accepted reports of type `NewReport` that carry an event date, in
 * batches received on a Finnish day of the period (`received_at` in Europe/Helsinki, both
 * bounds inclusive). The event date is the one the register kept when it applied the report
 * (processor.ts, apply.ts):
 * - `AddLoans`: the contract date; deadline `NewLoan`, the calendar day after it;
 * - `Repayments`: the payment date; `DelayedRepayments`: the foreclosure date, else the latest
 *   original due date; `TerminateLoans`: the end date; deadline `OtherEvent`, the second Finnish
 *   working day after the event (finnish-calendar.ts `reportingDeadline`).
 * With consumer-credit-only scope, only reports of loans whose class (as the register holds it
 * now, src/reporting/history.ts) is consumer credit count.
 * Not counted: rejected reports (a rejected report is not a report of the event; its accepted
 * resend is, with its own received time); corrections and cancellations (`ErrorCorrection`,
 * `Cancellation`: they fix an earlier report and have no deadline of their own); `UpdateLoans`
 * (it keeps no event date) and a `DelayedRepayments` report with no open delay (none either);
 * and an `AddLoans` report that took over a loan transferred from another lender (the loan had
 * accepted reports from another lender before): its contract date is the first lender's, so it
 * says nothing about the new lender's timeliness. A joining lender's existing stock, also
 * reported through `AddLoans` with old contract dates, cannot be told apart from a late new
 * loan and counts as late.
 *
 * **Lines** (NDJSON, compact JSON, keys in this order; the same data gives byte-identical lines):
 * first one `LenderSummary` per lender and operation with counted reports, by the lender's
 * business id and the operation (code-point order):
 *   {"recordType":"LenderSummary","lender":{"businessId":"1234567-1","name":"…"},"operation":"AddLoans",
 *    "reports":11,"late":8,"lateShare":"0.7273","daysLate":{"1":3,"2-3":1,"4-7":1,"8-30":2,"31+":1},"maxDaysLate":31}
 * `lateShare` is late / reports as an exact decimal with four places (rounded half up), a
 * string so that no reader turns it into a float; `daysLate` counts the late reports by
 * calendar days after the deadline. Then one `LateReport` per late report, by lender, received
 * time, batch and position in the batch:
 *   {"recordType":"LateReport","lender":{"businessId":"1234567-1"},"operation":"AddLoans","loanNumber":"…",
 *    "reportReference":"…","eventDate":"2026-05-04","deadline":"2026-05-05","receivedAt":"2026-05-06T09:00:00.000Z",
 *    "receivedDate":"2026-05-06","daysLate":1}
 * `receivedAt` is the batch's received time in UTC (milliseconds), `receivedDate` its Finnish day.
 *
 * **Set-based.** One small query finds the range of the period's other-event dates; the
 * calendar (TypeScript, the one source of the working-day rule) gives the deadline of every day
 * in it, passed as one array that the SQL indexes by the day's offset (no join, so the plan does
 * not depend on table statistics, which the embedded database never gathers); a new loan's
 * deadline is plain date arithmetic. Then one INSERT … SELECT grades, counts and writes every
 * line inside the database: no report passes through the register's memory.
 */
import { CONSUMER_CLASSES } from '../access/authority-scope.ts';
import { reportingDeadline } from '../common/finnish-calendar.ts';
import type { Queryable } from '../db/database.ts';
import { addDays } from './orders.ts';
import type { Production } from './produce.ts';

/** Operations whose reports have an event date, by deadline kind. UpdateLoans has none. */
const NEW_LOAN_OPERATION = 'AddLoans';
const OTHER_EVENT_OPERATIONS = ['Repayments', 'DelayedRepayments', 'TerminateLoans'];

/** The period's batches: received on a Finnish day from $2 to $3, both inclusive. */
const IN_PERIOD = `b.received_at >= ($2::date::timestamp AT TIME ZONE 'Europe/Helsinki')
    AND b.received_at < (($3::date + 1)::timestamp AT TIME ZONE 'Europe/Helsinki')`;
const COUNTED = `r.status = 'accepted' AND r.report_type = 'NewReport' AND r.event_date IS NOT NULL`;

const str = (sql: string) => `coalesce(to_json(${sql}::text)::text, 'null')`;
const day = (sql: string) => `to_char(${sql}, 'YYYY-MM-DD')`;

const PRODUCE = `
WITH counted AS (
  SELECT b.organisation_id, b.operation, b.id AS batch_id, r.seq, b.received_at, r.loan_number, r.report_reference, r.event_date,
    CASE WHEN b.operation = '${NEW_LOAN_OPERATION}' THEN r.event_date + 1 ELSE ($5::date[])[r.event_date - $4::date + 1] END AS deadline,
    (b.received_at AT TIME ZONE 'Europe/Helsinki')::date AS received_date
  FROM batches b
  JOIN reports r ON r.batch_id = b.id
  WHERE ${IN_PERIOD} AND b.operation = ANY($6::text[]) AND ${COUNTED}
    AND ($7::text[] IS NULL OR (SELECT v.consumer_class FROM loan_versions v WHERE v.loan_id = r.loan_id ORDER BY v.known_from DESC LIMIT 1) = ANY($7::text[]))
    AND NOT (b.operation = '${NEW_LOAN_OPERATION}' AND r.loan_id IS NOT NULL AND EXISTS (
      SELECT 1 FROM reports p JOIN batches pb ON pb.id = p.batch_id
      WHERE p.loan_id = r.loan_id AND p.batch_id < r.batch_id AND p.status = 'accepted' AND pb.organisation_id <> b.organisation_id))
), graded AS (
  SELECT c.*, greatest(c.received_date - c.deadline, 0) AS days_late FROM counted c
), summaries AS (
  SELECT organisation_id, operation, count(*) AS reports, count(*) FILTER (WHERE days_late > 0) AS late,
    count(*) FILTER (WHERE days_late = 1) AS d1, count(*) FILTER (WHERE days_late BETWEEN 2 AND 3) AS d2,
    count(*) FILTER (WHERE days_late BETWEEN 4 AND 7) AS d4, count(*) FILTER (WHERE days_late BETWEEN 8 AND 30) AS d8,
    count(*) FILTER (WHERE days_late > 30) AS d31, max(days_late) AS max_late
  FROM graded GROUP BY organisation_id, operation
), lines AS (
  SELECT 0 AS section, o.id_code AS business_id, o.id AS lender, s.operation AS summary_operation, NULL::timestamptz AS received_at, NULL::bigint AS batch_id, NULL::integer AS seq,
    '{"recordType":"LenderSummary","lender":{"businessId":' || ${str('o.id_code')} || ',"name":' || ${str('o.name')}
      || '},"operation":' || ${str('s.operation')} || ',"reports":' || s.reports || ',"late":' || s.late
      || ',"lateShare":"' || round(s.late::numeric / s.reports, 4)::text
      || '","daysLate":{"1":' || s.d1 || ',"2-3":' || s.d2 || ',"4-7":' || s.d4 || ',"8-30":' || s.d8 || ',"31+":' || s.d31
      || '},"maxDaysLate":' || s.max_late || '}' AS line
  FROM summaries s JOIN organisations o ON o.id = s.organisation_id
  UNION ALL
  SELECT 1, o.id_code, o.id, NULL, g.received_at, g.batch_id, g.seq,
    '{"recordType":"LateReport","lender":{"businessId":' || ${str('o.id_code')} || '},"operation":' || ${str('g.operation')}
      || ',"loanNumber":' || ${str('g.loan_number')} || ',"reportReference":' || ${str('g.report_reference')}
      || ',"eventDate":"' || ${day('g.event_date')} || '","deadline":"' || ${day('g.deadline')}
      || '","receivedAt":"' || to_char(g.received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
      || '","receivedDate":"' || ${day('g.received_date')} || '","daysLate":' || g.days_late || '}'
  FROM graded g JOIN organisations o ON o.id = g.organisation_id
  WHERE g.days_late > 0
)
INSERT INTO data_delivery_lines (delivery_id, line_no, line)
SELECT $1, row_number() OVER (ORDER BY section, business_id COLLATE "C", lender, summary_operation COLLATE "C", received_at, batch_id, seq), line
FROM lines`;

/** Writes the LateReporting lines of p.period into p.deliveryId; returns how many. */
export async function produceLateReporting(tx: Queryable, p: Production): Promise<number> {
  const { start, end } = p.period;
  const { rows: [range] } = await tx.query<{ first: string | null; last: string | null }>(
    `SELECT min(r.event_date) AS first, max(r.event_date) AS last FROM batches b JOIN reports r ON r.batch_id = b.id
     WHERE ${IN_PERIOD} AND b.operation = ANY($1::text[]) AND ${COUNTED}`,
    [OTHER_EVENT_OPERATIONS, start, end],
  );
  // Every day's deadline from the earliest other-event date to the latest, looked up by offset: at most
  // the register's 300 years of dates (110 000 days, a few milliseconds), usually a few weeks.
  const first = range?.first ?? start;
  const deadlines: string[] = [];
  for (let d = first; d <= (range?.last ?? first); d = addDays(d, 1)) deadlines.push(reportingDeadline('OtherEvent', d));
  const { rowCount } = await tx.query(PRODUCE, [
    p.deliveryId, start, end, first, deadlines, [NEW_LOAN_OPERATION, ...OTHER_EVENT_OPERATIONS], p.scope.loans === 'consumer' ? CONSUMER_CLASSES : null,
  ]);
  return rowCount;
}
