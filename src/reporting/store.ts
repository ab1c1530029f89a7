/**
 * Reporting storage: receiving a batch (durably, before the 202), refusals at the door,
 * batch status, the loan as held now, and the test-data reset.
 */
import { createHash } from 'node:crypto';
import { RegisterError } from '../common/errors.ts';
import type { Database, Queryable } from '../db/database.ts';
import type { ErrorResponse } from '../common/errors.ts';
import type { BatchOperation, BatchStatus } from './schemas.ts';
import { packContractHex, unpackContract } from './packed-contract.ts';

export interface ReceivedBatch {
  id: number;
  batchReference: string;
  batchStatus: BatchStatus;
  /** False when this was a re-send of a batch already received. */
  created: boolean;
}

function isUniqueViolation(err: unknown): boolean {
  return (err as { code?: string })?.code === '23505';
}

/**
 * Stores a batch durably, in one statement: its request body as it came. A re-sent
 * reference with the same body is the same batch; with another body, A30.
 */
export async function receiveBatch(
  db: Database,
  input: { organisationId: number; operation: BatchOperation; batchReference: string; rawBody: string; reportCount: number },
): Promise<ReceivedBatch> {
  const bodyHash = createHash('sha256').update(`${input.operation}\n`).update(input.rawBody).digest('hex');
  for (let attempt = 0; ; attempt++) {
    try {
      return await db.transaction(async (tx) => {
        const existing = await tx.query<{ id: number; bodyHash: string; status: BatchStatus }>(
          'SELECT id, body_hash AS "bodyHash", status FROM batches WHERE organisation_id = $1 AND batch_reference = $2',
          [input.organisationId, input.batchReference],
        );
        const found = existing.rows[0];
        if (found) {
          if (found.bodyHash !== bodyHash) throw new RegisterError('A30', 'This batch reference was already used with different content', 'BatchReference');
          return { id: found.id, batchReference: input.batchReference, batchStatus: found.status, created: false };
        }
        const { rows } = await tx.query<{ id: number }>(
          `INSERT INTO batches (organisation_id, operation, batch_reference, body_hash, report_count, body) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
          [input.organisationId, input.operation, input.batchReference, bodyHash, input.reportCount, input.rawBody],
        );
        await tx.query('DELETE FROM batch_refusals WHERE organisation_id = $1 AND batch_reference = $2', [input.organisationId, input.batchReference]);
        return { id: rows[0]!.id, batchReference: input.batchReference, batchStatus: 'Received' as const, created: true };
      });
    } catch (err) {
      if (isUniqueViolation(err) && attempt < 3) continue; // the same reference arrived twice at once: look again
      throw err;
    }
  }
}

/**
 * A batch refused at the door is remembered by reference, owner, time and errors (not content).
 * A refusal already recorded with the same errors is left alone: no new row version, no row
 * lock, no WAL (a repeated bad request costs no write).
 */
export async function recordRefusal(db: Queryable, organisationId: number, operation: string, batchReference: string, errors: ErrorResponse[]): Promise<void> {
  await db.query(
    `INSERT INTO batch_refusals (organisation_id, batch_reference, operation, errors)
     SELECT $1::bigint, $2::text, $3::text, $4::jsonb
     WHERE NOT EXISTS (SELECT 1 FROM batch_refusals WHERE organisation_id = $1 AND batch_reference = $2 AND operation = $3 AND errors = $4::jsonb)
     ON CONFLICT (organisation_id, batch_reference) DO UPDATE SET operation = EXCLUDED.operation, errors = EXCLUDED.errors, refused_at = now()
     WHERE batch_refusals.operation IS DISTINCT FROM EXCLUDED.operation OR batch_refusals.errors IS DISTINCT FROM EXCLUDED.errors`,
    [organisationId, batchReference, operation, JSON.stringify(errors)],
  );
}

export interface BatchStatusAnswer {
  batchReference: string;
  batchStatus: BatchStatus | 'NotFound';
  receivedTimeUtc?: string;
  reportCount?: number;
  acceptedCount?: number;
  rejectedCount?: number;
  rejectedReports?: { reportReference: string; errorResponses: ErrorResponse[] }[];
  errorResponses?: ErrorResponse[];
}

export async function batchStatus(db: Queryable, organisationId: number, batchReference: string): Promise<BatchStatusAnswer | undefined> {
  const { rows } = await db.query<{ id: number; status: BatchStatus; receivedAt: Date; reportCount: number; acceptedCount: number | null; rejectedCount: number | null; errors: ErrorResponse[] | null }>(
    `SELECT id, status, received_at AS "receivedAt", report_count AS "reportCount", accepted_count AS "acceptedCount", rejected_count AS "rejectedCount", errors
     FROM batches WHERE organisation_id = $1 AND batch_reference = $2`,
    [organisationId, batchReference],
  );
  const b = rows[0];
  if (b) {
    const answer: BatchStatusAnswer = { batchReference, batchStatus: b.status, receivedTimeUtc: b.receivedAt.toISOString(), reportCount: b.reportCount };
    if (b.status.startsWith('Finished')) {
      answer.acceptedCount = b.acceptedCount ?? 0;
      answer.rejectedCount = b.rejectedCount ?? 0;
      const rejected = await db.query<{ reportReference: string; errors: ErrorResponse[] }>(
        `SELECT report_reference AS "reportReference", errors FROM reports WHERE batch_id = $1 AND status = 'rejected' ORDER BY seq`,
        [b.id],
      );
      answer.rejectedReports = rejected.rows.map((r) => ({ reportReference: r.reportReference, errorResponses: r.errors }));
      if (b.errors) answer.errorResponses = b.errors;
    }
    return answer;
  }
  const refused = await db.query<{ refusedAt: Date; errors: ErrorResponse[] }>(
    'SELECT refused_at AS "refusedAt", errors FROM batch_refusals WHERE organisation_id = $1 AND batch_reference = $2',
    [organisationId, batchReference],
  );
  const r = refused.rows[0];
  if (!r) return undefined;
  return { batchReference, batchStatus: 'FinishedFailed', receivedTimeUtc: r.refusedAt.toISOString(), reportCount: 0, acceptedCount: 0, rejectedCount: 0, rejectedReports: [], errorResponses: r.errors };
}

/** Deletes a lender's own test data: loans, batches, reports, refusals (Test environment only). */
export async function resetTestData(db: Database, organisationId: number): Promise<{ loans: number; batches: number }> {
  return db.transaction(async (tx) => {
    const loans = await tx.query('DELETE FROM loans WHERE lender_id = $1', [organisationId]);
    const batches = await tx.query('DELETE FROM batches WHERE organisation_id = $1', [organisationId]);
    await tx.query('DELETE FROM batch_refusals WHERE organisation_id = $1', [organisationId]);
    return { loans: loans.rowCount, batches: batches.rowCount };
  });
}

/**
 * Packs contracts still in the plain format (migration 0004 left existing loans so) in
 * transactions of `batchSize` loans, in id order; safe to stop and run again. `inBatch` runs
 * in each batch's transaction.
 */
export async function packPlainContracts(
  db: Database,
  opts: { batchSize?: number; onProgress?: (packed: number) => void; inBatch?: (tx: Queryable, packedSoFar: number) => Promise<void> } = {},
): Promise<{ packed: number }> {
  let after = 0;
  let packed = 0;
  for (;;) {
    const done = await db.transaction(async (tx) => {
      const { rows } = await tx.query<{ id: number; contract: Uint8Array }>(
        `SELECT id, contract FROM loans WHERE id > $1 AND get_byte(contract, 0) = 0 ORDER BY id LIMIT $2 FOR UPDATE`,
        [after, opts.batchSize ?? 10_000],
      );
      if (rows.length === 0) return true;
      await tx.query(
        `UPDATE loans SET contract = decode(x.packed, 'hex') FROM unnest($1::bigint[], $2::text[]) AS x(id, packed) WHERE loans.id = x.id`,
        [rows.map((r) => r.id), rows.map((r) => packContractHex(unpackContract(r.contract)).slice(2))],
      );
      after = Number(rows.at(-1)!.id);
      packed += rows.length;
      await opts.inBatch?.(tx, packed); // e.g. the audit entry's count, committed with the batch it counts
      return false;
    });
    opts.onProgress?.(packed);
    if (done) return { packed };
  }
}

/** A loan as the operator's listing shows it (`pcr loans list`): not an extract, no amounts beyond the balance. */
export interface LoanListing {
  lenderBusinessId: string;
  lenderName: string;
  loanNumber: string;
  loanType: string;
  status: string;
  contractDate: string;
  currencyCode: string;
  /** The latest payment's balance, else the contract's; null for leasing (no balance). */
  balance: number | null;
  parties: number;
  /** With a person's listing: the person's role on the loan. */
  role?: string;
  /** With a person's listing: the loan's other parties (identity codes, role); the CLI hides the codes unless asked. */
  otherParties?: { person?: string; role: string }[];
}

interface ListingRow {
  lenderBusinessId: string; lenderName: string; loanNumber: string; loanType: string; status: string; contractDate: string | Date;
  currencyCode: string; contract: Uint8Array; lastBalance: number | string | null; parties: number | string; role?: string; otherParties?: { person: string; role: string }[] | null;
}

function listing(r: ListingRow): LoanListing {
  let balance: number | null = r.lastBalance === null ? null : Number(r.lastBalance);
  if (balance === null) {
    const c = unpackContract(r.contract);
    const b = c.lumpSumLoan?.balance ?? c.runningAccountLoan?.balance;
    balance = b === undefined ? null : Number(b);
  }
  const date = r.contractDate instanceof Date ? r.contractDate.toISOString().slice(0, 10) : String(r.contractDate).slice(0, 10);
  return {
    lenderBusinessId: r.lenderBusinessId, lenderName: r.lenderName, loanNumber: r.loanNumber, loanType: r.loanType, status: r.status, contractDate: date,
    currencyCode: r.currencyCode, balance, parties: Number(r.parties),
    ...(r.role !== undefined ? { role: r.role, otherParties: r.otherParties ?? [] } : {}),
  };
}

const LISTING_COLUMNS = `o.id_code AS "lenderBusinessId", o.name AS "lenderName", l.loan_number AS "loanNumber", l.loan_type AS "loanType", l.status,
  to_char(l.contract_date, 'YYYY-MM-DD') AS "contractDate", l.currency_code AS "currencyCode", l.contract,
  (SELECT p.data->>'balance' FROM payments p WHERE p.loan_id = l.id ORDER BY p.payment_date DESC LIMIT 1) AS "lastBalance",
  (SELECT count(*) FROM loan_parties lp WHERE lp.loan_id = l.id) AS parties`;

/**
 * A lender's loans by loan number, at most `limit` (through the loans' unique
 * (lender_id, loan_number) index: a lender with millions of loans is read one page at a time).
 */
export async function listLenderLoans(db: Queryable, lenderId: number, limit: number): Promise<{ loans: LoanListing[]; total: number }> {
  const { rows } = await db.query<ListingRow>(
    `SELECT ${LISTING_COLUMNS} FROM loans l JOIN organisations o ON o.id = l.lender_id WHERE l.lender_id = $1 ORDER BY l.loan_number LIMIT $2`,
    [lenderId, limit],
  );
  const total = await db.query<{ n: string }>('SELECT count(*)::text AS n FROM loans WHERE lender_id = $1', [lenderId]);
  return { loans: rows.map(listing), total: Number(total.rows[0]!.n) };
}

/** The loans where a person is a party (through loan_parties' primary key, which leads with the person), with the person's role. */
export async function listPersonLoans(db: Queryable, person: string): Promise<LoanListing[]> {
  const { rows } = await db.query<ListingRow>(
    `SELECT ${LISTING_COLUMNS}, me.role,
       (SELECT json_agg(json_build_object('person', x.person, 'role', x.role) ORDER BY x.role, x.person) FROM loan_parties x
         WHERE x.loan_id = l.id AND NOT (x.person = me.person AND x.role = me.role)) AS "otherParties"
     FROM loan_parties me JOIN loans l ON l.id = me.loan_id JOIN organisations o ON o.id = l.lender_id
     WHERE me.person = $1 ORDER BY l.contract_date DESC, o.id_code, l.loan_number`,
    [person],
  );
  return rows.map(listing);
}
