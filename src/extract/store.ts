/**
 * Reading persons' data for extracts (a constant number of index lookups per person, one
 * statement), and the disclosure log with its notification, written by one statement.
 */
import { finnishDate } from '../common/dates.ts';
import { uuidV7 } from '../common/uuid.ts';
import { planOnce, type Database, type Queryable } from '../db/database.ts';
import { unpackContract } from '../reporting/packed-contract.ts';
import { buildExtract, incomeWindow, type ExtractData, type ExtractRequest, type PartyLoan } from './content.ts';
import type { ExtractObserver } from '../metrics/observe.ts';

/**
 * One statement reads any number of persons: per person a constant number of primary-key lookups.
 * Loans and income months come as JSON arrays of positional rows (no key names to write and
 * parse for each of them); readExtractData names the fields.
 */
const READ_PERSONS = `
SELECT u.person,
  (SELECT coalesce(json_agg(json_build_array(
      lp.role, l.lender_id, l.loan_type, l.contract_date, l.currency_code, l.contract, l.delays,
      (SELECT p.data FROM payments p WHERE p.loan_id = l.id ORDER BY p.payment_date DESC LIMIT 1))
      ORDER BY l.contract_date, l.id), '[]'::json)
   FROM loan_parties lp JOIN loans l ON l.id = lp.loan_id
   WHERE lp.person = u.person AND l.status = 'Active') AS loans,
  (SELECT coalesce(json_agg(json_build_array(
      i.year, i.month, i.wages_gross_amount, i.wages_net_amount, i.benefits_gross_amount, i.benefits_net_amount, i.accuracy_denied)
      ORDER BY i.year, i.month), '[]'::json)
   FROM income_months i
   WHERE i.person = u.person AND (i.year, i.month) >= ($2::int, $3::int) AND (i.year, i.month) <= ($4::int, $5::int)) AS income,
  (SELECT json_build_object('reason', b.reason, 'startDate', b.start_date, 'endDate', b.end_date)
   FROM voluntary_bans b WHERE b.person = u.person AND b.start_date <= $6::date AND (b.end_date IS NULL OR b.end_date >= $6::date)) AS ban,
  (SELECT s.date_of_death FROM persons s WHERE s.person = u.person) AS "dateOfDeath"
FROM unnest($1::text[]) AS u(person)`;

/**
 * The loans an extract shows of a person where they have one role, with the lender's name (the
 * e-service's Loans and Guarantees pages, which show nothing else of an extract's reading): the
 * loans of READ_PERSONS, as plain rows, in its order.
 */
/** A lookup by person and role, the same plan whatever the person: planned once (planOnce). */
const READ_PARTY_LOANS = planOnce(`
SELECT lp.role, l.lender_id AS "lenderId", o.name AS "lenderName", l.loan_type AS "loanType", l.contract_date AS "contractDate",
  l.currency_code AS "currencyCode", l.contract, l.delays,
  (SELECT p.data FROM payments p WHERE p.loan_id = l.id ORDER BY p.payment_date DESC LIMIT 1) AS "lastPayment"
FROM loan_parties lp JOIN loans l ON l.id = lp.loan_id JOIN organisations o ON o.id = l.lender_id
WHERE lp.person = $1 AND lp.role = $2 AND l.status = 'Active'
ORDER BY l.contract_date, l.id`);

export { READ_PERSONS as READ_PERSON_FOR_TEST };

type LoanRow = [PartyLoan['role'], number, string, string, string, string, PartyLoan['delays'], PartyLoan['lastPayment']];
type IncomeRow = [number, number, number, number, number, number, boolean];

/** A person's income months in the window of `today` (as an extract reads them), without the rest of an extract's reading. */
export async function incomeOf(db: Queryable, person: string, today: string): Promise<ExtractData['income']> {
  const w = incomeWindow(today);
  const { rows } = await db.query<{ year: number; month: number; wg: string; wn: string; bg: string; bn: string; denied: boolean }>(
    `SELECT i.year, i.month, i.wages_gross_amount AS wg, i.wages_net_amount AS wn, i.benefits_gross_amount AS bg, i.benefits_net_amount AS bn, i.accuracy_denied AS denied
     FROM income_months i WHERE i.person = $1 AND (i.year, i.month) >= ($2::int, $3::int) AND (i.year, i.month) <= ($4::int, $5::int) ORDER BY i.year, i.month`,
    [person, Math.floor(w.first / 12), (w.first % 12) + 1, Math.floor(w.last / 12), (w.last % 12) + 1],
  );
  return rows.map((r) => ({ year: r.year, month: r.month, wagesGrossAmount: Number(r.wg), wagesNetAmount: Number(r.wn), benefitsGrossAmount: Number(r.bg), benefitsNetAmount: Number(r.bn), accuracyDenied: r.denied }));
}

/** A person's active loans where they have `role`, as an extract reads them, each with its lender's name. */
export async function partyLoansOf(db: Queryable, person: string, role: PartyLoan['role']): Promise<(PartyLoan & { lenderName: string })[]> {
  const { rows } = await db.query<Omit<PartyLoan, 'contract'> & { lenderName: string; contract: Uint8Array }>(READ_PARTY_LOANS, [person, role]);
  return rows.map((r) => ({ ...r, lenderId: Number(r.lenderId), contract: unpackContract(r.contract) }));
}

export async function readExtractData(db: Queryable, persons: string[], today: string): Promise<Map<string, ExtractData>> {
  const w = incomeWindow(today);
  const { rows } = await db.query<{ person: string; loans: LoanRow[]; income: IncomeRow[]; ban: ExtractData['ban']; dateOfDeath: string | null }>(
    READ_PERSONS, [persons, Math.floor(w.first / 12), (w.first % 12) + 1, Math.floor(w.last / 12), (w.last % 12) + 1, today]);
  const data = new Map<string, ExtractData>();
  for (const row of rows) {
    data.set(row.person, {
      // A contract comes as bytea's hex text inside the JSON (packed-contract.ts).
      loans: row.loans.map((l) => ({ role: l[0], lenderId: l[1], loanType: l[2], contractDate: l[3], currencyCode: l[4], contract: unpackContract(l[5]), delays: l[6], lastPayment: l[7] })),
      income: row.income.map((i) => ({
        year: i[0], month: i[1], wagesGrossAmount: i[2], wagesNetAmount: i[3], benefitsGrossAmount: i[4], benefitsNetAmount: i[5], accuracyDenied: i[6],
      })),
      ban: row.ban,
      dateOfDeath: row.dateOfDeath,
    });
  }
  return data;
}

/**
 * Separates the texts disclosed in the log statement's one text parameter. JSON.stringify
 * writes every control character inside a string as an escape (\u0001), and JSON has none
 * outside strings, so a text disclosed never contains it: the texts need no quoting, where as
 * elements of a text[] literal each of their ~600 quotes would be escaped by the driver
 * (~40 µs an extract) and unescaped again by the server.
 */
const CONTENT_SEPARATOR = '\u0001';

/**
 * The disclosure log and the persons' notifications (at most one a day each) in one
 * statement, from arrays: extract references, organisations, persons, purposes (comma-joined
 * codes), lender references, then the texts disclosed (joined by CONTENT_SEPARATOR); then the
 * time and the per-person counts.
 */
const LOG_EXTRACTS = `
WITH logged AS (
  INSERT INTO extracts (extract_reference, organisation_id, person, purposes, lender_reference, created_at, content)
  SELECT x.extract_reference, x.organisation_id, x.person, string_to_array(x.purposes, ','), x.lender_reference, $7, x.content
  FROM unnest($1::uuid[], $2::bigint[], $3::text[], $4::text[], $5::text[], string_to_array($6::text, chr(1)))
    AS x(extract_reference, organisation_id, person, purposes, lender_reference, content))
INSERT INTO notification_outbox (person, notify_on, extract_count)
SELECT u.person, $10::date, u.n FROM unnest($8::text[], $9::int[]) AS u(person, n)
WHERE NOT EXISTS (SELECT 1 FROM persons s WHERE s.person = u.person AND s.notifications_off)
ON CONFLICT (person, notify_on) DO UPDATE SET extract_count = notification_outbox.extract_count + EXCLUDED.extract_count`;

export interface ExtractInput {
  organisationId: number;
  request: ExtractRequest;
}

/**
 * Produces extracts and logs them: who, when, purposes, lenderReference and the exact text
 * disclosed, plus each person's notification for tomorrow (at most one a day), in one
 * statement for all the extracts given. The texts returned are the texts logged.
 */
export async function produceExtracts(db: Queryable, inputs: ExtractInput[], now = new Date()): Promise<{ extractReference: string; content: string }[]> {
  const today = finnishDate(now);
  const tomorrow = new Date(Date.parse(`${today}T12:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
  // No explicit transaction: the read is one statement, and the log with the notifications is
  // one statement, atomic and durable on its own. Two round trips a group instead of four;
  // nothing is answered before the statement logging it has committed.
  const data = await readExtractData(db, [...new Set(inputs.map((i) => i.request.person))], today);
  const produced = inputs.map((input) => {
    // Version 7: the log's primary key grows at its right edge (common/uuid.ts).
    const extractReference = uuidV7(now.getTime());
    const content = JSON.stringify(buildExtract(data.get(input.request.person)!, input.request, { extractReference, createdAt: now, today }));
    return { extractReference, content };
  });
  const perPerson = new Map<string, number>();
  for (const input of inputs) perPerson.set(input.request.person, (perPerson.get(input.request.person) ?? 0) + 1);
  await db.query(LOG_EXTRACTS, [
    produced.map((p) => p.extractReference),
    inputs.map((i) => i.organisationId),
    inputs.map((i) => i.request.person),
    inputs.map((i) => i.request.purposes.join(',')),
    inputs.map((i) => i.request.lenderReference ?? null),
    produced.map((p) => p.content).join(CONTENT_SEPARATOR),
    now, [...perPerson.keys()], [...perPerson.values()], tomorrow,
  ]);
  return produced;
}

/**
 * Group commit for extracts: requests that arrive while groups are in flight (two by default:
 * one reading while the other logs) are produced and logged together in the next group, so
 * many extracts share one read and one durable commit. Each request is answered only after
 * the statement holding its log entry has committed.
 */
export class ExtractProducer {
  private queue: { input: ExtractInput; resolve: (r: { extractReference: string; content: string }) => void; reject: (e: unknown) => void }[] = [];
  private inFlight = 0;

  constructor(
    private readonly db: Database,
    private readonly opts: { maxInFlight?: number; maxBatch?: number; metrics?: Pick<ExtractObserver, 'extractGroup'> } = {},
  ) {}

  produce(input: ExtractInput): Promise<{ extractReference: string; content: string }> {
    return new Promise((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      this.next();
    });
  }

  private next(): void {
    if (this.queue.length === 0 || this.inFlight >= (this.opts.maxInFlight ?? 2)) return;
    const batch = this.queue.splice(0, this.opts.maxBatch ?? 64);
    this.inFlight++;
    produceExtracts(this.db, batch.map((b) => b.input))
      .then(
        (results) => {
          this.opts.metrics?.extractGroup(batch.length, true);
          batch.forEach((b, i) => b.resolve(results[i]!));
        },
        // No request may fail because another organisation's request shares its group: a failed
        // group statement logged nothing, so each member is produced again alone and only the
        // one whose own request cannot be served fails.
        (err: unknown) => {
          this.opts.metrics?.extractGroup(batch.length, false);
          return batch.length === 1 ? batch[0]!.reject(err) : this.alone(batch);
        },
      )
      .finally(() => {
        this.inFlight--;
        this.next();
      });
  }

  private async alone(batch: ExtractProducer['queue']): Promise<void> {
    await Promise.all(
      batch.map((b) =>
        produceExtracts(this.db, [b.input]).then(
          (results) => b.resolve(results[0]!),
          (err: unknown) => b.reject(err),
        ),
      ),
    );
  }
}

/** The invoice basis: extracts per lender in a month (yyyy-MM, Finnish time). */
export interface ExtractLogEntry {
  extractReference: string;
  createdAt: Date;
  lender: string;
  purposes: string[];
}

/**
 * The extracts made about a person, newest first, `limit` of them after the one `before` (the
 * last entry of the previous page, the person's own: another's reference gives nothing): a range
 * read of the person's index, whatever the log's length.
 */
export async function extractsAbout(db: Queryable, person: string, limit: number, before?: string): Promise<ExtractLogEntry[]> {
  const { rows } = await db.query<ExtractLogEntry>(
    `SELECT e.extract_reference AS "extractReference", e.created_at AS "createdAt", o.name AS lender, e.purposes
     FROM extracts e JOIN organisations o ON o.id = e.organisation_id
     WHERE e.person = $1 AND ($2::uuid IS NULL OR (e.created_at, e.extract_reference) <
       (SELECT b.created_at, b.extract_reference FROM extracts b WHERE b.person = $1 AND b.extract_reference = $2::uuid))
     ORDER BY e.created_at DESC, e.extract_reference DESC LIMIT $3`,
    [person, before ?? null, limit],
  );
  return rows;
}

/** One extract about the person as the lender received it; undefined for any other person's (or none). */
export async function extractContentFor(db: Queryable, person: string, extractReference: string): Promise<(ExtractLogEntry & { content: string }) | undefined> {
  const { rows } = await db.query<ExtractLogEntry & { content: string }>(
    `SELECT e.extract_reference AS "extractReference", e.created_at AS "createdAt", o.name AS lender, e.purposes, e.content
     FROM extracts e JOIN organisations o ON o.id = e.organisation_id WHERE e.person = $1 AND e.extract_reference = $2`,
    [person, extractReference],
  );
  return rows[0];
}

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
