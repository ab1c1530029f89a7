/**
 * The reporting worker: processes received batches after the 202, in the order received,
 * each batch in one transaction (so a crash mid-batch leaves it Received, to be processed
 * after the restart, and no report is ever applied twice). Set-based: a batch is read and
 * written in a handful of SQL statements whatever its size.
 */
import type { Logger } from 'pino';
import { finnishDate } from '../common/dates.ts';
import type { Database, Queryable } from '../db/database.ts';
import type { Environment } from '../access/pki.ts';
import { collectSchemaKeys, parseRequestJson } from '../http/json-body.ts';
import { BATCH_OPERATIONS, batchBody } from './schemas.ts';
import { packContractHex, unpackContract } from './packed-contract.ts';

/** The names of the batch schemas, to read a stored body as the API read it (case-insensitively). */
const BATCH_NAMES = new Map<string, string>();
for (const op of Object.keys(BATCH_OPERATIONS) as BatchOperation[]) collectSchemaKeys(batchBody(op), BATCH_NAMES);
import { applyBatch, type LoanState } from './apply.ts';
import type { BatchOperation } from './schemas.ts';

/** A loan as read from its table (the contract still packed): the state apply.ts works on, with its id. */
type LoanRow = Omit<LoanState, 'dirty' | 'partiesChanged' | 'contract'> & { id: number; contract: Uint8Array };

const LOAN_COLUMNS = `id, lender_id AS "lenderId", loan_number_type AS "loanNumberType", loan_number AS "loanNumber", loan_type AS "loanType",
  currency_code AS "currencyCode", contract_date AS "contractDate", status, end_date AS "endDate",
  transferred_to_another_lender AS "transferredToAnotherLender", contract, delays`;

/** Processes one batch if it is waiting and first in its lender's line. Returns whether it did. */
export async function processBatch(db: Database, batchId: number, opts: { environment: Environment; today?: string }): Promise<boolean> {
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<{ organisationId: number; operation: BatchOperation; status: string; idCode: string }>(
      `SELECT b.organisation_id AS "organisationId", b.operation, b.status, o.id_code AS "idCode"
       FROM batches b JOIN organisations o ON o.id = b.organisation_id WHERE b.id = $1 FOR UPDATE OF b`,
      [batchId],
    );
    const batch = rows[0];
    if (!batch || batch.status !== 'Received') return false;
    // Another process may be processing this lender's earlier batch: batches of a lender take effect in order.
    const lock = await tx.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock(7302, $1::int) AS ok', [batch.organisationId]);
    if (!lock.rows[0]!.ok) return false;
    const earlier = await tx.query(`SELECT 1 FROM batches WHERE organisation_id = $1 AND status = 'Received' AND id < $2 LIMIT 1`, [batch.organisationId, batchId]);
    if (earlier.rowCount > 0) return false;

    const bodyRow = await tx.query<{ body: string }>('SELECT body FROM batches WHERE id = $1', [batchId]);
    const body = parseRequestJson(bodyRow.rows[0]!.body, BATCH_NAMES) as Record<string, unknown>;
    const reports = (body[BATCH_OPERATIONS[batch.operation].collection] as Record<string, unknown>[]).map((payload, seq) => ({ seq, payload }));
    const numbers = [...new Set(reports.map((r) => (r.payload.loanNumber as { number: string }).number))];

    // This lender's loans, and for AddLoans other lenders' loans with the same numbers (transfer candidates, D14).
    const loanRows = await tx.query<LoanRow>(
      `SELECT ${LOAN_COLUMNS} FROM loans WHERE loan_number = ANY($1::text[]) AND (lender_id = $2 OR $3)
       ORDER BY (status = 'Ended' AND transferred_to_another_lender), end_date NULLS FIRST`,
      [numbers, batch.organisationId, batch.operation === 'AddLoans'],
    );
    const loans = new Map<string, LoanState>();
    const transferable = new Map<string, LoanState>();
    for (const row of loanRows.rows) {
      const loan: LoanState = { ...row, contract: unpackContract(row.contract) };
      // Ordered so that an ended, transferred loan (the latest) wins over others with the number.
      if (row.lenderId === batch.organisationId) loans.set(row.loanNumber, loan);
      else if (row.status !== 'Cancelled') transferable.set(row.loanNumber, loan);
    }
    const existingPayments = new Set<string>();
    if (batch.operation === 'Repayments' && loans.size > 0) {
      const ids = [...loans.values()].map((l) => l.id!);
      const p = await tx.query<{ loanId: number; paymentDate: string }>(
        'SELECT loan_id AS "loanId", payment_date AS "paymentDate" FROM payments WHERE loan_id = ANY($1::bigint[])',
        [ids],
      );
      for (const r of p.rows) existingPayments.add(`${r.loanId}|${r.paymentDate}`);
    }

    const result = applyBatch(
      { operation: batch.operation, lenderId: batch.organisationId, reports, loans, transferable, existingPayments },
      { environment: opts.environment, lenderBusinessId: batch.idCode, today: opts.today ?? finnishDate() },
    );
    await writeResult(tx, batchId, result, reports);
    return true;
  });
}

/** The loans as one JSON array for jsonb_to_recordset(): one statement for any number of loans. */
function loanRecords(loans: LoanState[]): string {
  return JSON.stringify(
    loans.map((l) => ({
      id: l.id ?? null,
      lender_id: l.lenderId,
      loan_number_type: l.loanNumberType,
      loan_number: l.loanNumber,
      loan_type: l.loanType,
      currency_code: l.currencyCode,
      contract_date: l.contractDate,
      status: l.status,
      end_date: l.endDate,
      transferred: l.transferredToAnotherLender,
      contract: packContractHex(l.contract),
      delays: l.delays,
    })),
  );
}

const LOAN_RECORD = `x(id bigint, lender_id bigint, loan_number_type text, loan_number text, loan_type text, currency_code text,
  contract_date date, status text, end_date date, transferred boolean, contract bytea, delays jsonb)`;

async function writeResult(tx: Queryable, batchId: number, result: ReturnType<typeof applyBatch>, reports: { seq: number; payload: Record<string, unknown> }[]): Promise<void> {
  const created = result.changed.filter((l) => l.id === undefined);
  const updated = result.changed.filter((l) => l.id !== undefined);
  if (created.length > 0) {
    const { rows } = await tx.query<{ id: number; loanNumber: string }>(
      `INSERT INTO loans (lender_id, loan_number_type, loan_number, loan_type, currency_code, contract_date, status, end_date,
                          transferred_to_another_lender, contract, delays)
       SELECT lender_id, loan_number_type, loan_number, loan_type, currency_code, contract_date, status, end_date, transferred, contract, delays
       FROM jsonb_to_recordset($1::jsonb) AS ${LOAN_RECORD}
       RETURNING id, loan_number AS "loanNumber"`,
      [loanRecords(created)],
    );
    const byNumber = new Map(created.map((l) => [l.loanNumber, l]));
    for (const r of rows) byNumber.get(r.loanNumber)!.id = r.id;
  }
  if (updated.length > 0) {
    await tx.query(
      `UPDATE loans SET lender_id = x.lender_id, loan_number_type = x.loan_number_type, loan_type = x.loan_type, currency_code = x.currency_code,
              contract_date = x.contract_date, status = x.status, end_date = x.end_date, transferred_to_another_lender = x.transferred,
              contract = x.contract, delays = x.delays
       FROM jsonb_to_recordset($1::jsonb) AS ${LOAN_RECORD} WHERE loans.id = x.id`,
      [loanRecords(updated)],
    );
  }
  const partiesChanged = result.changed.filter((l) => l.partiesChanged);
  if (partiesChanged.length > 0) {
    const persons: string[] = [];
    const loanIds: number[] = [];
    const roles: string[] = [];
    for (const l of partiesChanged) {
      for (const b of l.contract.borrowers) persons.push(b.idCode), loanIds.push(l.id!), roles.push('borrower');
      for (const g of l.contract.guarantors ?? []) persons.push(g.idCode), loanIds.push(l.id!), roles.push('guarantor');
    }
    const createdNow = new Set(created);
    const existing = partiesChanged.filter((l) => !createdNow.has(l)).map((l) => l.id!);
    if (existing.length > 0) await tx.query('DELETE FROM loan_parties WHERE loan_id = ANY($1::bigint[])', [existing]);
    await tx.query(
      `INSERT INTO loan_parties (person, loan_id, role) SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[]) ON CONFLICT DO NOTHING`,
      [persons, loanIds, roles],
    );
  }
  if (result.payments.length > 0) {
    const removed = result.payments.filter((p) => p.data === null);
    const kept = result.payments.filter((p) => p.data !== null);
    if (removed.length > 0) {
      await tx.query(
        `DELETE FROM payments p USING unnest($1::bigint[], $2::date[]) AS d(loan_id, payment_date)
         WHERE p.loan_id = d.loan_id AND p.payment_date = d.payment_date`,
        [removed.map((p) => p.loan.id!), removed.map((p) => p.paymentDate)],
      );
    }
    if (kept.length > 0) {
      await tx.query(
        `INSERT INTO payments (loan_id, payment_date, data)
         SELECT loan_id, payment_date, data FROM jsonb_to_recordset($1::jsonb) AS x(loan_id bigint, payment_date date, data jsonb)
         ON CONFLICT (loan_id, payment_date) DO UPDATE SET data = EXCLUDED.data`,
        [JSON.stringify(kept.map((p) => ({ loan_id: p.loan.id, payment_date: p.paymentDate, data: p.data })))],
      );
    }
  }
  // Every report's outcome: one INSERT for the whole batch (the report itself stays in the batch body).
  const o = result.outcomes;
  await tx.query(
    `INSERT INTO reports (batch_id, seq, status, errors, report_type, loan_id, event_date, report_reference, loan_number)
     SELECT $1, * FROM unnest($2::int[], $3::text[], $4::jsonb[], $5::text[], $6::bigint[], $7::date[], $8::text[], $9::text[])`,
    [
      batchId,
      o.map((x) => x.seq),
      o.map((x) => x.status),
      o.map((x) => (x.errors ? JSON.stringify(x.errors) : null)),
      o.map((x) => x.reportType),
      o.map((x) => x.loan?.id ?? null),
      o.map((x) => x.eventDate),
      o.map((x) => String(reports[x.seq]!.payload.reportReference)),
      o.map((x) => (reports[x.seq]!.payload.loanNumber as { number: string }).number),
    ],
  );
  const accepted = result.outcomes.filter((o) => o.status === 'accepted').length;
  const rejected = result.outcomes.length - accepted;
  const status = rejected === 0 ? 'FinishedSuccess' : accepted === 0 ? 'FinishedFailed' : 'FinishedPartialSuccess';
  await tx.query(
    `UPDATE batches SET status = $2, accepted_count = $3, rejected_count = $4, processed_at = now() WHERE id = $1`,
    [batchId, result.outcomes.length === 0 ? 'FinishedSuccess' : status, accepted, rejected],
  );
}

/** Runs batches as they arrive (woken by the API), and those found waiting at start or left by another process. */
export class ReportingWorker {
  private running = false;
  private stopped = false;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private current: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Database,
    private readonly opts: { environment: Environment; logger: Logger; pollMs?: number },
  ) {}

  start(): void {
    this.schedule(0);
  }

  /** Called after a batch was received: process soon. */
  wake(): void {
    if (this.stopped) return;
    if (this.running) this.again = true;
    else this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.current = this.drain();
    }, ms);
  }

  private async drain(): Promise<void> {
    if (this.running || this.stopped) return;
    this.running = true;
    try {
      do {
        this.again = false;
        const { rows } = await this.db.query<{ id: number }>(`SELECT id FROM batches WHERE status = 'Received' ORDER BY id LIMIT 100`);
        for (const { id } of rows) {
          if (this.stopped) return;
          const started = Date.now();
          const done = await processBatch(this.db, id, this.opts);
          if (done) this.opts.logger.info({ batchId: id, ms: Date.now() - started }, 'batch processed');
        }
        if (rows.length === 100) this.again = true;
      } while (this.again && !this.stopped);
    } catch (err) {
      this.opts.logger.error({ err }, 'batch processing failed; will retry');
    } finally {
      this.running = false;
      this.schedule(this.opts.pollMs ?? 1000);
    }
  }

  /** Finishes the batch in hand and stops. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.current;
  }
}
