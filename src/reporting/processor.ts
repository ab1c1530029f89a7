/**
 * Processing reporting batches after the 202, as a kind of background work (jobs/runner.ts):
 * batches are claimed in the order received, a lender's strictly one after the other, by any
 * register process on the database; each batch in one transaction (so a crash mid-batch
 * leaves it Received, to be processed after the restart, and no report is ever applied twice).
 * Set-based: a batch is read and written in a handful of SQL statements whatever its size.
 */
import type { Logger } from 'pino';
import type { JobKind } from '../jobs/runner.ts';
import { finnishDate } from '../common/dates.ts';
import type { Database, Queryable } from '../db/database.ts';
import type { Environment } from '../access/pki.ts';
import { collectSchemaKeys, parseRequestJson } from '../common/json-body.ts';
import { RegisterError, type ErrorResponse } from '../common/errors.ts';
import { isTransientDatabaseError } from '../db/errors.ts';
import { BATCH_OPERATIONS, batchBody } from './schemas.ts';
import { packContractHex, unpackContract } from './packed-contract.ts';
import { loanColumns, writeVersions } from './history.ts';
import type { BatchEnd, ReportingObserver } from '../metrics/observe.ts';

/** The names of the batch schemas, to read a stored body as the API read it (case-insensitively). */
const BATCH_NAMES = new Map<string, string>();
for (const op of Object.keys(BATCH_OPERATIONS) as BatchOperation[]) collectSchemaKeys(batchBody(op), BATCH_NAMES);
import { applyBatch, duplicateReferences, type LoanState, type ReportOutcome } from './apply.ts';
import type { StoredTransaction } from './rules.ts';
import { effectiveReportType, type Problem } from './rules.ts';
import type { BatchOperation } from './schemas.ts';

/** A loan as read from its table (the contract still packed): the state apply.ts works on, with its id. */
type LoanRow = Omit<LoanState, 'dirty' | 'partiesChanged' | 'contract'> & { id: number; contract: Uint8Array };

const LOAN_COLUMNS = `id, lender_id AS "lenderId", loan_number_type AS "loanNumberType", loan_number AS "loanNumber", loan_type AS "loanType",
  currency_code AS "currencyCode", contract_date AS "contractDate", status, end_date AS "endDate",
  transferred_to_another_lender AS "transferredToAnotherLender", contract, delays`;

/** A batch claimed for processing: locked in the claiming transaction, first of its lender's batches waiting. */
interface ClaimedBatch {
  id: number;
  organisationId: number;
  operation: BatchOperation;
  receivedAt: Date;
  idCode: string;
}

/**
 * Claims the oldest waiting batch that is first in its lender's line and that no other
 * process holds (SKIP LOCKED: register processes on one database share the work instead of
 * waiting for each other). A lender's later batch is not eligible while an earlier one waits,
 * so a lender's batches take effect in the order received, whichever process runs them.
 */
const CLAIM = `
SELECT b.id, b.organisation_id AS "organisationId", b.operation, b.received_at AS "receivedAt", o.id_code AS "idCode"
FROM batches b JOIN organisations o ON o.id = b.organisation_id
WHERE b.status = 'Received' AND ($1::bigint IS NULL OR b.id = $1::bigint) AND b.id <> ALL($2::bigint[])
  AND NOT EXISTS (SELECT 1 FROM batches e WHERE e.organisation_id = b.organisation_id AND e.status = 'Received' AND e.id < b.id)
ORDER BY b.id LIMIT 1
FOR UPDATE OF b SKIP LOCKED`;

async function claim(tx: Queryable, opts: { id?: number; skip?: readonly number[] }): Promise<ClaimedBatch | undefined> {
  const { rows } = await tx.query<ClaimedBatch>(CLAIM, [opts.id ?? null, opts.skip ?? []]);
  return rows[0];
}

interface ProcessOptions {
  environment: Environment;
  /** Reports whose failure was isolated, and batches that could not be read. */
  logger?: Logger;
  /** Batches ended and failures, for the operator's metrics (src/metrics/): told after the commit. */
  metrics?: Pick<ReportingObserver, 'batchProcessed' | 'batchFailed'>;
}

/** How a batch ended, for the metrics: its status, its reports' outcomes and the codes of the rejected ones (each once a report). */
interface Ended {
  end: BatchEnd;
  accepted: number;
  rejected: number;
  rejections: Map<string, number>;
}

function countCodes(into: Map<string, number>, errors: readonly { errorCode: string }[] | null | undefined, n = 1): void {
  for (const code of new Set((errors ?? []).map((e) => e.errorCode))) into.set(code, (into.get(code) ?? 0) + n);
}

/** A batch's reports as the API read them (case-insensitive names, exact numbers), from its stored body. */
async function readReports(tx: Queryable, batch: ClaimedBatch): Promise<Report[]> {
  const bodyRow = await tx.query<{ body: string }>('SELECT body FROM batches WHERE id = $1', [batch.id]);
  const body = parseRequestJson(bodyRow.rows[0]!.body, BATCH_NAMES) as Record<string, unknown>;
  const collection = body[BATCH_OPERATIONS[batch.operation].collection];
  if (!Array.isArray(collection)) throw new RegisterError('A10', `The stored batch has no ${BATCH_OPERATIONS[batch.operation].collection}`);
  // The door checked every report against its schema; a body stored otherwise (by an older
  // version, or by hand) is not guessed at.
  collection.forEach((payload: unknown, seq) => {
    const p = payload as { reportReference?: unknown; loanNumber?: { number?: unknown } } | null;
    if (!p || typeof p !== 'object' || typeof p.reportReference !== 'string' || typeof p.loanNumber?.number !== 'string') {
      throw new RegisterError('A10', `Report ${seq} of the stored batch has no reportReference or loanNumber`);
    }
  });
  return (collection as Record<string, unknown>[]).map((payload, seq) => ({ seq, payload }));
}

type Report = { seq: number; payload: Record<string, unknown> };

/**
 * Applies reports of a batch: reads the loans they concern, judges them (the D rules, "today"
 * being the Finnish day the batch was received, so that processing a stored batch again gives
 * the same result) and writes the changes. Set-based: a handful of statements for any number.
 */
async function applyReports(tx: Queryable, batch: ClaimedBatch, reports: Report[], opts: ProcessOptions, duplicates?: ReadonlySet<string>) {
  const numbers = [...new Set(reports.map((r) => (r.payload.loanNumber as { number: string }).number))];

  // This lender's loans, and for AddLoans other lenders' loans with the same numbers (transfer
  // candidates, D14), locked: another process applying another lender's batch to the same loan
  // (two lenders taking over one transferred loan) waits, and then reads what this one wrote.
  // Two such batches locking in opposite orders deadlock, which is a passing failure: retried.
  const loanRows = await tx.query<LoanRow>(
    `SELECT ${LOAN_COLUMNS} FROM loans WHERE loan_number = ANY($1::text[]) AND (lender_id = $2 OR $3)
     ORDER BY (status = 'Ended' AND transferred_to_another_lender), end_date NULLS FIRST
     FOR UPDATE`,
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
  /** The latest payment date each loan had before this batch (Repayments only). */
  const latestBefore = new Map<number, string>();
  if (batch.operation === 'Repayments' && loans.size > 0) {
    const ids = [...loans.values()].map((l) => l.id!);
    const p = await tx.query<{ loanId: number; paymentDate: string }>(
      'SELECT loan_id AS "loanId", payment_date AS "paymentDate" FROM payments WHERE loan_id = ANY($1::bigint[])',
      [ids],
    );
    for (const r of p.rows) {
      existingPayments.add(`${r.loanId}|${r.paymentDate}`);
      if (r.paymentDate > (latestBefore.get(r.loanId) ?? '')) latestBefore.set(r.loanId, r.paymentDate);
    }
  }

  const result = applyBatch(
    { operation: batch.operation, lenderId: batch.organisationId, reports, loans, transferable, existingPayments, ...(duplicates ? { duplicateReferences: duplicates } : {}) },
    { environment: opts.environment, lenderBusinessId: batch.idCode, today: finnishDate(batch.receivedAt) },
  );
  // Applied in parts (duplicates given: applyBisecting), a loan may be written by more than one part.
  await writeChanges(tx, result, batch.operation === 'Repayments' ? latestPayments(result, latestBefore) : new Map(), duplicates !== undefined);
  return result.outcomes;
}

/** Processes a claimed batch whole, in the claiming transaction. */
async function processWhole(tx: Queryable, batch: ClaimedBatch, opts: ProcessOptions): Promise<Ended> {
  const reports = await readReports(tx, batch);
  const outcomes = await applyReports(tx, batch, reports, opts);
  return writeOutcomes(tx, batch.id, outcomes, reports);
}

/**
 * Applies reports in their order, in a savepoint; when that fails, each half the same way, down
 * to the single report that cannot be applied, which is rejected with A99. A few bad reports
 * among many cost a few statements per halving, not a round trip per report. Halves applied one
 * after the other see each other's changes, as reports of one batch do; D20 is judged over the
 * whole batch.
 */
async function applyBisecting(tx: Queryable, batch: ClaimedBatch, reports: Report[], opts: ProcessOptions, duplicates: ReadonlySet<string>, outcomes: ReportOutcome[]): Promise<void> {
  await tx.query('SAVEPOINT reports');
  try {
    const applied = await applyReports(tx, batch, reports, opts, duplicates);
    await tx.query('RELEASE SAVEPOINT reports');
    outcomes.push(...applied);
    return;
  } catch (err) {
    // Out of memory (53200) is halved too: here it is most likely the size of what is applied.
    if (isTransientDatabaseError(err) && (err as { code?: string }).code !== '53200') throw err;
    await tx.query('ROLLBACK TO SAVEPOINT reports');
    await tx.query('RELEASE SAVEPOINT reports');
    if (reports.length > 1) {
      const half = Math.ceil(reports.length / 2);
      await applyBisecting(tx, batch, reports.slice(0, half), opts, duplicates, outcomes);
      await applyBisecting(tx, batch, reports.slice(half), opts, duplicates, outcomes);
      return;
    }
    const report = reports[0]!;
    opts.logger?.error({ batchId: batch.id, seq: report.seq, err }, 'report could not be applied; rejected with A99');
    outcomes.push({
      seq: report.seq,
      status: 'rejected',
      // A99 is not a rule's code, but it is what the lender is told: the fault is the register's.
      errors: [{ errorCode: 'A99' as Problem['errorCode'], errorDescription: 'The register could not apply this report (an internal error); it had no effect. Quote the batch reference.' }],
      reportType: effectiveReportType((report.payload as { reportType?: 'NewReport' }).reportType),
      eventDate: null,
    });
  }
}

/**
 * A batch whose processing failed for a reason that would come back on every try (a report
 * the database cannot store, a defect of ours): it is processed again in savepoints
 * (applyBisecting), so that the reports that can be applied are, a report that cannot is
 * rejected with A99, and the batch ends. A batch that cannot even be read ends FinishedFailed with the
 * reason. Either way the lender's queue moves on.
 */
async function processIsolated(tx: Queryable, batch: ClaimedBatch, opts: ProcessOptions, cause: unknown): Promise<Ended & { unreadable?: true }> {
  let reports: Report[];
  try {
    reports = await readReports(tx, batch);
  } catch (err) {
    const errors: ErrorResponse[] = err instanceof RegisterError ? err.errors : [{ errorCode: 'A99', errorDescription: 'The stored batch could not be read; it had no effect' }];
    opts.logger?.error({ batchId: batch.id, err }, 'batch could not be read; it ends FinishedFailed');
    return { ...(await endFailed(tx, batch.id, errors)), unreadable: true };
  }
  opts.logger?.error({ batchId: batch.id, err: cause }, 'batch processing failed; applying its reports one at a time');
  const outcomes: ReportOutcome[] = [];
  await applyBisecting(tx, batch, reports, opts, duplicateReferences(reports), outcomes);
  return writeOutcomes(tx, batch.id, outcomes, reports);
}

/** Ends a batch none of whose reports was applied, with the reason for the whole batch (GetBatchStatus errorResponses). */
async function endFailed(tx: Queryable, batchId: number, errors: ErrorResponse[]): Promise<Ended> {
  const { rows } = await tx.query<{ reportCount: number }>(
    `UPDATE batches SET status = 'FinishedFailed', accepted_count = 0, rejected_count = report_count, errors = $2, processed_at = now() WHERE id = $1
     RETURNING report_count AS "reportCount"`,
    [batchId, JSON.stringify(errors)],
  );
  const rejected = rows[0]?.reportCount ?? 0;
  const rejections = new Map<string, number>();
  countCodes(rejections, errors, rejected);
  return { end: 'FinishedFailed', accepted: 0, rejected, rejections };
}

/** 'taken': another process claimed or ended the batch meanwhile. */
export type BatchRun = 'none' | 'taken' | 'processed' | 'isolated' | 'failed' | { retry: unknown };

/**
 * Claims and processes one batch (the given one, or the next eligible), each in its own
 * transaction: a crash mid-batch leaves it Received, to be processed after the restart, and
 * no report is ever applied twice. A failure that may pass (the database) leaves the batch
 * waiting, to be retried; any other ends the batch (processIsolated) so the queue moves on.
 */
export async function runNextBatch(
  db: Database,
  opts: ProcessOptions & { id?: number; skip?: readonly number[]; isolate?: boolean },
): Promise<{ run: BatchRun; batchId?: number; reports?: number }> {
  let claimed: ClaimedBatch | undefined;
  const started = performance.now();
  /** How the batch ended in the transaction last run: told to the metrics only once that transaction has committed. */
  let ended: (Ended & { unreadable?: true }) | undefined;
  const tell = (run: BatchRun): BatchRun => {
    const m = opts.metrics;
    if (!m) return run;
    if (typeof run === 'object') m.batchFailed(claimed?.operation, 'passing');
    else if (claimed && ended && (run === 'processed' || run === 'isolated' || run === 'failed')) {
      if (run !== 'processed') m.batchFailed(claimed.operation, run === 'failed' || ended.unreadable ? 'ended' : 'isolated');
      m.batchProcessed(claimed.operation, ended.end, ended, {
        processing: (performance.now() - started) / 1000,
        sinceReceived: (Date.now() - new Date(claimed.receivedAt).getTime()) / 1000,
      });
    }
    return run;
  };
  try {
    const run = await db.transaction(async (tx): Promise<BatchRun> => {
      ended = undefined;
      claimed = await claim(tx, opts);
      if (!claimed) return 'none';
      if (opts.isolate) ended = await processIsolated(tx, claimed, opts, new Error('isolation asked for'));
      else ended = await processWhole(tx, claimed, opts);
      return opts.isolate ? 'isolated' : 'processed';
    });
    return { run: tell(run), ...(claimed ? { batchId: claimed.id } : {}), ...(ended ? { reports: ended.accepted + ended.rejected } : {}) };
  } catch (err) {
    if (!claimed) return { run: tell({ retry: err }) };
    const batchId = claimed.id;
    if (isTransientDatabaseError(err)) return { run: tell({ retry: err }), batchId };
    // Failed for good: a report at a time (unless that is what just failed), and if even that
    // fails for good, the batch ends FinishedFailed: the lender's queue must move on.
    let cause = err;
    if (!opts.isolate) {
      try {
        const run = await db.transaction(async (tx): Promise<BatchRun> => {
          ended = undefined;
          if (!(await claim(tx, { id: batchId }))) return 'taken';
          ended = await processIsolated(tx, claimed!, opts, err);
          return 'isolated';
        });
        return { run: tell(run), batchId };
      } catch (err2) {
        if (isTransientDatabaseError(err2)) return { run: tell({ retry: err2 }), batchId };
        cause = err2;
      }
    }
    try {
      const run = await db.transaction(async (tx): Promise<BatchRun> => {
        ended = undefined;
        if (!(await claim(tx, { id: batchId }))) return 'taken';
        opts.logger?.error({ batchId, err: cause }, 'batch could not be processed even a report at a time; it ends FinishedFailed');
        ended = await endFailed(tx, batchId, [{ errorCode: 'A99', errorDescription: 'The register could not process this batch (an internal error); none of its reports was applied. Quote the batch reference.' }]);
        return 'failed';
      });
      return { run: tell(run), batchId };
    } catch (err3) {
      return { run: tell({ retry: err3 }), batchId };
    }
  }
}

/** Processes one batch if it is waiting and first in its lender's line. Returns whether it did. */
export async function processBatch(db: Database, batchId: number, opts: ProcessOptions): Promise<boolean> {
  const { run } = await runNextBatch(db, { ...opts, id: batchId });
  if (typeof run === 'object') throw run.retry;
  return run !== 'none' && run !== 'taken';
}

/** The loans as one JSON array for jsonb_to_recordset(): one statement for any number of loans. */
function loanRecords(loans: LoanState[]): string {
  return JSON.stringify(
    loans.map((l) => ({
      id: l.id ?? null,
      ...loanColumns(l),
      contract: packContractHex(l.contract),
      delays: l.delays,
    })),
  );
}

const LOAN_RECORD = `x(id bigint, lender_id bigint, loan_number_type text, loan_number text, loan_type text, currency_code text,
  contract_date date, status text, end_date date, transferred boolean, contract bytea, delays jsonb)`;

/**
 * The latest payment of each loan a batch of repayments touched, where the batch itself tells
 * it: the latest date is one the batch reported (not an older one it removed, nor a later one
 * already stored, whose content the processor did not read). The others are read back by the
 * history's statement.
 */
function latestPayments(result: ReturnType<typeof applyBatch>, latestBefore: ReadonlyMap<number, string>): Map<LoanState, StoredTransaction | null> {
  const byLoan = new Map<LoanState, Map<string, StoredTransaction | null>>();
  for (const p of result.payments) {
    let dates = byLoan.get(p.loan);
    if (!dates) byLoan.set(p.loan, (dates = new Map()));
    dates.set(p.paymentDate, p.data);
  }
  const known = new Map<LoanState, StoredTransaction | null>();
  for (const [loan, dates] of byLoan) {
    const before = latestBefore.get(loan.id!);
    if (before !== undefined && dates.get(before) === null) continue; // the stored latest was removed: the one before it is not known here
    let latest: [string, StoredTransaction] | undefined;
    for (const [date, data] of dates) if (data && (!latest || date > latest[0])) latest = [date, data];
    if (latest && (before === undefined || latest[0] >= before)) known.set(loan, latest[1]);
    else if (!latest && before === undefined) known.set(loan, null);
  }
  return known;
}

async function writeChanges(tx: Queryable, result: ReturnType<typeof applyBatch>, latest: ReadonlyMap<LoanState, StoredTransaction | null>, inParts: boolean): Promise<void> {
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
  // The loans' new states, known from this transaction on: the history snapshots are read from.
  // A loan added by this batch has no payment yet.
  const latestOfNew = new Map(latest);
  for (const l of created) latestOfNew.set(l, null);
  const changed = new Set(result.changed);
  const paymentsOnly = new Set(result.payments.map((p) => p.loan).filter((l) => !changed.has(l)));
  await writeVersions(tx, [...result.changed, ...result.payments.map((p) => p.loan)], latestOfNew, inParts, paymentsOnly);
}

/** Every report's outcome, one INSERT for the whole batch (the report itself stays in the batch body), and the batch's end. */
async function writeOutcomes(tx: Queryable, batchId: number, o: ReportOutcome[], reports: Report[]): Promise<Ended> {
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
  const accepted = o.filter((x) => x.status === 'accepted').length;
  const rejected = o.length - accepted;
  const status: BatchEnd = o.length === 0 || rejected === 0 ? 'FinishedSuccess' : accepted === 0 ? 'FinishedFailed' : 'FinishedPartialSuccess';
  await tx.query(
    `UPDATE batches SET status = $2, accepted_count = $3, rejected_count = $4, processed_at = now() WHERE id = $1`,
    [batchId, status, accepted, rejected],
  );
  const rejections = new Map<string, number>();
  for (const x of o) if (x.status === 'rejected') countCodes(rejections, x.errors);
  return { end: status, accepted, rejected, rejections };
}

/** What the API needs of the background runner: to tell it that a batch was stored. */
export interface ReportingWorker {
  wake(): void;
}

/**
 * Reporting batches as a kind of background work (jobs/runner.ts): an item is a batch.
 * `afterLargeBatch`: what to run after a batch of at least that many reports was processed
 * (the embedded register's full garbage collection: server.ts, docs/memory.md).
 */
export function reportingJob(
  db: Database,
  opts: { environment: Environment; logger: Logger; metrics?: ProcessOptions['metrics']; afterLargeBatch?: { reports: number; run: () => void } },
): JobKind {
  return {
    name: 'reporting',
    async runNext({ skip, careful }) {
      const { run, batchId, reports } = await runNextBatch(db, { ...opts, skip, ...(careful !== undefined ? { id: careful, isolate: true } : {}) });
      if (opts.afterLargeBatch && (reports ?? 0) >= opts.afterLargeBatch.reports) opts.afterLargeBatch.run();
      if (run === 'none') return { step: 'idle' };
      if (run === 'taken') return { step: 'again', item: batchId! };
      if (typeof run === 'object') return { step: 'retry', ...(batchId !== undefined ? { item: batchId } : {}), err: run.retry };
      return { step: 'done', item: batchId!, message: 'batch processed', details: { batchId, ...(run === 'processed' ? {} : { [run]: true }) } };
    },
  };
}
